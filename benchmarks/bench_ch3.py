"""Benchmark (issue 8): our chapter-3 training against the book's d2lzh code, side by side.

Measured in one run, on the same machine, data and seeds, with repetitions interleaved (ours,
book, ours, book, ...) so a change in the machine's load hits both sides alike:
  1. data: one pass over the 60000 training images at batch 256 -- our default pipeline
     (`load_data_fashion_mnist`, in-memory 'fast') vs `d2lzh.load_data_fashion_mnist` (its 4
     worker processes) and the same d2lzh dataset through a DataLoader with 0 workers;
  2. epoch: one training epoch (train + test accuracy, as train_ch3 does) of softmax regression
     and the 784-256-10 MLP, from scratch and with Gluon -- our `train_ch3` + our pipeline +
     our (hybridized) models vs the book's code: `d2lzh.train_ch3` + d2lzh's loader + the
     book's nets (nn.Sequential, not hybridized; the scratch nets as printed in the book), with
     the same initial parameters (same seed) and hyperparameters (batch 256, lr 0.1 / 0.5);
  3. accuracy: `--epochs` (5) epochs of each, for each of `--seeds`, timed end to end (loaders
     built, files read, model built, trained, evaluated), with the final test accuracies;
     ours reads the .gz files through its cache of decompressed copies (ch3.data.gunzip_cache),
     as every run after the first does, the book's gluon dataset gunzips them each time.
With the same seed both sides see the same batches in the same order (our pipeline shuffles with
numpy's global RNG exactly as gluon's RandomSampler does) and do the same arithmetic (the last
partial batch kept, every step divided by the nominal batch size), so what remains is float
rounding. When torch is installed PyTorch is a third side in 2 and 3 (benchmarks/bench_torch.py:
the same arrays in memory, models, init and loop; as many threads as physical cores), and in 2
also on one thread ('torch_1', the one thread MXNet gives each operator here); --no-torch leaves
it out. 2 also records each epoch's CPU-seconds (all threads and child processes): the work
done, which unlike the wall time does not depend on how many cores a side keeps busy.

Then the FLOP analysis (FLOPs per epoch from the layer sizes against the CPU's FP32 peak and a
measured large matrix product) and a profile of our MLP epoch (MXNet's profiler). Prints a table
of medians and ratios and writes everything to --json (atomically). Each timed piece waits for
other processes to go quiet first (--wait) and records the cores they used meanwhile.

--thread-study instead times our epochs under other MXNet/OpenMP thread settings, each in a fresh
process (THREAD_CONFIGS; --background-load N adds N busy processes to see how each copes).

d2lzh runs offline: benchmarks/bench_data.py's `d2lzh_offline_root` links Debian's .gz files into
a temporary root and patches gluon's sha1 check (its .gz bytes differ; the data is the same).

--threads gemm runs our side under ch3's gemm thread profile (ch3.harness.perf.THREAD_PROFILES); the
book's end-to-end runs then happen in fresh processes with MXNet's own settings.

Usage: python benchmarks/bench_ch3.py [--repeats 5] [--epochs 5] [--seeds 0 1 2]
                                      [--json out/bench.json] [--quick] [--thread-study]
                                      [--threads mxnet|gemm]
"""
import argparse
import contextlib
import io
import json
import os
import platform
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

# ch3 first: it applies its MXNet settings and the CH3_THREADS profile before MXNet loads
import ch3  # noqa: E402,F401
from ch3.harness import perf  # noqa: E402

import numpy as np  # noqa: E402
import mxnet as mx  # noqa: E402
from mxnet import gluon, init, nd  # noqa: E402
from mxnet.gluon import data as gdata, loss as gloss, nn  # noqa: E402

from ch3.data import fashion_mnist as fm  # noqa: E402
from ch3.data import gunzip_cache  # noqa: E402
from ch3.harness.runs.data import fashion_mnist_iters  # noqa: E402
from ch3.book import softmax  # noqa: E402
from ch3.book import mlp  # noqa: E402
from ch3.utils import atomic_write, set_seed  # noqa: E402
from bench_data import d2lzh_offline_root, time_pass  # noqa: E402
import bench_torch  # noqa: E402

BATCH_SIZE = 256
MODELS = ('softmax_scratch', 'softmax_gluon', 'mlp_scratch', 'mlp_gluon')
LR = {'softmax': 0.1, 'mlp': 0.5}            # the book's learning rates (3.6/3.7, 3.9/3.10)
LAYERS = {'softmax': (784, 10), 'mlp': (784, 256, 10)}
NUM_HIDDENS = 256
QUICK_SUBSET = 1024   # 4 full batches: no partial batch, so both sides should agree
TARGETS = {'data_speedup': 10.0, 'mlp_gluon_end_to_end_speedup': 5.0, 'accuracy_shortfall': 0.01,
           # epoch time of ours / PyTorch's (issue 17): at most these
           'vs_torch': {'mlp_gluon': 1.0, 'mlp_scratch': 1.3, 'softmax_gluon': 1.0,
                        'softmax_scratch': 1.0}}


# ---------------------------------------------------------------------------------------------
# The two sides
# ---------------------------------------------------------------------------------------------

def train_ours(model, train_iter, test_iter, num_epochs):
    """Our code: ch3's models (Gluon ones hybridized) trained by ch3.book.training.train_ch3;
    returns a function giving the final test accuracy."""
    lr = LR[model.split('_')[0]]
    if model == 'softmax_scratch':
        _, history = softmax.train_scratch(train_iter, test_iter, num_epochs, BATCH_SIZE, lr,
                                           verbose=False)
    elif model == 'softmax_gluon':
        history = softmax.train_gluon(softmax.gluon_net(), train_iter, test_iter, num_epochs,
                                      BATCH_SIZE, lr, verbose=False)
    elif model == 'mlp_scratch':
        _, history = mlp.train_scratch(train_iter, test_iter, num_epochs, BATCH_SIZE, lr,
                                       num_hiddens=NUM_HIDDENS, verbose=False)
    else:
        history = mlp.train_gluon(mlp.gluon_net(NUM_HIDDENS), train_iter, test_iter, num_epochs,
                                  BATCH_SIZE, lr, verbose=False)
    return lambda: history[-1]['test_acc']


