"""Tests for ch3.book.fashion_mnist (section 3.5): the book's functions against d2lzh and the raw
files; real data only from Debian's /usr/share/datasets/fashion-mnist."""
import os

import d2lzh
import numpy as np
import pytest
from matplotlib.figure import Figure
from mxnet import nd

from ch3.book import fashion_mnist as book
from ch3.data import fashion_mnist as fm

DEBIAN = fm.DEBIAN_DIR
pytestmark = pytest.mark.skipif(
    any(fm._file_in(DEBIAN, name) is None for name in fm.ALL_FILES),
    reason='real Fashion-MNIST not installed in %s' % DEBIAN)


@pytest.fixture
def no_home_cache(tmp_path, monkeypatch):
    """A HOME and MXNET_HOME without any ~/.mxnet folder: only Debian's copy can be found."""
    monkeypatch.setenv('HOME', str(tmp_path / 'home'))
    monkeypatch.setenv('MXNET_HOME', str(tmp_path / 'mxhome'))
    return tmp_path


def test_loads_offline_from_debian_without_a_home_cache(no_home_cache):
    train_iter, test_iter = book.load_data_fashion_mnist(256, download=False)
    sizes = [y.shape[0] for _, y in train_iter]
    assert sum(sizes) == 60000 and sizes[-1] == 60000 % 256      # every image, last batch kept
    X, y = next(iter(test_iter))
    assert X.shape == (256, 1, 28, 28) and X.dtype == np.float32 and y.dtype == np.int32
    assert 0 <= X.min().asscalar() and X.max().asscalar() <= 1
    assert not (no_home_cache / 'home' / '.mxnet').exists()
    assert not (no_home_cache / 'mxhome').exists()


def test_the_book_signature_is_d2lzhs():
    import inspect
    ours = list(inspect.signature(book.load_data_fashion_mnist).parameters)
    theirs = list(inspect.signature(d2lzh.load_data_fashion_mnist).parameters)
    assert ours[:len(theirs)] == theirs == ['batch_size', 'resize', 'root']
    assert 'subset' not in ours and 'shard' not in ours


def test_gluon_dataset_samples_look_like_gluons():
    train = book.FashionMNISTArrays(DEBIAN, train=True)
    test = book.FashionMNISTArrays(DEBIAN, train=False)
    assert (len(train), len(test)) == (60000, 10000)
    feature, label = train[0]
    assert feature.shape == (28, 28, 1) and feature.dtype == np.uint8
    assert isinstance(label, np.int32)
    images, labels = fm.load_fashion_mnist_arrays(DEBIAN, train=True)
    np.testing.assert_array_equal(feature.asnumpy()[..., 0], images[0])
    assert label == labels[0]


@pytest.mark.parametrize('last_batch', ['keep', 'discard'])
def test_the_two_pipelines_give_identical_batches_on_the_whole_test_split(last_batch):
    images, labels = fm.load_fashion_mnist_arrays(DEBIAN, train=False)
    passes = {}
    for pipeline in book.PIPELINES:
        np.random.seed(3)
        it = book.fashion_mnist_iter(images, labels, 1000, True, pipeline=pipeline,
                                     last_batch=last_batch)
        passes[pipeline] = [(X.asnumpy(), y.asnumpy()) for X, y in it]
    assert len(passes['fast']) == len(passes['gluon']) == 10
    for (X1, y1), (X2, y2) in zip(passes['fast'], passes['gluon']):
        np.testing.assert_array_equal(X1, X2)
        np.testing.assert_array_equal(y1, y2)


def test_labels_match_d2lzh():
    assert book.get_fashion_mnist_labels(range(10)) == d2lzh.get_fashion_mnist_labels(range(10))
    y = nd.array([9, 0, 3], dtype='int32')
    assert book.get_fashion_mnist_labels(y) == ['ankle boot', 't-shirt', 'dress']


@pytest.mark.parametrize('layout', ['gluon', 'batch', 'plain'])
def test_show_fashion_mnist_takes_every_layout(layout):
    dataset = book.FashionMNISTArrays(DEBIAN, train=True)
    X, y = dataset[0:4]                                  # (4, 28, 28, 1), the book's call
    images = {'gluon': X, 'batch': X.transpose((0, 3, 1, 2)), 'plain': X[:, :, :, 0]}[layout]
    fig = book.fashion_mnist_figure(images, book.get_fashion_mnist_labels(y))
    shown = [ax for ax in fig.axes if ax.images]
    assert isinstance(fig, Figure) and len(shown) == 4
    raw = fm.load_fashion_mnist_arrays(DEBIAN, train=True)[0][:4]
    for ax, image in zip(shown, raw):
        np.testing.assert_array_equal(ax.images[0].get_array(), image)
    assert [ax.get_title() for ax in shown] == d2lzh.get_fashion_mnist_labels(y)


