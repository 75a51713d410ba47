"""Exercises of 3.10 (MLP with Gluon): three hidden layers against 3.9's from-scratch net, and
other activation functions. They train the sections' runs (ch3.harness.runs.mlp.run_gluon and
run_scratch, i.e. ch3.book.mlp) at the book's settings over 5 seeds (2 when quick); quick mode
applies the section's caps (ch3.harness.settings.QUICK['3.10'])."""
from ch3.harness.exercises.base import (Claim, ExerciseList, Outcome, by_epoch, compare_seeds,
                                        comparison_json, decided, diverged_note, epoch_axis,
                                        evidence, first_ctx, fmt, mean_of, save, seed_finals,
                                        seed_histories, seed_list, seed_values, seeds_text,
                                        train_seeds)
from ch3.book.plotting import new_figure
from ch3.harness.runs import mlp
from ch3.harness.settings import QUICK, apply_quick

EXERCISES = ExerciseList()


def quick_settings(quick, **settings):
    """settings with section 3.10's quick caps (subset, num_epochs) applied when quick."""
    return apply_quick('3.10', settings, tuple(QUICK['3.10'])) if quick else settings


ACTIVATIONS = ('relu', 'tanh', 'sigmoid')


def _curves_figure(runs, key='test_acc', ylabel='test accuracy'):
    """key per epoch for the first seed of each run."""
    fig, ax = new_figure()
    for name, trained in runs.items():
        if not trained['runs']:
            continue
        seed = min(trained['runs'])
        history = trained['runs'][seed]['history']
        ax.plot([h['epoch'] for h in history], [h[key] for h in history],
                marker='o', label='%s (seed %d)' % (name, seed))
    epoch_axis(ax)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7)
    return fig








def _settings(trained, seeds):
    first = next(iter(trained['runs'].values()), None)
    return dict(first['hyperparameters'] if first else {}, seeds=seeds)


SCRATCH = '3.9 from scratch, 1 hidden layer'
DEEP = 'Gluon, 3 hidden layers'


@EXERCISES.add('3.10.1', 'Add more hidden layers and compare with the from-scratch version of '
               '3.9',
               '加入3个隐藏层。epoch 1, loss 1.9463, train acc 0.221, test acc 0.497 … epoch 5, '
               'loss 0.4902, train acc 0.820, test acc 0.834',
               'three hidden layers of 256: epoch 1 train acc 0.221, test acc 0.497; epoch 5 test '
               'acc 0.834 (the notes give only these numbers: a much slower start and a lower '
               'result than 3.9\'s one-layer net, 0.865)',
               full_note="the Gluon net with three hidden layers of 256 against 3.9's "
                         'from-scratch net (one hidden layer of 256), 5 epochs, 5 seeds')
def three_hidden_layers(ctx, quick, out, seed):
    seeds = seed_list(quick, seed)
    runs = {SCRATCH: train_seeds(mlp.run_scratch, seeds, ctx=first_ctx(ctx),
                                 **quick_settings(quick, num_hiddens=256)),
            DEEP: train_seeds(mlp.run_gluon, seeds, ctx=ctx,
                              **quick_settings(quick, num_hiddens=(256, 256, 256)))}
    acc1 = {name: seed_values(t, lambda r: by_epoch(r['history'], 1, 'train_acc'))
            for name, t in runs.items()}
    final = {name: seed_values(t, lambda r: r['final']['test_acc']) for name, t in runs.items()}
    cmp = {'start': compare_seeds(acc1[DEEP], acc1[SCRATCH]),
           'end': compare_seeds(final[DEEP], final[SCRATCH])}
    note = diverged_note(runs)
    claims = [
        Claim('three hidden layers start much more slowly than 3.9\'s net',
              decided(cmp['start'], -1),
              'epoch-1 train acc (points): ' + evidence(cmp['start'], '3 layers', '3.9 net', 2,
                                                        100, note)),
        Claim('at the end (5 epochs) they are still behind 3.9\'s net',
              decided(cmp['end'], -1),
              'final test acc (points): ' + evidence(cmp['end'], '3 layers', '3.9 net', 2, 100)),
    ]
    return Outcome({'epoch1_train_acc': {k: mean_of(v) for k, v in acc1.items()},
                    'final_test_acc': {k: mean_of(v) for k, v in final.items()},
                    'comparisons': {k: comparison_json(c) for k, c in cmp.items()}}, claims,
                   settings=_settings(runs[DEEP], seeds), history=seed_histories(runs, 'run'),
                   final=seed_finals(runs),
                   figures=save(_curves_figure(runs), out, '3.10.1', 'three_layers'),
                   answer='Means over %s: epoch-1 train acc %s with three hidden layers vs %s '
                          'for 3.9\'s net; final test acc %s vs %s. With N(0, 0.01^2) weights '
                          'every extra layer shrinks the signal and its gradient at the start, '
                          'so the deeper net first sits near chance.'
                          % (seeds_text(seeds), fmt(mean_of(acc1[DEEP]), 3),
                             fmt(mean_of(acc1[SCRATCH]), 3), fmt(mean_of(final[DEEP]), 3),
                             fmt(mean_of(final[SCRATCH]), 3)))


@EXERCISES.add('3.10.2', 'Use other activation functions: how do they affect the results?',
               '使用tanh和sigmoid的效果均没有relu的好。',
               'tanh and sigmoid both do worse than relu',
               full_note="the book's Gluon net (one hidden layer of 256), 5 epochs, 5 seeds")
def other_activations(ctx, quick, out, seed):
    seeds = seed_list(quick, seed)
    runs = {a: train_seeds(mlp.run_gluon, seeds, ctx=ctx, **quick_settings(quick, activation=a))
            for a in ACTIVATIONS}
    acc = {a: seed_values(runs[a], lambda r: r['final']['test_acc']) for a in ACTIVATIONS}
    cmp = {a: compare_seeds(acc[a], acc['relu']) for a in ('tanh', 'sigmoid')}
    note = diverged_note(runs)
    claims = [
        Claim('%s does worse than relu' % a, decided(cmp[a], -1),
              'final test acc (points): ' + evidence(cmp[a], a, 'relu', 2, 100, note))
        for a in ('tanh', 'sigmoid')]
    means = {a: mean_of(acc[a]) for a in ACTIVATIONS}
    return Outcome({'final_test_acc': means,
                    'comparisons': {a: comparison_json(c) for a, c in cmp.items()}}, claims,
                   settings=_settings(runs['relu'], seeds),
                   history=seed_histories(runs, 'activation'), final=seed_finals(runs),
                   figures=save(_curves_figure(runs), out, '3.10.2', 'activations'),
                   answer='Mean final test acc over %s at lr 0.5: %s; sigmoid\'s gradient is at '
                          'most 0.25, which slows learning.'
                          % (seeds_text(seeds),
                             ', '.join('%s %s' % (a, fmt(means[a], 3)) for a in ACTIVATIONS)))
