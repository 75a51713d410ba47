"""Exercises of 3.9 (MLP from scratch): the hidden width, and a second hidden layer. Both train
the section's own run (ch3.harness.runs.mlp.run_scratch, i.e. ch3.book.mlp) at the book's
settings over 5 seeds (2 when quick); quick mode applies the section's caps
(ch3.harness.settings.QUICK['3.9'])."""
from ch3.harness.exercises.base import (Claim, ExerciseList, MARGIN, Outcome, by_epoch,
                                        compare_seeds, comparison_json, decided, decided_same,
                                        diverged_note, epoch_axis, evidence, first_ctx, fmt,
                                        mean_of, save, seed_finals, seed_histories, seed_list,
                                        seed_values, seeds_text, train_seeds)
from ch3.book.plotting import new_figure
from ch3.harness.runs import mlp
from ch3.harness.settings import QUICK, apply_quick

EXERCISES = ExerciseList()


def quick_settings(quick, **settings):
    """settings with section 3.9's quick caps (subset, num_epochs) applied when quick."""
    return apply_quick('3.9', settings, tuple(QUICK['3.9'])) if quick else settings


WIDTHS = (128, 256, 512, 1024)
QUICK_WIDTH_SUBSET = 2000   # quick: four widths x two seeds, the widest from scratch


def _seconds_per_epoch(run):
    # the fastest epoch: the machine is shared, the minimum is the least disturbed measurement
    return min(h['seconds'] for h in run['history'])








@EXERCISES.add('3.9.1', 'Change num_hiddens: how does it affect the results?',
               'num_hiddens越高越耗时间，精确率有一定提高，但是超过512之后的不太显眼了，没必要。性价比高的数值大概在256-512之间。',
               'the higher num_hiddens, the more time it takes; accuracy improves somewhat, but '
               'beyond 512 hardly visibly, not worth it; 256-512 is the best value for money',
               full_note='widths 128, 256, 512 and 1024, 5 epochs each')
def hidden_width(ctx, quick, out, seed):
    seeds = seed_list(quick, seed)
    runs = {w: train_seeds(mlp.run_scratch, seeds, ctx=first_ctx(ctx),
                           **quick_settings(quick, num_hiddens=w,
                                            subset=QUICK_WIDTH_SUBSET if quick else None))
            for w in WIDTHS}
    acc = {w: seed_values(runs[w], lambda r: r['final']['test_acc']) for w in WIDTHS}
    seconds = {w: seed_values(runs[w], _seconds_per_epoch) for w in WIDTHS}
    note = diverged_note({'width %d' % w: runs[w] for w in WIDTHS})
    cmp = {'time': compare_seeds(seconds[512], seconds[128]),
           'gain': compare_seeds(acc[512], acc[128]),
           'beyond': compare_seeds(acc[1024], acc[512])}
    fig, (ax1, ax2) = new_figure(figsize=(6, 2.5), nrows=1, ncols=2)
    ax1.plot(WIDTHS, [mean_of(acc[w]) for w in WIDTHS], marker='o')
    ax1.set_xscale('log', base=2)
    ax1.set_xlabel('num_hiddens')
    ax1.set_ylabel('test accuracy (mean over seeds)')
    ax2.plot(WIDTHS, [mean_of(seconds[w]) for w in WIDTHS], marker='o')
    ax2.set_xscale('log', base=2)
    ax2.set_xlabel('num_hiddens')
    ax2.set_ylabel('seconds per epoch')
    fig.tight_layout()
    claims = [
        Claim('wider layers take more time', decided(cmp['time'], +1),
              'seconds per epoch (fastest epoch of each run): '
              + evidence(cmp['time'], 'width 512', 'width 128', 3)),
        Claim('accuracy improves somewhat with the width (512 over 128)',
              decided(cmp['gain'], +1),
              'final test acc (points): ' + evidence(cmp['gain'], 'width 512', 'width 128', 2,
                                                     100, note)),
        Claim('beyond 512 the gain is hardly visible (under a point)',
              decided_same(cmp['beyond'], MARGIN),
              'final test acc (points): ' + evidence(cmp['beyond'], 'width 1024', 'width 512', 2,
                                                     100), main=False),
    ]
    means = {w: mean_of(acc[w]) for w in WIDTHS}
    first = next((t['runs'][min(t['runs'])] for t in runs.values() if t['runs']), None)
    return Outcome({'test_acc': {str(w): {str(s): a for s, a in acc[w].items()} for w in WIDTHS},
                    'seconds_per_epoch': {str(w): mean_of(seconds[w]) for w in WIDTHS},
                    'comparisons': {k: comparison_json(c) for k, c in cmp.items()}},
                   claims, settings=dict(first['hyperparameters'] if first else {},
                                         num_hiddens=list(WIDTHS), seeds=seeds),
                   history=seed_histories(runs, 'num_hiddens'), final=seed_finals(runs),
                   figures=save(fig, out, '3.9.1', 'hidden_width'),
                   answer='Mean test accuracy over %s: %s, while the time per epoch grows '
                          '(%s s at 128, %s s at 1024).'
                          % (seeds_text(seeds), ', '.join('%d: %s' % (w, fmt(means[w], 3))
                                                          for w in WIDTHS),
                             fmt(mean_of(seconds[128]), 3), fmt(mean_of(seconds[1024]), 3)))


