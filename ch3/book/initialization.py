"""Section 3.15: numerical stability (vanishing and exploding) and model initialization.

Vanishing and exploding. Without biases and with identity activations phi(x) = x, layer l of an
L-layer perceptron outputs H(l) = X W(1) W(2) ... W(l). With scalar weights, all 0.2 or all 5, the
30th layer's output is X times 0.2^30 ~ 1e-21 (vanishing) or 5^30 ~ 9e20 (exploding); gradients,
products of the same factors, vanish or explode alike.

Random initialization. If every hidden unit starts with the same parameters, each computes the
same value in the forward pass and gets the same gradient in the backward pass, so the units stay
equal after every step: the hidden layer acts as one unit. Hence weights are drawn at random:
    MXNet's default (net.initialize() without an initializer): W ~ U(-0.07, 0.07), b = 0;
    Xavier, for a layer with a inputs and b outputs: W ~ U(-sqrt(6 / (a + b)), sqrt(6 / (a + b))),
    so that Var W = 2 / (a + b): the output variance should not depend on a, nor the gradient
    variance on b. MXNet's init.Xavier() is this distribution.

The experiments train the chapter's own models with an `init` argument, an MXNet initializer
(init.Constant(c), init.Xavier(), init.Uniform(0.07), ...; None keeps the model's own draw):
3.2's linear regression (ch3.book.training.linreg), 3.6's softmax regression (ch3.book.softmax)
and 3.9's MLP (ch3.book.deep_mlp, the layout of ch3.book.mlp). `init` draws weights only: biases stay 0, from scratch as in Gluon,
whose Dense bias has its own zeros initializer that net.initialize(init) does not override.

That is exact arithmetic. A float32 matrix product may sum some output columns in another order
than others (how a BLAS kernel blocks the matrix, which can depend on the build and the threads),
so "equal" units can differ by rounding (~1e-7) and training can amplify that; float64 shows the
exact behaviour, and the runs measure how far apart the units end up.

Extra, from the English edition (d2l.ai, "Numerical Stability and Initialization"), not in
d2l-zh v1: the product of 100 random 4 x 4 N(0, 1) matrices explodes. For n x n matrices with
N(0, sigma^2) entries ||G_1 ... G_L v|| grows like exp(L * rate) (Newman 1986),
    rate = log sigma + (log 2 + psi(n / 2)) / 2,   psi the digamma function,
0.558 for sigma = 1, n = 4, and still -0.135 < 0 for sigma = 1 / sqrt(n). Its sigmoid plot: the
gradient sigma(x) (1 - sigma(x)) is at most 1/4 (at x = 0) and about exp(-|x|) for large |x|.
"""
import math

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon, nd
from mxnet.gluon import loss as gloss, nn

from ch3.book import deep_mlp, softmax
from ch3.book.plotting import new_figure
from ch3.book.training import check_diverged, data_iter, linreg, sgd, squared_loss, train_ch3
from ch3.checks import check_int
from ch3.context import as_ctx_list

DEFAULT_INIT_SCALE = 0.07   # net.initialize(): W ~ U(-0.07, 0.07), i.e. mx.init.Uniform(0.07)


# --- 3.15 vanishing and exploding: the book's example -------------------------------------------

def layer_outputs(weight, num_layers=30, X=1.0, ctx=None):
    """3.15: H(l) = X W(1) ... W(l), l = 1..num_layers, every W(l) the 1 x 1 matrix [[weight]],
    identity activations, float32 -> NDArray (num_layers,)."""
    check_int('num_layers', num_layers, minimum=1)
    device = as_ctx_list(ctx)[0]
    H, W = nd.array([[X]], ctx=device), nd.array([[weight]], ctx=device)
    outputs = []
    for _ in range(num_layers):
        H = nd.dot(H, W)
        outputs.append(H.reshape((1,)))
    return nd.concat(*outputs, dim=0)


def layer_outputs_figure(runs):
    """3.15: log10 |H(l)| against the layer l for {weight: layer_outputs(weight)}."""
    fig, ax = new_figure((4.5, 3))
    for weight, outputs in runs.items():
        values = np.abs(outputs.asnumpy().astype(np.float64))
        ax.plot(range(1, len(values) + 1), np.log10(values), marker='.',
                label='every weight %g' % weight)
    ax.set_xlabel('layer l')
    ax.set_ylabel('log10 |H(l)| for X = 1')
    ax.legend(fontsize=7)
    return fig


