import numpy as np
import pytest
from mxnet import nd

from ch3.book.kfold import fold_ranges, get_k_fold_data, run_folds


def book_get_k_fold_data(k, i, X, y):
    """The book's 3.16 code, verbatim apart from the assert, as the reference."""
    fold_size = X.shape[0] // k
    X_train, y_train = None, None
    for j in range(k):
        idx = slice(j * fold_size, (j + 1) * fold_size)
        X_part, y_part = X[idx, :], y[idx]
        if j == i:
            X_valid, y_valid = X_part, y_part
        elif X_train is None:
            X_train, y_train = X_part, y_part
        else:
            X_train = nd.concat(X_train, X_part, dim=0)
            y_train = nd.concat(y_train, y_part, dim=0)
    return X_train, y_train, X_valid, y_valid


@pytest.mark.parametrize('n,k', [(1460, 5), (23, 5), (10, 2), (7, 7), (11, 3)])
def test_splits_equal_the_books_code(n, k):
    X = nd.arange(n * 3).reshape((n, 3))
    y = nd.arange(n).reshape((n, 1)) * 10
    for i in range(k):
        ours = get_k_fold_data(k, i, X, y)
        book = book_get_k_fold_data(k, i, X, y)
        for a, b in zip(ours, book):
            assert a.shape == b.shape
            np.testing.assert_array_equal(a.asnumpy(), b.asnumpy())


def test_every_example_is_validated_once_and_the_tail_is_dropped():
    n, k = 23, 5                      # fold_size 4, tail of 3
    X, y = np.arange(n).reshape(n, 1), np.arange(n)
    valid = np.concatenate([get_k_fold_data(k, i, X, y)[3] for i in range(k)])
    np.testing.assert_array_equal(valid, np.arange(20))
    for i in range(k):
        X_train, y_train, X_valid, y_valid = get_k_fold_data(k, i, X, y)
        assert len(X_train) == 16 and len(X_valid) == 4
        assert not set(y_train) & set(y_valid)
        assert not set(y_train) & {20, 21, 22}


def test_tail_train_appends_the_leftovers_to_every_training_split():
    n, k = 23, 5
    X, y = np.arange(n).reshape(n, 1), np.arange(n)
    for i in range(k):
        X_train, y_train, X_valid, y_valid = get_k_fold_data(k, i, X, y, tail='train')
        assert len(y_train) == 19 and len(y_valid) == 4
        assert sorted(set(y_train) | set(y_valid)) == list(range(n))
        np.testing.assert_array_equal(X_train[:, 0], y_train)


def test_fold_ranges_are_contiguous_blocks():
    assert fold_ranges(5, 0, 1460) == ([(292, 1460)], (0, 292))
    assert fold_ranges(5, 2, 1460) == ([(0, 584), (876, 1460)], (584, 876))
    assert fold_ranges(5, 4, 23) == ([(0, 16)], (16, 20))
    assert fold_ranges(5, 4, 23, tail='train') == ([(0, 16), (20, 23)], (16, 20))


@pytest.mark.parametrize('k,i,n,match', [
    (1, 0, 10, 'k >= 2'), (0, 0, 10, 'k >= 2'), (11, 0, 10, 'at least k examples'),
    (5, 5, 10, r'\[0, 5\)'), (5, -1, 10, r'\[0, 5\)'), (5, 1.0, 10, 'integer'),
    (2.5, 0, 10, 'k must be an integer')])
def test_bad_arguments_are_refused_with_a_message(k, i, n, match):
    with pytest.raises(ValueError, match=match):
        get_k_fold_data(k, i, np.zeros((n, 2)), np.zeros(n))


def test_mismatched_lengths_and_unknown_tail_are_refused():
    with pytest.raises(ValueError, match='differ in length'):
        get_k_fold_data(2, 0, np.zeros((10, 2)), np.zeros(9))
    with pytest.raises(ValueError, match='tail'):
        get_k_fold_data(2, 0, np.zeros((10, 2)), np.zeros(10), tail='keep')


def test_run_folds_averages_the_last_epoch_of_each_fold(capsys):
    X = nd.arange(20).reshape((10, 2))
    y = nd.arange(10)
    seen = []

    def train_fn(X_train, y_train, X_valid, y_valid):
        seen.append(y_valid.asnumpy().tolist())
        m = float(y_valid.mean().asscalar())   # a "loss" that identifies the fold
        return [99.0, m], [98.0, m + 1]

    result = run_folds(5, X, y, train_fn)
    assert seen == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]]
    assert [f['train'] for f in result['folds']] == [0.5, 2.5, 4.5, 6.5, 8.5]
    assert result['train_mean'] == pytest.approx(4.5)
    assert result['valid_mean'] == pytest.approx(5.5)
    assert result['folds'][0]['train_curve'] == [99.0, 0.5]
    assert 'fold 4, train rmse: 8.500000, valid rmse: 9.500000' in capsys.readouterr().out


def test_run_folds_refuses_an_empty_curve():
    with pytest.raises(ValueError, match='empty loss curve for fold 0'):
        run_folds(2, np.zeros((4, 1)), np.zeros(4), lambda *data: ([], []), verbose=False)
