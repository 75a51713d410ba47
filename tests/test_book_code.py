"""Chapter 3 written the way the book writes it, run on `import ch3 as d2l` (issue 14).

One test per section 3.2-3.16, our own code in the book's style: the d2lzh names and call shapes
(`d2l.load_data_fashion_mnist(batch_size)`, `d2l.train_ch3(net, train_iter, test_iter, loss,
num_epochs, batch_size, params, lr)` or with a trainer, `d2l.data_iter`, `d2l.linreg`,
`d2l.squared_loss`, `d2l.sgd`, `d2l.semilogy`, `d2l.set_figsize`, `d2l.plt`, ...).

By default each test runs on small settings in a few seconds. With CH3_BOOK_FULL=1 each runs the
book's settings and checks the numbers the book printed (d2l-zh, chapter_deep-learning-basics,
notebooks at commit ea741099): training accuracies and last-epoch test accuracies within 0.02,
earlier test accuracies within 0.04 (see MID_TEST_ACC_TOL), losses and norms within the
tolerance stated beside each check (only what does not hinge on the random draw is held tight).
"""
import math
import os
import re

import numpy as np
import pandas as pd
import pytest
from mxnet import autograd, gluon, init, nd
from mxnet.gluon import data as gdata, loss as gloss, nn

import ch3 as d2l
from ch3.data import fashion_mnist as fm
from ch3.data.kaggle_house import find_kaggle_house
from test_dropout import book_dropout

FULL = os.environ.get('CH3_BOOK_FULL') == '1'
ACC_TOL = 0.02
SMALL_OR_FULL_ACC = 0.75 if FULL else 0.5   # test accuracy to beat (chance is 0.1)
needs_fashion_mnist = pytest.mark.skipif(
    any(fm._file_in(fm.DEBIAN_DIR, name) is None for name in fm.ALL_FILES),
    reason='real Fashion-MNIST not installed in %s' % fm.DEBIAN_DIR)

EPOCH_LINE = re.compile(r'epoch (\d+), loss ([\d.]+), train acc ([\d.]+), test acc ([\d.]+)')

# The per-epoch lines the book printed: (loss, train acc, test acc).
BOOK_EPOCHS = {
    '3.6': [(0.7896, 0.745, 0.803), (0.5728, 0.812, 0.818), (0.5296, 0.824, 0.833),
            (0.5057, 0.829, 0.832), (0.4895, 0.835, 0.840)],
    '3.7': [(0.7906, 0.745, 0.792), (0.5725, 0.812, 0.827), (0.5299, 0.824, 0.831),
            (0.5048, 0.830, 0.836), (0.4895, 0.834, 0.841)],
    '3.9': [(0.7748, 0.710, 0.833), (0.4840, 0.821, 0.849), (0.4292, 0.840, 0.849),
            (0.3898, 0.856, 0.864), (0.3669, 0.864, 0.861)],
    '3.10': [(0.7917, 0.708, 0.813), (0.4935, 0.816, 0.849), (0.4317, 0.840, 0.861),
             (0.4003, 0.851, 0.860), (0.3763, 0.860, 0.872)],
    '3.13-scratch': [(1.1393, 0.558, 0.773), (0.5797, 0.785, 0.837), (0.4944, 0.818, 0.849),
                     (0.4488, 0.837, 0.861), (0.4160, 0.848, 0.863)],
    '3.13-gluon': [(1.1893, 0.545, 0.777), (0.5879, 0.780, 0.839), (0.4917, 0.821, 0.852),
                   (0.4520, 0.834, 0.865), (0.4241, 0.846, 0.860)],
}
# A training loss depends on the draw of the initial weights and of the batch order more than an
# accuracy does: per epoch within 0.06 of the book's (epoch 1 of the dropout nets within 0.15).
LOSS_TOL, FIRST_DROPOUT_LOSS_TOL = 0.06, 0.15
# Test accuracy before the last epoch: within 0.04. Mid-run test accuracies swing by about 0.02
# from epoch to epoch with the batch order, and Debian's copy of Fashion-MNIST is not the book's
# (the book's first training image is a pullover, Debian's an ankle boot): d2lzh itself, run as
# published on this copy, lands up to 0.039 from the book's mid-run test accuracies (3.13 epoch 1:
# 0.734 vs 0.773; 3.6 epoch 3: 0.799 vs 0.833), its training accuracies within 0.007 after
# epoch 1 and its last-epoch test accuracies within 0.022.
MID_TEST_ACC_TOL = 0.04
FIRST_DROPOUT_TRAIN_ACC_TOL = 0.04   # epoch 1 of a dropout net: d2lzh 0.532 vs the book's 0.558


