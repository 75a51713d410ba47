"""Sections 3.4, 3.6, 3.7 against closed forms, float64 numpy, Gluon losses and d2lzh.train_ch3."""
import contextlib
import io
import json
import math
import re

import d2lzh
import numpy as np
import pytest
from mxnet import autograd, gluon, nd
from mxnet.gluon import loss as gloss

import ch3
from ch3.data.fashion_mnist import FashionMNISTIter, load_fashion_mnist_arrays
from ch3.book import softmax as sm
from ch3.checks import check_labels
from ch3.harness.settings import QUICK


def _logits(n=256, q=10, scale=2.0, seed=0, dtype='float32'):
    rng = np.random.RandomState(seed)
    x = rng.normal(scale=scale, size=(n, q))
    y = rng.randint(0, q, size=n)
    return nd.array(x, dtype=dtype), nd.array(y, dtype='int32'), x, y


def _exact_log_softmax(x):
    x = np.asarray(x, dtype=np.float64)
    shifted = x - x.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _exact_cross_entropy(x, y):
    return -_exact_log_softmax(x)[np.arange(len(y)), y]


# --- 3.4 softmax and cross-entropy ------------------------------------------------------------

def test_softmax_is_exp_over_row_sum_and_rows_sum_to_one():
    X, _, x, _ = _logits(n=7, q=5, scale=1.0)
    expected = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    for fn in (sm.softmax, sm.stable_softmax):
        probs = fn(X).asnumpy()
        np.testing.assert_allclose(probs, expected, rtol=1e-5)
        np.testing.assert_allclose(probs.sum(axis=1), np.ones(7), rtol=1e-6)
    np.testing.assert_allclose(sm.log_softmax(X).asnumpy(), _exact_log_softmax(x), atol=1e-6)


def test_cross_entropy_is_minus_log_of_the_true_class_probability():
    y_hat = nd.array([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])   # the book's example
    y = nd.array([0, 2], dtype='int32')
    np.testing.assert_allclose(sm.pick(y_hat, y).asnumpy(), [0.1, 0.5])
    np.testing.assert_allclose(sm.cross_entropy(y_hat, y).asnumpy(),
                               [-math.log(0.1), -math.log(0.5)], rtol=1e-6)


def test_stable_and_naive_forms_agree_with_gluon_loss_in_float64():
    X, Y, x, y = _logits(dtype='float64')
    reference = gloss.SoftmaxCrossEntropyLoss()(X, Y).asnumpy()
    np.testing.assert_allclose(sm.stable_cross_entropy(X, Y).asnumpy(), reference, atol=1e-6,
                               rtol=1e-6)
    np.testing.assert_allclose(sm.cross_entropy(sm.softmax(X), Y).asnumpy(), reference,
                               atol=1e-6, rtol=1e-6)
    np.testing.assert_allclose(reference, _exact_cross_entropy(x, y), atol=1e-12)


def test_float32_stable_form_is_within_1e6_of_exact_and_gluon_within_1e5():
    """In float32 our forms are within 1e-6 of float64 numpy; MXNet's own float32 log_softmax
    kernel is ~3.5e-6 off (a systematic bias), so the comparison with Gluon gets 1e-5."""
    X, Y, x, y = _logits()
    exact = _exact_cross_entropy(X.asnumpy(), y)
    stable = sm.stable_cross_entropy(X, Y).asnumpy()
    naive = sm.cross_entropy(sm.softmax(X), Y).asnumpy()
    reference = gloss.SoftmaxCrossEntropyLoss()(X, Y).asnumpy()
    np.testing.assert_allclose(stable, exact, atol=1e-6)
    np.testing.assert_allclose(naive, exact, atol=1e-6)
    np.testing.assert_allclose(stable, reference, atol=1e-5)


