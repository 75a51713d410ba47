"""Exercises of 3.12 (weight decay): other remedies for overfitting, the Bayesian reading of
weight decay, and the sweep of the weight-decay strength (ch3.harness.runs.weight_decay)."""
import math

import numpy as np

from ch3.harness.exercises.base import (Claim, ExerciseList, Outcome, all_hold, compare_seeds,
                                        comparison_json, decided, decided_same, diverged_note,
                                        epoch_axis, evidence, fmt, save, seed_list, seed_values,
                                        seeds_text, tagged, train_seeds)
from ch3.harness.exercises.sec3_13 import (BOOK_PROBS, NO_DROPOUT, OVERFIT_NOTE, gap, mlp_run,
                                           overfit_settings)
from ch3.book.plotting import new_figure
from ch3.book import weight_decay as wd_section
from ch3.utils import set_seed

EXERCISES = ExerciseList()


REMEDIES = ('dropout', 'batchnorm')


@EXERCISES.add('3.12.1', 'Besides weight decay, more training data and a model of the right '
               'complexity, what else counters overfitting?',
               'dropout：…在前向传播的时候，让某个神经元的激活值以一定的概率p停止工作。…Batch Nomalization：…有一定的正则效果。',
               'dropout (switch each activation off with probability p in the forward pass, a '
               'kind of bagging) and batch normalization ("has a certain regularizing effect")',
               full_note="the MLP of 3.13 (256, 256) on " + OVERFIT_NOTE + ': plain, with '
                         'dropout (0.2, 0.5), with BatchNorm after each hidden Dense; 5 seeds; '
                         'train accuracy in prediction mode (dropout off, BatchNorm running '
                         'statistics)')
def other_remedies(ctx, quick, out, seed):
    settings, seeds = overfit_settings(quick), seed_list(quick, seed)
    runs = {'none': train_seeds(mlp_run, seeds, ctx=ctx, drop_probs=NO_DROPOUT, **settings),
            'dropout': train_seeds(mlp_run, seeds, ctx=ctx, drop_probs=BOOK_PROBS, **settings),
            'batchnorm': train_seeds(mlp_run, seeds, ctx=ctx, batchnorm=True, **settings)}
    acc = {r: seed_values(t, lambda h: h[-1]['test_acc']) for r, t in runs.items()}
    gaps = {r: seed_values(t, gap) for r, t in runs.items()}
    narrower = {r: compare_seeds(gaps['none'], gaps[r]) for r in REMEDIES}
    better = {r: compare_seeds(acc[r], acc['none']) for r in REMEDIES}
    note = diverged_note(runs)
    baseline = compare_seeds(gaps['none'], {s: 0.0 for s in gaps['none']})
    claims = []
    for r, text in (('dropout', 'dropout counters overfitting: it narrows the train - test '
                                'gap'),
                    ('batchnorm', 'batch normalization has a regularizing effect: it narrows '
                                  'the train - test gap')):
        claims.append(Claim(text, decided(narrower[r], +1),
                            'train - test acc at the last epoch (points): %s'
                            % evidence(narrower[r], 'none', r, 2, 100, note)))
        claims.append(Claim('%s raises the test accuracy' % r, decided(better[r], +1),
                            'test acc (points): %s' % evidence(better[r], r, 'none', 2, 100),
                            main=False))
    fig, ax = new_figure()
    for r, trained in runs.items():
        if trained['runs']:
            s = min(trained['runs'])
            history = trained['runs'][s]
            line, = ax.plot([h['epoch'] for h in history],
                            [h['train_acc_eval'] for h in history], ':')
            ax.plot([h['epoch'] for h in history], [h['test_acc'] for h in history],
                    color=line.get_color(), label='%s (seed %d)' % (r, s))
    epoch_axis(ax)
    ax.set_ylabel('accuracy (dotted: train)')
    ax.legend(fontsize=7)
    history = []
    for r, trained in runs.items():
        for s, h in trained['runs'].items():
            history += tagged(h, remedy=r, seed=s)
    return Outcome({'final_test_acc': acc, 'train_minus_test_acc': gaps,
                    'baseline_gap': comparison_json(baseline),
                    'gap_none_minus_remedy': {r: comparison_json(c) for r, c in narrower.items()},
                    'test_acc_remedy_minus_none': {r: comparison_json(c)
                                                   for r, c in better.items()}},
                   claims, settings=dict(settings, seeds=seeds, batch_size=256),
                   history=history,
                   final={r: {str(s): h[-1] for s, h in t['runs'].items()}
                          for r, t in runs.items()},
                   figures=save(fig, out, '3.12.1', 'remedies'),
                   answer='Train - test accuracy of the plain network: %s ± %s points (1 se, '
                          '%s). Dropout %s the gap, BatchNorm %s it.%s'
                          % (fmt(100 * baseline['mean_a'], 3), fmt(100 * baseline['se'], 2),
                             seeds_text(baseline['seeds']),
                             _effect(narrower['dropout']), _effect(narrower['batchnorm']),
                             ' Diverged, left out: %s.' % note if note else ''))


