"""Tests for ch3.data.download: atomic, hash-checked downloads that fail fast offline.

No test reaches the network: responses come from an injected opener, and the one real-socket test
connects to a closed port on 127.0.0.1.
"""
import gzip
import hashlib
import io
import os
import socket
import time
import urllib.error

import pytest

from ch3.data.download import DataFormatError, DownloadError, download, sha1_file

URL = 'http://example.invalid/data/file.bin'


class FakeResponse(io.BytesIO):
    def __init__(self, payload, length=None):
        super().__init__(payload)
        self.headers = {} if length is None else {'Content-Length': str(length)}


class FakeOpener:
    """Serves `payload` (or raises the queued errors first) and counts calls."""

    def __init__(self, payload=b'', errors=(), length=None):
        self.payload, self.errors, self.length = payload, list(errors), length
        self.calls = 0

    def __call__(self, url, timeout):
        self.calls += 1
        assert timeout <= 10
        if self.errors:
            raise self.errors.pop(0)
        return FakeResponse(self.payload, self.length)


def sha1(data):
    return hashlib.sha1(data).hexdigest()


def leftovers(folder):
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def closed_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_download_writes_file_and_checks_raw_sha1(tmp_path):
    payload = b'hello' * 1000
    target = tmp_path / 'cache' / 'file.bin'
    got = download(URL, target, sha1=sha1(payload), opener=FakeOpener(payload))
    assert got == str(target)
    assert target.read_bytes() == payload
    assert leftovers(target.parent) == ['file.bin']


def test_download_into_folder_uses_url_name(tmp_path):
    got = download(URL, tmp_path, opener=FakeOpener(b'x'))
    assert got == str(tmp_path / 'file.bin')


def test_decompressed_sha1_accepts_any_compression_of_same_content(tmp_path):
    content = bytes(range(256)) * 100
    payload = gzip.compress(content, compresslevel=1, mtime=12345)
    assert sha1(payload) != sha1(gzip.compress(content, compresslevel=9, mtime=0))
    target = tmp_path / 'f.gz'
    download(URL, target, sha1=sha1(content), sha1_of='decompressed', opener=FakeOpener(payload))
    assert sha1_file(target, decompressed=True) == sha1(content)
    assert sha1_file(target) == sha1(payload)


def test_sha1_mismatch_raises_and_leaves_nothing(tmp_path):
    opener = FakeOpener(b'tampered')
    with pytest.raises(DownloadError, match=r'example\.invalid.*sha1.*expected 0{40}'):
        download(URL, tmp_path / 'file.bin', sha1='0' * 40, opener=opener)
    assert opener.calls == 1          # a wrong hash is not retried
    assert leftovers(tmp_path) == []


def test_truncated_gzip_is_rejected_and_leaves_nothing(tmp_path):
    content = os.urandom(50000)
    payload = gzip.compress(content)[:-100]
    with pytest.raises(DownloadError, match='truncated'):
        download(URL, tmp_path / 'f.gz', sha1=sha1(content), sha1_of='decompressed',
                 opener=FakeOpener(payload), retries=1, budget=5)
    assert leftovers(tmp_path) == []


def test_short_body_against_content_length_is_rejected(tmp_path):
    with pytest.raises(DownloadError, match='got 3 of 10 bytes'):
        download(URL, tmp_path / 'f', opener=FakeOpener(b'abc', length=10), retries=0)
    assert leftovers(tmp_path) == []


def test_retries_transient_errors_then_succeeds(tmp_path):
    opener = FakeOpener(b'ok', errors=[urllib.error.URLError('temporary failure'),
                                       ConnectionResetError('reset')])
    download(URL, tmp_path / 'f', retries=2, opener=opener)
    assert opener.calls == 3
    assert (tmp_path / 'f').read_bytes() == b'ok'


def test_http_404_is_not_retried(tmp_path):
    err = urllib.error.HTTPError(URL, 404, 'Not Found', {}, None)
    opener = FakeOpener(errors=[err, err, err])
    with pytest.raises(DownloadError, match='HTTP 404'):
        download(URL, tmp_path / 'f', retries=2, opener=opener)
    assert opener.calls == 1


def test_offline_fails_fast_without_partial_file_or_folder(tmp_path):
    url = 'http://127.0.0.1:%d/gluon/file.gz' % closed_port()
    target = tmp_path / 'new_cache' / 'file.gz'
    start = time.monotonic()
    with pytest.raises(DownloadError) as info:
        download(url, target, sha1='0' * 40, timeout=2, retries=2, budget=5)
    assert time.monotonic() - start < 5
    message = str(info.value)
    assert url in message and '3 attempt(s)' in message and 'nothing was written' in message
    assert not (tmp_path / 'new_cache').exists()


def test_existing_matching_file_is_not_downloaded_again(tmp_path):
    target = tmp_path / 'f'
    target.write_bytes(b'cached')
    opener = FakeOpener(b'new')
    download(URL, target, sha1=sha1(b'cached'), opener=opener)
    assert opener.calls == 0
    download(URL, target, sha1=sha1(b'new'), opener=opener)   # stale cache is replaced
    assert opener.calls == 1 and target.read_bytes() == b'new'


def test_sha1_file_names_corrupt_gzip(tmp_path):
    bad = tmp_path / 'bad.gz'
    bad.write_bytes(gzip.compress(b'x' * 1000)[:20])
    with pytest.raises(DataFormatError, match='bad.gz'):
        sha1_file(bad, decompressed=True)


def test_bad_sha1_of_argument():
    with pytest.raises(ValueError, match='sha1_of'):
        download(URL, 'unused', sha1_of='gzip')