# --- 3.15 initializers: MXNet's default and Xavier ----------------------------------------------

def xavier_bound(fan_in, fan_out):
    """3.15: sqrt(6 / (a + b)) for a layer with a inputs and b outputs."""
    fan_in, fan_out = check_int('fan_in', fan_in, 1), check_int('fan_out', fan_out, 1)
    return math.sqrt(6.0 / (fan_in + fan_out))


def xavier_uniform(shape, ctx=None):
    """3.15: a weight of shape (outputs, inputs) (Gluon's Dense layout) ~ U(-bound, bound)."""
    if len(shape) != 2:
        raise ValueError('xavier_uniform expects a 2-D (outputs, inputs) shape, got %r' % (shape,))
    bound = xavier_bound(shape[1], shape[0])
    return nd.random.uniform(-bound, bound, shape=shape, ctx=as_ctx_list(ctx)[0])


def dense_init(num_inputs, num_outputs, init=None):
    """3.15: (weight (outputs, inputs), bias (outputs,)) of one nn.Dense initialized by `init`,
    or by net.initialize()'s default when init is None."""
    layer = nn.Dense(num_outputs, in_units=num_inputs)
    if init is None:
        layer.initialize()
    else:
        layer.initialize(init)
    return layer.weight.data(), layer.bias.data()


def init_figure(samples):
    """3.15: histograms of {name: weight array} (the initializers compared)."""
    fig, ax = new_figure((4.5, 3))
    for name, W in samples.items():
        ax.hist(W.asnumpy().ravel(), bins=60, histtype='step', label=name)
    ax.set_xlabel('weight')
    ax.set_ylabel('count')
    ax.legend(fontsize=7)
    return fig


# --- 3.15 the chapter's models with an `init` argument ------------------------------------------

def initialize(params, init):
    """3.15: draw every weight (2-D array) of a from-scratch params list in place by the MXNet
    initializer `init`; biases (1-D) keep their 0; init None keeps the model's own draw."""
    if init is not None:
        for param in params:
            if param.ndim == 2:
                init(mx.init.InitDesc('weight'), param)
    return params


def reinitialize(net, init, ctx=None):
    """3.15: re-draw a Gluon net's weights by `init` (its Dense biases keep their zeros
    initializer); init None keeps the net's own."""
    if init is not None:
        net.initialize(init, ctx=as_ctx_list(ctx), force_reinit=True)
    return net


def train_linreg(features, labels, init=None, num_epochs=3, batch_size=10, lr=0.03, ctx=None):
    """3.15 with 3.2's model: linreg from w (d, 1) ~ N(0, 0.01^2) (or init), b = 0, trained with
    squared_loss and sgd over data_iter (the book's 3.2 loop); returns [w, b]."""
    device = as_ctx_list(ctx)[0]
    w = nd.random.normal(scale=0.01, shape=(features.shape[1], 1), ctx=device)
    b = nd.zeros(1, ctx=device)
    initialize([w, b], init)
    for param in (w, b):
        param.attach_grad()
    start = _mean_loss(squared_loss, linreg(features, w, b), labels)
    for epoch in range(1, num_epochs + 1):
        for X, y in data_iter(batch_size, features, labels):
            with autograd.record():
                l = squared_loss(linreg(X, w, b), y)
            l.backward()
            sgd([w, b], lr, batch_size)
        check_diverged(_mean_loss(squared_loss, linreg(features, w, b), labels), start, epoch,
                       lr)
    return [w, b]


def _mean_loss(loss, y_hat, y):
    return loss(y_hat, y).mean().asscalar()


def train_linreg_gluon(features, labels, init=None, num_epochs=3, batch_size=10, lr=0.03,
                       ctx=None):
    """3.15 with 3.3's model: nn.Dense(1) initialized by init (None: init.Normal(0.01)), L2Loss
    and Trainer('sgd') over the same data_iter batches; returns the net."""
    device = as_ctx_list(ctx)[0]
    net = nn.Sequential()
    net.add(nn.Dense(1))
    net.initialize(mx.init.Normal(sigma=0.01) if init is None else init, ctx=device)
    loss = gloss.L2Loss()
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': lr})
    start = _mean_loss(loss, net(features), labels)
    for epoch in range(1, num_epochs + 1):
        for X, y in data_iter(batch_size, features, labels):
            with autograd.record():
                l = loss(net(X), y)
            l.backward()
            trainer.step(batch_size)
        check_diverged(_mean_loss(loss, net(features), labels), start, epoch, lr)
    return net


