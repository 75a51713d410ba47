"""Exercises of 3.6 (softmax regression from scratch): what goes wrong with the textbook softmax
and cross_entropy in float32, and what fixes it (the section's own naive and stable functions,
ch3.book.softmax); and the three rules for the last, smaller batch of an epoch, trained over
several seeds."""
import math

import numpy as np
from mxnet import nd
from mxnet.gluon import loss as gloss

from ch3.harness.exercises.base import (Claim, ExerciseList, Outcome, compare_seeds,
                                        comparison_json, diverged_note, evidence, first_ctx, fmt,
                                        json_number, seed_list, seed_values, tagged,
                                        train_seeds)
from ch3.book import softmax as sm
from ch3.harness.runs.data import fashion_mnist_iters
from ch3.harness.settings import QUICK
from ch3.utils import set_seed

EXERCISES = ExerciseList()

BIG = [[0.0, 50.0, 100.0]]    # exp(100) overflows float32
TINY = [[-120.0, 0.0]]        # exp(-120) underflows to 0


def _numbers(array):
    return [json_number(v) for v in array.asnumpy().ravel()]


@EXERCISES.add('3.6.1', 'What can go wrong with softmax implemented by its mathematical '
               'definition? (Hint: compute exp(50).)',
               '数据过大，内存存储耗费大，计算复杂。',
               'the numbers get too large: they take a lot of memory and the computation gets '
               'complex')
def softmax_overflow(ctx, quick, out, seed):
    device = first_ctx(ctx)[0]
    exps = {x: float(nd.exp(nd.array([x], ctx=device)).asscalar()) for x in (50.0, 88.0, 89.0)}
    big = nd.array(BIG, ctx=device)
    naive = sm.softmax(big)
    small = nd.array([[0.0, 0.5, 1.0]], ctx=device)
    bytes_big, bytes_small = nd.exp(big).asnumpy().nbytes, nd.exp(small).asnumpy().nbytes
    measured = {'exp_50': exps[50.0], 'exp_88': exps[88.0], 'exp_89': json_number(exps[89.0]),
                'float32_exp_limit': sm.FLOAT32_EXP_LIMIT, 'logits': BIG[0],
                'naive_softmax': _numbers(naive),
                'stable_softmax': _numbers(sm.stable_softmax(big)),
                'bytes_exp_big': int(bytes_big), 'bytes_exp_small': int(bytes_small)}
    naive_bad = not np.isfinite(naive.asnumpy()).all()
    claims = [
        Claim('the numbers get too large', math.isinf(exps[89.0]) and naive_bad,
              'in float32 exp(50) = %s is fine, but exp(89) = %s (limit exp(%s)); softmax(%s) '
              'gives %s' % (fmt(exps[50.0]), fmt(exps[89.0]), fmt(sm.FLOAT32_EXP_LIMIT),
                            BIG[0], measured['naive_softmax'])),
        Claim('large numbers take more memory', bytes_big > bytes_small,
              'exp of %s and of %s take %d and %d bytes: a float32 is 4 bytes whatever its '
              'value' % (BIG[0], [0, 0.5, 1], bytes_big, bytes_small)),
    ]
    return Outcome(measured, claims,
                   answer='The problem is overflow: above exp(%s) float32 gives inf and softmax '
                          'returns nan (inf / inf), while a float32 takes 4 bytes whatever its '
                          'value; subtracting the row maximum first gives %s.'
                          % (fmt(sm.FLOAT32_EXP_LIMIT),
                             [fmt(v) for v in measured['stable_softmax']]))


@EXERCISES.add('3.6.2', 'What can go wrong with cross_entropy implemented by its definition? '
               '(Hint: the domain of the logarithm.)',
               '所获得的损失函数都是负的。',
               'the losses obtained are all negative')
