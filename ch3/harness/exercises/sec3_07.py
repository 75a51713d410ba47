"""Exercise of 3.7 (softmax regression with Gluon): batch size, epochs and learning rate."""
from ch3.harness.exercises.base import (MARGIN, Claim, ExerciseList, Outcome, all_hold,
                                        compare_seeds, comparison_json, decided, decided_same,
                                        diverged_note, epoch_axis, evidence, fmt, save,
                                        seed_list, seed_values, seeds_text, tagged, train_seeds)
from ch3.book.plotting import new_figure
from ch3.harness.runs import softmax as softmax_section  # run_gluon

EXERCISES = ExerciseList()

QUICK_SUBSET = 1000
BOOK = {'batch_size': 256, 'lr': 0.1, 'num_epochs': 5}


def _acc(run, epoch=None):
    history = run['history']
    return history[(epoch or len(history)) - 1]['test_acc']


@EXERCISES.add('3.7.1', 'Tune the hyperparameters (batch size, epochs, learning rate): what '
               'happens?',
               '缩小batch_size能提高精确度，缩小到64的效果比较好；提高num_epochs能提高精确度，提高到8左右即可；'
               'learning_rate从0.3到0.1有助于提高精确率，再低反而降低。',
               'a smaller batch_size raises the accuracy, 64 works well; more num_epochs raise '
               'it, about 8 is enough; lowering the learning rate from 0.3 to 0.1 helps, lower '
               'again hurts',
               full_note="one 10-epoch run at the book's settings gives epochs 5, 8 and 10; the "
                         'other runs change one setting at 5 epochs; 5 seeds each')
def hyperparameters(ctx, quick, out, seed):
    subset, seeds = (QUICK_SUBSET if quick else None), seed_list(quick, seed)

    def run(**changes):
        settings = dict(BOOK, **changes)
        return train_seeds(softmax_section.run_gluon, seeds, ctx=ctx, subset=subset, **settings)

    long_run = run(num_epochs=10)
    runs = {'batch 64': run(batch_size=64), 'lr 0.03': run(lr=0.03), 'lr 0.3': run(lr=0.3)}
    base = seed_values(long_run, lambda r: _acc(r, 5))
    acc = {'book (batch 256, lr 0.1), epoch 5': base,
           'epoch 8': seed_values(long_run, lambda r: _acc(r, 8)),
           'epoch 10': seed_values(long_run, lambda r: _acc(r, 10))}
    acc.update({name: seed_values(r, _acc) for name, r in runs.items()})
    cmp = {'batch': compare_seeds(acc['batch 64'], base),
           'epochs': compare_seeds(acc['epoch 8'], base),
           'enough': compare_seeds(acc['epoch 10'], acc['epoch 8']),
           'lr 0.3': compare_seeds(base, acc['lr 0.3']),
           'lr 0.03': compare_seeds(base, acc['lr 0.03'])}
    note = diverged_note(dict(runs, book=long_run))
    fig, ax = new_figure(figsize=(4.5, 3))
    for name, trained in dict({'batch 256, lr 0.1': long_run}, **runs).items():
        if trained['runs']:
            first = trained['runs'][min(trained['runs'])]['history']
            ax.plot([h['epoch'] for h in first], [h['test_acc'] for h in first], marker='.',
                    label='%s (seed %d)' % (name, min(trained['runs'])))
    epoch_axis(ax)
    ax.set_ylabel('test accuracy')
    ax.legend(fontsize=7)
    claims = [
        Claim('batch size 64 gives a higher accuracy than 256', decided(cmp['batch'], +1),
              'test acc after 5 epochs (points): '
              + evidence(cmp['batch'], 'batch 64', 'batch 256', 2, 100, note)),
        Claim('more epochs raise the accuracy (8 rather than 5)', decided(cmp['epochs'], +1),
              'test acc (points): ' + evidence(cmp['epochs'], 'epoch 8', 'epoch 5', 2, 100)),
        Claim('about 8 epochs are enough (10 add under a point)',
              decided_same(cmp['enough'], MARGIN),
              'test acc (points): ' + evidence(cmp['enough'], 'epoch 10', 'epoch 8', 2, 100),
              main=False),
        Claim('lr 0.1 beats both 0.3 and 0.03',
              all_hold(decided(cmp['lr 0.3'], +1), decided(cmp['lr 0.03'], +1)),
              'test acc after 5 epochs (points): %s; %s'
              % (evidence(cmp['lr 0.3'], 'lr 0.1', 'lr 0.3', 2, 100),
                 evidence(cmp['lr 0.03'], 'lr 0.1', 'lr 0.03', 2, 100))),
    ]
    means = {k: sum(v.values()) / len(v) for k, v in acc.items() if v}
    history = []
    for name, trained in dict(runs, book=long_run).items():
        for s, r in trained['runs'].items():
            history += tagged(r['history'], run=name, seed=s)

    def verb(decision, yes, no):
        return yes if decision else no if decision is False else 'cannot tell (within 2 se)'
    return Outcome({'test_acc': {k: {str(s): a for s, a in v.items()} for k, v in acc.items()},
                    'comparisons': {k: comparison_json(c) for k, c in cmp.items()}},
                   claims, settings={'book': BOOK, 'subset': subset, 'seeds': seeds},
                   history=history,
                   final={name: {str(s): r['final'] for s, r in t['runs'].items()}
                          for name, t in dict(runs, book=long_run).items()},
                   figures=save(fig, out, '3.7.1', 'hyperparameters'),
                   answer='Mean test accuracy over %s, best first: %s. Batch 64 against 256: %s; '
                          'epoch 8 against 5: %s; lr 0.1 against 0.3: %s, against 0.03: %s.'
                          % (seeds_text(seeds), ', '.join(
                              '%s %s' % (k, fmt(means[k], 3))
                              for k in sorted(means, key=means.get, reverse=True)),
                             verb(decided(cmp['batch'], +1), 'higher', 'lower'),
                             verb(decided(cmp['epochs'], +1), 'higher', 'lower'),
                             verb(decided(cmp['lr 0.3'], +1), 'better', 'worse'),
                             verb(decided(cmp['lr 0.03'], +1), 'better', 'worse')))
