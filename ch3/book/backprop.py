"""Section 3.14: forward propagation, backward propagation and computational graphs.

The book's graph, one hidden layer, no biases, L2 penalty; for one example x (d,):
    z = W1 x,   h = phi(z),   o = W2 h,   L = l(o, y),   s = lambd/2 (||W1||^2 + ||W2||^2),
    J = L + s.
Here the weights have 3.9's layout, W1 (d, h) and W2 (h, q), and a batch X (n, d) holds the
examples as rows: Z = X W1 (n, h), H = phi(Z), O = H W2 (n, q); L is the mean over the batch of
the softmax cross-entropy l(o, y) = log sum_k exp(o_k) - o_y. Backward propagation applies the
chain rule from J back to the parameters, reusing what the forward pass stored:
    dJ/dO  = (softmax(O) - onehot(y)) / n        (n, q)
    dJ/dW2 = H^T (dJ/dO) + lambd W2              (h, q)
    dJ/dH  = (dJ/dO) W2^T                        (n, h)
    dJ/dZ  = dJ/dH * phi'(Z)   (elementwise)     (n, h)
    dJ/dW1 = X^T (dJ/dZ) + lambd W1              (d, h)
The exercise adds biases, Z = X W1 + b1 and O = H W2 + b2 (3.9's model); they are not
penalized and their gradients sum the rows: dJ/db2 = sum_i (dJ/dO)_i, dJ/db1 = sum_i (dJ/dZ)_i.
So the forward pass must keep Z, H and O until the backward pass has used them. With D hidden
layers of widths h_1..h_D that is 2D + 1 arrays holding n (2 sum_l h_l + q) numbers: linear in the
batch size n and in the depth D, which is why deep networks trained with large batches run out of
memory. `memory_growth` measures this on real forward passes instead of quoting the formula.
phi and phi' are 3.8's (ch3.book.activations). The Gluon version is autograd on the same graph,
and on Gluon Dense layers holding the same weights (`gluon_net`).
"""
import numpy as np
from mxnet import autograd, nd
from mxnet.gluon import loss as gloss, nn

from ch3.book.activations import activation_pair
from ch3.book.plotting import new_figure
from ch3.checks import check_int
from ch3.context import as_ctx_list


def init_weights(layer_sizes, scale=0.01, dtype='float32', ctx=None):
    """3.14: weights W_l (size_{l-1}, size_l) ~ N(0, scale^2) for layer_sizes [d, h_1, ..., q]
    (3.9's layout: W1 (784, 256), W2 (256, 10))."""
    if len(layer_sizes) < 2:
        raise ValueError('layer_sizes needs at least [inputs, outputs], got %r' % (layer_sizes,))
    for size in layer_sizes:
        check_int('layer size', size, minimum=1)
    device = as_ctx_list(ctx)[0]
    return [nd.random.normal(scale=scale, shape=(a, b), dtype=dtype, ctx=device)
            for a, b in zip(layer_sizes[:-1], layer_sizes[1:])]


def softmax_cross_entropy(O, y):
    """3.14: mean over the batch of log sum_k exp(o_k) - o_y; O (n, q), y (n,) -> scalar (1,)."""
    return -nd.pick(nd.log_softmax(O, axis=1), y, axis=1).mean()


def l2_penalty(weights, lambd):
    """3.14: s = lambd / 2 * sum of the squared entries of every weight matrix -> (1,)."""
    return lambd / 2 * sum((W ** 2).sum() for W in weights)


def _affine(X, W, b):
    return nd.dot(X, W) if b is None else nd.dot(X, W) + b


# --- 3.14 from scratch: the book's one-hidden-layer graph ---------------------------------------

def forward(X, y, W1, W2, lambd=0.0, activation='relu', b1=None, b2=None):
    """3.14: J for X (n, d), y (n,), W1 (d, h), W2 (h, q) (biases b1 (h,), b2 (q,) optional);
    returns (J (1,), cache) with what backward needs: z (n, h), h (n, h), o (n, q)."""
    phi = activation_pair(activation)[0]
    z = _affine(X, W1, b1)
    h = phi(z)
    o = _affine(h, W2, b2)
    J = softmax_cross_entropy(o, y) + l2_penalty([W1, W2], lambd)
    return J, {'z': z, 'h': h, 'o': o}


