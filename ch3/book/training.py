"""The chapter's shared helpers, with d2lzh's names and call signatures: 3.2's data_iter, linreg,
squared_loss and sgd, and 3.6's evaluate_accuracy and train_ch3.

train_ch3 is the book's loop. Its running sums stay on the device and are read once per epoch
(no per-batch host wait); the first batch is checked once (labels and outputs fit a classifier),
and each epoch's loss is checked for divergence (`check_diverged`). Training on several devices is
the harness's (ch3.harness.training).
"""
import math
import random
import time

from mxnet import autograd, nd

from ch3.checks import (check_classifier_batch, check_int, check_positive_float,
                        check_training_args)


class TrainingDiverged(RuntimeError):
    """Raised when the training loss becomes NaN or infinite or explodes far above its start."""


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


DIVERGENCE_FACTOR = 1e3   # a loss this many times its start has exploded, not just wobbled


def check_diverged(loss, start, epoch, lr):
    """Return loss as a float, or raise TrainingDiverged when it is NaN or infinite or more than
    DIVERGENCE_FACTOR times `start` (the loss before or at the first step)."""
    loss = float(loss)
    if not math.isfinite(loss) or (start is not None and loss > DIVERGENCE_FACTOR * abs(start)
                                   and loss > 1e-6):
        raise TrainingDiverged('training diverged in epoch %d: the loss became %s (%s at the '
                               'start); try a smaller learning rate (lr=%s)'
                               % (epoch, loss, start, lr))
    return loss


def check_finite(loss, epoch, lr):
    """Return loss as float, or raise TrainingDiverged naming the epoch when it is not finite."""
    return check_diverged(loss, None, epoch, lr)


def _learning_rate(params, lr, trainer):
    """The rate train_ch3 steps with, checked: lr with params (attached gradients), or trainer's."""
    if trainer is not None:
        return check_positive_float('lr', trainer.learning_rate)
    if params is None or lr is None:
        raise ValueError('train_ch3 needs either a trainer or both params and lr')
    check_positive_float('lr', lr)
    for param in params:
        if getattr(param, 'grad', None) is None:
            raise ValueError('a parameter of shape %s has no gradient buffer: call '
                             'param.attach_grad() on each of params before training'
                             % (param.shape,))
    return lr


class History(list):
    """train_ch3's per-epoch dicts, shown in one line: a notebook cell ending in the book's
    `d2l.train_ch3(...)` then does not echo every epoch again under the printed lines."""

    def __repr__(self):
        return 'History(%d epochs)' % len(self)


def evaluate_accuracy(data_iter, net):
    """3.6: fraction of the examples of data_iter (X, y (n,)) whose largest output of net is y."""
    acc_sum, n = 0, 0
    for X, y in data_iter:
        y_hat = net(X)
        if n == 0:
            check_classifier_batch(y_hat, y)   # once: (n,) labels within net's classes
        acc_sum = (y_hat.argmax(axis=1) == y.astype('float32')).sum() + acc_sum
        n += y.size
    if n == 0:
        raise ValueError('evaluate_accuracy got an empty data iterator')
    return float(acc_sum.asscalar()) / n


def train_ch3(net, train_iter, test_iter, loss, num_epochs, batch_size,
              params=None, lr=None, trainer=None, *, verbose=True):
    """3.6: train a classifier (X -> logits (n, classes), labels (n,)) with sgd(params, lr) or a
    Gluon trainer, print the book's line per epoch; returns the per-epoch dicts (loss, train_acc,
    test_acc, seconds). Each step divides by batch_size (None: by the batch's real size)."""
    check_training_args(batch_size=batch_size, num_epochs=num_epochs)
    step_lr = _learning_rate(params, lr, trainer)
    history, start = History(), None
    for epoch in range(num_epochs):
        train_l_sum, train_acc_sum, n, tic = 0, 0, 0, time.time()
        for X, y in train_iter:
            with autograd.record():
                y_hat = net(X)
                l = loss(y_hat, y).sum()
            if start is None:   # once: labels and outputs fit, and the loss the run starts at
                check_classifier_batch(y_hat, y)
                start = l.asscalar() / y.size
            l.backward()
            if trainer is None:
                sgd(params, lr, batch_size or y.size)
            else:
                trainer.step(batch_size or y.size)
            train_l_sum = l + train_l_sum   # on the device: no wait for the host per batch
            train_acc_sum = (y_hat.argmax(axis=1) == y.astype('float32')).sum() + train_acc_sum
            n += y.size
        if n == 0:
            raise ValueError('train_ch3 got an empty training iterator')
        # Python floats: numpy 2 would keep float32 / int in float32 (NEP 50)
        train_l = check_diverged(float(train_l_sum.asscalar()) / n, start, epoch + 1, step_lr)
        train_acc = float(train_acc_sum.asscalar()) / n
        test_acc = evaluate_accuracy(test_iter, net)
        history.append({'epoch': epoch + 1, 'loss': train_l, 'train_acc': train_acc,
                        'test_acc': test_acc, 'seconds': time.time() - tic})
        if verbose:
            print('epoch %d, loss %.4f, train acc %.3f, test acc %.3f'
                  % (epoch + 1, train_l, train_acc, test_acc))
    return history
