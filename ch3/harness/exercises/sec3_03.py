"""Exercises of 3.3 (linear regression with Gluon): loss(...).mean() with trainer.step(1), the
loss functions and initializers MXNet offers, and reading dense.weight.grad()."""
import inspect
import pydoc

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon, init, nd
from mxnet.gluon import loss as gloss, nn

from ch3.harness.exercises.base import Claim, ExerciseList, Outcome, first_ctx, fmt
from ch3.book import linear_regression as linreg_book
from ch3.book.training import data_iter
from ch3.utils import set_seed

EXERCISES = ExerciseList()


def _dense_net(ctx):
    net = nn.Dense(1)
    net.initialize(init.Normal(sigma=0.01), ctx=ctx)
    return net


def _train_variant(start_params, batches, reduce, step_size, lr, ctx):
    """3.3's loop from the same start over the same batches: the loss reduced by `reduce`
    ('sum' = the book's per-example vector, 'mean'), then trainer.step(step_size or batch)."""
    net = _dense_net(ctx)
    net(batches[0][0])   # create the parameters, then overwrite them with the shared start
    net.weight.set_data(start_params[0])
    net.bias.set_data(start_params[1])
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': lr})
    loss = gloss.L2Loss()
    for X, y in batches:
        with autograd.record():
            l = loss(net(X), y)
            if reduce == 'mean':
                l = l.mean()
        l.backward()
        trainer.step(step_size if step_size else y.shape[0])
    return net.weight.data().copy(), net.bias.data().copy()


@EXERCISES.add('3.3.1', 'If loss(net(X), y) becomes loss(net(X), y).mean(), why must '
               'trainer.step(batch_size) become trainer.step(1)?',
               '因为原始l所计算的损失是小批量地计算的，需要除以批量数才能获得平均损失，通过trainer.step告诉批量的大小。'
               '所以如果预先计算了评均损失，则trainer.step(1)即可。',
               'the original l is the per-example loss of the minibatch; it must be divided by '
               'the batch size to get the mean, and trainer.step is told that size; if the mean '
               'is taken beforehand, step(1) is enough')
def mean_and_step_one(ctx, quick, out, seed):
    device = first_ctx(ctx)[0]
    batch_size, lr, num_epochs = 10, 0.03, 1 if quick else 3
    set_seed(seed)
    features, labels = linreg_book.make_data(ctx=device)
    batches = [batch for _ in range(num_epochs)
               for batch in data_iter(batch_size, features, labels)]
    start = (nd.random.normal(scale=0.01, shape=(1, 2), ctx=device), nd.zeros((1,), ctx=device))
    book = _train_variant(start, batches, 'sum', batch_size, lr, device)
    mean_one = _train_variant(start, batches, 'mean', 1, lr, device)
    mean_batch = _train_variant(start, batches, 'mean', batch_size, lr, device)

    def diff(a, b):
        return max(float(nd.abs(a[i] - b[i]).max().asscalar()) for i in range(2))

    def loss_of(params):
        return float(((nd.dot(features, params[0].T).reshape(-1) + params[1] - labels) ** 2
                      / 2).mean().asscalar())
    # the first step alone: mean + step(batch_size) moves 1/batch_size as far as the book
    first = [_train_variant(start, batches[:1], r, s, lr, device)
             for r, s in (('sum', batch_size), ('mean', batch_size))]
    move = [float(nd.norm(p[0] - start[0]).asscalar()) for p in first]
    measured = {'max_abs_param_diff_mean_step1_vs_book': diff(book, mean_one),
                'loss_book': loss_of(book), 'loss_mean_step1': loss_of(mean_one),
                'loss_mean_step_batch_size': loss_of(mean_batch),
                'first_step_ratio_mean_step_batch_size': move[1] / move[0],
                'w_book': book[0].asnumpy().ravel().tolist(),
                'w_mean_step1': mean_one[0].asnumpy().ravel().tolist()}
    claims = [
        Claim('loss.mean() with step(1) trains exactly like the per-example loss with '
              'step(batch_size)', measured['max_abs_param_diff_mean_step1_vs_book'] < 1e-6,
              'after %d epoch(s) from the same start over the same batches the parameters differ '
              'by at most %s (w %s vs %s)'
              % (num_epochs, fmt(measured['max_abs_param_diff_mean_step1_vs_book']),
                 np.round(measured['w_book'], 5).tolist(),
                 np.round(measured['w_mean_step1'], 5).tolist())),
        Claim('step(n) divides the gradient by n, so the mean must not be divided again',
              abs(measured['first_step_ratio_mean_step_batch_size'] - 1 / batch_size) < 1e-4,
              'mean() with step(%d) moves the weights %s times as far as the book in one step, '
              'and ends at loss %s instead of %s'
              % (batch_size, fmt(measured['first_step_ratio_mean_step_batch_size']),
                 fmt(measured['loss_mean_step_batch_size']), fmt(measured['loss_book']))),
    ]
    return Outcome(measured, claims,
                   settings={'batch_size': batch_size, 'lr': lr, 'num_epochs': num_epochs},
                   answer='backward() of the per-example loss vector sums the gradients and '
                          'step(n) divides by n; mean() divides by n already, so step(1) gives '
                          'the same update (parameters differ by %s), while mean() with step(%d) '
                          'divides twice.'
                          % (fmt(measured['max_abs_param_diff_mean_step1_vs_book']), batch_size))


