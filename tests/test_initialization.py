import math
import os

import mxnet as mx
import numpy as np
import pytest
from mxnet import gluon, init, nd

import ch3
from ch3.harness.runs.data import fashion_mnist_iters
from ch3.harness.runs import initialization as ini


@pytest.fixture(scope='module')
def small_data():
    return fashion_mnist_iters(256, [None], subset=2000)


@pytest.mark.parametrize('x', [0.5, 1, 1.5, 2, 5, 12.5])
def test_digamma_is_the_derivative_of_log_gamma(x):
    h = 1e-5
    numeric = (math.lgamma(x + h) - math.lgamma(x - h)) / (2 * h)
    assert ini._digamma(x) == pytest.approx(numeric, abs=1e-7)


def test_one_by_one_rate_is_the_mean_log_of_a_gaussian():
    # E log|g| for g ~ N(0, 1) is -(euler_gamma + log 2) / 2
    assert ini.lyapunov_rate(1) == pytest.approx(-(0.5772156649 + math.log(2)) / 2)


@pytest.mark.parametrize('sigma', [1.0, 0.5])
def test_products_of_random_matrices_grow_at_the_predicted_rate(sigma):
    rates = []
    for seed in range(12):
        mx.random.seed(seed)
        rates.append(ini.matrix_product_growth(100, 4, sigma)['measured_rate'])
    # one run's rate has a standard deviation of about 0.04
    assert np.mean(rates) == pytest.approx(ini.lyapunov_rate(4, sigma), abs=0.035)


def test_the_books_product_explodes():
    run = ini.matrix_product_growth()          # 101 standard Gaussian 4 x 4 matrices
    assert len(run['log10_norms']) == 101
    assert 15 < run['log10_norms'][-1] < 35
    assert ini.lyapunov_rate(4) == pytest.approx(0.558, abs=1e-3)


def test_sigmoid_gradient_is_s_times_one_minus_s():
    curve = ini.sigmoid_gradient()
    x = np.array(curve['x'])
    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(curve['grad'], s * (1 - s), rtol=1e-5, atol=1e-7)
    assert curve['max_grad'] == pytest.approx(0.25) and abs(curve['argmax_x']) < 1e-6
    assert curve['grad_at_edges'][0] == pytest.approx(3.35e-4, rel=0.01)


def _ks_statistic(a, b):
    values = np.sort(np.concatenate([a, b]))
    cdf_a = np.searchsorted(np.sort(a), values, side='right') / len(a)
    cdf_b = np.searchsorted(np.sort(b), values, side='right') / len(b)
    return np.abs(cdf_a - cdf_b).max()


def test_our_xavier_has_mxnets_bounds_and_variance():
    result = ini.compare_initializers(784, 256)
    bound, variance = math.sqrt(6 / 1040), 2 / 1040
    for name in ('ours', 'mxnet_xavier'):
        s = result[name]
        assert s['bound'] == pytest.approx(bound)
        assert bound * 0.999 < s['max_abs'] <= bound
        assert s['variance'] == pytest.approx(variance, rel=0.02)
        assert abs(s['mean']) < 1e-3
    samples = result['samples']
    assert samples['ours'].shape == samples['mxnet_xavier'].shape == (256, 784)
    # same distribution: two-sample Kolmogorov-Smirnov statistic (5% critical value ~0.0043)
    assert _ks_statistic(samples['ours'].asnumpy().ravel(),
                         samples['mxnet_xavier'].asnumpy().ravel()) < 0.0043


@pytest.mark.parametrize('shape', [(10, 3), (1, 330)])
def test_xavier_bound_uses_inputs_plus_outputs(shape):
    layer = gluon.nn.Dense(shape[0], in_units=shape[1])
    layer.initialize(init.Xavier())
    theirs = np.abs(layer.weight.data().asnumpy()).max()
    ours = ini.xavier_uniform(shape)
    bound = math.sqrt(6 / sum(shape))
    assert ours.shape == shape
    assert np.abs(ours.asnumpy()).max() <= bound and theirs <= bound
    assert ini.xavier_bound(shape[1], shape[0]) == pytest.approx(bound)


def test_default_initialize_is_uniform_007_with_zero_bias():
    s = ini.compare_initializers(784, 256)['mxnet_default']
    assert 0.0699 < s['max_abs'] <= 0.07
    assert s['variance'] == pytest.approx(0.07 ** 2 / 3, rel=0.02)
    assert s['bias_max_abs'] == 0


