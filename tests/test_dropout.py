"""3.13 (ch3.book.dropout, run by ch3.harness.runs.dropout): dropout's statistics (fixed seed),
the book's examples, its train-only behaviour, and both networks against the book's own code run
through d2lzh.train_ch3 with identical parameters, batches and random masks."""
import contextlib
import io
import json
import math
import os
import re

import d2lzh
import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd, init, nd
from mxnet.gluon import loss as gloss, nn

import ch3
from ch3.book import deep_mlp as mlp
from ch3.book.dropout import (dropout, dropout_examples, gluon_net, init_params, net,
                              train_scratch)
from ch3.checks import check_drop_prob
from test_mlp import book_lines, real_batches, run_quietly, train_gluon_beside_the_book


def book_dropout(X, drop_prob):
    """3.13's dropout as the book computes it, our wording: one uniform draw per element, keep
    where it is below 1 - drop_prob, scale the kept by 1 / (1 - drop_prob); all zeros at 1."""
    assert 0 <= drop_prob <= 1
    keep_prob = 1 - drop_prob
    if keep_prob == 0:
        return X.zeros_like()
    kept = nd.random.uniform(0, 1, X.shape) < keep_prob
    return kept * X / keep_prob


# ---------------------------------------------------------------------------------------------
# dropout(X, drop_prob)
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize('p', [0.2, 0.5, 0.8])
def test_mask_rate_and_scaling(p):
    n = 1000 * 1000
    out = dropout(nd.ones((1000, 1000)), p).asnumpy()
    dropped = (out == 0).mean()
    assert abs(dropped - p) < 5 * math.sqrt(p * (1 - p) / n)     # binomial, 5 standard errors
    np.testing.assert_allclose(np.unique(out[out != 0]), [1 / (1 - p)], rtol=1e-6)


@pytest.mark.parametrize('p', [0.2, 0.5, 0.8])
def test_expectation_of_every_element_is_preserved(p):
    x = np.linspace(-3, 3, 50).astype(np.float32)
    draws = 20000
    out = dropout(nd.array(np.tile(x, (draws, 1))), p).asnumpy()
    # each draw is x_i / (1 - p) with probability 1 - p, else 0: variance x_i^2 p / (1 - p)
    standard_error = np.abs(x) * math.sqrt(p / (1 - p) / draws)
    assert (np.abs(out.mean(axis=0) - x) <= 5 * standard_error + 1e-6).all()
    assert abs(out.mean() - x.mean()) < 0.01   # and of the whole array


def test_drop_probability_one_gives_zeros_zero_gives_the_input():
    X = nd.array(np.random.RandomState(0).normal(size=(4, 5)))
    np.testing.assert_array_equal(dropout(X, 1).asnumpy(), np.zeros((4, 5)))
    np.testing.assert_array_equal(dropout(X, 0).asnumpy(), X.asnumpy())


def test_same_masks_as_the_books_dropout_with_the_same_seed():
    X = nd.arange(40).reshape((5, 8))
    mx.random.seed(7)
    ours = dropout(X, 0.5)
    mx.random.seed(7)
    np.testing.assert_array_equal(ours.asnumpy(), book_dropout(X, 0.5).asnumpy())


def test_gradient_flows_through_kept_elements_only():
    X = nd.ones((3, 6))
    X.attach_grad()
    with autograd.record():
        y = dropout(X, 0.5)
    y.backward()
    np.testing.assert_array_equal(X.grad.asnumpy(), y.asnumpy())   # d y / d x = mask / (1 - p)


@pytest.mark.parametrize('p', [-0.1, 1.5, float('nan'), float('inf'), True, '0.5', None])
def test_probabilities_outside_zero_one_are_value_errors(p):
    with pytest.raises(ValueError, match=r'drop_prob must be a probability in \[0, 1\]'):
        dropout(nd.ones(3), p)


