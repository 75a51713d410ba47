"""The multilayer perceptron generalised beyond the book's 3.9 and 3.13 nets, for the exercises and
3.15's experiments (several hidden layers, another activation, a hook after each hidden layer):
    init_params(num_hiddens=(h1, h2, ...)) -> [W1, b1, ..., WL, bL],
                                              Wi (fan_in, fan_out), bi (fan_out,)
    net(X, params, activation, after_hidden) -> logits (n, outputs) of X (n, 1, 28, 28)
With one hidden layer of 256 ReLU units it computes ch3.book.mlp.net exactly (same draws, same
ops). Gluon's Dense stores the same weight transposed, (fan_out, fan_in): gluon_params /
load_params convert between the two.
"""
from mxnet import init, nd
from mxnet.gluon import loss as gloss, nn

from ch3.book.activations import relu
from ch3.book.training import train_ch3
from ch3.checks import (check_activation_name, check_hidden_sizes, check_int,
                        check_layer_params, check_weight_shapes)
from ch3.context import as_ctx_list

num_inputs, num_outputs, num_hiddens = 784, 10, 256   # 28 x 28 pixels, 10 classes, the book's h


# --- from scratch (3.9's layout) ---------------------------------------------------------------

def init_params(num_inputs=num_inputs, num_hiddens=num_hiddens, num_outputs=num_outputs,
                ctx=None):
    """3.9: [W1 (784, 256), b1 (256,), W2 (256, 10), b2 (10,)], W ~ N(0, 0.01^2), b = 0, with
    gradients; num_hiddens=(h1, h2, ...) gives [W1, b1, ..., WL, bL] the same way."""
    sizes = ((check_int('num_inputs', num_inputs, minimum=1),) + check_hidden_sizes(num_hiddens)
             + (check_int('num_outputs', num_outputs, minimum=1),))
    check_weight_shapes(*zip(sizes[:-1], sizes[1:]))
    device = as_ctx_list(ctx)[0]
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        params.append(nd.random.normal(scale=0.01, shape=(fan_in, fan_out), ctx=device))
        params.append(nd.zeros(fan_out, ctx=device))
    for param in params:
        param.attach_grad()
    return params


def layers(params):
    """3.9: the flat [W1, b1, ..., WL, bL] as a list of (W, b) pairs."""
    check_layer_params(params)
    return list(zip(params[0::2], params[1::2]))


def net(X, params, activation=relu, after_hidden=None):
    """3.9: logits (n, outputs) of X (n, 1, 28, 28) or (n, 784): H = activation(X W1 + b1) per
    hidden layer, then H WL + bL. after_hidden(H, i), if given, replaces hidden layer i's output
    (3.13 drops units there)."""
    *hidden, (W_out, b_out) = layers(params)
    H = X.reshape((-1, params[0].shape[0]))
    for i, (W, b) in enumerate(hidden):
        H = activation(nd.dot(H, W) + b)
        if after_hidden is not None:
            H = after_hidden(H, i)
    return nd.dot(H, W_out) + b_out


def train_scratch(train_iter, test_iter, num_epochs=5, batch_size=256, lr=0.5,
                  num_hiddens=num_hiddens, activation=relu, ctx=None, verbose=True):
    """3.9's run with any widths and activation: init_params, net, SoftmaxCrossEntropyLoss and
    sgd via train_ch3; returns (params, per-epoch history)."""
    params = init_params(num_hiddens=num_hiddens, ctx=ctx)
    history = train_ch3(lambda X: net(X, params, activation), train_iter, test_iter,
                        gloss.SoftmaxCrossEntropyLoss(), num_epochs, batch_size, params, lr,
                        verbose=verbose)
    return params, history


# --- Gluon (3.10's layout) ---------------------------------------------------------------------

def gluon_net(num_hiddens=num_hiddens, activation='relu', ctx=None, after_hidden=None):
    """3.10: nn.Dense(256, activation='relu'), nn.Dense(10), init.Normal(0.01), hybridized, on
    every device of ctx: (n, 1, 28, 28) or (n, 784) -> logits (n, 10). num_hiddens may be a tuple;
    after_hidden(i), if given, returns a block added after hidden layer i (3.13's Dropout)."""
    check_activation_name(activation)
    model = nn.HybridSequential()
    for i, width in enumerate(check_hidden_sizes(num_hiddens)):
        model.add(nn.Dense(width, activation=activation))
        if after_hidden is not None:
            model.add(after_hidden(i))
    model.add(nn.Dense(num_outputs))
    model.initialize(init.Normal(sigma=0.01), ctx=as_ctx_list(ctx))
    model.hybridize(static_alloc=True)
    return model


# --- one layout for both ------------------------------------------------------------------------

def dense_layers(net):
    """3.10: the nn.Dense blocks of a Gluon MLP, in order (Dropout and other blocks skipped)."""
    return [block for block in net if isinstance(block, nn.Dense)]


def gluon_params(net, ctx=None):
    """3.10: a Gluon MLP's weights as 3.9's [W1 (in, out), b1, ...] (copies, on ctx[0])."""
    device = as_ctx_list(ctx)[0]
    params = []
    for dense in dense_layers(net):
        params += [dense.weight.data(device).T, dense.bias.data(device).copy()]
    return params


def load_params(net, params):
    """3.10: set a Gluon MLP's weights (on all its devices) from 3.9's [W1 (in, out), b1, ...]."""
    dense = dense_layers(net)
    if 2 * len(dense) != len(params):
        raise ValueError('the Gluon net has %d Dense layers but params hold %d (W, b) pairs'
                         % (len(dense), len(params) // 2))
    for block, (W, b) in zip(dense, layers(params)):
        block.weight.set_data(W.T)
        block.bias.set_data(b)
