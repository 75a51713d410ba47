"""Section 3.8: the activation functions of the multilayer perceptron and their derivatives.

    ReLU(x)    = max(x, 0)                           ReLU'(x)    = 1 if x > 0 else 0 (0 at x = 0)
    sigmoid(x) = 1 / (1 + exp(-x))                   sigmoid'(x) = sigmoid(x) (1 - sigmoid(x))
    tanh(x)    = (1 - exp(-2x)) / (1 + exp(-2x))     tanh'(x)    = 1 - tanh(x)^2

Each function is written from scratch with NDArray arithmetic, each derivative by hand; `compare`
checks both against autograd and against MXNet's built-ins (nd.relu, nd.sigmoid, nd.tanh).
"""
from mxnet import autograd, nd

from ch3.context import as_ctx_list
from ch3.book.plotting import finish, new_figure
from ch3.harness.runs import Section

# exp(-x) overflows float32 below x = -88.7; autograd would then form inf / inf = NaN. Below -80
# sigmoid is < 2e-35 and its float32 autograd gradient has already underflowed to 0, so clipping
# there changes no value by more than 2e-35 and no gradient at all.
_SIGMOID_FLOOR = -80.0

GRID = (-8.0, 8.0, 0.1)   # the book's nd.arange(-8.0, 8.0, 0.1); it contains x = 0 exactly


# ---------------------------------------------------------------------------------------------
# From scratch
# ---------------------------------------------------------------------------------------------

def relu(X):
    """3.8: ReLU(X) = max(X, 0) elementwise; any shape."""
    # Written as X * [X > 0] rather than the book's nd.maximum(X, 0): maximum sends the gradient
    # at the tie X == 0 to X (autograd gives 1 there), while ReLU'(0) = 0 is the convention of the
    # book's text and of nd.relu. (X * [X > 0] is as fast as maximum, unlike nd.where; it is NaN at
    # X = -inf, which finite activations never reach.)
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


ACTIVATIONS = {
    'relu': (relu, relu_grad, nd.relu),
    'sigmoid': (sigmoid, sigmoid_grad, nd.sigmoid),
    'tanh': (tanh, tanh_grad, nd.tanh),
}


def get_activation(name):
    """3.8: the from-scratch function called `name` ('relu', 'sigmoid' or 'tanh')."""
    if name not in ACTIVATIONS:
        raise ValueError('activation must be one of %s, got %r'
                         % (', '.join(sorted(ACTIVATIONS)), name))
    return ACTIVATIONS[name][0]


def autograd_grad(fn, X):
    """3.8: dfn/dX elementwise by autograd (fn applied to each element of X); same shape as X."""
    X = X.copy()
    X.attach_grad()
    with autograd.record():
        y = fn(X)
    y.backward()   # y is not a scalar: backward sums it, so X.grad[i] = fn'(X[i])
    return X.grad


# ---------------------------------------------------------------------------------------------
# Checks and the figure
# ---------------------------------------------------------------------------------------------

def grid(low=GRID[0], high=GRID[1], step=GRID[2], ctx=None):
    """3.8: the book's x values nd.arange(low, high, step) (160 points by default)."""
    return nd.arange(low, high, step, ctx=ctx)


def _max_abs(a, b):
    return float(nd.abs(a - b).max().asscalar())


def compare(x):
    """3.8: max |difference| on x (n,) of each function vs its built-in and of each hand-written
    derivative vs autograd of the scratch function and vs autograd of the built-in."""
    diffs = {}
    for name, (fn, grad, builtin) in ACTIVATIONS.items():
        hand = grad(x)
        diffs[name + '_vs_builtin'] = _max_abs(fn(x), builtin(x))
        diffs[name + '_grad_vs_autograd'] = _max_abs(hand, autograd_grad(fn, x))
        diffs[name + '_grad_vs_builtin_autograd'] = _max_abs(hand, autograd_grad(builtin, x))
    return diffs


def activation_figure(x):
    """3.8: a 2 x 3 figure: each function (top row) and its hand-written derivative (bottom)."""
    fig, axes = new_figure(figsize=(9, 5), nrows=2, ncols=3)
    xs = x.asnumpy()
    for col, (name, (fn, grad, _)) in enumerate(ACTIVATIONS.items()):
        for row, (values, label) in enumerate(((fn(x), name + '(x)'),
                                               (grad(x), 'grad of ' + name))):
            ax = axes[row, col]
            ax.plot(xs, values.asnumpy())
            ax.set_xlabel('x')
            ax.set_ylabel(label)
    fig.tight_layout()
    return fig


def run(ctx=None, quick=False, out=None, low=GRID[0], high=GRID[1], step=GRID[2], verbose=True):
    """3.8: compare the activations on the book's grid; final = the max abs differences."""
    if not high > low or not step > 0:
        raise ValueError('the grid needs low < high and step > 0, got low=%r, high=%r, step=%r'
                         % (low, high, step))
    x = grid(low, high, step, ctx=as_ctx_list(ctx)[0])
    diffs = compare(x)
    figures = [finish(activation_figure(x), out, 'activations.png')] if out else []
    if verbose:
        for key, value in diffs.items():
            print('%-32s max abs difference %.3g' % (key, value))
    return {'hyperparameters': {'low': low, 'high': high, 'step': step},
            'history': [], 'final': diffs, 'figures': figures}


SECTIONS = [
    Section('3.8', 'Multilayer perceptron: activation functions and their derivatives',
            {'scratch': run}, default_impl='scratch',
            book={'note': 'the book plots ReLU, sigmoid, tanh and their autograd gradients on '
                          'nd.arange(-8.0, 8.0, 0.1)'}),
]
