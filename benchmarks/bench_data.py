"""Benchmark (not a test): one pass over the 60000 Fashion-MNIST training images (section 3.5).

Times, in one run and on the same files:
  * ours: `ch3.data.fashion_mnist.load_data_fashion_mnist` (default 'fast' pipeline) at batch 256
    and at batch 1 (the chapter's exercise; the book's notes saw 2.7 s at 256 vs 7.8 s at 1);
  * d2lzh: the iterator of `d2lzh.load_data_fashion_mnist` at batch 256 with its default 4 worker
    processes, the same dataset through a DataLoader with 0 workers, and at batch 1 (only a
    fraction of an epoch, extrapolated to 60000 images, because it is slow).

Every batch is waited for (`X.wait_to_read()`), and the median over --repeats passes is reported.
d2lzh would try to download because Debian's .gz files differ byte-wise from the ones gluon's
FashionMNIST checks by sha1 (the decompressed data is the same); so the script links Debian's
files into a temporary root, patches gluon's `check_sha1` to accept them for the duration, and
points MXNET_GLUON_REPO at a closed local port so nothing can be downloaded.

Usage: python benchmarks/bench_data.py [--repeats 3] [--json out.json]
"""
import argparse
import contextlib
import json
import os
import platform
import statistics
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ch3.data import fashion_mnist as fm  # noqa: E402  (ch3 before mxnet: see ch3.harness.perf)
from ch3.book.fashion_mnist import load_data_fashion_mnist  # noqa: E402
from ch3.utils import atomic_write  # noqa: E402

import mxnet as mx  # noqa: E402

TRAIN_SIZE = 60000


def time_pass(iterable, max_batches=None):
    """Seconds to draw every batch (or the first max_batches) and wait until each is ready;
    returns (seconds, examples seen)."""
    seen = 0
    start = time.perf_counter()
    for i, (X, y) in enumerate(iterable):
        X.wait_to_read()
        y.wait_to_read()
        seen += X.shape[0]
        if max_batches is not None and i + 1 >= max_batches:
            break
    mx.nd.waitall()
    return time.perf_counter() - start, seen


def measure(name, make_iter, batch_size, workers, repeats, fraction=1.0, note=''):
    """Median seconds per full pass (extrapolated from `fraction` of a pass when < 1)."""
    iterable = make_iter()
    max_batches = None
    if fraction < 1.0:
        max_batches = max(1, int(round(fraction * TRAIN_SIZE / batch_size)))
    times = []
    for _ in range(repeats):
        seconds, seen = time_pass(iterable, max_batches)
        times.append(seconds * TRAIN_SIZE / seen)
    row = {'pipeline': name, 'batch_size': batch_size, 'workers': workers,
           'median_s': statistics.median(times), 'all_s': times,
           'fraction_timed': fraction, 'note': note}
    row['examples_per_s'] = TRAIN_SIZE / row['median_s']
    print('  %-28s batch %4d  workers %s  %8.3f s/pass%s'
          % (name, batch_size, workers, row['median_s'],
             ('  (%s)' % note) if note else ''), flush=True)
    return row


