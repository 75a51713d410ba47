"""Runs of sections 3.1-3.3 (the book's code is ch3.book.linear_regression): the data, the
scatter figure, the 3.1 timings and the JSON result."""
import time

import numpy as np
from mxnet import nd

from ch3.book import linear_regression as book
from ch3.book.plotting import finish
from ch3.checks import check_int
from ch3.context import as_ctx_list
from ch3.harness.runs import Section

TRUE_W, TRUE_B = book.true_w, book.true_b


def _best_seconds(fn, repeats):
    """The fastest of `repeats` timings of fn() (its result waited for)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        if hasattr(result, 'wait_to_read'):
            result.wait_to_read()
        times.append(time.perf_counter() - start)
    return min(times)


NUMPY_REPEATS = 20


def vectorization_speed(n=1000, repeats=3):
    """3.1: seconds of the element-by-element and the vectorized NDArray add of two n-vectors of
    ones, and (the exercise) of numpy's vectorized add; the best of `repeats` timings each (of
    at least NUMPY_REPEATS for numpy's)."""
    check_int('n', n, minimum=1)
    check_int('repeats', repeats, minimum=1)
    a, b = nd.ones(shape=n), nd.ones(shape=n)
    a_np, b_np = np.ones(n), np.ones(n)
    loop_s = _best_seconds(lambda: book.add_elementwise(a, b), repeats)
    vector_s = _best_seconds(lambda: book.add_vectorized(a, b), repeats)
    # numpy's add takes about a microsecond: the best of NUMPY_REPEATS even for a quick run, so
    # one preempted timing cannot put it behind the loop
    numpy_s = _best_seconds(lambda: a_np + b_np, max(repeats, NUMPY_REPEATS))
    same = bool((book.add_elementwise(a, b) == book.add_vectorized(a, b)).min().asscalar())
    return {'n': n, 'loop_seconds': loop_s, 'vector_seconds': vector_s,
            'numpy_vector_seconds': numpy_s, 'speedup': loop_s / vector_s,
            'numpy_speedup_over_loop': loop_s / numpy_s, 'loop_equals_vectorized': same}


def run_vectorization(ctx=None, out=None, n=1000, repeats=3, verbose=True):
    """3.1: the vectorization demo (best of `repeats` timings)."""
    final = vectorization_speed(n, repeats)
    if verbose:
        print('adding two %d-vectors: element by element %.3g s, vectorized %.3g s (%.0fx), '
              'numpy %.3g s' % (n, final['loop_seconds'], final['vector_seconds'],
                                final['speedup'], final['numpy_vector_seconds']))
    return {'hyperparameters': {'n': n, 'repeats': repeats}, 'history': [], 'final': final,
            'figures': []}


def _final(w, b, history):
    w = [float(v) for v in w.asnumpy().ravel()]
    b = [float(v) for v in b.asnumpy().ravel()]
    return {'loss': history[-1]['loss'] if history else None, 'w': w, 'b': b,
            'true_w': TRUE_W, 'true_b': TRUE_B,
            'max_abs_error_w': max(abs(x - t) for x, t in zip(w, TRUE_W)),
            'abs_error_b': abs(b[0] - TRUE_B)}


def _print_params(w, b):
    print('true_w', TRUE_W, 'learned w', [round(float(v), 6) for v in w.asnumpy().ravel()])
    print('true_b', TRUE_B, 'learned b', round(float(b.asnumpy().ravel()[0]), 6))


def run_scratch(ctx=None, out=None, num_epochs=3, batch_size=10, lr=0.03, num_examples=1000,
                verbose=True):
    """3.2 from scratch: the synthetic data, its scatter plot and the book's training loop."""
    device = as_ctx_list(ctx)[0]
    features, labels = book.make_data(num_examples, ctx=device)
    figures = [finish(book.scatter_figure(features, labels), out, 'linreg_scatter.png')] \
        if out else []
    (w, b), history = book.train_scratch(features, labels, num_epochs, batch_size, lr, device,
                                         verbose)
    if verbose:
        _print_params(w, b)
    return {'hyperparameters': {'num_epochs': num_epochs, 'batch_size': batch_size, 'lr': lr,
                                'num_examples': num_examples},
            'history': history, 'final': _final(w, b, history), 'figures': figures}


def run_gluon(ctx=None, out=None, num_epochs=3, batch_size=10, lr=0.03, num_examples=1000,
              verbose=True):
    """3.3 with Gluon: the same data, nn.Dense(1), L2Loss and Trainer('sgd')."""
    device = as_ctx_list(ctx)[0]
    features, labels = book.make_data(num_examples, ctx=device)
    net = book.gluon_net(device)
    (w, b), history = book.train_gluon(net, features, labels, num_epochs, batch_size, lr,
                                       ctx=device, verbose=verbose)
    if verbose:
        _print_params(w, b)
    return {'hyperparameters': {'num_epochs': num_epochs, 'batch_size': batch_size, 'lr': lr,
                                'num_examples': num_examples},
            'history': history, 'final': _final(w, b, history), 'figures': []}



SOURCE = 'd2l-zh notebooks, commit ea74109'
BOOK_3_2 = {'loss': [0.040678, 0.000152, 0.000051], 'w': [1.9997706, -3.3998365],
            'b': 4.1994095, 'source': SOURCE,
            'note': 'linear-regression-scratch.ipynb: per-epoch loss over the 1000 examples and '
                    'the learned w, b after 3 epochs'}
BOOK_3_3 = {'loss': [0.040749, 0.000158, 0.000050], 'w': [1.9998881, -3.399974],
            'b': 4.1996565, 'source': SOURCE,
            'note': 'linear-regression-gluon.ipynb: per-epoch loss and the learned weight, bias'}

SECTIONS = [
    Section('3.1', 'Linear regression: vectorized vs element-wise addition',
            {'scratch': run_vectorization}, multi_device=(), headline='speedup',
            book={'source': SOURCE,
                  'note': 'the book times 1000 scalar additions in a Python loop against one '
                          'vectorized add and finds the latter orders of magnitude faster'}),
    Section('3.2', 'Linear regression from scratch', {'scratch': run_scratch, 'gluon': run_gluon},
            default_impl='scratch', book=BOOK_3_2, multi_device=(), headline='loss'),
    Section('3.3', 'Concise linear regression (Gluon)',
            {'scratch': run_scratch, 'gluon': run_gluon}, default_impl='gluon', book=BOOK_3_3,
            multi_device=(), headline='loss'),
]
