"""The shared helpers against d2lzh (same seed, parameters and batches) and against closed forms."""
import contextlib
import json
import io
import random
import re

import d2lzh
import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd, gluon, init, nd
from mxnet.gluon import loss as gloss, nn

from ch3.book import training
from ch3.book.training import (TrainingDiverged, data_iter, evaluate_accuracy, linreg, sgd,
                          squared_loss, train_ch3)


def _blobs(n=60, classes=3, dim=4, seed=1):
    """Separable-ish Gaussian clusters: features (n, dim) float32, labels (n,) float32."""
    rng = np.random.RandomState(seed)
    labels = rng.randint(0, classes, size=n)
    centres = rng.normal(scale=3, size=(classes, dim))
    features = centres[labels] + rng.normal(size=(n, dim))
    return nd.array(features), nd.array(labels)


def _loader(features, labels, batch_size):
    return gluon.data.DataLoader(gluon.data.ArrayDataset(features, labels), batch_size,
                                 shuffle=False)


def _softmax_params(dim=4, classes=3, seed=2):
    rng = np.random.RandomState(seed)
    W = nd.array(rng.normal(scale=0.01, size=(dim, classes)))
    b = nd.zeros(classes)
    for p in (W, b):
        p.attach_grad()
    return W, b


def _net(W, b):
    def net(X):
        return nd.dot(X.reshape((-1, W.shape[0])), W) + b
    return net


def test_data_iter_matches_d2lzh_with_the_same_seed():
    features, labels = nd.arange(46).reshape((23, 2)), nd.arange(23)
    random.seed(5)
    ours = [(X.asnumpy(), y.asnumpy()) for X, y in data_iter(5, features, labels)]
    random.seed(5)
    theirs = [(X.asnumpy(), y.asnumpy()) for X, y in d2lzh.data_iter(5, features, labels)]
    assert len(ours) == len(theirs) == 5
    for (X1, y1), (X2, y2) in zip(ours, theirs):
        np.testing.assert_array_equal(X1, X2)
        np.testing.assert_array_equal(y1, y2)
    assert ours[-1][0].shape == (3, 2)   # the last partial batch is yielded
    seen = np.sort(np.concatenate([y for _, y in ours]))
    np.testing.assert_array_equal(seen, np.arange(23))


def test_data_iter_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match='features and labels differ in length: 4 vs 3'):
        next(data_iter(2, nd.zeros((4, 2)), nd.zeros(3)))


def test_linreg_and_squared_loss_match_d2lzh_and_numpy():
    rng = np.random.RandomState(0)
    X, w, b, y = rng.randn(7, 3), rng.randn(3, 1), rng.randn(1), rng.randn(7)
    ours = squared_loss(linreg(nd.array(X), nd.array(w), nd.array(b)), nd.array(y))
    theirs = d2lzh.squared_loss(d2lzh.linreg(nd.array(X), nd.array(w), nd.array(b)), nd.array(y))
    np.testing.assert_array_equal(ours.asnumpy(), theirs.asnumpy())
    np.testing.assert_allclose(ours.asnumpy().ravel(), (X @ w + b - y[:, None]).ravel() ** 2 / 2,
                               rtol=1e-5)


def test_squared_loss_gradient_is_the_closed_form():
    rng = np.random.RandomState(1)
    X, w, b, y = rng.randn(10, 2), rng.randn(2, 1), rng.randn(1), rng.randn(10)
    wn, bn = nd.array(w), nd.array(b)
    wn.attach_grad()
    bn.attach_grad()
    with autograd.record():
        l = squared_loss(linreg(nd.array(X), wn, bn), nd.array(y))
    l.backward()
    residual = X @ w + b - y[:, None]            # d/dw sum_i (x_i w + b - y_i)^2 / 2
    np.testing.assert_allclose(wn.grad.asnumpy(), X.T @ residual, rtol=1e-4)
    np.testing.assert_allclose(bn.grad.asnumpy(), residual.sum(axis=0), rtol=1e-4)