class FirstBatches:
    """The first `count` minibatches of a data iterator on every pass (all of them if None):
    how the small settings shorten an epoch without changing the book's code around it."""

    def __init__(self, data_iter, count):
        self.data_iter, self.count = data_iter, count

    def __iter__(self):
        for i, batch in enumerate(self.data_iter):
            if self.count is not None and i >= self.count:
                break
            yield batch


def epoch_lines(text):
    """The (loss, train acc, test acc) of each 'epoch N, ...' line train_ch3 printed."""
    return [tuple(float(v) for v in m.groups()[1:]) for m in EPOCH_LINE.finditer(text)]


def check_against_book(lines, section):
    """FULL settings: the book's per-epoch numbers. Training accuracy within 0.02 every epoch,
    test accuracy within 0.02 at the last epoch (MID_TEST_ACC_TOL before), losses within
    LOSS_TOL; epoch 1 of a dropout net gets the wider tolerances stated above."""
    book = BOOK_EPOCHS[section]
    assert len(lines) == len(book)
    for epoch, ((loss, train_acc, test_acc), (b_loss, b_train, b_test)) in enumerate(
            zip(lines, book), 1):
        first_dropout = section.startswith('3.13') and epoch == 1
        train_tol = FIRST_DROPOUT_TRAIN_ACC_TOL if first_dropout else ACC_TOL
        test_tol = ACC_TOL if epoch == len(book) else MID_TEST_ACC_TOL
        loss_tol = FIRST_DROPOUT_LOSS_TOL if first_dropout else LOSS_TOL
        assert abs(train_acc - b_train) <= train_tol, (section, epoch, train_acc, b_train)
        assert abs(test_acc - b_test) <= test_tol, (section, epoch, test_acc, b_test)
        assert abs(loss - b_loss) <= loss_tol, (section, epoch, loss, b_loss)


def fashion_mnist_data(batch_size, train_batches, test_batches):
    """d2l.load_data_fashion_mnist(batch_size), shortened to the small settings' batches."""
    train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)
    if FULL:
        return train_iter, test_iter
    return FirstBatches(train_iter, train_batches), FirstBatches(test_iter, test_batches)


def classifier_settings(epochs_small=1):
    """(num_epochs, train batches, test batches): the book's 5 full epochs, or 1 short one."""
    return (5, None, None) if FULL else (epochs_small, 40, 8)


def run_train_ch3(capsys, *args, **kwargs):
    """d2l.train_ch3(*args) as a notebook cell runs it; returns the printed epoch lines."""
    d2l.train_ch3(*args, **kwargs)
    return epoch_lines(capsys.readouterr().out)


def synthetic_linear_data(true_w, true_b, num_examples, noise=0.01):
    """3.2's data: features ~ N(0, 1) (n, d), labels = X w + b + N(0, noise^2) (n,)."""
    features = nd.random.normal(scale=1, shape=(num_examples, len(true_w)))
    labels = nd.dot(features, nd.array(true_w).reshape((-1, 1))).reshape((-1,)) + true_b
    labels += nd.random.normal(scale=noise, shape=labels.shape)
    return features, labels


# --- 3.2 and 3.3: linear regression --------------------------------------------------------------

def test_3_2_linear_regression_from_scratch():
    true_w, true_b = [2, -3.4], 4.2
    features, labels = synthetic_linear_data(true_w, true_b, 1000)
    w = nd.random.normal(scale=0.01, shape=(2, 1))
    b = nd.zeros(shape=(1,))
    w.attach_grad()
    b.attach_grad()
    lr, num_epochs, batch_size = 0.03, 3, 10   # the book's settings take a second
    net, loss = d2l.linreg, d2l.squared_loss
    epoch_losses = []
    for _ in range(num_epochs):
        for X, y in d2l.data_iter(batch_size, features, labels):
            with autograd.record():
                l = loss(net(X, w, b), y)
            l.backward()
            d2l.sgd([w, b], lr, batch_size)
        epoch_losses.append(loss(net(features, w, b), labels).mean().asscalar())
    assert epoch_losses[-1] < epoch_losses[0] < 0.2
    np.testing.assert_allclose(w.asnumpy().ravel(), true_w, atol=0.01)
    assert abs(b.asscalar() - true_b) < 0.01
    if FULL:   # the book: 0.040678, 0.000152, 0.000051; the last is the noise floor 0.01^2 / 2
        assert 0.02 < epoch_losses[0] < 0.08
        assert abs(epoch_losses[2] - 0.000051) < 0.00002