def _book_scratch_softmax():
    W = nd.random.normal(scale=0.01, shape=(784, 10))
    b = nd.zeros(10)
    for param in (W, b):
        param.attach_grad()

    def net(X):
        X_exp = (nd.dot(X.reshape((-1, 784)), W) + b).exp()
        return X_exp / X_exp.sum(axis=1, keepdims=True)

    def cross_entropy(y_hat, y):
        return -nd.pick(y_hat, y).log()

    return net, cross_entropy, [W, b]


def _book_scratch_mlp():
    W1 = nd.random.normal(scale=0.01, shape=(784, NUM_HIDDENS))
    b1 = nd.zeros(NUM_HIDDENS)
    W2 = nd.random.normal(scale=0.01, shape=(NUM_HIDDENS, 10))
    b2 = nd.zeros(10)
    params = [W1, b1, W2, b2]
    for param in params:
        param.attach_grad()

    def net(X):
        H = nd.maximum(nd.dot(X.reshape((-1, 784)), W1) + b1, 0)
        return nd.dot(H, W2) + b2

    return net, gloss.SoftmaxCrossEntropyLoss(), params


def _book_gluon(model):
    net = nn.Sequential()
    if model == 'mlp_gluon':
        net.add(nn.Dense(NUM_HIDDENS, activation='relu'))
    net.add(nn.Dense(10))
    net.initialize(init.Normal(sigma=0.01))
    return net


def train_book(model, train_iter, test_iter, num_epochs):
    """The book's code for the same model (its nets, not hybridized) trained by d2lzh.train_ch3;
    returns a function giving the final test accuracy (d2lzh.evaluate_accuracy, run untimed)."""
    import d2lzh
    lr = LR[model.split('_')[0]]
    with contextlib.redirect_stdout(io.StringIO()):
        if model.endswith('scratch'):
            net, loss, params = (_book_scratch_softmax() if model == 'softmax_scratch'
                                 else _book_scratch_mlp())
            d2lzh.train_ch3(net, train_iter, test_iter, loss, num_epochs, BATCH_SIZE, params, lr)
        else:
            net = _book_gluon(model)
            with perf.mxnet_own_defaults():   # the book's Trainer gets MXNet's settings, not ch3's
                trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': lr})
            d2lzh.train_ch3(net, train_iter, test_iter, gloss.SoftmaxCrossEntropyLoss(),
                            num_epochs, BATCH_SIZE, None, None, trainer)
    return lambda: float(d2lzh.evaluate_accuracy(test_iter, net))


def train_torch(model, train_iter, test_iter, num_epochs):
    """PyTorch with the book's loop (benchmarks/bench_torch.py)."""
    return bench_torch.train(model, train_iter, test_iter, num_epochs,
                             LR[model.split('_')[0]], BATCH_SIZE)


def train_torch_one_thread(model, train_iter, test_iter, num_epochs):
    """PyTorch on one thread, as MXNet runs each operator here: the same work, one core."""
    with bench_torch.threads(1):
        return train_torch(model, train_iter, test_iter, num_epochs)


TRAIN = {'ours': train_ours, 'd2lzh': train_book, 'torch': train_torch,
         'torch_1': train_torch_one_thread}
TORCH_SIDES = ('torch', 'torch_1')   # PyTorch on every physical core, and on one


# ---------------------------------------------------------------------------------------------
# Loaders
# ---------------------------------------------------------------------------------------------

class Loaders:
    """Builds both sides' (train_iter, test_iter) on the same files (d2lzh's via its offline
    root); `subset` cuts both to the first N examples of each split."""

    def __init__(self, root, d2l_root, subset=None, d2lzh_workers=None):
        self.root, self.d2l_root = root, d2l_root
        self.subset, self.d2lzh_workers = subset, d2lzh_workers

    def ours(self, fresh=False, **kwargs):
        if fresh:   # end-to-end runs read the files again, as d2lzh's loader does (ours
            # through its cache of decompressed copies, as every run after the first does)
            fm._decode_split.cache_clear()
        return fashion_mnist_iters(BATCH_SIZE, [None], subset=self.subset, root=self.root,
                                   **kwargs)

    def d2lzh(self, fresh=False):
        import d2lzh
        if self.subset is None and self.d2lzh_workers is None:
            return d2lzh.load_data_fashion_mnist(BATCH_SIZE, root=self.d2l_root)
        # what d2lzh.load_data_fashion_mnist builds, cut to the subset / with other workers
        # (built here because d2lzh's DataLoaders start their 4 worker processes at once)
        workers = 4 if self.d2lzh_workers is None else self.d2lzh_workers
        to_tensor = gdata.vision.transforms.ToTensor()
        loaders = []
        for train in (True, False):
            dataset = gdata.vision.FashionMNIST(root=self.d2l_root, train=train)
            if self.subset is not None:
                dataset = dataset.take(self.subset)
            loaders.append(gdata.DataLoader(dataset.transform_first(to_tensor), BATCH_SIZE,
                                            shuffle=train, num_workers=workers))
        return tuple(loaders)

    def sizes(self):
        """(training examples our train_ch3 steps on per epoch, test examples)."""
        train_iter, test_iter = self.ours()
        trained = min(len(train_iter) * BATCH_SIZE, train_iter.num_examples)
        return trained, test_iter.num_examples

    def torch(self):
        splits = []
        for train in (True, False):
            images, labels = fm.load_fashion_mnist_arrays(self.root, train=train, download=False)
            if self.subset is not None:
                images, labels = images[:self.subset], labels[:self.subset]
            splits.append(bench_torch.Batches(images, labels, BATCH_SIZE, shuffle=train))
        return tuple(splits)

    def get(self, side, fresh=False):
        if side in TORCH_SIDES:          # the same arrays in memory as torch tensors
            return self.torch()
        return self.ours(fresh) if side == 'ours' else self.d2lzh(fresh)


