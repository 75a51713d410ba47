"""Section 3.12 against the book's update formula (one Gluon step, a numpy replica of the scratch
SGD), closed forms (ridge, the interpolant nearest to the start) and the book's qualitative claim:
lambd = 3 shrinks ||w|| and lowers the test loss."""
import math
import random

import numpy as np
import pytest
from mxnet import autograd, nd
from mxnet.gluon import loss as gloss

import ch3
from ch3.book import weight_decay as wdm
from ch3.harness.settings import QUICK

BOOK = ch3.harness.registry.get_section('3.12').book

# 30 of the book's 100 epochs: the pattern is already clear (||w|| 0.09 vs 11.6, test loss 0.03
# vs 56) and the two runs take ~4 s each instead of ~10 s
EPOCHS = 30


@pytest.fixture(scope='module')
def runs():
    return {impl: ch3.run_section('3.12', impl=impl, seed=0, num_epochs=EPOCHS, verbose=False)
            for impl in ('scratch', 'gluon')}


def test_data_follows_the_book():
    train_X, test_X, train_y, test_y = wdm.make_data()
    assert train_X.shape == (20, 200) and test_X.shape == (100, 200)
    assert train_y.shape == (20,) and test_y.shape == (100,)
    X = np.vstack([train_X.asnumpy(), test_X.asnumpy()])
    y = np.concatenate([train_y.asnumpy(), test_y.asnumpy()])
    residual = y - X @ np.full(200, 0.01) - 0.05
    assert abs(residual.std() - 0.01) < 0.003          # noise N(0, 0.01^2)


def test_l2_penalty_value_and_gradient():
    w = nd.array(np.random.RandomState(0).randn(6, 1))
    w.attach_grad()
    with autograd.record():
        penalty = wdm.l2_penalty(w)
    penalty.backward()
    assert penalty.shape == (1,)
    assert penalty.asscalar() == pytest.approx(float((w.asnumpy() ** 2).sum() / 2), rel=1e-6)
    np.testing.assert_allclose(w.grad.asnumpy(), w.asnumpy(), rtol=1e-6)


def test_gluon_wd_step_is_the_books_update_exactly():
    lr, wd, batch = 0.003, 3.0, 4
    net = wdm.gluon_net(200)
    trainers = wdm.gluon_trainers(net, wd, lr)
    dense = net[0]
    X, y = nd.random.normal(shape=(batch, 200)), nd.random.normal(shape=(batch,))
    w0, b0 = dense.weight.data().asnumpy().copy(), dense.bias.data().asnumpy().copy()
    assert np.all(b0 == 0) and 0.8 < w0.std() < 1.2          # init.Normal(1); bias stays 0
    dense.bias.set_data(nd.array([0.5]))     # a nonzero bias, so a wrong decay of it would show
    b0 = dense.bias.data().asnumpy().copy()
    with autograd.record():
        l = gloss.L2Loss()(net(X), y)
    l.backward()
    grad_w = dense.weight.grad().asnumpy().astype(np.float64)
    grad_b = dense.bias.grad().asnumpy().astype(np.float64)
    # the gradient is the closed form sum_i x_i (x_i w + b - y_i)
    Xn, yn = X.asnumpy().astype(np.float64), y.asnumpy().astype(np.float64)
    residual = Xn @ w0.ravel() + b0[0] - yn
    np.testing.assert_allclose(grad_w.ravel(), Xn.T @ residual, rtol=1e-4, atol=1e-4)
    for trainer in trainers:
        trainer.step(batch)
    # w <- (1 - lr wd) w - lr grad / |B|, up to float32 rounding of the operands
    expected_w = (1 - lr * wd) * w0 - lr * grad_w / batch
    rounding = np.finfo(np.float32).eps * (np.abs(w0) + lr * np.abs(grad_w) / batch)
    assert np.all(np.abs(dense.weight.data().asnumpy() - expected_w) <= rounding)
    # ... and it is not the undecayed step: the decay is visible far above rounding
    assert np.all(np.abs(expected_w - (w0 - lr * grad_w / batch)) > 100 * rounding)
    # the bias is not decayed
    expected_b = b0 - lr * grad_b / batch
    np.testing.assert_allclose(dense.bias.data().asnumpy(), expected_b, rtol=1e-6)


def _numpy_replica(data, lambd, w0, b0, num_epochs, lr, seed):
    """The book's update in float64, over the shuffles data_iter makes after random.seed(seed)."""
    X, _, y, _ = (a.asnumpy().astype(np.float64) for a in data)
    w, b = np.asarray(w0, dtype=np.float64), float(b0)
    random.seed(seed)
    for _ in range(num_epochs):
        order = list(range(len(y)))
        random.shuffle(order)
        for i in order:
            r = X[i] @ w + b - y[i]
            w, b = (1 - lr * lambd) * w - lr * r * X[i], b - lr * r
    return w, b