def backward(X, y, W1, W2, cache, lambd=0.0, activation='relu', with_biases=False):
    """3.14: the gradients of J by the formulas above -> {'o', 'W2', 'h', 'z', 'W1'} (and 'b2',
    'b1' with_biases), each shaped like its variable."""
    phi_grad = activation_pair(activation)[1]
    z, h, o = cache['z'], cache['h'], cache['o']
    n, q = o.shape
    dJ_do = (nd.softmax(o, axis=1) - nd.one_hot(y, q, dtype=o.dtype)) / n
    dJ_dW2 = nd.dot(h, dJ_do, transpose_a=True) + lambd * W2
    dJ_dh = nd.dot(dJ_do, W2, transpose_b=True)
    dJ_dz = dJ_dh * phi_grad(z)
    dJ_dW1 = nd.dot(X, dJ_dz, transpose_a=True) + lambd * W1
    grads = {'o': dJ_do, 'W2': dJ_dW2, 'h': dJ_dh, 'z': dJ_dz, 'W1': dJ_dW1}
    if with_biases:
        grads.update({'b2': dJ_do.sum(axis=0), 'b1': dJ_dz.sum(axis=0)})
    return grads


def finite_difference(fn, param, entries, eps=1e-6):
    """3.14: central differences (fn(p + eps e) - fn(p - eps e)) / (2 eps) of the scalar fn at the
    given flat entries of param (use float64); param is restored afterwards."""
    flat = param.reshape((-1,))    # a view: writing flat writes param
    estimates = []
    for index in entries:
        original = flat[int(index)].asscalar()
        flat[int(index)] = original + eps
        plus = fn().asscalar()
        flat[int(index)] = original - eps
        minus = fn().asscalar()
        flat[int(index)] = original
        estimates.append((plus - minus) / (2 * eps))
    return np.array(estimates)


# --- 3.14 with Gluon: autograd on the same graph, and on Dense layers ---------------------------

def autograd_gradients(X, y, W1, W2, lambd=0.0, activation='relu', b1=None, b2=None):
    """3.14: the gradients of backward from MXNet's autograd: of the parameters, and of z, h and
    o as leaves of three extra recordings (autograd reports gradients of leaves only)."""
    phi = activation_pair(activation)[0]
    params = {'W1': W1, 'W2': W2, 'b1': b1, 'b2': b2}
    leaves = {name: p.copy() for name, p in params.items() if p is not None}
    for leaf in leaves.values():
        leaf.attach_grad()
    with autograd.record():
        J, _ = forward(X, y, leaves['W1'], leaves['W2'], lambd, activation,
                       leaves.get('b1'), leaves.get('b2'))
    J.backward()
    grads = {name: leaf.grad.copy() for name, leaf in leaves.items()}
    penalty = l2_penalty([W1, W2], lambd)   # does not depend on z, h, o
    z = _affine(X, W1, b1)
    for name, leaf, rest in (('z', z, lambda v: _affine(phi(v), W2, b2)),
                             ('h', phi(z), lambda v: _affine(v, W2, b2)),
                             ('o', _affine(phi(z), W2, b2), lambda v: v)):
        leaf = leaf.copy()
        leaf.attach_grad()
        with autograd.record():
            J = softmax_cross_entropy(rest(leaf), y) + penalty
        J.backward()
        grads[name] = leaf.grad
    return grads


def gluon_net(W1, W2, activation='relu'):
    """3.14: nn.Dense(h, no bias) -> 3.8's phi -> nn.Dense(q, no bias) holding W1 (d, h) and
    W2 (h, q) (a Dense weight is (units, in_units), so they are stored transposed)."""
    net = nn.Sequential()
    net.add(nn.Dense(W1.shape[1], use_bias=False, in_units=W1.shape[0], dtype=W1.dtype),
            nn.Lambda(activation_pair(activation)[0]),
            nn.Dense(W2.shape[1], use_bias=False, in_units=W2.shape[0], dtype=W2.dtype))
    net.initialize(ctx=W1.context)
    net[0].weight.set_data(W1.T)
    net[2].weight.set_data(W2.T)
    return net