class Measure:
    """Runs each timed piece after waiting (up to `wait` s) until other processes use fewer than
    `max_cores` cores, runs it again (up to `retries` times) when they used more than twice that
    meanwhile, and records the cores they used during the kept run (the `others` list) and the
    CPU-seconds the piece itself used, all threads and child processes (`last_cpu`)."""

    def __init__(self, wait=0.0, max_cores=0.15, retries=2):
        self.wait, self.max_cores, self.retries, self.others = wait, max_cores, retries, []
        self.last_cpu = None

    def __call__(self, fn):
        for attempt in range(self.retries + 1):
            if self.wait > 0:
                perf.wait_until_quiet(self.max_cores, timeout=self.wait)
            with perf.OtherLoad() as other:
                start = time.perf_counter()
                out = fn()
                nd.waitall()
                seconds = time.perf_counter() - start
            if self.wait <= 0 or other.cores is None or other.cores <= 2 * self.max_cores:
                break
        self.last_cpu = other.own_seconds
        if other.cores is not None:
            self.others.append(other.cores)
        return seconds, out


def timed_run(model, side, make_loaders, num_epochs, seed, measure):
    """Seconds from (optionally) building the loaders to the end of training, and the final
    test accuracy (measured after the clock stops)."""
    nd.waitall()

    def run():
        set_seed(seed)
        train_iter, test_iter = make_loaders()
        return TRAIN[side](model, train_iter, test_iter, num_epochs)

    seconds, final_acc = measure(run)
    return seconds, final_acc()


def sides_in_turn(repeat, sides=('ours', 'd2lzh')):
    """Alternate which side goes first, so neither always runs on a warmer (or busier) machine."""
    return tuple(sides) if repeat % 2 == 0 else tuple(reversed(sides))


# ---------------------------------------------------------------------------------------------
# The three measurements
# ---------------------------------------------------------------------------------------------

def bench_data_pass(loaders, repeats, log, measure):
    """1: median seconds of one pass over the training set, ours vs d2lzh (its workers, 0).
    Ours keeps the last partial batch here, so both sides deliver every training image."""
    ours_train, _ = loaders.ours(last_batch='keep')
    d2l_train, _ = loaders.d2lzh()
    d2l_zero = gdata.DataLoader(d2l_train._dataset, BATCH_SIZE, shuffle=True, num_workers=0)
    pipelines = {'ours': ours_train, 'd2lzh': d2l_train, 'd2lzh_0_workers': d2l_zero}
    for iterable in pipelines.values():      # warm up: worker start-up, first allocations
        time_pass(iterable, max_batches=2)
    times = {name: [] for name in pipelines}
    examples = {}
    for r in range(repeats):
        order = list(pipelines) if r % 2 == 0 else list(reversed(list(pipelines)))
        for name in order:
            _, (seconds, examples[name]) = measure(lambda n=name: time_pass(pipelines[n]))
            times[name].append(seconds)
        log('  data pass %d/%d: %s' % (r + 1, repeats, ', '.join(
            '%s %.3f s' % (n, times[n][-1]) for n in pipelines)))
    result = {'examples': examples['ours'], 'examples_per_pipeline': examples,
              'batch_size': BATCH_SIZE,
              'd2lzh_workers': d2l_train._num_workers,
              'seconds': times, 'median_s': {n: perf.median(t) for n, t in times.items()}}
    med = result['median_s']
    result['speedup'] = {'vs_d2lzh': med['d2lzh'] / med['ours'],
                         'vs_d2lzh_0_workers': med['d2lzh_0_workers'] / med['ours']}
    return result


def bench_epochs(loaders, models, repeats, log, measure, seed=0, sides=('ours', 'd2lzh')):
    """2: median seconds of one epoch (train + test accuracy) per model, ours vs d2lzh (and
    PyTorch when it is among `sides`: 'torch' on every core, 'torch_1' on one), and the
    CPU-seconds each epoch used (all threads and processes: the work, whatever the cores)."""
    prepared = {side: loaders.get(side) for side in sides}
    for side, its_loaders in prepared.items():           # warm up each side once (untimed)
        timed_run(models[0], side, lambda l=its_loaders: l, 1, seed, Measure())
    times = {model: {side: [] for side in sides} for model in models}
    cpu = {model: {side: [] for side in sides} for model in models}
    for r in range(repeats):
        for model in models:
            for side in sides_in_turn(r, sides):
                seconds, _ = timed_run(model, side, lambda s=side: prepared[s], 1, seed, measure)
                times[model][side].append(seconds)
                if measure.last_cpu is not None:
                    cpu[model][side].append(measure.last_cpu)
            log('  epoch %d/%d %-16s %s' % (r + 1, repeats, model, ', '.join(
                '%s %.3f s' % (side, times[model][side][-1]) for side in sides)))
    result = {}
    for model in models:
        med = {side: perf.median(t) for side, t in times[model].items()}
        result[model] = {'seconds': times[model], 'median_s': med,
                         'speedup': med['d2lzh'] / med['ours']}
        if all(cpu[model].values()):
            result[model]['cpu_s'] = cpu[model]
            result[model]['median_cpu_s'] = {side: perf.median(c)
                                             for side, c in cpu[model].items()}
        for side in TORCH_SIDES:   # < 1: ours is faster than PyTorch
            if side in med:
                result[model]['ours_over_' + side] = med['ours'] / med[side]
    return result


