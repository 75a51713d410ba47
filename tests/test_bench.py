"""The benchmark's arithmetic (ch3.harness.perf) against closed forms, and a smoke run of
benchmarks/bench_ch3.py on a tiny subset (no timing is asserted)."""
import json
import os
import sys

import mxnet as mx
import numpy as np
import pytest
from mxnet import nd

from ch3.harness import perf

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, 'benchmarks'))

ZEN4 = """processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 25
model\t\t: 17
model name\t: AMD EPYC
cpu MHz\t\t: 2596.140
flags\t\t: fpu sse sse2 avx fma avx2 avx512f avx512bw
processor\t: 1
vendor_id\t: AuthenticAMD
cpu family\t: 25
model\t\t: 17
model name\t: AMD EPYC
cpu MHz\t\t: 2596.140
flags\t\t: fpu sse sse2 avx fma avx2 avx512f avx512bw
"""


def _cpuinfo(tmp_path, text):
    path = tmp_path / 'cpuinfo'
    path.write_text(text)
    return perf.read_cpuinfo(str(path))


def test_mlp_epoch_flops_are_the_layer_products():
    flops = perf.epoch_flops((784, 256, 10))
    # layer 1: forward and weight gradient; layer 2: forward, weight and input gradient
    per_train_example = 2 * 784 * 256 * 2 + 2 * 256 * 10 * 3
    per_test_example = 2 * 784 * 256 + 2 * 256 * 10
    assert flops['train_per_example'] == per_train_example == 818176
    assert flops['total'] == 60000 * per_train_example + 10000 * per_test_example
    assert flops['total_rule_of_thumb'] == 60000 * 3 * per_test_example + 10000 * per_test_example
    assert perf.epoch_flops((784, 10), 100, 10)['total'] == 100 * 2 * 784 * 10 * 2 \
        + 10 * 2 * 784 * 10


def test_dense_flops_reject_bad_sizes():
    with pytest.raises(ValueError, match='at least two positive integers'):
        perf.dense_forward_flops((784,))
    with pytest.raises(ValueError, match='at least two positive integers'):
        perf.epoch_flops((784, 0, 10))


def test_peak_of_a_zen4_is_cores_clock_and_32_flops_per_cycle(tmp_path):
    info = _cpuinfo(tmp_path, ZEN4)
    assert (info['processors'], info['family'], info['model']) == (2, 25, 17)
    peak = perf.peak_fp32_flops(info)
    assert peak['flops_per_cycle'] == 32
    assert peak['peak_flops'] == pytest.approx(2 * 2.59614e9 * 32)
    assert 'no turbo' in peak['assumption']


@pytest.mark.parametrize('vendor, flags, per_cycle', [
    ('GenuineIntel', 'avx avx2 fma avx512f', 64),
    ('GenuineIntel', 'avx avx2 fma', 32),
    ('GenuineIntel', 'sse sse2 avx', 16),
    ('GenuineIntel', 'sse sse2', 8),
])
def test_flops_per_cycle_follows_the_vector_flags(tmp_path, vendor, flags, per_cycle):
    text = 'processor\t: 0\nvendor_id\t: %s\ncpu family\t: 6\ncpu MHz\t\t: 2000\nflags\t\t: %s\n' \
        % (vendor, flags)
    peak = perf.peak_fp32_flops(_cpuinfo(tmp_path, text))
    assert peak['flops_per_cycle'] == per_cycle
    assert peak['peak_flops'] == pytest.approx(2e9 * per_cycle)


def test_zen4_is_named_by_its_avx512(tmp_path):
    assert 'Zen 4' in perf.fp32_flops_per_cycle(_cpuinfo(tmp_path, ZEN4))[1]
    zen3 = ZEN4.replace(' avx512f avx512bw', '')
    per_cycle, why = perf.fp32_flops_per_cycle(_cpuinfo(tmp_path, zen3))
    assert per_cycle == 32 and 'Zen 3' in why


def test_mxnet_defaults_never_override_the_user():
    env = {'MXNET_OPTIMIZER_AGGREGATION_SIZE': '4', 'OPENBLAS_CORETYPE': 'Prescott'}
    assert perf.apply_mxnet_defaults(env) == {}
    assert env == {'MXNET_OPTIMIZER_AGGREGATION_SIZE': '4', 'OPENBLAS_CORETYPE': 'Prescott'}
    env = {}
    applied = perf.apply_mxnet_defaults(env)
    assert applied.pop('MXNET_OPTIMIZER_AGGREGATION_SIZE') == '1'
    assert applied == ({'OPENBLAS_CORETYPE': perf.openblas_coretype()}
                       if perf.openblas_coretype() and sys.platform.startswith('linux') else {})
    env = {'CH3_MXNET_DEFAULTS': '0'}
    assert perf.apply_mxnet_defaults(env) == {} and 'MXNET_OPTIMIZER_AGGREGATION_SIZE' not in env