@pytest.mark.parametrize('impl', ['scratch', 'gluon'])
def test_training_follows_a_numpy_replica_of_the_books_sgd(impl):
    data = wdm.make_data()
    if impl == 'scratch':
        start = {'params': wdm.init_params(200)}
        w0 = start['params'][0].asnumpy().ravel()
    else:
        start = {'net': wdm.gluon_net(200)}
        w0 = start['net'][0].weight.data().asnumpy().ravel()
    random.seed(11)
    fit = wdm.fit_scratch if impl == 'scratch' else wdm.fit_gluon
    (w_fit, b_fit), history = fit(3, data, num_epochs=4, **start)
    w, b = _numpy_replica(data, 3, w0, 0.0, 4, 0.003, seed=11)
    np.testing.assert_allclose(w_fit.asnumpy().ravel(), w, rtol=1e-4, atol=1e-5)
    assert float(b_fit.asscalar()) == pytest.approx(b, abs=1e-5)
    test_residual = data[1].asnumpy() @ w + b - data[3].asnumpy()
    assert history[-1]['test_loss'] == pytest.approx(np.mean(test_residual ** 2) / 2, rel=1e-3)


@pytest.mark.parametrize('impl', ['scratch', 'gluon'])
def test_decay_shrinks_w_and_lowers_the_test_loss(runs, impl):
    final = runs[impl]['final']
    plain, decayed = final['lambd=0'], final['lambd=3']
    assert decayed['w_norm'] < plain['w_norm'] / 20
    assert decayed['test_loss'] < plain['test_loss'] / 100
    # without decay the 20 training examples are fitted exactly: overfitting
    assert plain['train_loss'] < 1e-6 < 1 < plain['test_loss']


def test_scratch_and_gluon_take_the_same_path(runs):
    # same seed: same data, same initial weights (200 draws of N(0, 1)) and same minibatches
    for a, b in zip(runs['scratch']['history'], runs['gluon']['history']):
        assert a['lambd'] == b['lambd'] and a['epoch'] == b['epoch']
        assert b['test_loss'] == pytest.approx(a['test_loss'], rel=1e-4)
    for key in ('lambd=0', 'lambd=3'):
        assert runs['gluon']['final'][key]['w_norm'] == pytest.approx(
            runs['scratch']['final'][key]['w_norm'], rel=1e-4)
        for impl in ('scratch', 'gluon'):   # each run re-ran the other version from its start
            final = runs[impl]['final'][key]
            assert final['max_abs_diff_w_vs_other_version'] < 1e-4
            assert final['w_norm_other_version'] == pytest.approx(final['w_norm'], rel=1e-5)


def test_without_decay_the_norm_is_the_books(runs):
    # seed 0 gives the book's data and start; lambd = 0 ends at the interpolant nearest the start
    # (reached long before epoch 30), so the norm is the one the book printed after 100 epochs
    norm = runs['scratch']['final']['lambd=0']['w_norm']
    assert norm == pytest.approx(BOOK['w_norm']['scratch']['lambd=0'], rel=1e-3)


def test_the_books_decayed_norm_after_100_epochs():
    final = ch3.run_section('3.12', lambdas=[3], verbose=False)['final']['lambd=3']
    book = BOOK['w_norm']['scratch']['lambd=3']
    assert book / 2 < final['w_norm'] < 2 * book        # the same noise ball around ridge
    assert final['w_norm'] < BOOK['w_norm']['scratch']['lambd=0'] / 100


@pytest.mark.parametrize('impl', ['scratch', 'gluon'])
def test_without_decay_sgd_ends_at_the_interpolant_nearest_its_start(runs, impl):
    plain = runs[impl]['final']['lambd=0']
    assert plain['distance_to_closed_form'] < 1e-3
    assert plain['w_norm'] == pytest.approx(plain['closed_form_w_norm'], rel=1e-4)


def test_closed_forms_solve_their_problems():
    train_X, _, train_y, _ = wdm.make_data()
    X, y = train_X.asnumpy().astype(np.float64), train_y.asnumpy().astype(np.float64)
    n = len(y)
    # ridge with an unpenalized bias = ridge on centred data, bias from the means
    w, b = wdm.weight_decay_solution(X, y, 3)
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    w_centred = np.linalg.solve(Xc.T @ Xc / n + 3 * np.eye(200), Xc.T @ yc / n)
    np.testing.assert_allclose(w, w_centred, rtol=1e-8, atol=1e-12)
    assert b == pytest.approx(y.mean() - X.mean(axis=0) @ w_centred, rel=1e-8)
    # lambd = 0: fits the data exactly, and moved from the start only along the examples
    w0 = np.random.RandomState(1).randn(200)
    w, b = wdm.weight_decay_solution(X, y, 0, w0, 0.5)
    np.testing.assert_allclose(X @ w + b, y, atol=1e-9)
    step = np.r_[w - w0, b - 0.5]
    A = np.hstack([X, np.ones((n, 1))])
    coefficients = np.linalg.lstsq(A.T, step, rcond=None)[0]
    np.testing.assert_allclose(A.T @ coefficients, step, atol=1e-9)
    with pytest.raises(ValueError, match='pass the initial weights w0'):
        wdm.weight_decay_solution(X, y, 0)