def test_3_3_linear_regression_with_gluon():
    true_w, true_b = [2, -3.4], 4.2
    features, labels = synthetic_linear_data(true_w, true_b, 1000)
    batch_size = 10
    data_iter = gdata.DataLoader(gdata.ArrayDataset(features, labels), batch_size, shuffle=True)
    net = nn.Sequential()
    net.add(nn.Dense(1))
    net.initialize(init.Normal(sigma=0.01))
    loss = gloss.L2Loss()
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.03})
    epoch_losses = []
    for _ in range(3):
        for X, y in data_iter:
            with autograd.record():
                l = loss(net(X), y)
            l.backward()
            trainer.step(batch_size)
        epoch_losses.append(loss(net(features), labels).mean().asscalar())
    np.testing.assert_allclose(net[0].weight.data().asnumpy().ravel(), true_w, atol=0.01)
    assert abs(net[0].bias.data().asscalar() - true_b) < 0.01
    # the 3.2 helpers compute the same loss as Gluon's L2Loss on the trained Dense layer
    w, b = net[0].weight.data().T, net[0].bias.data()
    ours = d2l.squared_loss(d2l.linreg(features, w, b), labels).mean().asscalar()
    assert ours == pytest.approx(epoch_losses[-1], rel=1e-5)
    if FULL:   # the book: 0.040749, 0.000158, 0.000050
        assert 0.02 < epoch_losses[0] < 0.08
        assert abs(epoch_losses[2] - 0.000050) < 0.00002


# --- 3.4 and 3.5: softmax regression and Fashion-MNIST ----------------------------------------

def test_3_4_softmax_and_cross_entropy_as_the_section_defines_them():
    O = nd.array([[1.0, 2.0, 3.0], [0.5, 0.5, 4.0]])
    y_hat = O.exp() / O.exp().sum(axis=1, keepdims=True)
    labels = nd.array([2, 0])
    np.testing.assert_allclose(y_hat.sum(axis=1).asnumpy(), [1, 1], rtol=1e-6)
    assert (y_hat.argmax(axis=1) == O.argmax(axis=1)).sum().asscalar() == 2   # same prediction
    # cross entropy with a one-hot label is -log of the probability given to the true class
    one_hot = nd.one_hot(labels, 3)
    full = -(one_hot * y_hat.log()).sum(axis=1)
    np.testing.assert_allclose(full.asnumpy(), (-nd.pick(y_hat, labels).log()).asnumpy(),
                               rtol=1e-6)
    # and it is what Gluon's SoftmaxCrossEntropyLoss computes from the raw outputs
    np.testing.assert_allclose(full.asnumpy(),
                               gloss.SoftmaxCrossEntropyLoss()(O, labels).asnumpy(), rtol=1e-5)


@needs_fashion_mnist
def test_3_5_fashion_mnist_reading_and_showing():
    batch_size = 256
    train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)
    X, y = next(iter(train_iter))
    assert X.shape == (256, 1, 28, 28) and X.dtype == np.float32 and y.shape == (256,)
    assert 0 <= X.min().asscalar() and X.max().asscalar() <= 1
    sizes = [labels.shape[0] for _, labels in test_iter]
    assert sum(sizes) == 10000 and sizes[-1] == 10000 % 256
    if FULL:   # one whole pass over the training set, as the section times it
        sizes = [labels.shape[0] for _, labels in train_iter]
        assert sum(sizes) == 60000 and sizes[-1] == 60000 % 256
    if FULL:   # resizing converts all 70000 images (10 s); the data tests cover it on subsets
        big, _ = d2l.load_data_fashion_mnist(16, resize=56)
        assert next(iter(big))[0].shape == (16, 1, 56, 56)
    names = d2l.get_fashion_mnist_labels(y[0:9])
    assert len(names) == 9 and set(names) <= {'t-shirt', 'trouser', 'pullover', 'dress', 'coat',
                                              'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot'}
    d2l.show_fashion_mnist(X[0:9], names)
    titled = [ax.get_title() for ax in d2l.plt.gcf().axes if ax.images]
    assert titled == names
    d2l.plt.close('all')


def _softmax_scratch_pieces():
    num_inputs, num_outputs = 784, 10
    W = nd.random.normal(scale=0.01, shape=(num_inputs, num_outputs))
    b = nd.zeros(num_outputs)
    W.attach_grad()
    b.attach_grad()

    def softmax(X):
        X_exp = X.exp()
        return X_exp / X_exp.sum(axis=1, keepdims=True)

    def net(X):
        return softmax(nd.dot(X.reshape((-1, num_inputs)), W) + b)

    def cross_entropy(y_hat, y):
        return -nd.pick(y_hat, y).log()

    return W, b, net, cross_entropy


