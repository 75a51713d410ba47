"""Data-parallel training on several devices and several processes with MXNet's kvstore.

With k replicas of the parameters w (devices of one process, or worker processes), a batch B is cut
into parts B_1..B_k, replica i computes g_i = sum_{j in B_i} grad l_j(w), and the kvstore sums them:

    g = g_1 + ... + g_k,        w <- w - lr * g / |B|,        |B| = |B_1| + ... + |B_k|,

so every replica takes the same step as one device on the whole batch. In one process the store is
'device' (or 'local'); across processes it is MXNet's parameter server ('dist_sync'): a scheduler,
servers that hold the sums, and workers, each training on its own shard of the data (by rank).
Start them with `ch3 launch` (this machine) or MXNet's tools/launch.py (several machines).

This module imports only mxnet, ch3.utils and ch3.context, so the data layer may use shard_bounds.
"""
import hashlib
import os
from collections import OrderedDict
from dataclasses import dataclass
from typing import Optional

import mxnet as mx
from mxnet import gluon

from ch3.checks import check_int

# The kvstore types MXNet 1.9.1 implements (src/kvstore/kvstore.cc picks the implementation from
# the name; mx.kv.create accepts ANY string and silently makes a local store of it).
KVSTORE_TYPES = OrderedDict([
    ('local', 'one process; gradients summed on the CPU'),
    ('device', 'one process; gradients summed on the devices (the default)'),
    ('nccl', 'one process, several GPUs summed with NVIDIA NCCL (needs MXNet built with NCCL)'),
    ('dist_sync', 'several processes: parameter server, synchronous (every worker waits for all)'),
    ('dist_device_sync', 'dist_sync, summing a worker\'s own devices on the devices'),
    ('dist_sync_device', 'another spelling of dist_device_sync'),
    ('dist_async', 'several processes: parameter server, each push updated as it arrives'),
])
DEFAULT_KVSTORE = 'device'

# Names found in MXNet's documentation that 1.9.1 does not implement (they would silently become
# a local store).
NOT_IN_THIS_MXNET = {
    'horovod': "MXNet 1.9.1 has no built-in 'horovod' kvstore (it came with MXNet 2.0); use "
               "Horovod's own horovod.mxnet.DistributedTrainer, or --kvstore dist_sync",
    'byteps': "MXNet 1.9.1 has no built-in 'byteps' kvstore (it came with MXNet 2.0); use BytePS's "
              "own byteps.mxnet package, or --kvstore dist_sync",
}

# What a launched process finds in its environment (set by ch3 launch or tools/launch.py).
DMLC_VARIABLES = ('DMLC_ROLE', 'DMLC_PS_ROOT_URI', 'DMLC_PS_ROOT_PORT', 'DMLC_NUM_SERVER',
                  'DMLC_NUM_WORKER')
LAUNCH_HINT = ('start it with `ch3 launch -n WORKERS [-s SERVERS] -- ch3 run SECTION --kvstore '
               '%s ...` on this machine, or with MXNet\'s tools/launch.py on several (see README, '
               '"Several devices and processes")')


class NotLaunchedError(ValueError):
    """A distributed kvstore was asked for outside a job started by a launcher."""


def is_distributed(name):
    """True for the parameter-server kvstores (dist_sync, dist_async, ...)."""
    return str(name).strip().lower().startswith('dist')


def is_synchronous(name):
    """True unless the kvstore updates asynchronously (dist_async)."""
    return 'async' not in str(name).lower()


