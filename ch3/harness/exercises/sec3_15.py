"""Exercises of 3.15 (numerical stability and initialization): the symmetry that equal initial
weights create in an MLP, and equal initial weights in linear and softmax regression. They run
the section's own experiments (ch3.harness.runs.initialization: train_mlp, train_softmax_regression,
train_linear_regression, which train the chapter's models through ch3.book.initialization) at its
settings: lr 0.1, 5 epochs, every weight 0.001; quick mode applies the section's caps
(ch3.harness.settings.QUICK['3.15'])."""
from ch3.harness.runs.data import fashion_mnist_iters
from ch3.harness.exercises.base import (Claim, ExerciseList, Outcome, epoch_axis, first_ctx, fmt, save,
                                tagged, train)
from ch3.book.plotting import new_figure
from ch3.harness.runs import initialization as init_section
from ch3.harness.runs import linear_regression as linreg_section
from ch3.harness.settings import QUICK

EXERCISES = ExerciseList()

CONSTANT = 0.001        # the section's: every weight starts here, biases at 0
SETTINGS = {'num_epochs': 5, 'batch_size': 256, 'lr': 0.1, 'num_hiddens': 256}


def _data(quick, batch_size, ctx):
    subset = QUICK['3.15']['subset'] if quick else None
    return fashion_mnist_iters(batch_size, ctx[:1], subset)


def _epochs(quick, num_epochs):
    return min(num_epochs, QUICK['3.15']['num_epochs']) if quick else num_epochs


def mlp_run(ctx, quick, impl, value, dtype='float32', verbose=False, **settings):
    """3.15: the section's train_mlp on Fashion-MNIST -> {'history', 'spread'}."""
    s = dict(SETTINGS, **settings)
    history, spread = init_section.train_mlp(
        impl, value, _data(quick, s['batch_size'], ctx), _epochs(quick, s['num_epochs']),
        s['batch_size'], s['lr'], s['num_hiddens'], ctx, verbose, dtype)
    return {'history': history, 'spread': spread}


def softmax_run(ctx, quick, impl, value, verbose=False, **settings):
    """3.15: the section's train_softmax_regression -> {'history', 'distinct_class_weights'}."""
    s = dict(SETTINGS, **settings)
    history, distinct = init_section.train_softmax_regression(
        impl, value, _data(quick, s['batch_size'], ctx), _epochs(quick, s['num_epochs']),
        s['batch_size'], s['lr'], ctx, verbose)
    return {'history': history, 'distinct_class_weights': distinct}


def _float32_note(spread):
    if spread['distinct_units'] == 1:
        return ' and in float32 1'
    return (' (in float32 %d: its matrix product rounds some columns differently and training '
            'amplifies that)' % spread['distinct_units'])


@EXERCISES.add('3.15.1', 'Random initialization is said to "break the symmetry". What symmetry '
               'is meant?',
               '对于同一层的每个神经元，它们就一模一样了…如果初始值也一样的话，不管训练多久，它们最终都一样…那每一层就相当于'
               '只有一个神经元，最终L层神经网络就相当于一个线性的网络，如Logistic regression…不能初始化为任何相同的值',
               'with equal initial values all neurons of a layer are identical and stay identical '
               'however long it trains, so each layer acts as a single neuron and the network '
               'is equivalent to a linear one such as logistic regression; no equal value may '
               'be used',
               full_note="the section's settings: 256 hidden units, every weight 0.001, lr 0.1 "
                         '(at 3.9\'s lr 0.5 the equal-weight MLP dies at once), 5 epochs')
