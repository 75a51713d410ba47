"""Section 3.13: dropout, from scratch and with Gluon's nn.Dropout.

With drop probability p, each hidden unit h_i is replaced while training by
    h_i' = xi_i / (1 - p) * h_i,   xi_i ~ Bernoulli(1 - p)   (xi_i = 1: kept, 0: dropped),
so E[h_i'] = E[xi_i] / (1 - p) * h_i = h_i: dropout leaves the expectation unchanged. At test time
(autograd.is_training() is False) the layer is the identity.
The network: 784 -> 256 (ReLU, dropout 0.2) -> 256 (ReLU, dropout 0.5) -> 10, weights
N(0, 0.01^2), biases 0, softmax cross-entropy, SGD with batch 256, lr 0.5, 5 epochs.
"""
import math
import numbers

from mxnet import autograd, gluon, init, nd
from mxnet.gluon import loss as gloss, nn

from ch3.context import as_ctx_list
from ch3.harness.runs import Section
from ch3.book.activations import get_activation
from ch3.harness.runs.mlp import (NUM_OUTPUTS, check_activation_name, classifier_result,
                              hidden_sizes, init_params, layers, load_data, single_device)
from ch3.book.training import train_ch3
from ch3.checks import check_int, check_training_args


def check_drop_prob(drop_prob):
    """3.13: return drop_prob as float if it is a number in [0, 1], else raise ValueError."""
    if isinstance(drop_prob, bool) or not isinstance(drop_prob, numbers.Real) \
            or not math.isfinite(drop_prob) or not 0 <= drop_prob <= 1:
        raise ValueError('drop_prob must be a probability in [0, 1], got %r' % (drop_prob,))
    return float(drop_prob)


# ---------------------------------------------------------------------------------------------
# From scratch
# ---------------------------------------------------------------------------------------------

def dropout(X, drop_prob):
    """3.13: X (any shape) with each element zeroed with probability drop_prob and the kept ones
    scaled by 1 / (1 - drop_prob); drop_prob = 1 gives zeros."""
    keep_prob = 1 - check_drop_prob(drop_prob)
    if keep_prob == 0:   # every element dropped; also avoids dividing by zero
        return nd.zeros_like(X)
    mask = nd.random.uniform(0, 1, X.shape, ctx=X.context) < keep_prob
    return mask * X / keep_prob


def drop_probabilities(drop_probs, num_layers):
    """3.13: drop_probs as a tuple of floats, one per hidden layer (a number applies to all)."""
    if isinstance(drop_probs, (list, tuple)):
        probs = tuple(check_drop_prob(p) for p in drop_probs)
    else:
        probs = (check_drop_prob(drop_probs),) * num_layers
    if len(probs) != num_layers:
        raise ValueError('drop_probs needs one probability per hidden layer: %d layer(s), got %r'
                         % (num_layers, drop_probs))
    return probs


def net_scratch(X, params, drop_probs=(0.2, 0.5), activation='relu'):
    """3.13: logits (n, outputs) of X (n, 1, 28, 28) or (n, 784), with dropout after each hidden
    layer while training; params as mlp.init_params gives them."""
    phi = get_activation(activation) if isinstance(activation, str) else activation
    *hidden, (W_out, b_out) = layers(params)
    probs = drop_probabilities(drop_probs, len(hidden))
    H = X.reshape((-1, params[0].shape[0]))
    for (W, b), drop_prob in zip(hidden, probs):
        H = phi(nd.dot(H, W) + b)
        if autograd.is_training():   # dropout only while training
            H = dropout(H, drop_prob)
    return nd.dot(H, W_out) + b_out


def scratch_net(params, drop_probs=(0.2, 0.5), activation='relu'):
    """3.13: net_scratch bound to params and drop_probs (X -> logits, for train_ch3)."""
    def net(X):
        return net_scratch(X, params, drop_probs, activation)
    return net


# ---------------------------------------------------------------------------------------------
# With Gluon
# ---------------------------------------------------------------------------------------------

