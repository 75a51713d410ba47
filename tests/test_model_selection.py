"""Section 3.11 against the book's recorded numbers, least squares / numpy.polyfit and the book's
qualitative claims (the third-order fit is good, the linear one underfits, 2 examples overfit),
plus k-fold validation and the error against model capacity."""
import numpy as np
import pytest

import ch3
import ch3.book.kfold
from ch3.book import model_selection as ms
from ch3.harness.settings import QUICK

BOOK = ch3.harness.registry.get_section('3.11').book


@pytest.fixture(scope='module')
def full_runs():
    """One full-length (100-epoch) run of each version with seed 0 (k-fold with k = 2)."""
    return {impl: ch3.run_section('3.11', impl=impl, seed=0, k=2, verbose=False)
            for impl in ('scratch', 'gluon')}


def test_poly_data_follows_the_book():
    features, poly, labels = ms.make_poly_data()
    assert features.shape == (200, 1) and poly.shape == (200, 3) and labels.shape == (200,)
    x, P, y = features.asnumpy()[:, 0], poly.asnumpy(), labels.asnumpy()
    np.testing.assert_allclose(P, np.stack([x, x ** 2, x ** 3], axis=1), rtol=1e-5)
    residual = y - P @ np.array(ms.true_w) - ms.true_b
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
    x = features.asnumpy()[:, 0].astype(np.float64)
    np.testing.assert_allclose(ms.polynomial_features(features, 3), np.stack([x, x**2, x**3], 1),
                               rtol=1e-12)
    assert ms.polynomial_features(features, 0).shape == (200, 0)


@pytest.mark.parametrize('impl', ['scratch', 'gluon'])
def test_third_order_fit_is_good(full_runs, impl):
    normal = full_runs[impl]['final']['normal']
    assert normal['train_loss'] < 0.05 and normal['test_loss'] < 0.05
    np.testing.assert_allclose(normal['w'], ms.true_w, atol=0.2)
    assert abs(normal['b'] - ms.true_b) < 0.2


def test_gluon_reproduces_the_books_recorded_weights(full_runs):
    # with seed 0 our data and initialization are the book's run (its printed features[0] is
    # mx.random's first draw after seed 0); its DataLoader shuffled with another generator
    normal = full_runs['gluon']['final']['normal']
    np.testing.assert_allclose(normal['w'], BOOK['normal']['w'], atol=0.02)
    assert abs(normal['b'] - BOOK['normal']['b']) < 0.02
    for fit in ms.FITS:
        ours, book = full_runs['gluon']['final'][fit], BOOK[fit]
        assert ours['test_loss'] == pytest.approx(book['test_loss'], rel=0.5)
    # 2 examples make one minibatch: no shuffle order left to differ, the book's numbers exactly
    overfit = full_runs['gluon']['final']['overfit']
    assert overfit['train_loss'] == pytest.approx(BOOK['overfit']['train_loss'], rel=1e-5)
    assert overfit['test_loss'] == pytest.approx(BOOK['overfit']['test_loss'], rel=1e-5)
    np.testing.assert_allclose(overfit['w'], BOOK['overfit']['w'], rtol=1e-5)


@pytest.mark.parametrize('impl', ['scratch', 'gluon'])
def test_linear_fit_underfits(full_runs, impl):
    final = full_runs[impl]['final']
    assert final['underfit']['train_loss'] > 1000 * final['normal']['train_loss']
    assert final['underfit']['train_loss'] > 10                # far above the noise level 0.005
    np.testing.assert_allclose(final['underfit']['w'], BOOK['underfit']['w'], rtol=0.05)


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
    np.testing.assert_allclose(normal['lstsq_w'], ms.true_w, atol=0.05)
    # the one-feature problem is well conditioned: SGD has converged to the closed form
    assert underfit['train_loss'] == pytest.approx(underfit['lstsq_train_loss'], rel=1e-4)
    np.testing.assert_allclose(underfit['w'] + [underfit['b']],
                               underfit['lstsq_w'] + [underfit['lstsq_b']], atol=0.01)
    # 2 examples, 4 parameters: some solution fits them exactly
    assert final['overfit']['lstsq_train_loss'] < 1e-10


