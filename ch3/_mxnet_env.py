"""The MXNet environment defaults ch3 sets when it is imported, before MXNet loads (a base module:
`import ch3` runs it first): MXNET_DEFAULTS, the OpenBLAS core type for this CPU
(openblas_coretype) and the variables of the thread profile named by CH3_THREADS. A value already
in the environment wins; CH3_MXNET_DEFAULTS=0 applies none of MXNET_DEFAULTS.
"""
import contextlib
import os
import sys
import warnings


def read_cpuinfo(path='/proc/cpuinfo'):
    """Perf: the CPU's model name, vendor, family, model, logical processors, MHz and flags
    (a dict; missing fields are None) from /proc/cpuinfo."""
    info = {'model_name': None, 'vendor': None, 'family': None, 'model': None,
            'processors': 0, 'mhz': None, 'flags': []}
    try:
        with open(path) as handle:
            text = handle.read()
    except OSError:
        info['processors'] = os.cpu_count() or 1
        return info
    for line in text.splitlines():
        key, _, value = line.partition(':')
        key, value = key.strip(), value.strip()
        if key == 'processor':
            info['processors'] += 1
        elif key == 'model name' and info['model_name'] is None:
            info['model_name'] = value
        elif key == 'vendor_id' and info['vendor'] is None:
            info['vendor'] = value
        elif key == 'cpu family' and info['family'] is None:
            info['family'] = int(value)
        elif key == 'model' and info['model'] is None:
            info['model'] = int(value)
        elif key == 'cpu MHz' and info['mhz'] is None:
            info['mhz'] = float(value)
        elif key == 'flags' and not info['flags']:
            info['flags'] = value.split()
    return info


# MXNet settings ch3 applies when it is imported (os.environ.setdefault: a value already in the
# environment wins; CH3_MXNET_DEFAULTS=0 applies none). MXNet reads the optimizer variable when an
# Optimizer is built, the others when the library loads, so the package sets them before its
# first `import mxnet` (in ch3/__init__.py).
MXNET_DEFAULTS = {
    # gluon's SGD updates up to 4 parameters per multi_sgd_update call by default; that kernel
    # loops over every parameter for each element of the largest one and, for the 784-256-10
    # MLP, takes 0.97 ms per step against 0.43 ms for one call per parameter (docs/performance.md)
    'MXNET_OPTIMIZER_AGGREGATION_SIZE': '1',
}


def openblas_coretype(info=None):
    """Perf: the OPENBLAS_CORETYPE naming this CPU's vector units ('Haswell', 'SkylakeX', 'Zen'),
    or None when it has no AVX2 + FMA (then OpenBLAS' own choice is as good).

    MXNet 1.9.1's wheel bundles OpenBLAS 0.3.13 (DYNAMIC_ARCH), which picks its kernels by CPU
    model number. A model it does not know -- a Xeon newer than the library -- gets the SSE3
    'Prescott' kernels, which run a large nd.dot (and so the from-scratch MLP's epoch) several
    times slower than the 'Haswell' ones (docs/performance.md). Naming the core
    by its flags is safe where the model is known too: OpenBLAS then picks the same kernels, and
    it falls back by itself (SkylakeX to Haswell) when the CPU or OS lacks AVX-512.
    """
    info = read_cpuinfo() if info is None else info
    flags = set(info.get('flags') or [])
    if not {'avx2', 'fma'} <= flags:
        return None
    if info.get('vendor') == 'AuthenticAMD':
        return 'Zen'
    return 'SkylakeX' if 'avx512f' in flags else 'Haswell'


def _defaults(environ):
    """MXNET_DEFAULTS plus, on Linux x86-64 and unless set, the OpenBLAS core type for this CPU."""
    wanted = dict(MXNET_DEFAULTS)
    if ('OPENBLAS_CORETYPE' not in environ and sys.platform.startswith('linux')
            and os.uname().machine in ('x86_64', 'AMD64')):
        core = openblas_coretype()
        if core:
            wanted['OPENBLAS_CORETYPE'] = core
    return wanted