def test_importing_ch3_gives_trainers_one_update_per_parameter():
    from mxnet import gluon
    from mxnet.gluon import nn
    net = nn.Dense(2, in_units=3)
    net.initialize()
    expected = int(os.environ.get('MXNET_OPTIMIZER_AGGREGATION_SIZE', '4'))
    assert gluon.Trainer(net.collect_params(), 'sgd')._optimizer.aggregate_num == expected
    if perf.APPLIED:   # ch3 set it (the user had not): the book's MXNet default inside the block
        assert expected == 1
        with perf.mxnet_own_defaults():
            assert gluon.Trainer(net.collect_params(), 'sgd')._optimizer.aggregate_num == 4
        assert os.environ['MXNET_OPTIMIZER_AGGREGATION_SIZE'] == '1'


def test_process_tree_cpu_includes_live_children():
    """A busy DataLoader worker of ours must count as ours, not as 'other processes'."""
    import subprocess
    before = perf.process_tree_cpu_seconds()
    if before is None:
        pytest.skip('no /proc')
    child = subprocess.Popen([sys.executable, '-c', 'import time\n'
                              'while time.process_time() < 0.5: pass\n'
                              'print("done", flush=True)\ntime.sleep(30)'],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == 'done'
        assert perf.process_tree_cpu_seconds() - before >= 0.45   # child alive, not reaped
    finally:
        child.kill()
        child.wait()
    with perf.OtherLoad() as other:
        pass
    assert other.cores is None or other.cores >= 0


def test_peak_without_a_clock_asks_for_one(tmp_path):
    info = _cpuinfo(tmp_path, 'processor\t: 0\nflags\t\t: avx2 fma\n')
    with pytest.raises(ValueError, match='pass ghz='):
        perf.peak_fp32_flops(info)
    assert perf.peak_fp32_flops(info, ghz=1.0)['peak_flops'] == pytest.approx(32e9)


def test_profile_counts_the_operators_it_ran():
    a = nd.ones((64, 32))
    w = nd.ones((16, 32))
    profile = perf.profile_operators(lambda: [nd.FullyConnected(a, w, num_hidden=16,
                                                                no_bias=True)
                                              for _ in range(3)])
    rows = {row['name']: row for row in profile['operators']}
    assert rows['FullyConnected']['count'] == 3
    assert profile['wall_s'] > 0
    assert any('FullyConnected' in line for line in perf.format_profile(profile))


def test_measured_matmul_is_positive_and_checks_its_kind():
    assert perf.measure_matmul_flops(64, repeats=2, kind='dot') > 0
    with pytest.raises(ValueError, match="kind must be 'fully_connected' or 'dot'"):
        perf.measure_matmul_flops(8, kind='gemm')


@pytest.mark.slow
def test_quick_benchmark_runs_both_sides_and_writes_json(tmp_path):
    import bench_ch3
    out = tmp_path / 'bench.json'
    lines = []
    result = bench_ch3.main(['--quick', '--models', 'softmax_scratch', 'mlp_gluon',
                             '--json', str(out)], log=lines.append)
    saved = json.loads(out.read_text())
    assert saved['targets'] == result['targets']
    assert set(saved) >= {'data', 'epoch', 'accuracy', 'flops', 'profile', 'env', 'targets'}
    assert saved['data']['examples'] == bench_ch3.QUICK_SUBSET
    for model in ('softmax_scratch', 'mlp_gluon'):
        assert saved['epoch'][model]['speedup'] > 0
        runs = saved['accuracy'][model]['runs']
        # 1024 = 4 full batches and the same seed: both sides see the same batches from the same
        # parameters, so ours and the book's code must end at (nearly) the same accuracy
        assert abs(runs['ours'][0]['test_acc'] - runs['d2lzh'][0]['test_acc']) <= 2 / 1024
        assert 0.3 < runs['ours'][0]['test_acc'] <= 1
        if 'OPENBLAS_CORETYPE' in perf.APPLIED:   # the book's code as its users run it
            assert runs['d2lzh'][0]['threads']['OPENBLAS_CORETYPE'] is None
    for model in ('softmax_scratch', 'mlp_gluon'):   # CPU-seconds of every side's epochs
        row = saved['epoch'][model]
        assert set(row['median_cpu_s']) == set(row['median_s'])
        assert all(len(row['cpu_s'][side]) == len(row['seconds'][side]) for side in row['cpu_s'])
        # the CPU clock ticks in 10 ms: a 4-batch epoch may read 0 on one side, never below
        assert all(cpu >= 0 for cpu in row['median_cpu_s'].values())
        assert sum(row['median_cpu_s'].values()) > 0
        if 'torch' in row['median_s']:   # PyTorch on every core and on one
            assert 'torch_1' in row['median_s'] and row['ours_over_torch_1'] > 0
    assert saved['flops']['models']['mlp_gluon']['flops']['num_train'] == bench_ch3.QUICK_SUBSET
    assert 'FullyConnected' in {row['name'] for row in saved['profile']['mlp_gluon']['operators']}
    text = '\n'.join(lines)
    assert 'ours is' in text and 'targets:' in text and 'CPU-seconds per epoch' in text


def test_torch_threads_block_restores_the_count():
    torch = pytest.importorskip('torch')
    import bench_torch
    before = torch.get_num_threads()
    with bench_torch.threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_benchmark_under_the_gemm_profile_runs_the_book_with_mxnet_threads(tmp_path):
    """--threads gemm restarts under the profile; the book's end-to-end runs then happen in
    children with MXNet's own settings. 1024 images: the same computation as ours."""
    import subprocess
    out = tmp_path / 'bench.json'
    env = {k: v for k, v in os.environ.items() if k not in perf.APPLIED and k != 'CH3_THREADS'}
    subprocess.run([sys.executable, os.path.join(REPO, 'benchmarks', 'bench_ch3.py'), '--quick',
                    '--threads', 'gemm', '--models', 'softmax_gluon', '--skip', 'data', 'epoch',
                    'flops', 'profile', '--json', str(out)],
                   env=env, check=True, capture_output=True, text=True, timeout=600)
    saved = json.loads(out.read_text())
    assert saved['env']['thread_profile'] == 'gemm'
    assert saved['env']['threads']['OMP_WAIT_POLICY'] == 'ACTIVE'
    row = saved['accuracy']['softmax_gluon']
    ours, book = row['runs']['ours'][0], row['runs']['d2lzh'][0]
    assert book['threads']['CH3_THREADS'] is None
    assert book['threads']['OMP_WAIT_POLICY'] == os.environ.get('OMP_WAIT_POLICY')
    assert abs(ours['test_acc'] - book['test_acc']) <= 2 / 1024
    assert row['speedup'] == pytest.approx(book['seconds'] / ours['seconds'])


# ---------------------------------------------------------------------------------------------
# The speed-ups in ch3.book.training keep the arithmetic: fused graph vs op by op, fused SGD vs sgd
# ---------------------------------------------------------------------------------------------

def _blobs(n=100, classes=3, dim=5, seed=1):
    rng = np.random.RandomState(seed)
    labels = rng.randint(0, classes, size=n)
    features = rng.normal(scale=3, size=(classes, dim))[labels] + rng.normal(size=(n, dim))
    return nd.array(features), nd.array(labels, dtype='int32')


def test_hybridized_net_trains_exactly_like_the_imperative_one():
    from mxnet import gluon, init
    from mxnet.gluon import loss as gloss, nn
    from ch3.book.training import train_ch3
    features, labels = _blobs()
    loader = gluon.data.DataLoader(gluon.data.ArrayDataset(features, labels), 32)  # 32*3 + 4
    results = []
    for hybridize in (False, True):
        mx.random.seed(7)
        net = nn.HybridSequential()
        net.add(nn.Dense(8, activation='relu'), nn.Dense(3))
        net.initialize(init.Normal(sigma=0.1))
        if hybridize:
            net.hybridize(static_alloc=True)
        loss = gloss.SoftmaxCrossEntropyLoss()
        trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.3})
        history = train_ch3(net, loader, loader, loss, 3, 32, trainer=trainer, verbose=False)
        results.append((net[0].weight.data().asnumpy(), history))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-5, atol=1e-7)
    for ours, reference in zip(results[1][1], results[0][1]):
        assert ours['loss'] == pytest.approx(reference['loss'], rel=1e-5)
        assert ours['train_acc'] == reference['train_acc']
        assert ours['test_acc'] == reference['test_acc']
    assert results[1][1][-1]['loss'] < results[1][1][0]['loss']


