"""Exercises of 3.13 (dropout): swapping the two drop probabilities, more epochs with and without
dropout, a wider network, and dropout against weight decay. They train the section's networks
(ch3.book.dropout, through the run ch3.harness.runs.dropout or directly) with
ch3.book.training.train_ch3; quick mode applies the section's caps (ch3.harness.settings)."""
from mxnet import init
from mxnet.gluon import nn

from ch3.harness.exercises.base import (MARGIN, Claim, ExerciseList, Outcome, epoch_axis, fashion_iters,
                                first_ctx, fit_gluon_classifier, fmt, save, tagged, train)
from ch3.book.plotting import new_figure
from ch3.book import dropout as dropout_book
from ch3.harness.runs import dropout as dropout_section
from ch3.harness.settings import QUICK, apply_quick

EXERCISES = ExerciseList()

BOOK_PROBS = (0.2, 0.5)
NO_DROPOUT = (0.0, 0.0)
BOOK_WIDTHS = (256, 256)
WIDE = (1024, 1024)
# "more epochs": twice the book's 5, on the full data; quick: a small subset for a few epochs
LONG = {'num_epochs': 10, 'n_train': None, 'n_test': None}
QUICK_LONG = {'num_epochs': 3, 'n_train': 2000, 'n_test': 1000}
WEIGHT_DECAY = 1e-3


def quick_settings(quick, **settings):
    """settings with section 3.13's quick caps (subset, num_epochs) applied when quick."""
    return apply_quick('3.13', settings, tuple(QUICK['3.13'])) if quick else settings


def _batchnorm_net(widths, ctx):
    """Dense -> BatchNorm -> ReLU per hidden layer, then Dense(10), N(0, 0.01^2) weights."""
    net = nn.HybridSequential()
    for width in widths:
        net.add(nn.Dense(width), nn.BatchNorm(), nn.Activation('relu'))
    net.add(nn.Dense(10))
    net.initialize(init.Normal(sigma=0.01), ctx=ctx)
    net.hybridize()
    return net


def mlp_run(ctx, num_epochs, n_train, n_test, widths=BOOK_WIDTHS, drop_probs=BOOK_PROBS, wd=0.0,
            batchnorm=False, batch_size=256, lr=0.5, verbose=False):
    """Train 3.13's Gluon MLP (dropout after each hidden layer; or BatchNorm instead) on the first
    n_train / n_test images with SGD (lr, weight decay wd); returns the per-epoch history."""
    train_iter, test_iter = fashion_iters(batch_size, n_train, n_test, ctx)
    if batchnorm:
        net = _batchnorm_net(widths, ctx)
    else:
        net = dropout_book.gluon_net(*widths, *drop_probs, ctx=ctx)
    return fit_gluon_classifier(net, train_iter, test_iter, num_epochs, batch_size, lr, wd=wd,
                                ctx=ctx)


def long_settings(quick):
    return dict(QUICK_LONG if quick else LONG)


TAIL = 3   # test accuracy jumps by 1-3 points between epochs at lr 0.5: average the last 3


def tail_mean(history, key, k=TAIL):
    """Mean of history[i][key] over the last k epochs (steadier than the last epoch alone)."""
    values = [h[key] for h in history[-k:]]
    return sum(values) / len(values)


def gap(history):
    """Train minus test accuracy over the last epochs (how far training pulls away); the train
    accuracy is train_ch3's running one, i.e. measured with dropout on."""
    return tail_mean(history, 'train_acc') - tail_mean(history, 'test_acc')


def loss_spikes(history, factor=1.5):
    """Epochs whose training loss rose above factor x the previous epoch's (lr 0.5 can throw a
    run back): [(epoch, loss before, loss)]."""
    return [(h['epoch'], prev['loss'], h['loss']) for prev, h in zip(history, history[1:])
            if h['loss'] > factor * prev['loss']]


def _spike_note(runs):
    notes = ['%s at epoch %d (training loss %s -> %s)' % (label, epoch, fmt(before, 3),
                                                          fmt(after, 3))
             for label, history in runs.items() for epoch, before, after in loss_spikes(history)]
    return '; training blew up: ' + ', '.join(notes) if notes else ''


def _curves(runs, out, exercise_id, name):
    fig, ax = new_figure(figsize=(4.5, 3))
    for label, history in runs.items():
        epochs = [h['epoch'] for h in history]
        line, = ax.plot(epochs, [h['train_acc'] for h in history], ':')
        ax.plot(epochs, [h['test_acc'] for h in history], color=line.get_color(), label=label)
    epoch_axis(ax)
    ax.set_ylabel('accuracy (dotted: train)')
    ax.legend(fontsize=7)
    return save(fig, out, exercise_id, name)


def _history(runs):
    history = []
    for label, h in runs.items():
        history += tagged(h, run=label)
    return history


