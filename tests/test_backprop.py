"""3.14 (ch3.book.backprop): the hand-written backward pass against autograd, Gluon layers,
finite differences and numpy, with 3.9's weight layout and 3.8's activations."""
import os

import numpy as np
import pytest
from mxnet import autograd, nd

import ch3
from ch3.book import activations
from ch3.book import backprop as bp


def _batch(n, d, q, dtype, seed=0):
    rng = np.random.RandomState(seed)
    X = nd.array(rng.normal(size=(n, d)), dtype=dtype)
    y = nd.array(rng.randint(0, q, size=n), dtype=dtype)
    return X, y


def _close(a, b, rtol):
    a, b = a.asnumpy(), b.asnumpy()
    assert np.abs(a - b).max() <= rtol * np.abs(b).max(), (np.abs(a - b).max(), np.abs(b).max())


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
@pytest.mark.parametrize('activation', ['relu', 'sigmoid', 'tanh'])
def test_hand_gradients_equal_autograd(dtype, activation):
    X, y = _batch(64, 30, 5, dtype)
    W1, W2 = bp.init_weights([30, 20, 5], scale=0.3, dtype=dtype)
    J, cache = bp.forward(X, y, W1, W2, lambd=0.05, activation=activation)
    hand = bp.backward(X, y, W1, W2, cache, lambd=0.05, activation=activation)
    auto = bp.autograd_gradients(X, y, W1, W2, lambd=0.05, activation=activation)
    for name in ('o', 'W2', 'h', 'z', 'W1'):
        assert hand[name].shape == auto[name].shape
        _close(hand[name], auto[name], 1e-5)


def test_the_loss_is_the_mean_softmax_cross_entropy_plus_the_penalty():
    X, y = _batch(8, 4, 3, 'float64')
    W1, W2 = bp.init_weights([4, 6, 3], scale=0.5, dtype='float64')
    J, cache = bp.forward(X, y, W1, W2, lambd=0.2, activation='tanh')
    assert W1.shape == (4, 6) and W2.shape == (6, 3)          # 3.9's layout: (d, h), (h, q)
    O = np.tanh(X.asnumpy() @ W1.asnumpy()) @ W2.asnumpy()
    logp = O - np.log(np.exp(O).sum(axis=1, keepdims=True))
    L = -logp[np.arange(8), y.asnumpy().astype(int)].mean()
    s = 0.1 * ((W1.asnumpy() ** 2).sum() + (W2.asnumpy() ** 2).sum())
    assert J.asscalar() == pytest.approx(L + s, rel=1e-12)
    np.testing.assert_allclose(cache['o'].asnumpy(), O, rtol=1e-12)


@pytest.mark.parametrize('activation', ['tanh', 'relu'])
def test_hand_gradients_agree_with_central_finite_differences(activation):
    X, y = _batch(16, 6, 4, 'float64', seed=1)
    W1, W2 = bp.init_weights([6, 5, 4], scale=0.5, dtype='float64')
    _, cache = bp.forward(X, y, W1, W2, 0.1, activation)
    hand = bp.backward(X, y, W1, W2, cache, 0.1, activation)
    for name, W in (('W1', W1), ('W2', W2)):
        numeric = bp.finite_difference(lambda: bp.forward(X, y, W1, W2, 0.1, activation)[0], W,
                                       range(W.size))
        np.testing.assert_allclose(numeric, hand[name].asnumpy().ravel(), rtol=1e-6, atol=1e-9)
    # the perturbations were undone
    assert bp.forward(X, y, W1, W2, 0.1, activation)[0].asscalar() == \
        pytest.approx(bp.forward(X, y, W1.copy(), W2.copy(), 0.1, activation)[0].asscalar())


