"""Section 3.8: the activation functions of the multilayer perceptron and their derivatives.

    ReLU(x)    = max(x, 0)                           ReLU'(x)    = 1 if x > 0 else 0 (0 at x = 0)
    sigmoid(x) = 1 / (1 + exp(-x))                   sigmoid'(x) = sigmoid(x) (1 - sigmoid(x))
    tanh(x)    = (1 - exp(-2x)) / (1 + exp(-2x))     tanh'(x)    = 1 - tanh(x)^2

From scratch: each function with NDArray arithmetic, each derivative by hand. With Gluon (the
book's code): nd.relu, nd.sigmoid, nd.tanh and their gradients from autograd on the grid
nd.arange(-8.0, 8.0, 0.1). The exercise's other activations, each with MXNet's own:
    leaky ReLU(x) = x if x > 0 else a x  (a = 0.01)   derivative 1 or a (a at x = 0)
    ELU(x)        = x if x > 0 else a (exp(x) - 1)     derivative 1 or a exp(x) (a = 1)
    softplus(x)   = log(1 + exp(x))                    derivative sigmoid(x)
"""
import numpy as np
from mxnet import autograd, nd

from ch3.book.plotting import new_figure

# exp(-x) overflows float32 below x = -88.7; autograd would then form inf / inf = NaN. Below -80
# sigmoid is < 2e-35 and its float32 autograd gradient has already underflowed to 0, so clipping
# there changes no value by more than 2e-35 and no gradient at all.
_SIGMOID_FLOOR = -80.0

GRID = (-8.0, 8.0, 0.1)   # the book's nd.arange(-8.0, 8.0, 0.1); it contains x = 0 exactly
LEAKY_SLOPE, ELU_ALPHA = 0.01, 1.0


# --- 3.8 from scratch ---------------------------------------------------------------------------

def relu(X):
    """3.8: ReLU(X) = max(X, 0) elementwise; any shape."""
    # Written as X * [X > 0] rather than nd.maximum(X, 0): maximum sends the gradient at the tie
    # X == 0 to X (autograd gives 1 there), while ReLU'(0) = 0 is the convention of the book's
    # text and of nd.relu. (X * [X > 0] is as fast as maximum; it is NaN at X = -inf, which finite
    # activations never reach.)
    return X * (X > 0)


def relu_grad(X):
    """3.8: ReLU'(X), the unit step (X > 0) with the value 0 at X = 0; any shape."""
    return (X > 0).astype(X.dtype)


def sigmoid(X):
    """3.8: sigmoid(X) = 1 / (1 + exp(-X)) elementwise; any shape."""
    return 1 / (1 + nd.exp(-nd.maximum(X, _SIGMOID_FLOOR)))


def sigmoid_grad(X):
    """3.8: sigmoid'(X) = sigmoid(X) (1 - sigmoid(X)); any shape."""
    s = sigmoid(X)
    return s * (1 - s)


def tanh(X):
    """3.8: tanh(X) = (1 - exp(-2X)) / (1 + exp(-2X)) = 2 sigmoid(2X) - 1 elementwise; any shape."""
    # Dividing the book's fraction through by its denominator gives 2 sigmoid(2X) - 1, which
    # inherits sigmoid's protection against exp overflow for large negative X.
    return 2 * sigmoid(2 * X) - 1


def tanh_grad(X):
    """3.8: tanh'(X) = 1 - tanh(X)^2; any shape."""
    return 1 - tanh(X) ** 2


# --- the exercise's other activations ------------------------------------------------

def leaky_relu(X, slope=LEAKY_SLOPE):
    """3.8 exercise: X if X > 0 else slope X elementwise; any shape."""
    return X * (X > 0) + slope * X * (X <= 0)


def leaky_relu_grad(X, slope=LEAKY_SLOPE):
    """3.8 exercise: 1 where X > 0, slope elsewhere (slope at 0, as MXNet's LeakyReLU)."""
    positive = (X > 0).astype(X.dtype)
    return positive + slope * (1 - positive)


def elu(X, alpha=ELU_ALPHA):
    """3.8 exercise: X if X > 0 else alpha (exp(X) - 1) elementwise; any shape."""
    negative = nd.minimum(X, 0)          # exp only of X <= 0: no overflow for large X
    return X * (X > 0) + alpha * (nd.exp(negative) - 1)