def test_gradient_of_stable_cross_entropy_is_softmax_minus_onehot():
    X, Y, x, y = _logits(n=16, q=5, scale=3.0)
    X.attach_grad()
    with autograd.record():
        loss = sm.stable_cross_entropy(X, Y)
    loss.backward()
    expected = np.exp(_exact_log_softmax(X.asnumpy())) - np.eye(5)[y]
    np.testing.assert_allclose(X.grad.asnumpy(), expected, atol=1e-6)


def test_naive_softmax_overflows_and_stable_softmax_does_not():
    assert nd.exp(nd.array([50.0])).asscalar() == pytest.approx(math.exp(50), rel=1e-6)
    assert math.isinf(nd.exp(nd.array([89.0])).asscalar())       # float32 max is ~exp(88.72)
    big = nd.array([[0.0, 50.0, 100.0]])
    naive = sm.softmax(big).asnumpy()
    assert np.isnan(naive[0, 2])                                 # inf / inf
    stable = sm.stable_softmax(big).asnumpy()
    # exp(-100) is a float32 denormal (few significant bits), hence the absolute tolerance
    np.testing.assert_allclose(stable, np.exp(_exact_log_softmax([[0, 50, 100]])), rtol=1e-5,
                               atol=1e-40)


def test_naive_cross_entropy_of_an_underflowed_probability_is_inf():
    logits, label = nd.array([[-120.0, 0.0]]), nd.array([0], dtype='int32')
    assert sm.softmax(logits).asnumpy()[0, 0] == 0.0             # exp(-120) underflows float32
    assert math.isinf(sm.cross_entropy(sm.softmax(logits), label).asscalar())
    assert sm.stable_cross_entropy(logits, label).asscalar() == pytest.approx(120.0, rel=1e-6)


@pytest.mark.parametrize('scale', [1e3, 1e4, 1e30])
def test_stable_forms_stay_finite_and_exact_on_extreme_logits(scale):
    X, Y, x, y = _logits(n=32, scale=scale, seed=3)
    probs = sm.stable_softmax(X).asnumpy()
    loss = sm.stable_cross_entropy(X, Y).asnumpy()
    assert np.isfinite(probs).all() and np.isfinite(loss).all()
    np.testing.assert_allclose(probs.sum(axis=1), np.ones(32), rtol=1e-6)
    np.testing.assert_allclose(loss, _exact_cross_entropy(X.asnumpy(), y), rtol=1e-6)
    naive = sm.cross_entropy(sm.softmax(X), Y).asnumpy()
    assert not np.isfinite(naive).all()                          # the book's forms break here


def test_numerical_stability_demo_numbers():
    result = ch3.run_section('3.4', verbose=False)
    final = result['final']
    assert json.loads(json.dumps(result, allow_nan=False)) == result   # inf/nan as strings
    assert final['exp_89'] == 'inf' and final['naive_softmax_overflow'][2] == 'nan'
    assert final['naive_cross_entropy_underflow'] == ['inf']
    assert final['stable_cross_entropy_underflow'] == [120.0]
    assert final['exp_50'] == pytest.approx(math.exp(50), rel=1e-6)
    assert final['float32_exp_limit'] == pytest.approx(math.log(np.finfo(np.float32).max))
    assert final['stable_vs_exact_max_abs_diff'] < 1e-6
    assert final['gluon_vs_exact_max_abs_diff'] < 1e-5


# --- 3.4 entropy, cross-entropy and KL divergence ---------------------------------------------

def _distributions(seed=0, zeros=False):
    rng = np.random.RandomState(seed)
    p, q = rng.dirichlet(np.ones(6), size=4), rng.dirichlet(np.ones(6), size=4)
    if zeros:
        p[:, :2] = 0
        p /= p.sum(axis=1, keepdims=True)
    return p, q


