"""Runs of section 3.15 (the book's code is ch3.book.initialization): the book's vanishing and
exploding example, Xavier against MXNet's default initializer, and the symmetry experiments on the
chapter's models (3.9's MLP, 3.6's softmax regression, 3.2's linear regression) started from equal
weights; plus, clearly labelled, two extras from the English edition. Quick mode comes from the
harness."""
import numpy as np
from mxnet import init, nd

from ch3.book import initialization as book
from ch3.book import deep_mlp, linear_regression, softmax
from ch3.book.plotting import finish
from ch3.book.training import linreg, squared_loss
from ch3.checks import check_finite_number, check_int, check_training_args
from ch3.context import as_ctx_list
from ch3.data.synthetic import synthetic_linear_data
from ch3.harness.runs import Section
from ch3.harness.runs.data import fashion_mnist_iters

NUM_LAYERS, WEIGHTS = 30, (0.2, 5.0)   # the book's example: 0.2^30 ~ 1e-21, 5^30 ~ 9e20
TRUE_W, TRUE_B = linear_regression.true_w, linear_regression.true_b   # section 3.2's data


def _initializer(value):
    """init.Constant(value) for a number, None (the model's own random draw) for None."""
    return None if value is None else init.Constant(value)


# --- the book's example -------------------------------------------------------------------------

def vanishing_and_exploding(ctx=None):
    """3.15: H(l) for l = 1..30 with every weight 0.2 and every weight 5 -> ({weight: NDArray},
    the JSON part of the result)."""
    runs = {w: book.layer_outputs(w, NUM_LAYERS, ctx=ctx) for w in WEIGHTS}
    values = {w: [float(v) for v in runs[w].asnumpy()] for w in WEIGHTS}
    return runs, {'num_layers': NUM_LAYERS,
                  'vanishing_layer_30': values[0.2][-1], 'exploding_layer_30': values[5.0][-1],
                  'layer_outputs': {'%g' % w: values[w] for w in WEIGHTS}}


# --- Xavier against MXNet's default -------------------------------------------------------------

def _summary(W, bound):
    values = W.asnumpy().ravel()
    return {'max_abs': float(np.abs(values).max()), 'mean': float(values.mean()),
            'variance': float(values.var()), 'bound': bound, 'uniform_variance': bound ** 2 / 3}


def compare_initializers(num_inputs=784, num_outputs=256):
    """3.15: bounds and variances of our xavier_uniform, init.Xavier() and net.initialize()'s
    default U(-0.07, 0.07) for one Dense(num_outputs) with num_inputs inputs; 'samples' holds
    the three weight arrays."""
    bound = book.xavier_bound(num_inputs, num_outputs)
    ours = book.xavier_uniform((num_outputs, num_inputs))
    theirs, _ = book.dense_init(num_inputs, num_outputs, init.Xavier())
    default, default_bias = book.dense_init(num_inputs, num_outputs)
    return {'shape': [num_outputs, num_inputs], 'xavier_variance': 2.0 / (num_inputs + num_outputs),
            'ours': _summary(ours, bound), 'mxnet_xavier': _summary(theirs, bound),
            'mxnet_default': dict(_summary(default, book.DEFAULT_INIT_SCALE),
                                  bias_max_abs=float(default_bias.abs().max().asscalar())),
            'samples': {'ours': ours, 'mxnet_xavier': theirs, 'mxnet_default': default}}


# --- symmetry: the chapter's models from equal weights ------------------------------------------

def train_mlp(impl, value, data, num_epochs, batch_size, lr, num_hiddens, contexts, verbose,
              dtype='float32'):
    """3.15: 3.9's (scratch) or 3.10's (gluon) MLP with every weight `value` (None: the book's
    N(0, 0.01^2)) -> (history, hidden-unit spread after training with the fraction of active
    hidden units on the first test batch). dtype 'float64' is for the from-scratch version."""
    train_iter, test_iter = data
    X_test = next(iter(test_iter))[0].as_in_context(contexts[0])
    if impl == 'scratch':
        params, history = book.train_mlp_scratch(
            train_iter, test_iter, _initializer(value), num_hiddens, dtype, num_epochs,
            batch_size, lr, contexts[:1], verbose)
        hidden = book.mlp_hidden(params, X_test)
    elif dtype != 'float32':
        raise ValueError("dtype %r is supported by the 'scratch' version only" % (dtype,))
    else:
        net, history = book.train_mlp_gluon(train_iter, test_iter, _initializer(value),
                                            num_hiddens, num_epochs, batch_size, lr, contexts[:1],
                                            verbose)
        params = deep_mlp.gluon_params(net, contexts)
        hidden = net[0](X_test)
    spread = book.hidden_unit_spread(params)
    spread['active_fraction'] = float((hidden > 0).mean().asscalar())
    return history, spread