def test_both_versions_take_the_same_path(full_runs):
    # same seed: same data, the same initial draws (net.initialize()'s) and the same minibatches
    for fit in ms.FITS:
        scratch, gluon = full_runs['scratch']['final'][fit], full_runs['gluon']['final'][fit]
        assert gluon['test_loss'] == pytest.approx(scratch['test_loss'], rel=1e-4)
        np.testing.assert_allclose(gluon['w'], scratch['w'], rtol=1e-4, atol=1e-5)
    for impl in ('scratch', 'gluon'):
        agree = full_runs[impl]['final']['versions_agree']
        assert agree['max_abs_diff_params'] < 1e-4 and agree['max_rel_diff_losses'] < 1e-4


@pytest.mark.parametrize('impl', ['scratch', 'gluon'])
def test_k_fold_picks_the_cubic_and_capacity_shows_both_failures(full_runs, impl):
    final = full_runs[impl]['final']
    assert final['k_fold']['picked'] == 'normal' and final['k_fold']['k'] == 2
    assert final['k_fold']['normal']['valid_loss'] < final['k_fold']['underfit']['valid_loss'] / 5
    curve = final['capacity']['curve']
    assert [c['degree'] for c in curve] == list(range(11))
    train = [c['train_loss'] for c in curve]
    # nested models: more capacity never raises the least-squares training error
    assert all(b <= a * (1 + 1e-9) for a, b in zip(train, train[1:]))
    test = [c['test_loss'] for c in curve]
    assert min(test[:3]) > 100 * test[3]                  # degrees 0-2 underfit
    assert max(test[8:]) > 10 * test[3]                   # high degrees overfit
    assert 3 <= final['capacity']['best_valid_degree'] <= 6


def test_result_layout(full_runs):
    result = full_runs['gluon']
    assert result['hyperparameters'] == {'num_epochs': 100, 'lr': 0.01, 'batch_size': 10,
                                         'n_train': 100, 'n_test': 100, 'k': 2,
                                         'max_degree': 10}
    history = result['history']
    assert len(history) == 300 and {h['fit'] for h in history} == set(ms.FITS)
    assert set(history[0]) == {'epoch', 'fit', 'train_loss', 'test_loss'}
    last = [h for h in history if h['fit'] == 'overfit'][-1]
    assert last['epoch'] == 100 and last['test_loss'] == result['final']['overfit']['test_loss']
    assert result['figures'] == []


def test_quick_run_still_shows_the_pattern_and_writes_four_pngs(tmp_path):
    result = ch3.run_section('3.11', impl='scratch', quick=True, out=str(tmp_path), k=2,
                             verbose=False)
    final = result['final']
    assert result['hyperparameters']['num_epochs'] == QUICK['3.11']['num_epochs']
    assert final['underfit']['train_loss'] > 20 * final['normal']['train_loss']
    assert final['overfit']['test_loss'] > 20 * final['overfit']['train_loss']
    assert [p.rsplit('/', 1)[-1] for p in result['figures']] == [
        'poly_normal_scratch.png', 'poly_underfit_scratch.png', 'poly_overfit_scratch.png',
        'poly_capacity.png']
    for path in result['figures']:
        with open(path, 'rb') as handle:
            assert handle.read(8) == b'\x89PNG\r\n\x1a\n'


def test_section_is_registered_with_both_versions_on_one_device():
    entry = [s for s in ch3.list_sections() if s['section'] == '3.11'][0]
    assert entry['impls'] == ['gluon', 'scratch'] and entry['default_impl'] == 'gluon'
    assert entry['module'] == 'ch3.harness.runs.model_selection'
    with pytest.raises(ValueError, match='one device'):
        ch3.run_section('3.11', impl='gluon', ctx='cpu:0,cpu:1', verbose=False)