NOTES_LOSSES = ('Loss', 'L2Loss', 'L1Loss', 'SigmoidBinaryCrossEntropyLoss', 'SigmoidBCELoss',
                'SoftmaxCrossEntropyLoss', 'SoftmaxCELoss', 'KLDivLoss', 'CTCLoss', 'HuberLoss',
                'HingeLoss', 'SquaredHingeLoss', 'LogisticLoss', 'TripletLoss', 'PoissonNLLLoss',
                'CosineEmbeddingLoss', 'SDMLLoss')
NOTES_INITS = ('Bilinear', 'Constant', 'InitDesc', 'Initializer', 'LSTMBias', 'Load', 'MSRAPrelu',
               'Mixed', 'Normal', 'One', 'Orthogonal', 'Uniform', 'Xavier', 'Zero')


def _classes(module):
    return sorted(name for name, obj in vars(module).items()
                  if inspect.isclass(obj) and not name.startswith('_')
                  and obj.__module__.startswith('mxnet'))


@EXERCISES.add('3.3.2', 'Which loss functions and initialization methods do gluon.loss and init '
               'provide?',
               '（两张表）L2Loss: Calculates the mean squared error（均方误差）…；L1Loss: …mean '
               'absolute error（平均绝对误差）…；初始化：Bilinear, Constant, InitDesc, Initializer, '
               'LSTMBias, Load, MSRAPrelu, Mixed, Normal, One, Orthogonal, Uniform, Xavier, Zero',
               'two tables copied from the MXNet docs: 17 loss classes (L2Loss "the mean squared '
               'error", L1Loss "the mean absolute error", ...) and 14 initializers')
