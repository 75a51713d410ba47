"""Data parallelism in one process (two CPU contexts, step by step) and ch3.harness.distributed's checks,
shards, digests and trainers (the launched multi-process job is in test_launch.py)."""
import json
import os

import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd, gluon, init, nd
from mxnet.gluon import loss as gloss, nn

import ch3
from ch3.harness import cli
from ch3.harness import distributed as dist
from ch3.data.fashion_mnist import load_fashion_mnist_arrays
from ch3.harness.runs.data import fashion_mnist_iters
from ch3.book import softmax as sm
from ch3.harness.training import train_on_devices

TWO_CPUS = [mx.cpu(0), mx.cpu(1)]


@pytest.fixture(autouse=True)
def _not_launched(monkeypatch):
    """These tests run outside any launched job, whatever the caller's environment holds."""
    for name in dist.DMLC_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def _blobs(n=80, classes=3, dim=4, seed=1):
    rng = np.random.RandomState(seed)
    labels = rng.randint(0, classes, size=n)
    features = rng.normal(scale=3, size=(classes, dim))[labels] + rng.normal(size=(n, dim))
    return nd.array(features), nd.array(labels)


class StepRecorder:
    """Wraps a Trainer for train_on_devices: after every step, records each parameter on every
    context."""

    def __init__(self, trainer, net, contexts):
        self.trainer, self.net, self.contexts = trainer, net, contexts
        self.snapshots = []   # per step, per parameter: [copy on ctx 0, copy on ctx 1, ...]

    @property
    def learning_rate(self):
        return self.trainer.learning_rate

    def step(self, batch_size):
        self.trainer.step(batch_size)
        self.snapshots.append([[p.data(c).asnumpy() for c in self.contexts]
                               for p in self.net.collect_params().values()])


def _train_recorded(contexts, loader, kvstore='device', epochs=2):
    mx.random.seed(3)
    net = nn.Dense(3, in_units=4)
    net.initialize(init.Normal(sigma=0.01), ctx=contexts)
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1}, kvstore=kvstore)
    recorder = StepRecorder(trainer, net, contexts)
    history = train_on_devices(net, loader, loader, gloss.SoftmaxCrossEntropyLoss(), epochs, 20,
                               recorder, contexts, verbose=False)
    return recorder.snapshots, history


@pytest.mark.parametrize('kvstore', ['device', 'local'])
def test_two_contexts_hold_identical_parameters_after_every_step(kvstore):
    features, labels = _blobs(n=90)   # batches of 20, ..., 20, 10: the last one is split 5 + 5
    loader = gluon.data.DataLoader(gluon.data.ArrayDataset(features, labels), 20, shuffle=False)
    one, one_history = _train_recorded([mx.cpu(0)], loader, kvstore)
    two, two_history = _train_recorded(TWO_CPUS, loader, kvstore)
    assert len(one) == len(two) == 2 * 5
    for step_one, step_two in zip(one, two):
        for copies, (alone,) in zip(step_two, step_one):
            np.testing.assert_array_equal(copies[0], copies[1])   # replicas never drift apart
            # same step as one device on the whole batch (the sums differ only in rounding)
            np.testing.assert_allclose(copies[0], alone, rtol=1e-5, atol=1e-7)
    for a, b in zip(one_history, two_history):
        assert a['loss'] == pytest.approx(b['loss'], rel=1e-5)
        assert a['test_acc'] == pytest.approx(b['test_acc'], abs=1e-9)


