"""Exercise of 3.4 (softmax regression): maximum likelihood and the cross-entropy loss."""
import numpy as np

from ch3.harness.runs.data import fashion_mnist_iters
from ch3.harness.exercises.base import Claim, ExerciseList, Outcome, first_ctx, fmt, tagged
from ch3.book import softmax as softmax_section
from ch3.utils import set_seed

QUICK_SUBSET = 2000

EXERCISES = ExerciseList()


@EXERCISES.add('3.4.1', 'What does maximum likelihood estimation have in common with minimizing '
               'the cross-entropy loss?',
               'Softmax函数一个重要的性质就是把输出归一化转换到每一个对应分类的概率。一旦转换为概率之后，我们就可以用到'
               '最大似然估计（交叉熵）的方式来求得最大似然或者最小交叉熵。',
               'softmax turns the outputs into a probability for each class; once they are '
               'probabilities, maximum likelihood (cross-entropy) gives the maximum likelihood, '
               'or equivalently the minimum cross-entropy',
               full_note='one epoch of softmax regression (the identity holds for any model)')
def maximum_likelihood(ctx, quick, out, seed):
    device = first_ctx(ctx)
    num_epochs = 1
    set_seed(seed)
    train_iter, test_iter = fashion_mnist_iters(256, device[:1], QUICK_SUBSET if quick else None)
    (W, b), history = softmax_section.train_scratch(train_iter, test_iter, num_epochs=num_epochs,
                                                    ctx=device, verbose=False)
    X, y = next(iter(test_iter))
    probs = softmax_section.net(X, W, b).asnumpy().astype(np.float64)
    y = y.asnumpy().astype(np.int64)
    rows_sum = float(np.abs(probs.sum(axis=1) - 1).max())
    picked = probs[np.arange(len(y)), y]
    n_small = 8
    likelihood_small = float(np.prod(picked[:n_small]))
    ce_small = float(-np.log(picked[:n_small]).sum())
    likelihood_all = float(np.prod(picked.astype(np.float32)))
    ce_all = float(-np.log(picked).sum())
    measured = {'num_examples': int(len(y)), 'max_row_sum_error': rows_sum,
                'min_probability': float(probs.min()),
                'likelihood_8': likelihood_small,
                'minus_log_likelihood_8': float(-np.log(likelihood_small)),
                'cross_entropy_sum_8': ce_small,
                'likelihood_batch_float32': likelihood_all, 'cross_entropy_sum_batch': ce_all,
                'test_acc': history[-1]['test_acc']}
    claims = [
        Claim('softmax turns the outputs into class probabilities',
              rows_sum < 1e-5 and probs.min() >= 0,
              'on a batch of %d test images every row of softmax(XW + b) is >= 0 (min %s) and '
              'sums to 1 (max error %s)' % (len(y), fmt(probs.min()), fmt(rows_sum))),
        Claim('maximizing the likelihood is minimizing the cross-entropy',
              abs(-np.log(likelihood_small) - ce_small) < 1e-9 * max(1.0, ce_small),
              '-log of the likelihood of 8 test labels, -log %s = %s, equals their summed '
              'cross-entropy %s; for the whole batch of %d the float32 likelihood underflows to '
              '%s while the summed cross-entropy is %s'
              % (fmt(likelihood_small), fmt(-np.log(likelihood_small)), fmt(ce_small), len(y),
                 fmt(likelihood_all), fmt(ce_all))),
    ]
    return Outcome(measured, claims,
                   settings={'num_epochs': num_epochs, 'batch_size': 256, 'lr': 0.1,
                             'subset': QUICK_SUBSET if quick else None},
                   history=tagged(history, run='softmax regression (3.6)'),
                   answer='The likelihood of the labels is the product of the true-class '
                          'probabilities, so -log(likelihood) is the summed cross-entropy and '
                          'both have the same optimum; the sum of logs also avoids the product '
                          'underflowing.')