def _final(runs):
    return {label: {k: h[-1][k] for k in ('loss', 'train_acc', 'test_acc')}
            for label, h in runs.items()}


@EXERCISES.add('3.13.1', 'What happens if the two drop probabilities are swapped?',
               '结果接近，无显著差别。',
               'the results are close, no significant difference')
def swap_probabilities(ctx, quick, out, seed):
    runs = {str(p): train(dropout_section.run_scratch, seed, ctx=first_ctx(ctx),
                          **quick_settings(quick, drop_prob1=p[0], drop_prob2=p[1]))
            for p in (BOOK_PROBS, BOOK_PROBS[::-1])}
    acc = {p: r['final']['test_acc'] for p, r in runs.items()}
    book, swapped = acc[str(BOOK_PROBS)], acc[str(BOOK_PROBS[::-1])]
    claims = [
        Claim('swapping them makes no significant difference (within a point)',
              abs(book - swapped) <= MARGIN,
              'final test acc: drop probs %s %s, swapped %s %s'
              % (BOOK_PROBS, fmt(book, 3), BOOK_PROBS[::-1], fmt(swapped, 3))),
    ]
    return Outcome({'final_test_acc': acc}, claims,
                   settings=runs[str(BOOK_PROBS)]['hyperparameters'],
                   history=_history({p: r['history'] for p, r in runs.items()}),
                   final={p: r['final'] for p, r in runs.items()},
                   figures=_curves({'drop %s' % p: r['history'] for p, r in runs.items()}, out,
                                   '3.13.1', 'swap'),
                   answer='Final test acc %s with (0.2, 0.5) and %s with (0.5, 0.2), %s points '
                          'apart; epoch-to-epoch noise at lr 0.5 is 1-3 points.'
                          % (fmt(book, 3), fmt(swapped, 3), fmt(100 * abs(book - swapped), 2)))


@EXERCISES.add('3.13.2', 'Increase the number of epochs: compare training with and without '
               'dropout',
               '1.不使用丢弃的话会过拟合，loss一直降低，train acc一直提高。2.使用丢弃法的话，loss也会降低，train acc'
               '也会一直提高，但速度较慢。',
               '1. without dropout it overfits: the loss keeps falling and train acc keeps '
               'rising; 2. with dropout the loss also falls and train acc also rises, but more '
               'slowly',
               full_note="the book's Gluon network for 10 epochs (twice the book's 5) on the full "
                         'data, with drop probabilities (0.2, 0.5) and with none')
def more_epochs(ctx, quick, out, seed):
    settings = long_settings(quick)
    runs = {'dropout (0.2, 0.5)': train(mlp_run, seed, ctx=ctx, drop_probs=BOOK_PROBS, **settings),
            'no dropout': train(mlp_run, seed, ctx=ctx, drop_probs=NO_DROPOUT, **settings)}
    with_d, without = runs['dropout (0.2, 0.5)'], runs['no dropout']
    gaps = {label: gap(h) for label, h in runs.items()}
    mid = len(without) // 2
    claims = [
        Claim('without dropout the model overfits: its train accuracy pulls away from its test '
              'accuracy more than with dropout',
              gaps['no dropout'] > gaps['dropout (0.2, 0.5)'] and gaps['no dropout'] > 0,
              'train - test acc (mean of the last %d of %d epochs): without %s, with %s'
              % (TAIL, len(without), fmt(gaps['no dropout'], 3),
                 fmt(gaps['dropout (0.2, 0.5)'], 3))),
        Claim('without dropout the loss keeps falling and train acc keeps rising',
              without[-1]['loss'] < without[mid - 1]['loss']
              and without[-1]['train_acc'] > without[mid - 1]['train_acc'],
              'without dropout, epoch %d -> %d: loss %s -> %s, train acc %s -> %s'
              % (mid, len(without), fmt(without[mid - 1]['loss'], 3), fmt(without[-1]['loss'], 3),
                 fmt(without[mid - 1]['train_acc'], 3), fmt(without[-1]['train_acc'], 3))),
        Claim('with dropout they improve too, but more slowly',
              with_d[-1]['loss'] < with_d[mid - 1]['loss']
              and with_d[-1]['loss'] > without[-1]['loss']
              and with_d[-1]['train_acc'] < without[-1]['train_acc'],
              'final training loss with %s vs without %s, train acc %s vs %s'
              % (fmt(with_d[-1]['loss'], 3), fmt(without[-1]['loss'], 3),
                 fmt(with_d[-1]['train_acc'], 3), fmt(without[-1]['train_acc'], 3))),
    ]
    return Outcome({'train_minus_test_acc': gaps, 'final': _final(runs)}, claims,
                   settings=dict(settings, widths=list(BOOK_WIDTHS), batch_size=256, lr=0.5),
                   history=_history(runs), final=_final(runs),
                   figures=_curves(runs, out, '3.13.2', 'more_epochs'),
                   answer='Test accuracy (mean of the last %d of %d epochs): with dropout %s, '
                          'without %s.' % (TAIL, len(without),
                                           fmt(tail_mean(with_d, 'test_acc'), 3),
                                           fmt(tail_mean(without, 'test_acc'), 3)))