def log_domain(ctx, quick, out, seed):
    device = first_ctx(ctx)[0]
    set_seed(seed)
    rng = np.random.RandomState(seed)
    logits = nd.array(rng.normal(scale=2.0, size=(256, 10)), ctx=device)
    labels = nd.array(rng.randint(0, 10, size=256), dtype='int32', ctx=device)
    losses = sm.cross_entropy(sm.softmax(logits), labels).asnumpy()
    tiny = nd.array(TINY, ctx=device)
    label0 = nd.array([0], dtype='int32', ctx=device)
    underflow = sm.softmax(tiny)
    loss_underflow = sm.cross_entropy(underflow, label0)
    measured = {'batch': 256, 'min_loss': float(losses.min()), 'max_loss': float(losses.max()),
                'negative_losses': int((losses < 0).sum()),
                'logits_underflow': TINY[0], 'softmax_underflow': _numbers(underflow),
                'loss_underflow': _numbers(loss_underflow)}
    claims = [
        Claim('the losses are all negative', bool((losses < 0).all()),
              '-log p with 0 < p <= 1 is >= 0: on 256 random examples the losses lie in [%s, %s], '
              '%d negative' % (fmt(losses.min()), fmt(losses.max()),
                               measured['negative_losses'])),
    ]
    return Outcome(measured, claims,
                   answer='-log p >= 0 for p <= 1: the smallest loss is %s. The problem is '
                          'log(0): when the true class\'s probability underflows to 0 (logits '
                          '%s give softmax %s) the loss is %s, and its gradient nan.'
                          % (fmt(losses.min()), TINY[0], measured['softmax_underflow'],
                             measured['loss_underflow'][0]))


@EXERCISES.add('3.6.3', 'How could both problems be fixed?',
               '1.将exp换成log；2.向下平移一格softmax函数',
               '1. replace exp by log; 2. shift the softmax function down by one')
def fixes(ctx, quick, out, seed):
    device = first_ctx(ctx)[0]
    big, tiny = nd.array(BIG, ctx=device), nd.array(TINY, ctx=device)
    label0 = nd.array([0], dtype='int32', ctx=device)
    shifted_by_one = sm.softmax(big - 1)
    shifted_by_max = sm.stable_softmax(big)
    naive_loss = sm.cross_entropy(sm.softmax(tiny), label0)
    log_domain_loss = sm.stable_cross_entropy(tiny, label0)
    gluon_loss = gloss.SoftmaxCrossEntropyLoss()(tiny, label0)
    rng = np.random.RandomState(seed)
    logits = nd.array(rng.normal(scale=2.0, size=(256, 10)), ctx=device)
    labels = nd.array(rng.randint(0, 10, size=256), dtype='int32', ctx=device)
    agree = float(nd.abs(sm.stable_cross_entropy(logits, labels)
                         - sm.cross_entropy(sm.softmax(logits), labels)).max().asscalar())
    measured = {'logits_overflow': BIG[0], 'softmax_shifted_by_one': _numbers(shifted_by_one),
                'softmax_shifted_by_max': _numbers(shifted_by_max),
                'logits_underflow': TINY[0], 'naive_loss': _numbers(naive_loss),
                'log_softmax_loss': _numbers(log_domain_loss),
                'gluon_softmax_cross_entropy': _numbers(gluon_loss),
                'log_domain_vs_naive_on_ordinary_logits': agree}
    log_ok = math.isfinite(measured['log_softmax_loss'][0]) \
        and abs(measured['log_softmax_loss'][0] - 120.0) < 1e-3
    claims = [
        Claim('computing in the log domain ("exp -> log", read as log-softmax) fixes log(0)',
              log_ok and agree < 1e-4,
              'for logits %s the naive loss is %s, log-softmax (log-sum-exp) gives %s, as '
              'SoftmaxCrossEntropyLoss (%s); on ordinary logits both agree to %s'
              % (TINY[0], measured['naive_loss'][0], fmt(measured['log_softmax_loss'][0]),
                 fmt(measured['gluon_softmax_cross_entropy'][0]), fmt(agree))),
        Claim('shifting the inputs down by one fixes the overflow',
              bool(np.isfinite(shifted_by_one.asnumpy()).all()),
              'softmax(%s - 1) = %s; only a shift by the row maximum works: %s'
              % (BIG[0], measured['softmax_shifted_by_one'],
                 [fmt(v) for v in measured['softmax_shifted_by_max']])),
    ]
    return Outcome(measured, claims,
                   answer='Subtract the row maximum before exp (softmax is unchanged by any '
                          'shift, and then no exp exceeds 1), and compute the loss as '
                          '-(o_y - max - log sum exp(o - max)) from the logits, never taking the '
                          'log of a probability; SoftmaxCrossEntropyLoss does both.')