@pytest.mark.parametrize('zeros', [False, True])
def test_cross_entropy_is_entropy_plus_kl(zeros):
    p, q = _distributions(zeros=zeros)
    h_pq = sm.distribution_cross_entropy(p, q).asnumpy()
    np.testing.assert_allclose(h_pq, sm.entropy(p).asnumpy() + sm.kl_divergence(p, q).asnumpy(),
                               rtol=1e-12)
    with np.errstate(divide='ignore', invalid='ignore'):
        expected = -np.where(p > 0, p * np.log(q), 0).sum(axis=1)
    np.testing.assert_allclose(h_pq, expected, rtol=1e-12)


def test_kl_divergence_matches_gluon_and_its_closed_form_properties():
    p, q = _distributions(seed=1)
    reference = gloss.KLDivLoss(from_logits=True)(nd.array(np.log(q), dtype='float64'),
                                                  nd.array(p, dtype='float64')).asnumpy()
    np.testing.assert_allclose(sm.kl_divergence(p, q).asnumpy(), reference, rtol=1e-9)
    assert (sm.kl_divergence(p, q).asnumpy() > 0).all()
    np.testing.assert_allclose(sm.kl_divergence(p, p).asnumpy(), 0, atol=1e-12)
    np.testing.assert_allclose(sm.entropy(np.full((1, 8), 1 / 8)).asnumpy(), [math.log(8)])
    assert math.isinf(sm.kl_divergence([1.0, 0.0], [0.0, 1.0]).asscalar())


def test_one_hot_distribution_cross_entropy_equals_the_book_loss():
    _, _, x, y = _logits(n=5, q=4, scale=1.0, dtype='float64')
    q = np.exp(_exact_log_softmax(x))
    np.testing.assert_allclose(sm.distribution_cross_entropy(np.eye(4)[y], q).asnumpy(),
                               sm.cross_entropy(nd.array(q, dtype='float64'),
                                                nd.array(y, dtype='int32')).asnumpy(),
                               rtol=1e-12)


# --- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize('fn', [sm.softmax, sm.stable_softmax, sm.log_softmax])
@pytest.mark.parametrize('X, message', [
    (nd.array([1.0, 2.0, 3.0]), r'2-D batch of shape \(n, classes\), got shape \(3,\); for one '
                                r'example use X.reshape\(\(1, -1\)\)'),
    (nd.array(np.zeros((0, 10))), r'empty array of shape \(0, 10\)'),
    (nd.array(np.zeros((3, 0))), r'empty array of shape \(3, 0\)'),
    (np.zeros((2, 3)), 'expects an NDArray'),
])
def test_softmax_rejects_1d_empty_and_non_ndarray_input(fn, X, message):
    with pytest.raises(ValueError, match=message):
        fn(X)


@pytest.mark.parametrize('labels, bad', [([0, 10], '10'), ([-1, 2], '-1'), ([0.0, 12.0], '12')])
def test_out_of_range_labels_are_clear_errors(labels, bad):
    with pytest.raises(ValueError, match=r'class indices 0\.\.9, got %s' % bad):
        check_labels(nd.array(labels), 10)


def test_label_count_and_shape_mismatches_are_clear_errors():
    y_hat = sm.softmax(nd.ones((3, 4)))
    with pytest.raises(ValueError, match='3 rows of predictions but 2 labels'):
        sm.pick(y_hat, nd.array([0, 1]))
    with pytest.raises(ValueError, match=r'1-D NDArray \(n,\), got \(3, 1\)'):
        sm.cross_entropy(y_hat, nd.zeros((3, 1)))


def test_invalid_distributions_are_clear_errors():
    with pytest.raises(ValueError, match='must sum to 1'):
        sm.entropy([0.5, 0.6])
    with pytest.raises(ValueError, match='probabilities >= 0'):
        sm.kl_divergence([1.5, -0.5], [0.5, 0.5])
    with pytest.raises(ValueError, match='same shape'):
        sm.distribution_cross_entropy([0.5, 0.5], [0.2, 0.3, 0.5])


# --- 3.6 / 3.7 models --------------------------------------------------------------------------