def test_decayed_sgd_lands_near_the_ridge_solution(runs):
    decayed = runs['scratch']['final']['lambd=3']
    # constant-lr SGD with batch 1 stays in a noise ball around ridge (radius ~0.05 here), a
    # tiny fraction of where plain SGD ends up
    assert decayed['distance_to_closed_form'] < 0.15
    assert decayed['closed_form_test_loss'] < decayed['test_loss'] < 0.1


def test_result_layout_and_registry(runs):
    result = runs['scratch']
    assert result['hyperparameters'] == {'lambdas': [0.0, 3.0], 'num_epochs': EPOCHS,
                                         'lr': 0.003, 'batch_size': 1, 'n_train': 20,
                                         'n_test': 100, 'num_inputs': 200}
    assert len(result['history']) == 2 * EPOCHS
    assert set(result['history'][0]) == {'epoch', 'lambd', 'train_loss', 'test_loss'}
    assert result['final']['true_w_norm'] == pytest.approx(0.01 * math.sqrt(200))
    entry = [s for s in ch3.list_sections() if s['section'] == '3.12'][0]
    assert entry['impls'] == ['gluon', 'scratch'] and entry['default_impl'] == 'scratch'


def test_quick_run_sweeps_given_lambdas_and_writes_pngs(tmp_path):
    result = ch3.run_section('3.12', impl='gluon', quick=True, out=str(tmp_path),
                             lambdas=[0, 3], verbose=False)
    final = result['final']
    assert result['hyperparameters']['num_epochs'] == QUICK['3.12']['num_epochs']
    assert final['lambd=3']['w_norm'] < final['lambd=0']['w_norm'] / 3
    assert final['lambd=3']['test_loss'] < final['lambd=0']['test_loss'] / 10
    assert [p.rsplit('/', 1)[-1] for p in result['figures']] == [
        'weight_decay_gluon_lambd0.png', 'weight_decay_gluon_lambd3.png']
    for path in result['figures']:
        with open(path, 'rb') as handle:
            assert handle.read(8) == b'\x89PNG\r\n\x1a\n'


def test_batch_one_runs_on_one_device_only():
    with pytest.raises(ValueError, match='one device'):
        ch3.run_section('3.12', impl='gluon', ctx='cpu:0,cpu:1', verbose=False)


def test_fit_and_plot_and_fit_and_plot_gluon_take_the_books_call(capsys):
    data = wdm.make_data(n_train=5, n_test=10, num_inputs=8)
    assert wdm.fit_and_plot(0.5, data, num_epochs=2) is None
    assert wdm.fit_and_plot_gluon(0.5, data, num_epochs=2) is None
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(': ')[0] for line in lines] == ['L2 norm of w', 'L2 norm of w']
    assert all(float(line.split(': ')[1]) > 0 for line in lines)
    ch3.set_seed(0)
    wdm.fit_and_plot(lambd=0, num_epochs=1)   # the book's call: its data drawn as it draws it
    assert capsys.readouterr().out.startswith('L2 norm of w: ')


def test_a_diverging_fit_stops_on_both_versions():
    data = wdm.make_data(n_train=5, n_test=10, num_inputs=8)
    for fit in (wdm.fit_scratch, wdm.fit_gluon):
        with pytest.raises(ch3.TrainingDiverged, match='epoch 1'):
            fit(0.0, data, num_epochs=2, lr=1e9)


@pytest.mark.parametrize('lambdas, message', [
    ([-1], 'lambd must be a finite number >= 0'),
    ([float('nan')], 'lambd must be a finite number >= 0'),
    (3, 'lambdas must be a list'),
    ([], 'lambdas is empty'),
])
def test_bad_lambdas_are_rejected(lambdas, message):
    with pytest.raises(ValueError, match=message):
        ch3.run_section('3.12', lambdas=lambdas, verbose=False)


def test_bad_arguments_are_rejected():
    data = wdm.make_data(n_train=3, n_test=3, num_inputs=4)
    with pytest.raises(ValueError, match='wd must be a finite number >= 0'):
        wdm.fit_gluon(-0.1, data)
    with pytest.raises(ValueError, match='data must be'):
        wdm.fit_scratch(0, data[:2])


def test_seed_0_draws_the_books_data_exactly():
    """weight-decay.ipynb's data, drawn by its own three lines from MXNet's start state (seed 0):
    ours at the default seed is the same, bit for bit."""
    ch3.set_seed(0)
    train_features, test_features, train_labels, test_labels = wdm.make_data()
    ch3.set_seed(0)
    true_w, true_b = nd.ones((200, 1)) * 0.01, 0.05
    features = nd.random.normal(shape=(120, 200))
    labels = nd.dot(features, true_w) + true_b
    labels += nd.random.normal(scale=0.01, shape=labels.shape)
    np.testing.assert_array_equal(nd.concat(train_features, test_features, dim=0).asnumpy(),
                                  features.asnumpy())
    np.testing.assert_array_equal(nd.concat(train_labels, test_labels, dim=0).asnumpy(),
                                  labels.asnumpy().reshape(-1))
    assert features[0, 0].asscalar() == np.float32(2.2122064)   # the stream's first draw
