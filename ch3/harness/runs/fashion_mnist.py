"""Section 3.5: the image classification data set Fashion-MNIST.

60,000 training and 10,000 test images of 28 x 28 grey pixels (uint8, 0..255) in ten classes
(t-shirt, trouser, pullover, dress, coat, sandal, shirt, sneaker, bag, ankle boot). The book's
ToTensor transform turns an image (h, w, 1) uint8 into (1, h, w) float32 x / 255 in [0, 1];
minibatches are (batch_size, 1, 28, 28) with labels (batch_size,).
"""
import numpy as np

from ch3.data.fashion_mnist import TEXT_LABELS, get_fashion_mnist_labels, \
    load_data_fashion_mnist, load_fashion_mnist_arrays, show_fashion_mnist
from ch3.context import as_ctx_list
from ch3.book.plotting import finish
from ch3.harness.runs import Section
from ch3.utils import Timer
from ch3.checks import check_int, check_training_args

QUICK_SUBSET = 2000   # examples per split read by quick=True


def dataset_summary(root=None):
    """3.5: sizes of both splits, one training sample's shape/dtype and label, the ten labels."""
    train_images, train_labels = load_fashion_mnist_arrays(root, train=True)
    test_images, _ = load_fashion_mnist_arrays(root, train=False)
    feature, label = train_images[0], train_labels[0]
    return {'train_size': int(train_images.shape[0]), 'test_size': int(test_images.shape[0]),
            'sample_shape': list(feature.shape), 'sample_dtype': feature.dtype.name,
            'sample_min': int(feature.min()), 'sample_max': int(feature.max()),
            'first_label': int(label), 'first_label_text': get_fashion_mnist_labels([label])[0],
            'label_dtype': train_labels.dtype.name, 'text_labels': list(TEXT_LABELS)}


def first_images_figure(n=9, root=None):
    """3.5: the first n training images (28, 28) in one row titled with their text labels;
    returns the Figure."""
    n = check_int('n', n, minimum=1)
    images, labels = load_fashion_mnist_arrays(root, train=True)
    return show_fashion_mnist(images[:n], get_fashion_mnist_labels(labels[:n]))


def time_reading(batch_size=256, pipeline='fast', num_workers=0, subset=None, root=None,
                 ctx=None):
    """3.5: seconds to read the training set once in minibatches, the first batch's X and y
    shapes/dtypes (X (b, 1, 28, 28) float32 in [0, 1])."""
    train_iter, _ = load_data_fashion_mnist(batch_size, root=root, pipeline=pipeline,
                                            num_workers=num_workers, subset=subset, ctx=ctx,
                                            last_batch='keep')   # a reading pass sees every image
    timer = Timer()
    first, examples = None, 0
    for X, y in train_iter:
        if first is None:
            first = {'batch_shape': list(X.shape), 'batch_dtype': np.dtype(X.dtype).name,
                     'batch_min': float(X.min().asscalar()), 'batch_max': float(X.max().asscalar()),
                     'batch_label_shape': list(y.shape),
                     'batch_label_dtype': np.dtype(y.dtype).name}
        examples += y.shape[0]
    y.wait_to_read()
    first.update({'read_seconds': timer.stop(), 'examples_read': examples})
    return first


def run_dataset(ctx=None, quick=False, out=None, batch_size=256, pipeline='fast', num_workers=0,
                verbose=True):
    """3.5: the data set section: sizes, a sample's shape/dtype, labels, reading time and the
    grid of the first nine training images."""
    check_training_args(batch_size=batch_size)
    device = as_ctx_list(ctx)[0]
    final = dataset_summary()
    final.update(time_reading(batch_size, pipeline, num_workers,
                              subset=QUICK_SUBSET if quick else None, ctx=device))
    figures = [finish(first_images_figure(9), out, 'fashion_mnist_samples.png')] if out else []
    if verbose:
        print('train %d, test %d examples' % (final['train_size'], final['test_size']))
        print('one sample: shape %s, dtype %s, label %d (%s)'
              % (tuple(final['sample_shape']), final['sample_dtype'], final['first_label'],
                 final['first_label_text']))
        print('batches: X %s %s, y %s %s' % (tuple(final['batch_shape']), final['batch_dtype'],
                                             tuple(final['batch_label_shape']),
                                             final['batch_label_dtype']))
        print('reading %d training examples: %.2f sec'
              % (final['examples_read'], final['read_seconds']))
    return {'hyperparameters': {'batch_size': batch_size, 'pipeline': pipeline,
                                'num_workers': num_workers},
            'history': [], 'final': final, 'figures': figures}


SECTIONS = [
    Section('3.5', 'Image classification data set (Fashion-MNIST)', {'scratch': run_dataset},
            default_impl='scratch',
            book={'train_size': 60000, 'test_size': 10000, 'sample_shape': [28, 28, 1],
                  'sample_dtype': 'uint8',
                  'note': 'gluon FashionMNIST gives (28, 28, 1) samples; our arrays are (28, 28)'}),
]
