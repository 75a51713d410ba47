"""Section 3.5: the image classification data set Fashion-MNIST.

60,000 training and 10,000 test images of 28 x 28 grey pixels (uint8, 0..255) in ten classes
(t-shirt, trouser, pullover, dress, coat, sandal, shirt, sneaker, bag, ankle boot). A sample of
Gluon's data set is (image (28, 28, 1) uint8, label int32); the book's ToTensor transform turns an
image (h, w, 1) uint8 into (1, h, w) float32 x / 255 in [0, 1], so minibatches are
(batch_size, 1, 28, 28) float32 with labels (batch_size,) int32.

From scratch: our IDX reader (ch3.data.fashion_mnist) decodes the files once and FashionMNISTIter
shuffles and gathers the batches from one float32 array. With Gluon: `FashionMNISTArrays`, a
gluon.data.ArrayDataset over the same decoded arrays with gluon.data.vision.FashionMNIST's samples
(gluon's own class checks the sha1 of its .gz bytes, which Debian's differently compressed files
fail), then the book's `transform_first(ToTensor())` and DataLoader. With the same numpy seed both
give identical batches in the same order (both shuffle with np.random.shuffle).
"""
import mxnet as mx
import numpy as np
from mxnet import nd
from mxnet.gluon import data as gdata

from ch3.book.plotting import image_grid, use_svg_display
from ch3.checks import check_choice, check_int, check_last_batch, check_resize
from ch3.data.fashion_mnist import (NUM_CLASSES, TEXT_LABELS, FashionMNISTIter,
                                    load_fashion_mnist_arrays, transformer)

PIPELINES = ('fast', 'gluon')   # from scratch (FashionMNISTIter), the book's Gluon DataLoader


# --- 3.5 with Gluon: the data set and the DataLoader ------------------------------------------

def _gluon_arrays(images, labels):
    """images uint8 (n, 28, 28) -> NDArray (n, 28, 28, 1) as Gluon stores them; labels int32."""
    return nd.array(np.asarray(images)[..., None], dtype='uint8'), np.asarray(labels, np.int32)


class FashionMNISTArrays(gdata.ArrayDataset):
    """3.5: gluon.data.vision.FashionMNIST read by our IDX reader: len 60000 (train) or 10000;
    sample i = (image (28, 28, 1) uint8 NDArray, label numpy int32)."""

    def __init__(self, root=None, train=True, download=True):
        super().__init__(*_gluon_arrays(*load_fashion_mnist_arrays(root, train, download)))

    @classmethod
    def from_arrays(cls, images, labels):
        """The same data set over given images uint8 (n, 28, 28) and labels (n,)."""
        dataset = cls.__new__(cls)
        gdata.ArrayDataset.__init__(dataset, *_gluon_arrays(images, labels))
        return dataset


class _OnContext:
    """A DataLoader whose batches are copied to ctx (FashionMNISTIter has a ctx of its own)."""

    def __init__(self, loader, ctx):
        self.loader, self.ctx = loader, ctx

    def __len__(self):
        return len(self.loader)

    def __iter__(self):
        for X, y in self.loader:
            yield X.as_in_context(self.ctx), y.as_in_context(self.ctx)


def gluon_loader(dataset, batch_size, shuffle, resize=None, num_workers=0, ctx=None,
                 last_batch='keep'):
    """3.5: the book's DataLoader(dataset.transform_first(ToTensor), batch_size, shuffle) over
    samples ((28, 28, 1) uint8, label) -> batches (X (b, 1, 28, 28) float32, y (b,) int32)."""
    loader = gdata.DataLoader(dataset.transform_first(transformer(resize)), batch_size,
                              shuffle=shuffle, num_workers=num_workers, last_batch=last_batch)
    return loader if ctx is None or ctx == mx.cpu() else _OnContext(loader, ctx)


# --- both versions ------------------------------------------------------------------------------

def fashion_mnist_iter(images, labels, batch_size, shuffle, resize=None, pipeline='fast',
                       num_workers=0, ctx=None, last_batch='keep'):
    """3.5: batches (X float32 (b, 1, 28, 28) in [0, 1], y int32 (b,)) over images uint8
    (n, 28, 28) and labels (n,): FashionMNISTIter ('fast') or the Gluon DataLoader ('gluon')."""
    check_int('batch_size', batch_size, minimum=1)
    check_choice('pipeline', pipeline, PIPELINES)
    if pipeline == 'fast':
        return FashionMNISTIter(images, labels, batch_size, shuffle=shuffle, resize=resize,
                                ctx=ctx, last_batch=last_batch)
    return gluon_loader(FashionMNISTArrays.from_arrays(images, labels), batch_size, shuffle, resize,
                        num_workers, ctx, last_batch)


def load_data_fashion_mnist(batch_size, resize=None, root=None, pipeline='fast', num_workers=0,
                            ctx=None, last_batch='keep', download=True):
    """3.5: (train_iter, test_iter) over all 60000 / 10000 images: batches (X float32
    (b, 1, 28, 28) in [0, 1] (or resize x resize), y int32 (b,)); train shuffles each pass.

    root: the folder of the four IDX files (default: searched, Debian's
    /usr/share/datasets/fashion-mnist included). pipeline: 'fast' (from scratch) or 'gluon'
    (the book's DataLoader, num_workers processes). ctx: the batches' device.
    last_batch: 'keep' (the book's: the last, smaller batch is used) or 'discard' (training
    split only; the test split always keeps every example).
    """
    check_int('batch_size', batch_size, minimum=1)
    check_int('num_workers', num_workers, minimum=0)
    check_choice('pipeline', pipeline, PIPELINES)
    resize, last_batch = check_resize(resize, batch_size), check_last_batch(last_batch)
    iters = []
    for train in (True, False):
        images, labels = load_fashion_mnist_arrays(root, train=train, download=download)
        iters.append(fashion_mnist_iter(images, labels, batch_size, train, resize, pipeline,
                                        num_workers, ctx, last_batch if train else 'keep'))
    return tuple(iters)


# --- labels and pictures ------------------------------------------------------------------------

def get_fashion_mnist_labels(labels):
    """3.5: the book's text labels for numeric labels (n,) (list, numpy or NDArray) -> n str."""
    if isinstance(labels, nd.NDArray):
        labels = labels.asnumpy()
    out = []
    for value in np.asarray(labels).reshape(-1):
        index = int(value)
        if index != value or not 0 <= index < NUM_CLASSES:
            raise ValueError('Fashion-MNIST labels are integers 0..9, got %r' % (value,))
        out.append(TEXT_LABELS[index])
    return out


def show_fashion_mnist(images, labels):
    """3.5, d2lzh's: images (n, 28, 28, 1) (Gluon's samples), (n, 1, 28, 28) or (n, 28, 28) in a
    row titled with labels, drawn on pyplot in SVG (Jupyter shows it inline); returns None."""
    use_svg_display()
    fashion_mnist_figure(images, labels, pyplot=True)


def fashion_mnist_figure(images, labels, ncols=None, figsize=None, pyplot=False):
    """3.5: show_fashion_mnist's picture as a Figure for a run to save (titles: text labels, or
    numbers turned into text); without pyplot unless pyplot=True."""
    if isinstance(labels, nd.NDArray) or (len(labels) and not isinstance(labels[0], str)):
        labels = get_fashion_mnist_labels(labels)
    labels = list(labels)
    if len(labels) != len(images):
        raise ValueError('got %d images but %d labels' % (len(images), len(labels)))
    return image_grid(images, titles=labels, ncols=ncols, figsize=figsize, pyplot=pyplot)
