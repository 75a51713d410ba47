"""Exercise of 3.7 (softmax regression with Gluon): batch size, epochs and learning rate."""
from ch3.harness.exercises.base import (MARGIN, Claim, ExerciseList, Outcome, epoch_axis, fmt, save, tagged,
                                train)
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
                         'other runs change one setting at 5 epochs')
def hyperparameters(ctx, quick, out, seed):
    subset = QUICK_SUBSET if quick else None

    def run(**changes):
        settings = dict(BOOK, **changes)
        return train(softmax_section.run_gluon, seed, ctx=ctx, subset=subset, **settings)

    long_run = run(num_epochs=10)
    runs = {'batch 64': run(batch_size=64), 'lr 0.03': run(lr=0.03), 'lr 0.3': run(lr=0.3)}
    base = _acc(long_run, 5)
    acc = {'book (batch 256, lr 0.1), epoch 5': base, 'epoch 8': _acc(long_run, 8),
           'epoch 10': _acc(long_run, 10)}
    acc.update({name: _acc(r) for name, r in runs.items()})
    fig, ax = new_figure(figsize=(4.5, 3))
    epochs = [h['epoch'] for h in long_run['history']]
    ax.plot(epochs, [h['test_acc'] for h in long_run['history']], marker='o',
            label='batch 256, lr 0.1')
    for name, r in runs.items():
        ax.plot([h['epoch'] for h in r['history']], [h['test_acc'] for h in r['history']],
                marker='.', label=name)
    epoch_axis(ax)
    ax.set_ylabel('test accuracy')
    ax.legend(fontsize=7)
    claims = [
        Claim('batch size 64 gives a higher accuracy than 256', acc['batch 64'] > base + MARGIN,
              'test acc after 5 epochs: batch 64 %s, batch 256 %s' % (fmt(acc['batch 64'], 3),
                                                                     fmt(base, 3))),
        Claim('more epochs raise the accuracy (8 rather than 5)', acc['epoch 8'] > base + MARGIN,
              'test acc at epoch 5 %s, 8 %s' % (fmt(base, 3), fmt(acc['epoch 8'], 3))),
        Claim('about 8 epochs are enough (10 add under a point)',
              acc['epoch 10'] - acc['epoch 8'] < MARGIN,
              'test acc at epoch 8 %s, 10 %s' % (fmt(acc['epoch 8'], 3),
                                                fmt(acc['epoch 10'], 3)), main=False),
        Claim('lr 0.1 beats both 0.3 and 0.03',
              base > acc['lr 0.3'] + MARGIN and base > acc['lr 0.03'] + MARGIN,
              'test acc after 5 epochs: lr 0.03 %s, 0.1 %s, 0.3 %s'
              % (fmt(acc['lr 0.03'], 3), fmt(base, 3), fmt(acc['lr 0.3'], 3))),
    ]
    history = tagged(long_run['history'], run='batch 256, lr 0.1')
    for name, r in runs.items():
        history += tagged(r['history'], run=name)
    return Outcome({'test_acc': acc}, claims,
                   settings={'book': BOOK, 'subset': subset}, history=history,
                   final={name: r['final'] for name, r in dict(runs, book=long_run).items()},
                   figures=save(fig, out, '3.7.1', 'hyperparameters'),
                   answer='Test accuracy, best first: %s. Within a fixed number of epochs, '
                          'settings that make more progress per epoch (more updates, larger '
                          'steps) come out ahead.'
                          % ', '.join('%s %s' % (k, fmt(acc[k], 3))
                                      for k in sorted(acc, key=acc.get, reverse=True)))