def test_init_params_follow_the_book():
    W, b = sm.init_params()
    assert W.shape == (784, 10) and b.shape == (10,)
    assert abs(W.asnumpy().std() - 0.01) < 0.001 and abs(W.asnumpy().mean()) < 0.001
    assert (b.asnumpy() == 0).all() and W.grad is not None


def test_scratch_and_gluon_nets_compute_the_same_probabilities():
    X = nd.random.uniform(shape=(5, 1, 28, 28))
    W, b = sm.init_params()
    net = sm.gluon_net()
    net(X)                                       # deferred initialisation
    dense = net[0]
    dense.weight.set_data(W.T)
    dense.bias.set_data(nd.random.normal(shape=(10,)))
    logits = net(X)
    np.testing.assert_allclose(sm.net(X, W, dense.bias.data()).asnumpy(),
                               sm.stable_softmax(logits).asnumpy(), rtol=1e-5)


def _real_subset(n, batch_size):
    loaders = []
    for train in (True, False):
        images, labels = load_fashion_mnist_arrays(train=train)
        loaders.append(FashionMNISTIter(images[:n], labels[:n], batch_size, shuffle=False))
    return loaders


def _book_lines(text):
    return re.findall(r'epoch \d+, loss [\d.]+, train acc [\d.]+, test acc [\d.]+', text)


def test_scratch_training_matches_d2lzh_train_ch3_on_real_data():
    train_iter, test_iter = _real_subset(1024, 256)      # full batches: the same SGD steps
    ch3.set_seed(0)
    theirs = sm.init_params()                            # the same draw train_scratch makes

    def book_net(X):                                     # the book's 3.6 code, verbatim
        X_exp = (nd.dot(X.reshape((-1, 784)), theirs[0]) + theirs[1]).exp()
        return X_exp / X_exp.sum(axis=1, keepdims=True)

    def book_loss(y_hat, y):
        return -nd.pick(y_hat, y).log()

    out, ref = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out):
        ch3.set_seed(0)
        ours, history = sm.train_scratch(train_iter, test_iter, num_epochs=2)
    with contextlib.redirect_stdout(ref):
        d2lzh.train_ch3(book_net, train_iter, test_iter, book_loss, 2, 256, theirs, 0.1)
    np.testing.assert_allclose(ours[0].asnumpy(), theirs[0].asnumpy(), atol=1e-6)
    np.testing.assert_allclose(ours[1].asnumpy(), theirs[1].asnumpy(), atol=1e-6)
    assert _book_lines(out.getvalue()) == _book_lines(ref.getvalue()) != []
    assert history[-1]['test_acc'] > 0.5             # 8 steps; chance is 0.1


def test_gluon_training_matches_d2lzh_train_ch3_on_real_data():
    train_iter, test_iter = _real_subset(1024, 256)
    ours, theirs = sm.gluon_net(), sm.gluon_net()
    X0 = next(iter(test_iter))[0]
    ours(X0), theirs(X0)
    for p_ours, p_theirs in zip(ours.collect_params().values(), theirs.collect_params().values()):
        p_theirs.set_data(p_ours.data().copy())
    out, ref = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out):
        sm.train_gluon(ours, train_iter, test_iter, num_epochs=2)
    trainer = gluon.Trainer(theirs.collect_params(), 'sgd', {'learning_rate': 0.1})
    with contextlib.redirect_stdout(ref):
        d2lzh.train_ch3(theirs, train_iter, test_iter, gloss.SoftmaxCrossEntropyLoss(), 2, 256,
                        None, None, trainer)
    np.testing.assert_allclose(ours[0].weight.data().asnumpy(), theirs[0].weight.data().asnumpy(),
                               atol=1e-6)
    assert _book_lines(out.getvalue()) == _book_lines(ref.getvalue()) != []


def test_training_with_labels_beyond_the_outputs_fails_on_the_first_batch():
    images, labels = load_fashion_mnist_arrays(train=False)
    bad = FashionMNISTIter(images[:64], labels[:64] + 1, 32)       # labels 1..10
    with pytest.raises(ValueError, match=r'class indices 0\.\.9, got 10'):
        sm.train_scratch(bad, bad, num_epochs=1, verbose=False)


