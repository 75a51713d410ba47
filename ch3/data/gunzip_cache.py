"""Decompressed copies of gzip data files, kept in a user cache so a run does not gunzip again.

Fashion-MNIST's training images are 26 MB of gzip and 47 MB decompressed: zlib takes about 0.35 s
for them on the 2-vCPU test machine, reading and checking a decompressed copy about 0.06 s, and
every `ch3 run` is a new process. A copy is named after its source's path, size and modification
time, and used only when its length and CRC-32 equal those in the source's gzip trailer, so a
changed source or a damaged copy is decompressed again. Copies are written whole or not at all
(a temporary file renamed into place); one copy is kept per file name; a cache folder that
cannot be written is skipped.

CH3_CACHE_DIR chooses the folder (default $XDG_CACHE_HOME/ch3, else ~/.cache/ch3); set it to an
empty string to turn the cache off.
"""
import contextlib
import glob
import gzip
import hashlib
import os
import struct
import zlib

from ch3.utils import atomic_write


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


def _read_good_copy(copy, trailer):
    """The copy's bytes when they match the gzip trailer, else None."""
    with open(copy, 'rb') as handle:
        data = handle.read()
    return data if matches_trailer(data, trailer) else None


def _store(copy, data):
    """Write the copy whole (or not at all) and remove older copies of the same file name."""
    with atomic_write(copy, 'wb') as handle:
        handle.write(data)
    stem = copy.rsplit('-', 1)[0]
    for old in glob.glob(glob.escape(stem) + '-' + '[0-9a-f]' * 16):
        if old != copy:
            with contextlib.suppress(OSError):
                os.remove(old)


def gunzip(path):
    """The decompressed bytes of the gzip file at `path`, read from the cache when it holds a
    good copy; gzip's own errors (EOFError, gzip.BadGzipFile, zlib.error) pass through."""
    folder, copy, trailer = cache_dir(), None, None
    if folder:
        try:
            trailer = gzip_trailer(path)
            copy = copy_path(path, folder)
            data = _read_good_copy(copy, trailer)
            if data is not None:
                return data
        except (OSError, struct.error):
            pass   # no copy yet, an unreadable one, or a file too short for a trailer
    with gzip.open(path, 'rb') as handle:
        data = handle.read()
    # a multi-member gzip's trailer covers only its last member: such files are not copied
    if copy and trailer and matches_trailer(data, trailer):
        with contextlib.suppress(OSError):   # a read-only or full cache: just no copy
            _store(copy, data)
    return data
