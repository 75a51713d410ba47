"""3.13: dropout's statistics (fixed seed), its train-only behaviour, and both networks against the
book's own code run through d2lzh.train_ch3 with identical parameters, batches and random masks."""
import json
import math

import d2lzh
import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd, init, nd
from mxnet.gluon import loss as gloss, nn

import ch3
from ch3.harness.runs import mlp
from ch3.harness.runs.dropout import (build_gluon_net, check_drop_prob, drop_probabilities, dropout,
                                  net_scratch, scratch_net)
from ch3.book.training import train_ch3
from test_mlp import copy_params, real_batches, run_quietly, train_gluon_beside_the_book


def book_dropout(X, drop_prob):
    """The book's 3.13 code, verbatim (assert included)."""
    assert 0 <= drop_prob <= 1
    keep_prob = 1 - drop_prob
    if keep_prob == 0:
        return X.zeros_like()
    mask = nd.random.uniform(0, 1, X.shape) < keep_prob
    return mask * X / keep_prob


# ---------------------------------------------------------------------------------------------
# dropout(X, drop_prob)
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize('p', [0.2, 0.5, 0.8])
def test_mask_rate_and_scaling(p):
    n = 1000 * 1000
    out = dropout(nd.ones((1000, 1000)), p).asnumpy()
    dropped = (out == 0).mean()
    assert abs(dropped - p) < 5 * math.sqrt(p * (1 - p) / n)     # binomial, 5 standard errors
    np.testing.assert_allclose(np.unique(out[out != 0]), [1 / (1 - p)], rtol=1e-6)


@pytest.mark.parametrize('p', [0.2, 0.5, 0.8])
def test_expectation_of_every_element_is_preserved(p):
    x = np.linspace(-3, 3, 50).astype(np.float32)
    draws = 20000
    out = dropout(nd.array(np.tile(x, (draws, 1))), p).asnumpy()
    # each draw is x_i / (1 - p) with probability 1 - p, else 0: variance x_i^2 p / (1 - p)
    standard_error = np.abs(x) * math.sqrt(p / (1 - p) / draws)
    assert (np.abs(out.mean(axis=0) - x) <= 5 * standard_error + 1e-6).all()
    assert abs(out.mean() - x.mean()) < 0.01   # and of the whole array


def test_drop_probability_one_gives_zeros_zero_gives_the_input():
    X = nd.array(np.random.RandomState(0).normal(size=(4, 5)))
    np.testing.assert_array_equal(dropout(X, 1).asnumpy(), np.zeros((4, 5)))
    np.testing.assert_array_equal(dropout(X, 0).asnumpy(), X.asnumpy())


def test_same_masks_as_the_books_dropout_with_the_same_seed():
    X = nd.arange(40).reshape((5, 8))
    mx.random.seed(7)
    ours = dropout(X, 0.5)
    mx.random.seed(7)
    np.testing.assert_array_equal(ours.asnumpy(), book_dropout(X, 0.5).asnumpy())


def test_gradient_flows_through_kept_elements_only():
    X = nd.ones((3, 6))
    X.attach_grad()
    with autograd.record():
        y = dropout(X, 0.5)
    y.backward()
    np.testing.assert_array_equal(X.grad.asnumpy(), y.asnumpy())   # d y / d x = mask / (1 - p)


@pytest.mark.parametrize('p', [-0.1, 1.5, float('nan'), float('inf'), True, '0.5', None])
def test_probabilities_outside_zero_one_are_value_errors(p):
    with pytest.raises(ValueError, match=r'drop_prob must be a probability in \[0, 1\]'):
        dropout(nd.ones(3), p)


def test_drop_probabilities_one_per_hidden_layer():
    assert drop_probabilities((0.2, 0.5), 2) == (0.2, 0.5)
    assert drop_probabilities(0.3, 3) == (0.3, 0.3, 0.3)
    assert check_drop_prob(1) == 1.0
    with pytest.raises(ValueError, match='one probability per hidden layer: 2 layer'):
        drop_probabilities((0.2,), 2)


# ---------------------------------------------------------------------------------------------
# Dropout acts only while training
# ---------------------------------------------------------------------------------------------

def test_scratch_net_drops_only_while_training():
    params = mlp.init_params(num_hiddens=(256, 256))
    X = nd.array(np.random.RandomState(0).uniform(size=(8, 1, 28, 28)))
    plain = mlp.net_scratch(X, params).asnumpy()         # the same network without dropout
    np.testing.assert_array_equal(net_scratch(X, params).asnumpy(), plain)
    with autograd.record(train_mode=False):
        np.testing.assert_array_equal(net_scratch(X, params).asnumpy(), plain)
    with autograd.record():
        a, b = net_scratch(X, params).asnumpy(), net_scratch(X, params).asnumpy()
    assert not np.allclose(a, plain) and not np.allclose(a, b)
    with autograd.train_mode():
        assert not np.allclose(net_scratch(X, params).asnumpy(), plain)


def test_gluon_net_drops_only_while_training():
    net = build_gluon_net()
    X = nd.array(np.random.RandomState(0).uniform(size=(8, 784)))
    first, second = net(X).asnumpy(), net(X).asnumpy()
    np.testing.assert_array_equal(first, second)
    with autograd.record():
        training = net(X).asnumpy()
    assert not np.allclose(training, first)
    params = []
    for dense in net[0::2]:
        params += [dense.weight.data().T, dense.bias.data()]
    np.testing.assert_allclose(mlp.net_scratch(X, params).asnumpy(), first, rtol=1e-4, atol=1e-7)


