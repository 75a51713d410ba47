"""3.15 (ch3.book.initialization, run by ch3.harness.runs.initialization): the book's vanishing and
exploding example, Xavier against MXNet's default, the `init` argument on the chapter's own models
(biases stay 0), the symmetry experiments, the English edition's extras and the section run."""
import math
import os

import mxnet as mx
import numpy as np
import pytest
from mxnet import gluon, init, nd

import ch3
from ch3.book import initialization as book
from ch3.book import deep_mlp as mlp, softmax
from ch3.harness.runs.data import fashion_mnist_iters
from ch3.harness.runs import initialization as ini


@pytest.fixture(scope='module')
def small_data():
    return fashion_mnist_iters(256, [None], subset=2000)


# --- the book's example -------------------------------------------------------------------------

def test_the_books_30_layers_vanish_and_explode():
    vanishing = book.layer_outputs(0.2).asnumpy()
    exploding = book.layer_outputs(5).asnumpy()
    assert vanishing.shape == exploding.shape == (30,)
    assert vanishing[-1] == pytest.approx(0.2 ** 30, rel=1e-5)     # ~1.07e-21, "~1e-21"
    assert exploding[-1] == pytest.approx(5.0 ** 30, rel=1e-5)     # ~9.31e20, "~9e20"
    assert round(math.log10(vanishing[-1])) == -21 and 9e20 < exploding[-1] < 1e21
    np.testing.assert_allclose(exploding[:3], [5, 25, 125])
    assert book.layer_outputs(0.5, 4, X=3.0).asnumpy().tolist() == [1.5, 0.75, 0.375, 0.1875]


def test_the_example_is_in_the_result_beside_the_book():
    _, final = ini.vanishing_and_exploding()
    assert final['vanishing_layer_30'] == pytest.approx(1.0737e-21, rel=1e-4)
    assert final['exploding_layer_30'] == pytest.approx(9.3132e20, rel=1e-4)
    assert len(final['layer_outputs']['0.2']) == len(final['layer_outputs']['5']) == 30
    spec = ch3.harness.registry.get_section('3.15')
    assert spec.book['vanishing_layer_30'] == 1e-21 and spec.book['exploding_layer_30'] == 9e20
    assert 'ea74109' in spec.book['source']


# --- initializers -------------------------------------------------------------------------------

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
    ours = book.xavier_uniform(shape)
    bound = math.sqrt(6 / sum(shape))
    assert ours.shape == shape
    assert np.abs(ours.asnumpy()).max() <= bound and theirs <= bound
    assert book.xavier_bound(shape[1], shape[0]) == pytest.approx(bound)


def test_default_initialize_is_uniform_007_with_zero_bias():
    s = ini.compare_initializers(784, 256)['mxnet_default']
    assert 0.0699 < s['max_abs'] <= 0.07
    assert s['variance'] == pytest.approx(0.07 ** 2 / 3, rel=0.02)
    assert s['bias_max_abs'] == 0


# --- the `init` argument: weights only, biases stay 0 -------------------------------------------

def test_initialize_draws_the_weights_and_leaves_the_biases_at_zero():
    params = book.initialize(mlp.init_params(num_hiddens=8), init.Constant(0.25))
    W1, b1, W2, b2 = [p.asnumpy() for p in params]
    assert (W1 == 0.25).all() and (W2 == 0.25).all()
    assert not b1.any() and not b2.any()
    W, b = book.initialize(softmax.init_params(), init.Xavier())
    assert 0 < np.abs(W.asnumpy()).max() <= math.sqrt(6 / 794) and not b.asnumpy().any()
    before = mlp.init_params(num_hiddens=4)
    kept = [p.copy() for p in before]
    book.initialize(before, None)      # None keeps the model's own draw
    for mine, old in zip(before, kept):
        np.testing.assert_array_equal(mine.asnumpy(), old.asnumpy())


