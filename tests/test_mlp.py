"""3.9-3.10 (ch3.book.mlp, run by ch3.harness.runs.mlp): the MLP against the book's own code run
through d2lzh.train_ch3 (identical initial parameters and batches of real Fashion-MNIST), against
a numpy forward pass, and end to end."""
import contextlib
import io
import json
import re

import d2lzh
import mxnet as mx
import numpy as np
import pytest
from mxnet import gluon, init, nd
from mxnet.gluon import loss as gloss, nn

import ch3
from ch3.data.fashion_mnist import load_fashion_mnist_arrays
from ch3.book.mlp import gluon_net, init_params, net, relu, train_gluon, train_scratch
from ch3.book.training import train_ch3


def real_batches(n, batch_size, train=True):
    """The first n real images as a fixed list of (X (b, 1, 28, 28) in [0, 1], y int32) batches,
    converted the way the book's ToTensor does (uint8 / 255), without our data pipeline."""
    images, labels = load_fashion_mnist_arrays(train=train)
    X, labels = images[:n].astype(np.float32)[:, None, :, :] / 255, labels[:n]
    return [(nd.array(X[i:i + batch_size]), nd.array(labels[i:i + batch_size], dtype='int32'))
            for i in range(0, n, batch_size)]


def book_lines(text):
    return re.findall(r'epoch \d+, loss [\d.]+, train acc [\d.]+, test acc [\d.]+', text)


def run_quietly(fn, *args, **kwargs):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        fn(*args, **kwargs)
    return book_lines(out.getvalue())


def train_gluon_beside_the_book(ours, book, train, test, num_epochs=3, lr=0.5, mx_seed=None):
    """Give `book` (the book's nn.Sequential) our net's initial parameters, then train ours with
    ch3.book.mlp.train_gluon and the book's with d2lzh.train_ch3 on the same batches; returns both
    sets of printed lines. mx_seed reseeds MXNet before each run, so random layers draw the same
    masks."""
    ours(train[0][0]), book(train[0][0])   # finish deferred initialization
    for mine, theirs in zip(ours.collect_params().values(), book.collect_params().values()):
        theirs.set_data(mine.data())
    loss = gloss.SoftmaxCrossEntropyLoss()
    book_trainer = gluon.Trainer(book.collect_params(), 'sgd', {'learning_rate': lr})
    if mx_seed is not None:
        mx.random.seed(mx_seed)
    mine = run_quietly(train_gluon, ours, train, test, num_epochs, 256, lr)
    if mx_seed is not None:
        mx.random.seed(mx_seed)
    theirs = run_quietly(d2lzh.train_ch3, book, train, test, loss, num_epochs, 256, None, None,
                         book_trainer)
    return mine, theirs


def copy_params(params):
    copies = [p.copy() for p in params]
    for p in copies:
        p.attach_grad()
    return copies


# ---------------------------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------------------------

def test_init_params_follow_the_book():
    params = init_params()
    assert [p.shape for p in params] == [(784, 256), (256,), (256, 10), (10,)]
    W1 = params[0].asnumpy()
    assert abs(W1.mean()) < 1e-3 and W1.std() == pytest.approx(0.01, rel=0.02)
    assert not params[1].asnumpy().any() and not params[3].asnumpy().any()
    assert all(p.grad is not None for p in params)


def test_relu_is_the_books_maximum():
    X = nd.array([[-2.0, -0.0, 0.5], [3.0, -1e-8, 0.0]])
    np.testing.assert_array_equal(relu(X).asnumpy(), np.maximum(X.asnumpy(), 0))


def test_net_is_the_books_two_lines():
    rng = np.random.RandomState(0)
    params = init_params(num_hiddens=7)
    for p in params:
        p[:] = nd.array(rng.normal(size=p.shape))
    X = rng.uniform(size=(6, 1, 28, 28)).astype(np.float32)
    W1, b1, W2, b2 = [p.asnumpy() for p in params]
    expected = np.maximum(X.reshape(6, 784) @ W1 + b1, 0) @ W2 + b2
    np.testing.assert_allclose(net(nd.array(X), params).asnumpy(), expected, rtol=1e-4,
                               atol=1e-5)


