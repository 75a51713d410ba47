"""Run of section 3.5 (the book's code is ch3.book.fashion_mnist): the data set's sizes and
samples, one timed reading pass from scratch ('fast') or with Gluon's DataLoader, and whether
the two pipelines give identical batches."""
import hashlib

import numpy as np

from ch3.book import fashion_mnist as book
from ch3.book.plotting import finish
from ch3.checks import check_int
from ch3.data.fashion_mnist import TEXT_LABELS, load_fashion_mnist_arrays
from ch3.harness.runs import Section
from ch3.harness.runs.data import fashion_mnist_iters
from ch3.utils import Timer, set_seed

OTHER = {'fast': 'gluon', 'gluon': 'fast'}


def dataset_summary(pipeline='fast', root=None):
    """3.5: sizes of both splits, the first training sample's shape/dtype and label as the
    pipeline gives it (Gluon: (28, 28, 1); from scratch: our arrays (28, 28)), the ten labels."""
    if pipeline == 'gluon':
        train = book.FashionMNISTArrays(root, train=True)
        test = book.FashionMNISTArrays(root, train=False)
        feature, label = train[0]
        feature = feature.asnumpy()
        train_size, test_size, label_dtype = len(train), len(test), np.asarray(label).dtype
    else:
        (images, labels), (test_images, _) = [load_fashion_mnist_arrays(root, train=t)
                                              for t in (True, False)]
        feature, label = images[0], labels[0]
        train_size, test_size, label_dtype = len(images), len(test_images), labels.dtype
    return {'train_size': int(train_size), 'test_size': int(test_size),
            'sample_shape': list(feature.shape), 'sample_dtype': feature.dtype.name,
            'sample_min': int(feature.min()), 'sample_max': int(feature.max()),
            'first_label': int(label),
            'first_label_text': book.get_fashion_mnist_labels([label])[0],
            'label_dtype': label_dtype.name, 'text_labels': list(TEXT_LABELS)}


def first_images_figure(n=9, root=None):
    """3.5: the first n training images in one row titled with their text labels (Figure)."""
    n = check_int('n', n, minimum=1)
    dataset = book.FashionMNISTArrays(root, train=True)
    X, y = dataset[0:n]          # Gluon's layout (n, 28, 28, 1), as in the book
    return book.fashion_mnist_figure(X, book.get_fashion_mnist_labels(y))


def read_pass(train_iter):
    """3.5: seconds for one pass over train_iter and the first batch's shapes/dtypes/range
    (X (b, 1, 28, 28) float32 in [0, 1], y (b,) int32)."""
    timer = Timer()
    first, examples, batches = None, 0, 0
    for X, y in train_iter:
        if first is None:
            first = {'batch_shape': list(X.shape), 'batch_dtype': np.dtype(X.dtype).name,
                     'batch_min': float(X.min().asscalar()),
                     'batch_max': float(X.max().asscalar()),
                     'batch_label_shape': list(y.shape),
                     'batch_label_dtype': np.dtype(y.dtype).name}
        examples, batches = examples + y.shape[0], batches + 1
    y.wait_to_read()
    first.update({'read_seconds': timer.stop(), 'examples_read': examples,
                  'num_batches': batches, 'last_batch_size': int(y.shape[0])})
    return first


def batch_digests(train_iter):
    """sha1 of each batch's image bytes and of its label bytes, in order."""
    return [(hashlib.sha1(X.asnumpy().tobytes()).hexdigest(),
             hashlib.sha1(y.asnumpy().astype(np.int32).tobytes()).hexdigest())
            for X, y in train_iter]


def _train_iter(batch_size, pipeline, num_workers, subset, root, ctx):
    return fashion_mnist_iters(batch_size, [ctx], subset, pipeline=pipeline, root=root,
                               num_workers=num_workers)[0]


def time_reading(batch_size=256, pipeline='fast', num_workers=0, subset=None, root=None,
                 ctx=None, seed=None):
    """3.5: one timed reading pass of the training split with the pipeline (see read_pass)."""
    if seed is not None:
        set_seed(seed)
    return read_pass(_train_iter(batch_size, pipeline, num_workers, subset, root, ctx))