ACCURACY_SIDES = ('ours', 'd2lzh')


def bench_accuracy(loaders, models, num_epochs, seeds, log, measure, book_elsewhere=None,
                   sides=ACCURACY_SIDES):
    """3: per seed, num_epochs epochs end to end (loaders built from the files): seconds and
    final test accuracy of ours, of d2lzh (and of PyTorch when it is among `sides`).

    book_elsewhere(model, seed) -> {seconds, test_acc, threads}: run the book's side that way
    instead (in a fresh process with MXNet's own thread settings, when this process runs under
    another ch3 thread profile: the profile would slow the book's code and inflate the ratio).
    """
    result = {}
    for model in models:
        # one untimed epoch first, as the book's worker processes do (see book_worker)
        timed_run(model, 'ours', lambda: loaders.get('ours', fresh=True), 1, seeds[0], Measure())
        runs = {side: [] for side in sides}
        for i, seed in enumerate(seeds):
            for side in sides_in_turn(i, sides):
                if side == 'd2lzh' and book_elsewhere is not None:
                    runs[side].append(dict(book_elsewhere(model, seed), seed=seed))
                    continue
                seconds, acc = timed_run(model, side, lambda s=side: loaders.get(s, fresh=True),
                                         num_epochs, seed, measure)
                runs[side].append({'seed': seed, 'seconds': seconds, 'test_acc': acc})
            log('  %d epochs %-16s seed %d: %s' % (num_epochs, model, seed, ' | '.join(
                '%s %.2f s acc %.4f' % (side, runs[side][-1]['seconds'],
                                        runs[side][-1]['test_acc']) for side in sides)))
        summary = {}
        for side, side_runs in runs.items():
            accs = [run['test_acc'] for run in side_runs]
            summary[side] = {'median_s': perf.median(run['seconds'] for run in side_runs),
                             'mean_test_acc': float(np.mean(accs)),
                             'min_test_acc': float(np.min(accs)),
                             'max_test_acc': float(np.max(accs))}
        diffs = [o['test_acc'] - d['test_acc'] for o, d in zip(runs['ours'], runs['d2lzh'])]
        result[model] = {'epochs': num_epochs, 'runs': runs, 'summary': summary,
                         'book_process': 'this one' if book_elsewhere is None else
                         "a fresh one per run, with MXNet's own settings",
                         'speedup': summary['d2lzh']['median_s'] / summary['ours']['median_s'],
                         'acc_diff_per_seed': diffs,
                         'acc_diff_mean': float(np.mean(diffs))}
        if 'torch' in runs:
            result[model]['speedup_vs_torch'] = (summary['torch']['median_s']
                                                 / summary['ours']['median_s'])
    return result


def measured_gemm_flops(gemm_size, threads):
    """Best FLOP/s of an (n, n) x (n, n) FullyConnected (oneDNN, what Dense uses) in a fresh
    process with OMP_NUM_THREADS=threads (the thread count is fixed when MXNet loads)."""
    import subprocess
    code = ('import ch3; from ch3.harness import perf; '
            'print(perf.measure_matmul_flops(%d, kind="fully_connected"))' % gemm_size)
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    done = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True, text=True,
                          timeout=600)
    if done.returncode != 0:
        raise RuntimeError('GEMM measurement failed:\n%s' % done.stderr)
    return float(done.stdout.strip().splitlines()[-1])


def flop_analysis(epoch_results, gemm_size, num_train=60000, num_test=10000):
    """FLOPs per epoch of each model against the CPU's theoretical FP32 peak and the measured
    throughput of a large matrix product on one core and on all cores."""
    peak = perf.peak_fp32_flops()
    cores = peak['cores']
    measured = {'1 thread': measured_gemm_flops(gemm_size, 1),
                '%d threads' % cores: measured_gemm_flops(gemm_size, cores)}
    best = max(measured.values())
    # a measured rate above the theoretical one means the cores run above the reported clock
    peak['implied_ghz'] = best / (cores * peak['flops_per_cycle']) / 1e9
    ceiling = max(best, peak['peak_flops'])
    result = {'peak': peak, 'measured_gemm_flops': measured, 'gemm_size': gemm_size,
              'ceiling_flops': ceiling, 'models': {}}
    for model, timing in epoch_results.items():
        flops = perf.epoch_flops(LAYERS[model.split('_')[0]], num_train, num_test)
        seconds = timing['median_s']['ours']
        result['models'][model] = {
            'flops': flops, 'epoch_s': seconds, 'achieved_flops': flops['total'] / seconds,
            'fraction_of_peak': flops['total'] / seconds / peak['peak_flops'],
            'fraction_of_ceiling': flops['total'] / seconds / ceiling,
            'lower_bound_s_at_peak': flops['total'] / peak['peak_flops'],
            'lower_bound_s_at_ceiling': flops['total'] / ceiling,
            'lower_bound_s_one_core': flops['total'] / measured['1 thread']}
    return result


def profile_ours(loaders, model, seed=0):
    """Our one-epoch run of `model` under MXNet's profiler (after an untimed warm-up)."""
    prepared = loaders.ours()
    timed_run(model, 'ours', lambda: prepared, 1, seed, Measure())
    set_seed(seed)
    return perf.profile_operators(lambda: train_ours(model, prepared[0], prepared[1], 1))


# ---------------------------------------------------------------------------------------------
# Thread settings: our epoch under other MXNet / OpenMP settings, each in a fresh process
# ---------------------------------------------------------------------------------------------

