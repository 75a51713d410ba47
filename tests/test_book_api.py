"""`import ch3 as d2l` against `import d2lzh as d2l` (issue 14): the top-level names chapter 3 uses
take d2lzh's arguments in d2lzh's order, and on the same seed, initial weights and batches they
leave identical parameters after an epoch, the last, smaller batch of real Fashion-MNIST included
(the book's arithmetic: every step divides by the nominal batch_size).

The helpers' finer behaviour is tested beside their modules (tests/test_training.py,
test_fashion_mnist.py, test_plotting.py); this file checks what a notebook sees at top level.
"""
import contextlib
import inspect
import io
import random

import d2lzh
import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd, gluon, init, nd
from mxnet.gluon import loss as gloss, nn

import ch3
from ch3.book import fashion_mnist as fm_book
from ch3.data import fashion_mnist as fm

CHAPTER_3_NAMES = ['data_iter', 'linreg', 'squared_loss', 'sgd', 'load_data_fashion_mnist',
                   'get_fashion_mnist_labels', 'show_fashion_mnist', 'use_svg_display',
                   'set_figsize', 'semilogy', 'plt', 'evaluate_accuracy', 'train_ch3']
needs_fashion_mnist = pytest.mark.skipif(
    any(fm._file_in(fm.DEBIAN_DIR, name) is None for name in fm.ALL_FILES),
    reason='real Fashion-MNIST not installed in %s' % fm.DEBIAN_DIR)


@pytest.mark.parametrize('name', CHAPTER_3_NAMES)
def test_ch3_offers_the_name_with_d2lzhs_parameters_first(name):
    ours, theirs = getattr(ch3, name), getattr(d2lzh, name)
    if name == 'plt':
        assert ours is theirs                              # matplotlib.pyplot itself
        return
    ours_params = list(inspect.signature(ours).parameters.values())
    theirs_params = list(inspect.signature(theirs).parameters.values())
    if name == 'evaluate_accuracy':   # chapter 3 defines it without d2lzh's later ctx
        theirs_params = theirs_params[:2]
    assert [p.name for p in ours_params[:len(theirs_params)]] == [p.name for p in theirs_params]
    for mine, book in zip(ours_params, theirs_params):
        if book.default is inspect.Parameter.empty:
            assert mine.default is inspect.Parameter.empty, name
        elif (name, book.name) not in {('load_data_fashion_mnist', 'root'),
                                       ('evaluate_accuracy', 'ctx')}:
            # root: d2lzh's default folder is searched among others; ctx: None is the CPU
            assert mine.default == book.default, (name, book.name)
    extra = ours_params[len(theirs_params):]
    assert all(p.default is not inspect.Parameter.empty for p in extra), name


def _book_linear_data(seed):
    mx.random.seed(seed)
    features = nd.random.normal(scale=1, shape=(1000, 2))
    labels = 2 * features[:, 0] - 3.4 * features[:, 1] + 4.2
    labels += nd.random.normal(scale=0.01, shape=labels.shape)
    return features, labels


def _linear_epoch(d2l, features, labels, w0, batch_size, seed):
    """One epoch of 3.2's loop written with the given module's helpers; returns (w, b)."""
    w, b = nd.array(w0), nd.zeros((1,))
    w.attach_grad()
    b.attach_grad()
    random.seed(seed)
    for X, y in d2l.data_iter(batch_size, features, labels):
        with autograd.record():
            l = d2l.squared_loss(d2l.linreg(X, w, b), y)
        l.backward()
        d2l.sgd([w, b], 0.03, batch_size)
    return w.asnumpy(), b.asnumpy()


def test_3_2_epoch_with_ch3_helpers_equals_d2lzhs():
    features, labels = _book_linear_data(1)
    w0 = np.random.RandomState(2).normal(scale=0.01, size=(2, 1))
    for batch_size in (10, 7):                   # 1000 / 7 leaves a last batch of 6
        ours = _linear_epoch(ch3, features, labels, w0, batch_size, seed=3)
        theirs = _linear_epoch(d2lzh, features, labels, w0, batch_size, seed=3)
        np.testing.assert_array_equal(ours[0], theirs[0])
        np.testing.assert_array_equal(ours[1], theirs[1])
        assert abs(ours[1][0] - 4.2) < 0.5        # and it did learn (b starts 4.2 away)