@EXERCISES.add('3.13.3', 'Make the model more complex (e.g. more hidden units): is dropout\'s '
               'effect against overfitting more visible?',
               '会。（两层有丢弃法 test acc 0.855，无丢弃法 0.862；四层有丢弃法 0.744，无丢弃法 0.813）',
               'yes (their own runs: two layers 0.855 with dropout vs 0.862 without; four layers '
               '0.744 with vs 0.813 without)',
               full_note='hidden layers (1024, 1024) against the book\'s (256, 256), each with '
                         'and without dropout, 10 epochs on the full data')
def wider_network(ctx, quick, out, seed):
    settings = long_settings(quick)
    runs = {}
    for widths in (BOOK_WIDTHS, WIDE):
        for probs in (BOOK_PROBS, NO_DROPOUT):
            label = '%s %s' % (widths, 'dropout' if probs == BOOK_PROBS else 'no dropout')
            runs[label] = train(mlp_run, seed, ctx=ctx, widths=widths, drop_probs=probs,
                                **settings)
    benefit = {str(w): tail_mean(runs['%s dropout' % (w,)], 'test_acc')
               - tail_mean(runs['%s no dropout' % (w,)], 'test_acc') for w in (BOOK_WIDTHS, WIDE)}
    gaps = {label: gap(h) for label, h in runs.items()}
    claims = [
        Claim('dropout helps more on the wider network',
              benefit[str(WIDE)] > benefit[str(BOOK_WIDTHS)] + MARGIN
              and benefit[str(WIDE)] > MARGIN,
              'test acc (mean of the last %d epochs) with minus without dropout: %s %s points, '
              '%s %s points%s'
              % (TAIL, BOOK_WIDTHS, fmt(100 * benefit[str(BOOK_WIDTHS)], 2), WIDE,
                 fmt(100 * benefit[str(WIDE)], 2), _spike_note(runs))),
    ]
    spikes = {label: loss_spikes(h) for label, h in runs.items()}
    return Outcome({'dropout_benefit_test_acc': benefit, 'train_minus_test_acc': gaps,
                    'loss_spikes': {k: v for k, v in spikes.items() if v}}, claims,
                   settings=dict(settings, batch_size=256, lr=0.5),
                   history=_history(runs), final=_final(runs),
                   figures=_curves(runs, out, '3.13.3', 'wider'),
                   answer='Dropout changes the test accuracy by %s points on (256, 256) and %s '
                          'on (1024, 1024)%s.' % (fmt(100 * benefit[str(BOOK_WIDTHS)], 2),
                                                  fmt(100 * benefit[str(WIDE)], 2),
                                                  _spike_note(runs)))


@EXERCISES.add('3.13.4', 'Compare dropout with weight decay; what if both are used?',
               '写不出来。等待后续复习时候再写。',
               '"cannot write it; will write it when revising later" (no answer)',
               full_note="the book's Gluon network, 10 epochs on the full data; weight decay "
                         'wd = 0.001 (the Trainer\'s, on all parameters)')
def dropout_vs_weight_decay(ctx, quick, out, seed):
    settings = long_settings(quick)
    variants = {'neither': (NO_DROPOUT, 0.0), 'dropout': (BOOK_PROBS, 0.0),
                'weight decay': (NO_DROPOUT, WEIGHT_DECAY), 'both': (BOOK_PROBS, WEIGHT_DECAY)}
    runs = {label: train(mlp_run, seed, ctx=ctx, drop_probs=probs, wd=wd, **settings)
            for label, (probs, wd) in variants.items()}
    acc = {label: tail_mean(h, 'test_acc') for label, h in runs.items()}
    gaps = {label: gap(h) for label, h in runs.items()}
    best = max(acc, key=acc.get)
    return Outcome({'final_test_acc': acc, 'train_minus_test_acc': gaps}, [],
                   settings=dict(settings, wd=WEIGHT_DECAY, batch_size=256, lr=0.5),
                   history=_history(runs), final=_final(runs),
                   figures=_curves(runs, out, '3.13.4', 'dropout_vs_weight_decay'),
                   answer='Test accuracy (mean of the last 3 epochs): %s; best: %s. Train - '
                          'test accuracy: %s.'
                          % (', '.join('%s %s' % (k, fmt(v, 3)) for k, v in acc.items()), best,
                             ', '.join('%s %s' % (k, fmt(v, 2)) for k, v in gaps.items())))
