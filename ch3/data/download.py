"""Downloads for the chapter's data sets (3.5 Fashion-MNIST, 3.16 Kaggle house prices).

`download` fetches one URL with a per-attempt timeout, a few retries and an overall time budget,
checks a sha1 (of the raw bytes, or of the gzip-decompressed content when `sha1_of='decompressed'`;
or any of several such checks, e.g. gluon's .gz sha1 or Debian's decompressed one) and renames
the finished file into place, so a cache never holds a half-written or unverified file. Without a network it fails within the budget with a `DownloadError` naming the URL.

The error classes shared by the data modules live here too:
`DatasetNotFound` (a FileNotFoundError), `DataFormatError` (a ValueError) and `DownloadError`.
"""
import contextlib
import gzip
import hashlib
import http.client
import os
import time
import urllib.error
import urllib.request
import zlib

from ch3.utils import atomic_write

DEFAULT_TIMEOUT = 10.0     # seconds per connection attempt / read
DEFAULT_RETRIES = 2        # extra attempts after the first one
DEFAULT_BUDGET = 20.0      # seconds for all attempts together
_CHUNK = 1 << 20
_GZIP_MAGIC = b'\x1f\x8b'


class DownloadError(OSError):
    """A download failed (network, HTTP status, or checksum); the message names the URL."""


class DatasetNotFound(FileNotFoundError):
    """A data set's files are not where they were looked for; the message lists where and how to
    install them."""


class DataFormatError(ValueError):
    """A data file exists but its content is wrong (bad header, truncated, missing columns, ...);
    the message names the file."""


def mxnet_home():
    """The MXNet data folder: $MXNET_HOME, else ~/.mxnet (read at call time, as mxnet.base does)."""
    return os.environ.get('MXNET_HOME') or os.path.join(os.path.expanduser('~'), '.mxnet')


def is_gzip(path):
    """True when the file at `path` starts with the gzip magic bytes (whatever its name)."""
    with open(path, 'rb') as handle:
        return handle.read(2) == _GZIP_MAGIC


def sha1_file(path, decompressed=False):
    """sha1 hex digest of a file's bytes, or of its gzip-decompressed content when `decompressed`
    (a file that is not gzip is hashed as it is, being its own decompressed content)."""
    digest = hashlib.sha1()
    path = os.fspath(path)
    opener = gzip.open if decompressed and is_gzip(path) else open
    try:
        with opener(path, 'rb') as handle:
            for chunk in iter(lambda: handle.read(_CHUNK), b''):
                digest.update(chunk)
    except (EOFError, OSError, zlib.error) as err:
        if isinstance(err, FileNotFoundError):
            raise
        raise DataFormatError('%s: cannot decompress to check its sha1 (%s: %s); the file is '
                              'truncated or corrupt' % (path, type(err).__name__, err)) from err
    return digest.hexdigest()


def _default_opener(url, timeout):
    return urllib.request.urlopen(url, timeout=timeout)


def _retryable(err):
    """HTTP 4xx means the address is wrong: do not retry. Everything else may be transient."""
    if isinstance(err, urllib.error.HTTPError):
        return err.code >= 500 or err.code == 429
    return True


def _describe(err):
    if isinstance(err, urllib.error.HTTPError):
        return 'HTTP %d %s' % (err.code, err.reason)
    if isinstance(err, urllib.error.URLError):
        return str(err.reason)
    return '%s: %s' % (type(err).__name__, err)


def _checks(sha1, sha1_of):
    """The accepted (hexdigest, decompressed?) pairs of download's sha1 / sha1_of arguments."""
    if sha1_of not in (None, 'raw', 'decompressed'):
        raise ValueError("sha1_of must be None, 'raw' or 'decompressed', got %r" % (sha1_of,))
    if sha1 is None:
        return []
    if isinstance(sha1, str):
        return [(sha1, sha1_of == 'decompressed')]
    checks = []
    for digest, kind in sha1:
        if kind not in (None, 'raw', 'decompressed'):
            raise ValueError("a check's kind must be None, 'raw' or 'decompressed', got %r"
                             % (kind,))
        checks.append((digest, kind == 'decompressed'))
    return checks


def matches(path, checks):
    """True when the file at `path` passes one of the (hexdigest, decompressed?) checks (any
    file when there are none)."""
    if not checks:
        return True
    digests = {}
    for digest, decompressed in checks:
        if decompressed not in digests:
            digests[decompressed] = sha1_file(path, decompressed)
        if digests[decompressed] == digest:
            return True
    return False