@pytest.fixture(scope='module')
def fashion_mnist_batches():
    """One epoch of real Fashion-MNIST batches from ch3.load_data_fashion_mnist(256), kept so
    both libraries see the very same batches: 234 of 256 and a last one of 96; and 8 test ones."""
    if any(fm._file_in(fm.DEBIAN_DIR, name) is None for name in fm.ALL_FILES):
        pytest.skip('real Fashion-MNIST not installed in %s' % fm.DEBIAN_DIR)
    train_iter, test_iter = ch3.load_data_fashion_mnist(256)
    train = [(X.copy(), y.copy()) for X, y in train_iter]
    test = [(X.copy(), y.copy()) for X, y in test_iter][:8]
    assert len(train) == 235 and train[-1][1].shape[0] == 96
    return train, test


def _quietly(fn, *args):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        fn(*args)
    return out.getvalue()


def _softmax_scratch(seed):
    W = nd.array(np.random.RandomState(seed).normal(scale=0.01, size=(784, 10)))
    b = nd.zeros(10)
    W.attach_grad()
    b.attach_grad()

    def net(X):
        O = nd.dot(X.reshape((-1, 784)), W) + b
        return O.exp() / O.exp().sum(axis=1, keepdims=True)
    return [W, b], net


def _cross_entropy(y_hat, y):
    return -nd.pick(y_hat, y).log()


@needs_fashion_mnist
def test_train_ch3_from_scratch_equals_d2lzhs_over_a_real_epoch(fashion_mnist_batches):
    train, test = fashion_mnist_batches
    (ours, our_net), (theirs, their_net) = _softmax_scratch(4), _softmax_scratch(4)
    printed = _quietly(ch3.train_ch3, our_net, train, test, _cross_entropy, 1, 256, ours, 0.1)
    expected = _quietly(d2lzh.train_ch3, their_net, train, test, _cross_entropy, 1, 256, theirs,
                        0.1)
    for mine, book in zip(ours, theirs):
        np.testing.assert_array_equal(mine.asnumpy(), book.asnumpy())
    assert printed == expected and printed.startswith('epoch 1, loss 0.')


def _gluon_mlp(seed):
    mx.random.seed(seed)
    net = nn.Sequential()   # in_units given, so the weights are drawn now, not at the first batch
    net.add(nn.Dense(256, activation='relu', in_units=784), nn.Dense(10, in_units=256))
    net.initialize(init.Normal(sigma=0.01))
    return net, gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.5})


@needs_fashion_mnist
def test_train_ch3_with_a_trainer_equals_d2lzhs_over_a_real_epoch(fashion_mnist_batches):
    train, test = fashion_mnist_batches
    (our_net, our_trainer), (their_net, their_trainer) = _gluon_mlp(5), _gluon_mlp(5)
    loss = gloss.SoftmaxCrossEntropyLoss()
    printed = _quietly(ch3.train_ch3, our_net, train, test, loss, 1, 256, None, None, our_trainer)
    expected = _quietly(d2lzh.train_ch3, their_net, train, test, loss, 1, 256, None, None,
                        their_trainer)
    for mine, book in zip(our_net.collect_params().values(),
                          their_net.collect_params().values()):
        np.testing.assert_array_equal(mine.data().asnumpy(), book.data().asnumpy())
    assert printed == expected


@needs_fashion_mnist
def test_evaluate_accuracy_equals_d2lzhs_on_the_test_batches(fashion_mnist_batches):
    _, test = fashion_mnist_batches
    params, net = _softmax_scratch(6)
    params[0][:] = nd.array(np.random.RandomState(7).normal(scale=0.05, size=(784, 10)))
    ours, theirs = ch3.evaluate_accuracy(test, net), d2lzh.evaluate_accuracy(test, net)
    assert ours == theirs and 0 < ours < 1