def _effect(comparison):
    """'narrows' / 'widens' / 'does not measurably change' for gap(none) - gap(remedy)."""
    decision = decided(comparison, +1)
    return {True: 'narrows', False: 'widens'}.get(decision, 'does not measurably change')


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


def _sweep(seed, epochs, ctx):
    """One data set (seed) and the Gluon fit for every wd on it: {wd: fit}."""
    set_seed(seed)
    data = wd_section.make_data(ctx=ctx[0])
    fits = {}
    for wd in WDS:
        set_seed(seed)
        fits[wd] = _gluon_fit(wd, data, epochs, ctx)
    return fits


def _trend(values, keys, direction):
    """Is "the larger the key, the larger (direction +1) / smaller (-1) the value" borne out?
    Each adjacent pair a < b is judged on its own seeds; the trend holds when no pair goes the
    other way beyond 2 se and the ends (smallest vs largest key) differ the claimed way beyond
    2 se, fails when a pair goes the other way, and is undecided otherwise. Returns the
    decision, the pairs' comparisons and the ends' comparison."""
    pairs = {(a, b): compare_seeds(values[b], values[a]) for a, b in zip(keys, keys[1:])}
    ends = compare_seeds(values[keys[-1]], values[keys[0]])
    verdicts = [decided(c, direction) for c in pairs.values()]
    if any(v is False for v in verdicts):
        return False, pairs, ends
    return decided(ends, direction), pairs, ends


def _same_pairs(values, keys, tolerance):
    """"Does not change": each adjacent pair's log ratio (per seed) within log(tolerance);
    all_hold over the pairs, and the pairs' comparisons."""
    pairs = {(a, b): compare_seeds({s: math.log(values[b][s] / values[a][s]) for s in values[a]},
                                   {s: 0.0 for s in values[a]})
             for a, b in zip(keys, keys[1:])}
    return all_hold(*(decided_same(c, math.log(tolerance)) for c in pairs.values())), pairs


def _pair_list(pairs, direction=None, tolerance=None):
    """'1 -> 3 ✔, 3 -> 10 ✔, 30 -> 100 ?' for the pairs of _trend (direction) or _same_pairs
    (tolerance), then a failing pair, else the least clear one, with its mean and standard
    error."""
    marks, decisions = [], {}
    for (a, b), c in pairs.items():
        d = (decided(c, direction) if direction is not None
             else decided_same(c, math.log(tolerance)))
        decisions[(a, b)] = d
        marks.append('%g -> %g %s' % (a, b, {True: '✔', False: '✘'}.get(d, '?')))
    rank = {False: 0, None: 1, True: 2}
    (a, b), c = min(pairs.items(), key=lambda kv: (rank[decisions[kv[0]]],
                                                  abs(kv[1]['diff'] or 0)
                                                  / max(kv[1]['se'] or 0, 1e-300)))
    # three significant digits of the larger mean (training losses are near 1e-4)
    size = max(abs(c['mean_a'] or 0), abs(c['mean_b'] or 0), 1e-12)
    digits = 3 + max(0, -int(math.floor(math.log10(size))) - 1)
    if direction is None:   # a comparison of log(value at b / value at a) with 0
        text = evidence(c, 'log(wd %g / wd %g)' % (b, a), 'zero', digits)
    else:
        text = evidence(c, 'wd %g' % b, 'wd %g' % a, digits)
    label = 'failing pair' if decisions[(a, b)] is False else 'least clear pair'
    return '%s; %s: %s' % (', '.join(marks), label, text)


@EXERCISES.add('3.12.3', 'Tune the weight-decay hyperparameter and analyse the results',
               '权重衰减超参数越大，test的loss下降的越快，train越拟合，但是test上的最终loss不会改变。'
               '（fit_and_plot_gluon(3): L2 norm of w: 0.0395；fit_and_plot_gluon(10): 0.0284）',
               'the larger the weight decay, the faster the test loss falls and the better the '
               'training set is fitted, but the final test loss does not change (wd 3: ||w|| '
               '0.0395; wd 10: 0.0284)',
               full_note="the book's Gluon fit (batch 1, lr 0.003, 100 epochs) for wd = 0, 1, 3, "
                         '10, 30, 100 on 5 data sets (seeds)')