# Thread profiles, chosen with CH3_THREADS before ch3 is imported (MXNet's OpenMP runtime reads
# them once, when the library loads, so they hold for the whole process):
#   'mxnet' (default): MXNet's own choice. On x86 it runs every operator, matrix products
#       included, on half the processors (it assumes two hyperthreads per core); on a machine
#       whose cores have one thread each that is half of them. Best when Python's dispatch of many small
#       operators is the limit: softmax regression, the Kaggle MLPs (3.16).
#   'gemm': matrix products (oneDNN, OpenBLAS) on every physical core, MXNet's own elementwise
#       kernels on one thread (more made them slower), and OpenMP threads that spin for a
#       while between products instead of sleeping (waking a sleeping virtual CPU can cost more
#       than a small product saves). Best when matrix products are the limit: the 784-256-10
#       MLPs (3.9, 3.10, 3.13); dispatch-bound runs (3.16) get slower, because the spinning
#       thread competes with Python for a core (docs/performance.md has the measurements).
THREAD_PROFILES = ('mxnet', 'gemm')
GEMM_SPINCOUNT = '100000'   # libgomp's spins before sleeping: a few ms of `pause`


def physical_cores(sys_cpu='/sys/devices/system/cpu'):
    """Perf: the number of physical cores this process may run on (hyperthreads counted once)."""
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') \
        else range(os.cpu_count() or 1)
    cores = set()
    for cpu in cpus:
        topology = os.path.join(sys_cpu, 'cpu%d' % cpu, 'topology')
        try:
            with open(os.path.join(topology, 'physical_package_id')) as package, \
                    open(os.path.join(topology, 'core_id')) as core:
                cores.add((int(package.read()), int(core.read())))
        except (OSError, ValueError):
            cores.add(('cpu', cpu))   # no topology: count the processor itself
    return max(len(cores), 1)


def thread_profile(environ=None):
    """Perf: the thread profile named by CH3_THREADS in environ (default os.environ), or 'mxnet'."""
    return (os.environ if environ is None else environ).get('CH3_THREADS', 'mxnet').strip().lower()


def thread_profile_env(profile, cores=None):
    """Perf: the environment variables of thread profile 'mxnet' (none) or 'gemm' (see
    THREAD_PROFILES above); cores defaults to physical_cores()."""
    if profile == 'mxnet':
        return {}
    if profile == 'gemm':
        return {'OMP_NUM_THREADS': str(cores or physical_cores()), 'MXNET_OMP_MAX_THREADS': '1',
                'OMP_WAIT_POLICY': 'ACTIVE', 'GOMP_SPINCOUNT': GEMM_SPINCOUNT}
    raise ValueError('CH3_THREADS must be one of %s, got %r; unset it for MXNet\'s own thread '
                     'settings' % (', '.join(THREAD_PROFILES), profile))


APPLIED = {}   # what apply_mxnet_defaults() set in os.environ in this process
# what libgomp, MXNet and OpenBLAS read once, when they load: set after `import mxnet`, too late
LIBRARY_LOAD_VARS = frozenset(thread_profile_env('gemm', cores=1)) | {'OPENBLAS_CORETYPE'}


def set_at_library_load():
    """Perf: the variables ch3 set in this process that the libraries read when they loaded
    (a thread profile's, the OpenBLAS core type); empty when MXNet runs on its own settings."""
    return sorted(set(APPLIED) & LIBRARY_LOAD_VARS)


def apply_mxnet_defaults(environ=None):
    """Perf: put MXNET_DEFAULTS (unless CH3_MXNET_DEFAULTS=0) and the variables of the thread
    profile CH3_THREADS into environ (default os.environ) where not set; returns what it set."""
    into_process = environ is None
    environ = os.environ if environ is None else environ
    wanted = dict(thread_profile_env(thread_profile(environ)))
    if environ.get('CH3_MXNET_DEFAULTS', '1').strip().lower() not in ('0', 'false', 'no', 'off'):
        wanted.update(_defaults(environ))
    applied = {}
    for name, value in wanted.items():
        if name not in environ:
            environ[name] = value
            applied[name] = value
    if into_process:
        APPLIED.update(applied)
        late = sorted(set(applied) & LIBRARY_LOAD_VARS)
        if late and 'mxnet' in sys.modules:
            warnings.warn('mxnet was imported before ch3, so %s ha%s no effect in this process; '
                          'import ch3 first, or set the variables in the shell'
                          % (', '.join(late), 've' if len(late) > 1 else 's'), RuntimeWarning,
                          stacklevel=3)
    return applied


@contextlib.contextmanager
def mxnet_own_defaults():
    """Perf: within the block, the variables ch3 set are removed again, so what reads them then
    (e.g. building a Trainer's optimizer) gets MXNet's own defaults, as the book's code would."""
    saved = {name: os.environ.pop(name) for name in APPLIED if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)