def test_show_fashion_mnist_rejects_other_shapes():
    with pytest.raises(ValueError, match=r'\(h, w\), \(1, h, w\) or \(h, w, 1\)'):
        book.fashion_mnist_figure(np.zeros((2, 3, 28, 28), np.uint8), [0, 1])
    with pytest.raises(ValueError, match='got 2 images but 1 labels'):
        book.fashion_mnist_figure(np.zeros((2, 28, 28), np.uint8), ['bag'])


def test_gluon_loader_on_a_device_list_and_resize():
    import mxnet as mx
    images, labels = fm.load_fashion_mnist_arrays(DEBIAN, train=False)
    it = book.fashion_mnist_iter(images[:20], labels[:20], 8, False, resize=14,
                                 pipeline='gluon', ctx=mx.cpu(0))
    sizes = [X.shape for X, _ in it]
    assert sizes == [(8, 1, 14, 14), (8, 1, 14, 14), (4, 1, 14, 14)] and len(it) == 3


def test_no_data_layer_import_of_the_harness():
    with open(fm.__file__) as handle:
        assert 'ch3.harness' not in handle.read()
    assert os.path.basename(book.__file__) == 'fashion_mnist.py'


def test_the_book_helpers_are_offered_at_top_level():
    import ch3 as d2l
    from ch3.book import plotting
    assert d2l.load_data_fashion_mnist is book.load_data_fashion_mnist
    assert d2l.get_fashion_mnist_labels is book.get_fashion_mnist_labels
    assert (d2l.plt, d2l.set_figsize, d2l.use_svg_display) == \
        (plotting.plt, plotting.set_figsize, plotting.use_svg_display)
    # show_fashion_mnist and semilogy at top level call the book's on pyplot and return None as
    # d2lzh's do (tests/test_book_api.py)


@pytest.fixture
def gluon_root(tmp_path, monkeypatch):
    """Debian's files linked into a folder that gluon's own FashionMNIST accepts: its sha1 check
    (of its own .gz bytes, which Debian's differ from) patched for this test only; downloads
    pointed at a closed port. The book function itself needs none of this."""
    import mxnet.gluon.data.vision.datasets as gdatasets
    import mxnet.gluon.utils as gutils
    for name in fm.ALL_FILES:
        os.symlink(os.path.join(DEBIAN, name + '.gz'), tmp_path / (name + '.gz'))
    for module in (gutils, gdatasets):
        monkeypatch.setattr(module, 'check_sha1', lambda filename, sha1_hash: True)
    monkeypatch.setenv('MXNET_GLUON_REPO', 'http://127.0.0.1:9/')
    return str(tmp_path)


def test_samples_and_test_batches_equal_gluons_and_d2lzhs(gluon_root):
    from mxnet.gluon.data.vision import FashionMNIST as GluonFashionMNIST
    theirs, ours = GluonFashionMNIST(root=gluon_root, train=False), book.FashionMNISTArrays(DEBIAN,
                                                                                       train=False)
    assert len(theirs) == len(ours) == 10000
    for index in (0, 1, 4321, 9999):
        (x1, y1), (x2, y2) = theirs[index], ours[index]
        assert x1.shape == x2.shape and x1.dtype == x2.dtype and type(y1) is type(y2)
        np.testing.assert_array_equal(x1.asnumpy(), x2.asnumpy())
        assert y1 == y2
    _, d2l_test = d2lzh.load_data_fashion_mnist(500, root=gluon_root)   # test split: no shuffle
    _, our_test = book.load_data_fashion_mnist(500, root=DEBIAN)
    for (X1, y1), (X2, y2), _ in zip(d2l_test, our_test, range(2)):
        assert X1.dtype == X2.dtype and y1.dtype == y2.dtype
        np.testing.assert_array_equal(X1.asnumpy(), X2.asnumpy())
        np.testing.assert_array_equal(y1.asnumpy(), y2.asnumpy())


def test_show_fashion_mnist_draws_the_images_d2lzh_draws(monkeypatch):
    monkeypatch.setattr(d2lzh.utils, 'use_svg_display', lambda: None)  # IPython 9 lacks its call
    X, y = book.FashionMNISTArrays(DEBIAN, train=True)[0:3]
    d2lzh.show_fashion_mnist(X, d2lzh.get_fashion_mnist_labels(y))
    theirs = [ax for ax in d2lzh.plt.gcf().axes if ax.images]
    ours = [ax for ax in book.fashion_mnist_figure(X, y).axes if ax.images]
    for a, b in zip(theirs, ours):
        np.testing.assert_array_equal(a.images[0].get_array(), b.images[0].get_array())
        assert a.get_title() == b.get_title()
    d2lzh.plt.close('all')
