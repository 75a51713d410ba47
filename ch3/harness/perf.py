"""Performance helpers for the chapter's benchmark: the CPU's peak FP32 FLOP/s, the
FLOPs of one training epoch of a dense classifier (softmax regression, the MLP), a measured
matrix-multiply ceiling, and MXNet's profiler summarised as a table of the top costs.

FLOPs of a chain of dense layers sizes = (d_0, d_1, ..., d_L) on n examples (a multiply-add is 2):
    forward            F = 2 n sum_l d_{l-1} d_l
    backward           2 n sum_l d_{l-1} d_l          (dL/dW_l = H_{l-1}^T dL/dO_l, every layer)
                     + 2 n sum_{l>=2} d_{l-1} d_l     (dL/dH_{l-1} = dL/dO_l W_l^T; not for
                                                       layer 1, whose input X needs no gradient)
    one epoch          train (forward + backward) on the training set + forward on the test set.
The rule of thumb "training = 3 x forward" counts the input gradient of layer 1 too; for the
784-256-10 MLP it overstates the work by ~45%, because layer 1 holds 99% of the weights.
Elementwise work (bias, ReLU, softmax, SGD update) is O(n sum_l d_l) and left out.

Peak FP32 FLOP/s = cores x clock x FLOPs per cycle per core, where FLOPs per cycle = 2 (FMA) x
FP32 lanes per FMA unit x FMA units. The clock is the one /proc/cpuinfo reports (under a hypervisor
that is the nominal clock, not the boost clock), so the peak is an estimate; a measured large
product (measure_matmul_flops) that beats it shows the cores run faster.

Also here: what a benchmark needs to time fairly on a shared machine (OtherLoad,
wait_until_quiet); the MXNet environment defaults ch3 applies at import live in ch3._mxnet_env
and are re-exported here.
"""
import json
import os
import time

import numpy as np

from ch3._mxnet_env import (APPLIED, GEMM_SPINCOUNT, LIBRARY_LOAD_VARS,  # noqa: F401 (perf's API)
                            MXNET_DEFAULTS, THREAD_PROFILES, apply_mxnet_defaults,
                            mxnet_own_defaults, openblas_coretype, physical_cores, read_cpuinfo,
                            set_at_library_load, thread_profile, thread_profile_env)

# AMD cpu family -> core. Family 25 is Zen 3 without AVX-512 and Zen 4 with it; Zen 4 runs AVX-512
# on its two 256-bit FMA pipes, so Zen 2 to Zen 4 all do 2 FMA x 8 lanes x 2 = 32 FLOPs a cycle.
_AMD_ZEN = {23: 'Zen/Zen 2', 25: 'Zen 3', 26: 'Zen 5'}


def fp32_flops_per_cycle(info):
    """Perf: (FP32 FLOPs per cycle per core, the assumption behind it) for the cpuinfo dict."""
    flags = set(info.get('flags') or [])
    vendor, family = info.get('vendor'), info.get('family')
    if vendor == 'AuthenticAMD' and family in _AMD_ZEN:
        if family == 26 and 'avx512f' in flags:
            return 64, 'AMD Zen 5: 2 x 512-bit FMA pipes x 16 FP32 lanes x 2 FLOPs per FMA'
        core = 'Zen 4' if family == 25 and 'avx512f' in flags else _AMD_ZEN[family]
        return 32, ('AMD %s: 2 x 256-bit FMA pipes x 8 FP32 lanes x 2 FLOPs per FMA%s'
                    % (core, ' (AVX-512 runs as two 256-bit halves)' if core == 'Zen 4' else ''))
    if 'avx512f' in flags:
        return 64, ('AVX-512 with 2 FMA units x 16 FP32 lanes x 2 FLOPs per FMA (Xeon parts '
                    'with one 512-bit FMA unit reach half of this)')
    if 'avx2' in flags and 'fma' in flags:
        return 32, '2 x 256-bit FMA units x 8 FP32 lanes x 2 FLOPs per FMA (AVX2 + FMA)'
    if 'avx' in flags:
        return 16, '256-bit add + multiply units x 8 FP32 lanes (AVX, no FMA)'
    return 8, '128-bit add + multiply units x 4 FP32 lanes (SSE)'