def test_sgd_matches_d2lzh():
    ours, theirs = nd.array([[1.0, -2.0]]), nd.array([[1.0, -2.0]])
    for p in (ours, theirs):
        p.attach_grad()
        p.grad[:] = nd.array([[0.5, 3.0]])
    sgd([ours], 0.03, 10)
    d2lzh.sgd([theirs], 0.03, 10)
    np.testing.assert_array_equal(ours.asnumpy(), theirs.asnumpy())


def test_partial_batch_step_equals_the_mean_gradient_step():
    """The last batch of 3 (nominal size 10) must move w by lr * mean gradient, not lr * sum / 10."""
    rng = np.random.RandomState(3)
    X, y = rng.randn(3, 2), rng.randn(3)
    w0 = rng.randn(2, 1)
    w = nd.array(w0)
    b = nd.zeros(1)
    for p in (w, b):
        p.attach_grad()
    with autograd.record():
        l = squared_loss(linreg(nd.array(X), w, b), nd.array(y))
    l.backward()
    sgd([w, b], 0.1, y.shape[0])   # what our loops pass: the real batch size
    mean_grad = X.T @ (X @ w0 - y[:, None]) / 3
    np.testing.assert_allclose(w.asnumpy(), w0 - 0.1 * mean_grad, rtol=1e-5)


def test_evaluate_accuracy_matches_d2lzh():
    features, labels = _blobs()
    W, b = _softmax_params()
    W[:] = nd.array(np.random.RandomState(4).randn(4, 3))
    loader = _loader(features, labels, 16)
    ours = evaluate_accuracy(loader, _net(W, b))
    theirs = d2lzh.evaluate_accuracy(loader, _net(W, b))
    expected = float((nd.dot(features, W).argmax(axis=1) == labels).mean().asscalar())
    assert ours == pytest.approx(theirs) == pytest.approx(expected)
    assert 0 < ours < 1


def _parse_book_lines(text):
    return [tuple(float(v) for v in m) for m in
            re.findall(r'loss ([\d.]+), train acc ([\d.]+), test acc ([\d.]+)', text)]


def test_train_ch3_scratch_matches_d2lzh_when_batches_are_full():
    features, labels = _blobs(n=60)
    loader = _loader(features, labels, 20)    # 60 / 20: no partial batch, so no fix applies
    W1, b1 = _softmax_params()
    W2, b2 = _softmax_params()
    loss = gloss.SoftmaxCrossEntropyLoss()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        history = train_ch3(_net(W1, b1), loader, loader, loss, 3, 20, [W1, b1], 0.1)
    theirs = io.StringIO()
    with contextlib.redirect_stdout(theirs):
        d2lzh.train_ch3(_net(W2, b2), loader, loader, loss, 3, 20, [W2, b2], 0.1)
    np.testing.assert_allclose(W1.asnumpy(), W2.asnumpy(), rtol=1e-6)
    assert _parse_book_lines(out.getvalue()) == _parse_book_lines(theirs.getvalue())
    assert [h['epoch'] for h in history] == [1, 2, 3]
    assert history[-1]['loss'] < history[0]['loss']
    assert set(history[0]) == {'epoch', 'loss', 'train_acc', 'test_acc', 'seconds'}


@pytest.mark.parametrize('batch_size, divisor', [(20, lambda n: 20), (None, lambda n: n)])
def test_train_ch3_divides_by_the_nominal_batch_size_or_with_none_the_real_one(batch_size,
                                                                               divisor):
    features, labels = _blobs(n=50)
    loader = _loader(features, labels, 20)    # batches of 20, 20, 10
    W, b = _softmax_params()
    W_ref, b_ref = _softmax_params()
    loss = gloss.SoftmaxCrossEntropyLoss()
    train_ch3(_net(W, b), loader, loader, loss, 1, batch_size, [W, b], 0.1, verbose=False)
    for X, y in loader:                       # the same epoch by hand
        with autograd.record():
            l = loss(_net(W_ref, b_ref)(X), y).sum() / divisor(X.shape[0])
        l.backward()
        for p in (W_ref, b_ref):
            p[:] = p - 0.1 * p.grad
    np.testing.assert_allclose(W.asnumpy(), W_ref.asnumpy(), rtol=1e-5, atol=1e-7)


