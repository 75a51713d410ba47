"""Section 3.12: weight decay (L2 regularization), from scratch and with Gluon.

Minimize the mean squared loss plus an L2 penalty on the weights (not the bias):
    (1/n) sum_i (x_i w + b - y_i)^2 / 2  +  (lambd / 2) ||w||^2,
so minibatch SGD becomes
    w <- (1 - lr * lambd) w - lr / |B| * sum_{i in B} x_i^T (x_i w + b - y_i),
    b <- b - lr / |B| * sum_{i in B} (x_i w + b - y_i):
the weights first shrink by the factor 1 - lr * lambd ("decay"), then take the usual step. (The
book's text writes the penalty as lambd / (2n) ||w||^2; its code and its update rule use
lambd / 2 on the mean loss, as here.) From scratch the penalty l2_penalty(w) = ||w||^2 / 2 is
added to each example's loss; in Gluon the Trainer's `wd` applies the decay to the weights only.

High-dimensional linear regression that overfits: 20 training and 100 test examples, 200 inputs,
    y = 0.05 + sum_j 0.01 x_j + eps,   eps ~ N(0, 0.01^2),
batch 1, 100 epochs, lr 0.003, lambd = 0 against lambd = 3.

Closed forms for where SGD should end: for lambd > 0 the ridge solution of
    (A^T A / n + lambd D) [w; b] = A^T y / n,   A = [X 1], D = diag(1, ..., 1, 0);
for lambd = 0 (n < d, infinitely many interpolating solutions) SGD only moves within the span of
the training examples, so it ends at the least-squares solution nearest to its initial [w0; b0]:
    [w; b] = [w0; b0] + pinv(A) (y - A [w0; b0]).
SGD with lambd = 0 reaches that point to float32 precision. With lambd = 3, batch 1 and a constant
lr it only reaches a noise ball around the ridge solution (measured ||w - w_ridge|| ~ 0.03 at
||w_ridge|| ~ 0.03), and after 100 epochs b is still on its way (its direction is the slowest).
"""
import math
import numbers
import time

import numpy as np
from mxnet import autograd, gluon, init, nd
from mxnet.gluon import loss as gloss, nn

from ch3.context import as_ctx_list
from ch3.data.synthetic import synthetic_linear_data
from ch3.book.plotting import finish, semilogy
from ch3.harness.runs import Section
from ch3.harness.runs.model_selection import train_regression_gluon
from ch3.book.training import check_finite, data_iter, linreg, sgd, squared_loss
from ch3.checks import check_int, check_training_args

TRUE_W_VALUE = 0.01
TRUE_B = 0.05
NOISE = 0.01
QUICK_EPOCHS = 10   # lambd = 3 already has ||w|| ~ 1/5 of lambd = 0's and a 20x lower test loss


def make_data(n_train=20, n_test=100, num_inputs=200, ctx=None):
    """3.12: (train_features (n_train, d), test_features (n_test, d), train_labels, test_labels)."""
    check_int('n_train', n_train, minimum=1)
    check_int('n_test', n_test, minimum=1)
    check_int('num_inputs', num_inputs, minimum=1)
    features, labels = synthetic_linear_data([TRUE_W_VALUE] * num_inputs, TRUE_B,
                                             n_train + n_test, noise=NOISE, ctx=ctx)
    return features[:n_train], features[n_train:], labels[:n_train], labels[n_train:]


def check_lambd(lambd, name='lambd'):
    """Return lambd as float if it is a finite number >= 0, else raise ValueError naming it."""
    if isinstance(lambd, bool) or not isinstance(lambd, numbers.Real) or not math.isfinite(lambd) \
            or lambd < 0:
        raise ValueError('%s must be a finite number >= 0 (0 turns weight decay off), got %r'
                         % (name, lambd))
    return float(lambd)


def lambd_key(lambd):
    """The key of one run in `final`, e.g. 'lambd=3'."""
    return 'lambd=%g' % lambd