def peak_fp32_flops(info=None, cores=None, ghz=None):
    """Perf: the theoretical FP32 peak, cores x GHz x FLOPs/cycle, with the assumption as text;
    cores and ghz default to /proc/cpuinfo's processor count and 'cpu MHz'."""
    info = read_cpuinfo() if info is None else info
    cores = cores or info.get('processors') or os.cpu_count() or 1
    if ghz is None:
        if not info.get('mhz'):
            raise ValueError('peak_fp32_flops needs the clock: /proc/cpuinfo has no "cpu MHz" '
                             'line, so pass ghz=<clock in GHz>')
        ghz = info['mhz'] / 1000.0
    per_cycle, assumption = fp32_flops_per_cycle(info)
    return {'model_name': info.get('model_name'), 'cores': int(cores), 'ghz': float(ghz),
            'flops_per_cycle': per_cycle, 'peak_flops': cores * ghz * 1e9 * per_cycle,
            'assumption': '%d core(s) x %.3f GHz (the clock /proc/cpuinfo reports; no turbo '
                          'assumed) x %d FLOPs/cycle: %s' % (cores, ghz, per_cycle, assumption)}


def _check_sizes(sizes):
    sizes = tuple(int(s) for s in sizes)
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError('sizes must be the layer widths (inputs, hidden..., outputs), at least '
                         'two positive integers, got %r' % (sizes,))
    return sizes


def dense_forward_flops(sizes):
    """Perf: forward matmul FLOPs per example of dense layers sizes = (784, 256, 10) -> int."""
    sizes = _check_sizes(sizes)
    return sum(2 * a * b for a, b in zip(sizes[:-1], sizes[1:]))


def dense_train_flops(sizes):
    """Perf: forward + backward matmul FLOPs per training example (no input gradient for the
    first layer) -> int."""
    sizes = _check_sizes(sizes)
    forward = dense_forward_flops(sizes)
    input_grads = sum(2 * a * b for a, b in zip(sizes[1:-1], sizes[2:]))
    return 2 * forward + input_grads


def epoch_flops(sizes, num_train=60000, num_test=10000):
    """Perf: FLOPs of one epoch (train on num_train, evaluate on num_test) of dense layers `sizes`:
    a dict with the exact count, the 3 x forward rule of thumb and their parts."""
    train = dense_train_flops(sizes) * num_train
    evaluation = dense_forward_flops(sizes) * num_test
    rule = 3 * dense_forward_flops(sizes) * num_train + evaluation
    return {'sizes': list(_check_sizes(sizes)), 'num_train': num_train, 'num_test': num_test,
            'forward_per_example': dense_forward_flops(sizes),
            'train_per_example': dense_train_flops(sizes),
            'train': train, 'evaluation': evaluation, 'total': train + evaluation,
            'total_rule_of_thumb': rule}


def measure_matmul_flops(n=2048, repeats=5, kind='fully_connected'):
    """Perf: the best FP32 FLOP/s of an (n, n) x (n, n) product in MXNet over `repeats` runs;
    kind 'fully_connected' (oneDNN, what Gluon's Dense uses) or 'dot' (BLAS, the scratch code)."""
    from mxnet import nd
    if kind not in ('fully_connected', 'dot'):
        raise ValueError("kind must be 'fully_connected' or 'dot', got %r" % (kind,))
    a = nd.random.uniform(shape=(n, n))
    b = nd.random.uniform(shape=(n, n))

    def run():
        if kind == 'dot':
            return nd.dot(a, b)
        return nd.FullyConnected(a, b, num_hidden=n, no_bias=True)

    run().wait_to_read()   # warm-up: oneDNN compiles its kernel on the first call
    best = float('inf')
    for _ in range(repeats):
        start = time.perf_counter()
        run().wait_to_read()
        best = min(best, time.perf_counter() - start)
    return 2.0 * n ** 3 / best


def profile_operators(fn, top=12):
    """Perf: run fn() under MXNet's profiler; returns {'wall_s', 'operators': [{'name', 'count',
    'total_ms', 'share'}...] (top by total time), 'api': [...same for the C API calls...]}."""
    import mxnet as mx
    mx.nd.waitall()
    mx.profiler.set_config(profile_all=True, aggregate_stats=True, filename=os.devnull)
    mx.profiler.dumps(reset=True)
    mx.profiler.set_state('run')
    start = time.perf_counter()
    try:
        fn()
        mx.nd.waitall()
    finally:
        wall = time.perf_counter() - start
        mx.profiler.set_state('stop')
    stats = json.loads(mx.profiler.dumps(format='json', reset=True)).get('Time', {})

    def table(section):
        rows = [{'name': name, 'count': int(v['Count']), 'total_ms': float(v['Total'])}
                for name, v in stats.get(section, {}).items()
                if not name.startswith('MXNet C API')]
        rows.sort(key=lambda r: -r['total_ms'])
        for row in rows:
            row['share'] = row['total_ms'] / 1000.0 / wall
        return rows[:top]

    return {'wall_s': wall, 'operators': table('operator'), 'api': table('MXNET_C_API'),
            'operator_total_ms': sum(float(v['Total']) for v in stats.get('operator', {}).values())}