def test_softmax_on_real_data_two_contexts_match_one_step_by_step():
    train_iter, test_iter = fashion_mnist_iters(256, [mx.cpu()], subset=1000)
    runs = []
    for contexts in ([mx.cpu(0)], TWO_CPUS):
        mx.random.seed(0)
        np.random.seed(0)   # the same shuffles
        net = sm.gluon_net(contexts)
        trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
        recorder = StepRecorder(trainer, net, contexts)
        history = train_on_devices(net, train_iter, test_iter, gloss.SoftmaxCrossEntropyLoss(),
                                   2, 256, recorder, contexts, verbose=False)
        runs.append((recorder.snapshots, history))
    (one, one_history), (two, two_history) = runs
    assert len(two) == 2 * len(train_iter) >= 2 * 3
    for step_one, step_two in zip(one, two):
        for copies, (alone,) in zip(step_two, step_one):
            np.testing.assert_array_equal(copies[0], copies[1])
            np.testing.assert_allclose(copies[0], alone, rtol=1e-4, atol=1e-6)
    assert two_history[-1]['test_acc'] == pytest.approx(one_history[-1]['test_acc'], abs=0.005)
    assert two_history[-1]['test_acc'] > 0.5   # chance is 0.1
    assert two_history[-1]['loss'] == pytest.approx(one_history[-1]['loss'], rel=1e-4)


def test_softmax_section_on_two_contexts_matches_one_context():
    one = ch3.run_section('3.7', ctx='cpu', quick=True, verbose=False)
    two = ch3.run_section('3.7', ctx='cpu:0,cpu:1', quick=True, verbose=False)
    assert two['final']['test_acc'] == pytest.approx(one['final']['test_acc'], abs=0.005)
    assert two['final']['loss'] == pytest.approx(one['final']['loss'], rel=1e-4)
    assert 'kvstore' not in two['hyperparameters'] and 'rank' not in two['final']


# --- kvstore names ----------------------------------------------------------------------------

def test_mxnet_itself_accepts_any_kvstore_name_so_we_check_them():
    assert mx.kv.create('bogus').type == 'bogus'   # why check_kvstore exists
    with pytest.raises(ValueError, match=r"unknown kvstore 'bogus'.*local, device, nccl, "
                                         r"dist_sync"):
        dist.check_kvstore('bogus')


@pytest.mark.parametrize('name, expected', [('device', 'device'), ('Local', 'local'),
                                            (' dist_sync ', 'dist_sync'),
                                            ('DIST_ASYNC', 'dist_async'),
                                            ('dist_device_sync', 'dist_device_sync')])
def test_known_kvstore_names_are_accepted_in_mxnet_spelling(name, expected):
    assert dist.check_kvstore(name) == expected


@pytest.mark.parametrize('name, message', [
    ('horovod', "no built-in 'horovod' kvstore.*MXNet 2.0"),
    ('byteps', "no built-in 'byteps'"),
    ('', 'kvstore must be a name'),
    (None, 'kvstore must be a name'),
    ('dist', "unknown kvstore 'dist'"),
])
def test_kvstore_names_this_mxnet_cannot_use(name, message):
    with pytest.raises(ValueError, match=message):
        dist.check_kvstore(name)


def test_nccl_needs_a_build_with_nccl():
    if mx.runtime.Features().is_enabled('NCCL'):
        assert dist.check_kvstore('nccl') == 'nccl'
    else:
        with pytest.raises(ValueError, match="'nccl' needs an MXNet built with NCCL.*'device'"):
            dist.check_kvstore('nccl')


# --- launched or not --------------------------------------------------------------------------

LAUNCHED = {'DMLC_ROLE': 'worker', 'DMLC_PS_ROOT_URI': '127.0.0.1', 'DMLC_PS_ROOT_PORT': '9000',
            'DMLC_NUM_SERVER': '1', 'DMLC_NUM_WORKER': '3'}


def test_a_dist_kvstore_outside_a_launched_job_is_refused_before_connecting():
    with pytest.raises(dist.NotLaunchedError, match=r"DMLC_ROLE is not set.*ch3 launch -n"):
        dist.start_worker('dist_sync')
    assert dist.check_launched('dist_sync', LAUNCHED) == 3
    with pytest.raises(dist.NotLaunchedError, match="DMLC_ROLE is 'server'"):
        dist.check_launched('dist_sync', dict(LAUNCHED, DMLC_ROLE='server'))
    with pytest.raises(dist.NotLaunchedError, match='DMLC_PS_ROOT_PORT not set'):
        dist.check_launched('dist_sync', {k: v for k, v in LAUNCHED.items()
                                          if k != 'DMLC_PS_ROOT_PORT'})
    with pytest.raises(dist.NotLaunchedError, match='DMLC_NUM_WORKER must be a positive'):
        dist.check_launched('dist_sync', dict(LAUNCHED, DMLC_NUM_WORKER='0'))


