"""Small helpers shared by every section: seeding, running sums, timing, safe writes, argument checks."""
import contextlib
import ctypes
import errno
import os
import random
import re
import shutil
import tempfile
import time

import numpy as np

from ch3.checks import check_int
import mxnet as mx


def set_seed(seed):
    """Seed Python's random, numpy and mx.random together so a run repeats exactly."""
    seed = check_int('seed', seed, minimum=0)
    random.seed(seed)
    np.random.seed(seed)
    mx.random.seed(seed)
    return seed


class Accumulator:
    """Running sums over n variables (values may be Python numbers or NDArrays on a device)."""

    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        self.data = [a + b for a, b in zip(self.data, args)]

    def reset(self):
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx):
        return self.data[idx]


class Timer:
    """Record several running times; `stop` returns the last one in seconds."""

    def __init__(self):
        self.times = []
        self.start()

    def start(self):
        self.tik = time.perf_counter()

    def stop(self):
        self.times.append(time.perf_counter() - self.tik)
        return self.times[-1]

    def sum(self):
        return sum(self.times)

    def avg(self):
        return self.sum() / len(self.times)


def _current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _temp_prefix(name):
    """The start of a temporary name beside `name`: hidden, and naming the writing process so a
    later run can tell a live writer's file from one a killed run left."""
    return '.%s.%d-' % (name, os.getpid())


# atomic_write's and staged_dir's names; the pid is missing in those of older ch3 versions
_TEMP_NAME = re.compile(r'^\.(?P<name>.+)\.(?:(?P<pid>\d+)-)?[^.]+\.(?:part|staging)$')
STALE_AFTER = 24 * 3600   # seconds: a temporary file this old is stale whoever wrote it


def _writer_alive(pid):
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:   # another user's live process
        return True
    return True


def remove_stale_temporaries(folder, name=None):
    """Remove the temporary files and staging folders that killed runs left in `folder` (those of
    `name` only, when given): entries named by atomic_write or staged_dir whose writing process
    is gone, or older than STALE_AFTER. Returns the paths removed."""
    removed = []
    try:
        entries = os.listdir(folder)
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP_NAME.match(entry)
        if not match or (name is not None and match.group('name') != name):
            continue
        path = os.path.join(folder, entry)
        try:
            age = time.time() - os.lstat(path).st_mtime
        except OSError:
            continue
        pid = match.group('pid')
        if age < STALE_AFTER and (pid is None or _writer_alive(int(pid))):
            continue
        with contextlib.suppress(OSError):
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.remove(path)
            removed.append(path)
    return removed


@contextlib.contextmanager
def atomic_write(path, mode='w', **open_kwargs):
    """Open a temporary file beside `path` and rename it over `path` only if the block succeeds."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=_temp_prefix(os.path.basename(path)),
                               suffix='.part')
    try:
        with os.fdopen(fd, mode, **open_kwargs) as handle:
            yield handle
        os.chmod(tmp, 0o666 & ~_current_umask())   # mkstemp makes 0600; give the usual mode
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise


# Files whose presence marks a folder as one ch3 wrote (a run, a report, exercise figures).
OUTPUT_MARKERS = ('metrics.json', 'index.html', 'results.json')


def _is_output_folder(path):
    """True when `path` is empty or holds a ch3 output (a marker at its top or one level down)."""
    entries = [e for e in os.listdir(path) if not _TEMP_NAME.match(e)]
    if not entries or any(e in OUTPUT_MARKERS for e in entries):
        return True
    return any(os.path.isfile(os.path.join(path, e, marker))
               for e in entries for marker in OUTPUT_MARKERS)


def _exchange(a, b):
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), b)


@contextlib.contextmanager
def staged_dir(path):
    """Build the output folder `path` in a fresh sibling and put it in place only if the block
    succeeds: readers see the old folder or the new one, never a mix, and a failed or killed run
    leaves the old one (or none). Yields the sibling's path. The old folder is replaced whole, so
    it must be empty or one ch3 wrote (ValueError otherwise); what killed runs left beside it is
    removed first."""
    path = os.path.abspath(os.fspath(path))
    parent, name = os.path.split(path)
    os.makedirs(parent, exist_ok=True)
    remove_stale_temporaries(parent, name)
    if os.path.lexists(path) and not os.path.isdir(path):
        raise ValueError('%s is not a folder; give a folder for the output' % path)
    if os.path.isdir(path) and not _is_output_folder(path):
        raise ValueError('%s holds files ch3 did not write (it would replace them all); give a '
                         'new or empty folder' % path)
    staging = tempfile.mkdtemp(dir=parent, prefix=_temp_prefix(name), suffix='.staging')
    try:
        yield staging
        os.chmod(staging, 0o777 & ~_current_umask())   # mkdtemp makes 0700
        if not os.path.isdir(path):
            os.rename(staging, path)
        elif _exchange(staging, path):
            shutil.rmtree(staging, ignore_errors=True)   # the old folder, now under that name
        else:   # two renames: a kill between them leaves the old folder beside, no mix
            old = tempfile.mkdtemp(dir=parent, prefix=_temp_prefix(name), suffix='.staging')
            os.rename(path, os.path.join(old, name))
            os.rename(staging, path)
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
