"""Section 3.14: forward propagation, backward propagation and computational graphs.

The book's graph, one hidden layer, no biases, L2 penalty; for one example x (d,):
    z = W1 x,   h = phi(z),   o = W2 h,   L = l(o, y),   s = lambd/2 (||W1||^2 + ||W2||^2),
    J = L + s.
For a batch X (n, d) the examples are rows: Z = X W1^T (n, h), H = phi(Z), O = H W2^T (n, q), and
L is the mean over the batch of the softmax cross-entropy l(o, y) = log sum_k exp(o_k) - o_y.
Backward propagation applies the chain rule from J back to the parameters, reusing what the
forward pass stored:
    dJ/dO  = (softmax(O) - onehot(y)) / n        (n, q)
    dJ/dW2 = (dJ/dO)^T H + lambd W2              (q, h)
    dJ/dH  = (dJ/dO) W2                          (n, h)
    dJ/dZ  = dJ/dH * phi'(Z)   (elementwise)     (n, h)
    dJ/dW1 = (dJ/dZ)^T X + lambd W1              (h, d)
So the forward pass must keep Z, H and O until the backward pass has used them. With D hidden
layers of widths h_1..h_D that is 2D + 1 arrays holding n (2 sum_l h_l + q) numbers: linear in the
batch size n and in the depth D, which is why deep networks trained with large batches run out of
memory. `memory_growth` measures this on real forward passes instead of quoting the formula.
"""
import numpy as np
from mxnet import autograd, nd

from ch3.context import as_ctx_list
from ch3.book.plotting import finish, new_figure
from ch3.harness.runs import Section
from ch3.checks import check_int, check_positive_float


def _relu_grad(Z):
    return Z > 0


def _sigmoid_grad(Z):
    s = nd.sigmoid(Z)
    return s * (1 - s)


def _tanh_grad(Z):
    return 1 - nd.tanh(Z) ** 2


# name -> (phi, phi')
ACTIVATIONS = {'relu': (nd.relu, _relu_grad), 'sigmoid': (nd.sigmoid, _sigmoid_grad),
               'tanh': (nd.tanh, _tanh_grad)}


def _activation(name):
    if name not in ACTIVATIONS:
        raise ValueError('activation must be one of %s, got %r' % (', '.join(ACTIVATIONS), name))
    return ACTIVATIONS[name]


def init_weights(layer_sizes, scale=0.01, dtype='float32', ctx=None):
    """3.14: weights W_l (size_l, size_{l-1}) ~ N(0, scale^2) for layer_sizes [d, h_1, ..., q]."""
    if len(layer_sizes) < 2:
        raise ValueError('layer_sizes needs at least [inputs, outputs], got %r' % (layer_sizes,))
    device = as_ctx_list(ctx)[0]
    return [nd.random.normal(scale=scale, shape=(b, a), dtype=dtype, ctx=device)
            for a, b in zip(layer_sizes[:-1], layer_sizes[1:])]


def softmax_cross_entropy(O, y):
    """3.14: mean over the batch of log sum_k exp(o_k) - o_y; O (n, q), y (n,) -> scalar (1,)."""
    return -nd.pick(nd.log_softmax(O, axis=1), y, axis=1).mean()


def l2_penalty(weights, lambd):
    """3.14: s = lambd / 2 * sum of the squared entries of every weight matrix -> (1,)."""
    return lambd / 2 * sum((W ** 2).sum() for W in weights)


# ------------------------------------------------------------------- the book's one-hidden graph
def forward(X, y, W1, W2, lambd=0.0, activation='relu'):
    """3.14: J for X (n, d), y (n,), W1 (h, d), W2 (q, h); returns (J (1,), cache) where cache
    keeps what backward needs: z (n, h), h (n, h), o (n, q)."""
    phi = _activation(activation)[0]
    z = nd.dot(X, W1, transpose_b=True)
    h = phi(z)
    o = nd.dot(h, W2, transpose_b=True)
    J = softmax_cross_entropy(o, y) + l2_penalty([W1, W2], lambd)
    return J, {'z': z, 'h': h, 'o': o}