def batch_rule_settings(quick):
    """The settings of 3.6.4's runs (also 3.2.3's): the book's, or section 3.6's quick caps."""
    return dict(QUICK['3.6']) if quick else {'subset': None, 'num_epochs': 5}


BATCH_RULES = {
    'book': 'step / nominal batch size, last batch kept (the book, ch3\'s default)',
    'real size': 'step / the batch\'s real size (train_ch3(..., batch_size=None))',
    'discard': 'last batch dropped (last_batch=\'discard\')',
}


def batch_rule_run(ctx, rule, num_epochs=5, batch_size=256, lr=0.1, subset=None,
                   verbose=False):
    """3.6's from-scratch softmax regression under one last-batch rule (BATCH_RULES); returns
    the per-epoch history."""
    if rule not in BATCH_RULES:
        raise ValueError('rule must be one of %s, got %r' % (', '.join(BATCH_RULES), rule))
    train_iter, test_iter = fashion_mnist_iters(
        batch_size, ctx, subset, last_batch='discard' if rule == 'discard' else 'keep')
    step_size = None if rule == 'real size' else batch_size
    return sm.train_scratch(train_iter, test_iter, num_epochs, step_size, lr, ctx=ctx,
                            verbose=verbose)[1]


@EXERCISES.add('3.6.4', 'The last batch of an epoch is smaller: does it matter whether its step '
               'is divided by the nominal or the real batch size, or the batch is dropped?',
               '（笔记在3.2中只说最后一批的步长偏小：“data_iter没有改变batch_size的值，会导致sgd梯度下降'
               '函数的超参数偏低”；没有比较对训练结果的影响）',
               '(under 3.2 the notes only say that the last batch\'s step is too small; they do '
               'not compare what it does to training)',
               full_note="3.6's from-scratch softmax regression at the book's settings (batch "
                         '256, lr 0.1, 5 epochs, all 60,000 images: the last batch holds 96), '
                         '5 seeds per rule')
def batch_rules(ctx, quick, out, seed):
    seeds, settings = seed_list(quick, seed), batch_rule_settings(quick)
    runs = {rule: train_seeds(batch_rule_run, seeds, ctx=first_ctx(ctx), rule=rule, **settings)
            for rule in BATCH_RULES}
    acc = {r: seed_values(t, lambda h: h[-1]['test_acc']) for r, t in runs.items()}
    loss = {r: seed_values(t, lambda h: h[-1]['loss']) for r, t in runs.items()}
    cmp = {'%s - book' % r: {'test_acc': compare_seeds(acc[r], acc['book']),
                             'loss': compare_seeds(loss[r], loss['book'])}
           for r in ('real size', 'discard')}
    note = diverged_note(runs)
    history = []
    for rule, trained in runs.items():
        for s, h in trained['runs'].items():
            history += tagged(h, rule=rule, seed=s)
    n_train = settings['subset'] or 60000
    return Outcome({'rules': BATCH_RULES, 'last_batch_size': n_train % 256,
                    'final_test_acc': acc, 'final_loss': loss,
                    'comparisons': {k: {m: comparison_json(c) for m, c in v.items()}
                                    for k, v in cmp.items()}}, [],
                   settings=dict(settings, batch_size=256, lr=0.1, seeds=seeds),
                   history=history,
                   answer='With %d training images the last batch holds %d. Final test acc '
                          '(points): %s; %s. Final training loss: %s; %s.%s'
                          % (n_train, n_train % 256,
                             evidence(cmp['real size - book']['test_acc'], 'real size', 'book',
                                      2, 100),
                             evidence(cmp['discard - book']['test_acc'], 'discard', 'book', 2,
                                      100),
                             evidence(cmp['real size - book']['loss'], 'real size', 'book'),
                             evidence(cmp['discard - book']['loss'], 'discard', 'book'),
                             ' Diverged, left out: %s.' % note if note else ''))