def losses_and_initializers(ctx, quick, out, seed):
    losses = [name for name in _classes(gloss)
              if issubclass(getattr(gloss, name), gloss.Loss)]
    inits = [name for name in _classes(mx.init) if name != 'NDArray']
    missing_losses = [n for n in NOTES_LOSSES if n not in losses]
    missing_inits = [n for n in NOTES_INITS if n not in inits]
    unlisted = sorted(set(losses) - set(NOTES_LOSSES)) + sorted(set(inits) - set(NOTES_INITS))
    set_seed(seed)
    pred, label = nd.random.normal(shape=(4, 3)), nd.random.normal(shape=(4, 3))
    l2 = gloss.L2Loss()(pred, label).asnumpy()
    l1 = gloss.L1Loss()(pred, label).asnumpy()
    mse = ((pred - label) ** 2).mean(axis=1).asnumpy()
    mae = nd.abs(pred - label).mean(axis=1).asnumpy()
    measured = {'mxnet_version': mx.__version__, 'losses': losses, 'initializers': inits,
                'notes_losses_missing': missing_losses, 'notes_inits_missing': missing_inits,
                'in_mxnet_not_in_notes': unlisted,
                'l2loss_over_mse': float(np.mean(l2 / mse)),
                'l1loss_over_mae': float(np.mean(l1 / mae))}
    claims = [
        Claim('the loss classes listed exist in gluon.loss', not missing_losses,
              'MXNet %s has all %d (missing: %s)' % (mx.__version__, len(NOTES_LOSSES),
                                                      ', '.join(missing_losses) or 'none')),
        Claim('the initializers listed exist in mxnet.init', not missing_inits,
              '%d of the %d found (missing: %s); in MXNet but not in the notes: %s'
              % (len(NOTES_INITS) - len(missing_inits), len(NOTES_INITS),
                 ', '.join(missing_inits) or 'none', ', '.join(unlisted) or 'none')),
        Claim('L2Loss is the mean squared error', abs(measured['l2loss_over_mse'] - 1) < 1e-5,
              'L2Loss / mean((pred - label)^2) = %s: it is half the squared error'
              % fmt(measured['l2loss_over_mse']), main=False),
        Claim('L1Loss is the mean absolute error', abs(measured['l1loss_over_mae'] - 1) < 1e-5,
              'L1Loss / mean|pred - label| = %s' % fmt(measured['l1loss_over_mae']), main=False),
    ]
    return Outcome(measured, claims, settings={'mxnet': mx.__version__},
                   answer='MXNet %s has %d loss classes and %d initializer names (%s); '
                          'L2Loss is %s x the mean squared error, i.e. (pred - label)^2 / 2, the '
                          "book's squared loss." % (mx.__version__, len(losses), len(inits),
                                                   'missing from the notes: %s'
                                                   % (', '.join(unlisted) or 'none'),
                                                   fmt(measured['l2loss_over_mse'])))


@EXERCISES.add('3.3.3', 'How do we access the gradient of dense.weight?',
               'dense.weight.grad()获得梯度，通过help(dense.weigth)获得帮助',
               'dense.weight.grad() gives the gradient; help(dense.weight) shows the help')
def weight_grad(ctx, quick, out, seed):
    device = first_ctx(ctx)[0]
    set_seed(seed)
    features, labels = linreg_book.make_data(ctx=device)
    X, y = features[:10], labels[:10]
    dense = _dense_net(device)
    with autograd.record():
        l = gloss.L2Loss()(dense(X), y)
    l.backward()
    grad = dense.weight.grad().asnumpy()
    # closed form: d/dw sum_i (x_i w + b - y_i)^2 / 2 = sum_i (x_i w + b - y_i) x_i
    w, b = dense.weight.data().asnumpy(), dense.bias.data().asnumpy()
    Xn, yn = X.asnumpy().astype(np.float64), y.asnumpy().astype(np.float64)
    residual = Xn @ w.T.astype(np.float64) + b - yn.reshape(-1, 1)
    expected = (residual * Xn).sum(axis=0, keepdims=True)
    error = float(np.abs(grad - expected).max() / np.abs(expected).max())
    doc = pydoc.render_doc(dense.weight, renderer=pydoc.plaintext)
    measured = {'grad': grad.ravel().tolist(), 'grad_shape': list(grad.shape),
                'weight_shape': list(dense.weight.shape), 'closed_form': expected.ravel().tolist(),
                'relative_error': error,
                'help_mentions_grad': 'def grad(' in doc or 'grad(self' in doc}
    claims = [
        Claim('dense.weight.grad() returns the gradient of the loss with respect to the weight',
              grad.shape == tuple(dense.weight.shape) and error < 1e-5,
              'grad() %s of shape %s; closed form sum_i (x_i w + b - y_i) x_i = %s; relative '
              'error %s' % (np.round(grad.ravel().astype(float), 4).tolist(), grad.shape,
                            np.round(expected.ravel(), 4).tolist(), fmt(error))),
        Claim('help(dense.weight) documents it', measured['help_mentions_grad'],
              'help(dense.weight) (a gluon Parameter, %d lines) %s grad()'
              % (doc.count('\n'), 'describes' if measured['help_mentions_grad']
                 else 'does not describe'),
              main=False),
    ]
    return Outcome(measured, claims, settings={'batch': 10},
                   answer='After backward, dense.weight.grad() holds the %s gradient (summed '
                          "over the batch for the book's per-example loss)." % (grad.shape,))