def test_train_ch3_steps_with_the_taught_sgd(monkeypatch):
    calls = []
    real_sgd = training.sgd
    monkeypatch.setattr(training, 'sgd', lambda *args: calls.append(args[1:]) or real_sgd(*args))
    features, labels = _blobs(n=50)
    loader = _loader(features, labels, 20)
    W, b = _softmax_params()
    train_ch3(_net(W, b), loader, loader, gloss.SoftmaxCrossEntropyLoss(), 2, 20, [W, b], 0.1,
              verbose=False)
    assert calls == [(0.1, 20)] * 6           # 3 batches a pass, 2 passes


def test_train_ch3_gluon_trainer_matches_d2lzh():
    features, labels = _blobs(n=60)
    loader = _loader(features, labels, 20)
    nets = []
    for _ in range(2):
        mx.random.seed(11)
        net = nn.Dense(3, in_units=4)
        net.initialize(init.Normal(sigma=0.01))
        nets.append(net)
    loss = gloss.SoftmaxCrossEntropyLoss()
    t1 = gluon.Trainer(nets[0].collect_params(), 'sgd', {'learning_rate': 0.1})
    t2 = gluon.Trainer(nets[1].collect_params(), 'sgd', {'learning_rate': 0.1})
    with contextlib.redirect_stdout(io.StringIO()):
        train_ch3(nets[0], loader, loader, loss, 2, 20, trainer=t1)
        d2lzh.train_ch3(nets[1], loader, loader, loss, 2, 20, trainer=t2)
    np.testing.assert_allclose(nets[0].weight.data().asnumpy(), nets[1].weight.data().asnumpy(),
                               rtol=1e-6)


def test_diverging_loss_stops_with_the_epoch_and_advice():
    features, labels = _blobs(n=40)
    features = features * 1e20    # one step makes W ~ 1e21, so the next logits overflow float32
    loader = _loader(features, labels, 20)
    W, b = _softmax_params()
    with pytest.raises(TrainingDiverged, match=r'epoch 1: the loss became (nan|inf).*smaller'):
        train_ch3(_net(W, b), loader, loader, gloss.SoftmaxCrossEntropyLoss(), 2, 20, [W, b],
                  10.0, verbose=False)


@pytest.mark.parametrize('kwargs, message', [
    ({'batch_size': 0}, 'batch_size must be >= 1'),
    ({'num_epochs': -1}, 'num_epochs must be >= 0'),
    ({'lr': float('nan')}, 'lr must be a finite number'),
    ({'lr': None}, 'needs either a trainer or both params and lr'),
])
def test_train_ch3_bad_arguments(kwargs, message):
    features, labels = _blobs(n=20)
    W, b = _softmax_params()
    args = dict(num_epochs=1, batch_size=10, params=[W, b], lr=0.1)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        train_ch3(_net(W, b), _loader(features, labels, 10), _loader(features, labels, 10),
                  gloss.SoftmaxCrossEntropyLoss(), **args)


def test_sgd_is_the_books_formula_in_one_fused_update():
    rng = np.random.RandomState(2)
    params = [nd.array(rng.randn(4, 3)), nd.array(rng.randn(3))]
    expected = []
    for p in params:
        p.attach_grad()
        p.grad[:] = nd.array(rng.randn(*p.shape))
        expected.append(p.asnumpy() - 0.5 * p.grad.asnumpy() / 7)   # param - lr * grad / batch
    sgd(params, 0.5, 7)
    for p, e in zip(params, expected):
        np.testing.assert_allclose(p.asnumpy(), e, rtol=1e-6, atol=1e-7)


