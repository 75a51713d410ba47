"""The MLP generalised for the exercises and 3.15 (ch3.book.deep_mlp): several hidden layers,
other activations, a hook after each hidden layer, and the two layouts (scratch, Gluon) against
a numpy forward pass and each other."""
import numpy as np
import pytest
from mxnet import nd

from ch3.book import mlp
from ch3.book.deep_mlp import (gluon_net, gluon_params, init_params, layers, load_params, net)
from ch3.checks import check_hidden_sizes
from ch3.harness.runs.mlp import ACTIVATIONS


def test_one_hidden_layer_is_the_books_net_exactly():
    import mxnet as mx
    mx.random.seed(4)
    ours = init_params()
    mx.random.seed(4)
    book = mlp.init_params()
    for a, b in zip(ours, book):
        np.testing.assert_array_equal(a.asnumpy(), b.asnumpy())
    X = nd.array(np.random.RandomState(0).uniform(size=(3, 1, 28, 28)))
    np.testing.assert_array_equal(net(X, ours).asnumpy(), mlp.net(X, book).asnumpy())


def test_weights_too_large_for_mxnet_are_refused_before_allocating():
    with pytest.raises(ValueError, match='more than MXNet can index.*fewer hidden units'):
        init_params(num_hiddens=100000000)
    with pytest.raises(ValueError, match='more than MXNet can index'):
        mlp.init_params(num_hiddens=10 ** 7)


def test_init_params_draw_each_layer_as_the_book_does():
    params = init_params()
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
    assert check_hidden_sizes(value) == widths


@pytest.mark.parametrize('value', [0, -5, 2.5, (256, 0), True])
def test_hidden_sizes_rejects_non_positive_integers(value):
    with pytest.raises(ValueError, match='num_hiddens must be'):
        check_hidden_sizes(value)
    with pytest.raises(ValueError, match='num_hiddens must be'):
        init_params(num_hiddens=value)


def test_layers_rejects_an_odd_parameter_list():
    with pytest.raises(ValueError, match='even number'):
        layers(init_params(num_hiddens=(3,), num_inputs=4, num_outputs=2)[:3])


@pytest.mark.parametrize('activation, numpy_fn', [
    ('relu', lambda z: np.maximum(z, 0)),
    ('sigmoid', lambda z: 1 / (1 + np.exp(-z))),
    ('tanh', np.tanh),
])
def test_net_equals_a_numpy_forward_pass(activation, numpy_fn):
    rng = np.random.RandomState(0)
    params = init_params(num_inputs=12, num_hiddens=(7, 5), num_outputs=3)
    for p in params:
        p[:] = nd.array(rng.normal(size=p.shape))
    X = rng.uniform(size=(6, 1, 3, 4)).astype(np.float32)
    W1, b1, W2, b2, W3, b3 = [p.asnumpy() for p in params]
    H = numpy_fn(X.reshape(6, 12) @ W1 + b1)
    expected = numpy_fn(H @ W2 + b2) @ W3 + b3
    out = net(nd.array(X), params, ACTIVATIONS[activation])
    np.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-4, atol=1e-5)


def test_after_hidden_sees_every_hidden_layer_in_order_and_replaces_it():
    rng = np.random.RandomState(2)
    params = init_params(num_inputs=6, num_hiddens=(5, 4), num_outputs=3)
    for p in params:
        p[:] = nd.array(rng.normal(size=p.shape))
    X = nd.array(rng.uniform(size=(2, 6)))
    seen = []

    def zero_first(H, i):
        seen.append((i, H.shape))
        return H * 0 if i == 0 else H
    out = net(X, params, after_hidden=zero_first)
    assert seen == [(0, (2, 5)), (1, (2, 4))]
    # with the first hidden layer zeroed, the logits are relu(b2) W3 + b3 for every example
    W3, b2, b3 = params[4].asnumpy(), params[3].asnumpy(), params[5].asnumpy()
    np.testing.assert_allclose(out.asnumpy(), np.tile(np.maximum(b2, 0) @ W3 + b3, (2, 1)),
                               rtol=1e-5, atol=1e-6)
    plain = net(X, params).asnumpy()
    assert np.abs(plain[0] - plain[1]).max() > 1e-3   # without the hook the examples differ


@pytest.mark.parametrize('activation', ['relu', 'sigmoid', 'tanh'])
def test_gluon_net_with_the_same_weights_computes_the_same_logits(activation):
    model = gluon_net(num_hiddens=(32, 16), activation=activation)
    X = nd.array(np.random.RandomState(1).uniform(size=(5, 1, 28, 28)))
    logits = model(X)
    assert logits.shape == (5, 10)
    params = gluon_params(model)
    assert [p.shape for p in params] == [(784, 32), (32,), (32, 16), (16,), (16, 10), (10,)]
    np.testing.assert_allclose(net(X, params, ACTIVATIONS[activation]).asnumpy(),
                               logits.asnumpy(), rtol=1e-4, atol=1e-6)
    assert [dense.act.__class__.__name__ if dense.act else None for dense in model] \
        == ['Activation', 'Activation', None]


def test_load_params_puts_scratch_weights_into_the_gluon_net():
    params = init_params(num_hiddens=(16,))
    for p in params:
        p[:] = nd.array(np.random.RandomState(3).normal(size=p.shape))
    model = gluon_net(num_hiddens=16)
    X = nd.array(np.random.RandomState(4).uniform(size=(3, 784)))
    model(X)
    load_params(model, params)
    np.testing.assert_allclose(model(X).asnumpy(), net(X, params).asnumpy(), rtol=1e-4,
                               atol=1e-5)
    np.testing.assert_array_equal(gluon_params(model)[0].asnumpy(), params[0].asnumpy())
    with pytest.raises(ValueError, match='2 Dense layers but params hold 3'):
        load_params(model, init_params(num_hiddens=(16, 8)))


def test_gluon_net_initial_weights_are_normal_001_and_zero_biases():
    model = gluon_net()
    model(nd.zeros((1, 784)))   # finish deferred initialization
    W = model[0].weight.data().asnumpy()
    assert W.shape == (256, 784) and W.std() == pytest.approx(0.01, rel=0.02)
    assert not model[0].bias.data().asnumpy().any() and not model[1].bias.data().asnumpy().any()
    assert model._active   # hybridized


def test_gluon_net_refuses_an_unknown_activation():
    with pytest.raises(ValueError, match='activation must be one of relu, sigmoid, tanh'):
        gluon_net(activation='softmax')


