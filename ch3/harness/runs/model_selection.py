"""Section 3.11: model selection, underfitting and overfitting (polynomial fitting).

Data: x ~ N(0, 1) and
    y = 1.2 x - 3.4 x^2 + 5.6 x^3 + 5 + eps,   eps ~ N(0, 0.1^2),
100 training and 100 test examples. A linear model y_hat = X w + b is fitted by minibatch SGD on
the squared loss l = (y_hat - y)^2 / 2 (lr 0.01, batch min(10, n), 100 epochs), and after each
epoch we record the training error and the test error (our estimate of the generalization error)
    mean_i (y_hat_i - y_i)^2 / 2   over the training / test set.
Three fits, as in the book:
* third-order ("normal"): features [x, x^2, x^3], the data's own model class;
* linear ("underfit"):    feature x only, too simple: the training error stays high;
* too few examples ("overfit"): features [x, x^2, x^3] but only 2 training examples: the
  training error is small, the test error much larger.
The closed-form reference is least squares on the same training data, [w; b] = argmin ||[X 1][w; b]
- y||^2 (numpy.linalg.lstsq; the minimum-norm solution when it is not unique), the smallest
training error any fit can reach.

k-fold cross-validation (select a model without touching the test set): split the training data
into k folds, train on k - 1 and validate on the remaining one, k times, and average; the helpers
get_k_fold_data and k_fold live in ch3.book.kfold (shared with 3.16) and are re-exported here.
"""
import time

import numpy as np
from mxnet import autograd, gluon, nd
from mxnet.gluon import loss as gloss, nn

from ch3.context import as_ctx_list
from ch3.book.kfold import get_k_fold_data, k_fold
from ch3.book.plotting import finish, semilogy
from ch3.harness.runs import Section
from ch3.book.training import check_finite, data_iter, linreg, sgd, squared_loss
from ch3.checks import check_int, check_training_args

__all__ = ['TRUE_W', 'TRUE_B', 'FITS', 'make_poly_data', 'book_fits', 'least_squares',
           'fit_scratch', 'fit_gluon', 'train_regression_gluon', 'fit_and_plot',
           'split_across_devices', 'cross_validate',
           'train_scratch', 'train_gluon', 'get_k_fold_data', 'k_fold', 'SECTIONS']

TRUE_W = [1.2, -3.4, 5.6]
TRUE_B = 5
NOISE = 0.1
FITS = ('normal', 'underfit', 'overfit')
QUICK_EPOCHS = 30   # normal fit near 1 (vs 44 underfit), overfit test ~100x its train loss


def make_poly_data(n_train=100, n_test=100, ctx=None):
    """3.11: x (n, 1) ~ N(0, 1), [x, x^2, x^3] (n, 3), labels (n,); n = n_train + n_test."""
    check_int('n_train', n_train, minimum=1)
    check_int('n_test', n_test, minimum=1)
    features = nd.random.normal(shape=(n_train + n_test, 1), ctx=ctx)
    poly_features = nd.concat(features, nd.power(features, 2), nd.power(features, 3))
    labels = nd.dot(poly_features, nd.array(TRUE_W, ctx=ctx)) + TRUE_B
    labels += nd.random.normal(scale=NOISE, shape=labels.shape, ctx=ctx)
    return features, poly_features, labels


def book_fits(features, poly_features, labels, n_train=100):
    """3.11: the book's three experiments as {fit: (train_X, test_X, train_y, test_y)}."""
    test = slice(n_train, None)
    return {
        'normal': (poly_features[:n_train], poly_features[test], labels[:n_train], labels[test]),
        'underfit': (features[:n_train], features[test], labels[:n_train], labels[test]),
        'overfit': (poly_features[0:2], poly_features[test], labels[0:2], labels[test]),
    }


def least_squares(train_features, train_labels):
    """3.11: closed-form least squares on (n, d) features -> (w list of d, b, training loss)."""
    X = np.asarray(_numpy(train_features), dtype=np.float64)
    y = np.asarray(_numpy(train_labels), dtype=np.float64).reshape(-1)
    A = np.hstack([X, np.ones((X.shape[0], 1))])
    solution = np.linalg.lstsq(A, y, rcond=None)[0]
    loss = float(np.mean((A @ solution - y) ** 2) / 2)
    return [float(v) for v in solution[:-1]], float(solution[-1]), loss