def build_gluon_net(num_hiddens=(256, 256), drop_probs=(0.2, 0.5), activation='relu',
                    num_outputs=NUM_OUTPUTS, ctx=None, hybridize=True):
    """3.13: Dense(h, activation) + Dropout(p) per hidden layer, then Dense(outputs); N(0, 0.01^2)
    weights on every device in ctx; maps (n, 1, 28, 28) or (n, 784) to (n, outputs)."""
    widths = hidden_sizes(num_hiddens)
    probs = drop_probabilities(drop_probs, len(widths))
    check_activation_name(activation)
    net = nn.HybridSequential()
    for width, drop_prob in zip(widths, probs):
        net.add(nn.Dense(width, activation=activation), nn.Dropout(drop_prob))
    net.add(nn.Dense(check_int('num_outputs', num_outputs, minimum=1)))
    net.initialize(init.Normal(sigma=0.01), ctx=as_ctx_list(ctx))
    if hybridize:
        net.hybridize(static_alloc=True)
    return net


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------

def _check(batch_size, lr, num_epochs, num_hiddens, drop_probs, activation):
    check_training_args(batch_size=batch_size, lr=lr, num_epochs=num_epochs)
    widths = hidden_sizes(num_hiddens)
    return widths, drop_probabilities(drop_probs, len(widths)), check_activation_name(activation)


def _hyperparameters(settings, batch_size, lr, widths, probs, activation):
    return {'num_epochs': settings['num_epochs'], 'batch_size': batch_size, 'lr': lr,
            'num_hiddens': list(widths), 'drop_probs': list(probs), 'activation': activation,
            'subset': settings['subset'], 'pipeline': settings['pipeline']}


def train_scratch(ctx=None, quick=False, out=None, num_epochs=5, batch_size=256, lr=0.5,
                  num_hiddens=(256, 256), drop_probs=(0.2, 0.5), activation='relu',
                  subset=None, pipeline='fast', verbose=True):
    """3.13: the dropout MLP from scratch (dropout + net_scratch, SGD) on Fashion-MNIST.

    num_hiddens: hidden widths (int for one layer); drop_probs: one probability per hidden layer
    (a number applies to all); activation: 'relu', 'sigmoid' or 'tanh'; subset, pipeline: as in
    mlp.train_scratch. One device only.
    """
    widths, probs, activation = _check(batch_size, lr, num_epochs, num_hiddens, drop_probs,
                                       activation)
    device = single_device(as_ctx_list(ctx))
    train_iter, test_iter, settings = load_data(batch_size, [device], quick, num_epochs, subset,
                                                pipeline)
    params = init_params(num_hiddens=widths, ctx=device)
    history = train_ch3(scratch_net(params, probs, activation), train_iter, test_iter,
                        gloss.SoftmaxCrossEntropyLoss(), settings['num_epochs'], batch_size,
                        params, lr, ctx=device, verbose=verbose)
    return classifier_result(_hyperparameters(settings, batch_size, lr, widths, probs,
                                              activation), history)


def train_gluon(ctx=None, quick=False, out=None, num_epochs=5, batch_size=256, lr=0.5,
                num_hiddens=(256, 256), drop_probs=(0.2, 0.5), activation='relu',
                subset=None, pipeline='fast', verbose=True):
    """3.13: the same network with nn.Dense and nn.Dropout (hybridized), a Trainer; any devices.

    num_hiddens: hidden widths (int for one layer); drop_probs: one probability per hidden layer
    (a number applies to all); activation: 'relu', 'sigmoid' or 'tanh'; subset, pipeline: as in
    mlp.train_gluon.
    """
    widths, probs, activation = _check(batch_size, lr, num_epochs, num_hiddens, drop_probs,
                                       activation)
    contexts = as_ctx_list(ctx)
    train_iter, test_iter, settings = load_data(batch_size, contexts, quick, num_epochs, subset,
                                                pipeline)
    net = build_gluon_net(widths, probs, activation, ctx=contexts)
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': lr})
    history = train_ch3(net, train_iter, test_iter, gloss.SoftmaxCrossEntropyLoss(),
                        settings['num_epochs'], batch_size, trainer=trainer, ctx=contexts,
                        verbose=verbose)
    return classifier_result(_hyperparameters(settings, batch_size, lr, widths, probs,
                                              activation), history)


SECTIONS = [
    Section('3.13', 'Dropout', {'scratch': train_scratch, 'gluon': train_gluon},
            default_impl='scratch',
            book={'scratch_test_acc': 0.857, 'gluon_test_acc': 0.847, 'target_test_acc': 0.84,
                  'note': "the book's runs: epoch 5 test acc 0.857 from scratch, 0.847 Gluon"}),
]
