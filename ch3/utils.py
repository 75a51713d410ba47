"""Small helpers shared by every section: seeding, running sums, timing, safe writes, argument checks."""
import contextlib
import math
import numbers
import os
import random
import tempfile
import time

import numpy as np
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


def check_int(name, value, minimum=None):
    """Return `value` if it is an integer >= minimum, else raise ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError('%s must be an integer, got %r' % (name, value))
    if minimum is not None and value < minimum:
        raise ValueError('%s must be >= %d, got %r' % (name, minimum, value))
    return int(value)


def check_positive_float(name, value):
    """Return `value` as float if it is a finite number > 0, else raise ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) \
            or value <= 0:
        raise ValueError('%s must be a finite number > 0, got %r' % (name, value))
    return float(value)


def check_training_args(batch_size=None, lr=None, num_epochs=None):
    """Validate the usual hyperparameters at once (None means 'not used here')."""
    if batch_size is not None:
        check_int('batch_size', batch_size, minimum=1)
    if lr is not None:
        check_positive_float('lr', lr)
    if num_epochs is not None:
        check_int('num_epochs', num_epochs, minimum=0)
