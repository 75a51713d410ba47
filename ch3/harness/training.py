"""Data-parallel training for the harness's several-device runs (`ch3 run 3.7 --ctx cpu:0,cpu:1`,
`ch3 launch ... --kvstore dist_sync`): the book's train_ch3 loop with each batch split across the
devices (the book's split_and_load, chapter 8) and the trainer summing their gradients. On one
device it is ch3.book.training.train_ch3 itself.
"""
import time

from mxnet import autograd, nd

from ch3.book.training import check_diverged, train_ch3
from ch3.checks import check_classifier_batch, check_training_args
from ch3.context import as_ctx_list, split_batch


def evaluate_accuracy_on_devices(data_iter, net, ctx):
    """3.6's evaluate_accuracy with each batch split across the devices of ctx."""
    contexts = as_ctx_list(ctx)
    acc_sum, n = nd.zeros((1,), ctx=contexts[0]), 0
    for X, y in data_iter:
        for X_part, y_part in zip(*split_batch(X, y, contexts)):
            y_hat = net(X_part)
            if n == 0:
                check_classifier_batch(y_hat, y_part)
            correct = (y_hat.argmax(axis=1) == y_part.astype('float32')).sum()
            acc_sum += correct.as_in_context(contexts[0])
        n += y.shape[0]
    if n == 0:
        raise ValueError('evaluate_accuracy got an empty data iterator')
    return float(acc_sum.asscalar()) / n


def train_on_devices(net, train_iter, test_iter, loss, num_epochs, batch_size, trainer, ctx,
                     verbose=True):
    """train_ch3 for a Gluon net initialized on every device of ctx and its Trainer: each batch
    is split across the devices; returns train_ch3's per-epoch history (one device: train_ch3)."""
    contexts = as_ctx_list(ctx)
    if len(contexts) == 1:
        return train_ch3(net, train_iter, test_iter, loss, num_epochs, batch_size, None, None,
                         trainer, verbose=verbose)
    check_training_args(batch_size=batch_size, num_epochs=num_epochs)
    history, start = [], None
    for epoch in range(1, num_epochs + 1):
        loss_sum, acc_sum = nd.zeros((1,), ctx=contexts[0]), nd.zeros((1,), ctx=contexts[0])
        n, tic = 0, time.time()
        for X, y in train_iter:
            Xs, ys = split_batch(X, y, contexts)
            with autograd.record():
                y_hats = [net(X_part) for X_part in Xs]
                ls = [loss(y_hat, y_part).sum() for y_hat, y_part in zip(y_hats, ys)]
            if start is None:
                for y_hat, y_part in zip(y_hats, ys):
                    check_classifier_batch(y_hat, y_part)
                start = sum(l.asscalar() for l in ls) / y.shape[0]
            for l in ls:
                l.backward()
            trainer.step(batch_size or y.shape[0])
            for l, y_hat, y_part in zip(ls, y_hats, ys):
                loss_sum += l.as_in_context(contexts[0])
                correct = (y_hat.argmax(axis=1) == y_part.astype('float32')).sum()
                acc_sum += correct.as_in_context(contexts[0])
            n += y.shape[0]
        if n == 0:
            raise ValueError('train_ch3 got an empty training iterator')
        train_l = check_diverged(float(loss_sum.asscalar()) / n, start, epoch,
                                 trainer.learning_rate)
        train_acc = float(acc_sum.asscalar()) / n
        test_acc = evaluate_accuracy_on_devices(test_iter, net, contexts)
        history.append({'epoch': epoch, 'loss': train_l, 'train_acc': train_acc,
                        'test_acc': test_acc, 'seconds': time.time() - tic})
        if verbose:
            print('epoch %d, loss %.4f, train acc %.3f, test acc %.3f'
                  % (epoch, train_l, train_acc, test_acc))
    return history


def gluon_step(net, loss, trainer, X, y, batch_size, ctx=None):
    """One minibatch step with Gluon: record loss(net(X), y), backward, trainer.step(batch_size);
    with several devices in ctx the batch is split across them first."""
    Xs, ys = split_batch(X, y, as_ctx_list(ctx))
    with autograd.record():
        ls = [loss(net(X_part), y_part) for X_part, y_part in zip(Xs, ys)]
    for l in ls:
        l.backward()
    trainer.step(batch_size)