def test_more_workers_than_examples_fails_before_connecting(monkeypatch):
    monkeypatch.setattr(os, 'environ', dict(os.environ, **LAUNCHED))
    monkeypatch.setattr(mx.kv, 'create', lambda name: pytest.fail('must not connect'))
    with pytest.raises(ValueError, match='3 workers but only 2 training examples'):
        dist.start_worker('dist_sync', num_examples=lambda: 2)


def test_single_process_workers_see_all_the_data():
    worker = dist.start_worker('local')
    assert (worker.rank, worker.num_workers, worker.shard, worker.distributed) == (0, 1, None,
                                                                                  False)
    assert worker.hyperparameters() == {'kvstore': 'local'}
    assert dist.start_worker().hyperparameters() == {}   # the default stays out of results
    assert worker.folder('out') == 'out' and worker.summary(None) == {}


# --- shards -----------------------------------------------------------------------------------

def test_shards_are_equal_contiguous_and_disjoint():
    assert [dist.shard_bounds(10, 3, i) for i in range(3)] == [(0, 3), (3, 6), (6, 9)]
    assert dist.shard_bounds(60000, 2, 1) == (30000, 60000)
    assert dist.shard_bounds(5, 5, 4) == (4, 5)
    with pytest.raises(ValueError, match='6 workers but only 5 training examples'):
        dist.shard_bounds(5, 6, 0)
    with pytest.raises(ValueError, match='shard index 2 is out of range for 2 shards'):
        dist.shard_bounds(10, 2, 2)


def test_fashion_mnist_training_shards_partition_the_subset_and_the_test_split_is_whole():
    images, labels = load_fashion_mnist_arrays(train=True)
    seen = []
    for index in range(3):
        train_iter, test_iter = fashion_mnist_iters(100, [mx.cpu()], 302, (3, index))
        assert train_iter.num_examples == 100 and test_iter.num_examples == 302
        np.testing.assert_array_equal(train_iter.labels.asnumpy(),
                                      labels[100 * index: 100 * (index + 1)])
        np.testing.assert_allclose(train_iter.data[:2].asnumpy()[:, 0],
                                   images[100 * index: 100 * index + 2] / 255.0, rtol=1e-6)
        seen.append(train_iter.labels.asnumpy())
    assert np.concatenate(seen).shape == (300,)   # 302 // 3 each; the last 2 are not used
    with pytest.raises(ValueError, match=r'shard must be a \(num_parts, index\) pair'):
        fashion_mnist_iters(100, [mx.cpu()], 10, 3)
    with pytest.raises(ValueError, match='11 workers but only 10 training examples'):
        fashion_mnist_iters(100, [mx.cpu()], 10, (11, 0))


# --- digests and trainers ---------------------------------------------------------------------

def _dense(seed=0, ctx=None):
    mx.random.seed(seed)
    net = nn.Dense(2, in_units=3)
    net.initialize(init.Normal(sigma=1.0), ctx=ctx)
    return net


def test_param_digest_is_equal_for_equal_parameters_only():
    a, b = _dense(), _dense()
    assert dist.param_digest(a) == dist.param_digest(b.collect_params())
    w = b.weight.data().asnumpy()
    w[0, 0] = np.nextafter(w[0, 0], np.float32(np.inf))   # one ulp
    b.weight.set_data(nd.array(w))
    assert dist.param_digest(a) != dist.param_digest(b)
    assert len(dist.param_digest(a)) == 64