def train_softmax_regression(impl, value, data, num_epochs, batch_size, lr, contexts, verbose):
    """3.15: 3.6's (scratch) or 3.7's (gluon) softmax regression with every weight `value` (None:
    N(0, 0.01^2)), b = 0 -> (history, number of distinct class weight vectors after training)."""
    train_iter, test_iter = data
    if impl == 'scratch':
        (W, _), history = book.train_softmax_scratch(train_iter, test_iter, _initializer(value),
                                                     num_epochs, batch_size, lr, contexts[:1],
                                                     verbose)
        class_weights = W.T
    else:
        net, history = book.train_softmax_gluon(train_iter, test_iter, _initializer(value),
                                                num_epochs, batch_size, lr, contexts[:1], verbose)
        class_weights = net[0].weight.data(contexts[0])
    return history, book.count_distinct(class_weights.asnumpy())


def train_linear_regression(impl, value, num_epochs=3, batch_size=10, lr=0.03, ctx=None):
    """3.15: 3.2's (scratch) or 3.3's (gluon) linear regression on 3.2's data (w = [2, -3.4],
    b = 4.2) with every weight `value`, b = 0 -> the learned w, b and the mean squared loss."""
    device = as_ctx_list(ctx)[0]
    features, labels = synthetic_linear_data(TRUE_W, TRUE_B, 1000, noise=0.01, ctx=device)
    if impl == 'scratch':
        w, b = book.train_linreg(features, labels, _initializer(value), num_epochs, batch_size,
                                 lr, device)
        predictions = nd.dot(features, w) + b
    else:
        net = book.train_linreg_gluon(features, labels, _initializer(value), num_epochs,
                                      batch_size, lr, device)
        w, b = net[0].weight.data(device).T, net[0].bias.data(device)
        predictions = net(features)
    return {'w': w.asnumpy().ravel().tolist(), 'b': float(b.asscalar()),
            'loss': float(squared_loss(predictions, labels).mean().asscalar()),
            'true_w': TRUE_W, 'true_b': TRUE_B, 'initial_value': value, 'initial_b': 0.0}


def _symmetry(impl, constant, data, num_epochs, batch_size, lr, num_hiddens, contexts, verbose):
    """The MLP from equal weights (float32, float64) and random ones, softmax regression from
    equal and random weights, linear regression from equal weights -> (history, results)."""
    history, symmetry, equal = [], {}, {}
    # float32 kernels may sum some columns of X W1 in another order than others, so "equal"
    # units can differ by rounding; the float64 run shows the exact-arithmetic behaviour.
    for name, value, version, dtype in (('constant', constant, impl, 'float32'),
                                        ('constant_float64', constant, 'scratch', 'float64'),
                                        ('random', None, impl, 'float32')):
        if verbose:
            print('MLP (%s, %s) with %s initial weights:' % (version, dtype, name))
        runs, spread = train_mlp(version, value, data, num_epochs, batch_size, lr, num_hiddens,
                                 contexts, verbose, dtype)
        history += [dict(h, experiment='mlp_' + name) for h in runs]
        symmetry[name] = dict(spread, test_acc=runs[-1]['test_acc'], loss=runs[-1]['loss'],
                              initial_value=value, impl=version, dtype=dtype)
    for name, value in (('equal', constant), ('random', None)):
        if verbose:
            print('softmax regression with %s initial weights:' % name)
        runs, distinct = train_softmax_regression(impl, value, data, num_epochs, batch_size,
                                                  lr, contexts, verbose)
        history += [dict(h, experiment='softmax_' + name) for h in runs]
        equal['softmax_' + name] = {'test_acc': runs[-1]['test_acc'], 'loss': runs[-1]['loss'],
                                    'distinct_class_weights': distinct, 'initial_value': value}
    equal['linear_equal'] = train_linear_regression(impl, constant, ctx=contexts[0])
    return history, {'symmetry': symmetry, 'equal_weights_regression': equal}


