"""Runs of section 3.11 (the book's code is ch3.book.model_selection): the three polynomial fits,
k-fold cross-validation choosing between the cubic and the linear model, the error against model
capacity, the least-squares references, the figures and the JSON result."""
import numpy as np

from ch3.book import model_selection as book
from ch3.book.plotting import finish
from ch3.checks import check_int
from ch3.context import as_ctx_list
from ch3.harness.runs import Section
from ch3.utils import set_seed

FIT_FUNCTIONS = {'scratch': book.fit_scratch, 'gluon': book.fit_gluon}
AGREEMENT_SEED = 1   # both versions re-run the normal fit from this seed to compare them


def _numbers(array):
    return [float(v) for v in array.asnumpy().ravel()]


def _fit_final(params, history, data):
    lstsq_w, lstsq_b, lstsq_loss = book.least_squares(data[0], data[2])
    return {'train_loss': history[-1]['train_loss'], 'test_loss': history[-1]['test_loss'],
            'w': _numbers(params[0]), 'b': _numbers(params[1])[0],
            'n_train': int(data[0].shape[0]),
            'lstsq_w': lstsq_w, 'lstsq_b': lstsq_b, 'lstsq_train_loss': lstsq_loss}


def _k_fold_choice(fits, impl, k, num_epochs, lr, batch_size, device, verbose):
    """k-fold validation (SGD, the section's fit) of the cubic and the linear model on the 100
    training examples: which one it picks, without looking at the test set."""
    chosen = {}
    for fit in ('normal', 'underfit'):
        if verbose:
            print('%d-fold cross-validation of the %s model:' % (k, fit))
        result = book.cross_validate(k, fits[fit][0], fits[fit][2], FIT_FUNCTIONS[impl],
                                     num_epochs, lr, batch_size, device, verbose)
        chosen[fit] = {'train_loss': result['train_mean'], 'valid_loss': result['valid_mean'],
                       'folds': [[f['train'], f['valid']] for f in result['folds']]}
    best = min(chosen, key=lambda fit: chosen[fit]['valid_loss'])
    return dict(chosen, k=k, picked=best)


def _capacity(features, labels, n_train, max_degree, k):
    curve = book.capacity_curve(features, labels, n_train, max_degree, k)
    return {'curve': curve, 'k': k,
            'best_test_degree': min(curve, key=lambda c: c['test_loss'])['degree'],
            'best_valid_degree': min(curve, key=lambda c: c['valid_loss'])['degree']}


def versions_agree(data, num_epochs, lr, batch_size, device, seed=AGREEMENT_SEED):
    """fit_scratch and fit_gluon from the same seed (same initial draws, same minibatches) on one
    fit's data: the largest differences of their weights and of their loss curves."""
    runs = {}
    for impl, fit in FIT_FUNCTIONS.items():
        set_seed(seed)
        runs[impl] = fit(*data, num_epochs=num_epochs, lr=lr, batch_size=batch_size, ctx=device)
    (ws, hs), (wg, hg) = runs['scratch'], runs['gluon']
    params = np.r_[ws[0].asnumpy().ravel(), ws[1].asnumpy()]
    gluon_params = np.r_[wg[0].asnumpy().ravel(), wg[1].asnumpy()]
    curves = [abs(a[key] - b[key]) / max(abs(a[key]), 1e-12)
              for a, b in zip(hs, hg) for key in ('train_loss', 'test_loss')]
    return {'fit': 'normal', 'seed': seed, 'num_epochs': num_epochs,
            'max_abs_diff_params': float(np.abs(params - gluon_params).max()),
            'max_rel_diff_losses': float(max(curves))}


