"""The chapter's shared helpers, with d2lzh's names and call signatures: 3.2's data_iter, linreg,
squared_loss and sgd, and 3.6's evaluate_accuracy and train_ch3.

train_ch3 does the book's arithmetic: every step divides the summed gradient by the nominal
batch_size (so the last, smaller batch of an epoch takes a proportionally smaller step and every
example of an epoch weighs lr / batch_size); pass batch_size=None to divide each step by its
batch's real size instead. Two speed-ups leave that arithmetic alone: running sums stay on the
device and are read once per epoch (no per-batch host wait), and a hybridized Gluon net with a
Gluon loss is traced together with the batch's sums into one cached graph.
"""
import math
import random
import sys

from mxnet import autograd, gluon, nd

from ch3.context import as_ctx_list, split_batch
from ch3.utils import Timer
from ch3.checks import check_int, check_positive_float, check_training_args


class TrainingDiverged(RuntimeError):
    """Raised when the training loss becomes NaN or infinite."""


def data_iter(batch_size, features, labels):
    """3.2: yield random minibatches (features[idx], labels[idx]); the last batch may be smaller."""
    check_int('batch_size', batch_size, minimum=1)
    num_examples = len(features)
    if len(labels) != num_examples:
        raise ValueError('features and labels differ in length: %d vs %d'
                         % (num_examples, len(labels)))
    indices = list(range(num_examples))
    random.shuffle(indices)
    for i in range(0, num_examples, batch_size):
        j = nd.array(indices[i: min(i + batch_size, num_examples)], ctx=features.context)
        yield features.take(j), labels.take(j)


def linreg(X, w, b):
    """3.2: the linear model y_hat = Xw + b; X (n, d), w (d, 1), b (1,) -> (n, 1)."""
    return nd.dot(X, w) + b


def squared_loss(y_hat, y):
    """3.2: per-example loss (y_hat - y)^2 / 2; y is reshaped to y_hat's (n, 1) so no broadcasting."""
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params, lr, batch_size):
    """3.2: minibatch SGD in place, param <- param - lr * param.grad / batch_size."""
    for param in params:
        # Rounded as the book's d2lzh.sgd (lr * grad, then / batch_size), so both leave
        # bit-identical parameters; sgd_update's lr * (grad / batch_size) differed by an ulp.
        # In place with one temporary: as fast as the fused update.
        step = param.grad * lr
        step /= batch_size
        param -= step


def gluon_step(net, loss, trainer, X, y, batch_size, ctx=None):
    """3.3: one minibatch step with Gluon: record loss(net(X), y), backward, trainer.step(batch_size);
    with several devices in ctx the batch is split across them first."""
    Xs, ys = split_batch(X, y, as_ctx_list(ctx))
    with autograd.record():
        ls = [loss(net(X_part), y_part) for X_part, y_part in zip(Xs, ys)]
    for l in ls:
        l.backward()
    trainer.step(batch_size)


def check_finite(loss, epoch, lr):
    """Return loss as float, or raise TrainingDiverged naming the epoch when it is NaN or infinite."""
    loss = float(loss)
    if not math.isfinite(loss):
        raise TrainingDiverged('training diverged in epoch %d: the loss became %s; try a smaller '
                               'learning rate (lr=%s)' % (epoch, loss, lr))
    return loss


def _accuracy_sum(y_hat, y):
    """Number of correct predictions in a batch, kept as a 1-element NDArray (no host sync)."""
    return (y_hat.argmax(axis=1) == y.astype('float32')).sum()


def _loss_and_correct(net, loss, X, y):
    """A batch's loss sum and number of correct predictions, op by op (any net and loss)."""
    y_hat = net(X)
    return loss(y_hat, y).sum(), _accuracy_sum(y_hat, y)


def _ones_like(array, cache):
    """An array of ones like `array`, reused from `cache` while shape, dtype and device match."""
    key = (array.shape, array.dtype, array.context)
    if key not in cache:
        cache[key] = nd.ones(array.shape, ctx=array.context, dtype=array.dtype)
    return cache[key]


class _FusedStep(gluon.HybridBlock):
    """net, loss, and the batch's loss sum and correct count, traced as one hybridized graph."""

    def __init__(self, net, loss):
        super().__init__(prefix='fused_step_')
        self.net, self.loss = net, loss

    def hybrid_forward(self, F, X, y):
        y_hat = self.net(X)
        correct = (F.argmax(y_hat, axis=1) == F.cast(y, 'float32')).sum()
        return self.loss(y_hat, y).sum(), correct


def _fused_step(net, loss):
    """A _FusedStep when net is a hybridized HybridBlock and loss a Gluon loss, else None.

    The net is re-hybridized with its own flags (hybridizing a parent also sets its children),
    so a net the caller left imperative stays imperative and this path is not taken for it.
    """
    if not (isinstance(net, gluon.HybridBlock) and getattr(net, '_active', False)
            and isinstance(loss, gluon.HybridBlock)):
        return None
    step = _FusedStep(net, loss)
    step.hybridize(**dict(getattr(net, '_flags', ())))
    return step


