"""k-fold cross-validation (sections 3.11 and 3.16): split the training data into k folds, train k
times, each time validating on one fold and training on the other k - 1, and average the errors.

Folds are the book's: contiguous blocks of fold_size = n // k examples in the data's own order (no
shuffling), fold i being examples [i * fold_size, (i + 1) * fold_size). The n - k * fold_size
examples after the last fold (the "tail", fewer than k) are what the book drops; here `tail`
chooses:
* 'drop' (default, the book): the tail is used neither for training nor for validation;
* 'train': the tail is appended to every training split, so no example is wasted while the
  validation folds keep equal sizes (each example is still validated at most once).
For the house-price data (n = 1460, k = 5) there is no tail and both choices agree.

X and y may be NDArrays or numpy arrays (both of the same kind); splits keep that kind and device.
"""
import numbers

import numpy as np
from mxnet import nd

from ch3.checks import check_int

TAILS = ('drop', 'train')


def _check_fold_args(k, i, n, tail):
    k = check_int('k', k)
    if k < 2:
        raise ValueError('k-fold validation needs k >= 2 folds, got k=%d' % k)
    if k > n:
        raise ValueError('k=%d folds need at least k examples, but there are only n=%d; use k <= %d'
                         % (k, n, n))
    if isinstance(i, bool) or not isinstance(i, numbers.Integral) or not 0 <= i < k:
        raise ValueError('fold index i must be an integer in [0, k) = [0, %d), got %r' % (k, i))
    if tail not in TAILS:
        raise ValueError('tail must be one of %s, got %r' % (', '.join(TAILS), tail))
    return k, int(i)


def fold_ranges(k, i, n, tail='drop'):
    """3.11: fold i of k over n examples as ([train (start, stop) ranges], (valid start, stop))."""
    k, i = _check_fold_args(k, i, n, tail)
    fold_size = n // k
    start, stop = i * fold_size, (i + 1) * fold_size
    end = n if tail == 'train' else k * fold_size
    train = [(a, b) for a, b in ((0, start), (stop, end)) if b > a]
    return train, (start, stop)


def _rows(A, ranges):
    parts = [A[a:b] for a, b in ranges]
    if len(parts) == 1:
        return parts[0]
    if isinstance(A, nd.NDArray):
        return nd.concat(*parts, dim=0)
    return np.concatenate(parts, axis=0)


def get_k_fold_data(k, i, X, y, tail='drop'):
    """3.11: the i-th of k folds -> (X_train, y_train, X_valid, y_valid); X (n, ...), y (n, ...)."""
    if len(X) != len(y):
        raise ValueError('X and y differ in length: %d vs %d examples' % (len(X), len(y)))
    train, valid = fold_ranges(k, i, len(X), tail)
    return _rows(X, train), _rows(y, train), X[valid[0]:valid[1]], y[valid[0]:valid[1]]


def run_folds(k, X, y, train_fn, tail='drop', verbose=True, metric='rmse'):
    """3.11/3.16: run train_fn(X_train, y_train, X_valid, y_valid) on each of k folds.

    train_fn returns (train_losses, valid_losses), the per-epoch curves (the book's `train`); the
    fold's score is each curve's last value. Prints the book's line per fold (`metric` names the
    loss in it) and returns
    {'k', 'tail', 'folds': [{'fold', 'train', 'valid', 'train_curve', 'valid_curve'}],
     'train_mean', 'valid_mean'} with the means over the k folds (what the book's 3.16 k_fold
    returns).
    """
    if not callable(train_fn):
        raise ValueError('train_fn must be callable as train_fn(X_train, y_train, X_valid, '
                         'y_valid) -> (train_losses, valid_losses), got %r' % (train_fn,))
    _check_fold_args(k, 0, len(X), tail)
    folds = []
    for i in range(k):
        train_ls, valid_ls = train_fn(*get_k_fold_data(k, i, X, y, tail))
        train_ls, valid_ls = [float(v) for v in train_ls], [float(v) for v in valid_ls]
        if not train_ls or not valid_ls:
            raise ValueError('train_fn returned an empty loss curve for fold %d (did it train for '
                             'at least one epoch?)' % i)
        folds.append({'fold': i, 'train': train_ls[-1], 'valid': valid_ls[-1],
                      'train_curve': train_ls, 'valid_curve': valid_ls})
        if verbose:
            print('fold %d, train %s: %f, valid %s: %f'
                  % (i, metric, train_ls[-1], metric, valid_ls[-1]))
    return {'k': k, 'tail': tail, 'folds': folds,
            'train_mean': sum(f['train'] for f in folds) / k,
            'valid_mean': sum(f['valid'] for f in folds) / k}