# Read by libgomp and MXNet when the library loads, so each needs its own process. '' = unset.
THREAD_CONFIGS = {
    'ch3 default': {},
    'MXNet as installed': {'CH3_MXNET_DEFAULTS': '0'},
    'ch3 gemm profile': {'CH3_THREADS': 'gemm'},
    'OMP 2': {'OMP_NUM_THREADS': '2'},
    'OMP 2 GEMM only': {'OMP_NUM_THREADS': '2', 'MXNET_OMP_MAX_THREADS': '1'},
    'OMP 2, active wait': {'OMP_NUM_THREADS': '2', 'OMP_WAIT_POLICY': 'ACTIVE'},
    'OMP 2, active wait, spin 1e5': {'OMP_NUM_THREADS': '2', 'OMP_WAIT_POLICY': 'ACTIVE',
                                     'GOMP_SPINCOUNT': '100000'},
    # OpenBLAS's SSE3 fallback for CPU models it does not know, and the kernels ch3 names
    'OpenBLAS Prescott': {'OPENBLAS_CORETYPE': 'Prescott'},
    'OpenBLAS Haswell': {'OPENBLAS_CORETYPE': 'Haswell'},
    # two engine workers: independent operators (a layer's update beside the next layer's
    # backward, the next batch's gather) run at once, each on one thread
    'two engine workers, OMP 1': {'MXNET_CPU_WORKER_NTHREADS': '2', 'OMP_NUM_THREADS': '1'},
    'NaiveEngine, OMP 2 GEMM only, active': {'MXNET_ENGINE_TYPE': 'NaiveEngine',
                                             'OMP_NUM_THREADS': '2',
                                             'MXNET_OMP_MAX_THREADS': '1',
                                             'OMP_WAIT_POLICY': 'ACTIVE'},
}


def _env_without_ch3_settings():
    """This process's environment without what ch3 set at import or its thread profile, so a
    child process applies its own settings (or gets MXNet's)."""
    drop = set(perf.APPLIED) | set(perf.thread_profile_env(perf.thread_profile())) | {'CH3_THREADS'}
    return {k: v for k, v in os.environ.items() if k not in drop}


def book_worker(args, log):
    """In a child process under MXNet's own thread settings: the book's code, `--epochs` epochs
    end to end for one model and seed (after one untimed epoch), as one JSON line
    {seconds, test_acc, threads}."""
    root = fm.find_fashion_mnist(args.root, download=False)
    model, seed = args.book_worker[0], int(args.book_worker[1])
    with d2lzh_offline_root(root) as d2l_root:
        loaders = Loaders(root, d2l_root, subset=QUICK_SUBSET if args.quick else None,
                          d2lzh_workers=0 if args.quick else None)
        fresh = lambda: loaders.get('d2lzh', fresh=True)  # noqa: E731
        # warm up (untimed) as the parent's runs are: a new process first pays for touching its
        # memory (on this VM ~0.5 s per 200 MB) and for starting its first workers
        timed_run(model, 'd2lzh', fresh, 1, seed, Measure())
        seconds, acc = timed_run(model, 'd2lzh', fresh, args.epochs, seed,
                                 Measure(wait=args.wait))
    log(json.dumps({'seconds': seconds, 'test_acc': acc, 'threads': perf.thread_settings()}))


def time_book_with_mxnet_threads(args, model, seed):
    """The book's end-to-end run in a fresh process with MXNet's own settings (nothing of ch3's:
    no thread profile, no OpenBLAS core type)."""
    import subprocess
    command = [sys.executable, os.path.abspath(__file__), '--book-worker', model, str(seed),
               '--epochs', str(args.epochs), '--wait', str(args.wait)]
    if args.root:
        command += ['--root', args.root]
    if args.quick:
        command.append('--quick')
    # CH3_MXNET_DEFAULTS=0: the child imports ch3 (for this script), which must not set anything
    env = dict(_env_without_ch3_settings(), CH3_MXNET_DEFAULTS='0')
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError('book worker for %s seed %d failed:\n%s' % (model, seed, done.stderr))
    return json.loads(done.stdout.strip().splitlines()[-1])


def epoch_worker(args, log):
    """In a child process: our one-epoch times per model under this process's settings, as one
    JSON line {model: [seconds...], 'others': [cores...]}."""
    root = fm.find_fashion_mnist(args.root, download=False)
    loaders = Loaders(root, None, subset=QUICK_SUBSET if args.quick else None)
    prepared = loaders.ours()
    measure = Measure(wait=args.wait)
    timed_run(args.models[0], 'ours', lambda: prepared, 1, 0, Measure())   # warm-up
    times = {model: [] for model in args.models}
    for _ in range(args.repeats):
        for model in args.models:
            times[model].append(timed_run(model, 'ours', lambda: prepared, 1, 0, measure)[0])
    times['others'] = measure.others
    log(json.dumps(times))
    return times


@contextlib.contextmanager
def background_load(processes):
    """`processes` busy-looping child processes for the block (to see how settings cope with a
    machine others are using); they are stopped by their own pids afterwards."""
    import subprocess
    children = [subprocess.Popen([sys.executable, '-c', 'while True: pass'])
                for _ in range(processes)]
    try:
        yield
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait()