@needs_fashion_mnist
def test_3_6_softmax_regression_from_scratch(capsys):
    num_epochs, train_batches, test_batches = classifier_settings()
    batch_size, lr = 256, 0.1
    train_iter, test_iter = fashion_mnist_data(batch_size, train_batches, test_batches)
    W, b, net, cross_entropy = _softmax_scratch_pieces()
    untrained = d2l.evaluate_accuracy(test_iter, net)
    assert 0.02 < untrained < 0.25                     # about one class in ten
    lines = run_train_ch3(capsys, net, train_iter, test_iter, cross_entropy, num_epochs,
                          batch_size, [W, b], lr)
    assert len(lines) == num_epochs and lines[-1][2] > SMALL_OR_FULL_ACC
    assert d2l.evaluate_accuracy(test_iter, net) == pytest.approx(lines[-1][2], abs=0.0005)
    for X, y in test_iter:
        break
    true_labels = d2l.get_fashion_mnist_labels(y.asnumpy())
    pred_labels = d2l.get_fashion_mnist_labels(net(X).argmax(axis=1).asnumpy())
    titles = [t + '\n' + p for t, p in zip(true_labels, pred_labels)]
    d2l.show_fashion_mnist(X[0:9], titles[0:9])
    assert [ax.get_title() for ax in d2l.plt.gcf().axes if ax.images] == titles[0:9]
    d2l.plt.close('all')
    if FULL:
        check_against_book(lines, '3.6')


@needs_fashion_mnist
def test_3_7_softmax_regression_with_gluon(capsys):
    num_epochs, train_batches, test_batches = classifier_settings()
    batch_size = 256
    train_iter, test_iter = fashion_mnist_data(batch_size, train_batches, test_batches)
    net = nn.Sequential()
    net.add(nn.Dense(10))
    net.initialize(init.Normal(sigma=0.01))
    loss = gloss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    lines = run_train_ch3(capsys, net, train_iter, test_iter, loss, num_epochs, batch_size, None,
                          None, trainer)
    assert len(lines) == num_epochs and lines[-1][2] > SMALL_OR_FULL_ACC
    if FULL:
        check_against_book(lines, '3.7')


# --- 3.8 to 3.10: multilayer perceptrons ---------------------------------------------------------

def test_3_8_activation_functions_and_their_gradients():
    def xyplot(x_vals, y_vals, name):
        d2l.set_figsize(figsize=(5, 2.5))
        d2l.plt.plot(x_vals.asnumpy(), y_vals.asnumpy())
        d2l.plt.xlabel('x')
        d2l.plt.ylabel(name + '(x)')

    x = nd.arange(-8.0, 8.0, 0.1)
    x.attach_grad()
    expected = {'relu': lambda v: (v > 0).astype(float),
                'sigmoid': lambda v: 1 / (1 + np.exp(-v)) * (1 - 1 / (1 + np.exp(-v))),
                'tanh': lambda v: 1 - np.tanh(v) ** 2}
    for name, grad in expected.items():
        with autograd.record():
            y = getattr(x, name)()
        xyplot(x, y, name)
        y.backward()
        xyplot(x, x.grad, 'grad of ' + name)
        np.testing.assert_allclose(x.grad.asnumpy(), grad(x.asnumpy()), atol=1e-6)
    assert tuple(d2l.plt.rcParams['figure.figsize']) == (5, 2.5)
    assert d2l.plt.gca().get_ylabel() == 'grad of tanh(x)'
    d2l.plt.close('all')
    d2l.set_figsize()


@needs_fashion_mnist
def test_3_9_mlp_from_scratch(capsys):
    num_epochs, train_batches, test_batches = classifier_settings()
    batch_size = 256
    train_iter, test_iter = fashion_mnist_data(batch_size, train_batches, test_batches)
    num_inputs, num_outputs, num_hiddens = 784, 10, 256
    W1 = nd.random.normal(scale=0.01, shape=(num_inputs, num_hiddens))
    b1 = nd.zeros(num_hiddens)
    W2 = nd.random.normal(scale=0.01, shape=(num_hiddens, num_outputs))
    b2 = nd.zeros(num_outputs)
    params = [W1, b1, W2, b2]
    for param in params:
        param.attach_grad()

    def net(X):
        H = nd.maximum(nd.dot(X.reshape((-1, num_inputs)), W1) + b1, 0)
        return nd.dot(H, W2) + b2

    loss = gloss.SoftmaxCrossEntropyLoss()
    lines = run_train_ch3(capsys, net, train_iter, test_iter, loss, num_epochs, batch_size,
                          params, 0.5)
    assert len(lines) == num_epochs and lines[-1][2] > SMALL_OR_FULL_ACC
    if FULL:
        check_against_book(lines, '3.9')