def test_count_distinct_groups_rows_within_tolerance():
    rows = np.array([[1.0, 2.0], [1.0, 2.0 + 1e-6], [1.0, 2.5], [0.0, 0.0]])
    assert ini.count_distinct(rows) == 3
    assert ini.count_distinct(rows, tol=0.3) == 2


def test_constant_init_keeps_every_hidden_unit_exactly_identical_in_float64(small_data):
    history, constant = ini.train_mlp('scratch', 0.001, small_data, 2, 256, 0.1, 32, [mx.cpu()],
                                      False, dtype='float64')
    assert constant['distinct_units'] == 1 and constant['relative_spread'] < 1e-12
    assert constant['active_fraction'] > 0.5             # alive units, not a dead network
    assert history[-1]['loss'] < history[0]['loss']      # and it does learn, as one unit


@pytest.mark.parametrize('impl', ['scratch', 'gluon'])
def test_constant_init_units_stay_equal_to_rounding_early_in_float32(impl, small_data):
    _, constant = ini.train_mlp(impl, 0.001, small_data, 2, 256, 0.1, 32, [mx.cpu()], False)
    _, random = ini.train_mlp(impl, None, small_data, 2, 256, 0.1, 32, [mx.cpu()], False)
    assert constant['distinct_units'] == 1 and constant['relative_spread'] < 1e-4
    assert random['distinct_units'] == 32 and random['relative_spread'] > 0.1


def test_constant_init_units_compute_the_same_activation(small_data):
    params = ini.mlp_params(16, 0.001, dtype='float64')
    ch3.train_ch3(ini.mlp_scratch(params), small_data[0], small_data[1],
                  gluon.loss.SoftmaxCrossEntropyLoss(), 1, 256, params, 0.1, verbose=False)
    X, _ = next(iter(small_data[1]))
    H = ini.mlp_hidden(params, X).asnumpy()
    assert (H > 0).any()
    np.testing.assert_array_equal(H, np.repeat(H[:, :1], 16, axis=1))
    assert np.abs(params[0].asnumpy() - 0.001).max() > 1e-4      # the weights did change


@pytest.mark.parametrize('impl', ['scratch', 'gluon'])
def test_regression_models_learn_from_equal_weights(impl, small_data):
    history, distinct = ini.train_softmax_regression(impl, 0.001, small_data, 1, 256, 0.1,
                                                     [mx.cpu()], False)
    assert distinct == 10 and history[-1]['test_acc'] > 0.55
    linear = ini.train_linear_regression(impl, 0.001)
    np.testing.assert_allclose(linear['w'], ini.TRUE_W, atol=0.01)
    assert linear['b'] == pytest.approx(ini.TRUE_B, abs=0.01) and linear['loss'] < 1e-4


def test_quick_section_run_reports_and_plots(tmp_path):
    result = ch3.run_section('3.15', impl='gluon', quick=True, out=str(tmp_path), verbose=False)
    final = result['final']
    assert final['symmetry']['constant_float64']['distinct_units'] == 1
    assert final['symmetry']['constant_float64']['relative_spread'] == 0
    assert final['symmetry']['random']['distinct_units'] == 256
    assert final['equal_weights_regression']['softmax_equal']['distinct_class_weights'] == 10
    assert final['matrix_products'][0]['theory_rate'] == pytest.approx(0.558, abs=1e-3)
    assert sorted(os.path.basename(f) for f in result['figures']) == \
        ['init_matrix_product.png', 'init_sigmoid_gradient.png', 'init_weight_histograms.png']
    assert {h['experiment'] for h in result['history']} == \
        {'mlp_constant', 'mlp_constant_float64', 'mlp_random', 'softmax_equal', 'softmax_random'}


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match='constant'):
        ch3.run_section('3.15', constant='a', quick=True)
    with pytest.raises(ValueError, match='one device'):
        ch3.run_section('3.15', ctx='cpu:0,cpu:1', quick=True)
    with pytest.raises(ValueError, match='2-D'):
        ini.xavier_uniform((3, 3, 3))
    with pytest.raises(ValueError, match='fan_in'):
        ini.xavier_bound(0, 3)