def _run(impl, ctx, out, num_epochs, lr, batch_size, n_train, n_test, k, max_degree, verbose):
    check_int('k', k, minimum=2)
    device = as_ctx_list(ctx)[0]
    features, poly_features, labels = book.make_poly_data(n_train, n_test, ctx=device)
    fits = book.book_fits(features, poly_features, labels, n_train)
    history, final, figures = [], {}, []
    for fit, data in fits.items():
        if verbose:
            print('--- %s fit' % fit)
        params, runs = FIT_FUNCTIONS[impl](*data, num_epochs=num_epochs, lr=lr,
                                           batch_size=batch_size, ctx=device)
        fig = book.loss_figure(runs, title='%s (%s)' % (fit, impl))
        if verbose:
            book.print_fit(*params, runs)
        history.extend(dict(h, fit=fit) for h in runs)
        final[fit] = _fit_final(params, runs, data)
        if out:
            figures.append(finish(fig, out, 'poly_%s_%s.png' % (fit, impl)))
    final['k_fold'] = _k_fold_choice(fits, impl, k, num_epochs, lr, batch_size, device, verbose)
    final['capacity'] = _capacity(features, labels, n_train, max_degree, k)
    if out:
        figures.append(finish(book.capacity_figure(final['capacity']['curve']), out,
                              'poly_capacity.png'))
    final['versions_agree'] = versions_agree(fits['normal'], num_epochs, lr, batch_size, device)
    final.update(true_w=book.true_w, true_b=book.true_b)
    if verbose:
        print('k-fold picks the %s model; least squares by degree: lowest test loss at degree '
              '%d, lowest %d-fold validation loss at degree %d'
              % (final['k_fold']['picked'], final['capacity']['best_test_degree'], k,
                 final['capacity']['best_valid_degree']))
        print('scratch vs Gluon from one seed: max |param diff| %.2g'
              % final['versions_agree']['max_abs_diff_params'])
    return {'hyperparameters': {'num_epochs': num_epochs, 'lr': lr, 'batch_size': batch_size,
                                'n_train': n_train, 'n_test': n_test, 'k': k,
                                'max_degree': max_degree},
            'history': history, 'final': final, 'figures': figures}


def run_scratch(ctx=None, out=None, num_epochs=100, lr=0.01, batch_size=10, n_train=100,
                n_test=100, k=5, max_degree=10, verbose=True):
    """3.11 from scratch: the three fits with linreg, squared_loss and sgd, k-fold validation
    and the capacity curve."""
    return _run('scratch', ctx, out, num_epochs, lr, batch_size, n_train, n_test, k, max_degree,
                verbose)


def run_gluon(ctx=None, out=None, num_epochs=100, lr=0.01, batch_size=10, n_train=100,
              n_test=100, k=5, max_degree=10, verbose=True):
    """3.11 with Gluon (the book's version): the three fits with nn.Dense(1) and L2Loss, k-fold
    validation and the capacity curve."""
    return _run('gluon', ctx, out, num_epochs, lr, batch_size, n_train, n_test, k, max_degree,
                verbose)


BOOK = {'normal': {'train_loss': 0.0069049126, 'test_loss': 0.011304694,
                   'w': [1.3224835, -3.3640046, 5.563308], 'b': 4.9524603},
        'underfit': {'train_loss': 43.997696, 'test_loss': 160.71014, 'w': [15.567517],
                     'b': 2.282347},
        'overfit': {'train_loss': 0.4027369, 'test_loss': 103.314186,
                    'w': [1.3872364, 1.9376589, 3.5085924], 'b': 1.2312856},
        'source': 'd2l-zh notebooks, commit ea74109',
        'note': "underfit-overfit.ipynb: final-epoch losses and learned weights of the book's "
                'three Gluon fits (true w [1.2, -3.4, 5.6], b 5)'}

# One device only: batches of 2 (overfit) or 1 cannot be split over several devices without
# padding them, so the Gluon version is not offered as a data-parallel one.
SECTIONS = [
    Section('3.11', 'Model selection, underfitting and overfitting (polynomial fitting)',
            {'scratch': run_scratch, 'gluon': run_gluon}, default_impl='gluon', book=BOOK,
            multi_device=(), headline='normal/test_loss'),
]