def backward(X, y, W1, W2, cache, lambd=0.0, activation='relu'):
    """3.14: the gradients of J by the formulas above -> {'o', 'W2', 'h', 'z', 'W1'}, each shaped
    like its variable."""
    phi_grad = _activation(activation)[1]
    z, h, o = cache['z'], cache['h'], cache['o']
    n, q = o.shape
    dJ_do = (nd.softmax(o, axis=1) - nd.one_hot(y, q, dtype=o.dtype)) / n
    dJ_dW2 = nd.dot(dJ_do, h, transpose_a=True) + lambd * W2
    dJ_dh = nd.dot(dJ_do, W2)
    dJ_dz = dJ_dh * phi_grad(z)
    dJ_dW1 = nd.dot(dJ_dz, X, transpose_a=True) + lambd * W1
    return {'o': dJ_do, 'W2': dJ_dW2, 'h': dJ_dh, 'z': dJ_dz, 'W1': dJ_dW1}


def autograd_gradients(X, y, W1, W2, lambd=0.0, activation='relu'):
    """3.14: the same five gradients from MXNet's autograd (z, h and o as leaves of three extra
    recordings, since autograd only reports gradients of leaves)."""
    phi = _activation(activation)[0]
    grads = {}
    W1, W2 = W1.copy(), W2.copy()
    W1.attach_grad()
    W2.attach_grad()
    with autograd.record():
        J, _ = forward(X, y, W1, W2, lambd, activation)
    J.backward()
    grads['W1'], grads['W2'] = W1.grad.copy(), W2.grad.copy()
    W1, W2 = W1.detach(), W2.detach()       # so the recordings below leave no gradient on them
    penalty = l2_penalty([W1, W2], lambd)   # does not depend on z, h, o
    z = nd.dot(X, W1, transpose_b=True)
    h = phi(z)
    o = nd.dot(h, W2, transpose_b=True)
    for name, leaf, rest in (('z', z, lambda v: nd.dot(phi(v), W2, transpose_b=True)),
                             ('h', h, lambda v: nd.dot(v, W2, transpose_b=True)),
                             ('o', o, lambda v: v)):
        leaf = leaf.copy()
        leaf.attach_grad()
        with autograd.record():
            J = softmax_cross_entropy(rest(leaf), y) + penalty
        J.backward()
        grads[name] = leaf.grad
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


# -------------------------------------------------------- any depth, for the memory measurement
def forward_deep(X, y, weights, lambd=0.0, activation='relu'):
    """3.14: J of an MLP without biases, weights [W_1 (h_1, d), ..., W_out (q, h_D)]; returns
    (J (1,), cache {'z': [Z_1..Z_D], 'h': [H_1..H_D], 'o': O})."""
    phi = _activation(activation)[0]
    zs, hs, H = [], [], X
    for W in weights[:-1]:
        zs.append(nd.dot(H, W, transpose_b=True))
        H = phi(zs[-1])
        hs.append(H)
    O = nd.dot(H, weights[-1], transpose_b=True)
    J = softmax_cross_entropy(O, y) + l2_penalty(weights, lambd)
    return J, {'z': zs, 'h': hs, 'o': O}


def backward_deep(X, y, weights, cache, lambd=0.0, activation='relu'):
    """3.14: dJ/dW_l for every weight of forward_deep, by the same chain rule layer by layer."""
    phi_grad = _activation(activation)[1]
    O = cache['o']
    n, q = O.shape
    inputs = [X] + cache['h']                # the input of each layer
    dJ_dout = (nd.softmax(O, axis=1) - nd.one_hot(y, q, dtype=O.dtype)) / n
    grads = [None] * len(weights)
    for l in range(len(weights) - 1, -1, -1):
        grads[l] = nd.dot(dJ_dout, inputs[l], transpose_a=True) + lambd * weights[l]
        if l > 0:
            dJ_dout = nd.dot(dJ_dout, weights[l]) * phi_grad(cache['z'][l - 1])
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


def _max_diffs(ours, reference):
    result = {}
    for name, value in ours.items():
        a, b = value.asnumpy(), reference[name].asnumpy()
        scale = max(np.abs(b).max(), 1e-30)
        result[name] = float(np.abs(a - b).max() / scale)
    return result