def elu_grad(X, alpha=ELU_ALPHA):
    """3.8 exercise: 1 where X > 0, alpha exp(X) elsewhere."""
    positive = (X > 0).astype(X.dtype)
    return positive + alpha * nd.exp(nd.minimum(X, 0)) * (1 - positive)


def softplus(X):
    """3.8 exercise: log(1 + exp(X)) elementwise; any shape."""
    # Above 30, log(1 + exp(X)) = X to float precision, and clipping there keeps exp finite.
    # (max(X, 0) + log(1 + exp(-|X|)) is stable too, but autograd of max and abs gives 1, not
    # 1/2, at X = 0.)
    return nd.where(X > 30, X, nd.log1p(nd.exp(nd.minimum(X, 30))))


def softplus_grad(X):
    """3.8 exercise: softplus'(X) = sigmoid(X)."""
    return sigmoid(X)


# --- 3.8 with Gluon: MXNet's own functions ------------------------------------------------------

def _gluon_leaky_relu(X):
    return nd.LeakyReLU(X, act_type='leaky', slope=LEAKY_SLOPE)


def _gluon_elu(X):
    return nd.LeakyReLU(X, act_type='elu', slope=ELU_ALPHA)


def _gluon_softplus(X):
    return nd.Activation(X, act_type='softrelu')


# name -> (from scratch, its hand-written derivative, MXNet's function)
ACTIVATIONS = {
    'relu': (relu, relu_grad, nd.relu),
    'sigmoid': (sigmoid, sigmoid_grad, nd.sigmoid),
    'tanh': (tanh, tanh_grad, nd.tanh),
}
OTHER_ACTIVATIONS = {
    'leaky_relu': (leaky_relu, leaky_relu_grad, _gluon_leaky_relu),
    'elu': (elu, elu_grad, _gluon_elu),
    'softplus': (softplus, softplus_grad, _gluon_softplus),
}


def get_activation(name):
    """3.8: the from-scratch function called `name` ('relu', 'sigmoid' or 'tanh')."""
    if name not in ACTIVATIONS:
        raise ValueError('activation must be one of %s, got %r'
                         % (', '.join(sorted(ACTIVATIONS)), name))
    return ACTIVATIONS[name][0]


def activation_pair(name):
    """3.8: (phi, phi') from scratch for the book's three or the exercise's activations."""
    table = {**ACTIVATIONS, **OTHER_ACTIVATIONS}
    if name not in table:
        raise ValueError('activation must be one of %s, got %r'
                         % (', '.join(sorted(table)), name))
    return table[name][:2]


def grid(low=GRID[0], high=GRID[1], step=GRID[2], ctx=None):
    """3.8: the book's x values nd.arange(low, high, step) (160 points by default)."""
    return nd.arange(low, high, step, ctx=ctx)


def autograd_grad(fn, X):
    """3.8: dfn/dX elementwise by autograd (fn applied to each element of X); same shape as X."""
    X = X.copy()
    X.attach_grad()
    with autograd.record():
        y = fn(X)
    y.backward()   # y is not a scalar: backward sums it, so X.grad[i] = fn'(X[i])
    return X.grad


def xyplot(x_vals, y_vals, name, ax=None):
    """3.8: the book's plot of y_vals against x_vals (n,) labelled 'x' and name; returns the
    Figure (a new one unless an axes is given)."""
    fig, ax = new_figure(figsize=(5, 2.5)) if ax is None else (ax.figure, ax)
    ax.plot(x_vals.asnumpy(), y_vals.asnumpy())
    ax.set_xlabel('x')
    ax.set_ylabel(name)
    return fig


def activation_figure(x, pairs):
    """3.8: a 2 x k figure: each function (top row) and its derivative (bottom) on x (n,);
    pairs = [(name, values (n,), derivative (n,)), ...]."""
    fig, axes = new_figure(figsize=(3 * len(pairs), 5), nrows=2, ncols=len(pairs))
    axes = np.asarray(axes).reshape(2, -1)
    for col, (name, values, slope) in enumerate(pairs):
        xyplot(x, values, name + '(x)', axes[0, col])
        xyplot(x, slope, 'grad of ' + name, axes[1, col])
    fig.tight_layout()
    return fig