def test_deep_backward_equals_autograd_and_reduces_to_the_books_graph():
    X, y = _batch(32, 12, 4, 'float64', seed=2)
    weights = bp.init_weights([12, 10, 8, 6, 4], scale=0.4, dtype='float64')
    _, cache = bp.forward_deep(X, y, weights, 0.03, 'sigmoid')
    hand = bp.backward_deep(X, y, weights, cache, 0.03, 'sigmoid')
    for W in weights:
        W.attach_grad()
    with autograd.record():
        J, _ = bp.forward_deep(X, y, weights, 0.03, 'sigmoid')
    J.backward()
    for ours, W in zip(hand, weights):
        _close(ours, W.grad, 1e-10)
    W1, W2 = bp.init_weights([12, 7, 4], scale=0.4, dtype='float64')
    _, small = bp.forward(X, y, W1, W2, 0.03)
    book = bp.backward(X, y, W1, W2, small, 0.03)
    _, deep_cache = bp.forward_deep(X, y, [W1, W2], 0.03)
    deep = bp.backward_deep(X, y, [W1, W2], deep_cache, 0.03)
    _close(deep[0], book['W1'], 1e-12)
    _close(deep[1], book['W2'], 1e-12)


@pytest.mark.parametrize('depth', [1, 3])
@pytest.mark.parametrize('n', [1, 10])
def test_cache_holds_2_arrays_per_hidden_layer_plus_the_output(depth, n):
    X, y = _batch(n, 9, 3, 'float32')
    weights = bp.init_weights([9] + [7] * depth + [3])
    _, cache = bp.forward_deep(X, y, weights)
    size = bp.cache_size(cache)
    assert size['arrays'] == 2 * depth + 1
    assert size['bytes'] == 4 * n * (2 * 7 * depth + 3)


def test_memory_growth_is_measured_linear_in_batch_size_and_depth():
    growth = bp.memory_growth(batch_sizes=(2, 5, 11), depths=(1, 2, 5), num_inputs=20,
                              num_hiddens=8, num_outputs=3)
    assert len(growth['table']) == 9
    for row in growth['table']:
        assert row['bytes'] == 4 * row['batch_size'] * (16 * row['depth'] + 3)
    assert [p['bytes_per_example'] for p in growth['per_depth']] == \
        pytest.approx([4 * 19, 4 * 35, 4 * 83])
    assert growth['per_layer']['arrays_per_hidden_layer'] == pytest.approx(2)
    assert growth['per_layer']['bytes_per_example_per_hidden_layer'] == pytest.approx(64)


def test_section_reports_checks_and_memory(tmp_path):
    result = ch3.run_section('3.14', quick=True, out=str(tmp_path), verbose=False)
    final = result['final']
    assert final['autograd_max_rel_diff'] < 1e-5
    assert final['finite_difference_max_rel_error'] < 1e-5
    assert final['bias_autograd_max_rel_diff'] < 1e-5
    assert final['bias_finite_difference_max_rel_error'] < 1e-5
    assert final['intermediate_arrays'] == 3 and final['intermediate_names'] == ['h', 'o', 'z']
    assert final['intermediate_bytes'] == 4 * 32 * (256 + 256 + 10)
    assert result['figures'] == [os.path.join(str(tmp_path), name)
                                 for name in ('backprop_memory.png', 'backprop_graph.png')]
    assert all(os.path.getsize(path) > 1000 for path in result['figures'])


def test_gluon_version_agrees_with_the_hand_written_pass(tmp_path):
    result = ch3.run_section('3.14', impl='gluon', quick=True, out=str(tmp_path), verbose=False)
    final = result['final']
    assert final['J_abs_diff'] < 1e-6 and final['hand_max_rel_diff'] < 1e-5
    assert set(final['hand_rel_diff']) == {'W1', 'W2'}
    ch3.set_seed(0)
    scratch = ch3.run_section('3.14', impl='scratch', quick=True, verbose=False)['final']
    assert scratch['J'] == pytest.approx(final['J'], rel=1e-6)   # same seed, same batch


