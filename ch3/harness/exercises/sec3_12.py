"""Exercises of 3.12 (weight decay): other remedies for overfitting, the Bayesian reading of
weight decay, and the sweep of the weight-decay strength (ch3.harness.runs.weight_decay)."""
import numpy as np

from ch3.harness.exercises.base import (MARGIN, Claim, ExerciseList, Outcome, epoch_axis, fmt, save, tagged,
                                train)
from ch3.harness.exercises.sec3_13 import (BOOK_PROBS, NO_DROPOUT, long_settings, mlp_run,
                                   tail_mean)
from ch3.book.plotting import new_figure
from ch3.book import weight_decay as wd_section
from ch3.utils import set_seed

EXERCISES = ExerciseList()


@EXERCISES.add('3.12.1', 'Besides weight decay, more training data and a model of the right '
               'complexity, what else counters overfitting?',
               'dropout：…在前向传播的时候，让某个神经元的激活值以一定的概率p停止工作。…Batch Nomalization：…有一定的正则效果。',
               'dropout (switch each activation off with probability p in the forward pass, a '
               'kind of bagging) and batch normalization ("has a certain regularizing effect")',
               full_note="the MLP of 3.13 (256, 256), 10 epochs (twice the book's) on the full "
                         'data: plain, with dropout (0.2, 0.5), with BatchNorm after each hidden '
                         'Dense; accuracies are means of the last 3 epochs')
def other_remedies(ctx, quick, out, seed):
    settings = long_settings(quick)
    runs = {'none': train(mlp_run, seed, ctx=ctx, drop_probs=NO_DROPOUT, **settings),
            'dropout': train(mlp_run, seed, ctx=ctx, drop_probs=BOOK_PROBS, **settings),
            'batchnorm': train(mlp_run, seed, ctx=ctx, batchnorm=True, **settings)}
    acc = {r: tail_mean(h, 'test_acc') for r, h in runs.items()}
    train_acc = {r: tail_mean(h, 'train_acc') for r, h in runs.items()}
    gap = {r: train_acc[r] - acc[r] for r in runs}
    final = {r: h[-1] for r, h in runs.items()}

    def line(r):
        return '%s: train %s, test %s' % (r, fmt(train_acc[r], 3), fmt(acc[r], 3))
    claims = [
        Claim('dropout counters overfitting (a higher test accuracy, a smaller gap to the '
              'training accuracy)', acc['dropout'] > acc['none'] + MARGIN
              and gap['dropout'] < gap['none'],
              'accuracies (mean of the last 3 epochs), %s; %s' % (line('none'), line('dropout'))),
        Claim('batch normalization has a regularizing effect (the same test)',
              acc['batchnorm'] > acc['none'] + MARGIN and gap['batchnorm'] < gap['none'],
              'accuracies (mean of the last 3 epochs), %s; %s'
              % (line('none'), line('batchnorm'))),
    ]
    fig, ax = new_figure()
    for r, history in runs.items():
        ax.plot([h['epoch'] for h in history], [h['test_acc'] for h in history], label=r)
    epoch_axis(ax)
    ax.set_ylabel('test accuracy')
    ax.legend(fontsize=7)
    history = []
    for r, h in runs.items():
        history += tagged(h, remedy=r)
    return Outcome({'final_test_acc': acc, 'train_minus_test_acc': gap}, claims,
                   settings=settings, history=history, final=final,
                   figures=save(fig, out, '3.12.1', 'remedies'),
                   answer='Test accuracy (and train - test): %s. Dropout %s the gap to the '
                          'training accuracy, BatchNorm %s it.'
                          % (', '.join('%s %s (%s)' % (r, fmt(acc[r], 3), fmt(gap[r], 2))
                                       for r in runs),
                             _widens(gap['dropout'], gap['none']),
                             _widens(gap['batchnorm'], gap['none'])))


def _widens(new, old):
    return 'narrows' if new < old else 'widens'


@EXERCISES.add('3.12.2', 'Which important concept of Bayesian statistics does weight decay '
               'correspond to?',
               '（只有一张图片：discuss.gluon.ai/uploads/…/667cec143d4efdf38f0696c19046656cf69c40f7.png）',
               '(only an image linked from the forum, no text)')
def bayesian_prior(ctx, quick, out, seed):
    lambd = 3.0
    set_seed(seed)
    data = wd_section.make_data(ctx=ctx[0])
    X = data[0].asnumpy().astype(np.float64)
    y = data[2].asnumpy().astype(np.float64)
    n, d = X.shape
    w_ridge, b_ridge = wd_section.weight_decay_solution(data[0], data[2], lambd)
    # MAP of y ~ N(Xw + b, sigma^2), w ~ N(0, tau^2 I), flat prior on b: maximize
    # -|y - Xw - b|^2 / (2 sigma^2) - |w|^2 / (2 tau^2); the same as weight decay when
    # sigma^2 / tau^2 = n lambd
    sigma = wd_section.NOISE
    tau = sigma / np.sqrt(n * lambd)
    A = np.hstack([X, np.ones((n, 1))])
    precision = np.diag(np.r_[np.full(d, sigma ** 2 / tau ** 2), 0.0])
    theta = np.linalg.solve(A.T @ A + precision, A.T @ y)
    diff = float(max(np.abs(theta[:-1] - w_ridge).max(), abs(theta[-1] - b_ridge)))
    measured = {'lambd': lambd, 'n_train': n, 'noise_sigma': sigma, 'prior_tau': float(tau),
                'max_abs_diff_map_vs_weight_decay': diff,
                'w_norm': float(np.linalg.norm(w_ridge))}
    return Outcome(measured, [], settings={'lambd': lambd, 'n_train': n, 'num_inputs': d},
                   answer='A Gaussian prior on the weights, w ~ N(0, tau^2 I): the minimizer of '
                          'the loss + lambd/2 |w|^2 is the maximum a posteriori estimate with '
                          'tau^2 = sigma^2 / (n lambd). Here (lambd %g, n %d, sigma %g, so tau = '
                          '%s) the MAP and the weight-decay solutions agree to %s.'
                          % (lambd, n, sigma, fmt(tau), fmt(diff)))