def _fake_topology(tmp_path, core_ids):
    for cpu, core in enumerate(core_ids):
        topology = tmp_path / ('cpu%d' % cpu) / 'topology'
        topology.mkdir(parents=True)
        (topology / 'physical_package_id').write_text('0\n')
        (topology / 'core_id').write_text('%d\n' % core)
    return str(tmp_path)


def test_physical_cores_counts_hyperthread_siblings_once(tmp_path, monkeypatch):
    monkeypatch.setattr(os, 'sched_getaffinity', lambda pid: {0, 1, 2, 3})
    assert perf.physical_cores(_fake_topology(tmp_path / 'smt', [0, 0, 1, 1])) == 2
    assert perf.physical_cores(_fake_topology(tmp_path / 'plain', [0, 1, 2, 3])) == 4
    assert perf.physical_cores(str(tmp_path / 'missing')) == 4   # no topology: processors


def test_gemm_profile_sets_threads_unless_the_user_did():
    env = {'CH3_THREADS': 'gemm', 'OMP_NUM_THREADS': '1'}
    applied = perf.apply_mxnet_defaults(env)
    assert env['OMP_NUM_THREADS'] == '1' and 'OMP_NUM_THREADS' not in applied
    assert applied['MXNET_OMP_MAX_THREADS'] == '1' and applied['OMP_WAIT_POLICY'] == 'ACTIVE'
    assert perf.thread_profile_env('gemm', cores=3)['OMP_NUM_THREADS'] == '3'
    assert perf.thread_profile_env('mxnet') == {}
    with pytest.raises(ValueError, match="one of mxnet, gemm, got 'fast'"):
        perf.apply_mxnet_defaults({'CH3_THREADS': 'fast'})