def _numpy(a):
    return a.asnumpy() if isinstance(a, nd.NDArray) else a


def _check_fit_data(train_features, test_features, train_labels, test_labels):
    if train_features.shape[0] != train_labels.shape[0]:
        raise ValueError('train_features and train_labels differ in length: %d vs %d'
                         % (train_features.shape[0], train_labels.shape[0]))
    if test_features.shape[0] != test_labels.shape[0]:
        raise ValueError('test_features and test_labels differ in length: %d vs %d'
                         % (test_features.shape[0], test_labels.shape[0]))
    if train_features.shape[1:] != test_features.shape[1:]:
        raise ValueError('train and test features differ in shape: %s vs %s'
                         % (train_features.shape, test_features.shape))


def _fit_result(history, w, b):
    return {'history': history,
            'train_loss': history[-1]['train_loss'] if history else None,
            'test_loss': history[-1]['test_loss'] if history else None,
            'w': [float(v) for v in w.asnumpy().ravel()],
            'b': float(b.asnumpy().ravel()[0])}


def _print_fit(result):
    print('final epoch: train loss', result['train_loss'], 'test loss', result['test_loss'])
    print('weight:', result['w'], '\nbias:', result['b'])


# ---------------------------------------------------------------------------- from scratch

def fit_scratch(train_features, test_features, train_labels, test_labels, num_epochs=100,
                lr=0.01, batch_size=10, ctx=None):
    """3.11 (from scratch): fit linreg on (n, d) features with sgd; returns curves, w (d,) and b.

    Runs on the first device of ctx. batch_size is capped at the number of training examples.
    """
    check_training_args(batch_size=batch_size, lr=lr, num_epochs=num_epochs)
    _check_fit_data(train_features, test_features, train_labels, test_labels)
    device = as_ctx_list(ctx)[0]
    train_features, test_features, train_labels, test_labels = (
        a.as_in_context(device) for a in (train_features, test_features, train_labels, test_labels))
    batch_size = min(batch_size, train_labels.shape[0])
    w = nd.random.normal(scale=0.01, shape=(train_features.shape[1], 1), ctx=device)
    b = nd.zeros(shape=(1,), ctx=device)
    for param in (w, b):
        param.attach_grad()
    history = []
    for epoch in range(1, num_epochs + 1):
        start = time.perf_counter()
        for X, y in data_iter(batch_size, train_features, train_labels):
            with autograd.record():
                l = squared_loss(linreg(X, w, b), y)
            l.backward()
            sgd([w, b], lr, y.shape[0])
        train_loss = squared_loss(linreg(train_features, w, b), train_labels).mean().asscalar()
        test_loss = squared_loss(linreg(test_features, w, b), test_labels).mean().asscalar()
        history.append({'epoch': epoch, 'train_loss': check_finite(train_loss, epoch, lr),
                        'test_loss': float(test_loss), 'seconds': time.perf_counter() - start})
    return _fit_result(history, w, b)


# ---------------------------------------------------------------------------- Gluon

def split_across_devices(X, y, contexts):
    """3.11/3.12: split a minibatch X (n, ...), y (n,) over the devices -> (Xs, ys, weights).

    weights are None for an ordinary split. A batch with fewer examples than devices (batch 1 in
    3.12) is padded with copies of its first example whose loss weight (k, 1) is 0: every device
    then runs backward, which Trainer.step requires, and the summed gradient is unchanged.
    """
    contexts = as_ctx_list(contexts)
    pad = len(contexts) - X.shape[0]
    if pad <= 0:
        if len(contexts) == 1:
            return [X.as_in_context(contexts[0])], [y.as_in_context(contexts[0])], [None]
        split = [gluon.utils.split_and_load(a, contexts, even_split=False) for a in (X, y)]
        return split[0], split[1], [None] * len(contexts)
    weights = nd.concat(nd.ones((X.shape[0], 1), ctx=X.context),
                        nd.zeros((pad, 1), ctx=X.context), dim=0)
    X = nd.concat(X, nd.repeat(X[0:1], repeats=pad, axis=0), dim=0)
    y = nd.concat(y, nd.repeat(y[0:1], repeats=pad, axis=0), dim=0)
    return tuple(gluon.utils.split_and_load(a, contexts, even_split=False)
                 for a in (X, y, weights))