def train_softmax_scratch(train_iter, test_iter, init=None, num_epochs=5, batch_size=256, lr=0.1,
                          ctx=None, verbose=True):
    """3.15 with 3.6's model: softmax.init_params redrawn by init, softmax.net and cross_entropy
    with sgd via train_ch3; returns ([W, b], per-epoch history)."""
    W, b = initialize(softmax.init_params(ctx), init)
    history = train_ch3(lambda X: softmax.net(X, W, b), train_iter, test_iter,
                        softmax.cross_entropy, num_epochs, batch_size, [W, b], lr,
                        verbose=verbose)
    return [W, b], history


def train_softmax_gluon(train_iter, test_iter, init=None, num_epochs=5, batch_size=256, lr=0.1,
                        ctx=None, verbose=True):
    """3.15 with 3.7's model: softmax.gluon_net re-initialized by init, softmax.train_gluon;
    returns (net, per-epoch history)."""
    net = reinitialize(softmax.gluon_net(ctx), init, ctx)
    history = softmax.train_gluon(net, train_iter, test_iter, num_epochs, batch_size, lr,
                                  verbose=verbose)
    return net, history


def mlp_params(init=None, num_hiddens=256, dtype='float32', ctx=None):
    """3.15: 3.9's init_params [W1 (784, h), b1, W2 (h, 10), b2] redrawn by init, then cast to
    dtype, with gradients."""
    params = initialize(deep_mlp.init_params(num_hiddens=num_hiddens, ctx=ctx), init)
    if dtype != 'float32':
        params = [param.astype(dtype) for param in params]
        for param in params:
            param.attach_grad()
    return params


def mlp_net(params):
    """3.15: 3.9's net on params of any dtype: X (n, 1, 28, 28) -> float32 logits (n, 10)."""
    dtype = params[0].dtype
    if dtype == np.float32:
        return lambda X: deep_mlp.net(X, params)
    return lambda X: deep_mlp.net(X.astype(dtype), params).astype('float32')


def mlp_hidden(params, X):
    """3.15: the first hidden layer's output relu(X W1 + b1) (n, h) of 3.9's net on X."""
    captured = []

    def keep(H, i):
        if i == 0:
            captured.append(H)
        return H
    deep_mlp.net(X.astype(params[0].dtype), params, after_hidden=keep)
    return captured[0]


def train_mlp_scratch(train_iter, test_iter, init=None, num_hiddens=256, dtype='float32',
                      num_epochs=5, batch_size=256, lr=0.1, ctx=None, verbose=True):
    """3.15 with 3.9's model: mlp_params(init), 3.9's net, SoftmaxCrossEntropyLoss and sgd via
    train_ch3 (dtype 'float64' for exact arithmetic); returns (params, per-epoch history)."""
    params = mlp_params(init, num_hiddens, dtype, ctx)
    history = train_ch3(mlp_net(params), train_iter, test_iter, gloss.SoftmaxCrossEntropyLoss(),
                        num_epochs, batch_size, params, lr, verbose=verbose)
    return params, history


def train_mlp_gluon(train_iter, test_iter, init=None, num_hiddens=256, num_epochs=5,
                    batch_size=256, lr=0.1, ctx=None, verbose=True):
    """3.15 with 3.10's model: deep_mlp.gluon_net re-initialized by init, trained by train_ch3
    with Trainer('sgd'); returns (net, per-epoch history)."""
    net = reinitialize(deep_mlp.gluon_net(num_hiddens, ctx=ctx), init, ctx)
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': lr})
    history = train_ch3(net, train_iter, test_iter, gloss.SoftmaxCrossEntropyLoss(), num_epochs,
                        batch_size, trainer=trainer, verbose=verbose)
    return net, history


# --- 3.15 symmetry: are the hidden units still equal? -------------------------------------------

def count_distinct(rows, tol=1e-4):
    """3.15: how many rows (m, k) differ from every earlier distinct row by more than tol times
    the largest |entry| (max-abs distance)."""
    rows = np.asarray(rows, dtype=np.float64)
    scale = max(float(np.abs(rows).max()), 1e-30)
    representatives = []
    for row in rows:
        if not any(np.abs(row - r).max() <= tol * scale for r in representatives):
            representatives.append(row)
    return len(representatives)