def test_check_drop_prob_names_the_hyperparameter():
    assert check_drop_prob(1) == 1.0 and check_drop_prob(0) == 0.0
    with pytest.raises(ValueError, match=r'drop_prob1 must be a probability in \[0, 1\]'):
        train_scratch([], [], drop_prob1=1.5)
    with pytest.raises(ValueError, match=r'drop_prob2 must be a probability in \[0, 1\]'):
        gluon_net(drop_prob2=-0.5)


def test_the_books_examples_on_a_small_matrix():
    examples, X = dropout_examples()
    np.testing.assert_array_equal(X.asnumpy(), np.arange(16).reshape(2, 8))
    (p0, none), (p_half, half), (p1, every) = examples
    assert (p0, p_half, p1) == (0, 0.5, 1)
    np.testing.assert_array_equal(none.asnumpy(), X.asnumpy())
    np.testing.assert_array_equal(every.asnumpy(), np.zeros((2, 8)))
    kept = half.asnumpy() != 0
    np.testing.assert_array_equal(half.asnumpy()[kept], 2 * X.asnumpy()[kept])   # x / (1 - 0.5)
    assert 0 < kept.sum() < 16   # seed 0 keeps some and drops some of the 16 (15 nonzero) entries


# ---------------------------------------------------------------------------------------------
# Dropout acts only while training
# ---------------------------------------------------------------------------------------------

def test_scratch_net_drops_only_while_training():
    params = init_params()
    X = nd.array(np.random.RandomState(0).uniform(size=(8, 1, 28, 28)))
    plain = mlp.net(X, params).asnumpy()         # 3.9's network without dropout
    np.testing.assert_array_equal(net(X, params).asnumpy(), plain)
    with autograd.record(train_mode=False):
        np.testing.assert_array_equal(net(X, params).asnumpy(), plain)
    with autograd.record():
        a, b = net(X, params).asnumpy(), net(X, params).asnumpy()
    assert not np.allclose(a, plain) and not np.allclose(a, b)
    with autograd.train_mode():
        assert not np.allclose(net(X, params).asnumpy(), plain)
    with autograd.train_mode():   # no dropout at all: 3.9's network, also while training
        np.testing.assert_array_equal(net(X, params, 0, 0).asnumpy(), plain)


def test_init_params_are_3_9s_with_two_hidden_layers():
    params = init_params()
    assert [p.shape for p in params] == [(784, 256), (256,), (256, 256), (256,), (256, 10), (10,)]
    assert [p.shape for p in init_params(64, 32)][:3] == [(784, 64), (64,), (64, 32)]


def test_gluon_net_drops_only_while_training():
    model = gluon_net()
    X = nd.array(np.random.RandomState(0).uniform(size=(8, 784)))
    first, second = model(X).asnumpy(), model(X).asnumpy()
    np.testing.assert_array_equal(first, second)
    with autograd.record():
        training = model(X).asnumpy()
    assert not np.allclose(training, first)
    np.testing.assert_allclose(mlp.net(X, mlp.gluon_params(model)).asnumpy(), first, rtol=1e-4,
                               atol=1e-7)


def test_gluon_net_layout_follows_the_book():
    model = gluon_net()
    assert [type(block).__name__ for block in model] == ['Dense', 'Dropout', 'Dense', 'Dropout',
                                                        'Dense']
    assert [model[1]._rate, model[3]._rate] == [0.2, 0.5]
    assert model._active   # hybridized
    swapped = gluon_net(drop_prob1=0.5, drop_prob2=0.2)
    assert [swapped[1]._rate, swapped[3]._rate] == [0.5, 0.2]


# ---------------------------------------------------------------------------------------------
# Against the book's code and d2lzh.train_ch3 (same seed, so the same masks)
# ---------------------------------------------------------------------------------------------