def same_init_agreement(constant, data, ctx):
    """How closely the from-scratch and Gluon versions of each model agree when both start from
    init.Constant(constant): max |output difference| on the first test batch (MLP: logits,
    softmax regression: probabilities, linear regression: predictions on 3.2's data)."""
    device = as_ctx_list(ctx)[0]
    constant_init = init.Constant(constant)
    X = next(iter(data[1]))[0].as_in_context(device)
    scratch_mlp = book.mlp_params(constant_init, ctx=device)
    gluon_mlp = book.reinitialize(deep_mlp.gluon_net(ctx=device), constant_init, device)
    W, b = book.initialize(softmax.init_params(device), constant_init)
    gluon_softmax = book.reinitialize(softmax.gluon_net(device), constant_init, device)
    features, labels = synthetic_linear_data(TRUE_W, TRUE_B, 100, noise=0.01, ctx=device)
    w, b_lin = book.train_linreg(features, labels, constant_init, 0, ctx=device)
    gluon_lin = book.train_linreg_gluon(features, labels, constant_init, 0, ctx=device)

    def gap(a, b):
        return float(nd.abs(a - b).max().asscalar())
    return {'mlp': gap(deep_mlp.net(X, scratch_mlp), gluon_mlp(X)),
            'softmax': gap(softmax.net(X, W, b), softmax.softmax(gluon_softmax(X))),
            'linear': gap(linreg(features, w, b_lin), gluon_lin(features))}


# --- the runs -----------------------------------------------------------------------------------

def _run(impl, ctx, out, num_epochs, batch_size, lr, num_hiddens, constant, subset, verbose):
    check_training_args(batch_size=batch_size, lr=lr, num_epochs=num_epochs)
    check_int('num_hiddens', num_hiddens, minimum=1)
    check_finite_number('constant', constant)
    contexts = as_ctx_list(ctx)
    layer_runs, final = vanishing_and_exploding(contexts)
    if verbose:
        _print_book_example(final)
    products = [book.matrix_product_growth(sigma=1.0, ctx=contexts),
                book.matrix_product_growth(sigma=0.5, ctx=contexts)]   # 0.5 = 1/sqrt(n), n = 4
    sigmoid = book.sigmoid_gradient()
    final['english_edition_extras'] = {
        'note': 'from the English edition (d2l.ai), not in d2l-zh v1',
        'matrix_products': [{k: v for k, v in p.items() if k != 'log10_norms'} for p in products],
        'sigmoid': {k: v for k, v in sigmoid.items() if k not in ('x', 'sigmoid', 'grad')}}
    inits = compare_initializers()
    samples = inits.pop('samples')
    final['initializers'] = inits

    data = fashion_mnist_iters(batch_size, contexts[:1], subset)
    history, symmetry = _symmetry(impl, constant, data, num_epochs, batch_size, lr, num_hiddens,
                                  contexts, verbose)
    final.update(symmetry)
    # after the experiments, so their random draws are those of a run without this check
    final['scratch_vs_gluon_same_init_max_abs_diff'] = same_init_agreement(constant, data,
                                                                           contexts)
    if verbose:
        _print_summary(final)
    figures = []
    if out:
        figures = [finish(book.layer_outputs_figure(layer_runs), out, 'init_layer_outputs.png'),
                   finish(book.product_figure(products), out, 'init_matrix_product.png'),
                   finish(book.sigmoid_figure(sigmoid), out, 'init_sigmoid_gradient.png'),
                   finish(book.init_figure(samples), out, 'init_weight_histograms.png')]
    return {'hyperparameters': {'num_epochs': num_epochs, 'batch_size': batch_size, 'lr': lr,
                                'num_hiddens': num_hiddens, 'constant': constant,
                                'subset': subset},
            'history': history, 'final': final, 'figures': figures}