def gluon_gradients(net, X, y, lambd=0.0):
    """3.14: J = mean SoftmaxCrossEntropyLoss + lambd/2 ||W||^2 of a gluon_net and autograd's
    dJ/dW1 (d, h), dJ/dW2 (h, q) -> (J (1,), {'W1', 'W2'})."""
    loss = gloss.SoftmaxCrossEntropyLoss()
    weights = [net[0].weight.data(), net[2].weight.data()]
    with autograd.record():
        J = loss(net(X), y).mean() + l2_penalty(weights, lambd)
    J.backward()
    return J, {'W1': net[0].weight.grad().T, 'W2': net[2].weight.grad().T}


# --- any depth, for the memory measurement ------------------------------------------------------

def forward_deep(X, y, weights, lambd=0.0, activation='relu'):
    """3.14: J of an MLP without biases, weights [W_1 (d, h_1), ..., W_out (h_D, q)]; returns
    (J (1,), cache {'z': [Z_1..Z_D], 'h': [H_1..H_D], 'o': O})."""
    phi = activation_pair(activation)[0]
    zs, hs, H = [], [], X
    for W in weights[:-1]:
        zs.append(nd.dot(H, W))
        H = phi(zs[-1])
        hs.append(H)
    O = nd.dot(H, weights[-1])
    J = softmax_cross_entropy(O, y) + l2_penalty(weights, lambd)
    return J, {'z': zs, 'h': hs, 'o': O}


def backward_deep(X, y, weights, cache, lambd=0.0, activation='relu'):
    """3.14: dJ/dW_l for every weight of forward_deep, by the same chain rule layer by layer."""
    phi_grad = activation_pair(activation)[1]
    O = cache['o']
    n, q = O.shape
    inputs = [X] + cache['h']                # the input of each layer
    dJ_dout = (nd.softmax(O, axis=1) - nd.one_hot(y, q, dtype=O.dtype)) / n
    grads = [None] * len(weights)
    for l in range(len(weights) - 1, -1, -1):
        grads[l] = nd.dot(inputs[l], dJ_dout, transpose_a=True) + lambd * weights[l]
        if l > 0:
            dJ_dout = nd.dot(dJ_dout, weights[l], transpose_b=True) * phi_grad(cache['z'][l - 1])
    return grads


def cache_size(cache):
    """3.14: {'arrays', 'numbers', 'bytes'} held by a forward cache (values: arrays or lists)."""
    arrays = []
    for value in cache.values():
        arrays.extend(value if isinstance(value, list) else [value])
    numbers = sum(int(a.size) for a in arrays)
    return {'arrays': len(arrays), 'numbers': numbers,
            'bytes': sum(int(a.size) * np.dtype(a.dtype).itemsize for a in arrays)}


def memory_growth(batch_sizes=(1, 16, 64, 256), depths=(1, 2, 4, 8), num_inputs=784,
                  num_hiddens=256, num_outputs=10, ctx=None):
    """3.14: run forward_deep on random batches for each (batch size, depth) and measure what the
    cache keeps; returns {'table': rows, 'per_depth': fits of bytes vs batch size, 'per_layer'}."""
    device = as_ctx_list(ctx)[0]
    table = []
    for depth in depths:
        weights = init_weights([num_inputs] + [num_hiddens] * depth + [num_outputs], ctx=device)
        param_bytes = sum(int(W.size) * 4 for W in weights)
        for n in batch_sizes:
            X = nd.random.normal(shape=(n, num_inputs), ctx=device)
            y = nd.random.randint(0, num_outputs, shape=(n,), ctx=device).astype('float32')
            _, cache = forward_deep(X, y, weights)
            table.append(dict(cache_size(cache), batch_size=n, depth=depth,
                              parameter_bytes=param_bytes))
    per_depth = []
    for depth in depths:
        rows = [r for r in table if r['depth'] == depth]
        slope, intercept = _line([r['batch_size'] for r in rows], [r['bytes'] for r in rows])
        per_depth.append({'depth': depth, 'arrays': rows[0]['arrays'],
                          'bytes_per_example': slope, 'bytes_at_zero_batch': intercept})
    arrays_slope, arrays_at_zero = _line([p['depth'] for p in per_depth],
                                         [p['arrays'] for p in per_depth])
    bytes_slope, _ = _line([p['depth'] for p in per_depth],
                           [p['bytes_per_example'] for p in per_depth])
    return {'table': table, 'per_depth': per_depth,
            'per_layer': {'arrays_per_hidden_layer': arrays_slope,
                          'arrays_at_depth_zero': arrays_at_zero,
                          'bytes_per_example_per_hidden_layer': bytes_slope}}


