"""Tests for ch3.data.gunzip_cache: decompressed copies of gzip files in a user cache, used only
when they match the gzip trailer, written whole or not at all."""
import gzip
import hashlib
import os
import signal
import stat
import subprocess
import sys
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


# --- a copy is trusted only for what it is ------------------------------------------------------

@pytest.fixture
def deadline():
    """Fail instead of hanging: SIGALRM after 20 s."""
    def on_alarm(signum, frame):   # not an OSError, which gunzip takes for a missing copy
        raise AssertionError('gunzip hung on the cached copy')
    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def _cached(cache, source):
    """Decompress `source` once through the cache and return the path of its copy."""
    gc.gunzip(source)
    return cache / 'gunzipped' / _copies(cache)[0]


@pytest.mark.parametrize('kind', ['fifo', 'dev_zero_link', 'link_to_a_good_copy'])
def test_a_copy_that_is_not_a_regular_file_is_neither_waited_on_nor_read(cache, tmp_path, kind,
                                                                          deadline):
    payload = os.urandom(30_000)
    source = _gz(tmp_path / 'data.bin.gz', payload)
    copy = _cached(cache, source)
    os.remove(copy)
    if kind == 'fifo':
        os.mkfifo(copy)   # opening it for reading would wait for a writer forever
    elif kind == 'dev_zero_link':
        os.symlink('/dev/zero', copy)   # endless zeros: reading it all would fill memory
    else:
        good = tmp_path / 'elsewhere'
        good.write_bytes(payload)
        os.symlink(good, copy)   # a link may point anywhere later: never followed
    assert gc.gunzip(source) == payload
    assert stat.S_ISREG(os.lstat(copy).st_mode) and copy.read_bytes() == payload   # replaced


def test_a_copy_longer_than_the_trailer_says_is_not_read(cache, tmp_path, monkeypatch, deadline):
    payload = os.urandom(10_000)
    source = _gz(tmp_path / 'data.bin.gz', payload)
    copy = _cached(cache, source)
    with open(copy, 'r+b') as handle:
        handle.truncate(8 << 30)   # a sparse 8 GiB file: its length mod 2**32 is 0, not 10000
    reads = []
    real_read = gc._read_regular

    def spy(path, size):
        data = real_read(path, size)
        reads.append(data)
        return data
    monkeypatch.setattr(gc, '_read_regular', spy)
    assert gc.gunzip(source) == payload
    assert reads == [None] and copy.stat().st_size == 10_000


def _forge_crc(data, target, pos):
    """`data` with its 4 bytes at `pos` set so that its CRC-32 is `target` (CRC-32 is affine in
    the bits over GF(2): solve the 32 x 32 system column by column)."""
    data = bytearray(data)
    data[pos:pos + 4] = bytes(4)
    base = zlib.crc32(data)
    columns = []
    for bit in range(32):
        trial = bytearray(data)
        trial[pos + bit // 8] ^= 1 << (bit % 8)
        columns.append(zlib.crc32(trial) ^ base)
    want = target ^ base
    # Gaussian elimination: rows are (column value, set of bits combined)
    rows = [(value, 1 << bit) for bit, value in enumerate(columns)]
    basis = {}
    for value, combo in rows:
        for top in sorted(basis, reverse=True):
            if value >> top & 1:
                value ^= basis[top][0]
                combo ^= basis[top][1]
        if value:
            basis[value.bit_length() - 1] = (value, combo)
    chosen = 0
    for top in sorted(basis, reverse=True):
        if want >> top & 1:
            want ^= basis[top][0]
            chosen ^= basis[top][1]
    assert want == 0
    for bit in range(32):
        if chosen >> bit & 1:
            data[pos + bit // 8] ^= 1 << (bit % 8)
    assert zlib.crc32(data) == target
    return bytes(data)


def test_a_forged_copy_with_the_right_crc_is_caught_by_the_known_digest(cache, tmp_path):
    payload = bytes(range(256)) * 200
    digest = hashlib.sha1(payload).hexdigest()
    source = _gz(tmp_path / 'data.bin.gz', payload)
    assert gc.gunzip(source, sha1=digest) == payload
    copy = cache / 'gunzipped' / _copies(cache)[0]
    forged = bytearray(payload)
    forged[100:110] = b'X' * 10
    forged = _forge_crc(forged, zlib.crc32(payload), 200)
    assert len(forged) == len(payload) and gc.matches_trailer(forged, gc.gzip_trailer(source))
    copy.write_bytes(forged)
    assert gc.gunzip(source) == forged            # the CRC alone cannot tell: the known digest can
    assert gc.gunzip(source, sha1=digest) == payload
    assert copy.read_bytes() == payload           # rewritten from the source
    assert gc.gunzip(source, sha1=[digest, 'f' * 40]) == payload   # one of several accepted


def test_content_without_the_known_digest_is_read_but_never_copied(cache, tmp_path):
    source = _gz(tmp_path / 'data.bin.gz', b'not the expected content' * 100)
    assert gc.gunzip(source, sha1='0' * 40) == b'not the expected content' * 100
    assert _copies(cache) == []


@pytest.mark.skipif(fm._file_in(fm.DEBIAN_DIR, 'train-labels-idx1-ubyte') is None,
                    reason='real Fashion-MNIST not installed in %s' % fm.DEBIAN_DIR)
def test_forged_fashion_mnist_labels_in_the_cache_are_replaced_by_the_real_ones(cache):
    path = fm._file_in(fm.DEBIAN_DIR, 'train-labels-idx1-ubyte')
    real = fm.read_idx(path, ndim=1).copy()
    copy = cache / 'gunzipped' / _copies(cache)[0]
    raw = copy.read_bytes()
    labels = bytearray(raw)
    labels[8:1008] = bytes((b + 1) % 10 for b in labels[8:1008])   # 1000 labels changed
    forged = _forge_crc(labels, zlib.crc32(raw), len(raw) - 4)     # and the last 4 fixed up
    copy.write_bytes(forged)
    np.testing.assert_array_equal(fm.read_idx(path, ndim=1), real)
    assert copy.read_bytes() == raw


def _dead_pid():
    proc = subprocess.Popen([sys.executable, '-c', 'pass'])
    proc.wait()
    return proc.pid


def test_temporary_files_of_killed_writes_are_removed_by_the_next_read(cache, tmp_path):
    source = _gz(tmp_path / 'data.bin.gz', b'z' * 4000)
    copy = _cached(cache, source)
    folder = copy.parent
    stale = folder / ('.%s.%d-abcd1234.part' % (copy.name, _dead_pid()))
    stale.write_bytes(b'half a copy')
    live = folder / ('.%s.%d-efgh5678.part' % (copy.name, os.getpid()))   # a writer at work
    live.write_bytes(b'being written')
    assert gc.gunzip(source) == b'z' * 4000
    assert not stale.exists() and live.exists()