def hidden_unit_spread(params):
    """3.15: for 3.9's params [W1 (in, h), b1, W2 (h, out), b2]: each hidden unit as its incoming
    weights, bias and outgoing weights; the largest |unit_j - unit_0| relative to the largest
    |entry|, the number of distinct units and of units."""
    W1, b1, W2 = (param.asnumpy() for param in params[:3])
    units = np.hstack([W1.T, b1.reshape(-1, 1), W2])
    scale = max(float(np.abs(units).max()), 1e-30)
    return {'relative_spread': float(np.abs(units - units[0]).max() / scale),
            'distinct_units': count_distinct(units), 'units': units.shape[0]}


# --- extra, from the English edition (not in d2l-zh v1) -----------------------------------------

def _digamma(x):
    """The digamma function psi(x) for x = k/2 > 0, from psi(1) = -gamma,
    psi(1/2) = -gamma - 2 log 2 and psi(x + 1) = psi(x) + 1/x."""
    base = 1.0 if float(x).is_integer() else 0.5
    if x < base or not float(2 * x).is_integer():
        raise ValueError('x must be a positive multiple of 1/2, got %r' % x)
    euler_gamma = 0.5772156649015329
    psi = -euler_gamma if base == 1.0 else -euler_gamma - 2 * math.log(2)
    while base < x:
        psi += 1 / base
        base += 1
    return psi


def lyapunov_rate(n, sigma=1.0):
    """English edition extra: growth rate per factor of a product of n x n N(0, sigma^2)
    matrices."""
    return math.log(sigma) + (math.log(2) + _digamma(n / 2)) / 2


def matrix_product_growth(num_factors=100, n=4, sigma=1.0, ctx=None):
    """English edition extra: M = G_0 G_1 ... G_num_factors of n x n N(0, sigma^2) matrices
    (float64); log10 of the Frobenius norm after each factor, the rates and the final M."""
    device = as_ctx_list(ctx)[0]
    M = nd.random.normal(scale=sigma, shape=(n, n), dtype='float64', ctx=device)
    log10_norms = [math.log10(nd.norm(M).asscalar())]
    for _ in range(num_factors):
        M = nd.dot(M, nd.random.normal(scale=sigma, shape=(n, n), dtype='float64', ctx=device))
        log10_norms.append(math.log10(nd.norm(M).asscalar()))
    return {'n': n, 'sigma': sigma, 'num_factors': num_factors, 'log10_norms': log10_norms,
            'final_matrix': M.asnumpy().tolist(),
            'measured_rate': (log10_norms[-1] - log10_norms[0]) * math.log(10) / num_factors,
            'theory_rate': lyapunov_rate(n, sigma)}


def sigmoid_gradient(x_min=-8.0, x_max=8.0, step=0.1):
    """English edition extra: sigmoid(x) and its gradient by autograd on a grid of x."""
    x = nd.arange(x_min, x_max + step / 2, step)
    x.attach_grad()
    with autograd.record():
        y = x.sigmoid()
    y.backward()
    grad = x.grad.asnumpy()
    return {'x': x.asnumpy().tolist(), 'sigmoid': y.asnumpy().tolist(), 'grad': grad.tolist(),
            'max_grad': float(grad.max()), 'argmax_x': float(x.asnumpy()[grad.argmax()]),
            'grad_at_edges': [float(grad[0]), float(grad[-1])]}


def product_figure(runs):
    """English edition extra: log10 ||G_0 ... G_k|| against k for each matrix_product_growth."""
    fig, ax = new_figure((4.5, 3))
    for run in runs:
        ax.plot(run['log10_norms'], label='sigma = %.3g (rate %.3f)' % (run['sigma'],
                                                                         run['theory_rate']))
    ax.set_title('from the English edition', fontsize=8)
    ax.set_xlabel('number of matrices multiplied')
    ax.set_ylabel('log10 ||product||')
    ax.legend(fontsize=7)
    return fig


def sigmoid_figure(curve):
    """English edition extra: the sigmoid and its gradient."""
    fig, ax = new_figure((4.5, 3))
    ax.plot(curve['x'], curve['sigmoid'], label='sigmoid')
    ax.plot(curve['x'], curve['grad'], linestyle=':', label='gradient')
    ax.set_title('from the English edition', fontsize=8)
    ax.set_xlabel('x')
    ax.legend(fontsize=7)
    return fig