WDS = (0, 1, 3, 10, 30, 100)


def _gluon_fit(wd, data, num_epochs, ctx):
    """The section's Gluon fit -> {'history', 'train_loss', 'test_loss', 'w_norm', 'b'}."""
    (w, b), history = wd_section.fit_gluon(wd, data, num_epochs=num_epochs, ctx=ctx)
    return {'history': history, 'train_loss': history[-1]['train_loss'],
            'test_loss': history[-1]['test_loss'], 'w_norm': float(w.norm().asscalar()),
            'b': float(b.asscalar())}


@EXERCISES.add('3.12.3', 'Tune the weight-decay hyperparameter and analyse the results',
               '权重衰减超参数越大，test的loss下降的越快，train越拟合，但是test上的最终loss不会改变。'
               '（fit_and_plot_gluon(3): L2 norm of w: 0.0395；fit_and_plot_gluon(10): 0.0284）',
               'the larger the weight decay, the faster the test loss falls and the better the '
               'training set is fitted, but the final test loss does not change (wd 3: ||w|| '
               '0.0395; wd 10: 0.0284)',
               full_note="the book's Gluon fit (batch 1, lr 0.003, 100 epochs) for wd = 0, 1, 3, "
                         '10, 30, 100 on one data set')
def weight_decay_sweep(ctx, quick, out, seed):
    set_seed(seed)
    data = wd_section.make_data(ctx=ctx[0])
    epochs = 5 if quick else 100
    fits = {}
    for wd in WDS:
        set_seed(seed)
        fits[wd] = _gluon_fit(wd, data, epochs, ctx)
    early = {wd: fits[wd]['history'][4]['test_loss'] for wd in WDS}
    train_loss = {wd: fits[wd]['train_loss'] for wd in WDS}
    test_loss = {wd: fits[wd]['test_loss'] for wd in WDS}
    norm = {wd: fits[wd]['w_norm'] for wd in WDS}
    positive = [wd for wd in WDS if wd > 0]
    spread = max(test_loss[w] for w in positive) / min(test_loss[w] for w in positive)

    def row(values):
        return ', '.join('%g: %s' % (wd, fmt(values[wd], 3)) for wd in WDS)
    claims = [
        Claim('the larger wd, the faster the test loss falls',
              all(early[a] > early[b] for a, b in zip(WDS, WDS[1:])),
              'test loss after 5 epochs by wd: ' + row(early)),
        Claim('the final test loss does not change with wd (within x1.5 for wd > 0)',
              spread < 1.5,
              'final test loss by wd: %s (x%s between wd > 0)' % (row(test_loss), fmt(spread, 3))),
        Claim('the larger wd, the better the training set is fitted',
              all(train_loss[a] > train_loss[b] for a, b in zip(positive, positive[1:])),
              'final training loss by wd: %s (the gap to the test loss does shrink)'
              % row(train_loss), main=False),
        Claim('||w|| shrinks as wd grows (0.0395 at 3, 0.0284 at 10)',
              all(norm[a] > norm[b] for a, b in zip(WDS, WDS[1:])),
              '||w|| by wd: ' + row(norm), main=False),
    ]
    fig, (ax1, ax2) = new_figure(figsize=(6.5, 2.6), nrows=1, ncols=2)
    for wd in WDS:
        history = fits[wd]['history']
        ax1.semilogy([h['epoch'] for h in history], [h['test_loss'] for h in history],
                     label='wd %g' % wd)
    ax1.set_xlabel('epoch')
    ax1.set_ylabel('test loss')
    ax1.legend(fontsize=6)
    xs = [max(wd, 0.3) for wd in WDS]   # wd = 0 drawn at 0.3 on the log axis
    ax2.loglog(xs, [train_loss[wd] for wd in WDS], marker='o', label='train')
    ax2.loglog(xs, [test_loss[wd] for wd in WDS], marker='o', label='test')
    ax2.set_xlabel('wd (0 drawn at 0.3)')
    ax2.set_ylabel('final loss')
    ax2.legend(fontsize=7)
    fig.tight_layout()
    history = []
    for wd in WDS:
        history += tagged(fits[wd]['history'], wd=wd)
    def by_wd(values):
        return {'%g' % wd: values[wd] for wd in WDS}
    return Outcome({'test_loss_epoch5': by_wd(early), 'final_train_loss': by_wd(train_loss),
                    'final_test_loss': by_wd(test_loss), 'w_norm': by_wd(norm)},
                   claims, settings={'wds': list(WDS), 'num_epochs': epochs, 'lr': 0.003,
                                     'batch_size': 1},
                   history=history,
                   final={'wd=%g' % wd: {k: fits[wd][k] for k in ('train_loss', 'test_loss',
                                                                    'w_norm', 'b')}
                          for wd in WDS},
                   figures=save(fig, out, '3.12.3', 'weight_decay_sweep'),
                   answer='Weight decay trades training loss for test loss: wd = 0 interpolates '
                          'the 20 points (test loss %s), any wd >= 1 brings the test loss to '
                          'about %s and larger wd gets there sooner; the training loss rises '
                          'with wd.' % (fmt(test_loss[0], 3), fmt(min(test_loss.values()), 2)))
