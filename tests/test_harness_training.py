"""ch3.harness.training: the several-device runner gives train_ch3's numbers (seed 0) and keeps
the replicas identical."""
import mxnet as mx
import numpy as np
import pytest
from mxnet import gluon, init, nd
from mxnet.gluon import loss as gloss, nn

from ch3.book.training import TrainingDiverged, evaluate_accuracy, train_ch3
from ch3.harness.training import evaluate_accuracy_on_devices, train_on_devices
from ch3.utils import set_seed

TWO_CPUS = [mx.cpu(0), mx.cpu(1)]


def _blobs(n=80, classes=3, dim=4, seed=1):
    rng = np.random.RandomState(seed)
    labels = rng.randint(0, classes, size=n)
    features = rng.normal(scale=3, size=(classes, dim))[labels] + rng.normal(size=(n, dim))
    return nd.array(features), nd.array(labels)


def _loader(batch_size=20, n=90):
    return gluon.data.DataLoader(gluon.data.ArrayDataset(*_blobs(n)), batch_size, shuffle=False)


def _run(train, contexts, lr=0.1):
    set_seed(0)
    net = nn.Dense(3, in_units=4)
    net.initialize(init.Normal(sigma=0.01), ctx=contexts)
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': lr})
    loader = _loader()
    history = train(net, trainer, loader, contexts)
    return net, history


def _book(net, trainer, loader, contexts):
    return train_ch3(net, loader, loader, gloss.SoftmaxCrossEntropyLoss(), 2, 20, None, None,
                     trainer, verbose=False)


def _harness(net, trainer, loader, contexts):
    return train_on_devices(net, loader, loader, gloss.SoftmaxCrossEntropyLoss(), 2, 20, trainer,
                            contexts, verbose=False)


def test_one_device_gives_train_ch3s_numbers_at_seed_0():
    (book_net, book), (net, ours) = (_run(_book, [mx.cpu()]), _run(_harness, [mx.cpu()]))
    assert [(h['loss'], h['train_acc'], h['test_acc']) for h in ours] == \
        [(h['loss'], h['train_acc'], h['test_acc']) for h in book]
    np.testing.assert_array_equal(net.weight.data().asnumpy(), book_net.weight.data().asnumpy())


def test_two_devices_give_train_ch3s_numbers_and_identical_replicas():
    (book_net, book), (net, ours) = (_run(_book, [mx.cpu()]), _run(_harness, TWO_CPUS))
    copies = [net.weight.data(c).asnumpy() for c in TWO_CPUS]
    np.testing.assert_array_equal(copies[0], copies[1])
    np.testing.assert_allclose(copies[0], book_net.weight.data().asnumpy(), rtol=1e-5, atol=1e-7)
    for a, b in zip(ours, book):
        assert a['loss'] == pytest.approx(b['loss'], rel=1e-5)
        assert a['test_acc'] == b['test_acc'] and a['train_acc'] == b['train_acc']
    assert evaluate_accuracy_on_devices(_loader(), net, TWO_CPUS) == \
        pytest.approx(evaluate_accuracy(_loader(), book_net))


def test_two_devices_stop_a_diverging_run_and_refuse_bad_labels():
    with pytest.raises(TrainingDiverged, match='epoch 1'):
        _run(_harness, TWO_CPUS, lr=1e9)
    loader = gluon.data.DataLoader(gluon.data.ArrayDataset(_blobs()[0], _blobs()[1] + 5), 20)
    net = nn.Dense(3, in_units=4)
    net.initialize(ctx=TWO_CPUS)
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    with pytest.raises(ValueError, match='class indices 0..2'):
        train_on_devices(net, loader, loader, gloss.SoftmaxCrossEntropyLoss(), 1, 20, trainer,
                         TWO_CPUS, verbose=False)
