"""Small helpers shared by every section: seeding, running sums, timing, safe writes, argument checks."""
import contextlib
import os
import random
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


@contextlib.contextmanager
def atomic_write(path, mode='w', **open_kwargs):
    """Open a temporary file beside `path` and rename it over `path` only if the block succeeds."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix='.' + os.path.basename(path) + '.', suffix='.part')
    try:
        with os.fdopen(fd, mode, **open_kwargs) as handle:
            yield handle
        os.chmod(tmp, 0o666 & ~_current_umask())   # mkstemp makes 0600; give the usual mode
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise
