"""Sections 3.1-3.3: linear regression, from scratch (3.2) and with Gluon (3.3).

Model  y_hat = X w + b,  loss  l = (y_hat - y)^2 / 2,  minibatch SGD
    (w, b) <- (w, b) - lr / |B| * sum_{i in B} grad l_i.
"""
import time

import mxnet as mx
from mxnet import autograd, gluon, init, nd
from mxnet.gluon import loss as gloss, nn

from ch3.context import as_ctx_list, single_ctx
from ch3.data.synthetic import synthetic_linear_data
from ch3.book.plotting import finish, new_figure
from ch3.harness.runs import Section
from ch3.book.training import check_finite, data_iter, linreg, sgd, squared_loss
from ch3.checks import check_training_args

TRUE_W = [2, -3.4]
TRUE_B = 4.2


def vectorization_speed(n=1000, repeats=3):
    """3.1: time adding two n-vectors element by element vs one vectorized add; returns seconds."""
    a, b = nd.ones(shape=n), nd.ones(shape=n)
    loop, vector = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        c = nd.zeros(shape=n)
        for i in range(n):
            c[i] = a[i] + b[i]
        c.wait_to_read()
        loop.append(time.perf_counter() - start)
        start = time.perf_counter()
        d = a + b
        d.wait_to_read()
        vector.append(time.perf_counter() - start)
    loop_s, vector_s = min(loop), min(vector)
    return {'n': n, 'loop_seconds': loop_s, 'vector_seconds': vector_s,
            'speedup': loop_s / vector_s}


def make_data(num_examples=1000, ctx=None):
    """3.2: the book's data set, 1000 x 2 features, labels = X [2, -3.4] + 4.2 + N(0, 0.01^2)."""
    return synthetic_linear_data(TRUE_W, TRUE_B, num_examples, noise=0.01, ctx=ctx)


def scatter_figure(features, labels):
    """3.2: scatter plot of the second feature against the labels."""
    fig, ax = new_figure()
    ax.scatter(features[:, 1].asnumpy(), labels.asnumpy(), 1)
    ax.set_xlabel('feature 2')
    ax.set_ylabel('label')
    return fig


def _result(hyperparameters, history, w, b, figures):
    return {'hyperparameters': hyperparameters, 'history': history,
            'final': {'loss': history[-1]['loss'] if history else None,
                      'w': [float(v) for v in w.asnumpy().ravel()],
                      'b': [float(v) for v in b.asnumpy().ravel()],
                      'true_w': TRUE_W, 'true_b': TRUE_B},
            'figures': figures}


def _epoch_line(epoch, loss, verbose):
    if verbose:
        print('epoch %d, loss %f' % (epoch, loss))


def train_scratch(ctx=None, quick=False, out=None, num_epochs=3, batch_size=10, lr=0.03,
                  num_examples=1000, verbose=True):
    """3.2: linear regression with data_iter, linreg, squared_loss and sgd; returns the history.

    `quick` changes nothing: the full run (3 epochs over 1000 examples) already takes a second.
    """
    check_training_args(batch_size=batch_size, lr=lr, num_epochs=num_epochs)
    device = single_ctx(ctx, 'linear regression from scratch')
    features, labels = make_data(num_examples, ctx=device)
    figures = [finish(scatter_figure(features, labels), out, 'linreg_scatter.png')] if out else []
    w = nd.random.normal(scale=0.01, shape=(features.shape[1], 1), ctx=device)
    b = nd.zeros(shape=(1,), ctx=device)
    for param in (w, b):
        param.attach_grad()
    history = []
    for epoch in range(1, num_epochs + 1):
        start = time.perf_counter()
        for X, y in data_iter(batch_size, features, labels):
            with autograd.record():
                l = squared_loss(linreg(X, w, b), y)
            l.backward()              # l is a vector: backward sums it, so grads are batch sums
            sgd([w, b], lr, y.shape[0])   # divide by the real batch size (the last may be smaller)
        loss = check_finite(squared_loss(linreg(features, w, b), labels).mean().asscalar(),
                            epoch, lr)
        history.append({'epoch': epoch, 'loss': loss, 'seconds': time.perf_counter() - start})
        _epoch_line(epoch, loss, verbose)
    if verbose:
        print('true_w', TRUE_W, 'learned w', w.asnumpy().ravel().tolist())
        print('true_b', TRUE_B, 'learned b', b.asscalar())
    return _result({'num_epochs': num_epochs, 'batch_size': batch_size, 'lr': lr,
                    'num_examples': num_examples}, history, w, b, [f for f in figures if f])


def train_gluon(ctx=None, quick=False, out=None, num_epochs=3, batch_size=10, lr=0.03,
                num_examples=1000, verbose=True):
    """3.3: the same model with ArrayDataset/DataLoader, nn.Dense(1), L2Loss and a Trainer."""
    check_training_args(batch_size=batch_size, lr=lr, num_epochs=num_epochs)
    contexts = as_ctx_list(ctx)
    features, labels = make_data(num_examples, ctx=contexts[0])
    loader = gluon.data.DataLoader(gluon.data.ArrayDataset(features, labels),
                                   batch_size, shuffle=True)
    net = nn.HybridSequential()
    net.add(nn.Dense(1))
    net.initialize(init.Normal(sigma=0.01), ctx=contexts)
    net.hybridize(static_alloc=True)
    loss_fn = gloss.L2Loss()   # (y_hat - y)^2 / 2, the same as squared_loss
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': lr})
    history = []
    for epoch in range(1, num_epochs + 1):
        start = time.perf_counter()
        for X, y in loader:
            Xs = gluon.utils.split_and_load(X, contexts, even_split=False)
            ys = gluon.utils.split_and_load(y, contexts, even_split=False)
            with autograd.record():
                losses = [loss_fn(net(Xp), yp) for Xp, yp in zip(Xs, ys)]
            for l in losses:
                l.backward()
            trainer.step(y.shape[0])
        loss = check_finite(loss_fn(net(features), labels).mean().asscalar(), epoch, lr)
        history.append({'epoch': epoch, 'loss': loss, 'seconds': time.perf_counter() - start})
        _epoch_line(epoch, loss, verbose)
    dense = net[0]
    if verbose:
        print('true_w', TRUE_W, 'learned w', dense.weight.data(contexts[0]).asnumpy().ravel().tolist())
        print('true_b', TRUE_B, 'learned b', dense.bias.data(contexts[0]).asscalar())
    return _result({'num_epochs': num_epochs, 'batch_size': batch_size, 'lr': lr,
                    'num_examples': num_examples}, history, dense.weight.data(contexts[0]),
                   dense.bias.data(contexts[0]), [])


def run_vectorization(ctx=None, quick=False, out=None, n=1000):
    """3.1: the vectorization demo as a section result (quick: one timing instead of best of 3)."""
    timing = vectorization_speed(n=n, repeats=1 if quick else 3)
    return {'hyperparameters': {'n': n}, 'history': [], 'final': timing, 'figures': []}


SECTIONS = [
    Section('3.1', 'Linear regression: vectorized vs element-wise addition',
            {'scratch': run_vectorization},
            book={'note': 'the book times 1000 scalar additions in a Python loop against one '
                          'vectorized add and finds the latter orders of magnitude faster'}),
    Section('3.2', 'Linear regression from scratch', {'scratch': train_scratch, 'gluon': train_gluon},
            default_impl='scratch',
            book={'loss': 4.9e-05, 'note': 'book prints epoch 3, loss 0.000049'}),
    Section('3.3', 'Concise linear regression (Gluon)',
            {'scratch': train_scratch, 'gluon': train_gluon}, default_impl='gluon',
            book={'loss': 4.8e-05}),
]
