"""Runs of sections 3.4, 3.6 and 3.7 (the book's code is ch3.book.softmax): data, figures and
the JSON result; quick mode and the kvstore come from the harness."""

import numpy as np
from mxnet import autograd, nd
from mxnet.gluon import loss as gloss

from ch3.book import softmax as book
from ch3.book.plotting import finish
from ch3.book.training import evaluate_accuracy
from ch3.book.fashion_mnist import fashion_mnist_figure, get_fashion_mnist_labels
from ch3.harness.distributed import DEFAULT_KVSTORE, start_worker
from ch3.harness.results import classifier_result
from ch3.harness.compare import json_number as _json_number
from ch3.harness.runs import Section
from ch3.harness.runs.data import fashion_mnist_iters, num_train_examples
from ch3.harness.training import train_on_devices


def _numbers(array):
    return [_json_number(v) for v in array.asnumpy().ravel()]


def _ordinary_batch(batch, seed):
    rng = np.random.RandomState(seed)              # logits ~ N(0, 2^2)
    logits = nd.array(rng.normal(scale=2.0, size=(batch, book.num_outputs)))
    labels = nd.array(rng.randint(0, book.num_outputs, size=batch), dtype='int32')
    return logits, labels


def stability_demo(batch=256, seed=0):
    """3.4: what the naive softmax / cross_entropy do in float32 and what the stable forms do."""
    big, tiny = nd.array([[0.0, 50.0, 100.0]]), nd.array([[-120.0, 0.0]])
    label0 = nd.array([0], dtype='int32')
    logits, labels = _ordinary_batch(batch, seed)
    reference = gloss.SoftmaxCrossEntropyLoss()(logits, labels).asnumpy()
    naive = book.cross_entropy(book.softmax(logits), labels).asnumpy()
    stable = book.stable_cross_entropy(logits, labels).asnumpy()
    exact = book.exact_cross_entropy(logits.asnumpy(), labels.asnumpy())
    p, q = nd.array([[0.7, 0.2, 0.1]], dtype='float64'), nd.array([[0.5, 0.3, 0.2]],
                                                                    dtype='float64')
    return {
        'exp_50': _json_number(nd.exp(nd.array([50.0])).asscalar()),
        'exp_88': _json_number(nd.exp(nd.array([88.0])).asscalar()),
        'exp_89': _json_number(nd.exp(nd.array([89.0])).asscalar()),
        'exp_minus_120': _json_number(nd.exp(nd.array([-120.0])).asscalar()),
        'float32_exp_limit': book.FLOAT32_EXP_LIMIT,
        'logits_overflow': big.asnumpy().ravel().tolist(),
        'naive_softmax_overflow': _numbers(book.softmax(big)),
        'stable_softmax_overflow': _numbers(book.stable_softmax(big)),
        'logits_underflow': tiny.asnumpy().ravel().tolist(),
        'naive_softmax_underflow': _numbers(book.softmax(tiny)),
        'naive_cross_entropy_underflow': _numbers(book.cross_entropy(book.softmax(tiny), label0)),
        'stable_cross_entropy_underflow': _numbers(book.stable_cross_entropy(tiny, label0)),
        'ordinary_batch': batch,
        'naive_vs_exact_max_abs_diff': float(np.abs(naive - exact).max()),
        'stable_vs_exact_max_abs_diff': float(np.abs(stable - exact).max()),
        'gluon_vs_exact_max_abs_diff': float(np.abs(reference - exact).max()),
        'stable_vs_gluon_max_abs_diff': float(np.abs(stable - reference).max()),
        # H(p, q) = H(p) + KL(p || q) on one example
        'entropy_p': float(book.entropy(p).asscalar()),
        'kl_p_q': float(book.kl_divergence(p, q).asscalar()),
        'cross_entropy_p_q': float(book.distribution_cross_entropy(p, q).asscalar()),
    }


