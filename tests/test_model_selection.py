"""Section 3.11 against the book's printed numbers, least squares / numpy.polyfit and the book's
qualitative claims (the third-order fit is good, the linear one underfits, 2 examples overfit)."""
import numpy as np
import pytest
from mxnet import nd

import ch3
import ch3.book.kfold
from ch3.harness.runs import model_selection as ms

BOOK = ch3.harness.registry.get_section('3.11').book


@pytest.fixture(scope='module')
def full_runs():
    """One full-length (100-epoch) run of each version with seed 0."""
    return {impl: ch3.run_section('3.11', impl=impl, seed=0, verbose=False)
            for impl in ('scratch', 'gluon')}


def test_poly_data_follows_the_book():
    features, poly, labels = ms.make_poly_data()
    assert features.shape == (200, 1) and poly.shape == (200, 3) and labels.shape == (200,)
    x, P, y = features.asnumpy()[:, 0], poly.asnumpy(), labels.asnumpy()
    np.testing.assert_allclose(P, np.stack([x, x ** 2, x ** 3], axis=1), rtol=1e-5)
    residual = y - P @ np.array(ms.TRUE_W) - ms.TRUE_B
    assert abs(residual.std() - 0.1) < 0.02      # noise N(0, 0.1^2)
    assert abs(x.mean()) < 0.2 and abs(x.std() - 1) < 0.15


def test_book_fits_are_the_books_slices():
    features, poly, labels = ms.make_poly_data()
    fits = ms.book_fits(features, poly, labels)
    assert list(fits) == list(ms.FITS)
    shapes = {fit: tuple(a.shape for a in data) for fit, data in fits.items()}
    assert shapes == {'normal': ((100, 3), (100, 3), (100,), (100,)),
                      'underfit': ((100, 1), (100, 1), (100,), (100,)),
                      'overfit': ((2, 3), (100, 3), (2,), (100,))}
    np.testing.assert_array_equal(fits['overfit'][0].asnumpy(), poly[:2].asnumpy())
    np.testing.assert_array_equal(fits['normal'][1].asnumpy(), poly[100:].asnumpy())


def test_least_squares_agrees_with_numpy_polyfit():
    features, poly, labels = ms.make_poly_data()
    w, b, loss = ms.least_squares(poly[:100], labels[:100])
    coefficients = np.polyfit(features.asnumpy()[:100, 0].astype(np.float64),
                              labels.asnumpy()[:100].astype(np.float64), 3)   # x^3, x^2, x, 1
    np.testing.assert_allclose(w + [b], coefficients[[2, 1, 0, 3]], rtol=1e-6, atol=1e-6)
    assert loss == pytest.approx(0.1 ** 2 / 2, rel=0.4)   # the noise's variance / 2


@pytest.mark.parametrize('impl', ['scratch', 'gluon'])
def test_third_order_fit_is_good(full_runs, impl):
    normal = full_runs[impl]['final']['normal']
    assert normal['train_loss'] < 0.05 and normal['test_loss'] < 0.05
    np.testing.assert_allclose(normal['w'], ms.TRUE_W, atol=0.2)
    assert abs(normal['b'] - ms.TRUE_B) < 0.2


def test_gluon_reproduces_the_books_printed_weights(full_runs):
    # with seed 0 our data and initialization give the book's run; other seeds end elsewhere
    # (w1 between 1.13 and 1.26 for seeds 1-4), so this pins the exact experiment
    normal = full_runs['gluon']['final']['normal']
    np.testing.assert_allclose(normal['w'], BOOK['normal_w'], atol=0.02)
    assert abs(normal['b'] - BOOK['normal_b']) < 0.02


@pytest.mark.parametrize('impl', ['scratch', 'gluon'])
def test_linear_fit_underfits(full_runs, impl):
    final = full_runs[impl]['final']
    assert final['underfit']['train_loss'] > 1000 * final['normal']['train_loss']
    assert final['underfit']['train_loss'] > 10                # far above the noise level 0.005


@pytest.mark.parametrize('impl', ['scratch', 'gluon'])
def test_two_examples_overfit(full_runs, impl):
    overfit = full_runs[impl]['final']['overfit']
    assert overfit['n_train'] == 2
    assert overfit['test_loss'] > 50 * overfit['train_loss']
    assert overfit['test_loss'] > 1000 * full_runs[impl]['final']['normal']['test_loss']


@pytest.mark.parametrize('impl', ['scratch', 'gluon'])
def test_sgd_approaches_the_least_squares_minimum(full_runs, impl):
    final = full_runs[impl]['final']
    normal, underfit = final['normal'], final['underfit']
    # least squares is the smallest training loss any (w, b) can reach on that data
    assert normal['lstsq_train_loss'] <= normal['train_loss'] < 2 * normal['lstsq_train_loss']
    np.testing.assert_allclose(normal['lstsq_w'], ms.TRUE_W, atol=0.05)
    # the one-feature problem is well conditioned: SGD has converged to the closed form
    assert underfit['train_loss'] == pytest.approx(underfit['lstsq_train_loss'], rel=1e-4)
    np.testing.assert_allclose(underfit['w'] + [underfit['b']],
                               underfit['lstsq_w'] + [underfit['lstsq_b']], atol=0.01)
    # 2 examples, 4 parameters: some solution fits them exactly
    assert final['overfit']['lstsq_train_loss'] < 1e-10