def run_scratch(ctx=None, quick=False, out=None, batch_size=256, num_inputs=784, num_hiddens=256,
                num_outputs=10, lambd=0.1, activation='relu', fd_entries=20, verbose=True):
    """3.14: check the hand-written backward pass against autograd and finite differences, and
    measure the memory the forward pass keeps against batch size and depth."""
    for name, value in (('batch_size', batch_size), ('num_inputs', num_inputs),
                        ('num_hiddens', num_hiddens), ('num_outputs', num_outputs),
                        ('fd_entries', fd_entries)):
        check_int(name, value, minimum=1)
    if lambd != 0:
        check_positive_float('lambd', lambd)
    _activation(activation)
    device = as_ctx_list(ctx)[0]
    if quick:
        batch_size, fd_entries = min(batch_size, 32), min(fd_entries, 5)
    X = nd.random.normal(shape=(batch_size, num_inputs), ctx=device)
    y = nd.random.randint(0, num_outputs, shape=(batch_size,), ctx=device).astype('float32')
    W1, W2 = init_weights([num_inputs, num_hiddens, num_outputs], scale=0.01, ctx=device)
    J, cache = forward(X, y, W1, W2, lambd, activation)
    hand = backward(X, y, W1, W2, cache, lambd, activation)
    rel_diff = _max_diffs(hand, autograd_gradients(X, y, W1, W2, lambd, activation))

    # finite differences need float64: in float32 the rounding of J swamps a difference of 2 eps
    X64, y64 = X.astype('float64'), y.astype('float64')
    W64 = [W1.astype('float64'), W2.astype('float64')]
    _, cache64 = forward(X64, y64, *W64, lambd, activation)
    hand64 = backward(X64, y64, *W64, cache64, lambd, activation)
    fd_error = {}
    for name, W in zip(('W1', 'W2'), W64):
        entries = np.random.choice(W.size, size=min(fd_entries, W.size), replace=False)
        numeric = finite_difference(lambda: forward(X64, y64, *W64, lambd, activation)[0], W,
                                    entries)
        exact = hand64[name].reshape((-1,)).asnumpy()[entries]
        fd_error[name] = float(np.abs(numeric - exact).max() / max(np.abs(exact).max(), 1e-30))

    growth = memory_growth((1, 8, 32) if quick else (1, 16, 64, 256),
                           (1, 2, 4) if quick else (1, 2, 4, 8), num_inputs, num_hiddens,
                           num_outputs, device)
    kept = cache_size(cache)
    final = {'J': float(J.asscalar()), 'autograd_max_rel_diff': max(rel_diff.values()),
             'autograd_rel_diff': rel_diff,
             'finite_difference_max_rel_error': max(fd_error.values()),
             'finite_difference_rel_error': fd_error,
             'intermediate_arrays': kept['arrays'], 'intermediate_bytes': kept['bytes'],
             'intermediate_names': sorted(cache), 'memory': growth}
    if verbose:
        print('J = %.6f; hand vs autograd max relative difference %.2e; finite differences '
              '(float64) max relative error %.2e'
              % (final['J'], final['autograd_max_rel_diff'],
                 final['finite_difference_max_rel_error']))
        print('forward pass keeps %d arrays (%s), %d bytes for a batch of %d'
              % (kept['arrays'], ', '.join(sorted(cache)), kept['bytes'], batch_size))
        for row in growth['per_depth']:
            print('depth %d: %d arrays, %.0f bytes per example' % (row['depth'], row['arrays'],
                                                                 row['bytes_per_example']))
        print('each extra hidden layer: %.1f arrays, %.0f bytes per example'
              % (growth['per_layer']['arrays_per_hidden_layer'],
                 growth['per_layer']['bytes_per_example_per_hidden_layer']))
    figures = [finish(memory_figure(growth), out, 'backprop_memory.png')] if out else []
    return {'hyperparameters': {'batch_size': batch_size, 'num_inputs': num_inputs,
                                'num_hiddens': num_hiddens, 'num_outputs': num_outputs,
                                'lambd': lambd, 'activation': activation,
                                'fd_entries': fd_entries},
            'history': [], 'final': final, 'figures': figures}


SECTIONS = [
    Section('3.14', 'Forward propagation, backward propagation and computational graphs',
            {'scratch': run_scratch}, default_impl='scratch',
            book={'note': 'no printed numbers; the intermediates kept grow linearly with the '
                          'number of layers and with the batch size'}),
]