def thread_study(args, log):
    """Our one-epoch medians per model under each THREAD_CONFIGS setting (fresh processes,
    rounds interleaved, `--repeats` epochs per process)."""
    import subprocess
    base_env = _env_without_ch3_settings()
    command = [sys.executable, os.path.abspath(__file__), '--epoch-worker', '--repeats',
               str(args.repeats), '--wait', str(args.wait), '--models'] + list(args.models)
    if args.root:
        command += ['--root', args.root]
    if args.quick:
        command.append('--quick')
    names = list(args.configs or THREAD_CONFIGS)
    runs = {name: {model: [] for model in args.models} for name in names}
    others = []
    with background_load(args.background_load):
        for r in range(args.rounds):
            for name in (names if r % 2 == 0 else names[::-1]):
                env = dict(base_env, **THREAD_CONFIGS[name])
                done = subprocess.run(command, env=env, capture_output=True, text=True,
                                      timeout=1800)
                if done.returncode != 0:
                    raise RuntimeError('epoch worker for %r failed:\n%s' % (name, done.stderr))
                times = json.loads(done.stdout.strip().splitlines()[-1])
                others += times.pop('others')
                for model, values in times.items():
                    runs[name][model] += values
                log('  round %d %-40s %s' % (r + 1, name, '  '.join(
                    '%s %.3f' % (m, perf.median(v)) for m, v in times.items())))
    medians = {name: {model: perf.median(v) for model, v in per_model.items()}
               for name, per_model in runs.items()}
    return {'configs': {name: THREAD_CONFIGS[name] for name in names}, 'seconds': runs,
            'median_s': medians,
            'background_load': args.background_load,
            'other_processes_cores_max': max(others) if others else None}


def thread_study_lines(study):
    models = list(next(iter(study['median_s'].values())))
    lines = ['', 'our one-epoch medians (s) under other thread settings%s'
             % (' with %d busy-looping processes beside' % study['background_load']
                if study['background_load'] else ''),
             '   %-40s %s' % ('setting', ' '.join('%15s' % m for m in models))]
    for name, row in study['median_s'].items():
        lines.append('   %-40s %s' % (name, ' '.join('%15.3f' % row[m] for m in models)))
    for name, env in study['configs'].items():
        lines.append('     %-38s %s' % (name, ' '.join('%s=%s' % kv for kv in env.items())
                                        or '(nothing changed)'))
    return lines


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------

def report_lines(result):
    """The table of medians and ratios as text lines."""
    lines = []
    data = result.get('data')
    if data:
        med = data['median_s']
        lines += ['', '1. one pass over %d training images, batch %d (median of %d)'
                  % (data['examples'], BATCH_SIZE, len(data['seconds']['ours'])),
                  '   %-34s %9s %9s' % ('', 'seconds', 'ours is'),
                  '   %-34s %9.3f %9s' % ('ours (in-memory, default)', med['ours'], ''),
                  '   %-34s %9.3f %8.1fx' % ('d2lzh (%d workers%s)' % (
                                                data['d2lzh_workers'], ', its default'
                                                if data['d2lzh_workers'] == 4 else ''),
                                            med['d2lzh'],
                                            data['speedup']['vs_d2lzh']),
                  '   %-34s %9.3f %8.1fx' % ('d2lzh dataset, 0 workers', med['d2lzh_0_workers'],
                                            data['speedup']['vs_d2lzh_0_workers'])]
    epochs = result.get('epoch')
    if epochs:
        first = next(iter(epochs.values()))
        sides = list(first['median_s'])
        n = len(first['seconds']['ours'])
        lines += ['', '2. one epoch (train + test accuracy), seconds (median of %d)' % n,
                  '   %-16s' % 'model' + ''.join('%9s' % side for side in sides)
                  + '%13s' % 'd2lzh/ours'
                  + ''.join('%15s' % ('ours/' + side) for side in sides if side in TORCH_SIDES)]
        for model, row in epochs.items():
            lines.append('   %-16s' % model
                         + ''.join('%9.3f' % row['median_s'][side] for side in sides)
                         + '%12.1fx' % row['speedup']
                         + ''.join('%14.2fx' % row['ours_over_' + side] for side in sides
                                   if side in TORCH_SIDES))
        if all('median_cpu_s' in row for row in epochs.values()):
            cores = result['env'].get('processors') or 1
            lines += ['   CPU-seconds per epoch (all threads and processes; the work done, '
                      'whatever the cores): median',
                      '   %-16s' % 'model' + ''.join('%9s' % side for side in sides)
                      + '%22s' % ('ours / %d cores' % cores)]
            for model, row in epochs.items():
                lines.append('   %-16s' % model
                             + ''.join('%9.3f' % row['median_cpu_s'][side] for side in sides)
                             + '%22.3f' % (row['median_cpu_s']['ours'] / cores))
            lines.append('   (ours / %d cores: the shortest epoch our work allows on this '
                         'machine, if it were spread perfectly)' % cores)
    acc = result.get('accuracy')
    if acc:
        first = next(iter(acc.values()))
        sides = list(first['summary'])
        seeds = [run['seed'] for run in first['runs']['ours']]
        lines += ['', '3. %d epochs end to end (loaders + model + training), seeds %s: median '
                  'seconds; final test accuracy, mean over the seeds' % (first['epochs'], seeds),
                  '   %-16s' % 'model' + ''.join('%9s' % (side + ' s') for side in sides)
                  + '%9s' % 'ours is' + ''.join('%11s' % (side + ' acc') for side in sides)
                  + '%9s  %s' % ('diff', 'per-seed diffs (ours - d2lzh)')]
        for model, row in acc.items():
            summ = row['summary']
            lines.append('   %-16s' % model
                         + ''.join('%9.2f' % summ[side]['median_s'] for side in sides)
                         + '%8.1fx' % row['speedup']
                         + ''.join('%11.4f' % summ[side]['mean_test_acc'] for side in sides)
                         + '%+9.4f  %s' % (row['acc_diff_mean'], ' '.join(
                             '%+.4f' % d for d in row['acc_diff_per_seed'])))
        lines.append('   thread profile of ours: %s; the book\'s code ran in %s'
                     % (result['env'].get('thread_profile'), first['book_process']))
        lines.append('   ours read the .gz files through its cache of decompressed copies: %s'
                     % (result['env'].get('gunzip_cache') or 'off (CH3_CACHE_DIR is empty)'))
    flops = result.get('flops')
    if flops:
        peak = flops['peak']
        measured = flops['measured_gemm_flops']
        lines += ['', 'FLOPs per epoch against this CPU (%s)' % peak['model_name'],
                  '   theoretical FP32 peak: %.1f GFLOP/s = %s' % (peak['peak_flops'] / 1e9,
                                                                  peak['assumption']),
                  '   measured %d^3 FullyConnected (oneDNN): %s%s'
                  % (flops['gemm_size'], ', '.join('%s %.1f GFLOP/s' % (k, v / 1e9)
                                                   for k, v in measured.items()),
                     '; more than the peak: the cores run at >= %.2f GHz (turbo)'
                     % peak['implied_ghz'] if peak['implied_ghz'] > peak['ghz'] else ''),
                  '   ceiling = the higher of the two = %.1f GFLOP/s'
                  % (flops['ceiling_flops'] / 1e9),
                  '   %-16s %7s %9s %8s %8s %9s %10s %10s'
                  % ('model', 'GFLOP', '3x rule', 'epoch s', 'GFLOP/s', '% ceiling',
                     's ceiling', 's 1 core')]
        for model, row in flops['models'].items():
            lines.append('   %-16s %7.2f %9.2f %8.3f %8.1f %8.1f%% %10.3f %10.3f'
                         % (model, row['flops']['total'] / 1e9,
                            row['flops']['total_rule_of_thumb'] / 1e9, row['epoch_s'],
                            row['achieved_flops'] / 1e9, 100 * row['fraction_of_ceiling'],
                            row['lower_bound_s_at_ceiling'], row['lower_bound_s_one_core']))
    for name, profile in result.get('profile', {}).items():
        lines += ['', 'profile of our %s epoch (MXNet profiler, aggregate)' % name]
        lines += ['   ' + line for line in perf.format_profile(profile)]
    targets = result.get('targets')
    if targets:
        lines += ['', 'targets:']
        for name, value in targets.items():
            lines.append('   %-44s %s' % (name, value))
    return lines