def check_kvstore(name):
    """Return the kvstore name in MXNet's spelling (lower case) if this MXNet can use it, else a
    ValueError saying why and what to use instead (mx.kv.create itself accepts any string)."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError('kvstore must be a name such as %s, got %r'
                         % (', '.join(KVSTORE_TYPES), name))
    key = name.strip().lower()
    if key in NOT_IN_THIS_MXNET:
        raise ValueError('kvstore %r: %s' % (name, NOT_IN_THIS_MXNET[key]))
    if key not in KVSTORE_TYPES:
        raise ValueError('unknown kvstore %r; MXNet %s knows: %s'
                         % (name, mx.__version__, ', '.join(KVSTORE_TYPES)))
    features = mx.runtime.Features()
    if key == 'nccl' and not features.is_enabled('NCCL'):
        raise ValueError("kvstore 'nccl' needs an MXNet built with NCCL (a CUDA wheel such as "
                         "mxnet-cu117); this one is not: use 'device' for several devices")
    if is_distributed(key) and not features.is_enabled('DIST_KVSTORE'):
        raise ValueError('kvstore %r needs an MXNet built with DIST_KVSTORE (the pip wheels are); '
                         'this one is not' % name)
    return key


def check_launched(name, environ=None):
    """Raise NotLaunchedError unless this process is a worker of a launched job (DMLC_* set);
    without a scheduler a dist kvstore would wait forever or abort the interpreter."""
    environ = os.environ if environ is None else environ
    role = environ.get('DMLC_ROLE')
    if role is None:
        raise NotLaunchedError('kvstore %r needs a scheduler, servers and workers, but this '
                               'process was not started by a launcher (DMLC_ROLE is not set); '
                               % name + LAUNCH_HINT % name)
    if role != 'worker':
        raise NotLaunchedError('kvstore %r is used by workers, but DMLC_ROLE is %r in this '
                               'process' % (name, role))
    missing = [var for var in DMLC_VARIABLES if not environ.get(var)]
    if missing:
        raise NotLaunchedError('kvstore %r: DMLC_ROLE=worker but %s not set; '
                               % (name, ', '.join(missing)) + LAUNCH_HINT % name)
    return launched_num_workers(environ)


def launched_num_workers(environ=None):
    """DMLC_NUM_WORKER of a launched job as an int (known before the kvstore connects)."""
    environ = os.environ if environ is None else environ
    text = environ.get('DMLC_NUM_WORKER', '')
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise NotLaunchedError('DMLC_NUM_WORKER must be a positive integer, got %r' % text)
    return value


def shard_bounds(num_examples, num_parts, index):
    """(start, stop) of shard `index` of `num_parts` equal contiguous shards of num_examples.

    Every shard has num_examples // num_parts examples (the last num_examples % num_parts are not
    used), so synchronous workers take the same number of steps per epoch.
    """
    num_examples = check_int('num_examples', num_examples, minimum=0)
    num_parts = check_int('num_parts', num_parts, minimum=1)
    index = check_int('shard index', index, minimum=0)
    if index >= num_parts:
        raise ValueError('shard index %d is out of range for %d shards (0..%d)'
                         % (index, num_parts, num_parts - 1))
    if num_parts > num_examples:
        raise ValueError('%d workers but only %d training examples: every worker needs a shard '
                         'of at least one; use fewer workers (ch3 launch -n) or more data (no '
                         '--quick / a larger subset)' % (num_parts, num_examples))
    size = num_examples // num_parts
    return index * size, (index + 1) * size


def param_digest(params):
    """sha256 (hex) of the parameters' shapes, dtypes and values in the net's order (first
    device's copy); equal digests mean bit-identical parameters. params: a Block or
    ParameterDict (names are left out: their prefixes count the nets made in a process)."""
    if isinstance(params, gluon.Block):
        params = params.collect_params()
    digest = hashlib.sha256()
    for param in params.values():
        value = param.list_data()[0].asnumpy()
        digest.update(('%s %s;' % (value.shape, value.dtype)).encode())
        digest.update(value.tobytes())
    return digest.hexdigest()


class _BroadcastFirstTrainer(gluon.Trainer):
    """A Trainer that waits for the initial broadcast of the parameters before its first push.

    In MXNet 1.9.1's dist kvstore a worker's pull of the initial weights and its first gradient
    push use different engine variables, so the push may run first. The server can then finish
    summing every worker's gradient before it serves that pull, and the worker starts from the
    gradient sum instead of the weights (it diverged in about 1 run in 4 here without this wait).
    """

    def _init_params(self):
        super()._init_params()
        mx.nd.waitall()


class _FixedBatchTrainer(_BroadcastFirstTrainer):
    """A Trainer whose gradient scale is fixed at 1/batch_size: with dist_async the update runs on
    the servers, which keep the scale of the first step (Trainer raises if a later batch, such as
    the smaller last one, asks for another)."""

    def __init__(self, params, optimizer, optimizer_params, kvstore, batch_size):
        super().__init__(params, optimizer, optimizer_params, kvstore=kvstore)
        self._fixed_batch_size = batch_size

    def step(self, batch_size, ignore_stale_grad=False):
        super().step(self._fixed_batch_size, ignore_stale_grad)


@dataclass
class Worker:
    """This process's place in data-parallel training: kvstore name, the MXNet KVStore (dist only),
    rank and number of workers (0 and 1 in a single process)."""
    kvstore: str = DEFAULT_KVSTORE
    store: Optional[object] = None
    rank: int = 0
    num_workers: int = 1

    @property
    def distributed(self):
        return is_distributed(self.kvstore)

    @property
    def shard(self):
        """(num_parts, index) for the data loader, or None when this process sees all the data."""
        return (self.num_workers, self.rank) if self.distributed else None

    def trainer(self, params, optimizer, optimizer_params, batch_size=None):
        """A gluon.Trainer on this kvstore whose step(b) moves by the mean gradient over all the
        examples of the step (b on each of the num_workers workers when synchronous)."""
        if not self.distributed:
            return gluon.Trainer(params, optimizer, optimizer_params, kvstore=self.kvstore)
        optimizer_params = dict(optimizer_params or {})
        if is_synchronous(self.kvstore):
            # the servers return the sum over all workers: scale it to the mean; updating on the
            # workers (all from the same sum) keeps them identical and lets the last batch be
            # smaller
            optimizer_params['rescale_grad'] = \
                optimizer_params.get('rescale_grad', 1.0) / self.num_workers
            return _BroadcastFirstTrainer(params, optimizer, optimizer_params,
                                          kvstore=self.store, update_on_kvstore=False)
        if batch_size is None:
            raise ValueError('kvstore %r updates on the servers with a fixed gradient scale: '
                             'pass batch_size to Worker.trainer' % self.kvstore)
        return _FixedBatchTrainer(params, optimizer, optimizer_params, self.store,
                                  check_int('batch_size', batch_size, minimum=1))

    def folder(self, out):
        """out/worker-<rank> in a distributed run (workers must not overwrite each other), else out."""
        if out is None or not self.distributed:
            return out
        return os.path.join(out, 'worker-%d' % self.rank)

    def hyperparameters(self):
        """{'kvstore': name} when it is not the default, else {} (results stay as they were)."""
        return {} if self.kvstore == DEFAULT_KVSTORE else {'kvstore': self.kvstore}

    def summary(self, net):
        """For `final` of a distributed run: kvstore, rank, num_workers and the parameters'
        digest (equal on every worker after synchronous training); {} otherwise."""
        if not self.distributed:
            return {}
        return {'kvstore': self.kvstore, 'rank': self.rank, 'num_workers': self.num_workers,
                'param_digest': param_digest(net)}


def start_worker(kvstore=DEFAULT_KVSTORE, num_examples=None, verbose=True):
    """Check the kvstore name and, for a dist kvstore, that this is a launched worker and that
    num_examples (training examples to shard, or a function returning it; asked only here) cover
    every worker; then connect to the scheduler and return this process's Worker."""
    name = check_kvstore(kvstore)
    if not is_distributed(name):
        return Worker(name)
    num_workers = check_launched(name)
    if callable(num_examples):
        num_examples = num_examples()
    if num_examples is not None:
        shard_bounds(num_examples, num_workers, 0)   # too many workers: fail before connecting
    store = mx.kv.create(name)
    worker = Worker(name, store, store.rank, store.num_workers)
    if verbose:
        print('worker %d of %d (kvstore %s)' % (worker.rank, worker.num_workers, name), flush=True)
    return worker


def worker_folder(folder, result):
    """Where a run's metrics.json goes: folder/worker-<rank> for a distributed run's result."""
    final = result.get('final') or {}
    if folder is None or 'rank' not in final or not is_distributed(final.get('kvstore', '')):
        return folder
    return os.path.join(folder, 'worker-%d' % final['rank'])
