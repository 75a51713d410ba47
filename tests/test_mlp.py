"""3.9-3.10: the MLP against the book's own code run through d2lzh.train_ch3 (identical initial
parameters and batches of real Fashion-MNIST), against a numpy forward pass, and end to end."""
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
from ch3.harness.runs.mlp import (build_gluon_net, hidden_sizes, init_params, layers, net_scratch,
                              scratch_net)
from ch3.book.training import train_ch3


def real_batches(n, batch_size, train=True):
    """The first n real images as a fixed list of (X (b, 1, 28, 28) in [0, 1], y int32) batches,
    converted the way the book's ToTensor does (uint8 / 255), without our data pipeline."""
    images, labels = load_fashion_mnist_arrays(train=train)
    X = images[:n].astype(np.float32)[:, None, :, :] / 255
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
    """Give `book` (the book's nn.Sequential) our net's initial parameters, then train each with
    its train_ch3 (ours, d2lzh's) on the same batches; returns both sets of printed lines.
    mx_seed reseeds MXNet before each run, so random layers draw the same masks."""
    ours(train[0][0]), book(train[0][0])   # finish deferred initialization
    for mine, theirs in zip(ours.collect_params().values(), book.collect_params().values()):
        theirs.set_data(mine.data())
    loss = gloss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(ours.collect_params(), 'sgd', {'learning_rate': lr})
    book_trainer = gluon.Trainer(book.collect_params(), 'sgd', {'learning_rate': lr})
    if mx_seed is not None:
        mx.random.seed(mx_seed)
    mine = run_quietly(train_ch3, ours, train, test, loss, num_epochs, 256, trainer=trainer)
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
    params = init_params(num_hiddens=(256,))
    assert [p.shape for p in params] == [(784, 256), (256,), (256, 10), (10,)]
    W1 = params[0].asnumpy()
    assert abs(W1.mean()) < 1e-3 and W1.std() == pytest.approx(0.01, rel=0.02)
    assert not params[1].asnumpy().any() and not params[3].asnumpy().any()
    assert all(p.grad is not None for p in params)
    deep = init_params(num_inputs=5, num_hiddens=(4, 3), num_outputs=2)
    assert [p.shape for p in deep] == [(5, 4), (4,), (4, 3), (3,), (3, 2), (2,)]


@pytest.mark.parametrize('value, widths', [(256, (256,)), ((256, 128), (256, 128)),
                                           ([64], (64,)), ((), ())])
def test_hidden_sizes(value, widths):
    assert hidden_sizes(value) == widths


@pytest.mark.parametrize('value', [0, -5, 2.5, (256, 0), True])
def test_hidden_sizes_rejects_non_positive_integers(value):
    with pytest.raises(ValueError, match='num_hiddens must be'):
        hidden_sizes(value)


def test_layers_rejects_an_odd_parameter_list():
    with pytest.raises(ValueError, match='even number'):
        layers(init_params(num_hiddens=(3,), num_inputs=4, num_outputs=2)[:3])


@pytest.mark.parametrize('activation, numpy_fn', [
    ('relu', lambda z: np.maximum(z, 0)),
    ('sigmoid', lambda z: 1 / (1 + np.exp(-z))),
    ('tanh', np.tanh),
])
def test_net_scratch_equals_a_numpy_forward_pass(activation, numpy_fn):
    rng = np.random.RandomState(0)
    params = init_params(num_inputs=12, num_hiddens=(7, 5), num_outputs=3)
    for p in params:
        p[:] = nd.array(rng.normal(size=p.shape))
    X = rng.uniform(size=(6, 1, 3, 4)).astype(np.float32)
    W1, b1, W2, b2, W3, b3 = [p.asnumpy() for p in params]
    H = numpy_fn(X.reshape(6, 12) @ W1 + b1)
    expected = numpy_fn(H @ W2 + b2) @ W3 + b3
    out = net_scratch(nd.array(X), params, activation)
    np.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('activation', ['relu', 'sigmoid', 'tanh'])
def test_gluon_net_with_the_same_weights_computes_the_same_logits(activation):
    net = build_gluon_net(num_hiddens=(32, 16), activation=activation)
    X = nd.array(np.random.RandomState(1).uniform(size=(5, 1, 28, 28)))
    logits = net(X)
    assert logits.shape == (5, 10)
    params = []
    for dense in net:
        params += [dense.weight.data().T, dense.bias.data()]   # Dense stores W as (out, in)
    np.testing.assert_allclose(net_scratch(X, params, activation).asnumpy(), logits.asnumpy(),
                               rtol=1e-4, atol=1e-6)
    assert [dense.act.__class__.__name__ if dense.act else None for dense in net] \
        == ['Activation', 'Activation', None]