@needs_fashion_mnist
def test_3_10_mlp_with_gluon(capsys):
    num_epochs, train_batches, test_batches = classifier_settings()
    net = nn.Sequential()
    net.add(nn.Dense(256, activation='relu'), nn.Dense(10))
    net.initialize(init.Normal(sigma=0.01))
    batch_size = 256
    train_iter, test_iter = fashion_mnist_data(batch_size, train_batches, test_batches)
    loss = gloss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.5})
    lines = run_train_ch3(capsys, net, train_iter, test_iter, loss, num_epochs, batch_size, None,
                          None, trainer)
    assert len(lines) == num_epochs and lines[-1][2] > SMALL_OR_FULL_ACC
    if FULL:
        check_against_book(lines, '3.10')


# --- 3.11 and 3.12: model selection and weight decay ---------------------------------------------

def test_3_11_polynomial_fitting_underfits_and_overfits():
    n_train, n_test, true_w, true_b = 100, 100, [1.2, -3.4, 5.6], 5
    features = nd.random.normal(shape=(n_train + n_test, 1))
    poly_features = nd.concat(features, nd.power(features, 2), nd.power(features, 3))
    labels = nd.dot(poly_features, nd.array(true_w).reshape((3, 1))).reshape((-1,)) + true_b
    labels += nd.random.normal(scale=0.1, shape=labels.shape)
    num_epochs, loss = (100 if FULL else 20), gloss.L2Loss()

    def fit_and_plot(train_features, test_features, train_labels, test_labels):
        net = nn.Sequential()
        net.add(nn.Dense(1))
        net.initialize()
        batch_size = min(10, train_labels.shape[0])
        train_iter = gdata.DataLoader(gdata.ArrayDataset(train_features, train_labels),
                                      batch_size, shuffle=True)
        trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.01})
        train_ls, test_ls = [], []
        for _ in range(num_epochs):
            for X, y in train_iter:
                with autograd.record():
                    l = loss(net(X), y)
                l.backward()
                trainer.step(batch_size)
            train_ls.append(loss(net(train_features), train_labels).mean().asscalar())
            test_ls.append(loss(net(test_features), test_labels).mean().asscalar())
        d2l.semilogy(range(1, num_epochs + 1), train_ls, 'epochs', 'loss',
                     range(1, num_epochs + 1), test_ls, ['train', 'test'])
        ax = d2l.plt.gca()
        assert ax.get_yscale() == 'log' and len(ax.get_lines()) == 2
        d2l.plt.close('all')
        return train_ls[-1], test_ls[-1], net[0].weight.data().asnumpy().ravel()

    third = fit_and_plot(poly_features[:n_train, :], poly_features[n_train:, :],
                         labels[:n_train], labels[n_train:])
    linear = fit_and_plot(features[:n_train, :], features[n_train:, :], labels[:n_train],
                          labels[n_train:])
    few = fit_and_plot(poly_features[0:2, :], poly_features[n_train:, :], labels[0:2],
                       labels[n_train:])
    assert third[0] < linear[0] and third[1] < linear[1]     # the right order fits better
    assert few[1] > 10 * few[0]                               # 2 examples: test far above train
    if FULL:
        # the book: train 0.0069 test 0.0113, w [1.32, -3.36, 5.56]; the noise floor is
        # 0.1^2 / 2 = 0.005, so both losses stay below 0.05 and w within 0.3 of the truth
        assert third[0] < 0.05 and third[1] < 0.05
        np.testing.assert_allclose(third[2], true_w, atol=0.3)
        # the book: linear 44.0 / 160.7, two examples 0.40 / 103.3: the same orders of magnitude
        assert 5 < linear[0] < 300 and 5 < linear[1] < 1000
        assert few[0] < 5 and 10 < few[1] < 1000