def weight_decay_solution(train_features, train_labels, lambd, w0=None, b0=0.0):
    """3.12: closed-form end point of SGD on the penalized loss -> (w (d,), b), in float64.

    Ridge regression (bias not penalized) for lambd > 0; for lambd = 0 the least-squares solution
    nearest to the initial (w0 (d,), b0), which is where SGD from that start converges.
    """
    lambd = check_lambd(lambd)
    X = np.asarray(_numpy(train_features), dtype=np.float64)
    y = np.asarray(_numpy(train_labels), dtype=np.float64).reshape(-1)
    n, d = X.shape
    A = np.hstack([X, np.ones((n, 1))])
    if lambd > 0:
        penalty = np.diag(np.r_[np.full(d, lambd), 0.0])
        theta = np.linalg.solve(A.T @ A / n + penalty, A.T @ y / n)
    else:
        if w0 is None:
            raise ValueError('with lambd=0 the solution depends on where SGD starts: pass the '
                             'initial weights w0 (and b0)')
        theta0 = np.r_[np.asarray(_numpy(w0), dtype=np.float64).reshape(-1), float(b0)]
        theta = theta0 + np.linalg.pinv(A) @ (y - A @ theta0)
    return theta[:-1], float(theta[-1])


def _numpy(a):
    return a.asnumpy() if isinstance(a, nd.NDArray) else a


def _check_data(data):
    if len(data) != 4:
        raise ValueError('data must be (train_features, test_features, train_labels, '
                         'test_labels) as returned by make_data, got %d items' % len(data))
    return data


def _fit_result(lambd, history, w, b, w0, b0):
    w = w.asnumpy().ravel()
    return {'lambd': lambd, 'history': history,
            'train_loss': history[-1]['train_loss'] if history else None,
            'test_loss': history[-1]['test_loss'] if history else None,
            'w_norm': float(np.linalg.norm(w)), 'w': [float(v) for v in w],
            'b': float(b.asnumpy().ravel()[0]),
            'w0': [float(v) for v in w0.asnumpy().ravel()], 'b0': float(b0.asnumpy().ravel()[0])}


# ---------------------------------------------------------------------------- from scratch

def init_params(num_inputs=200, ctx=None):
    """3.12: [w (num_inputs, 1) ~ N(0, 1), b (1,) = 0], gradients attached."""
    w = nd.random.normal(scale=1, shape=(num_inputs, 1), ctx=ctx)
    b = nd.zeros(shape=(1,), ctx=ctx)
    for param in (w, b):
        param.attach_grad()
    return [w, b]


def l2_penalty(w):
    """3.12: the L2 norm penalty ||w||^2 / 2 of w (d, 1) -> (1,)."""
    return (w ** 2).sum() / 2


def fit_scratch(lambd, data, num_epochs=100, lr=0.003, batch_size=1, ctx=None, params=None):
    """3.12 (from scratch): fit linreg with loss + lambd * l2_penalty(w); curves, ||w||, w, b.

    data is make_data's 4-tuple; params an optional initial [w (d, 1), b (1,)] (copied). Runs on
    the first device of ctx.
    """
    lambd = check_lambd(lambd)
    check_training_args(batch_size=batch_size, lr=lr, num_epochs=num_epochs)
    device = as_ctx_list(ctx)[0]
    train_features, test_features, train_labels, test_labels = (
        a.as_in_context(device) for a in _check_data(data))
    if params is None:
        w, b = init_params(train_features.shape[1], ctx=device)
    else:
        w, b = (p.copyto(device) for p in params)
        for param in (w, b):
            param.attach_grad()
    w0, b0 = w.copy(), b.copy()
    history = []
    for epoch in range(1, num_epochs + 1):
        start = time.perf_counter()
        for X, y in data_iter(batch_size, train_features, train_labels):
            with autograd.record():
                # the penalty is added to every example's loss, so after sgd's division by the
                # batch size the update carries exactly lambd * w
                l = squared_loss(linreg(X, w, b), y) + lambd * l2_penalty(w)
            l.backward()
            sgd([w, b], lr, y.shape[0])
        train_loss = squared_loss(linreg(train_features, w, b), train_labels).mean().asscalar()
        test_loss = squared_loss(linreg(test_features, w, b), test_labels).mean().asscalar()
        history.append({'epoch': epoch, 'train_loss': check_finite(train_loss, epoch, lr),
                        'test_loss': float(test_loss), 'seconds': time.perf_counter() - start})
    return _fit_result(lambd, history, w, b, w0, b0)


