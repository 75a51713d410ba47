"""ch3 launch: a real dist_sync job on loopback against a hand-made reference, and the launcher's
failure handling (a failing or stubborn process, timeouts, signals, a port in use), each checked
for processes left behind."""
import contextlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time

import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd, gluon, nd
from mxnet.gluon import loss as gloss

from ch3.harness import cli
from ch3.data.fashion_mnist import load_fashion_mnist_arrays
from ch3.harness.runs.data import fashion_mnist_iters
from ch3.harness.launch import Job, LaunchError, _in_group
from ch3.book import softmax as sm
from conftest import default_sigint

PY = sys.executable
SLEEPER = [PY, '-c', 'import time; time.sleep(60)']      # stands in for a scheduler or server
pytestmark = pytest.mark.skipif(not sys.platform.startswith('linux'),
                                reason='process groups and /proc are checked the Linux way')


def _script(code):
    return [PY, '-c', code]


def _assert_nothing_left(pgids):
    """No live process remains in any of the job's process groups (grandchildren included)."""
    deadline = time.monotonic() + 5
    left = [pid for pgid in pgids for pid in _in_group(pgid)]
    while left and time.monotonic() < deadline:   # a SIGKILLed child may need a moment
        time.sleep(0.05)
        left = [pid for pgid in pgids for pid in _in_group(pgid)]
    assert left == []


def _job(command, num_workers=2, num_servers=1, **kwargs):
    out, log = io.StringIO(), io.StringIO()
    kwargs.setdefault('server_cmd', SLEEPER)
    job = Job(command, num_workers, num_servers, stream=out, log=log, **kwargs)
    started = time.monotonic()
    status = job.run()
    _assert_nothing_left([node.proc.pid for node in job.nodes])
    assert all(node.returncode is not None for node in job.nodes)
    return status, out.getvalue(), log.getvalue(), time.monotonic() - started, job


# --- the real thing: 2 workers and 1 server, softmax regression, one short epoch ----------------

SUBSET = 6000   # 3000 images per worker: 11 steps of 2 x 256, enough to be well above chance

def _batch_sizes(size, batch_size):
    """The batch sizes the data layer gives one epoch of a shard of `size` images."""
    np.random.seed(0)
    train_iter, _ = fashion_mnist_iters(batch_size, [None], subset=size)
    return [y.shape[0] for _, y in train_iter]


def _reference_run(num_workers=2, batch_size=256, lr=0.1, subset=SUBSET):
    """Plain SGD in one process on the union of the workers' batches (what dist_sync should do,
    each step divided by the nominal num_workers * batch_size):
    worker r holds training images [r*s, (r+1)*s), s = subset // num_workers, and every worker
    draws the same order of its shard (same seed). Returns (per-worker mean loss, test accuracy)."""
    images, labels = load_fashion_mnist_arrays(train=True)
    size = subset // num_workers
    sizes = _batch_sizes(size, batch_size)
    X = nd.array(images[:subset].reshape(-1, 1, 28, 28) / np.float32(255))
    y = nd.array(labels[:subset])
    mx.random.seed(0)
    np.random.seed(0)
    order = np.arange(size)
    np.random.shuffle(order)
    net = sm.gluon_net()
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': lr})
    loss = gloss.SoftmaxCrossEntropyLoss()
    loss_sums = np.zeros(num_workers)
    for start, part in zip(np.cumsum([0] + sizes[:-1]), sizes):
        idx = [nd.array(order[start:start + part] + r * size, dtype='int32')
               for r in range(num_workers)]
        with autograd.record():
            parts = [loss(net(X.take(i)), y.take(i)).sum() for i in idx]
            total = nd.add_n(*parts)
        total.backward()
        trainer.step(num_workers * batch_size)   # the book's rule: the nominal batch size
        loss_sums += [p.asscalar() for p in parts]
    test_images, test_labels = load_fashion_mnist_arrays(train=False)
    Xt = nd.array(test_images[:subset].reshape(-1, 1, 28, 28) / np.float32(255))
    test_acc = (net(Xt).argmax(axis=1).asnumpy() == test_labels[:subset]).mean()
    return loss_sums / sum(sizes), float(test_acc)