def check_targets(result):
    """The issue's targets as 'met'/'NOT met' strings with the measured value."""
    out = {}
    data = result.get('data')
    if data:
        value = data['speedup']['vs_d2lzh']
        out['data pass >= %gx faster than d2lzh' % TARGETS['data_speedup']] = \
            '%s (%.1fx)' % ('met' if value >= TARGETS['data_speedup'] else 'NOT met', value)
    acc = result.get('accuracy', {})
    if 'mlp_gluon' in acc:
        value = acc['mlp_gluon']['speedup']
        out['MLP Gluon %d epochs end to end >= %gx faster' % (
            acc['mlp_gluon']['epochs'], TARGETS['mlp_gluon_end_to_end_speedup'])] = \
            '%s (%.1fx)' % ('met' if value >= TARGETS['mlp_gluon_end_to_end_speedup']
                            else 'NOT met', value)
    for model, row in (result.get('epoch') or {}).items():
        if 'ours_over_torch' in row and model in TARGETS['vs_torch']:
            limit, value = TARGETS['vs_torch'][model], row['ours_over_torch']
            out['%s epoch <= %gx PyTorch\'s' % (model, limit)] = '%s (%.2fx)' % (
                'met' if value <= limit else 'NOT met', value)
    for model, row in acc.items():
        worst = min(row['acc_diff_per_seed'])
        out['%s accuracy not worse by > %g' % (model, TARGETS['accuracy_shortfall'])] = \
            '%s (mean %+.4f, worst seed %+.4f)' % (
                'met' if row['acc_diff_mean'] >= -TARGETS['accuracy_shortfall'] else 'NOT met',
                row['acc_diff_mean'], worst)
    return out


def environment():
    info = perf.read_cpuinfo()
    return {'mxnet': mx.__version__, 'numpy': np.__version__,
            'python': platform.python_version(), 'cpu': info['model_name'],
            'processors': info['processors'], 'threads': perf.thread_settings(),
            'thread_profile': perf.thread_profile(),
            'gunzip_cache': gunzip_cache.cache_dir(),
            'mxnet_omp_threads_default': 'half the processors on x86 unless OMP_NUM_THREADS is set'}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--repeats', type=int, default=5,
                        help='interleaved repetitions of the data pass and the epoch (default 5)')
    parser.add_argument('--epochs', type=int, default=5,
                        help='epochs of the accuracy / end-to-end runs (default 5)')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2],
                        help='seeds of the accuracy runs (default 0 1 2)')
    parser.add_argument('--models', nargs='+', choices=MODELS, default=list(MODELS))
    parser.add_argument('--skip', nargs='+', default=[],
                        choices=['data', 'epoch', 'accuracy', 'flops', 'profile'],
                        help='parts to leave out')
    parser.add_argument('--root', default=None,
                        help='folder with the Fashion-MNIST .gz files (default: searched)')
    parser.add_argument('--json', default=None, help='write the results here (atomically)')
    parser.add_argument('--wait', type=float, default=120.0,
                        help='before each timed piece, wait up to this many seconds until other '
                             'processes use < 0.15 cores (default 120; 0: do not wait)')
    parser.add_argument('--thread-study', action='store_true',
                        help='instead: our one-epoch times under each of THREAD_CONFIGS, each in '
                             'its own process (settings read at library load)')
    parser.add_argument('--configs', nargs='+', choices=list(THREAD_CONFIGS), default=None,
                        help='thread-study settings to compare (default: all)')
    parser.add_argument('--rounds', type=int, default=2,
                        help='interleaved rounds of the thread study (default 2)')
    parser.add_argument('--background-load', type=int, default=0, metavar='N',
                        help='run N busy-looping processes beside the measurements (a shared '
                             'machine); pieces are then timed without waiting for quiet')
    parser.add_argument('--threads', choices=perf.THREAD_PROFILES, default=None,
                        help="ch3 thread profile to run under (sets CH3_THREADS and restarts; "
                             "default: this process's, i.e. CH3_THREADS or 'mxnet'). Under "
                             "another profile than 'mxnet' the book's end-to-end runs happen "
                             "in fresh processes with MXNet's own settings")
    parser.add_argument('--epoch-worker', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--book-worker', nargs=2, metavar=('MODEL', 'SEED'), default=None,
                        help=argparse.SUPPRESS)
    parser.add_argument('--no-torch', action='store_true',
                        help='leave PyTorch out even when it is installed')
    parser.add_argument('--quick', action='store_true',
                        help='smoke run: %d examples per split, 1 repeat, 1 epoch, seed 0, '
                             'd2lzh without worker processes' % QUICK_SUBSET)
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.epochs < 1:
        parser.error('--repeats and --epochs must be >= 1')
    if args.quick:
        args.repeats, args.epochs, args.seeds, args.wait = 1, 1, args.seeds[:1], 0.0
    return args