@pytest.mark.parametrize('impl', ['scratch', 'gluon'])
def test_one_epoch_on_the_full_data_reaches_a_real_accuracy(impl, tmp_path):
    """End to end on real Fashion-MNIST: after one epoch the book's settings give ~0.78."""
    result = ch3.run_section('3.6', impl=impl, seed=0, num_epochs=1, out=str(tmp_path),
                             verbose=False)
    final = result['final']
    assert final['test_acc'] > 0.74 and final['train_acc'] > 0.70
    assert final['loss'] < 0.9                       # chance level is log 10 = 2.30
    assert result['hyperparameters'] == {'num_epochs': 1, 'batch_size': 256, 'lr': 0.1,
                                         'subset': None}
    name = 'softmax_%s_predictions.png' % impl
    assert result['figures'] == [str(tmp_path / name)]
    assert (tmp_path / name).stat().st_size > 5000
    assert len(final['predictions']) == 9
    images, labels = load_fashion_mnist_arrays(train=False)
    assert [t for t, _ in final['predictions']] == d2lzh.get_fashion_mnist_labels(labels[:9])
    if impl == 'scratch':   # why the book's naive loss is safe here: no probability near 0
        assert 1e-10 < final['min_true_class_probability'] < 0.5


def test_quick_runs_are_short_and_repeat_exactly():
    a = ch3.run_section('3.7', quick=True, seed=3, verbose=False)
    b = ch3.run_section('3.7', quick=True, seed=3, verbose=False)
    assert a['hyperparameters']['subset'] == QUICK['3.7']['subset']
    assert len(a['history']) == QUICK['3.7']['num_epochs']
    assert a['final'] == {**b['final'], 'seconds_per_epoch': a['final']['seconds_per_epoch']}
    assert a['final']['test_acc'] > 0.5


def test_gluon_trains_on_two_contexts_and_scratch_refuses_them():
    result = ch3.run_section('3.7', ctx='cpu:0,cpu:1', quick=True, verbose=False)
    assert result['ctx'] == ['cpu(0)', 'cpu(1)'] and result['final']['test_acc'] > 0.5
    with pytest.raises(ValueError, match='keeps its parameters on one device'):
        ch3.run_section('3.6', impl='scratch', ctx='cpu:0,cpu:1', quick=True, verbose=False)
    with pytest.raises(ValueError, match='gpu:3'):
        ch3.run_section('3.6', ctx='gpu:3', quick=True)


def test_sections_are_registered_with_their_defaults():
    sections = {s['section']: s for s in ch3.list_sections()}
    assert sections['3.4']['impls'] == ['gluon', 'scratch']
    assert sections['3.6']['impls'] == sections['3.7']['impls'] == ['gluon', 'scratch']
    assert sections['3.6']['default_impl'] == 'scratch'
    assert sections['3.7']['default_impl'] == 'gluon'
    with pytest.raises(ValueError, match='has no hyperparameter momentum'):
        ch3.run_section('3.7', momentum=0.9)
    with pytest.raises(ValueError, match='lr must be a finite number > 0'):
        ch3.run_section('3.7', lr=-1.0, quick=True)


def test_a_huge_learning_rate_stops_both_versions():
    """3.6 and 3.7 at lr 1e9 on real images: TrainingDiverged (the Gluon loss stays finite, in
    the billions, so the rule is its growth against the first batch's loss)."""
    from test_mlp import real_batches
    train, test = real_batches(512, 256), real_batches(256, 256, train=False)
    with pytest.raises(ch3.TrainingDiverged, match='epoch 1'):
        sm.train_scratch(train, test, 2, 256, 1e9, verbose=False)
    with pytest.raises(ch3.TrainingDiverged, match='epoch 1'):
        sm.train_gluon(sm.gluon_net(), train, test, 2, 256, 1e9, verbose=False)