def _mean_loss(net, loss_fn, features, labels):
    return loss_fn(net(features), labels).mean().asscalar()


def train_regression_gluon(net, loss_fn, trainers, data, num_epochs, batch_size, lr, contexts):
    """3.11, 3.12: the book's Gluon regression loop over data = (train X, test X, train y, test y)
    on contexts; every trainer steps after each batch; returns per-epoch train/test mean losses."""
    train_features, test_features, train_labels, test_labels = data
    history = []
    for epoch in range(1, num_epochs + 1):
        start = time.perf_counter()
        # data_iter yields the same shuffled minibatches as the book's DataLoader at a fraction
        # of its per-batch cost (which dominates with batches this small)
        for X, y in data_iter(batch_size, train_features, train_labels):
            Xs, ys, weights = split_across_devices(X, y, contexts)
            with autograd.record():
                losses = [loss_fn(net(Xp), yp, wp) for Xp, yp, wp in zip(Xs, ys, weights)]
            for l in losses:
                l.backward()
            for trainer in trainers:
                trainer.step(y.shape[0])
        train_loss = _mean_loss(net, loss_fn, train_features, train_labels)
        test_loss = _mean_loss(net, loss_fn, test_features, test_labels)
        history.append({'epoch': epoch, 'train_loss': check_finite(train_loss, epoch, lr),
                        'test_loss': float(test_loss), 'seconds': time.perf_counter() - start})
    return history


def fit_gluon(train_features, test_features, train_labels, test_labels, num_epochs=100, lr=0.01,
              batch_size=10, ctx=None):
    """3.11 (Gluon): fit nn.Dense(1) with L2Loss and an SGD Trainer; returns curves, w (d,), b."""
    check_training_args(batch_size=batch_size, lr=lr, num_epochs=num_epochs)
    _check_fit_data(train_features, test_features, train_labels, test_labels)
    contexts = as_ctx_list(ctx)
    train_features, test_features, train_labels, test_labels = (
        a.as_in_context(contexts[0])
        for a in (train_features, test_features, train_labels, test_labels))
    batch_size = min(batch_size, train_labels.shape[0])
    net = nn.HybridSequential()
    net.add(nn.Dense(1))
    net.initialize(ctx=contexts)   # the book's default init: weights U(-0.07, 0.07), bias 0
    net.hybridize(static_alloc=True)
    loss_fn = gloss.L2Loss()
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': lr})
    history = train_regression_gluon(net, loss_fn, [trainer], (train_features, test_features,
                                     train_labels, test_labels), num_epochs, batch_size, lr,
                                     contexts)
    dense = net[0]
    return _fit_result(history, dense.weight.data(contexts[0]), dense.bias.data(contexts[0]))


FIT_FUNCTIONS = {'scratch': fit_scratch, 'gluon': fit_gluon}


def _fit_function(impl):
    if impl not in FIT_FUNCTIONS:
        raise ValueError('impl must be one of %s, got %r' % (', '.join(FIT_FUNCTIONS), impl))
    return FIT_FUNCTIONS[impl]


def fit_and_plot(train_features, test_features, train_labels, test_labels, impl='gluon',
                 num_epochs=100, lr=0.01, batch_size=10, ctx=None, out=None, name='fit',
                 verbose=True):
    """3.11: the book's fit_and_plot: fit (n, d) features, plot both losses on a log scale.

    Returns the fit (history, train_loss, test_loss, w, b) plus 'figure' (a PNG path when out is
    given, else None; the figure is shown inline in a notebook either way).
    """
    result = _fit_function(impl)(train_features, test_features, train_labels, test_labels,
                                 num_epochs=num_epochs, lr=lr, batch_size=batch_size, ctx=ctx)
    epochs = [h['epoch'] for h in result['history']]
    fig = semilogy(epochs, [h['train_loss'] for h in result['history']], 'epochs', 'loss',
                   epochs, [h['test_loss'] for h in result['history']], ['train', 'test'],
                   title=name)
    result['figure'] = finish(fig, out, '%s.png' % name)
    if verbose:
        _print_fit(result)
    return result