def compare_pipelines(batch_size=256, num_workers=0, subset=None, root=None, ctx=None, seed=0):
    """3.5: one pass of each pipeline from the same seed: are all images and labels identical,
    batch by batch (sha1 of their bytes)?"""
    digests = {}
    for pipeline in book.PIPELINES:
        set_seed(seed)
        digests[pipeline] = batch_digests(_train_iter(batch_size, pipeline, num_workers,
                                                      subset, root, ctx))
    fast, gluon = digests['fast'], digests['gluon']
    return {'num_batches_equal': len(fast) == len(gluon),
            'images_identical': [d[0] for d in fast] == [d[0] for d in gluon],
            'labels_identical': [d[1] for d in fast] == [d[1] for d in gluon]}


def _run(pipeline, ctx, out, batch_size, num_workers, subset, seed, verbose):
    device = ctx[0] if ctx else None
    final = dataset_summary(pipeline)
    final.update(time_reading(batch_size, pipeline, num_workers, subset, ctx=device, seed=seed))
    other = time_reading(batch_size, OTHER[pipeline], num_workers, subset, ctx=device, seed=seed)
    final.update({'other_pipeline': OTHER[pipeline],
                  'other_read_seconds': other['read_seconds']})
    final.update(compare_pipelines(batch_size, num_workers, subset, ctx=device, seed=seed))
    figures = [finish(first_images_figure(9), out, 'fashion_mnist_samples.png')] if out else []
    if verbose:
        print('train %d, test %d examples; first sample: shape %s, dtype %s, label %d (%s)'
              % (final['train_size'], final['test_size'], tuple(final['sample_shape']),
                 final['sample_dtype'], final['first_label'], final['first_label_text']))
        print('batches: X %s %s, y %s %s' % (tuple(final['batch_shape']), final['batch_dtype'],
                                             tuple(final['batch_label_shape']),
                                             final['batch_label_dtype']))
        print('reading %d training examples: %.2f sec (%s), %.2f sec (%s); same seed: images '
              'identical %s, labels identical %s'
              % (final['examples_read'], final['read_seconds'], pipeline,
                 final['other_read_seconds'], OTHER[pipeline], final['images_identical'],
                 final['labels_identical']))
    return {'hyperparameters': {'batch_size': batch_size, 'pipeline': pipeline,
                                'num_workers': num_workers, 'subset': subset, 'seed': seed},
            'history': [], 'final': final, 'figures': figures}


def run_scratch(ctx=None, out=None, batch_size=256, subset=None, seed=0, verbose=True):
    """3.5 from scratch: our IDX reader + FashionMNISTIter; sizes, sample, reading time, and
    the same pass through the Gluon pipeline for comparison."""
    return _run('fast', ctx, out, batch_size, 0, subset, seed, verbose)


def run_gluon(ctx=None, out=None, batch_size=256, num_workers=0, subset=None, seed=0,
              verbose=True):
    """3.5 with Gluon: FashionMNISTArrays data set + transform_first(ToTensor) + DataLoader; sizes,
    sample, reading time, and the same pass from scratch for comparison."""
    return _run('gluon', ctx, out, batch_size, num_workers, subset, seed, verbose)


SECTIONS = [
    Section('3.5', 'Image classification data set (Fashion-MNIST)',
            {'scratch': run_scratch, 'gluon': run_gluon}, default_impl='scratch',
            headline='train_size',
            book={'train_size': 60000, 'test_size': 10000, 'sample_shape': [28, 28, 1],
                  'sample_dtype': 'uint8', 'first_label': 2, 'label_dtype': 'int32',
                  'first_nine_first_last': ['pullover', 'coat'],
                  'read_seconds': 1.22, 'num_workers': 4, 'batch_size': 256,
                  'source': 'd2l-zh notebooks, commit ea74109',
                  'note': "Gluon's copy of the training set starts with label 2 (pullover); "
                          "Debian's (Zalando's) order starts with 9 (ankle boot)"}),
]
