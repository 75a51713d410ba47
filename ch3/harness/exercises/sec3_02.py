"""Exercises of 3.2 (linear regression from scratch): reshape in squared_loss, the learning rate,
and data_iter when the batch size does not divide the number of examples."""
import math

import numpy as np
from mxnet import autograd, nd

from ch3.harness.exercises.base import (Claim, ExerciseList, Outcome, compare_seeds,
                                        comparison_json, decided, diverged_note, epoch_axis,
                                        evidence, first_ctx, fmt, mean_of, save, seed_list,
                                        seed_values, seeds_text, tagged, train_seeds)
from ch3.book.plotting import new_figure
from ch3.book import linear_regression as linreg_book
from ch3.harness.runs import linear_regression as linreg_section
from ch3.book.training import data_iter, linreg, sgd, squared_loss
from ch3.utils import set_seed

EXERCISES = ExerciseList()


def _loss_without_reshape(y_hat, y):
    """The book's squared_loss with its reshape removed: (n, 1) - (n,) broadcasts to (n, n)."""
    return (y_hat - y) ** 2 / 2


def _fit(loss_fn, features, labels, num_epochs=3, batch_size=10, lr=0.03):
    """3.2's loop (linreg + sgd) with a given loss; returns w, b and the epoch losses (reshaped
    squared loss on all examples, so the two losses are scored alike)."""
    w = nd.random.normal(scale=0.01, shape=(features.shape[1], 1), ctx=features.context)
    b = nd.zeros((1,), ctx=features.context)
    for param in (w, b):
        param.attach_grad()
    losses = []
    for _ in range(num_epochs):
        for X, y in data_iter(batch_size, features, labels):
            with autograd.record():
                l = loss_fn(linreg(X, w, b), y)
            l.backward()
            sgd([w, b], lr, y.shape[0])
        losses.append(float(squared_loss(linreg(features, w, b), labels).mean().asscalar()))
    return w, b, losses


@EXERCISES.add('3.2.1', 'Why does squared_loss need reshape?',
               '因为y_hat的shape为（10，1）而y为（1，10）',
               'because y_hat has shape (10, 1) while y has shape (1, 10)')
def reshape_in_squared_loss(ctx, quick, out, seed):
    device = first_ctx(ctx)[0]
    set_seed(seed)
    features, labels = linreg_book.make_data(ctx=device)
    X, y = next(data_iter(10, features, labels))
    y_hat = linreg(X, nd.array(linreg_book.true_w, ctx=device).reshape((-1, 1)),
                   nd.array([linreg_book.true_b], ctx=device))
    with_reshape = squared_loss(y_hat, y)
    without = _loss_without_reshape(y_hat, y)
    set_seed(seed)
    w_ok, _, losses_ok = _fit(squared_loss, features, labels)
    set_seed(seed)
    w_bad, _, losses_bad = _fit(_loss_without_reshape, features, labels)
    measured = {
        'y_hat_shape': list(y_hat.shape), 'y_shape': list(y.shape),
        'loss_shape_with_reshape': list(with_reshape.shape),
        'loss_shape_without_reshape': list(without.shape),
        'mean_loss_at_true_params_with_reshape': float(with_reshape.mean().asscalar()),
        'mean_loss_at_true_params_without_reshape': float(without.mean().asscalar()),
        'loss_after_3_epochs_with_reshape': losses_ok[-1],
        'loss_after_3_epochs_without_reshape': losses_bad[-1],
        'w_with_reshape': w_ok.asnumpy().ravel().tolist(),
        'w_without_reshape': w_bad.asnumpy().ravel().tolist(),
    }
    claims = [
        Claim('y_hat and y have different shapes, so y must be reshaped to match',
              y_hat.shape != y.shape and without.shape != y_hat.shape,
              'y_hat %s, y %s: without reshape the loss broadcasts to %s and training ends at '
              'loss %s (w %s) instead of %s'
              % (y_hat.shape, y.shape, without.shape, fmt(losses_bad[-1]),
                 np.round(measured['w_without_reshape'], 3).tolist(), fmt(losses_ok[-1]))),
        Claim('y has shape (1, 10)', tuple(y.shape) == (1, 10),
              'y (a batch of labels) has shape %s' % (y.shape,), main=False),
    ]
    return Outcome(
        measured, claims,
        settings={'batch_size': 10, 'num_epochs': 3, 'lr': 0.03, 'num_examples': 1000},
        history=tagged([{'epoch': i + 1, 'loss': v} for i, v in enumerate(losses_ok)],
                       run='with reshape')
        + tagged([{'epoch': i + 1, 'loss': v} for i, v in enumerate(losses_bad)],
                 run='without reshape'),
        answer='y is a vector %s and y_hat a column %s: without reshape their difference '
               'broadcasts to a %d x %d matrix, every prediction is pulled towards every label '
               'of the batch, and after 3 epochs w = %s (true %s) with loss %s instead of %s.'
               % (tuple(y.shape), tuple(y_hat.shape), without.shape[0], without.shape[1],
                  np.round(measured['w_without_reshape'], 3).tolist(), linreg_book.true_w,
                  fmt(losses_bad[-1]), fmt(losses_ok[-1])))


