"""Tests for ch3.data.gunzip_cache: decompressed copies of gzip files in a user cache, used only
when they match the gzip trailer, written whole or not at all."""
import gzip
import os
import zlib

import numpy as np
import pytest

from ch3.data import fashion_mnist as fm
from ch3.data import gunzip_cache as gc


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / 'cache'
    monkeypatch.setenv('CH3_CACHE_DIR', str(folder))
    return folder


def _gz(path, payload):
    path.write_bytes(gzip.compress(payload))
    return path


def _copies(cache):
    folder = cache / 'gunzipped'
    return sorted(os.listdir(folder)) if folder.is_dir() else []


def _no_zlib(monkeypatch):
    """Make decompressing fail, so only a cached copy can give the bytes."""
    def refuse(*args, **kwargs):
        raise AssertionError('decompressed although a good copy was cached')
    monkeypatch.setattr(gc.gzip, 'open', refuse)


def test_second_read_comes_from_the_copy(cache, tmp_path, monkeypatch):
    payload = os.urandom(100_000)
    source = _gz(tmp_path / 'data.bin.gz', payload)
    assert gc.gunzip(source) == payload
    assert [name.rsplit('-', 1)[0] for name in _copies(cache)] == ['data.bin']
    _no_zlib(monkeypatch)
    assert gc.gunzip(source) == payload


@pytest.mark.parametrize('damage', ['truncate', 'flip'])
def test_a_damaged_copy_is_not_used_and_is_replaced(cache, tmp_path, monkeypatch, damage):
    payload = os.urandom(50_000)
    source = _gz(tmp_path / 'data.bin.gz', payload)
    gc.gunzip(source)
    copy = cache / 'gunzipped' / _copies(cache)[0]
    data = bytearray(copy.read_bytes())
    if damage == 'truncate':
        del data[-10:]
    else:
        data[1234] ^= 0xFF
    copy.write_bytes(bytes(data))
    assert gc.gunzip(source) == payload
    assert copy.read_bytes() == payload   # repaired


def test_a_changed_source_is_decompressed_again_and_the_old_copy_removed(cache, tmp_path):
    source = _gz(tmp_path / 'data.bin.gz', b'first' * 1000)
    gc.gunzip(source)
    first = _copies(cache)
    _gz(source, b'second, longer' * 1000)
    os.utime(source, ns=(1, 1))   # a different modification time, whatever the clock
    assert gc.gunzip(source) == b'second, longer' * 1000
    assert len(_copies(cache)) == 1 and _copies(cache) != first


def test_copies_of_other_files_with_a_longer_name_stay(cache, tmp_path):
    gc.gunzip(_gz(tmp_path / 'data-extra.gz', b'other file' * 100))
    gc.gunzip(_gz(tmp_path / 'data.gz', b'this file' * 100))
    assert sorted(name.rsplit('-', 1)[0] for name in _copies(cache)) == ['data', 'data-extra']


def test_a_multi_member_gzip_is_read_but_not_copied(cache, tmp_path):
    source = tmp_path / 'two.gz'
    source.write_bytes(gzip.compress(b'first member ') + gzip.compress(b'second member'))
    assert gc.gunzip(source) == b'first member second member'
    assert _copies(cache) == []


def test_empty_setting_turns_the_cache_off(tmp_path, monkeypatch):
    monkeypatch.setenv('CH3_CACHE_DIR', '')
    assert gc.cache_dir() is None
    source = _gz(tmp_path / 'data.bin.gz', b'x' * 1000)
    assert gc.gunzip(source) == b'x' * 1000
    assert sorted(os.listdir(tmp_path)) == ['data.bin.gz']


def test_default_folder_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv('CH3_CACHE_DIR', raising=False)
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path))
    assert gc.cache_dir() == os.path.join(str(tmp_path), 'ch3')


def test_an_unwritable_cache_still_reads_the_file(tmp_path, monkeypatch):
    blocker = tmp_path / 'not-a-folder'
    blocker.write_text('a file where the cache folder would be')
    monkeypatch.setenv('CH3_CACHE_DIR', str(blocker))
    source = _gz(tmp_path / 'data.bin.gz', b'y' * 5000)
    assert gc.gunzip(source) == b'y' * 5000


def test_a_failed_write_leaves_no_partial_file(cache, tmp_path, monkeypatch):
    source = _gz(tmp_path / 'data.bin.gz', os.urandom(20_000))

    def fail(copy, data):
        with gc.atomic_write(copy, 'wb') as handle:
            handle.write(data[:100])
            raise OSError(28, 'No space left on device')
    monkeypatch.setattr(gc, '_store', fail)
    assert len(gc.gunzip(source)) == 20_000
    assert _copies(cache) == []


def test_gzip_errors_pass_through_and_nothing_is_cached(cache, tmp_path):
    good = gzip.compress(os.urandom(5000))
    (tmp_path / 'cut.gz').write_bytes(good[:len(good) // 2])
    with pytest.raises(EOFError):
        gc.gunzip(tmp_path / 'cut.gz')
    (tmp_path / 'short.gz').write_bytes(good[:5])
    with pytest.raises(EOFError):
        gc.gunzip(tmp_path / 'short.gz')
    assert _copies(cache) == []


@pytest.mark.skipif(fm._file_in(fm.DEBIAN_DIR, 'train-labels-idx1-ubyte') is None,
                    reason='real Fashion-MNIST not installed in %s' % fm.DEBIAN_DIR)
def test_real_labels_read_through_the_cache_equal_zlib(cache, monkeypatch):
    path = fm._file_in(fm.DEBIAN_DIR, 'train-labels-idx1-ubyte')
    direct = zlib.decompress(open(path, 'rb').read(), 31)
    first = fm.read_idx(path, ndim=1)
    _no_zlib(monkeypatch)
    second = fm.read_idx(path, ndim=1)
    np.testing.assert_array_equal(first, np.frombuffer(direct, np.uint8, offset=8))
    np.testing.assert_array_equal(second, first)