def test_train_scratch_equals_the_books_code_under_d2lzh():
    train, test = real_batches(1024, 256), real_batches(512, 256, train=False)
    mx.random.seed(3)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        params, history = train_scratch(train, test, num_epochs=3)   # the book's settings
    ours = book_lines(out.getvalue())
    mx.random.seed(3)   # the book draws W1, b1, W2, b2, W3, b3 in this order, then the masks
    W1 = nd.random.normal(scale=0.01, shape=(784, 256))
    b1 = nd.zeros(256)
    W2 = nd.random.normal(scale=0.01, shape=(256, 256))
    b2 = nd.zeros(256)
    W3 = nd.random.normal(scale=0.01, shape=(256, 10))
    b3 = nd.zeros(10)
    book_params = [W1, b1, W2, b2, W3, b3]
    for param in book_params:
        param.attach_grad()
    drop_prob1, drop_prob2 = 0.2, 0.5

    def book_net(X):
        X = X.reshape((-1, 784))
        H1 = (nd.dot(X, W1) + b1).relu()
        if autograd.is_training():
            H1 = book_dropout(H1, drop_prob1)
        H2 = (nd.dot(H1, W2) + b2).relu()
        if autograd.is_training():
            H2 = book_dropout(H2, drop_prob2)
        return nd.dot(H2, W3) + b3

    loss = gloss.SoftmaxCrossEntropyLoss()
    theirs = run_quietly(d2lzh.train_ch3, book_net, train, test, loss, 3, 256, book_params, 0.5)
    assert len(ours) == 3 and ours == theirs and len(history) == 3
    for mine, book in zip(params, book_params):
        np.testing.assert_allclose(mine.asnumpy(), book.asnumpy(), rtol=1e-5, atol=1e-7)