@EXERCISES.add('3.2.2', 'Try different learning rates: how fast does the loss fall?',
               '数值小下降越快，但损失较大，即比较不准确（0.05: epoch 1 loss 0.000437；'
               '0.01: epoch 1 loss 2.305500）',
               'the smaller the rate, the faster the loss falls, but the loss stays larger, i.e. '
               'less accurate (their own runs: 0.05 gives 0.000437 after epoch 1, 0.01 gives 2.3)',
               full_note="3.2's run (1000 examples, batch 10, 3 epochs) at each rate, 5 seeds")
def learning_rates(ctx, quick, out, seed):
    rates, seeds = (0.01, 0.03, 0.05), seed_list(quick, seed)
    num_examples = 300 if quick else 1000
    runs = {lr: train_seeds(linreg_section.run_scratch, seeds, ctx=first_ctx(ctx), lr=lr,
                            num_examples=num_examples) for lr in rates}
    # the losses span orders of magnitude: compare their logarithms, seed by seed
    epoch1 = {lr: seed_values(runs[lr], lambda r: math.log(r['history'][0]['loss']))
              for lr in rates}
    final = {lr: seed_values(runs[lr], lambda r: math.log(r['history'][-1]['loss']))
             for lr in rates}
    faster = compare_seeds(epoch1[0.01], epoch1[0.05])
    larger = compare_seeds(final[0.01], final[0.05])
    note = diverged_note({'lr %g' % lr: runs[lr] for lr in rates})
    fig, ax = new_figure()
    for lr in rates:
        if seeds[0] in runs[lr]['runs']:
            history = runs[lr]['runs'][seeds[0]]['history']
            ax.semilogy([h['epoch'] for h in history], [h['loss'] for h in history],
                        marker='o', label='lr %g (seed %d)' % (lr, seeds[0]))
    epoch_axis(ax)
    ax.set_ylabel('loss')
    ax.legend()

    def means(values):
        return ', '.join('lr %g: %s' % (lr, fmt(math.exp(mean_of(values[lr])))) for lr in rates)
    claims = [
        Claim('a smaller learning rate makes the loss fall faster', decided(faster, -1),
              'loss after epoch 1 (geometric mean): %s; log loss: %s'
              % (means(epoch1), evidence(faster, 'lr 0.01', 'lr 0.05', 3, diverged=note))),
        Claim('a smaller learning rate ends with a larger loss', decided(larger, +1),
              'loss after epoch 3 (geometric mean): %s; log loss: %s'
              % (means(final), evidence(larger, 'lr 0.01', 'lr 0.05', 3)), main=False),
    ]
    history = []
    for lr in rates:
        for s, r in runs[lr]['runs'].items():
            history += tagged(r['history'], lr=lr, seed=s)
    fastest = min(rates, key=lambda lr: mean_of(epoch1[lr]))
    slowest = max(rates, key=lambda lr: mean_of(epoch1[lr]))
    return Outcome(
        {'epoch1_loss': {str(lr): {s: math.exp(v) for s, v in epoch1[lr].items()}
                         for lr in rates},
         'final_loss': {str(lr): {s: math.exp(v) for s, v in final[lr].items()} for lr in rates},
         'log_loss_lr001_minus_lr005': {'epoch1': comparison_json(faster),
                                        'final': comparison_json(larger)}},
        claims, settings={'lrs': list(rates), 'num_epochs': 3, 'batch_size': 10,
                          'num_examples': num_examples, 'seeds': seeds},
        history=history,
        final={'lr=%g' % lr: {s: r['final'] for s, r in runs[lr]['runs'].items()}
               for lr in rates},
        figures=save(fig, out, '3.2.2', 'learning_rates'),
        answer='lr %g makes the loss fall fastest and lr %g slowest (geometric mean loss after '
               'epoch 1 over %s: %s vs %s); a loss still larger after 3 epochs (lr %g: %s) means '
               'not yet converged, not less accurate.'
               % (fastest, slowest, seeds_text(seeds), fmt(math.exp(mean_of(epoch1[fastest]))),
                  fmt(math.exp(mean_of(epoch1[slowest]))), slowest,
                  fmt(math.exp(mean_of(final[slowest])))))




@EXERCISES.add('3.2.3', 'What does data_iter do when the batch size does not divide the number '
               'of examples?',
               '因为有min函数，末尾剩下的会作为一批返回。（但是最后一次返回，data_iter没有改变batch_size的值，'
               '会导致sgd梯度下降函数的超参数偏低）',
               'because of min, the remainder comes out as one last batch (but data_iter does not '
               'change batch_size for it, so the step sgd takes on it is too small)')