def main(argv=None, log=print):
    args = parse_args(argv)
    if args.threads is not None and args.threads != perf.thread_profile():
        # the profile is read when MXNet loads, so it takes a new process
        argv = sys.argv[1:] if argv is None else list(argv)
        env = dict(_env_without_ch3_settings(), CH3_THREADS=args.threads,
                   **perf.thread_profile_env(args.threads))
        sys.stdout.flush()
        os.execve(sys.executable, [sys.executable, os.path.abspath(__file__)] + argv, env)
    if args.epoch_worker:
        return epoch_worker(args, log)
    if args.book_worker:
        return book_worker(args, log)
    if args.thread_study:
        result = {'env': environment(), 'args': vars(args),
                  'thread_study': thread_study(args, log)}
        for line in thread_study_lines(result['thread_study']):
            log(line)
        if args.json:
            with atomic_write(args.json) as handle:
                json.dump(result, handle, indent=2)
            log('wrote %s' % args.json)
        return result
    root = fm.find_fashion_mnist(args.root, download=False)
    env = environment()
    log('ch3 benchmark: mxnet %s, %s (%d processors), load average %.2f; threads %s'
        % (env['mxnet'], env['cpu'], env['processors'], perf.load_average() or -1,
           {k: v for k, v in env['threads'].items() if v is not None}))
    result = {'env': env, 'args': vars(args), 'load_average_start': perf.load_average()}
    # beside N busy processes the machine is never quiet: time without waiting for it
    measure = Measure(wait=0.0 if args.background_load else args.wait)
    started = time.perf_counter()
    sides = ('ours', 'd2lzh')
    if not args.no_torch and bench_torch.available():
        bench_torch.set_threads(perf.physical_cores())
        sides += TORCH_SIDES
        import torch
        result['env']['torch'] = torch.__version__
    elif not args.no_torch:
        log(bench_torch.HOW_TO_ADD)
    with d2lzh_offline_root(root) as d2l_root, background_load(args.background_load):
        if args.background_load:
            log('with %d busy-looping processes beside' % args.background_load)
        loaders = Loaders(root, d2l_root, subset=QUICK_SUBSET if args.quick else None,
                          d2lzh_workers=0 if args.quick else None)
        if 'data' not in args.skip:
            log('1. data pass')
            result['data'] = bench_data_pass(loaders, args.repeats, log, measure)
        if 'epoch' not in args.skip:
            log('2. one epoch per model')
            result['epoch'] = bench_epochs(loaders, args.models, args.repeats, log, measure,
                                           sides=sides)
        if 'accuracy' not in args.skip:
            log('3. %d epochs end to end, seeds %s' % (args.epochs, args.seeds))
            # the book's code as its users run it: without what ch3 sets before MXNet loads
            # (a thread profile other than MXNet's counts even when its variables came in with
            # the environment, as they do after --threads restarts this script)
            elsewhere = perf.set_at_library_load() or perf.thread_profile() != 'mxnet'
            book_elsewhere = (lambda model, seed: time_book_with_mxnet_threads(args, model, seed)
                              ) if elsewhere else None
            result['accuracy'] = bench_accuracy(loaders, args.models, args.epochs, args.seeds,
                                                log, measure, book_elsewhere,
                                                tuple(s for s in sides if s != 'torch_1'))
        if 'flops' not in args.skip and 'epoch' in result:
            result['flops'] = flop_analysis(result['epoch'], 256 if args.quick else 2048,
                                            *loaders.sizes())
        if 'profile' not in args.skip:
            model = 'mlp_gluon' if 'mlp_gluon' in args.models else args.models[0]
            result['profile'] = {model: profile_ours(loaders, model)}
    result['targets'] = check_targets(result)
    if measure.others:
        result['other_processes_cores'] = {'median': perf.median(measure.others),
                                           'max': max(measure.others),
                                           'measurements': len(measure.others)}
    result['load_average_end'] = perf.load_average()
    result['total_s'] = time.perf_counter() - started
    for line in report_lines(result):
        log(line)
    others = result.get('other_processes_cores')
    if others:
        log('\nother processes used %.2f cores (median), %.2f (max) during the %d timed pieces'
            % (others['median'], others['max'], others['measurements']))
    log('load average %.2f at the start, %.2f at the end; %.0f s in all'
        % (result['load_average_start'] or -1, result['load_average_end'] or -1,
           result['total_s']))
    if args.json:
        with atomic_write(args.json) as handle:
            json.dump(result, handle, indent=2)
        log('wrote %s' % args.json)
    return result


if __name__ == '__main__':
    main()