def test_two_workers_and_a_server_train_softmax_like_one_process_on_the_union(tmp_path):
    command = [PY, '-m', 'ch3', 'run', '3.7', '--epochs', '1', '--set', 'subset=%d' % SUBSET,
               '--kvstore', 'dist_sync', '--out', str(tmp_path)]
    status, out, log, seconds, job = _job(command, 2, 1, server_cmd=None, timeout=120)
    assert status == 0, out + log
    assert seconds < 60
    records = []
    for rank in range(2):
        with open(tmp_path / ('worker-%d' % rank) / 'metrics.json') as handle:
            records.append(json.load(handle))
    finals = [r['final'] for r in records]
    assert sorted(f['rank'] for f in finals) == [0, 1]
    assert all(f['num_workers'] == 2 and f['kvstore'] == 'dist_sync' for f in finals)
    assert finals[0]['param_digest'] == finals[1]['param_digest']   # bit-identical parameters
    assert finals[0]['test_acc'] == finals[1]['test_acc'] > 0.6     # chance is 0.1
    assert records[0]['hyperparameters']['kvstore'] == 'dist_sync'
    # each worker trained on its own half: its loss is over its shard, and matches the reference
    losses, test_acc = _reference_run()
    for f in finals:
        assert f['loss'] == pytest.approx(losses[f['rank']], rel=1e-4)
    assert finals[0]['test_acc'] == pytest.approx(test_acc, abs=1e-3)
    assert '[worker 0] epoch 1, loss' in out and '[worker 1] epoch 1, loss' in out
    for node in job.nodes:
        assert node.returncode == 0   # the scheduler and the server stopped by themselves


def test_more_workers_than_examples_fails_fast_and_stops_scheduler_and_server(tmp_path):
    command = [PY, '-m', 'ch3', 'run', '3.7', '--quick', '--set', 'subset=1', '--kvstore',
               'dist_sync', '--out', str(tmp_path)]
    status, out, log, seconds, job = _job(command, 2, 1, server_cmd=None, timeout=60)
    assert status == 2
    assert 'ch3 run: error: 2 workers but only 1 training examples' in out
    assert 'exited with status 2; stopping the other processes' in log
    scheduler = job.nodes[0]
    assert scheduler.role == 'scheduler' and scheduler.returncode == -signal.SIGTERM
    assert not os.listdir(tmp_path)


# --- failures with stand-in processes (fast) ---------------------------------------------------

def test_a_failing_worker_stops_the_others_and_its_status_is_returned():
    worker = _script('import os, sys, time\n'
                     'env = os.environ\n'
                     'print("hello", env["DMLC_ROLE"], env["CH3_LAUNCH_INDEX"], '
                     'env["DMLC_NUM_WORKER"], env["DMLC_NUM_SERVER"], env["DMLC_PS_ROOT_URI"])\n'
                     'if env["CH3_LAUNCH_INDEX"] == "1":\n'
                     '    time.sleep(0.5); sys.exit(3)\n'
                     'time.sleep(60)\n')
    status, out, log, seconds, job = _job(worker, 2, 2, grace=2)
    assert status == 3 and seconds < 10
    assert [n.label for n in job.nodes] == ['scheduler', 'server 0', 'server 1', 'worker 0',
                                            'worker 1']
    assert '[worker 0] hello worker 0 2 2 127.0.0.1\n' in out
    assert '[worker 1] hello worker 1 2 2 127.0.0.1\n' in out
    assert 'worker 1 exited with status 3; stopping the other processes' in log
    assert job.nodes[3].returncode == -signal.SIGTERM


def test_a_process_that_ignores_sigterm_is_killed_after_the_grace_period():
    stubborn = _script('import signal, time\n'
                       'signal.signal(signal.SIGTERM, signal.SIG_IGN)\n'
                       'time.sleep(60)\n')
    status, _, _, seconds, job = _job(_script('import time, sys; time.sleep(1.5); sys.exit(1)'),
                                      1, 1, server_cmd=stubborn, grace=0.5)
    assert status == 1 and seconds < 10
    assert job.nodes[0].returncode == -signal.SIGKILL


def test_timeout_stops_every_process_and_its_children():
    status, _, log, seconds, _ = _job(['sh', '-c', 'sleep 60 & wait'], 2, 1, timeout=1, grace=1)
    assert status == 124 and seconds < 8
    assert 'timed out after 1 s' in log


def test_a_worker_killed_by_a_signal_gives_128_plus_the_signal():
    status, _, _, _, _ = _job(_script('import os, signal; os.kill(os.getpid(), signal.SIGKILL)'),
                              1, 1)
    assert status == 128 + signal.SIGKILL


def test_workers_that_never_join_leave_the_servers_waiting_and_that_is_reported():
    status, _, log, _, _ = _job(_script('pass'), 2, 1, shutdown_wait=0.5)
    assert status == 1
    assert 'did not stop' in log and '--kvstore dist_sync' in log


def test_success_when_every_process_ends_well():
    status, out, _, _, _ = _job(_script('print("done")'), 2, 1, server_cmd=_script('pass'))
    assert status == 0 and out.count('done') == 2


# --- bad input ----------------------------------------------------------------------------------

@contextlib.contextmanager
def _listening():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(('127.0.0.1', 0))
    sock.listen(1)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


def test_a_port_in_use_is_refused_before_anything_starts(tmp_path, capsys):
    marker = tmp_path / 'started'
    with _listening() as port:
        with pytest.raises(LaunchError, match='port %d on 127.0.0.1 is in use; choose another '
                                              'with --port' % port):
            Job(['touch', str(marker)], 1, port=port)
        status = cli.main(['launch', '-n', '1', '--port', str(port), '--', 'touch', str(marker)])
    err = capsys.readouterr().err
    assert status == 2 and err.startswith('ch3 launch: error: port %d' % port)
    assert not marker.exists()