@pytest.mark.parametrize('activation', ['relu', 'sigmoid', 'tanh'])
def test_gluon_layers_hold_the_same_weights_and_give_the_same_gradients(activation):
    X, y = _batch(16, 10, 4, 'float64', seed=3)
    W1, W2 = bp.init_weights([10, 8, 4], scale=0.5, dtype='float64')
    net = bp.gluon_net(W1, W2, activation)
    J, grads = bp.gluon_gradients(net, X, y, 0.1)
    J_hand, cache = bp.forward(X, y, W1, W2, 0.1, activation)
    hand = bp.backward(X, y, W1, W2, cache, 0.1, activation)
    assert J.asscalar() == pytest.approx(J_hand.asscalar(), rel=1e-12)
    for name in ('W1', 'W2'):
        _close(grads[name], hand[name], 1e-10)


def test_bias_gradients_sum_the_rows_and_match_autograd_and_finite_differences():
    X, y = _batch(12, 5, 3, 'float64', seed=4)
    W1, W2 = bp.init_weights([5, 4, 3], scale=0.5, dtype='float64')
    b1 = nd.array([0.1, -0.2, 0.3, 0.0], dtype='float64')
    b2 = nd.array([0.5, -0.5, 0.2], dtype='float64')
    _, cache = bp.forward(X, y, W1, W2, 0.1, 'tanh', b1, b2)
    hand = bp.backward(X, y, W1, W2, cache, 0.1, 'tanh', with_biases=True)
    auto = bp.autograd_gradients(X, y, W1, W2, 0.1, 'tanh', b1, b2)
    for name in ('b1', 'b2', 'W1', 'W2', 'z', 'h', 'o'):
        _close(hand[name], auto[name], 1e-10)
    np.testing.assert_allclose(hand['b2'].asnumpy(), hand['o'].asnumpy().sum(axis=0))
    for name, b in (('b1', b1), ('b2', b2)):
        numeric = bp.finite_difference(
            lambda: bp.forward(X, y, W1, W2, 0.1, 'tanh', b1, b2)[0], b, range(b.size))
        np.testing.assert_allclose(numeric, hand[name].asnumpy(), rtol=1e-6, atol=1e-9)


def test_the_activations_are_38s():
    X, y = _batch(6, 4, 3, 'float32')
    W1, W2 = bp.init_weights([4, 5, 3], scale=0.5)
    for name in ('relu', 'sigmoid', 'tanh'):
        _, cache = bp.forward(X, y, W1, W2, activation=name)
        expected = activations.get_activation(name)(nd.dot(X, W1))
        np.testing.assert_array_equal(cache['h'].asnumpy(), expected.asnumpy())
    X64, W64 = X.astype('float64'), [W.astype('float64') for W in (W1, W2)]
    for name in ('elu', 'softplus', 'leaky_relu'):   # 3.8's exercise activations work too
        _, cache = bp.forward(X64, y, *W64, 0.1, name)
        hand = bp.backward(X64, y, *W64, cache, 0.1, name)
        auto = bp.autograd_gradients(X64, y, *W64, 0.1, name)
        for key in ('W1', 'W2', 'z'):
            _close(hand[key], auto[key], 1e-10)


def test_graph_figure_draws_every_node_and_edge():
    fig = bp.graph_figure()
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {'x', 'W1', 'z', 'h', 'W2', 'o', 'y', 'L', 's', 'J', 'l2', 'phi', '+'} <= texts
    assert len(fig.axes[0].patches) == len(bp.GRAPH_NODES)
    arrows = [c for c in fig.axes[0].texts if getattr(c, 'arrow_patch', None) is not None]
    assert len(arrows) == len(bp.GRAPH_EDGES)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match='activation'):
        ch3.run_section('3.14', activation='gelu', quick=True)
    with pytest.raises(ValueError, match='activation'):
        ch3.run_section('3.14', impl='gluon', activation='gelu', quick=True)
    with pytest.raises(ValueError, match='layer_sizes'):
        bp.init_weights([5])
    with pytest.raises(ValueError, match='batch_size'):
        ch3.run_section('3.14', batch_size=0, quick=True)