def test_gluon_net_layout_follows_the_book():
    net = build_gluon_net()
    assert [type(block).__name__ for block in net] == ['Dense', 'Dropout', 'Dense', 'Dropout',
                                                      'Dense']
    assert [net[1]._rate, net[3]._rate] == [0.2, 0.5]
    assert net._active   # hybridized


# ---------------------------------------------------------------------------------------------
# Against the book's code and d2lzh.train_ch3 (same seed, so the same masks)
# ---------------------------------------------------------------------------------------------

def test_scratch_training_equals_the_books_code_under_d2lzh():
    train, test = real_batches(1024, 256), real_batches(512, 256, train=False)
    params = mlp.init_params(num_hiddens=(256, 256))
    W1, b1, W2, b2, W3, b3 = book_params = copy_params(params)
    drop_prob1, drop_prob2 = 0.2, 0.5

    def book_net(X):
        X = X.reshape((-1, 784))
        H1 = (nd.dot(X, W1) + b1).relu()
        if autograd.is_training():
            H1 = book_dropout(H1, drop_prob1)
        H2 = (nd.dot(H1, W2) + b2).relu()
        if autograd.is_training():
            H2 = book_dropout(H2, drop_prob2)
        return nd.dot(H2, W3) + b3

    loss = gloss.SoftmaxCrossEntropyLoss()
    mx.random.seed(3)
    ours = run_quietly(train_ch3, scratch_net(params), train, test, loss, 3, 256, params, 0.5)
    mx.random.seed(3)
    theirs = run_quietly(d2lzh.train_ch3, book_net, train, test, loss, 3, 256, book_params, 0.5)
    assert len(ours) == 3 and ours == theirs
    for mine, book in zip(params, book_params):
        np.testing.assert_allclose(mine.asnumpy(), book.asnumpy(), rtol=1e-5, atol=1e-7)


def test_gluon_training_equals_the_books_code_under_d2lzh():
    train, test = real_batches(1024, 256), real_batches(512, 256, train=False)
    ours = build_gluon_net()
    book = nn.Sequential()
    book.add(nn.Dense(256, activation='relu'), nn.Dropout(0.2),
             nn.Dense(256, activation='relu'), nn.Dropout(0.5), nn.Dense(10))
    book.initialize(init.Normal(sigma=0.01))
    mine, theirs = train_gluon_beside_the_book(ours, book, train, test, mx_seed=3)
    assert len(mine) == 3 and mine == theirs
    np.testing.assert_allclose(ours[4].weight.data().asnumpy(), book[4].weight.data().asnumpy(),
                               rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------------------------------------
# The section end to end
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize('impl', ['scratch', 'gluon'])
def test_quick_run_on_real_data(impl):
    result = ch3.run_section('3.13', impl=impl, quick=True, verbose=False)
    assert json.loads(json.dumps(result)) == result
    assert result['hyperparameters'] == {'num_epochs': 2, 'batch_size': 256, 'lr': 0.5,
                                         'num_hiddens': [256, 256], 'drop_probs': [0.2, 0.5],
                                         'activation': 'relu', 'subset': 6000, 'pipeline': 'fast'}
    history = result['history']
    assert len(history) == 2 and history[1]['loss'] < history[0]['loss'] < math.log(10)
    assert set(result['final']) == {'loss', 'train_acc', 'test_acc', 'seconds_per_epoch'}
    assert result['final']['test_acc'] > 0.2   # chance is 0.1; dropout learns slowly at first


@pytest.mark.slow
def test_one_full_epoch_learns():
    result = ch3.run_section('3.13', impl='gluon', num_epochs=1, verbose=False)
    assert result['final']['train_acc'] > 0.45 and result['final']['test_acc'] > 0.6


def test_swapped_and_single_probabilities_are_accepted():
    result = ch3.run_section('3.13', quick=True, num_epochs=1, drop_probs=(0.5, 0.2),
                             verbose=False)
    assert result['hyperparameters']['drop_probs'] == [0.5, 0.2]
    result = ch3.run_section('3.13', impl='gluon', quick=True, num_epochs=1, num_hiddens=128,
                             drop_probs=0.3, verbose=False)
    assert result['hyperparameters']['num_hiddens'] == [128]
    assert result['hyperparameters']['drop_probs'] == [0.3]


@pytest.mark.parametrize('impl', ['scratch', 'gluon'])
@pytest.mark.parametrize('kwargs, message', [
    ({'drop_probs': (0.2, 1.2)}, r'drop_prob must be a probability in \[0, 1\], got 1.2'),
    ({'drop_probs': (0.2,)}, 'one probability per hidden layer'),
    ({'activation': 'elu'}, 'activation must be one of'),
])
def test_bad_hyperparameters_are_value_errors(impl, kwargs, message):
    with pytest.raises(ValueError, match=message):
        ch3.run_section('3.13', impl=impl, quick=True, **kwargs)


def test_book_reference_numbers_are_registered():
    book = ch3.harness.registry.get_section('3.13').book
    assert book['scratch_test_acc'] == 0.857 and book['gluon_test_acc'] == 0.847