def test_cross_validation_prefers_the_third_order_features():
    assert ms.run_folds is ch3.book.kfold.run_folds
    features, poly, labels = ms.make_poly_data()
    third = ms.cross_validate(2, poly[:100], labels[:100], ms.fit_scratch, num_epochs=20,
                              verbose=False)
    linear = ms.cross_validate(2, features[:100], labels[:100], ms.fit_scratch, num_epochs=20,
                               verbose=False)
    assert third['k'] == 2 and len(third['folds']) == 2
    assert third['valid_mean'] < linear['valid_mean'] / 5


def test_fit_and_plot_takes_the_books_call_prints_its_lines_and_returns_none(capsys):
    features, poly, labels = ms.make_poly_data(n_train=10, n_test=5)
    assert ms.fit_and_plot(poly[:10], poly[10:], labels[:10], labels[10:], num_epochs=2) is None
    out = capsys.readouterr().out
    assert out.startswith('final epoch: train loss ') and ' test loss ' in out
    assert '\nweight: [[' in out and '\nbias: [' in out
    assert ch3.plt.gca().get_yscale() == 'log'


def test_loss_figure_draws_both_curves_on_a_log_scale():
    features, poly, labels = ms.make_poly_data(n_train=10, n_test=5)
    (w, b), history = ms.fit_scratch(poly[:10], poly[10:], labels[:10], labels[10:],
                                     num_epochs=2)
    fig = ms.loss_figure(history, title='t')
    assert w.shape == (3, 1) and b.shape == (1,) and len(history) == 2
    assert fig.axes[0].get_yscale() == 'log' and len(fig.axes[0].lines) == 2


def test_a_diverging_fit_stops_on_both_versions():
    features, poly, labels = ms.make_poly_data(n_train=10, n_test=5)
    for fit in (ms.fit_scratch, ms.fit_gluon):
        with pytest.raises(ch3.TrainingDiverged, match='epoch 1'):
            fit(poly[:10], poly[10:], labels[:10], labels[10:], num_epochs=2, lr=1e9)


def test_arguments_are_checked():
    features, poly, labels = ms.make_poly_data(n_train=10, n_test=5)
    with pytest.raises(ValueError, match='train_features and train_labels differ in length'):
        ms.fit_scratch(poly[:10], poly[10:], labels[:9], labels[10:])
    with pytest.raises(ValueError, match='train and test features differ in shape'):
        ms.fit_gluon(poly[:10], features[10:], labels[:10], labels[10:])
    with pytest.raises(ValueError, match='n_train must be >= 1'):
        ms.make_poly_data(n_train=0)
    with pytest.raises(ValueError, match='degree must be >= 0'):
        ms.polynomial_features(features, -1)
    with pytest.raises(ValueError, match='lr must be a finite number > 0'):
        ch3.run_section('3.11', lr=0, verbose=False)
    with pytest.raises(ValueError, match='k must be >= 2'):
        ch3.run_section('3.11', k=1, verbose=False)


def test_seed_0_draws_the_books_printed_data():
    """underfit-overfit.ipynb printed features[:2], poly_features[:2], labels[:2]."""
    ch3.set_seed(0)
    features, poly_features, labels = ms.make_poly_data()
    f32 = np.float32
    np.testing.assert_array_equal(features[:2].asnumpy(),
                                  np.array([[2.2122064], [0.7740038]], f32))
    np.testing.assert_array_equal(poly_features[:2].asnumpy(), np.array(
        [[2.2122064, 4.893857, 10.826221], [0.7740038, 0.5990819, 0.46369165]], f32))
    np.testing.assert_array_equal(labels[:2].asnumpy(), np.array([51.674885, 6.3585763], f32))