def format_profile(profile):
    """Perf: the profile dict as text lines (operator, calls, ms, share of the wall time)."""
    lines = ['wall %.3f s; operator time %.0f ms (ops on the engine threads; the rest is Python, '
             'dispatch and waiting)' % (profile['wall_s'], profile['operator_total_ms'])]
    for title, rows in (('operators', profile['operators']), ('C API (Python side)',
                                                               profile['api'])):
        lines.append('  %-30s %7s %10s %7s' % (title, 'calls', 'ms', 'share'))
        for row in rows:
            lines.append('  %-30s %7d %10.1f %6.1f%%' % (row['name'], row['count'],
                                                         row['total_ms'], 100 * row['share']))
    return lines


def machine_busy_seconds(path='/proc/stat'):
    """Perf: CPU-seconds all processes have used since boot (user, nice, system, irq, softirq,
    steal from /proc/stat), or None where there is no /proc/stat."""
    try:
        with open(path) as handle:
            fields = [int(v) for v in handle.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields + [0] * (8 - len(fields))
    return (user + nice + system + irq + softirq + steal) / os.sysconf('SC_CLK_TCK')


def process_tree_cpu_seconds(pid=None):
    """Perf: CPU-seconds used by a process (default this one), its reaped children and its live
    descendants (e.g. DataLoader workers), from /proc; None where there is no /proc."""
    pid = os.getpid() if pid is None else pid
    total, pending, seen = 0, [pid], set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            with open('/proc/%d/stat' % current) as handle:
                fields = handle.read().rsplit(')', 1)[1].split()
            tasks = os.listdir('/proc/%d/task' % current)
        except (OSError, IndexError):
            if current == pid:
                return None
            continue
        total += sum(int(v) for v in fields[11:15])   # utime, stime, cutime, cstime
        for task in tasks:
            try:
                with open('/proc/%d/task/%s/children' % (current, task)) as handle:
                    pending.extend(int(child) for child in handle.read().split())
            except OSError:
                pass
    return total / os.sysconf('SC_CLK_TCK')


def _own_cpu_seconds():
    tree = process_tree_cpu_seconds()
    return time.process_time() if tree is None else tree


class OtherLoad:
    """Perf: `with OtherLoad() as other:` measures the CPU cores other processes used on average
    during the block (other.cores: machine-wide busy time from /proc/stat minus what this process
    and its children used; None where unavailable) and the CPU-seconds this process and its
    children used (other.own_seconds)."""

    def __enter__(self):
        self.cores, self.own_seconds = None, None
        self._start = (machine_busy_seconds(), _own_cpu_seconds(), time.perf_counter())
        return self

    def __exit__(self, *exc):
        busy, own, wall = machine_busy_seconds(), _own_cpu_seconds(), time.perf_counter()
        self.own_seconds = own - self._start[1]
        if busy is not None and self._start[0] is not None and wall > self._start[2]:
            others = (busy - self._start[0]) - (own - self._start[1])
            self.cores = max(0.0, others / (wall - self._start[2]))
        return False


def wait_until_quiet(max_cores=0.15, window=0.5, timeout=300.0):
    """Perf: wait until other processes use fewer than max_cores CPU cores over `window` seconds
    (or `timeout` passes); returns the seconds waited, or None if it timed out."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        with OtherLoad() as other:
            time.sleep(window)
        if other.cores is None or other.cores < max_cores:
            return time.perf_counter() - start
    return None


def load_average():
    """Perf: the 1-minute load average (None where the OS does not report it)."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def median(values):
    """Perf: the median of a non-empty sequence of numbers."""
    values = list(values)
    if not values:
        raise ValueError('median of an empty sequence')
    return float(np.median(values))


def openblas_core():
    """Perf: the kernels the OpenBLAS bundled with MXNet is using ('Haswell', 'Prescott', ...),
    or None when MXNet links another BLAS."""
    import ctypes
    import mxnet
    path = os.path.join(os.path.dirname(mxnet.__file__), 'libopenblas.so.0')
    if not os.path.exists(path):
        return None
    lib = ctypes.CDLL(path)
    lib.openblas_get_corename.restype = ctypes.c_char_p
    return lib.openblas_get_corename().decode()


_THREAD_VARS = ('OPENBLAS_CORETYPE', 'OMP_NUM_THREADS', 'MXNET_OMP_MAX_THREADS', 'OMP_WAIT_POLICY',
                'GOMP_SPINCOUNT', 'MXNET_ENGINE_TYPE', 'MXNET_CPU_WORKER_NTHREADS',
                'MXNET_OPTIMIZER_AGGREGATION_SIZE', 'MXNET_MKLDNN_ENABLED', 'CH3_MXNET_DEFAULTS',
                'CH3_THREADS')


def thread_settings():
    """Perf: the thread and engine environment variables as set in this process (None if
    unset)."""
    return {name: os.environ.get(name) for name in _THREAD_VARS}
