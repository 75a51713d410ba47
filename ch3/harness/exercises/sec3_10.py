"""Exercises of 3.10 (MLP with Gluon): three hidden layers, and other activation functions. Both
train the section's Gluon run (ch3.harness.runs.mlp.run_gluon, i.e. ch3.book.mlp) at the
book's settings; quick mode applies the section's caps (ch3.harness.settings.QUICK['3.10'])."""
from ch3.harness.exercises.base import (MARGIN, Claim, ExerciseList, Outcome, by_epoch, epoch_axis, fmt,
                                save, tagged, train)
from ch3.book.plotting import new_figure
from ch3.harness.runs import mlp
from ch3.harness.settings import QUICK, apply_quick

EXERCISES = ExerciseList()


def quick_settings(quick, **settings):
    """settings with section 3.10's quick caps (subset, num_epochs) applied when quick."""
    return apply_quick('3.10', settings, tuple(QUICK['3.10'])) if quick else settings


ACTIVATIONS = ('relu', 'tanh', 'sigmoid')


def _curves_figure(runs, key='test_acc', ylabel='test accuracy'):
    fig, ax = new_figure()
    for name, run in runs.items():
        ax.plot([h['epoch'] for h in run['history']], [h[key] for h in run['history']],
                marker='o', label=name)
    epoch_axis(ax)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7)
    return fig


@EXERCISES.add('3.10.1', 'Add more hidden layers and compare with the from-scratch version of '
               '3.9',
               '加入3个隐藏层。epoch 1, loss 1.9463, train acc 0.221, test acc 0.497 … epoch 5, '
               'loss 0.4902, train acc 0.820, test acc 0.834',
               'three hidden layers of 256: epoch 1 train acc 0.221, test acc 0.497; epoch 5 test '
               'acc 0.834 (the notes give only these numbers: a much slower start and a lower '
               'result than one layer\'s 0.865)')
def three_hidden_layers(ctx, quick, out, seed):
    one = train(mlp.run_gluon, seed, ctx=ctx, **quick_settings(quick, num_hiddens=256))
    three = train(mlp.run_gluon, seed, ctx=ctx,
                  **quick_settings(quick, num_hiddens=(256, 256, 256)))
    runs = {'1 hidden layer': one, '3 hidden layers': three}
    acc1 = {name: by_epoch(r['history'], 1, 'train_acc') for name, r in runs.items()}
    final = {name: r['final']['test_acc'] for name, r in runs.items()}
    claims = [
        Claim('three hidden layers start much more slowly (epoch-1 train acc 10+ points lower)',
              acc1['3 hidden layers'] < acc1['1 hidden layer'] - 0.1,
              'epoch-1 train acc: 1 layer %s, 3 layers %s' % (fmt(acc1['1 hidden layer'], 3),
                                                             fmt(acc1['3 hidden layers'], 3))),
        Claim('at the end (5 epochs) they are still behind one layer (by more than a point)',
              final['3 hidden layers'] < final['1 hidden layer'] - MARGIN,
              'final test acc: 1 layer %s, 3 layers %s' % (fmt(final['1 hidden layer'], 3),
                                                          fmt(final['3 hidden layers'], 3))),
    ]
    history = []
    for name, run in runs.items():
        history += tagged(run['history'], run=name)
    return Outcome({'epoch1_train_acc': acc1, 'final_test_acc': final}, claims,
                   settings=three['hyperparameters'], history=history,
                   final={name: r['final'] for name, r in runs.items()},
                   figures=save(_curves_figure(runs), out, '3.10.1', 'three_layers'),
                   answer='Epoch-1 train acc %s with three hidden layers vs %s with one; final '
                          'test acc %s vs %s. With N(0, 0.01^2) weights every extra layer '
                          'shrinks the signal and its gradient at the start, so the deeper net '
                          'first sits near chance.'
                          % (fmt(acc1['3 hidden layers'], 3), fmt(acc1['1 hidden layer'], 3),
                             fmt(final['3 hidden layers'], 3), fmt(final['1 hidden layer'], 3)))


@EXERCISES.add('3.10.2', 'Use other activation functions: how do they affect the results?',
               '使用tanh和sigmoid的效果均没有relu的好。',
               'tanh and sigmoid both do worse than relu')
def other_activations(ctx, quick, out, seed):
    runs = {a: train(mlp.run_gluon, seed, ctx=ctx, **quick_settings(quick, activation=a))
            for a in ACTIVATIONS}
    acc = {a: runs[a]['final']['test_acc'] for a in ACTIVATIONS}
    table = ', '.join('%s %s' % (a, fmt(acc[a], 3)) for a in ACTIVATIONS)
    claims = [
        Claim('tanh does worse than relu (by more than a point)',
              acc['tanh'] < acc['relu'] - MARGIN, 'final test acc: ' + table),
        Claim('sigmoid does worse than relu (by more than a point)',
              acc['sigmoid'] < acc['relu'] - MARGIN,
              'final test acc: ' + table),
    ]
    history = []
    for a in ACTIVATIONS:
        history += tagged(runs[a]['history'], activation=a)
    best = max(acc, key=acc.get)
    return Outcome({'final_test_acc': acc}, claims, settings=runs['relu']['hyperparameters'],
                   history=history, final={a: runs[a]['final'] for a in ACTIVATIONS},
                   figures=save(_curves_figure(runs), out, '3.10.2', 'activations'),
                   answer='After %d epochs at lr 0.5 %s comes out best (%s); sigmoid\'s '
                          'gradient is at most 0.25, which slows learning.'
                          % (len(runs['relu']['history']), best, table))