@pytest.mark.parametrize('make', [lambda: mlp.gluon_net(8), softmax.gluon_net])
def test_gluon_constant_init_leaves_the_bias_at_zero(make):
    """Dense's bias has its own zeros initializer: net.initialize(init.Constant(c)) fills only the
    weights (the old comment "Constant fills the bias too" was wrong)."""
    net = book.reinitialize(make(), init.Constant(0.25))
    net(nd.ones((2, 784)))
    for dense in mlp.dense_layers(net):
        assert (dense.weight.data().asnumpy() == 0.25).all()
        assert not dense.bias.data().asnumpy().any()


def test_linear_regression_with_equal_weights_starts_from_b_zero():
    features, labels = nd.ones((10, 2)), nd.ones(10)
    w, b = book.train_linreg(features, labels, init.Constant(0.5), num_epochs=0)
    assert w.asnumpy().ravel().tolist() == [0.5, 0.5] and b.asnumpy().tolist() == [0.0]
    net = book.train_linreg_gluon(features, labels, init.Constant(0.5), num_epochs=0)
    net(features)
    assert net[0].weight.data().asnumpy().ravel().tolist() == [0.5, 0.5]
    assert net[0].bias.data().asnumpy().tolist() == [0.0]


# --- symmetry -----------------------------------------------------------------------------------

def test_count_distinct_groups_rows_within_tolerance():
    rows = np.array([[1.0, 2.0], [1.0, 2.0 + 1e-6], [1.0, 2.5], [0.0, 0.0]])
    assert book.count_distinct(rows) == 3
    assert book.count_distinct(rows, tol=0.3) == 2


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
    params, _ = book.train_mlp_scratch(small_data[0], small_data[1], init.Constant(0.001), 16,
                                       'float64', num_epochs=1, verbose=False)
    assert params[0].dtype == np.float64
    X, _ = next(iter(small_data[1]))
    H = book.mlp_hidden(params, X).asnumpy()
    assert (H > 0).any()
    np.testing.assert_array_equal(H, np.repeat(H[:, :1], 16, axis=1))
    assert np.abs(params[0].asnumpy() - 0.001).max() > 1e-4      # the weights did change
    assert not params[1].asnumpy().any() or np.ptp(params[1].asnumpy()) == 0   # biases move alike