def data_iter_remainder(ctx, quick, out, seed):
    device = first_ctx(ctx)[0]
    num_examples, batch_size, lr = 1005, 10, 0.03
    set_seed(seed)
    features, labels = linreg_book.make_data(num_examples, ctx=device)
    sizes, seen = [], []
    for X, y in data_iter(batch_size, features, labels):
        sizes.append(int(y.shape[0]))
        seen.append(X)
    covered = int(np.unique(nd.concat(*seen, dim=0).asnumpy(), axis=0).shape[0])
    # one step on the last batch from the same start, as the book (nominal batch_size) and with
    # its real size: the book's step is shorter by len(last batch) / batch_size
    X_last, y_last = X, y
    steps = {}
    for name, divisor in (('book', batch_size), ('real_size', sizes[-1])):
        w, b = nd.zeros((2, 1), ctx=device), nd.zeros((1,), ctx=device)
        for param in (w, b):
            param.attach_grad()
        with autograd.record():
            l = squared_loss(linreg(X_last, w, b), y_last)
        l.backward()
        sgd([w, b], lr, divisor)
        steps[name] = float(np.sqrt((w ** 2).sum().asscalar() + (b ** 2).sum().asscalar()))
    ratio = steps['book'] / steps['real_size']
    expected_ratio = sizes[-1] / batch_size
    measured = {'num_examples': num_examples, 'batch_size': batch_size,
                'num_batches': len(sizes), 'last_batch_size': sizes[-1],
                'examples_seen_once': covered, 'step_book': steps['book'],
                'step_real_size': steps['real_size'], 'step_ratio': ratio}
    # "too small" is a claim about training: 3.6.4's runs (from-scratch softmax regression, the
    # book's settings) compare the book's nominal divisor with the real size over seeds
    real_vs_book, trained = _last_batch_training(ctx, quick, seed)
    measured.update(training_real_size_minus_book=comparison_json(real_vs_book))
    claims = [
        Claim('the remainder comes out as one last, smaller batch',
              sizes[-1] == num_examples % batch_size and sum(sizes) == num_examples
              and covered == num_examples,
              '%d examples in batches of %d: %d batches, the last of %d; all %d examples seen '
              'once' % (num_examples, batch_size, len(sizes), sizes[-1], covered)),
        Claim("sgd keeps the nominal batch_size, so the step on that batch is shorter",
              abs(ratio - expected_ratio) < 1e-4 and ratio < 1,
              "on the last batch the book's sgd(params, lr, batch_size) moves %s, dividing by "
              "its real size moves %s: %s times as far (= %d/%d)"
              % (fmt(steps['book']), fmt(steps['real_size']), fmt(ratio), sizes[-1],
                 batch_size), main=False),
        Claim('that step is too small: dividing by the real size would train better',
              decided(real_vs_book, +1),
              "3.6.4's measurement, final test acc (points): %s"
              % evidence(real_vs_book, 'real size', 'book (nominal)', 2, 100,
                         diverged_note(trained))),
    ]
    return Outcome(measured, claims,
                   settings={'num_examples': num_examples, 'batch_size': batch_size, 'lr': lr,
                             'training': "3.6.4's runs: from-scratch softmax regression, batch "
                                         '256, lr 0.1, 5 epochs, last batch of 96',
                             'seeds': seed_list(quick, seed)},
                   answer='The last batch holds the %d left over and the book\'s sgd divides '
                          'its summed gradient by the nominal batch_size %d, so that step is %s '
                          'of a full one. Shorter is not worse: in 3.6.4\'s training the book\'s '
                          'rule ends %s points of test accuracy %s dividing by the real size '
                          '(ch3.book.training.train_ch3 divides by the nominal batch_size it is '
                          'given, by the real size only with batch_size=None).'
                          % (sizes[-1], batch_size, fmt(ratio),
                             fmt(abs(100 * real_vs_book['diff']), 2)
                             if real_vs_book['diff'] is not None else '?',
                             'ahead of' if (real_vs_book['diff'] or 0) < 0 else 'behind'))


def _last_batch_training(ctx, quick, seed):
    """3.6.4's final test accuracies under the real-size and the book's rule: (comparison
    real - book, {rule: train_seeds result}); the runs are 3.6.4's own (shared in-process)."""
    from ch3.harness.exercises.sec3_06 import batch_rule_settings, batch_rule_run
    seeds, settings = seed_list(quick, seed), batch_rule_settings(quick)
    trained = {rule: train_seeds(batch_rule_run, seeds, ctx=first_ctx(ctx), rule=rule,
                                 **settings) for rule in ('real size', 'book')}
    acc = {rule: seed_values(t, lambda h: h[-1]['test_acc']) for rule, t in trained.items()}
    return compare_seeds(acc['real size'], acc['book']), trained