def run_model_scratch(ctx=None, verbose=True):
    """3.4 from scratch: the numerical-stability demonstration and the entropy/KL identity."""
    final = stability_demo()
    if verbose:
        print('exp(50) = %s, exp(89) = %s in float32 (limit exp(%.2f))'
              % (final['exp_50'], final['exp_89'], book.FLOAT32_EXP_LIMIT))
        print('softmax %s: naive %s, stable %s' % (final['logits_overflow'],
              final['naive_softmax_overflow'], final['stable_softmax_overflow']))
        print('cross-entropy of label 0 for logits %s: naive %s, stable %s'
              % (final['logits_underflow'], final['naive_cross_entropy_underflow'],
                 final['stable_cross_entropy_underflow']))
        print('on ordinary logits, max |error| against float64: naive %.2g, stable %.2g, '
              'SoftmaxCrossEntropyLoss %.2g' % (final['naive_vs_exact_max_abs_diff'],
                                                final['stable_vs_exact_max_abs_diff'],
                                                final['gluon_vs_exact_max_abs_diff']))
        print('H(p, q) = %.6f = H(p) %.6f + KL(p || q) %.6f'
              % (final['cross_entropy_p_q'], final['entropy_p'], final['kl_p_q']))
    return {'hyperparameters': {}, 'history': [], 'final': final, 'figures': []}


def run_model_gluon(ctx=None, batch=256, seed=0, verbose=True):
    """3.4 with Gluon: SoftmaxCrossEntropyLoss and its gradient against our stable forms."""
    logits, labels = _ordinary_batch(batch, seed)
    logits.attach_grad()
    with autograd.record():
        loss = gloss.SoftmaxCrossEntropyLoss()(logits, labels)
    loss.backward()
    ours = book.stable_cross_entropy(logits, labels)
    onehot = nd.one_hot(labels, book.num_outputs)
    expected_grad = book.stable_softmax(logits) - onehot     # d l / d o = softmax(o) - y
    final = {'batch': batch,
             'loss_max_abs_diff': float(nd.abs(loss - ours).max().asscalar()),
             'grad_max_abs_diff': float(nd.abs(logits.grad - expected_grad).max().asscalar()),
             'mean_loss': float(loss.mean().asscalar())}
    if verbose:
        print('SoftmaxCrossEntropyLoss vs our stable cross-entropy: max |diff| %.2g; its gradient '
              'vs softmax(o) - onehot(y): max |diff| %.2g'
              % (final['loss_max_abs_diff'], final['grad_max_abs_diff']))
    return {'hyperparameters': {'batch': batch}, 'history': [], 'final': final, 'figures': []}


def predictions_figure(net, test_iter, n=9, ctx=None):
    """3.6: the first n test images titled 'true\\npredicted'; returns (Figure, [(true, pred)])."""
    X, y = next(iter(test_iter))
    X, y = X[:n], y[:n]
    true_labels = get_fashion_mnist_labels(y)
    pred_labels = get_fashion_mnist_labels(book.predict(net, X, ctx))
    titles = [t + '\n' + p for t, p in zip(true_labels, pred_labels)]
    return fashion_mnist_figure(X, titles), list(zip(true_labels, pred_labels))


