"""Decompressed copies of gzip data files, kept in a user cache so a run does not gunzip again.

Fashion-MNIST's training images are 26 MB of gzip and 47 MB decompressed: zlib takes about 0.35 s
for them on the 2-vCPU test machine, reading and checking a decompressed copy about 0.06 s, and
every `ch3 run` is a new process. A copy is named after its source's path, size and modification
time. It is trusted only for what it is: a regular file (not a link, FIFO or device; opened
without following links or blocking) whose size is the length in the source's gzip trailer, read
no further than that, and whose content has the sha1 the caller knows for that file (Fashion-MNIST's
decompressed digests), or else the trailer's CRC-32. A changed source, a damaged, forged or swapped
copy is decompressed again from the source and replaced. Copies are written whole or not at all (a
temporary file renamed into place); temporary files that killed runs left are removed; one copy is
kept per file name; a cache folder that cannot be written is skipped.

CH3_CACHE_DIR chooses the folder (default $XDG_CACHE_HOME/ch3, else ~/.cache/ch3); set it to an
empty string to turn the cache off.
"""
import contextlib
import glob
import gzip
import hashlib
import os
import stat
import struct
import zlib

from ch3.utils import atomic_write, remove_stale_temporaries


def cache_dir():
    """The cache folder from CH3_CACHE_DIR or XDG_CACHE_HOME, or None when CH3_CACHE_DIR is ''."""
    value = os.environ.get('CH3_CACHE_DIR')
    if value is not None:
        return os.path.expanduser(value) or None
    base = os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache')
    return os.path.join(base, 'ch3')


def gzip_trailer(path):
    """(CRC-32, length mod 2**32) of the decompressed data, from a gzip file's last 8 bytes."""
    with open(path, 'rb') as handle:
        handle.seek(-8, os.SEEK_END)
        return struct.unpack('<II', handle.read(8))


def copy_path(path, folder):
    """Where the decompressed copy of `path` lives in cache `folder`: its name without .gz and a
    key from its real path, size and modification time."""
    real, stat = os.path.realpath(path), os.stat(path)
    key = hashlib.sha1(('%s\0%d\0%d' % (real, stat.st_size, stat.st_mtime_ns)).encode())
    name = os.path.basename(real)
    name = name[:-3] if name.endswith('.gz') else name
    return os.path.join(folder, 'gunzipped', '%s-%s' % (name, key.hexdigest()[:16]))


def matches_trailer(data, trailer):
    """True when data's length and CRC-32 are those the gzip trailer records."""
    crc, length = trailer
    return len(data) & 0xFFFFFFFF == length and zlib.crc32(data) == crc


def _digests(sha1):
    """The accepted sha1 hex digests: None (unknown), one, or several."""
    if sha1 is None:
        return None
    return {sha1.lower()} if isinstance(sha1, str) else {d.lower() for d in sha1}


def _is_good(data, trailer, digests):
    """The content check of a copy or of fresh data: the known digest when there is one (it
    implies the content, so the CRC adds nothing), else the trailer's length and CRC-32."""
    if digests is not None:
        return len(data) & 0xFFFFFFFF == trailer[1] and hashlib.sha1(data).hexdigest() in digests
    return matches_trailer(data, trailer)


def _read_regular(path, size):
    """The `size` bytes of the regular file at `path`, or None when it is anything else (a link,
    a FIFO, a device) or has another size; never blocks and never reads past `size`."""
    flags = os.O_RDONLY | getattr(os, 'O_NOFOLLOW', 0) | getattr(os, 'O_NONBLOCK', 0)
    fd = os.open(path, flags)
    with os.fdopen(fd, 'rb') as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size != size:
            return None
        data = handle.read(size)
    return data if len(data) == size else None


def _read_good_copy(copy, trailer, digests=None):
    """The copy's bytes when it is a regular file of the trailer's length with good content,
    else None."""
    data = _read_regular(copy, trailer[1])
    return data if data is not None and _is_good(data, trailer, digests) else None


def _store(copy, data):
    """Write the copy whole (or not at all) and remove older copies of the same file name."""
    with atomic_write(copy, 'wb') as handle:
        handle.write(data)
    stem = copy.rsplit('-', 1)[0]
    for old in glob.glob(glob.escape(stem) + '-' + '[0-9a-f]' * 16):
        if old != copy:
            with contextlib.suppress(OSError):
                os.remove(old)


def gunzip(path, sha1=None):
    """The decompressed bytes of the gzip file at `path`, read from the cache when it holds a
    good copy; gzip's own errors (EOFError, gzip.BadGzipFile, zlib.error) pass through.

    `sha1`: the sha1 hex digest (or a collection of them) the decompressed content is known to
    have. A copy is then used only when it has one of them, and only content that has one is
    copied (other content is decompressed each time)."""
    folder, copy, trailer = cache_dir(), None, None
    digests = _digests(sha1)
    if folder:
        try:
            remove_stale_temporaries(os.path.join(folder, 'gunzipped'))
            trailer = gzip_trailer(path)
            copy = copy_path(path, folder)
            data = _read_good_copy(copy, trailer, digests)
            if data is not None:
                return data
        except (OSError, struct.error):
            pass   # no copy yet, a link or an unreadable one, or a file too short for a trailer
    with gzip.open(path, 'rb') as handle:
        data = handle.read()
    # a multi-member gzip's trailer covers only its last member: such files are not copied
    if copy and trailer and matches_trailer(data, trailer) and len(data) == trailer[1] \
            and (digests is None or _is_good(data, trailer, digests)):
        with contextlib.suppress(OSError):   # a read-only or full cache: just no copy
            _store(copy, data)
    return data