def test_both_versions_agree(full_runs):
    for fit in ms.FITS:
        scratch, gluon = full_runs['scratch']['final'][fit], full_runs['gluon']['final'][fit]
        assert gluon['train_loss'] == pytest.approx(scratch['train_loss'], rel=0.1, abs=1e-3)
        np.testing.assert_allclose(gluon['w'], scratch['w'], atol=0.05)


def test_result_layout(full_runs):
    result = full_runs['gluon']
    assert result['hyperparameters'] == {'num_epochs': 100, 'lr': 0.01, 'batch_size': 10,
                                         'n_train': 100, 'n_test': 100}
    history = result['history']
    assert len(history) == 300 and {h['fit'] for h in history} == set(ms.FITS)
    assert set(history[0]) == {'epoch', 'fit', 'train_loss', 'test_loss', 'seconds'}
    last = [h for h in history if h['fit'] == 'overfit'][-1]
    assert last['epoch'] == 100 and last['test_loss'] == result['final']['overfit']['test_loss']
    assert result['figures'] == []


def test_quick_run_still_shows_the_pattern_and_writes_three_pngs(tmp_path):
    result = ch3.run_section('3.11', impl='scratch', quick=True, out=str(tmp_path),
                             verbose=False)
    final = result['final']
    assert result['hyperparameters']['num_epochs'] == ms.QUICK_EPOCHS
    assert final['underfit']['train_loss'] > 20 * final['normal']['train_loss']
    assert final['overfit']['test_loss'] > 20 * final['overfit']['train_loss']
    assert [p.rsplit('/', 1)[-1] for p in result['figures']] == [
        'poly_normal_scratch.png', 'poly_underfit_scratch.png', 'poly_overfit_scratch.png']
    for path in result['figures']:
        with open(path, 'rb') as handle:
            assert handle.read(8) == b'\x89PNG\r\n\x1a\n'


def test_section_is_registered_with_both_versions():
    entry = [s for s in ch3.list_sections() if s['section'] == '3.11'][0]
    assert entry['impls'] == ['gluon', 'scratch'] and entry['default_impl'] == 'gluon'
    assert entry['module'] == 'ch3.harness.runs.model_selection'


def test_gluon_on_several_devices_matches_one_device():
    features, poly, labels = ms.make_poly_data()
    data = ms.book_fits(features, poly, labels)['overfit']   # 2 examples over 3 devices: padding
    runs = []
    for ctx in ('cpu', 'cpu:0,cpu:1,cpu:2'):
        ch3.set_seed(3)
        runs.append(ms.fit_gluon(*data, num_epochs=5, ctx=ctx))
    np.testing.assert_allclose(runs[1]['w'] + [runs[1]['b']], runs[0]['w'] + [runs[0]['b']],
                               rtol=1e-5)
    assert runs[1]['test_loss'] == pytest.approx(runs[0]['test_loss'], rel=1e-5)


def test_split_across_devices_pads_a_small_batch_with_zero_weights():
    import mxnet as mx
    contexts = [mx.cpu(0), mx.cpu(1), mx.cpu(2)]
    X, y = nd.array([[1., 2.]]), nd.array([7.])
    Xs, ys, weights = ms.split_across_devices(X, y, contexts)
    assert [x.context for x in Xs] == contexts
    assert [w.asnumpy().ravel().tolist() for w in weights] == [[1.0], [0.0], [0.0]]
    assert all(x.asnumpy().tolist() == [[1., 2.]] for x in Xs)
    Xs, ys, weights = ms.split_across_devices(nd.ones((5, 2)), nd.ones(5), contexts[:2])
    assert sorted(x.shape[0] for x in Xs) == [2, 3] and weights == [None, None]


def test_k_fold_helpers_are_reexported_and_cross_validation_picks_third_order():
    assert ms.get_k_fold_data is ch3.book.kfold.get_k_fold_data and ms.k_fold is ch3.book.kfold.k_fold
    features, poly, labels = ms.make_poly_data()
    third = ms.cross_validate(2, poly[:100], labels[:100], impl='scratch', num_epochs=20,
                              verbose=False)
    linear = ms.cross_validate(2, features[:100], labels[:100], impl='scratch', num_epochs=20,
                               verbose=False)
    assert third['k'] == 2 and len(third['folds']) == 2
    assert third['valid_mean'] < linear['valid_mean'] / 5


def test_arguments_are_checked():
    features, poly, labels = ms.make_poly_data(n_train=10, n_test=5)
    with pytest.raises(ValueError, match='train_features and train_labels differ in length'):
        ms.fit_scratch(poly[:10], poly[10:], labels[:9], labels[10:])
    with pytest.raises(ValueError, match='train and test features differ in shape'):
        ms.fit_gluon(poly[:10], features[10:], labels[:10], labels[10:])
    with pytest.raises(ValueError, match="impl must be one of scratch, gluon, got 'torch'"):
        ms.fit_and_plot(poly[:10], poly[10:], labels[:10], labels[10:], impl='torch')
    with pytest.raises(ValueError, match='n_train must be >= 1'):
        ms.make_poly_data(n_train=0)
    with pytest.raises(ValueError, match='lr must be a finite number > 0'):
        ch3.run_section('3.11', lr=0, verbose=False)