def untrained_accuracy(test_iter, ctx):
    """3.6: the book's accuracy example (2 rows, 1 right: 0.5) and the test accuracy of a freshly
    initialized model (about 1/10, chance), drawn after training so the run's numbers stay."""
    y_hat = nd.array([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
    example = book.accuracy(y_hat, nd.array([0, 2], dtype='int32'))
    W, b = book.init_params(ctx)
    chance = evaluate_accuracy(test_iter, lambda X: book.net(X, W, b))
    return {'accuracy_example': float(example), 'untrained_test_acc': float(chance)}


def run_scratch(ctx=None, out=None, num_epochs=5, batch_size=256, lr=0.1, subset=None,
                verbose=True):
    """3.6 from scratch on Fashion-MNIST: history, final loss/accuracies, the predictions grid."""
    train_iter, test_iter = fashion_mnist_iters(batch_size, ctx, subset)
    (W, b), history = book.train_scratch(train_iter, test_iter, num_epochs, batch_size, lr,
                                         ctx=ctx, verbose=verbose)

    def net(X):
        return book.net(X, W, b)

    fig, pairs = predictions_figure(net, test_iter, ctx=ctx)
    figures = [finish(fig, out, 'softmax_scratch_predictions.png')] if out else []
    hyperparameters = {'num_epochs': num_epochs, 'batch_size': batch_size, 'lr': lr,
                       'subset': subset}
    return classifier_result(
        hyperparameters, history, figures,
        min_true_class_probability=book.min_true_class_probability(net, test_iter, ctx),
        predictions=[list(p) for p in pairs], **untrained_accuracy(test_iter, ctx))


def run_gluon(ctx=None, out=None, num_epochs=5, batch_size=256, lr=0.1, subset=None,
              kvstore=DEFAULT_KVSTORE, verbose=True):
    """3.7 with Gluon on Fashion-MNIST (several devices; kvstore 'dist_sync' in `ch3 launch`
    trains this worker's shard): history, final loss/accuracies, the predictions grid."""
    worker = start_worker(kvstore, num_examples=lambda: num_train_examples(subset))
    train_iter, test_iter = fashion_mnist_iters(batch_size, ctx, subset, worker.shard)
    out = worker.folder(out)
    net = book.gluon_net(ctx)
    trainer = worker.trainer(net.collect_params(), 'sgd', {'learning_rate': lr}, batch_size)
    history = train_on_devices(net, train_iter, test_iter, gloss.SoftmaxCrossEntropyLoss(),
                               num_epochs, batch_size, trainer, ctx, verbose)
    fig, pairs = predictions_figure(net, test_iter, ctx=ctx)
    figures = [finish(fig, out, 'softmax_gluon_predictions.png')] if out else []
    hyperparameters = {'num_epochs': num_epochs, 'batch_size': batch_size, 'lr': lr,
                       'subset': subset}
    hyperparameters.update(worker.hyperparameters())
    return classifier_result(hyperparameters, history, figures,
                             predictions=[list(p) for p in pairs], **worker.summary(net))


SOURCE = 'd2l-zh notebooks, commit ea74109'
BOOK_SCRATCH = {   # softmax-regression-scratch.ipynb
    'test_acc': 0.840, 'train_acc': 0.835, 'loss': 0.4895, 'untrained_test_acc': 0.0925,
    'history': [[0.7896, 0.745, 0.803], [0.5728, 0.812, 0.818], [0.5296, 0.824, 0.833],
                [0.5057, 0.829, 0.832], [0.4895, 0.835, 0.840]],
    'source': SOURCE + ' (softmax-regression-scratch.ipynb; history: loss, train acc, test acc)'}
BOOK_GLUON = {     # softmax-regression-gluon.ipynb
    'test_acc': 0.841, 'train_acc': 0.834, 'loss': 0.4895,
    'history': [[0.7906, 0.745, 0.792], [0.5725, 0.812, 0.827], [0.5299, 0.824, 0.831],
                [0.5048, 0.830, 0.836], [0.4895, 0.834, 0.841]],
    'source': SOURCE + ' (softmax-regression-gluon.ipynb; history: loss, train acc, test acc)'}


SECTIONS = [
    Section('3.4', 'Softmax regression: softmax, cross-entropy and numerical stability',
            {'scratch': run_model_scratch, 'gluon': run_model_gluon}, default_impl='scratch',
            headline='exp_50',
            book={'note': "the book prints no number here; the notes' hint: exp(50) is large, "
                          'and float32 overflows above exp(88.72)'}),
    Section('3.6', 'Softmax regression from scratch',
            {'scratch': run_scratch, 'gluon': run_gluon}, default_impl='scratch', book=BOOK_SCRATCH,
            headline='test_acc'),
    Section('3.7', 'Concise softmax regression (Gluon)',
            {'scratch': run_scratch, 'gluon': run_gluon}, default_impl='gluon', book=BOOK_GLUON,
            headline='test_acc'),
]