def test_gluon_net_initial_weights_are_normal_001_and_zero_biases():
    model = gluon_net()
    model(nd.zeros((1, 784)))   # finish deferred initialization
    W = model[0].weight.data().asnumpy()
    assert W.shape == (256, 784) and W.std() == pytest.approx(0.01, rel=0.02)
    assert not model[0].bias.data().asnumpy().any() and not model[1].bias.data().asnumpy().any()
    assert model._active   # hybridized


# ---------------------------------------------------------------------------------------------
# Against the book's code and d2lzh.train_ch3
# ---------------------------------------------------------------------------------------------

def book_scratch_params():
    """The book's 3.9 parameters, drawn in its order (W1, b1, W2, b2)."""
    W1 = nd.random.normal(scale=0.01, shape=(784, 256))
    b1 = nd.zeros(256)
    W2 = nd.random.normal(scale=0.01, shape=(256, 10))
    b2 = nd.zeros(10)
    params = [W1, b1, W2, b2]
    for param in params:
        param.attach_grad()
    return params


def test_train_scratch_equals_the_books_code_under_d2lzh():
    train, test = real_batches(1024, 256), real_batches(512, 256, train=False)
    mx.random.seed(5)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        params, history = train_scratch(train, test, num_epochs=3)   # the book's lr 0.5
    ours = book_lines(out.getvalue())
    mx.random.seed(5)
    W1, b1, W2, b2 = book_params = book_scratch_params()

    def book_relu(X):
        return nd.maximum(X, 0)

    def book_net(X):
        X = X.reshape((-1, 784))
        H = book_relu(nd.dot(X, W1) + b1)
        return nd.dot(H, W2) + b2

    loss = gloss.SoftmaxCrossEntropyLoss()
    theirs = run_quietly(d2lzh.train_ch3, book_net, train, test, loss, 3, 256, book_params, 0.5)
    assert len(ours) == 3 and ours == theirs and len(history) == 3
    for mine, book in zip(params, book_params):
        np.testing.assert_allclose(mine.asnumpy(), book.asnumpy(), rtol=1e-5, atol=1e-7)
    losses = [h['loss'] for h in history]
    assert losses == sorted(losses, reverse=True) and losses[0] < np.log(10)   # it learns ...
    assert history[-1]['test_acc'] > 0.4                                       # ... from 12 steps


def test_train_gluon_equals_the_books_code_under_d2lzh():
    train, test = real_batches(1024, 256), real_batches(512, 256, train=False)
    ours = gluon_net()
    book = nn.Sequential()
    book.add(nn.Dense(256, activation='relu'), nn.Dense(10))
    book.initialize(init.Normal(sigma=0.01))
    mine, theirs = train_gluon_beside_the_book(ours, book, train, test)
    assert len(mine) == 3 and mine == theirs
    np.testing.assert_allclose(ours[0].weight.data().asnumpy(), book[0].weight.data().asnumpy(),
                               rtol=1e-5, atol=1e-7)


def test_a_partial_last_batch_steps_like_d2lzh():
    """The book's arithmetic: the last, smaller batch's summed gradient is divided by 256 too."""
    train, test = real_batches(600, 256), real_batches(256, 256, train=False)   # 256, 256, 88
    params = init_params()
    book_params = copy_params(params)
    loss = gloss.SoftmaxCrossEntropyLoss()
    ours = run_quietly(train_ch3, lambda X: net(X, params), train, test, loss, 2, 256, params,
                       0.5)
    theirs = run_quietly(d2lzh.train_ch3, lambda X: net(X, book_params), train, test, loss, 2,
                         256, book_params, 0.5)
    assert len(ours) == 2 and ours == theirs
    np.testing.assert_allclose(params[0].asnumpy(), book_params[0].asnumpy(), rtol=1e-5,
                               atol=1e-7)


# ---------------------------------------------------------------------------------------------
# The sections end to end
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize('section, impl', [('3.9', 'scratch'), ('3.10', 'gluon')])
def test_quick_run_learns_on_real_data(section, impl):
    result = ch3.run_section(section, quick=True, verbose=False)
    assert json.loads(json.dumps(result)) == result
    assert result['impl'] == impl
    assert result['hyperparameters'] == {'num_epochs': 2, 'batch_size': 256, 'lr': 0.5,
                                         'num_hiddens': [256], 'activation': 'relu',
                                         'subset': 6000}
    history = result['history']
    assert len(history) == 2 and history[1]['loss'] < history[0]['loss']
    other = 'gluon' if impl == 'scratch' else 'scratch'
    agreement = '%s_same_weights_max_abs_logit_diff' % other
    assert set(result['final']) == {'loss', 'train_acc', 'test_acc', 'seconds_per_epoch',
                                    agreement}
    assert result['final']['test_acc'] > 0.5   # chance is 0.1
    assert result['final']['loss'] == history[-1]['loss']
    assert 0 <= result['final'][agreement] < 1e-4   # the two versions compute one function