@pytest.mark.parametrize('args, message', [
    ((['true'], 0), r'number of workers \(-n\) must be an integer >= 1'),
    ((['true'], 1, 0), r'number of servers \(-s\) must be an integer >= 1'),
    (([], 1), 'no worker command given'),
    ((['no-such-command-ch3'], 1), "worker command 'no-such-command-ch3' not found"),
])
def test_bad_job_arguments(args, message):
    with pytest.raises(LaunchError, match=message):
        Job(*args)
    with pytest.raises(LaunchError, match='timeout must be'):
        Job(['true'], 1, timeout=0)


@pytest.mark.parametrize('argv, message', [
    (['launch', '-n', '1'], 'no worker command given'),
    (['launch', '-n', '0', '--', 'true'], 'workers must be >= 1'),
    (['launch', '--', 'true'], 'the following arguments are required: -n'),
])
def test_cli_launch_usage_errors(argv, message, capsys):
    try:
        status = cli.main(argv)
    except SystemExit as stop:   # argparse's own errors
        status = stop.code
    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith('ch3 launch: error: ') and message in err


# --- the launcher itself interrupted or killed -------------------------------------------------

def _children(pid):
    found = []
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                with open('/proc/%s/stat' % entry) as handle:
                    fields = handle.read().rsplit(')', 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def _start_launcher(worker=None, grace=5, workers=2, ready=None):
    """A `ch3 launch` process whose workers have all printed a line ending in `ready` (default:
    stand-ins that print `up` and sleep); returns it and its children (the job and the
    watchdog)."""
    worker = worker or [PY, '-c', 'import time; print("up", flush=True); time.sleep(60)']
    ready = ready or '] up\n'
    proc = subprocess.Popen([PY, '-m', 'ch3', 'launch', '-n', str(workers), '--timeout', '120',
                             '--grace', str(grace), '--'] + worker,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=default_sigint)
    ups = 0
    while ups < workers:
        line = proc.stdout.readline()
        assert line, proc.stderr.read()
        ups += line.endswith(ready)
    children = _children(proc.pid)
    assert len(children) == 3 + workers   # scheduler, server, the workers, the watchdog
    return proc, children


def _wait_until_gone(pgids, seconds):
    """Wait up to `seconds` for every process of the groups to end; return the ones left."""
    deadline = time.monotonic() + seconds
    left = [pid for pgid in pgids for pid in _in_group(pgid)]
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = [pid for pgid in pgids for pid in _in_group(pgid)]
    return left


@pytest.mark.parametrize('sig', [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_stops_the_job_and_exits_130(sig):
    proc, children = _start_launcher()
    proc.send_signal(sig)
    assert proc.wait(timeout=30) == 130
    assert 'stopping every process' in proc.stderr.read()
    _assert_nothing_left(children)


def test_a_killed_launcher_takes_its_processes_with_it():
    proc, children = _start_launcher()
    proc.kill()
    proc.wait(timeout=10)
    _assert_nothing_left(children)   # they got SIGTERM from the kernel (parent-death signal)


def test_a_killed_launcher_takes_stubborn_workers_and_their_children_with_it():
    # each worker ignores SIGTERM (as one stuck in MXNet's shutdown does) and has a child of its
    # own, which no parent-death signal reaches: the watchdog ends both after the grace period
    worker = [PY, '-c', 'import signal, subprocess, time\n'
                        'signal.signal(signal.SIGTERM, signal.SIG_IGN)\n'
                        'child = subprocess.Popen(["sleep", "60"])\n'
                        'print(child.pid, "up", flush=True)\n'
                        'time.sleep(60)\n']
    proc, children = _start_launcher(worker, grace=1, ready=' up\n')
    grandchildren = [pid for child in children for pid in _children(child)]
    assert len(grandchildren) == 2   # one `sleep` per worker
    proc.kill()
    proc.wait(timeout=10)
    assert _wait_until_gone(children, 15) == []
    for pid in grandchildren:
        assert not os.path.exists('/proc/%d' % pid) or _state(pid) == 'Z'
    assert 'the launcher ended without stopping its processes' in proc.stderr.read()


def _state(pid):
    try:
        with open('/proc/%d/stat' % pid) as handle:
            return handle.read().rsplit(')', 1)[1].split()[0]
    except OSError:
        return 'gone'


def test_kill_9_of_a_real_dist_sync_job_leaves_no_process_15_s_later(tmp_path):
    # the workers, stopped mid-training, hang in MXNet's shutdown and ignore SIGTERM
    worker = [PY, '-m', 'ch3', 'run', '3.7', '--quick', '--kvstore', 'dist_sync',
              '--out', str(tmp_path)]
    proc, children = _start_launcher(worker, grace=2, ready='(kvstore dist_sync)\n')
    proc.kill()
    proc.wait(timeout=10)
    assert _wait_until_gone(children, 15) == []