def _print_book_example(final):
    for w, name in zip(WEIGHTS, ('vanishing', 'exploding')):
        print('every weight %g: the output of layer %d is X * %.3g (%s)'
              % (w, NUM_LAYERS, final['%s_layer_30' % name], name))


def _print_summary(final):
    extras = final['english_edition_extras']
    for p in extras['matrix_products']:
        print('from the English edition: product of %d %dx%d N(0, %.3g^2) matrices: growth %.3f '
              'per factor (theory %.3f)' % (p['num_factors'] + 1, p['n'], p['n'], p['sigma'],
                                            p['measured_rate'], p['theory_rate']))
    sigmoid = extras['sigmoid']
    print('from the English edition: sigmoid gradient max %.4f at x = %.1f, %.2e at x = +-8'
          % (sigmoid['max_grad'], sigmoid['argmax_x'], sigmoid['grad_at_edges'][0]))
    inits = final['initializers']
    for name in ('ours', 'mxnet_xavier', 'mxnet_default'):
        s = inits[name]
        print('%-13s max |w| %.4f (bound %.4f), variance %.6f (uniform: %.6f)'
              % (name, s['max_abs'], s['bound'], s['variance'], s['uniform_variance']))
    for name, s in final['symmetry'].items():
        print('MLP from %s weights: %d distinct hidden units of %d (spread %.1e), %.0f%% active, '
              'test acc %.3f' % (name, s['distinct_units'], s['units'], s['relative_spread'],
                                 100 * s['active_fraction'], s['test_acc']))
    for name, s in final['equal_weights_regression'].items():
        if name.startswith('softmax'):
            print('softmax regression, %s start: test acc %.3f, %d distinct class weights'
                  % (name.split('_')[1], s['test_acc'], s['distinct_class_weights']))
    lin = final['equal_weights_regression']['linear_equal']
    print('linear regression from w = %g, b = 0: w %s, b %.4f'
          % (lin['initial_value'], lin['w'], lin['b']))
    print('from scratch vs Gluon from the same constant weights, max |output difference|: %s'
          % ', '.join('%s %.2g' % item
                      for item in final['scratch_vs_gluon_same_init_max_abs_diff'].items()))


def run_scratch(ctx=None, out=None, num_epochs=5, batch_size=256, lr=0.1, num_hiddens=256,
                constant=0.001, subset=None, verbose=True):
    """3.15: the book's example, Xavier against MXNet's default, and the symmetry experiments
    with the from-scratch models (3.9's MLP, 3.6's softmax regression, 3.2's linear regression).

    lr 0.1 for every Fashion-MNIST run (3.6's; 3.9 uses 0.5, at which the constant-initialized
    MLP, whose h identical units act as one unit with an h times larger step, dies at once)."""
    return _run('scratch', ctx, out, num_epochs, batch_size, lr, num_hiddens, constant, subset,
                verbose)


def run_gluon(ctx=None, out=None, num_epochs=5, batch_size=256, lr=0.1, num_hiddens=256,
              constant=0.001, subset=None, verbose=True):
    """3.15: the same with the Gluon models (3.10, 3.7, 3.3) re-initialized by init.Constant
    (the float64 symmetry check always uses the from-scratch MLP)."""
    return _run('gluon', ctx, out, num_epochs, batch_size, lr, num_hiddens, constant, subset,
                verbose)


SECTIONS = [
    Section('3.15', 'Numerical stability and model initialization',
            {'scratch': run_scratch, 'gluon': run_gluon}, default_impl='scratch',
            headline='vanishing_layer_30',
            book={'vanishing_layer_30': 1e-21, 'exploding_layer_30': 9e20,
                  'initializers_mxnet_default_bound': book.DEFAULT_INIT_SCALE,
                  'source': 'd2l-zh notebooks, commit ea74109 (numerical-stability-and-init.ipynb)',
                  'note': "the book's text: 0.2^30 ~ 1e-21 (vanishing), 5^30 ~ 9e20 (exploding); "
                          'net.initialize() draws U(-0.07, 0.07), biases 0; Xavier bound '
                          'sqrt(6 / (a + b)); no training runs'}),
]