def test_train_ch3_history_is_a_list_shown_in_one_line():
    features, labels = _blobs(n=40)
    loader = _loader(features, labels, 20)
    W, b = _softmax_params()
    history = train_ch3(_net(W, b), loader, loader, gloss.SoftmaxCrossEntropyLoss(), 2, 20,
                        [W, b], 0.1, verbose=False)
    assert isinstance(history, list) and len(history) == 2 and history[1]['epoch'] == 2
    assert repr(history) == 'History(2 epochs)'
    assert json.loads(json.dumps(history)) == [dict(h) for h in history]


def _dense_trainer(lr, classes=3, seed=3):
    mx.random.seed(seed)
    net = nn.Dense(classes, in_units=4)
    net.initialize(init.Normal(sigma=0.01))
    return net, gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': lr})


def test_a_huge_learning_rate_stops_both_paths_although_the_loss_stays_finite():
    features, labels = _blobs(n=60)
    loader = _loader(features, labels, 20)
    net, trainer = _dense_trainer(1e9)
    with pytest.raises(TrainingDiverged, match=r'epoch 1: the loss became .*smaller'):
        train_ch3(net, loader, loader, gloss.SoftmaxCrossEntropyLoss(), 2, 20, trainer=trainer,
                  verbose=False)
    W, b = _softmax_params()
    with pytest.raises(TrainingDiverged, match='epoch 1'):
        train_ch3(_net(W, b), loader, loader, gloss.SoftmaxCrossEntropyLoss(), 2, 20, [W, b],
                  1e9, verbose=False)


def test_the_divergence_rule_is_the_loss_against_its_start():
    assert training.check_diverged(2.0, 2.3, 3, 0.1) == 2.0
    assert training.check_diverged(2000.0, 2.3, 3, 0.1) == 2000.0   # below 1000 x the start
    with pytest.raises(TrainingDiverged, match='epoch 3'):
        training.check_diverged(2400.0, 2.3, 3, 0.1)
    with pytest.raises(TrainingDiverged, match='nan'):
        training.check_diverged(float('nan'), None, 1, 0.1)


def _both_paths(labels, classes=3):
    """(scratch net, params) and (Gluon net, trainer) pairs with `classes` outputs."""
    W, b = _softmax_params(classes=classes)
    net, trainer = _dense_trainer(0.1, classes)
    return [dict(net=_net(W, b), params=[W, b], lr=0.1), dict(net=net, trainer=trainer)]


@pytest.mark.parametrize('path', [0, 1], ids=['scratch', 'gluon'])
@pytest.mark.parametrize('labels, classes, message', [
    (lambda y: y.reshape((-1, 1)), 3, r'labels must be 1-D \(n,\).*reshape'),
    (lambda y: y + 12, 3, 'class indices 0..2, got 1[2-4]'),
    (lambda y: y - 1, 3, 'class indices 0..2, got -1'),
    (lambda y: y, 1, 'at least 2 classes'),
])
def test_labels_and_outputs_that_cannot_classify_are_refused_on_both_paths(path, labels,
                                                                          classes, message):
    features, y = _blobs(n=40)
    loader = _loader(features, labels(y), 20)
    run = _both_paths(y, classes)[path]
    net = run.pop('net')
    with pytest.raises(ValueError, match=message):
        train_ch3(net, loader, loader, gloss.SoftmaxCrossEntropyLoss(), 1, 20, verbose=False,
                  **run)
    with pytest.raises(ValueError, match=message):
        evaluate_accuracy(loader, net)


def test_accuracy_never_exceeds_one_and_matches_counting_by_hand():
    features, y = _blobs(n=50)
    W, b = _softmax_params()
    net = _net(W, b)
    expected = (net(features).argmax(axis=1).asnumpy() == y.asnumpy()).mean()
    assert evaluate_accuracy(_loader(features, y, 20), net) == pytest.approx(expected)


def test_scratch_params_without_gradients_name_attach_grad():
    features, y = _blobs(n=20)
    W, b = nd.zeros((4, 3)), nd.zeros(3)
    with pytest.raises(ValueError, match=r'attach_grad\(\)'):
        train_ch3(_net(W, b), _loader(features, y, 10), _loader(features, y, 10),
                  gloss.SoftmaxCrossEntropyLoss(), 1, 10, [W, b], 0.1)