def test_options_for_the_exercises_two_layers_and_tanh():
    result = ch3.run_section('3.9', quick=True, num_epochs=2, num_hiddens=(64, 32),
                             activation='tanh', verbose=False)
    assert result['hyperparameters']['num_hiddens'] == [64, 32]
    assert result['hyperparameters']['activation'] == 'tanh'
    assert result['final']['test_acc'] > 0.2
    assert result['final']['gluon_same_weights_max_abs_logit_diff'] < 1e-4


def test_gluon_on_two_cpu_contexts():
    result = ch3.run_section('3.10', ctx='cpu:0,cpu:1', quick=True, num_epochs=1, verbose=False)
    assert result['ctx'] == ['cpu(0)', 'cpu(1)']
    assert result['final']['test_acc'] > 0.3
    assert result['final']['scratch_same_weights_max_abs_logit_diff'] < 1e-4


def test_scratch_refuses_two_devices():
    with pytest.raises(ValueError, match='one device'):
        ch3.run_section('3.9', ctx='cpu:0,cpu:1', quick=True)


@pytest.mark.parametrize('kwargs, message', [
    ({'activation': 'softmax'}, 'activation must be one of relu, sigmoid, tanh'),
    ({'num_hiddens': 0}, 'num_hiddens must be >= 1'),
    ({'lr': -0.5}, 'lr must be a finite number > 0'),
    ({'batch_size': 0}, 'batch_size must be >= 1'),
])
@pytest.mark.parametrize('section', ['3.9', '3.10'])
def test_bad_hyperparameters_are_value_errors(section, kwargs, message):
    with pytest.raises(ValueError, match=message):
        ch3.run_section(section, quick=True, **kwargs)


def test_book_reference_numbers_are_the_notebooks_printed_lines():
    scratch = ch3.harness.registry.get_section('3.9').book
    gluon = ch3.harness.registry.get_section('3.10').book
    assert (scratch['loss'], scratch['train_acc'], scratch['test_acc']) == (0.3669, 0.864, 0.861)
    assert (gluon['loss'], gluon['train_acc'], gluon['test_acc']) == (0.3763, 0.860, 0.872)
    assert [h['epoch'] for h in scratch['history']] == [1, 2, 3, 4, 5]
    assert scratch['history'][0] == {'epoch': 1, 'loss': 0.7748, 'train_acc': 0.710,
                                     'test_acc': 0.833}
    assert gluon['history'][0]['loss'] == 0.7917
    assert 'ea74109' in scratch['source'] and 'ea74109' in gluon['source']
    assert ch3.harness.registry.get_section('3.10').default_impl == 'gluon'


@pytest.mark.slow
def test_full_gluon_run_reaches_the_books_numbers():
    """5 epochs on all 60000 images (~15 s) with the book's arithmetic (the last, 96-image batch
    of an epoch steps by 96/256 of a full step, as in d2lzh): the book prints loss 0.3763, train
    acc 0.860, test acc 0.872 (seed 0 here: 0.374, 0.861, 0.855)."""
    result = ch3.run_section('3.10', verbose=False)
    final = result['final']
    assert len(result['history']) == 5
    assert final['loss'] < 0.40 and final['train_acc'] > 0.85
    assert abs(final['test_acc'] - 0.872) < 0.03


def test_a_huge_learning_rate_stops_both_versions():
    train, test = real_batches(512, 256), real_batches(256, 256, train=False)
    with pytest.raises(ch3.TrainingDiverged, match='epoch 1'):
        train_scratch(train, test, 2, 256, 1e9, verbose=False)
    with pytest.raises(ch3.TrainingDiverged, match='epoch 1'):
        train_gluon(gluon_net(), train, test, 2, 256, 1e9, verbose=False)