def cross_validate(k, train_features, train_labels, impl='gluon', num_epochs=100, lr=0.01,
                   batch_size=10, ctx=None, verbose=True):
    """3.11: k-fold cross-validation of the fit on (n, d) features; ch3.book.kfold.k_fold's dict."""
    fit = _fit_function(impl)

    def train_fn(X_train, y_train, X_valid, y_valid):
        result = fit(X_train, X_valid, y_train, y_valid, num_epochs=num_epochs, lr=lr,
                     batch_size=batch_size, ctx=ctx)
        return ([h['train_loss'] for h in result['history']],
                [h['test_loss'] for h in result['history']])

    return k_fold(k, train_features, train_labels, train_fn, verbose=verbose, metric='loss')


# ---------------------------------------------------------------------------- section entry points

def _train(impl, ctx, quick, out, num_epochs, lr, batch_size, n_train, n_test, verbose):
    check_training_args(batch_size=batch_size, lr=lr, num_epochs=num_epochs)
    if quick:
        num_epochs = min(num_epochs, QUICK_EPOCHS)
    contexts = as_ctx_list(ctx)
    features, poly_features, labels = make_poly_data(n_train, n_test, ctx=contexts[0])
    history, final, figures = [], {}, []
    for fit, data in book_fits(features, poly_features, labels, n_train).items():
        if verbose:
            print('--- %s fit' % fit)
        result = fit_and_plot(*data, impl=impl, num_epochs=num_epochs, lr=lr,
                              batch_size=batch_size, ctx=contexts, out=out,
                              name='poly_%s_%s' % (fit, impl), verbose=verbose)
        history.extend(dict(h, fit=fit) for h in result['history'])
        lstsq_w, lstsq_b, lstsq_loss = least_squares(data[0], data[2])
        final[fit] = {'train_loss': result['train_loss'], 'test_loss': result['test_loss'],
                      'w': result['w'], 'b': result['b'], 'n_train': int(data[0].shape[0]),
                      'lstsq_w': lstsq_w, 'lstsq_b': lstsq_b, 'lstsq_train_loss': lstsq_loss}
        if result['figure']:
            figures.append(result['figure'])
    final.update(true_w=TRUE_W, true_b=TRUE_B)
    return {'hyperparameters': {'num_epochs': num_epochs, 'lr': lr, 'batch_size': batch_size,
                                'n_train': n_train, 'n_test': n_test},
            'history': history, 'final': final, 'figures': figures}


def train_scratch(ctx=None, quick=False, out=None, num_epochs=100, lr=0.01, batch_size=10,
                  n_train=100, n_test=100, verbose=True):
    """3.11 (from scratch): the three polynomial fits with linreg, squared_loss and sgd."""
    return _train('scratch', ctx, quick, out, num_epochs, lr, batch_size, n_train, n_test, verbose)


def train_gluon(ctx=None, quick=False, out=None, num_epochs=100, lr=0.01, batch_size=10,
                n_train=100, n_test=100, verbose=True):
    """3.11 (Gluon, the book's version): the three polynomial fits with nn.Dense(1) and L2Loss."""
    return _train('gluon', ctx, quick, out, num_epochs, lr, batch_size, n_train, n_test, verbose)


SECTIONS = [
    Section('3.11', 'Model selection, underfitting and overfitting (polynomial fitting)',
            {'scratch': train_scratch, 'gluon': train_gluon}, default_impl='gluon',
            book={'normal_w': [1.33, -3.36, 5.56], 'normal_b': 4.95,
                  'note': "the book's third-order fit after 100 epochs (true w [1.2, -3.4, 5.6], "
                          'b 5); its own data and seed differ from ours, so only the closeness '
                          'to the true weights is comparable'}),
]
