"""3.8: the from-scratch activations and hand-written derivatives against MXNet's built-ins, autograd
and float64 finite differences, on the book's grid nd.arange(-8.0, 8.0, 0.1)."""
import json

import numpy as np
import pytest
from mxnet import autograd, nd

import ch3
from ch3.harness.runs.activations import (ACTIVATIONS, autograd_grad, get_activation, grid, relu,
                                      relu_grad, sigmoid, tanh)

NAMES = sorted(ACTIVATIONS)


@pytest.fixture(scope='module')
def x():
    return grid()


def test_the_grid_is_the_books_and_holds_zero(x):
    values = x.asnumpy()
    assert values.shape == (160,)
    assert values[0] == -8.0 and values[-1] == pytest.approx(7.9, abs=1e-5)
    assert (values == 0).sum() == 1   # so the ReLU kink is on the grid


@pytest.mark.parametrize('name', NAMES)
def test_function_equals_the_builtin(name, x):
    fn, _, builtin = ACTIVATIONS[name]
    np.testing.assert_allclose(fn(x).asnumpy(), builtin(x).asnumpy(), rtol=0, atol=2e-7)


@pytest.mark.parametrize('name', NAMES)
def test_hand_derivative_equals_autograd_of_scratch_and_builtin(name, x):
    fn, grad, builtin = ACTIVATIONS[name]
    hand = grad(x).asnumpy()
    np.testing.assert_allclose(hand, autograd_grad(fn, x).asnumpy(), rtol=0, atol=5e-7)
    np.testing.assert_allclose(hand, autograd_grad(builtin, x).asnumpy(), rtol=0, atol=5e-7)


@pytest.mark.parametrize('name', NAMES)
def test_hand_derivative_equals_float64_central_differences(name, x):
    fn, grad, _ = ACTIVATIONS[name]
    x64 = x.astype('float64')
    h = 1e-6
    numeric = ((fn(x64 + h) - fn(x64 - h)) / (2 * h)).asnumpy()
    hand = grad(x64).asnumpy()
    away_from_kink = np.abs(x64.asnumpy()) > 2 * h   # ReLU is not differentiable at 0
    np.testing.assert_allclose(hand[away_from_kink], numeric[away_from_kink], rtol=0, atol=1e-7)


def test_closed_forms_at_zero():
    zero = nd.zeros(1)
    assert relu_grad(zero).asscalar() == 0.0                       # the book's convention at 0
    assert ACTIVATIONS['sigmoid'][1](zero).asscalar() == pytest.approx(0.25)
    assert ACTIVATIONS['tanh'][1](zero).asscalar() == pytest.approx(1.0)
    assert sigmoid(zero).asscalar() == 0.5 and tanh(zero).asscalar() == 0.0


def test_books_maximum_relu_has_gradient_one_at_zero_ours_zero():
    """Why relu is not nd.maximum(X, 0): autograd of that form gives 1 at the tie X == 0."""
    zero = nd.zeros(1)
    assert autograd_grad(lambda X: nd.maximum(X, 0), zero).asscalar() == 1.0
    assert autograd_grad(relu, zero).asscalar() == 0.0
    assert autograd_grad(nd.relu, zero).asscalar() == 0.0


def test_large_inputs_give_finite_values_and_gradients():
    x = nd.array([-1000.0, -100.0, -89.0, 89.0, 100.0, 1000.0])
    for name in NAMES:
        fn, grad, builtin = ACTIVATIONS[name]
        value, slope = fn(x).asnumpy(), autograd_grad(fn, x).asnumpy()
        assert np.isfinite(value).all() and np.isfinite(slope).all(), name
        np.testing.assert_allclose(value, builtin(x).asnumpy(), rtol=1e-6, atol=1e-30)
        np.testing.assert_allclose(slope, grad(x).asnumpy(), atol=1e-30)
    np.testing.assert_array_equal(tanh(x).asnumpy(), [-1, -1, -1, 1, 1, 1])


def test_autograd_grad_leaves_its_input_alone():
    x = nd.array([-1.0, 2.0])
    autograd_grad(sigmoid, x)
    assert x.grad is None


def test_get_activation_names_the_choices():
    assert get_activation('tanh') is tanh
    with pytest.raises(ValueError,
                       match="activation must be one of relu, sigmoid, tanh, got 'elu'"):
        get_activation('elu')


def test_section_reports_tiny_differences_and_saves_the_figure(tmp_path):
    result = ch3.run_section('3.8', out=str(tmp_path), verbose=False)
    assert json.loads(json.dumps(result)) == result
    final = result['final']
    assert set(final) == {'%s_%s' % (name, kind) for name in NAMES
                          for kind in ('vs_builtin', 'grad_vs_autograd',
                                       'grad_vs_builtin_autograd')}
    assert max(final.values()) < 1e-6
    assert final['relu_vs_builtin'] == 0 and final['relu_grad_vs_builtin_autograd'] == 0
    assert result['figures'] == [str(tmp_path / 'activations.png')]
    assert (tmp_path / 'activations.png').stat().st_size > 10000
    assert ch3.run_section('3.8', verbose=False)['figures'] == []


def test_section_rejects_an_empty_grid():
    with pytest.raises(ValueError, match='low < high'):
        ch3.run_section('3.8', low=1.0, high=-1.0)


def test_relu_records_no_gradient_through_the_mask():
    x = nd.array([-2.0, 0.5, 3.0])
    x.attach_grad()
    with autograd.record():
        y = (relu(x) ** 2).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [0.0, 1.0, 6.0])