def _one_step(trainer, net, X, y, batch_size):
    with autograd.record():
        l = gloss.SoftmaxCrossEntropyLoss()(net(X), y).sum()
    l.backward()
    trainer.step(batch_size)


def _expected_step(net, X, y, lr, divisor):
    w0 = net.weight.data().asnumpy().copy()
    with autograd.record():
        l = gloss.SoftmaxCrossEntropyLoss()(net(X), y).sum()
    l.backward()
    return w0 - lr * net.weight.grad().asnumpy() / divisor


def test_synchronous_workers_step_by_the_mean_over_all_workers_examples():
    """The servers return the SUM of the workers' gradients; a local store with one process
    passes it through, so a 'rank 1 of 2' trainer must divide by 2 * batch itself."""
    X, y = nd.array(np.random.RandomState(0).randn(5, 3)), nd.array([0, 1, 1, 0, 1])
    net = _dense()
    expected = _expected_step(net, X, y, 0.1, 2 * 5)
    worker = dist.Worker('dist_sync', mx.kv.create('local'), rank=1, num_workers=2)
    trainer = worker.trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    _one_step(trainer, net, X, y, 5)
    np.testing.assert_allclose(net.weight.data().asnumpy(), expected, rtol=1e-6)
    assert worker.shard == (2, 1) and worker.folder('out') == os.path.join('out', 'worker-1')
    summary = worker.summary(net)
    assert summary == {'kvstore': 'dist_sync', 'rank': 1, 'num_workers': 2,
                       'param_digest': dist.param_digest(net)}


def test_asynchronous_workers_scale_by_the_nominal_batch():
    X, y = nd.array(np.random.RandomState(1).randn(3, 3)), nd.array([0, 1, 1])
    net = _dense()
    expected = _expected_step(net, X, y, 0.1, 8)   # a last batch of 3, nominal size 8
    worker = dist.Worker('dist_async', mx.kv.create('local'), rank=0, num_workers=2)
    with pytest.raises(ValueError, match='pass batch_size'):
        worker.trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    trainer = worker.trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1}, batch_size=8)
    _one_step(trainer, net, X, y, 3)
    np.testing.assert_allclose(net.weight.data().asnumpy(), expected, rtol=1e-6)


def test_metrics_of_a_distributed_run_go_to_a_folder_per_rank():
    result = {'final': {'kvstore': 'dist_sync', 'rank': 3}}
    assert dist.worker_folder('out', result) == os.path.join('out', 'worker-3')
    assert dist.worker_folder('out', {'final': {'test_acc': 0.8}}) == 'out'
    assert dist.worker_folder(None, result) is None


# --- the command line -------------------------------------------------------------------------

def _cli(argv, capsys):
    status = cli.main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_run_with_kvstore_local_on_two_contexts_records_it(tmp_path, capsys):
    status, _, _ = _cli(['run', '3.7', '--quick', '--epochs', '1', '--ctx', 'cpu:0,cpu:1',
                         '--kvstore', 'local', '--out', str(tmp_path)], capsys)
    assert status == 0
    with open(tmp_path / 'metrics.json') as handle:
        metrics = json.load(handle)
    assert metrics['hyperparameters']['kvstore'] == 'local'
    assert metrics['final']['test_acc'] > 0.5


@pytest.mark.parametrize('argv, message', [
    (['run', '3.7', '--kvstore', 'bogus'], "unknown kvstore 'bogus'"),
    (['run', '3.10', '--kvstore', 'dist_sync'], 'not started by a launcher.*ch3 launch'),
    (['run', '3.6', '--kvstore', 'local'], 'has no hyperparameter kvstore, so --kvstore does '
                                           'not apply'),
])
def test_run_reports_kvstore_mistakes_in_one_line(argv, message, tmp_path, capsys):
    status, _, err = _cli(argv + ['--quick', '--out', str(tmp_path)], capsys)
    assert status == 2
    assert err.startswith('ch3 run: error: ') and err.count('\n') == 1
    assert __import__('re').search(message, err)
    assert not os.listdir(tmp_path)