def symmetry(ctx, quick, out, seed):
    runs = {
        'equal, Gluon float32': train(mlp_run, seed, ctx=ctx, quick=quick, impl='gluon',
                                      value=CONSTANT),
        'equal, scratch float64': train(mlp_run, seed, ctx=first_ctx(ctx), quick=quick,
                                        impl='scratch', value=CONSTANT, dtype='float64'),
        'equal, scratch float32': train(mlp_run, seed, ctx=first_ctx(ctx), quick=quick,
                                        impl='scratch', value=CONSTANT),
        'random, Gluon': train(mlp_run, seed, ctx=ctx, quick=quick, impl='gluon', value=None),
    }
    softmax = train(softmax_run, seed, ctx=ctx, quick=quick, impl='gluon', value=None)
    spread = {name: run['spread'] for name, run in runs.items()}
    acc = {name: run['history'][-1]['test_acc'] for name, run in runs.items()}
    acc['softmax regression'] = softmax['history'][-1]['test_acc']
    exact = ('equal, Gluon float32', 'equal, scratch float64')
    units = spread['random, Gluon']['units']
    claims = [
        Claim('the hidden units stay identical however long it trains (one neuron per layer)',
              all(spread[name]['distinct_units'] == 1 for name in exact),
              'distinct hidden units of %d after training: Gluon float32 %d (relative spread %s), '
              'from scratch in float64 %d%s; random init: %d'
              % (units, spread[exact[0]]['distinct_units'],
                 fmt(spread[exact[0]]['relative_spread']), spread[exact[1]]['distinct_units'],
                 _float32_note(spread['equal, scratch float32']),
                 spread['random, Gluon']['distinct_units'])),
        Claim('the network is then equivalent to a linear model such as logistic regression',
              abs(acc['equal, Gluon float32'] - acc['softmax regression']) < 0.05,
              'final test acc: %s' % ', '.join('%s %s' % (k, fmt(v, 3)) for k, v in acc.items()),
              main=False),
    ]
    fig, ax = new_figure(figsize=(4.5, 3))
    for name in ('equal, Gluon float32', 'random, Gluon'):
        history = runs[name]['history']
        ax.plot([h['epoch'] for h in history], [h['test_acc'] for h in history], marker='o',
                label='MLP, ' + name)
    history = softmax['history']
    ax.plot([h['epoch'] for h in history], [h['test_acc'] for h in history], marker='.',
            label='softmax regression')
    epoch_axis(ax)
    ax.set_ylabel('test accuracy')
    ax.legend(fontsize=7)
    history = []
    for name, run in runs.items():
        history += tagged(run['history'], run=name)
    return Outcome({'spread': spread, 'final_test_acc': acc}, claims,
                   settings=dict(SETTINGS, constant=CONSTANT,
                                 num_epochs=len(runs['random, Gluon']['history'])),
                   history=history, final={k: {'test_acc': v} for k, v in acc.items()},
                   figures=save(fig, out, '3.15.1', 'symmetry'),
                   answer='Units of a layer that start equal get equal gradients and stay equal '
                          '(exactly, wherever the arithmetic is the same for every unit), so the '
                          'layer computes a single feature. That is not logistic regression: '
                          'test acc %s against %s for softmax regression and %s for the random '
                          'start.' % (fmt(acc['equal, Gluon float32'], 3),
                                      fmt(acc['softmax regression'], 3),
                                      fmt(acc['random, Gluon'], 3)))


@EXERCISES.add('3.15.2', 'Can all weights of linear regression or softmax regression be '
               'initialized to the same value?',
               '线性回归设相同值对结果影响不大。softmax设相同值，分类准确率一直是0.1。感觉是因为有无激活函数的原因。',
               'for linear regression equal values hardly affect the result; for softmax the '
               'accuracy stays at 0.1, probably because of the (absence of an) activation '
               'function',
               full_note="softmax regression from scratch at the section's settings (lr 0.1, 5 "
                         "epochs); linear regression at 3.2's (lr 0.03, 3 epochs)")
def equal_init_linear_models(ctx, quick, out, seed):
    device = first_ctx(ctx)
    linear_equal = train(init_section.train_linear_regression, seed, impl='scratch',
                         value=CONSTANT, ctx=device[0])
    linear_random = train(linreg_section.train_scratch, seed, ctx=device, lr=0.03,
                          num_examples=1000)
    soft = {name: train(softmax_run, seed, ctx=device, quick=quick, impl='scratch', value=value)
            for name, value in (('equal', CONSTANT), ('random', None))}
    acc = {name: run['history'][-1]['test_acc'] for name, run in soft.items()}
    loss = {'equal': linear_equal['loss'], 'random': linear_random['final']['loss']}
    ratio = loss['equal'] / loss['random']
    w_error = max(abs(a - b) for a, b in zip(linear_equal['w'], linreg_section.TRUE_W))
    distinct = soft['equal']['distinct_class_weights']
    claims = [
        Claim('linear regression: equal initial weights hardly affect the result',
              0.5 < ratio < 2 and w_error < 0.01,
              'loss after 3 epochs from w = %g, b = 0: %s, from 3.2\'s random start: %s; learned w '
              '%s (true %s)' % (CONSTANT, fmt(loss['equal']), fmt(loss['random']),
                                [round(v, 4) for v in linear_equal['w']], linreg_section.TRUE_W)),
        Claim('softmax regression: with equal weights the accuracy stays at 0.1',
              acc['equal'] < 0.15,
              'final test acc: equal start %s, random start %s; the 10 class weight vectors end '
              'up %d distinct' % (fmt(acc['equal'], 3), fmt(acc['random'], 3), distinct)),
    ]
    history = []
    for name, run in soft.items():
        history += tagged(run['history'], run='softmax, %s start' % name)
    return Outcome({'linear_loss': loss, 'linear_w_equal_start': linear_equal['w'],
                    'softmax_test_acc': acc, 'softmax_distinct_class_weights': distinct}, claims,
                   settings={'constant': CONSTANT, 'softmax': SETTINGS,
                             'linear': {'num_epochs': 3, 'batch_size': 10, 'lr': 0.03}},
                   history=history,
                   final={'linear_equal': linear_equal, 'softmax_test_acc': acc},
                   answer='Equal starts reach loss %s (random: %s) in linear regression and test '
                          'acc %s (random: %s) in softmax regression. In a model without hidden '
                          'units each weight has its own input (linear) or its own class in the '
                          'loss (softmax: column k gets X^T (p_k - y_k)), so nothing is '
                          'symmetric; only hidden units are interchangeable.'
                          % (fmt(loss['equal']), fmt(loss['random']), fmt(acc['equal'], 3),
                             fmt(acc['random'], 3)))