def test_3_12_weight_decay_from_scratch_and_with_gluon():
    n_train, n_test, num_inputs = 20, 100, 200
    true_w, true_b = nd.ones((num_inputs, 1)) * 0.01, 0.05
    features = nd.random.normal(shape=(n_train + n_test, num_inputs))
    labels = nd.dot(features, true_w) + true_b
    labels += nd.random.normal(scale=0.01, shape=labels.shape)
    train_features, test_features = features[:n_train, :], features[n_train:, :]
    train_labels, test_labels = labels[:n_train], labels[n_train:]
    batch_size, num_epochs, lr = 1, (100 if FULL else 15), 0.003
    net, loss = d2l.linreg, d2l.squared_loss
    train_iter = gdata.DataLoader(gdata.ArrayDataset(train_features, train_labels), batch_size,
                                  shuffle=True)

    def fit_and_plot(lambd):
        w = nd.random.normal(scale=1, shape=(num_inputs, 1))
        b = nd.zeros(shape=(1,))
        w.attach_grad()
        b.attach_grad()
        train_ls, test_ls = [], []
        for _ in range(num_epochs):
            for X, y in train_iter:
                with autograd.record():
                    l = loss(net(X, w, b), y) + lambd * (w ** 2).sum() / 2
                l.backward()
                d2l.sgd([w, b], lr, batch_size)
            train_ls.append(loss(net(train_features, w, b), train_labels).mean().asscalar())
            test_ls.append(loss(net(test_features, w, b), test_labels).mean().asscalar())
        d2l.semilogy(range(1, num_epochs + 1), train_ls, 'epochs', 'loss',
                     range(1, num_epochs + 1), test_ls, ['train', 'test'])
        d2l.plt.close('all')
        return w.norm().asscalar(), train_ls[-1], test_ls[-1]

    def fit_and_plot_gluon(wd):
        net = nn.Sequential()
        net.add(nn.Dense(1))
        net.initialize(init.Normal(sigma=1))
        trainer_w = gluon.Trainer(net.collect_params('.*weight'), 'sgd',
                                  {'learning_rate': lr, 'wd': wd})
        trainer_b = gluon.Trainer(net.collect_params('.*bias'), 'sgd', {'learning_rate': lr})
        for _ in range(num_epochs):
            for X, y in train_iter:
                with autograd.record():
                    l = loss(net(X), y)
                l.backward()
                trainer_w.step(batch_size)
                trainer_b.step(batch_size)
        return net[0].weight.data().norm().asscalar()

    no_decay, decay = fit_and_plot(0), fit_and_plot(3)
    gluon_no_decay, gluon_decay = fit_and_plot_gluon(0), fit_and_plot_gluon(3)
    assert decay[0] < no_decay[0] / 10 and gluon_decay < gluon_no_decay / 10
    assert no_decay[1] < no_decay[2]          # without decay: train far below test (overfit)
    if FULL:
        # the book's L2 norms: 11.611941 and 13.311797 without decay (about the norm of the
        # N(0, 1) start in 200 dimensions, sqrt(200) = 14.1), 0.04225087 and 0.032601923 with
        # wd = 3: held to [8, 18] and [0.01, 0.1]
        assert 8 < no_decay[0] < 18 and 8 < gluon_no_decay < 18
        assert 0.01 < decay[0] < 0.1 and 0.01 < gluon_decay < 0.1


# --- 3.13 to 3.15: dropout, back-propagation, numerical stability --------------------------------

@needs_fashion_mnist
def test_3_13_dropout_from_scratch_and_with_gluon(capsys):
    X = nd.arange(16).reshape((2, 8))
    np.testing.assert_array_equal(book_dropout(X, 0).asnumpy(), X.asnumpy())
    np.testing.assert_array_equal(book_dropout(X, 1).asnumpy(), np.zeros((2, 8)))
    half = book_dropout(X, 0.5).asnumpy()
    assert set(np.unique(half / np.maximum(X.asnumpy(), 1))) <= {0.0, 2.0}

    num_epochs, train_batches, test_batches = classifier_settings()
    num_inputs, num_outputs, num_hiddens1, num_hiddens2 = 784, 10, 256, 256
    shapes = [(num_inputs, num_hiddens1), (num_hiddens1, num_hiddens2),
              (num_hiddens2, num_outputs)]
    params = []
    for shape in shapes:
        params += [nd.random.normal(scale=0.01, shape=shape), nd.zeros(shape[1])]
    for param in params:
        param.attach_grad()
    W1, b1, W2, b2, W3, b3 = params
    drop_prob1, drop_prob2 = 0.2, 0.5

    def net(X):
        H1 = (nd.dot(X.reshape((-1, num_inputs)), W1) + b1).relu()
        if autograd.is_training():
            H1 = book_dropout(H1, drop_prob1)
        H2 = (nd.dot(H1, W2) + b2).relu()
        if autograd.is_training():
            H2 = book_dropout(H2, drop_prob2)
        return nd.dot(H2, W3) + b3

    lr, batch_size = 0.5, 256
    loss = gloss.SoftmaxCrossEntropyLoss()
    train_iter, test_iter = fashion_mnist_data(batch_size, train_batches, test_batches)
    scratch = run_train_ch3(capsys, net, train_iter, test_iter, loss, num_epochs, batch_size,
                            params, lr)
    gluon_net = nn.Sequential()
    gluon_net.add(nn.Dense(256, activation='relu'), nn.Dropout(drop_prob1),
                  nn.Dense(256, activation='relu'), nn.Dropout(drop_prob2), nn.Dense(10))
    gluon_net.initialize(init.Normal(sigma=0.01))
    trainer = gluon.Trainer(gluon_net.collect_params(), 'sgd', {'learning_rate': lr})
    with_gluon = run_train_ch3(capsys, gluon_net, train_iter, test_iter, loss, num_epochs,
                               batch_size, None, None, trainer)
    assert len(scratch) == len(with_gluon) == num_epochs
    # one short epoch of a dropout net is still near chance on some draws; the full run is not
    assert scratch[-1][2] > (0.75 if FULL else 0.2) and with_gluon[-1][2] > (0.75 if FULL else 0.2)
    if FULL:
        check_against_book(scratch, '3.13-scratch')
        check_against_book(with_gluon, '3.13-gluon')