def evaluate_accuracy(data_iter, net, ctx=None):
    """3.6: fraction of examples in data_iter that net classifies correctly (ctx: one or a list)."""
    contexts = as_ctx_list(ctx)
    correct, n = nd.zeros((1,), ctx=contexts[0]), 0
    for X, y in data_iter:
        Xs, ys = split_batch(X, y, contexts)
        for X_part, y_part in zip(Xs, ys):
            correct += _accuracy_sum(net(X_part), y_part).as_in_context(contexts[0])
        n += y.shape[0]
    if n == 0:
        raise ValueError('evaluate_accuracy got an empty data iterator')
    return float(correct.asscalar()) / n   # a Python float on numpy 1 and 2 alike


def _progress(iterable, enabled, desc):
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return iterable
    from tqdm import tqdm
    total = len(iterable) if hasattr(iterable, '__len__') else None
    return tqdm(iterable, total=total, desc=desc, leave=False, unit='batch')


class History(list):
    """train_ch3's per-epoch dicts; shown as one line, so a notebook cell ending in the book's
    `d2l.train_ch3(...)` does not echo every epoch again under the printed lines."""

    def __repr__(self):
        if not self:
            return 'History([])'
        last = self[-1]
        return ('History(%d epochs; last: loss %.4f, train acc %.3f, test acc %.3f)'
                % (len(self), last['loss'], last['train_acc'], last['test_acc']))


def train_ch3(net, train_iter, test_iter, loss, num_epochs, batch_size,
              params=None, lr=None, trainer=None, ctx=None, verbose=True, progress=None):
    """3.6: train a classifier, print the book's per-epoch line and return the history.

    net maps a batch (n, ...) to logits (n, classes). Either `params` + `lr` (from-scratch `sgd`) or
    a Gluon `trainer`; each step divides by batch_size (None: by the batch's real size). `ctx` may
    be a list: each batch is split across the devices and the trainer sums their gradients.
    Returns a list of per-epoch dicts (loss, train_acc, test_acc, seconds, examples_per_sec).
    """
    check_training_args(batch_size=batch_size, num_epochs=num_epochs)
    if trainer is None and (params is None or lr is None):
        raise ValueError('train_ch3 needs either a trainer or both params and lr')
    check_positive_float('lr', lr if trainer is None else trainer.learning_rate)
    contexts = as_ctx_list(ctx)
    if trainer is None and len(contexts) > 1:
        raise ValueError('from-scratch params live on one device; pass one ctx, or use a Gluon '
                         'net with a Trainer for data-parallel training on %s' % contexts)
    fused = _fused_step(net, loss)
    head_grads = {}   # per device: d(loss sum)/d(loss sum) = 1, made once, not once per batch
    history = History()
    for epoch in range(1, num_epochs + 1):
        timer = Timer()
        loss_sum = nd.zeros((1,), ctx=contexts[0])
        correct = nd.zeros((1,), ctx=contexts[0])
        n = 0
        for X, y in _progress(train_iter, progress, 'epoch %d' % epoch):
            Xs, ys = split_batch(X, y, contexts)
            with autograd.record():   # per device: (loss sum, number correct)
                sums = [fused(X_part, y_part) if fused is not None
                        else _loss_and_correct(net, loss, X_part, y_part)
                        for X_part, y_part in zip(Xs, ys)]
            for part_loss, _ in sums:
                part_loss.backward(_ones_like(part_loss, head_grads))
            batch = y.shape[0]
            step_size = batch_size or batch   # the book's nominal size, or (None) the real one
            if trainer is None:
                sgd(params, lr, step_size)
            else:
                trainer.step(step_size)
            for part_loss, part_correct in sums:
                loss_sum += part_loss.as_in_context(contexts[0])
                correct += part_correct.as_in_context(contexts[0])
            n += batch
        if n == 0:
            raise ValueError('train_ch3 got an empty training iterator')
        train_loss = check_finite(loss_sum.asscalar() / n, epoch,
                                  lr if trainer is None else trainer.learning_rate)
        train_acc = correct.asscalar() / n
        test_acc = evaluate_accuracy(test_iter, net, contexts)
        seconds = timer.stop()
        history.append({'epoch': epoch, 'loss': float(train_loss), 'train_acc': float(train_acc),
                        'test_acc': float(test_acc), 'seconds': seconds,
                        'examples_per_sec': n / seconds})
        if verbose:
            print('epoch %d, loss %.4f, train acc %.3f, test acc %.3f'
                  % (epoch, train_loss, train_acc, test_acc))
    return history
