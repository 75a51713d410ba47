"""Run of section 3.8 (the book's code is ch3.book.activations): values and derivatives on the
book's grid from scratch (hand-written) or with Gluon (MXNet's functions + autograd), how closely
the two agree, and the exercise's other activations."""
from ch3.book import activations as book
from ch3.book.activations import get_activation  # noqa: F401  (for importers not yet moved)
from ch3.book.plotting import finish
from ch3.harness.runs import Section


def _max_abs(a, b):
    return float((a - b).abs().max().asscalar())


def scratch_curves(x, table):
    """name -> (values, derivatives) on x from the hand-written functions and derivatives."""
    return {name: (fn(x), grad(x)) for name, (fn, grad, _) in table.items()}


def gluon_curves(x, table):
    """name -> (values, derivatives) on x from MXNet's functions and autograd (the book's)."""
    return {name: (builtin(x), book.autograd_grad(builtin, x))
            for name, (_, _, builtin) in table.items()}


def agreement(ours, theirs):
    """name_value_max_abs_diff and name_grad_max_abs_diff of two curve tables."""
    diffs = {}
    for name, (values, slope) in ours.items():
        diffs[name + '_value_max_abs_diff'] = _max_abs(values, theirs[name][0])
        diffs[name + '_grad_max_abs_diff'] = _max_abs(slope, theirs[name][1])
    return diffs


def derivatives_at_zero(version, ctx=None):
    """sigmoid'(0) and tanh'(0), the values the book's text states (0.25 and 1)."""
    from mxnet import nd
    zero = nd.zeros((1,), ctx=ctx)
    curves = (scratch_curves if version == 'scratch' else gluon_curves)(zero, book.ACTIVATIONS)
    return {'%s_grad_at_0' % name: float(curves[name][1].asscalar()) for name in ('sigmoid', 'tanh')}


def _check_grid(low, high, step):
    if not high > low or not step > 0:
        raise ValueError('the grid needs low < high and step > 0, got low=%r, high=%r, step=%r'
                         % (low, high, step))


def _run(version, ctx, out, low, high, step, verbose):
    _check_grid(low, high, step)
    x = book.grid(low, high, step, ctx=ctx[0] if ctx else None)
    final, figures = {}, []
    for group, table in (('book', book.ACTIVATIONS), ('exercise', book.OTHER_ACTIVATIONS)):
        scratch, gluon = scratch_curves(x, table), gluon_curves(x, table)
        ours = scratch if version == 'scratch' else gluon
        diffs = agreement(ours, gluon if version == 'scratch' else scratch)
        if version == 'scratch':   # the hand derivative against autograd of our own function
            diffs.update({name + '_grad_vs_autograd_of_scratch': _max_abs(
                ours[name][1], book.autograd_grad(fn, x)) for name, (fn, _, _) in table.items()})
        final.update(diffs)
        final[group + '_max_abs_diff'] = max(diffs.values())
        if out:
            name = 'activations%s_%s.png' % ('' if group == 'book' else '_exercise', version)
            fig = book.activation_figure(x, [(n, v, g) for n, (v, g) in ours.items()])
            figures.append(finish(fig, out, name))
    final.update(derivatives_at_zero(version, ctx[0] if ctx else None))
    if verbose:
        for key, value in final.items():
            print('%-44s %.3g' % (key, value))
    return {'hyperparameters': {'low': low, 'high': high, 'step': step},
            'history': [], 'final': final, 'figures': figures}


def run_scratch(ctx=None, out=None, low=book.GRID[0], high=book.GRID[1], step=book.GRID[2],
                verbose=True):
    """3.8 from scratch: the hand-written functions and derivatives on the grid, and their
    max |difference| from MXNet's functions and autograd gradients."""
    return _run('scratch', ctx, out, low, high, step, verbose)


def run_gluon(ctx=None, out=None, low=book.GRID[0], high=book.GRID[1], step=book.GRID[2],
              verbose=True):
    """3.8 with Gluon (the book's code): nd.relu/sigmoid/tanh and autograd's gradients on the
    grid, and their max |difference| from the hand-written ones."""
    return _run('gluon', ctx, out, low, high, step, verbose)


SECTIONS = [
    Section('3.8', 'Multilayer perceptron: activation functions and their derivatives',
            {'scratch': run_scratch, 'gluon': run_gluon}, default_impl='scratch',
            headline='sigmoid_grad_at_0',
            book={'grid': 'nd.arange(-8.0, 8.0, 0.1)', 'sigmoid_grad_at_0': 0.25,
                  'tanh_grad_at_0': 1.0, 'source': 'd2l-zh notebooks, commit ea74109',
                  'note': 'the book plots ReLU, sigmoid, tanh and their autograd gradients; '
                          "the derivatives' values at 0 are stated in its text"}),
]