def test_3_14_backprop_gradients_follow_the_chain_rule():
    """3.14's model (one example, no biases): z = W1 x, h = relu(z), o = W2 h, L = loss(o, y),
    s = lambda/2 (|W1|^2 + |W2|^2), J = L + s; autograd's gradients equal the section's."""
    rng = np.random.RandomState(3)
    d, h, q, lambd = 4, 5, 3, 0.1
    x, y = rng.randn(d), 2
    W1, W2 = nd.array(rng.randn(h, d)), nd.array(rng.randn(q, h))
    for W in (W1, W2):
        W.attach_grad()
    with autograd.record():
        z = nd.dot(W1, nd.array(x))
        hidden = z.relu()
        o = nd.dot(W2, hidden)
        L = gloss.SoftmaxCrossEntropyLoss()(o.reshape((1, q)), nd.array([y]))
        J = L + lambd / 2 * ((W1 ** 2).sum() + (W2 ** 2).sum())
    J.backward()
    z_, h_, o_ = z.asnumpy(), hidden.asnumpy(), o.asnumpy()
    p = np.exp(o_ - o_.max()) / np.exp(o_ - o_.max()).sum()
    dJ_do = p - np.eye(q)[y]                                  # dL/do for softmax cross-entropy
    dJ_dW2 = np.outer(dJ_do, h_) + lambd * W2.asnumpy()
    dJ_dz = (W2.asnumpy().T @ dJ_do) * (z_ > 0)
    dJ_dW1 = np.outer(dJ_dz, x) + lambd * W1.asnumpy()
    np.testing.assert_allclose(W2.grad.asnumpy(), dJ_dW2, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(W1.grad.asnumpy(), dJ_dW1, rtol=1e-4, atol=1e-6)


def test_3_15_vanishing_exploding_and_the_default_initializers():
    assert 0.2 ** 30 == pytest.approx(1.07e-21, rel=0.01)    # the book: about 1e-21
    assert 5 ** 30 == pytest.approx(9.31e20, rel=0.01)       # the book: about 9e20
    net = nn.Sequential()
    net.add(nn.Dense(256), nn.Dense(10))
    net.initialize()                                          # MXNet's default: U(-0.07, 0.07)
    net(nd.random.uniform(shape=(2, 784)))
    weight = net[0].weight.data().asnumpy()
    assert np.abs(weight).max() <= 0.07 and np.abs(weight).max() > 0.06
    assert not net[0].bias.data().asnumpy().any()
    xavier = nn.Dense(256)
    xavier.initialize(init.Xavier())
    xavier(nd.random.uniform(shape=(2, 784)))
    bound = math.sqrt(6 / (784 + 256))                       # U(-sqrt(6/(a+b)), sqrt(6/(a+b)))
    weight = xavier.weight.data().asnumpy()
    assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.9 * bound


# --- 3.16: Kaggle house prices -------------------------------------------------------------------

def _house_data():
    folder = find_kaggle_house(download=False)
    train_data = pd.read_csv(os.path.join(folder, 'kaggle_house_pred_train.csv'))
    test_data = pd.read_csv(os.path.join(folder, 'kaggle_house_pred_test.csv'))
    return train_data, test_data


def test_3_16_kaggle_house_prices_k_fold(tmp_path):
    try:
        train_data, test_data = _house_data()
    except Exception as err:      # noqa: BLE001 (no copy of the CSV files: nothing to test)
        pytest.skip('Kaggle house CSV files not found: %s' % err)
    assert train_data.shape == (1460, 81) and test_data.shape == (1459, 80)
    all_features = pd.concat((train_data.iloc[:, 1:-1], test_data.iloc[:, 1:]))
    numeric = all_features.dtypes[all_features.dtypes != 'object'].index
    all_features[numeric] = all_features[numeric].apply(lambda x: (x - x.mean()) / x.std())
    all_features[numeric] = all_features[numeric].fillna(0)
    all_features = pd.get_dummies(all_features, dummy_na=True)
    # the book's 79 -> 331 features; pandas >= 2.0 reads MasVnrType's "None" as missing, which
    # merges MasVnrType_None into MasVnrType_nan (see ch3.data.kaggle_house): 330
    assert all_features.shape == (2919, 331 if int(pd.__version__.split('.')[0]) < 2 else 330)
    n_train = train_data.shape[0]
    values = all_features.values.astype(np.float32)           # get_dummies gives bools today
    train_features, test_features = nd.array(values[:n_train]), nd.array(values[n_train:])
    train_labels = nd.array(train_data.SalePrice.values).reshape((-1, 1))

    loss = gloss.L2Loss()

    def get_net():
        net = nn.Sequential()
        net.add(nn.Dense(1))
        net.initialize()
        return net

    def log_rmse(net, features, labels):
        clipped = nd.clip(net(features), 1, float('inf'))
        return nd.sqrt(2 * loss(clipped.log(), labels.log()).mean()).asscalar()

    def train(net, train_features, train_labels, test_features, test_labels, num_epochs,
              learning_rate, weight_decay, batch_size):
        train_ls, test_ls = [], []
        train_iter = gdata.DataLoader(gdata.ArrayDataset(train_features, train_labels),
                                      batch_size, shuffle=True)
        trainer = gluon.Trainer(net.collect_params(), 'adam',
                                {'learning_rate': learning_rate, 'wd': weight_decay})
        for _ in range(num_epochs):
            for X, y in train_iter:
                with autograd.record():
                    l = loss(net(X), y)
                l.backward()
                trainer.step(batch_size)
            train_ls.append(log_rmse(net, train_features, train_labels))
            if test_labels is not None:
                test_ls.append(log_rmse(net, test_features, test_labels))
        return train_ls, test_ls

    def k_fold(k, X, y, num_epochs, learning_rate, weight_decay, batch_size):
        fold_size = X.shape[0] // k
        train_sum, valid_sum = 0.0, 0.0
        for i in range(k):
            valid = slice(i * fold_size, (i + 1) * fold_size)
            rest = [slice(j * fold_size, (j + 1) * fold_size) for j in range(k) if j != i]
            X_train = nd.concat(*[X[s] for s in rest], dim=0)
            y_train = nd.concat(*[y[s] for s in rest], dim=0)
            train_ls, valid_ls = train(get_net(), X_train, y_train, X[valid], y[valid],
                                       num_epochs, learning_rate, weight_decay, batch_size)
            if i == 0:
                d2l.semilogy(range(1, num_epochs + 1), train_ls, 'epochs', 'rmse',
                             range(1, num_epochs + 1), valid_ls, ['train', 'valid'])
                d2l.plt.close('all')
            train_sum, valid_sum = train_sum + train_ls[-1], valid_sum + valid_ls[-1]
        return train_sum / k, valid_sum / k

    k, num_epochs, lr, weight_decay, batch_size = (5, 100, 5, 0, 64) if FULL else (2, 10, 5, 0, 64)
    train_l, valid_l = k_fold(k, train_features, train_labels, num_epochs, lr, weight_decay,
                              batch_size)
    net = get_net()
    train_ls, _ = train(net, train_features, train_labels, None, None, num_epochs, lr,
                        weight_decay, batch_size)
    # predicting 1 for every house scores about log(180000) = 12; training leaves that far behind
    assert train_ls[-1] < train_ls[0] / 2 and 0 < train_l < 3 and 0 < valid_l < 3
    preds = net(test_features).asnumpy().reshape(-1)
    submission = pd.DataFrame({'Id': test_data['Id'], 'SalePrice': preds})
    submission.to_csv(tmp_path / 'submission.csv', index=False)
    assert pd.read_csv(tmp_path / 'submission.csv').shape == (1459, 2)
    if FULL:
        # the book: 5-fold avg train rmse 0.165153, avg valid 0.170297 (folds 0.155-0.189),
        # the final fit's train rmse 0.162577: within 0.02
        assert abs(train_l - 0.165153) < 0.02 and abs(valid_l - 0.170297) < 0.02
        assert abs(train_ls[-1] - 0.162577) < 0.02