# ---------------------------------------------------------------------------- Gluon

def gluon_net_and_trainers(num_inputs, wd, lr=0.003, ctx=None):
    """3.12 (Gluon): nn.Dense(1), w ~ N(0, 1); SGD Trainers [weights with wd, bias without]."""
    wd = check_lambd(wd, 'wd')
    net = nn.HybridSequential()
    net.add(nn.Dense(1, in_units=num_inputs))
    net.initialize(init.Normal(sigma=1), ctx=as_ctx_list(ctx))   # the bias keeps its zeros init
    net.hybridize(static_alloc=True)
    trainer_w = gluon.Trainer(net.collect_params('.*weight'), 'sgd',
                              {'learning_rate': lr, 'wd': wd})
    trainer_b = gluon.Trainer(net.collect_params('.*bias'), 'sgd', {'learning_rate': lr})
    return net, [trainer_w, trainer_b]


def fit_gluon(wd, data, num_epochs=100, lr=0.003, batch_size=1, ctx=None):
    """3.12 (Gluon): fit nn.Dense(1), L2Loss, weight decay wd on w only; curves, ||w||, w, b."""
    wd = check_lambd(wd, 'wd')
    check_training_args(batch_size=batch_size, lr=lr, num_epochs=num_epochs)
    contexts = as_ctx_list(ctx)
    train_features, test_features, train_labels, test_labels = (
        a.as_in_context(contexts[0]) for a in _check_data(data))
    net, trainers = gluon_net_and_trainers(train_features.shape[1], wd, lr, contexts)
    dense = net[0]
    w0, b0 = dense.weight.data(contexts[0]).copy(), dense.bias.data(contexts[0]).copy()
    # trainers: one decays the weights, the other steps the bias plainly
    history = train_regression_gluon(net, gloss.L2Loss(), trainers, (train_features, test_features,
                                     train_labels, test_labels), num_epochs, batch_size, lr,
                                     contexts)
    return _fit_result(wd, history, dense.weight.data(contexts[0]), dense.bias.data(contexts[0]),
                       w0, b0)


FIT_FUNCTIONS = {'scratch': fit_scratch, 'gluon': fit_gluon}


def fit_and_plot(lambd, data=None, impl='scratch', num_epochs=100, lr=0.003, batch_size=1,
                 ctx=None, out=None, name=None, verbose=True):
    """3.12: the book's fit_and_plot(lambd) / fit_and_plot_gluon(wd) for one lambd.

    data defaults to a fresh make_data(); pass one data set to compare several lambd. Returns the
    fit (history, train_loss, test_loss, w_norm, w, b, w0, b0) plus 'figure' (PNG path or None).
    """
    if impl not in FIT_FUNCTIONS:
        raise ValueError('impl must be one of %s, got %r' % (', '.join(FIT_FUNCTIONS), impl))
    contexts = as_ctx_list(ctx)
    data = make_data(ctx=contexts[0]) if data is None else data
    result = FIT_FUNCTIONS[impl](lambd, data, num_epochs=num_epochs, lr=lr,
                                 batch_size=batch_size, ctx=contexts)
    epochs = [h['epoch'] for h in result['history']]
    name = name or 'weight_decay_%s_lambd%g' % (impl, lambd)
    fig = semilogy(epochs, [h['train_loss'] for h in result['history']], 'epochs', 'loss',
                   epochs, [h['test_loss'] for h in result['history']], ['train', 'test'],
                   title='lambd = %g' % lambd)
    result['figure'] = finish(fig, out, '%s.png' % name)
    if verbose:
        print('lambd %g: final train loss %f, test loss %f' % (lambd, result['train_loss'],
                                                               result['test_loss']))
        print('L2 norm of w:', result['w_norm'])
    return result


