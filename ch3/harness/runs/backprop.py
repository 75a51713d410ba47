"""Run of section 3.14 (the book's code is ch3.book.backprop): the hand-written backward pass
(scratch) and autograd (gluon) on the same net and batch, finite differences, the exercise with
biases, the memory the forward pass keeps, and the computational graph."""
import numpy as np
from mxnet import nd

from ch3.book import backprop as book
from ch3.book.activations import activation_pair
from ch3.book.plotting import finish
from ch3.checks import check_int, check_positive_float
from ch3.harness.runs import Section


def _check(batch_size, num_inputs, num_hiddens, num_outputs, fd_entries, lambd, activation):
    for name, value in (('batch_size', batch_size), ('num_inputs', num_inputs),
                        ('num_hiddens', num_hiddens), ('num_outputs', num_outputs),
                        ('fd_entries', fd_entries)):
        check_int(name, value, minimum=1)
    if lambd != 0:
        check_positive_float('lambd', lambd)
    activation_pair(activation)


def problem(batch_size, num_inputs, num_hiddens, num_outputs, device, biases=False):
    """A random batch X (n, d), labels y (n,), and W1 (d, h), W2 (h, q) ~ N(0, 0.01^2) (3.9's
    layout), plus biases b1 (h,), b2 (q,) ~ N(0, 0.1^2) when asked."""
    X = nd.random.normal(shape=(batch_size, num_inputs), ctx=device)
    y = nd.random.randint(0, num_outputs, shape=(batch_size,), ctx=device).astype('float32')
    W1, W2 = book.init_weights([num_inputs, num_hiddens, num_outputs], scale=0.01, ctx=device)
    if not biases:
        return X, y, W1, W2
    b1 = nd.random.normal(scale=0.1, shape=(num_hiddens,), ctx=device)
    b2 = nd.random.normal(scale=0.1, shape=(num_outputs,), ctx=device)
    return X, y, W1, W2, b1, b2


def _rel_diffs(ours, reference):
    """name -> max |ours - reference| / max |reference| for every name of ours."""
    result = {}
    for name, value in ours.items():
        a, b = value.asnumpy(), reference[name].asnumpy()
        result[name] = float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))
    return result


def finite_difference_errors(X, y, params, names, lambd, activation, fd_entries, with_biases):
    """Max relative error of the float64 hand gradients against central differences at
    fd_entries random entries of each parameter in names (float32 rounding would swamp 2 eps)."""
    X64, y64 = X.astype('float64'), y.astype('float64')
    p64 = {name: p.astype('float64') for name, p in params.items()}
    args = lambda: (X64, y64, p64['W1'], p64['W2'], lambd, activation,  # noqa: E731
                    p64.get('b1'), p64.get('b2'))
    _, cache = book.forward(*args())
    hand = book.backward(X64, y64, p64['W1'], p64['W2'], cache, lambd, activation, with_biases)
    errors = {}
    for name in names:
        param = p64[name]
        entries = np.random.choice(param.size, size=min(fd_entries, param.size), replace=False)
        numeric = book.finite_difference(lambda: book.forward(*args())[0], param, entries)
        exact = hand[name].reshape((-1,)).asnumpy()[entries]
        errors[name] = float(np.abs(numeric - exact).max() / max(np.abs(exact).max(), 1e-30))
    return errors


def bias_exercise(batch_size, num_inputs, num_hiddens, num_outputs, lambd, activation,
                  fd_entries, device):
    """3.14 exercise: with biases b1, b2, the hand-derived dJ/db1 = sum_i dJ/dZ_i and
    dJ/db2 = sum_i dJ/dO_i against autograd and finite differences."""
    X, y, W1, W2, b1, b2 = problem(batch_size, num_inputs, num_hiddens, num_outputs, device, True)
    _, cache = book.forward(X, y, W1, W2, lambd, activation, b1, b2)
    hand = book.backward(X, y, W1, W2, cache, lambd, activation, with_biases=True)
    auto = book.autograd_gradients(X, y, W1, W2, lambd, activation, b1, b2)
    rel = _rel_diffs(hand, auto)
    fd = finite_difference_errors(X, y, {'W1': W1, 'W2': W2, 'b1': b1, 'b2': b2},
                                  ('b1', 'b2'), lambd, activation, fd_entries, True)
    return {'bias_autograd_rel_diff': {k: rel[k] for k in ('b1', 'b2')},
            'bias_autograd_max_rel_diff': max(rel[k] for k in ('b1', 'b2')),
            'bias_finite_difference_rel_error': fd,
            'bias_finite_difference_max_rel_error': max(fd.values()),
            'bias_weights_still_agree': max(rel[k] for k in ('W1', 'W2', 'z', 'h', 'o'))}


def _hyperparameters(batch_size, num_inputs, num_hiddens, num_outputs, lambd, activation,
                     fd_entries):
    return {'batch_size': batch_size, 'num_inputs': num_inputs, 'num_hiddens': num_hiddens,
            'num_outputs': num_outputs, 'lambd': lambd, 'activation': activation,
            'fd_entries': fd_entries}