def _line(x, y):
    """Least-squares slope and intercept of y against x (exact for the linear growth measured)."""
    slope, intercept = np.polyfit(np.asarray(x, dtype=float), np.asarray(y, dtype=float), 1)
    return float(slope), float(intercept)


# --- figures ------------------------------------------------------------------------------------

def memory_figure(growth):
    """3.14: kept intermediate memory (KB) against batch size, one line per depth."""
    fig, ax = new_figure((4.5, 3))
    for depth in sorted({r['depth'] for r in growth['table']}):
        rows = [r for r in growth['table'] if r['depth'] == depth]
        ax.plot([r['batch_size'] for r in rows], [r['bytes'] / 1024 for r in rows], marker='o',
                label='%d hidden layer%s' % (depth, '' if depth == 1 else 's'))
    ax.set_xlabel('batch size')
    ax.set_ylabel('intermediates kept (KB)')
    ax.legend(fontsize=7)
    return fig


# node -> (x, y, kind): squares are variables, circles operators, as the book draws them
GRAPH_NODES = {
    'x': (0, 2, 'var'), 'W1': (1, 3.2, 'var'), 'x_op': (1, 2, 'op'), 'z': (2, 2, 'var'),
    'phi': (3, 2, 'op'), 'h': (4, 2, 'var'), 'W2': (5, 3.2, 'var'), 'h_op': (5, 2, 'op'),
    'o': (6, 2, 'var'), 'y': (7, 3.2, 'var'), 'l': (7, 2, 'op'), 'L': (8, 2, 'var'),
    'l2': (3, 0.6, 'op'), 's': (6, 0.6, 'var'), 'plus': (9, 1.3, 'op'), 'J': (10, 1.3, 'var'),
}
GRAPH_LABELS = {'x_op': 'x', 'h_op': 'x', 'phi': 'phi', 'l': 'l', 'l2': 'l2', 'plus': '+'}
GRAPH_EDGES = [('x', 'x_op'), ('W1', 'x_op'), ('x_op', 'z'), ('z', 'phi'), ('phi', 'h'),
               ('h', 'h_op'), ('W2', 'h_op'), ('h_op', 'o'), ('o', 'l'), ('y', 'l'), ('l', 'L'),
               ('W1', 'l2'), ('W2', 'l2'), ('l2', 's'), ('L', 'plus'), ('s', 'plus'),
               ('plus', 'J')]


def graph_figure():
    """3.14: the computational graph of the forward pass (variables in boxes, operators in
    circles, arrows from inputs to outputs; backward propagation runs against the arrows)."""
    from matplotlib.patches import Circle, FancyBboxPatch
    fig, ax = new_figure((9, 3))
    for name, (x, y, kind) in GRAPH_NODES.items():
        if kind == 'var':
            ax.add_patch(FancyBboxPatch((x - 0.3, y - 0.25), 0.6, 0.5,
                                        boxstyle='round,pad=0.02', fc='#dbe9f6', ec='k'))
        else:
            ax.add_patch(Circle((x, y), 0.28, fc='white', ec='k'))
        ax.text(x, y, GRAPH_LABELS.get(name, name), ha='center', va='center', fontsize=9)
    for start, end in GRAPH_EDGES:
        (x0, y0, _), (x1, y1, _) = GRAPH_NODES[start], GRAPH_NODES[end]
        ax.annotate('', xy=(x1, y1), xytext=(x0, y0),
                    arrowprops={'arrowstyle': '->', 'shrinkA': 14, 'shrinkB': 14})
    ax.set_xlim(-0.6, 10.6)
    ax.set_ylim(0, 3.8)
    ax.set_aspect('equal')
    ax.axis('off')
    return fig