_COUNT_THREADS = """
import os, ch3
from mxnet import nd
x = nd.ones((512, 512))
nd.FullyConnected(x, x, no_bias=True, num_hidden=512).wait_to_read()
print(len(os.listdir('/proc/self/task')))
"""


@pytest.mark.skipif(not os.path.isdir('/proc/self/task') or perf.physical_cores() < 2,
                    reason='needs Linux and two cores')
def test_gemm_profile_runs_matrix_products_on_every_core():
    """MXNet's default gives its worker one OpenMP thread here (half the processors); under
    CH3_THREADS=gemm a product brings one more OpenMP thread per extra core."""
    import subprocess

    def threads_after_a_product(profile):
        env = {k: v for k, v in os.environ.items()
               if k not in perf.APPLIED and k not in ('CH3_THREADS', 'OMP_NUM_THREADS')}
        env['CH3_THREADS'] = profile
        out = subprocess.run([sys.executable, '-c', _COUNT_THREADS], env=env, check=True,
                             capture_output=True, text=True, timeout=120).stdout
        return int(out.split()[-1])

    mxnet_default = max(len(os.sched_getaffinity(0)) // 2, 1)   # MXNet's choice on x86
    extra = threads_after_a_product('gemm') - threads_after_a_product('mxnet')
    assert extra == perf.physical_cores() - mxnet_default


def test_thread_profile_after_mxnet_was_imported_warns():
    import subprocess
    env = {k: v for k, v in os.environ.items() if k not in perf.APPLIED}
    env['CH3_THREADS'] = 'gemm'
    env.pop('OMP_NUM_THREADS', None)
    done = subprocess.run([sys.executable, '-c', 'import mxnet, ch3'], env=env, check=True,
                          capture_output=True, text=True, timeout=120)
    assert 'mxnet was imported before ch3, so ' in done.stderr
    assert 'OMP_NUM_THREADS' in done.stderr and 'has no effect' not in done.stderr


@pytest.mark.parametrize('vendor, flags, core', [
    ('GenuineIntel', 'sse3 avx fma avx2 avx512f', 'SkylakeX'),
    ('GenuineIntel', 'sse3 avx fma avx2', 'Haswell'),
    ('AuthenticAMD', 'sse3 avx fma avx2 avx512f', 'Zen'),
    ('GenuineIntel', 'sse3 avx', None),          # no AVX2: OpenBLAS' own choice stands
])
def test_openblas_coretype_names_the_vector_units(vendor, flags, core):
    assert perf.openblas_coretype({'vendor': vendor, 'flags': flags.split()}) == core


def test_importing_ch3_gives_openblas_kernels_for_this_cpu():
    """In a fresh process, `import ch3` before mxnet makes the bundled OpenBLAS use the kernels
    of this CPU's vector units, not its SSE3 fallback for CPU models it does not know."""
    import subprocess
    wanted = perf.openblas_coretype()
    if wanted is None or perf.openblas_core() is None:
        pytest.skip('no AVX2 + FMA, or MXNet without its bundled OpenBLAS')
    env = {k: v for k, v in os.environ.items() if k not in perf.APPLIED}
    env.pop('OPENBLAS_CORETYPE', None)
    code = 'import ch3\nfrom ch3.harness import perf\nprint(perf.openblas_core())'
    done = subprocess.run([sys.executable, '-c', code], env=env, check=True,
                          capture_output=True, text=True, timeout=120)
    # SkylakeX falls back to Haswell where OpenBLAS 0.3.13 finds no AVX-512 support
    assert done.stdout.split()[-1] in ({wanted, 'Haswell'} if wanted == 'SkylakeX' else {wanted})