@needs_fashion_mnist
def test_show_fashion_mnist_draws_on_pyplot_what_the_book_function_draws(fashion_mnist_batches):
    X, y = fashion_mnist_batches[1][0]
    names = ch3.get_fashion_mnist_labels(y[0:4])
    ch3.plt.close('all')
    assert ch3.show_fashion_mnist(X[0:4], names) is None
    drawn = [ax for ax in ch3.plt.gcf().axes if ax.images]      # the current pyplot figure
    book = [ax for ax in fm_book.fashion_mnist_figure(X[0:4], names).axes if ax.images]
    assert [ax.get_title() for ax in drawn] == [ax.get_title() for ax in book] == names
    for ours, theirs in zip(drawn, book):
        np.testing.assert_array_equal(ours.images[0].get_array(), theirs.images[0].get_array())
    ch3.plt.close('all')


def test_semilogy_draws_on_pyplot_and_returns_none():
    ch3.plt.close('all')
    assert ch3.semilogy([1, 2, 3], [10.0, 1.0, 0.1], 'epochs', 'loss', [1, 2, 3],
                        [20.0, 2.0, 0.2], ['train', 'test']) is None
    ax = ch3.plt.gca()
    assert ax.get_yscale() == 'log' and [t.get_text() for t in ax.get_legend().get_texts()] == \
        ['train', 'test']
    assert [list(line.get_ydata()) for line in ax.get_lines()] == [[10.0, 1.0, 0.1],
                                                                    [20.0, 2.0, 0.2]]
    ch3.plt.close('all')


NOTEBOOK_CELLS = [
    "%matplotlib inline\nimport ch3 as d2l\nfrom mxnet import gluon, init, nd\n"
    "from mxnet.gluon import loss as gloss, nn",
    "d2l.semilogy([1, 2, 3], [1.0, 0.1, 0.01], 'epochs', 'loss')",
    "X = nd.zeros((3, 1, 28, 28))\nd2l.show_fashion_mnist(X, ['bag', 'coat', 'shirt'])\n"
    "print('drawn')",
    "net = nn.Dense(2, in_units=3)\nnet.initialize(init.Normal(sigma=0.01))\n"
    "batches = [(nd.ones((4, 3)), nd.array([0, 1, 0, 1]))]\n"
    "trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})\n"
    "d2l.train_ch3(net, batches, batches, gloss.SoftmaxCrossEntropyLoss(), 1, 4, None, None,\n"
    "              trainer)",
]


def test_a_notebook_cell_shows_what_it_would_show_with_d2lzh(tmp_path, monkeypatch):
    """In a Jupyter kernel of this interpreter with this checkout first on the path: a cell ending
    in d2l.semilogy shows its figure once, d2l.show_fashion_mnist mid-cell still shows its figure,
    and a cell ending in d2l.train_ch3 prints the book's epoch line first. (Unlike d2lzh's, our
    train_ch3 returns the per-epoch history, which such a cell then also shows as its Out[]; the
    project's own notebooks keep that history.)"""
    import os
    import nbformat
    from nbclient import NotebookClient
    checkout = os.path.dirname(os.path.dirname(os.path.abspath(ch3.__file__)))
    monkeypatch.setenv('PYTHONPATH', os.pathsep.join(
        [checkout] + [p for p in [os.environ.get('PYTHONPATH')] if p]))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in NOTEBOOK_CELLS])
    NotebookClient(nb, timeout=120, kernel_name='python3',
                   resources={'metadata': {'path': str(tmp_path)}}).execute()
    kinds = [[(o.output_type, o.get('name')) for o in cell.outputs] for cell in nb.cells]
    assert kinds[1] == [('display_data', None)]
    assert kinds[2] == [('stream', 'stdout'), ('display_data', None)]
    assert kinds[3][0] == ('stream', 'stdout')
    assert nb.cells[3].outputs[0].text.startswith('epoch 1, loss ')