@contextlib.contextmanager
def d2lzh_offline_root(source):
    """A temporary root with Debian's .gz files linked in, gluon's sha1 check patched to accept
    them, and downloads pointed at a closed port; everything is restored on exit."""
    import mxnet.gluon.utils as gutils
    import mxnet.gluon.data.vision.datasets as gdatasets
    saved = (gutils.check_sha1, gdatasets.check_sha1, os.environ.get('MXNET_GLUON_REPO'))
    with tempfile.TemporaryDirectory(prefix='bench_d2lzh_') as root:
        for name in fm.ALL_FILES:
            src = os.path.join(source, name + '.gz')
            if not os.path.isfile(src):
                raise SystemExit('d2lzh needs %s.gz in %s' % (name, source))
            os.symlink(os.path.abspath(src), os.path.join(root, name + '.gz'))
        gutils.check_sha1 = gdatasets.check_sha1 = lambda filename, sha1_hash: True
        os.environ['MXNET_GLUON_REPO'] = 'http://127.0.0.1:9/'
        try:
            yield root
        finally:
            gutils.check_sha1, gdatasets.check_sha1 = saved[:2]
            if saved[2] is None:
                os.environ.pop('MXNET_GLUON_REPO', None)
            else:
                os.environ['MXNET_GLUON_REPO'] = saved[2]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--root', default=None,
                        help='folder with the Fashion-MNIST .gz files (default: searched)')
    parser.add_argument('--repeats', type=int, default=3, help='passes per measurement')
    parser.add_argument('--d2lzh-repeats', type=int, default=2,
                        help='passes per d2lzh measurement (each is slow)')
    parser.add_argument('--d2lzh-batch1-fraction', type=float, default=0.05,
                        help='fraction of an epoch timed for d2lzh at batch 1 (extrapolated)')
    parser.add_argument('--skip-d2lzh', action='store_true')
    parser.add_argument('--json', default=None, help='write the results as JSON here')
    args = parser.parse_args(argv)

    root = fm.find_fashion_mnist(args.root, download=False)
    print('Fashion-MNIST from %s; mxnet %s, numpy %s, %d CPU(s)'
          % (root, mx.__version__, np.__version__, os.cpu_count()))
    np.random.seed(0)
    rows, setup = [], {}

    print('ours (pipeline=fast):', flush=True)
    fm._decode_split.cache_clear()
    start = time.perf_counter()
    fm.load_fashion_mnist_arrays(root, train=True, download=False)
    setup['ours_decode_s'] = time.perf_counter() - start
    start = time.perf_counter()
    load_data_fashion_mnist(256, root=root, download=False)
    setup['ours_convert_s'] = time.perf_counter() - start
    print('  setup: decode train IDX %.2f s (once per process), to float32 arrays %.2f s'
          % (setup['ours_decode_s'], setup['ours_convert_s']))
    for batch_size in (256, 1):
        rows.append(measure('ours fast', lambda b=batch_size: load_data_fashion_mnist(
            b, root=root, download=False)[0], batch_size, 0, args.repeats))

    if not args.skip_d2lzh:
        import d2lzh
        from mxnet.gluon import data as gdata
        print('d2lzh.load_data_fashion_mnist (offline: Debian files linked into a temporary root, '
              "gluon's check_sha1 patched to accept them, MXNET_GLUON_REPO -> closed port):",
              flush=True)
        with d2lzh_offline_root(root) as d2l_root:
            start = time.perf_counter()
            d2l_train, _ = d2lzh.load_data_fashion_mnist(256, root=d2l_root)
            setup['d2lzh_setup_s'] = time.perf_counter() - start
            print('  setup: %.2f s' % setup['d2lzh_setup_s'])
            dataset = d2l_train._dataset
            workers = d2l_train._num_workers
            rows.append(measure('d2lzh (its default)', lambda: d2l_train, 256, workers,
                                args.d2lzh_repeats))
            rows.append(measure('d2lzh dataset, DataLoader', lambda: gdata.DataLoader(
                dataset, 256, shuffle=True, num_workers=0), 256, 0, args.d2lzh_repeats))
            fraction = args.d2lzh_batch1_fraction
            note = ('first %d batches, extrapolated' % round(fraction * TRAIN_SIZE)
                    if fraction < 1 else '')
            rows.append(measure('d2lzh dataset, DataLoader', lambda: gdata.DataLoader(
                dataset, 1, shuffle=True, num_workers=workers), 1, workers, args.d2lzh_repeats,
                fraction, note))
            rows.append(measure('d2lzh dataset, DataLoader', lambda: gdata.DataLoader(
                dataset, 1, shuffle=True, num_workers=0), 1, 0, args.d2lzh_repeats,
                fraction, note))
            del d2l_train

    def find(name, batch_size, workers=None):
        for row in rows:
            if row['pipeline'] == name and row['batch_size'] == batch_size \
                    and (workers is None or row['workers'] == workers):
                return row['median_s']
        return None

    ratios = {}
    ours256, ours1 = find('ours fast', 256), find('ours fast', 1)
    ratios['ours_batch1_over_batch256'] = ours1 / ours256
    if not args.skip_d2lzh:
        ratios['d2lzh_default_over_ours_256'] = find('d2lzh (its default)', 256) / ours256
        ratios['d2lzh_0workers_over_ours_256'] = find('d2lzh dataset, DataLoader', 256, 0) / ours256
        ratios['d2lzh_4workers_over_ours_1'] = find('d2lzh dataset, DataLoader', 1, 4) / ours1
        ratios['d2lzh_0workers_over_ours_1'] = find('d2lzh dataset, DataLoader', 1, 0) / ours1

    print('\nmedian seconds per pass over 60000 training images')
    print('%-28s %6s %8s %10s %12s' % ('pipeline', 'batch', 'workers', 'seconds', 'examples/s'))
    for row in rows:
        print('%-28s %6d %8s %10.3f %12.0f%s'
              % (row['pipeline'], row['batch_size'], row['workers'], row['median_s'],
                 row['examples_per_s'], ('  ' + row['note']) if row['note'] else ''))
    print('\nratios:')
    for key, value in ratios.items():
        print('  %-34s %8.1fx' % (key, value))
    if 'd2lzh_default_over_ours_256' in ratios:
        verdict = 'met' if ratios['d2lzh_default_over_ours_256'] >= 10 else 'NOT met'
        print('  goal "ours >= 10x faster than d2lzh at batch 256": %s' % verdict)

    result = {'rows': rows, 'ratios': ratios, 'setup_s': setup,
              'env': {'mxnet': mx.__version__, 'numpy': np.__version__,
                      'python': platform.python_version(), 'cpus': os.cpu_count(),
                      'root': root},
              'notes': ["d2lzh ran offline: Debian's .gz files linked into a temporary root and "
                        "mxnet.gluon.utils.check_sha1 / gluon.data.vision.datasets.check_sha1 "
                        "patched to accept them"]}
    if args.json:
        with atomic_write(args.json) as handle:
            json.dump(result, handle, indent=2)
        print('wrote %s' % args.json)
    return result


if __name__ == '__main__':
    main()
