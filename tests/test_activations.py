"""3.8 (ch3.book.activations): the from-scratch activations and hand-written derivatives against
MXNet's built-ins, autograd and float64 finite differences, on the book's grid
nd.arange(-8.0, 8.0, 0.1); the exercise's leaky ReLU, ELU and softplus the same way."""
import json

import numpy as np
import pytest
from mxnet import autograd, nd

import ch3
from ch3.book.activations import (ACTIVATIONS, OTHER_ACTIVATIONS, activation_pair, autograd_grad,
                                  get_activation, grid, relu, relu_grad, sigmoid, tanh)

NAMES = sorted(ACTIVATIONS)
ALL = {**ACTIVATIONS, **OTHER_ACTIVATIONS}
ALL_NAMES = sorted(ALL)


@pytest.fixture(scope='module')
def x():
    return grid()


def test_the_grid_is_the_books_and_holds_zero(x):
    values = x.asnumpy()
    assert values.shape == (160,)
    assert values[0] == -8.0 and values[-1] == pytest.approx(7.9, abs=1e-5)
    assert (values == 0).sum() == 1   # so the ReLU kink is on the grid


@pytest.mark.parametrize('name', ALL_NAMES)
def test_function_equals_the_builtin(name, x):
    fn, _, builtin = ALL[name]
    np.testing.assert_allclose(fn(x).asnumpy(), builtin(x).asnumpy(), rtol=0, atol=5e-7)


@pytest.mark.parametrize('name', ALL_NAMES)
def test_hand_derivative_equals_autograd_of_scratch_and_builtin(name, x):
    fn, grad, builtin = ALL[name]
    hand = grad(x).asnumpy()
    np.testing.assert_allclose(hand, autograd_grad(fn, x).asnumpy(), rtol=0, atol=5e-7)
    np.testing.assert_allclose(hand, autograd_grad(builtin, x).asnumpy(), rtol=0, atol=5e-7)


@pytest.mark.parametrize('name', ALL_NAMES)
def test_hand_derivative_equals_float64_central_differences(name, x):
    fn, grad, _ = ALL[name]
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
    for name in ALL_NAMES:
        fn, grad, builtin = ALL[name]
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
        get_activation('elu')            # 3.9 and 3.13 offer the book's three only
    assert activation_pair('elu') == OTHER_ACTIVATIONS['elu'][:2]
    assert activation_pair('relu') == (relu, relu_grad)
    with pytest.raises(ValueError, match="one of elu, leaky_relu, relu, sigmoid, softplus, "
                                         "tanh, got 'swish'"):
        activation_pair('swish')


def test_exercise_activations_at_zero_and_their_slopes():
    zero, x = nd.zeros(1), nd.array([-2.0, 3.0])
    leaky, elu, softplus = (OTHER_ACTIVATIONS[n] for n in ('leaky_relu', 'elu', 'softplus'))
    np.testing.assert_allclose(leaky[0](x).asnumpy(), [-0.02, 3.0], rtol=1e-6)
    np.testing.assert_allclose(elu[0](x).asnumpy(), [np.exp(-2.0) - 1, 3.0], rtol=1e-6)
    assert softplus[0](zero).asscalar() == pytest.approx(np.log(2))
    assert softplus[1](zero).asscalar() == pytest.approx(0.5)
    assert autograd_grad(softplus[0], zero).asscalar() == pytest.approx(0.5)


@pytest.mark.parametrize('impl', ['scratch', 'gluon'])
def test_section_reports_tiny_differences_and_saves_the_figures(tmp_path, impl):
    result = ch3.run_section('3.8', impl=impl, out=str(tmp_path), verbose=False)
    assert json.loads(json.dumps(result)) == result
    final = result['final']
    for name in ALL_NAMES:
        assert final[name + '_value_max_abs_diff'] < 1e-6
        assert final[name + '_grad_max_abs_diff'] < 1e-6
    # the derivatives at 0 that the book's text states, beside which the report puts ours
    assert final['sigmoid_grad_at_0'] == 0.25 and final['tanh_grad_at_0'] == 1.0
    assert len(final) == 2 * len(ALL_NAMES) + 4 + (len(ALL_NAMES) if impl == 'scratch' else 0)
    assert max(final['book_max_abs_diff'], final['exercise_max_abs_diff']) < 1e-6
    assert final['relu_value_max_abs_diff'] == 0 and final['relu_grad_max_abs_diff'] == 0
    files = ['activations_%s.png' % impl, 'activations_exercise_%s.png' % impl]
    assert result['figures'] == [str(tmp_path / f) for f in files]
    assert all((tmp_path / f).stat().st_size > 10000 for f in files)
    assert ch3.run_section('3.8', impl=impl, verbose=False)['figures'] == []


def test_the_two_versions_measure_the_same_differences():
    scratch = ch3.run_section('3.8', impl='scratch', verbose=False)['final']
    gluon = ch3.run_section('3.8', impl='gluon', verbose=False)['final']
    for key, value in gluon.items():
        if key.endswith('_diff') and not key.startswith(('book', 'exercise')):
            assert scratch[key] == value


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