def weight_decay_sweep(ctx, quick, out, seed):
    seeds, epochs = seed_list(quick, seed), 5 if quick else 100
    sweeps = {s: _sweep(s, epochs, ctx) for s in seeds}

    def per_wd(fn):
        return {wd: {s: float(fn(sweeps[s][wd])) for s in seeds} for wd in WDS}
    early = per_wd(lambda f: f['history'][4]['test_loss'])
    train_loss = per_wd(lambda f: f['train_loss'])
    test_loss = per_wd(lambda f: f['test_loss'])
    norm = per_wd(lambda f: f['w_norm'])
    positive = [wd for wd in WDS if wd > 0]
    # "does not change": log of max / min final test loss over wd > 0, per seed, within log 1.5
    log_spread = {s: math.log(max(test_loss[w][s] for w in positive)
                              / min(test_loss[w][s] for w in positive)) for s in seeds}
    faster, faster_pairs, _ = _trend(early, WDS, -1)
    same, same_pairs = _same_pairs(test_loss, positive, 1.5)
    fitted, fitted_pairs, _ = _trend(train_loss, positive, -1)
    shrinks, norm_pairs, _ = _trend(norm, WDS, -1)

    def mean(values):
        return sum(values.values()) / len(values)

    def row(values):
        return ', '.join('%g: %s' % (wd, fmt(mean(values[wd]), 3)) for wd in WDS)

    claims = [
        Claim('the larger wd, the faster the test loss falls (lower after 5 epochs)', faster,
              'test loss after 5 epochs by wd (mean of %s): %s; adjacent pairs (✔ lower '
              'beyond 2 se, ? within): %s' % (seeds_text(seeds), row(early),
                                               _pair_list(faster_pairs, -1))),
        Claim('the final test loss does not change with wd (each step of wd > 0 within x1.5)',
              same,
              'final test loss by wd: %s; adjacent pairs (✔ ratio within x1.5 beyond 2 se, ? '
              'undecided, ✘ beyond): %s' % (row(test_loss), _pair_list(same_pairs,
                                                                       tolerance=1.5))),
        Claim('the larger wd, the better the training set is fitted (lower training loss)',
              fitted,
              'final training loss by wd: %s; adjacent pairs (✘: higher beyond 2 se): %s'
              % (row(train_loss), _pair_list(fitted_pairs, -1)), main=False),
        Claim('||w|| shrinks as wd grows (0.0395 at 3, 0.0284 at 10)', shrinks,
              '||w|| by wd: %s; adjacent pairs: %s' % (row(norm), _pair_list(norm_pairs, -1)),
              main=False),
    ]
    fits = sweeps[seeds[0]]
    fig, (ax1, ax2) = new_figure(figsize=(6.5, 2.6), nrows=1, ncols=2)
    for wd in WDS:   # the first seed's curves
        history = fits[wd]['history']
        ax1.semilogy([h['epoch'] for h in history], [h['test_loss'] for h in history],
                     label='wd %g' % wd)
    ax1.set_xlabel('epoch')
    ax1.set_ylabel('test loss')
    ax1.legend(fontsize=6)
    xs = [max(wd, 0.3) for wd in WDS]   # wd = 0 drawn at 0.3 on the log axis
    ax2.loglog(xs, [mean(train_loss[wd]) for wd in WDS], marker='o', label='train')
    ax2.loglog(xs, [mean(test_loss[wd]) for wd in WDS], marker='o', label='test')
    ax2.set_xlabel('wd (0 drawn at 0.3)')
    ax2.set_ylabel('final loss')
    ax2.legend(fontsize=7)
    fig.tight_layout()
    history = []
    for wd in WDS:
        history += tagged(fits[wd]['history'], wd=wd, seed=seeds[0])

    def by_wd(values):
        return {'%g' % wd: {str(s): v for s, v in values[wd].items()} for wd in WDS}
    return Outcome({'test_loss_epoch5': by_wd(early), 'final_train_loss': by_wd(train_loss),
                    'pairs': {name: {'%g -> %g' % k: comparison_json(c) for k, c in p.items()}
                              for name, p in (('test_loss_epoch5', faster_pairs),
                                              ('final_test_loss_log_ratio', same_pairs),
                                              ('final_train_loss', fitted_pairs),
                                              ('w_norm', norm_pairs))},
                    'final_test_loss': by_wd(test_loss), 'w_norm': by_wd(norm)},
                   claims, settings={'wds': list(WDS), 'num_epochs': epochs, 'lr': 0.003,
                                     'batch_size': 1, 'seeds': seeds},
                   history=history,
                   final={'seed %d, wd=%g' % (s, wd): {k: sweeps[s][wd][k] for k in
                                                        ('train_loss', 'test_loss', 'w_norm',
                                                         'b')}
                          for s in seeds for wd in WDS},
                   figures=save(fig, out, '3.12.3', 'weight_decay_sweep'),
                   answer='Means over %s: final test loss by wd %s; final training loss by '
                          'wd %s.' % (seeds_text(seeds), row(test_loss), row(train_loss)))