@EXERCISES.add('3.9.2', 'Add another hidden layer: how does it affect the results?',
               '第一次的精确率较低，但是梯度下降的速度更快了，后面的几次精确率显著提高。'
               '（epoch 1 … train acc 0.519 … epoch 5 … test acc 0.857）',
               'the first epoch\'s accuracy is lower, but gradient descent becomes faster and the '
               'later epochs\' accuracy rises markedly (their run: epoch 1 train acc 0.519, '
               'epoch 5 test acc 0.857)',
               full_note="256 + 256 hidden units against the book's single 256, 5 epochs each, "
                         '5 seeds')
def extra_hidden_layer(ctx, quick, out, seed):
    seeds = seed_list(quick, seed)
    runs = {'one hidden layer (256)': train_seeds(mlp.run_scratch, seeds, ctx=first_ctx(ctx),
                                                  **quick_settings(quick, num_hiddens=256)),
            'two hidden layers (256, 256)': train_seeds(
                mlp.run_scratch, seeds, ctx=first_ctx(ctx),
                **quick_settings(quick, num_hiddens=(256, 256)))}
    one, two = runs.values()
    note = diverged_note(runs)

    def at(metric, epoch):
        return {k: seed_values(t, lambda r: by_epoch(r['history'], epoch or len(r['history']),
                                                     metric))
                for k, t in (('one', one), ('two', two))}
    acc1, loss, final = at('train_acc', 1), at('loss', None), at('test_acc', None)
    # both nets start from the same loss, log 10 = 2.303 (N(0, 0.01^2) weights give logits
    # near 0), so "faster descent" is a lower training loss after the same number of epochs
    cmp = {'first': compare_seeds(acc1['two'], acc1['one']),
           'loss': compare_seeds(loss['two'], loss['one']),
           'final': compare_seeds(final['two'], final['one'])}
    fig, ax = new_figure()
    for name, trained in runs.items():
        if trained['runs']:
            h = trained['runs'][min(trained['runs'])]['history']
            ax.plot([e['epoch'] for e in h], [e['test_acc'] for e in h], marker='o',
                    label='%s, seed %d' % (name, min(trained['runs'])))
    epoch_axis(ax)
    ax.set_ylabel('test accuracy')
    ax.legend(fontsize=7)
    claims = [
        Claim('with the extra layer the first epoch\'s accuracy is lower',
              decided(cmp['first'], -1),
              'epoch-1 train acc (points): ' + evidence(cmp['first'], 'two layers', 'one layer',
                                                        2, 100, note)),
        Claim('gradient descent is faster: from the same start (loss log 10 = 2.303) the '
              'training loss is lower after the same number of epochs',
              decided(cmp['loss'], -1),
              'training loss at the last epoch: '
              + evidence(cmp['loss'], 'two layers', 'one layer', 3)),
        Claim('the later epochs\' accuracy rises markedly: the deeper net ends ahead',
              decided(cmp['final'], +1),
              'test acc at the last epoch (points): '
              + evidence(cmp['final'], 'two layers', 'one layer', 2, 100)
              + "; the notes' own run: 0.857 against 0.865 for one layer of 256"),
    ]
    n = len(next(iter(two['runs'].values()))['history']) if two['runs'] else 0
    return Outcome({'epoch1_train_acc': {k: mean_of(v) for k, v in acc1.items()},
                    'final_test_acc': {k: mean_of(v) for k, v in final.items()},
                    'final_loss': {k: mean_of(v) for k, v in loss.items()},
                    'comparisons': {k: comparison_json(c) for k, c in cmp.items()}},
                   claims, settings=dict(next(iter(two['runs'].values()))['hyperparameters']
                                         if two['runs'] else {}, seeds=seeds),
                   history=seed_histories(runs, 'run'), final=seed_finals(runs),
                   figures=save(fig, out, '3.9.2', 'extra_layer'),
                   answer='With the extra layer the first epoch reaches train acc %s (one '
                          'layer: %s, means over %s): at N(0, 0.01^2) init each layer shrinks '
                          'the signal, so the deeper net needs more steps to get going. After '
                          '%d epochs it %s: training loss %s against %s, test acc %s against %s.'
                          % (fmt(mean_of(acc1['two']), 3), fmt(mean_of(acc1['one']), 3),
                             seeds_text(seeds), n,
                             {True: 'is ahead', False: 'is still behind'}.get(
                                 decided(cmp['final'], +1), 'is level within the noise'), fmt(mean_of(loss['two']), 3),
                             fmt(mean_of(loss['one']), 3), fmt(mean_of(final['two']), 3),
                             fmt(mean_of(final['one']), 3)))