def test_gluon_training_equals_the_books_code_under_d2lzh():
    train, test = real_batches(1024, 256), real_batches(512, 256, train=False)
    ours = gluon_net()
    book = nn.Sequential()
    book.add(nn.Dense(256, activation='relu'), nn.Dropout(0.2),
             nn.Dense(256, activation='relu'), nn.Dropout(0.5), nn.Dense(10))
    book.initialize(init.Normal(sigma=0.01))
    mine, theirs = train_gluon_beside_the_book(ours, book, train, test, mx_seed=3)
    assert len(mine) == 3 and mine == theirs
    np.testing.assert_allclose(ours[4].weight.data().asnumpy(), book[4].weight.data().asnumpy(),
                               rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------------------------------------
# The section end to end
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize('impl', ['scratch', 'gluon'])
def test_quick_run_on_real_data(impl):
    result = ch3.run_section('3.13', impl=impl, quick=True, verbose=False)
    assert json.loads(json.dumps(result)) == result
    assert result['hyperparameters'] == {'num_epochs': 2, 'batch_size': 256, 'lr': 0.5,
                                         'num_hiddens1': 256, 'num_hiddens2': 256,
                                         'drop_prob1': 0.2, 'drop_prob2': 0.5, 'subset': 6000}
    history = result['history']
    assert len(history) == 2 and history[1]['loss'] < history[0]['loss'] < math.log(10)
    final = result['final']
    other = 'gluon' if impl == 'scratch' else 'scratch'
    agreement = '%s_same_weights_max_abs_logit_diff' % other
    assert set(final) == {'loss', 'train_acc', 'test_acc', 'seconds_per_epoch', agreement,
                          'dropout_examples'}
    assert final['test_acc'] > 0.2   # chance is 0.1; dropout learns slowly at first
    assert 0 <= final[agreement] < 1e-4   # in prediction mode the two versions are one function
    examples = final['dropout_examples']
    assert examples['X'] == [list(range(8)), list(range(8, 16))]
    assert examples['drop_prob=0'] == examples['X']
    assert examples['drop_prob=1'] == [[0.0] * 8] * 2
    assert {v for row in examples['drop_prob=0.5'] for v in row} <= {0.0} | {
        2.0 * x for x in range(16)}


def test_quick_run_prints_the_books_examples(capsys):
    ch3.run_section('3.13', quick=True, num_epochs=1, subset=512, verbose=True)
    out = capsys.readouterr().out
    assert 'dropout(X, 0) =' in out and 'dropout(X, 0.5) =' in out and 'dropout(X, 1) =' in out
    assert '[ 8.  9. 10. 11. 12. 13. 14. 15.]' in out
    assert re.search(r'epoch 1, loss [\d.]+, train acc', out)


@pytest.mark.slow
def test_one_full_epoch_learns():
    result = ch3.run_section('3.13', impl='gluon', num_epochs=1, verbose=False)
    assert result['final']['train_acc'] > 0.45 and result['final']['test_acc'] > 0.6


def test_swapped_probabilities_and_widths_are_accepted():
    result = ch3.run_section('3.13', quick=True, num_epochs=1, drop_prob1=0.5, drop_prob2=0.2,
                             verbose=False)
    assert (result['hyperparameters']['drop_prob1'], result['hyperparameters']['drop_prob2']) \
        == (0.5, 0.2)
    result = ch3.run_section('3.13', impl='gluon', quick=True, num_epochs=1, num_hiddens1=128,
                             num_hiddens2=64, drop_prob1=0.3, verbose=False)
    assert result['hyperparameters']['num_hiddens1'] == 128
    assert result['hyperparameters']['num_hiddens2'] == 64
    assert result['hyperparameters']['drop_prob1'] == 0.3


def test_set_drop_prob1_on_the_command_line(tmp_path):
    """The README's `ch3 run 3.13 --set drop_prob1=0.2`: the name reaches the run."""
    from ch3.harness import cli
    status = cli.main(['run', '3.13', '--quick', '--epochs', '1', '--set', 'drop_prob1=0.3',
                       '--set', 'subset=512', '--out', str(tmp_path)])
    assert status in (0, None)
    with open(os.path.join(str(tmp_path), 'metrics.json')) as handle:
        record = json.load(handle)
    assert record['hyperparameters']['drop_prob1'] == 0.3
    assert record['hyperparameters']['drop_prob2'] == 0.5


@pytest.mark.parametrize('impl', ['scratch', 'gluon'])
@pytest.mark.parametrize('kwargs, message', [
    ({'drop_prob2': 1.2}, r'drop_prob2 must be a probability in \[0, 1\], got 1.2'),
    ({'drop_prob1': -0.1}, r'drop_prob1 must be a probability in \[0, 1\], got -0.1'),
    ({'num_hiddens1': 0}, 'num_hiddens1 must be >= 1'),
    ({'lr': 0}, 'lr must be a finite number > 0'),
])
def test_bad_hyperparameters_are_value_errors(impl, kwargs, message):
    with pytest.raises(ValueError, match=message):
        ch3.run_section('3.13', impl=impl, quick=True, **kwargs)


def test_book_reference_numbers_are_the_notebooks_printed_lines():
    book = ch3.harness.registry.get_section('3.13').book
    assert (book['scratch_loss'], book['scratch_train_acc'], book['scratch_test_acc']) \
        == (0.4160, 0.848, 0.863)
    assert (book['gluon_loss'], book['gluon_train_acc'], book['gluon_test_acc']) \
        == (0.4241, 0.846, 0.860)
    assert book['scratch_history'][0] == {'epoch': 1, 'loss': 1.1393, 'train_acc': 0.558,
                                          'test_acc': 0.773}
    assert [h['epoch'] for h in book['gluon_history']] == [1, 2, 3, 4, 5]
    assert 'ea74109' in book['source']


def test_a_huge_learning_rate_stops_both_versions():
    from ch3.book.mlp import train_gluon
    train, test = real_batches(512, 256), real_batches(256, 256, train=False)
    with pytest.raises(ch3.TrainingDiverged, match='epoch 1'):
        train_scratch(train, test, 2, 256, 1e9, verbose=False)
    with pytest.raises(ch3.TrainingDiverged, match='epoch 1'):
        train_gluon(gluon_net(), train, test, 2, 256, 1e9, verbose=False)
