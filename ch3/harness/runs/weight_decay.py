"""Runs of section 3.12 (the book's code is ch3.book.weight_decay): one data set, a fit for each
lambd, the closed-form end points, the other version re-run from the same start to compare, the
figures and the JSON result."""
import math
import random

import numpy as np
from mxnet import nd

from ch3.book import weight_decay as book
from ch3.book.model_selection import loss_figure
from ch3.book.plotting import finish
from ch3.checks import check_nonnegative
from ch3.context import as_ctx_list
from ch3.harness.runs import Section


def lambd_key(lambd):
    """The key of one run in `final`, e.g. 'lambd=3'."""
    return 'lambd=%g' % lambd


def _check_lambdas(lambdas):
    if isinstance(lambdas, (str, bytes)) or not hasattr(lambdas, '__iter__'):
        raise ValueError('lambdas must be a list of weight-decay strengths such as (0, 3), got %r'
                         % (lambdas,))
    lambdas = [check_nonnegative('lambd', v) for v in lambdas]
    if not lambdas:
        raise ValueError('lambdas is empty: give at least one weight-decay strength, e.g. (0, 3)')
    return lambdas


def _start(impl, num_inputs, device):
    """The initial parameters the fit starts from: (what the fit takes, w0 (d,), b0)."""
    if impl == 'scratch':
        params = book.init_params(num_inputs, device)
        return {'params': params}, params[0].asnumpy().ravel(), float(params[1].asscalar())
    net = book.gluon_net(num_inputs, device)
    dense = net[0]
    return ({'net': net}, dense.weight.data(device).asnumpy().ravel(),
            float(dense.bias.data(device).asscalar()))


def _start_like(impl, w0, b0, device):
    """The other version's start set to the same w0 (d,), b0."""
    if impl == 'scratch':
        params = [nd.array(w0.reshape(-1, 1), ctx=device), nd.array([b0], ctx=device)]
        return {'params': params}
    net = book.gluon_net(len(w0), device)
    net[0].weight.set_data(nd.array(w0.reshape(1, -1), ctx=device))
    net[0].bias.set_data(nd.array([b0], ctx=device))
    return {'net': net}


FIT_FUNCTIONS = {'scratch': book.fit_scratch, 'gluon': book.fit_gluon}


def _fit(impl, lambd, data, start, num_epochs, lr, batch_size, device):
    return FIT_FUNCTIONS[impl](lambd, data, num_epochs=num_epochs, lr=lr, batch_size=batch_size,
                               ctx=device, **start)


def _closed_form_check(w, b, data, lambd, w0, b0):
    w_cf, b_cf = book.weight_decay_solution(data[0], data[2], lambd, w0, b0)
    test_X = data[1].asnumpy().astype(np.float64)
    residual = test_X @ w_cf + b_cf - data[3].asnumpy().reshape(-1)
    return {'closed_form_w_norm': float(np.linalg.norm(w_cf)), 'closed_form_b': b_cf,
            'closed_form_test_loss': float(np.mean(residual ** 2) / 2),
            'distance_to_closed_form': float(np.linalg.norm(w - w_cf))}


def _run(impl, ctx, out, lambdas, num_epochs, lr, batch_size, n_train, n_test, num_inputs,
         verbose):
    lambdas = _check_lambdas(lambdas)
    device = as_ctx_list(ctx)[0]
    data = book.make_data(n_train, n_test, num_inputs, ctx=device)
    other = 'gluon' if impl == 'scratch' else 'scratch'
    history, final, figures, starts, learned = [], {}, [], {}, {}
    for lambd in lambdas:
        start, w0, b0 = _start(impl, num_inputs, device)
        starts[lambd] = (w0, b0, random.getstate())   # the shuffles data_iter will draw
        params, runs = FIT_FUNCTIONS[impl](lambd, data, num_epochs, lr, batch_size, ctx=device,
                                           **start)
        fig = loss_figure(runs, title='lambd = %g' % lambd)
        if verbose:
            print('L2 norm of w:', params[0].norm().asscalar())
        w, b = params[0].asnumpy().ravel(), float(params[1].asscalar())
        learned[lambd] = w
        history.extend(dict(h, lambd=lambd) for h in runs)
        final[lambd_key(lambd)] = dict(
            lambd=lambd, train_loss=runs[-1]['train_loss'], test_loss=runs[-1]['test_loss'],
            w_norm=float(np.linalg.norm(w)), b=b, **_closed_form_check(w, b, data, lambd, w0, b0))
        if out:
            figures.append(finish(fig, out, 'weight_decay_%s_lambd%g.png' % (impl, lambd)))
    for lambd, (w0, b0, shuffles) in starts.items():   # after the main fits: they stay as they were
        random.setstate(shuffles)
        (w_other, b_other), _ = _fit(other, lambd, data, _start_like(other, w0, b0, device),
                                     num_epochs, lr, batch_size, device)
        entry = final[lambd_key(lambd)]
        entry['w_norm_other_version'] = float(w_other.norm().asscalar())
        entry['max_abs_diff_w_vs_other_version'] = float(
            np.abs(learned[lambd] - w_other.asnumpy().ravel()).max())
        entry['abs_diff_b_vs_other_version'] = abs(entry['b'] - float(b_other.asscalar()))
    final.update(true_w_norm=book.true_w_value * math.sqrt(num_inputs), true_b=book.true_b,
                 other_version=other)
    return {'hyperparameters': {'lambdas': lambdas, 'num_epochs': num_epochs, 'lr': lr,
                                'batch_size': batch_size, 'n_train': n_train, 'n_test': n_test,
                                'num_inputs': num_inputs},
            'history': history, 'final': final, 'figures': figures}


def run_scratch(ctx=None, out=None, lambdas=(0, 3), num_epochs=100, lr=0.003, batch_size=1,
                n_train=20, n_test=100, num_inputs=200, verbose=True):
    """3.12 from scratch: loss + lambd * l2_penalty(w) with sgd for each lambd on one data set."""
    return _run('scratch', ctx, out, lambdas, num_epochs, lr, batch_size, n_train, n_test,
                num_inputs, verbose)


def run_gluon(ctx=None, out=None, lambdas=(0, 3), num_epochs=100, lr=0.003, batch_size=1,
              n_train=20, n_test=100, num_inputs=200, verbose=True):
    """3.12 with Gluon: the Trainer's wd = lambd on the weights only, for each lambd."""
    return _run('gluon', ctx, out, lambdas, num_epochs, lr, batch_size, n_train, n_test,
                num_inputs, verbose)


BOOK = {'w_norm': {'scratch': {'lambd=0': 11.611941, 'lambd=3': 0.04225087},
                   'gluon': {'lambd=0': 13.311797, 'lambd=3': 0.032601923}},
        'source': 'd2l-zh notebooks, commit ea74109',
        'note': 'weight-decay.ipynb: "L2 norm of w" after 100 epochs, fit_and_plot(lambd) and '
                'fit_and_plot_gluon(wd); the penalty is lambd/2 ||w||^2 on each example\'s loss'}

# One device only: with batch 1 there is nothing to split over several devices.
SECTIONS = [
    Section('3.12', 'Weight decay', {'scratch': run_scratch, 'gluon': run_gluon},
            default_impl='scratch', book=BOOK, multi_device=(), headline='lambd=3/w_norm'),
]