def _closed_form_check(result, data):
    w, b = weight_decay_solution(data[0], data[2], result['lambd'], result['w0'], result['b0'])
    test_residual = _numpy(data[1]).astype(np.float64) @ w + b - _numpy(data[3]).reshape(-1)
    return {'closed_form_w_norm': float(np.linalg.norm(w)), 'closed_form_b': b,
            'closed_form_test_loss': float(np.mean(test_residual ** 2) / 2),
            'distance_to_closed_form': float(np.linalg.norm(np.asarray(result['w']) - w))}


# ---------------------------------------------------------------------------- section entry points

def _train(impl, ctx, quick, out, lambdas, num_epochs, lr, batch_size, n_train, n_test, num_inputs,
           verbose):
    check_training_args(batch_size=batch_size, lr=lr, num_epochs=num_epochs)
    if isinstance(lambdas, (str, bytes)) or not hasattr(lambdas, '__iter__'):
        raise ValueError('lambdas must be a list of weight-decay strengths such as (0, 3), got %r'
                         % (lambdas,))
    lambdas = [check_lambd(v) for v in lambdas]
    if not lambdas:
        raise ValueError('lambdas is empty: give at least one weight-decay strength, e.g. (0, 3)')
    if quick:
        num_epochs = min(num_epochs, QUICK_EPOCHS)
    contexts = as_ctx_list(ctx)
    data = make_data(n_train, n_test, num_inputs, ctx=contexts[0])
    history, final, figures = [], {}, []
    for lambd in lambdas:
        result = fit_and_plot(lambd, data, impl=impl, num_epochs=num_epochs, lr=lr,
                              batch_size=batch_size, ctx=contexts, out=out, verbose=verbose)
        history.extend(dict(h, lambd=lambd) for h in result['history'])
        final[lambd_key(lambd)] = dict({key: result[key] for key in
                                        ('lambd', 'train_loss', 'test_loss', 'w_norm', 'b')},
                                       **_closed_form_check(result, data))
        if result['figure']:
            figures.append(result['figure'])
    final.update(true_w_norm=TRUE_W_VALUE * math.sqrt(num_inputs), true_b=TRUE_B)
    return {'hyperparameters': {'lambdas': lambdas, 'num_epochs': num_epochs, 'lr': lr,
                                'batch_size': batch_size, 'n_train': n_train, 'n_test': n_test,
                                'num_inputs': num_inputs},
            'history': history, 'final': final, 'figures': figures}


def train_scratch(ctx=None, quick=False, out=None, lambdas=(0, 3), num_epochs=100, lr=0.003,
                  batch_size=1, n_train=20, n_test=100, num_inputs=200, verbose=True):
    """3.12 (from scratch): fit_scratch for each lambd in lambdas on one data set."""
    return _train('scratch', ctx, quick, out, lambdas, num_epochs, lr, batch_size, n_train, n_test,
                  num_inputs, verbose)


def train_gluon(ctx=None, quick=False, out=None, lambdas=(0, 3), num_epochs=100, lr=0.003,
                batch_size=1, n_train=20, n_test=100, num_inputs=200, verbose=True):
    """3.12 (Gluon): fit_gluon with wd = lambd for each lambd in lambdas on one data set."""
    return _train('gluon', ctx, quick, out, lambdas, num_epochs, lr, batch_size, n_train, n_test,
                  num_inputs, verbose)


SECTIONS = [
    Section('3.12', 'Weight decay', {'scratch': train_scratch, 'gluon': train_gluon},
            default_impl='scratch',
            book={'note': 'the book shows lambd = 0 overfitting (training loss far below the test '
                          'loss, ||w|| of order 10) and lambd = 3 with ||w|| of order 0.01-0.1 '
                          'and a lower test loss'}),
]