def test_gluon_net_initial_weights_are_normal_001_and_zero_biases():
    net = build_gluon_net()
    net(nd.zeros((1, 784)))   # finish deferred initialization
    W = net[0].weight.data().asnumpy()
    assert W.shape == (256, 784) and W.std() == pytest.approx(0.01, rel=0.02)
    assert not net[0].bias.data().asnumpy().any() and not net[1].bias.data().asnumpy().any()
    assert net._active   # hybridized


# ---------------------------------------------------------------------------------------------
# Against the book's code and d2lzh.train_ch3
# ---------------------------------------------------------------------------------------------

def test_scratch_training_equals_the_books_code_under_d2lzh():
    train, test = real_batches(1024, 256), real_batches(512, 256, train=False)
    params = init_params(num_hiddens=256)
    W1, b1, W2, b2 = book_params = copy_params(params)

    def book_relu(X):
        return nd.maximum(X, 0)

    def book_net(X):
        X = X.reshape((-1, 784))
        H = book_relu(nd.dot(X, W1) + b1)
        return nd.dot(H, W2) + b2

    loss = gloss.SoftmaxCrossEntropyLoss()
    ours = run_quietly(train_ch3, scratch_net(params), train, test, loss, 3, 256, params, 0.5)
    theirs = run_quietly(d2lzh.train_ch3, book_net, train, test, loss, 3, 256, book_params, 0.5)
    assert len(ours) == 3 and ours == theirs
    for mine, book in zip(params, book_params):
        np.testing.assert_allclose(mine.asnumpy(), book.asnumpy(), rtol=1e-5, atol=1e-7)
    losses = [float(v) for v in re.findall(r'loss ([\d.]+)', ' '.join(ours))]
    assert losses == sorted(losses, reverse=True) and losses[0] < np.log(10)   # it learns ...
    assert float(re.findall(r'test acc ([\d.]+)', ours[-1])[0]) > 0.4          # ... from 12 steps


def test_gluon_training_equals_the_books_code_under_d2lzh():
    train, test = real_batches(1024, 256), real_batches(512, 256, train=False)
    ours = build_gluon_net()
    book = nn.Sequential()
    book.add(nn.Dense(256, activation='relu'), nn.Dense(10))
    book.initialize(init.Normal(sigma=0.01))
    mine, theirs = train_gluon_beside_the_book(ours, book, train, test)
    assert len(mine) == 3 and mine == theirs
    np.testing.assert_allclose(ours[0].weight.data().asnumpy(), book[0].weight.data().asnumpy(),
                               rtol=1e-5, atol=1e-7)


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
                                         'subset': 6000, 'pipeline': 'fast'}
    history = result['history']
    assert len(history) == 2 and history[1]['loss'] < history[0]['loss']
    assert set(result['final']) == {'loss', 'train_acc', 'test_acc', 'seconds_per_epoch'}
    assert result['final']['test_acc'] > 0.5   # chance is 0.1
    assert result['final']['loss'] == history[-1]['loss']


def test_options_for_the_exercises_two_layers_and_tanh():
    result = ch3.run_section('3.9', quick=True, num_epochs=2, num_hiddens=(64, 32),
                             activation='tanh', verbose=False)
    assert result['hyperparameters']['num_hiddens'] == [64, 32]
    assert result['hyperparameters']['activation'] == 'tanh'
    assert result['final']['test_acc'] > 0.2


def test_gluon_on_two_cpu_contexts():
    result = ch3.run_section('3.10', ctx='cpu:0,cpu:1', quick=True, num_epochs=1, verbose=False)
    assert result['ctx'] == ['cpu(0)', 'cpu(1)']
    assert result['final']['test_acc'] > 0.3


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


def test_book_reference_numbers_are_registered():
    assert ch3.harness.registry.get_section('3.9').book['test_acc'] == 0.863
    assert ch3.harness.registry.get_section('3.10').book['test_acc'] == 0.855
    assert ch3.harness.registry.get_section('3.10').default_impl == 'gluon'


@pytest.mark.slow
def test_full_gluon_run_reaches_the_books_training_numbers():
    """5 epochs on all 60000 images (~12 s). The book's run ends at loss 0.37-0.38, train acc 0.86.
    Test accuracy is asserted loosely: ch3.book.training steps the last, 96-image batch of each epoch
    with its mean gradient (d2lzh with 96/256 of it), and that full noisy step just before
    evaluation costs 2-3 points at lr 0.5 (seed 0: 0.830 here, 0.855 with d2lzh's step)."""
    result = ch3.run_section('3.10', verbose=False)
    final = result['final']
    assert len(result['history']) == 5
    assert final['loss'] < 0.40 and final['train_acc'] > 0.85
    assert final['test_acc'] > 0.80