def download(url, path, sha1=None, sha1_of=None, timeout=DEFAULT_TIMEOUT, retries=DEFAULT_RETRIES,
             budget=DEFAULT_BUDGET, overwrite=False, opener=None, verbose=False):
    """3.5/3.16: fetch `url` into the file `path` (or into folder `path` under the URL's name)
    atomically and return the file's path.

    sha1: expected hex digest; sha1_of: None (hash the bytes as downloaded) or 'decompressed'
    (hash the gzip-decompressed content, so a re-compressed copy of the same data passes).
    sha1 may also be a list of (hexdigest, sha1_of) pairs: the file is accepted when any of them
    matches (Fashion-MNIST: gluon's sha1 of its .gz bytes, or Debian's decompressed content).
    An existing file that already matches (or any existing file when sha1 is None) is kept
    unless `overwrite`. Each attempt has `timeout` seconds; at most `retries` more attempts are
    made, all within `budget` seconds. `opener(url, timeout)` returns a readable response
    (default urllib.request.urlopen; tests inject their own). Raises DownloadError.
    """
    checks = _checks(sha1, sha1_of)
    path = os.fspath(path)
    if os.path.isdir(path):
        path = os.path.join(path, url.rstrip('/').split('/')[-1])
    if not overwrite and os.path.isfile(path):
        try:
            if matches(path, checks):
                return path
        except DataFormatError:
            pass  # a corrupt cached file: fetch it again
    opener = opener or _default_opener
    deadline = time.monotonic() + budget
    errors = []
    for attempt in range(retries + 1):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            _fetch_once(url, path, checks, min(timeout, remaining), opener)
            return path
        except _ChecksumMismatch as err:
            raise DownloadError('download of %s failed: %s; nothing was written to %s'
                                % (url, err, path)) from None
        except (OSError, http.client.HTTPException, EOFError, zlib.error) as err:
            errors.append(err)
            if verbose:
                print('download attempt %d of %s failed: %s' % (attempt + 1, url, _describe(err)))
            if not _retryable(err):
                break
            pause = min(0.5 * 2 ** attempt, deadline - time.monotonic())
            if attempt < retries and pause > 0:
                time.sleep(pause)
    last = errors[-1] if errors else None
    raise DownloadError('download of %s failed after %d attempt(s) within %.0f s (timeout %.0f s '
                        'each): %s; nothing was written to %s'
                        % (url, len(errors), budget, timeout,
                           _describe(last) if last else 'no time left', path)) from last


class _ChecksumMismatch(Exception):
    pass


class _IncompleteDownload(OSError):
    """Fewer bytes than announced, or a gzip stream that stops early: worth another attempt."""


class _StreamHasher:
    """sha1 of a byte stream fed in chunks, optionally of its gzip-decompressed content."""

    def __init__(self, decompressed):
        self.digest = hashlib.sha1()
        self.decompressed = decompressed
        self.inflater = None
        self.started = False
        self.size = 0

    def update(self, chunk):
        self.size += len(chunk)
        if not self.decompressed:
            self.digest.update(chunk)
            return
        if not self.started:
            self.started = True
            if chunk[:2] == _GZIP_MAGIC:
                self.inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        if self.inflater is None:
            self.digest.update(chunk)
            return
        while chunk:
            self.digest.update(self.inflater.decompress(chunk))
            chunk = b''
            if self.inflater.eof and self.inflater.unused_data:   # a further gzip member
                chunk = self.inflater.unused_data
                self.inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def hexdigest(self):
        if self.inflater is not None and not self.inflater.eof:
            raise _IncompleteDownload('the gzip stream ends early (truncated download)')
        return self.digest.hexdigest()


def _fetch_once(url, path, checks, timeout, opener):
    """One attempt: stream into a temporary file beside `path`, verify against `checks` (any
    of the (hexdigest, decompressed?) pairs), then rename into place.

    The destination folder is created only once the server has answered, so a failed attempt
    leaves neither a file nor a new empty folder behind.
    """
    hashers = {decompressed: _StreamHasher(decompressed) for _, decompressed in checks}
    size = 0
    with contextlib.closing(opener(url, timeout)) as response:
        headers = getattr(response, 'headers', None)
        expected_size = headers.get('Content-Length') if headers is not None else None
        with atomic_write(path, 'wb') as handle:
            for chunk in iter(lambda: response.read(_CHUNK), b''):
                handle.write(chunk)
                size += len(chunk)
                for hasher in hashers.values():
                    hasher.update(chunk)
            if expected_size is not None and expected_size.isdigit() \
                    and int(expected_size) != size:
                raise _IncompleteDownload('got %d of %s bytes' % (size, expected_size))
            if checks:
                got = {decompressed: hasher.hexdigest() for decompressed, hasher in hashers.items()}
                if not any(got[decompressed] == digest for digest, decompressed in checks):
                    raise _ChecksumMismatch('; '.join(
                        'sha1 of the %s content is %s, expected %s'
                        % ('decompressed' if decompressed else 'downloaded', got[decompressed],
                           ' or '.join(d for d, k in checks if k == decompressed))
                        for decompressed in sorted(got)))
    return path


def first_complete_folder(folders, missing_in):
    """The first folder where missing_in(folder) lists nothing, and (folder, reason) for each one
    passed over before it; (None, looked) when none is complete."""
    looked = []
    for folder in folders:
        if not os.path.isdir(folder):
            looked.append((folder, 'no such folder'))
            continue
        missing = missing_in(folder)
        if not missing:
            return folder, looked
        looked.append((folder, 'missing ' + ', '.join(missing)))
    return None, looked