def run_scratch(ctx=None, out=None, batch_size=256, num_inputs=784, num_hiddens=256,
                num_outputs=10, lambd=0.1, activation='relu', fd_entries=20, verbose=True):
    """3.14 from scratch: the hand-written backward pass against autograd and finite
    differences, the bias exercise, the memory the forward pass keeps, and the graph."""
    _check(batch_size, num_inputs, num_hiddens, num_outputs, fd_entries, lambd, activation)
    device = ctx[0] if ctx else None
    X, y, W1, W2 = problem(batch_size, num_inputs, num_hiddens, num_outputs, device)
    J, cache = book.forward(X, y, W1, W2, lambd, activation)
    hand = book.backward(X, y, W1, W2, cache, lambd, activation)
    rel_diff = _rel_diffs(hand, book.autograd_gradients(X, y, W1, W2, lambd, activation))
    fd_error = finite_difference_errors(X, y, {'W1': W1, 'W2': W2}, ('W1', 'W2'), lambd,
                                        activation, fd_entries, False)
    small = batch_size <= 32   # quick mode: a smaller memory table as well
    growth = book.memory_growth((1, 8, 32) if small else (1, 16, 64, 256),
                                (1, 2, 4) if small else (1, 2, 4, 8), num_inputs, num_hiddens,
                                num_outputs, device)
    kept = book.cache_size(cache)
    final = {'J': float(J.asscalar()), 'autograd_max_rel_diff': max(rel_diff.values()),
             'autograd_rel_diff': rel_diff,
             'finite_difference_max_rel_error': max(fd_error.values()),
             'finite_difference_rel_error': fd_error,
             'intermediate_arrays': kept['arrays'], 'intermediate_bytes': kept['bytes'],
             'intermediate_names': sorted(cache), 'memory': growth}
    final.update(bias_exercise(batch_size, num_inputs, num_hiddens, num_outputs, lambd,
                               activation, fd_entries, device))
    if verbose:
        _report(final, kept, cache, batch_size, growth)
    figures = []
    if out:
        figures = [finish(book.memory_figure(growth), out, 'backprop_memory.png'),
                   finish(book.graph_figure(), out, 'backprop_graph.png')]
    return {'hyperparameters': _hyperparameters(batch_size, num_inputs, num_hiddens, num_outputs,
                                                lambd, activation, fd_entries),
            'history': [], 'final': final, 'figures': figures}


def _report(final, kept, cache, batch_size, growth):
    print('J = %.6f; hand vs autograd max relative difference %.2e; finite differences '
          '(float64) max relative error %.2e'
          % (final['J'], final['autograd_max_rel_diff'], final['finite_difference_max_rel_error']))
    print('with biases: dJ/db vs autograd %.2e, vs finite differences %.2e'
          % (final['bias_autograd_max_rel_diff'], final['bias_finite_difference_max_rel_error']))
    print('forward pass keeps %d arrays (%s), %d bytes for a batch of %d'
          % (kept['arrays'], ', '.join(sorted(cache)), kept['bytes'], batch_size))
    for row in growth['per_depth']:
        print('depth %d: %d arrays, %.0f bytes per example' % (row['depth'], row['arrays'],
                                                             row['bytes_per_example']))
    print('each extra hidden layer: %.1f arrays, %.0f bytes per example'
          % (growth['per_layer']['arrays_per_hidden_layer'],
             growth['per_layer']['bytes_per_example_per_hidden_layer']))


def run_gluon(ctx=None, out=None, batch_size=256, num_inputs=784, num_hiddens=256,
              num_outputs=10, lambd=0.1, activation='relu', fd_entries=20, verbose=True):
    """3.14 with Gluon: the same net as Dense layers, J from SoftmaxCrossEntropyLoss and its
    gradients from autograd, against the hand-written backward pass on the same batch."""
    _check(batch_size, num_inputs, num_hiddens, num_outputs, fd_entries, lambd, activation)
    device = ctx[0] if ctx else None
    X, y, W1, W2 = problem(batch_size, num_inputs, num_hiddens, num_outputs, device)
    net = book.gluon_net(W1, W2, activation)
    J, grads = book.gluon_gradients(net, X, y, lambd)
    J_hand, cache = book.forward(X, y, W1, W2, lambd, activation)
    hand = book.backward(X, y, W1, W2, cache, lambd, activation)
    rel_diff = _rel_diffs({k: grads[k] for k in ('W1', 'W2')}, hand)
    final = {'J': float(J.asscalar()), 'J_abs_diff': float(abs(J - J_hand).asscalar()),
             'hand_max_rel_diff': max(rel_diff.values()), 'hand_rel_diff': rel_diff}
    if verbose:
        print('Gluon J = %.6f (hand-written forward: |diff| %.2e); autograd vs hand-written '
              'gradients: max relative difference %.2e'
              % (final['J'], final['J_abs_diff'], final['hand_max_rel_diff']))
    figures = [finish(book.graph_figure(), out, 'backprop_graph.png')] if out else []
    return {'hyperparameters': _hyperparameters(batch_size, num_inputs, num_hiddens, num_outputs,
                                                lambd, activation, fd_entries),
            'history': [], 'final': final, 'figures': figures}


SECTIONS = [
    Section('3.14', 'Forward propagation, backward propagation and computational graphs',
            {'scratch': run_scratch, 'gluon': run_gluon}, default_impl='scratch',
            headline='J',
            book={'note': 'no printed numbers; the intermediates kept grow linearly with the '
                          'number of layers and with the batch size',
                  'source': 'd2l-zh notebooks, commit ea74109'}),
]