def test_the_float64_net_is_3_9s_net(small_data):
    params = book.mlp_params(None, 8, 'float64')
    X, _ = next(iter(small_data[1]))
    logits = book.mlp_net(params)(X)
    assert logits.dtype == np.float32
    as32 = [p.astype('float32') for p in params]
    np.testing.assert_allclose(logits.asnumpy(), mlp.net(X, as32).asnumpy(), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize('impl', ['scratch', 'gluon'])
def test_regression_models_learn_from_equal_weights(impl, small_data):
    history, distinct = ini.train_softmax_regression(impl, 0.001, small_data, 1, 256, 0.1,
                                                     [mx.cpu()], False)
    assert distinct == 10 and history[-1]['test_acc'] > 0.55
    linear = ini.train_linear_regression(impl, 0.001)
    np.testing.assert_allclose(linear['w'], ini.TRUE_W, atol=0.01)
    assert linear['b'] == pytest.approx(ini.TRUE_B, abs=0.01) and linear['loss'] < 1e-4
    assert linear['initial_b'] == 0.0


# --- extras from the English edition ------------------------------------------------------------

@pytest.mark.parametrize('x', [0.5, 1, 1.5, 2, 5, 12.5])
def test_digamma_is_the_derivative_of_log_gamma(x):
    h = 1e-5
    numeric = (math.lgamma(x + h) - math.lgamma(x - h)) / (2 * h)
    assert book._digamma(x) == pytest.approx(numeric, abs=1e-7)


def test_one_by_one_rate_is_the_mean_log_of_a_gaussian():
    # E log|g| for g ~ N(0, 1) is -(euler_gamma + log 2) / 2
    assert book.lyapunov_rate(1) == pytest.approx(-(0.5772156649 + math.log(2)) / 2)


@pytest.mark.parametrize('sigma', [1.0, 0.5])
def test_products_of_random_matrices_grow_at_the_predicted_rate(sigma):
    rates = []
    for seed in range(12):
        mx.random.seed(seed)
        rates.append(book.matrix_product_growth(100, 4, sigma)['measured_rate'])
    # one run's rate has a standard deviation of about 0.04
    assert np.mean(rates) == pytest.approx(book.lyapunov_rate(4, sigma), abs=0.035)


def test_the_english_editions_product_explodes():
    run = book.matrix_product_growth()          # 101 standard Gaussian 4 x 4 matrices
    assert len(run['log10_norms']) == 101
    assert 15 < run['log10_norms'][-1] < 35
    assert book.lyapunov_rate(4) == pytest.approx(0.558, abs=1e-3)


def test_sigmoid_gradient_is_s_times_one_minus_s():
    curve = book.sigmoid_gradient()
    x = np.array(curve['x'])
    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(curve['grad'], s * (1 - s), rtol=1e-5, atol=1e-7)
    assert curve['max_grad'] == pytest.approx(0.25) and abs(curve['argmax_x']) < 1e-6
    assert curve['grad_at_edges'][0] == pytest.approx(3.35e-4, rel=0.01)


# --- the section --------------------------------------------------------------------------------

def test_quick_section_run_reports_and_plots(tmp_path, capsys):
    result = ch3.run_section('3.15', impl='gluon', quick=True, out=str(tmp_path), verbose=True)
    printed = capsys.readouterr().out
    assert 'every weight 0.2: the output of layer 30 is X * 1.07e-21 (vanishing)' in printed
    assert 'every weight 5: the output of layer 30 is X * 9.31e+20 (exploding)' in printed
    assert 'from the English edition: product of 101' in printed
    final = result['final']
    assert final['vanishing_layer_30'] == pytest.approx(0.2 ** 30, rel=1e-5)
    assert final['exploding_layer_30'] == pytest.approx(5.0 ** 30, rel=1e-5)
    extras = final['english_edition_extras']
    assert 'English edition' in extras['note']
    assert extras['matrix_products'][0]['theory_rate'] == pytest.approx(0.558, abs=1e-3)
    assert final['symmetry']['constant_float64']['distinct_units'] == 1
    assert final['symmetry']['constant_float64']['relative_spread'] == 0
    assert final['symmetry']['random']['distinct_units'] == 256
    assert final['equal_weights_regression']['softmax_equal']['distinct_class_weights'] == 10
    assert sorted(os.path.basename(f) for f in result['figures']) == \
        ['init_layer_outputs.png', 'init_matrix_product.png', 'init_sigmoid_gradient.png',
         'init_weight_histograms.png']
    assert {h['experiment'] for h in result['history']} == \
        {'mlp_constant', 'mlp_constant_float64', 'mlp_random', 'softmax_equal', 'softmax_random'}
    assert result['hyperparameters']['subset'] == 3000
    agreement = final['scratch_vs_gluon_same_init_max_abs_diff']
    assert set(agreement) == {'mlp', 'softmax', 'linear'}
    assert all(0 <= v < 1e-5 for v in agreement.values())   # one init, one model, two versions


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match='constant must be a finite number'):
        ch3.run_section('3.15', constant='a', quick=True)
    with pytest.raises(ValueError, match='one device'):
        ch3.run_section('3.15', ctx='cpu:0,cpu:1', quick=True)
    with pytest.raises(ValueError, match='2-D'):
        book.xavier_uniform((3, 3, 3))
    with pytest.raises(ValueError, match='fan_in'):
        book.xavier_bound(0, 3)
    with pytest.raises(ValueError, match='num_layers'):
        book.layer_outputs(0.2, 0)


def test_a_huge_learning_rate_stops_every_model_of_the_section():
    from test_mlp import real_batches
    features = nd.random.normal(shape=(100, 2))
    labels = nd.dot(features, nd.array([2, -3.4])) + 4.2
    for train in (book.train_linreg, book.train_linreg_gluon):
        with pytest.raises(ch3.TrainingDiverged, match='epoch 1'):
            train(features, labels, lr=1e9)
    data = real_batches(512, 256), real_batches(256, 256, train=False)
    for train in (book.train_softmax_scratch, book.train_softmax_gluon, book.train_mlp_scratch,
                  book.train_mlp_gluon):
        with pytest.raises(ch3.TrainingDiverged, match='epoch 1'):
            train(*data, lr=1e9, num_epochs=2, verbose=False)
