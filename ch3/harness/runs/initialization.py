"""Section 3.15: numerical stability (vanishing and exploding) and model initialization.

Exploding and vanishing. The output of L layers is a product of L matrices, so its scale is
multiplied L times. For n x n matrices with independent N(0, sigma^2) entries the product M_L
grows like exp(L * rate) with (Newman 1986; exact for ||M_L v||, v a fixed unit vector)
    rate = log sigma + (log 2 + psi(n / 2)) / 2,
psi the digamma function: 0.558 per factor for sigma = 1, n = 4, i.e. 100 factors give ~10^24
(the book's example); sigma = 1 / sqrt(n), which keeps E||W v||^2 = ||v||^2, still gives
rate = -0.135 < 0 for n = 4: the mean of the logarithm, not of the square, decides.
The sigmoid's gradient sigma'(x) = sigma(x) (1 - sigma(x)) is at most 1/4 (at x = 0) and about
exp(-|x|) for large |x|: saturated sigmoid units pass almost no gradient back.

Initialization. Xavier, for a layer with a inputs and b outputs:
    W_ij ~ U(-sqrt(6 / (a + b)), sqrt(6 / (a + b))),   Var W_ij = 2 / (a + b),
the compromise between Var = 1/a (output variance independent of a) and Var = 1/b (gradient
variance independent of b). MXNet's `init.Xavier()` is the same distribution. `net.initialize()`
without an initializer draws weights from U(-0.07, 0.07) (Var = 0.07^2 / 3) and sets biases to 0.

Symmetry. If every hidden unit starts with the same incoming and outgoing weights, each computes
the same activation and receives the same gradient, so gradient descent keeps them identical: the
hidden layer acts as one unit. That is exact arithmetic. In float32 the from-scratch nd.dot(X, W1)
(OpenBLAS in this build) sums 16 of the 256 columns in a different order than the other 240, so
"equal" units differ by rounding (~1e-7) and training amplifies that into a few groups of units;
Gluon's Dense (MKL-DNN) and float64 keep them bit-identical here (`run_*` reports all three).
A model without hidden units (linear or softmax regression) has no such symmetry: the gradient of
output k's weights depends on output k's own target, so equal starting weights separate at the
first step (the chapter notes' answer "softmax stays at accuracy 0.1" is wrong; `run_*` measures
it).
"""
import math

import numpy as np
from mxnet import autograd, gluon, init, nd
from mxnet.gluon import loss as gloss, nn

from ch3.context import as_ctx_list
from ch3.harness.runs.data import fashion_mnist_iters
from ch3.data.synthetic import synthetic_linear_data
from ch3.book.plotting import finish, new_figure
from ch3.harness.runs import Section
from ch3.book.training import data_iter, linreg, sgd, squared_loss, train_ch3
from ch3.checks import check_int, check_training_args

NUM_INPUTS, NUM_OUTPUTS = 784, 10
DEFAULT_INIT_SCALE = 0.07      # net.initialize(): U(-0.07, 0.07)
QUICK_SUBSET, QUICK_EPOCHS = 3000, 1
TRUE_W, TRUE_B = [2, -3.4], 4.2    # section 3.2's data for the linear-regression experiment


# ------------------------------------------------------------------------ vanishing and exploding
def lyapunov_rate(n, sigma=1.0):
    """3.15: the growth rate per factor of a product of n x n N(0, sigma^2) matrices."""
    psi = _digamma(n / 2)
    return math.log(sigma) + (math.log(2) + psi) / 2


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


def matrix_product_growth(num_factors=100, n=4, sigma=1.0, ctx=None):
    """3.15: M = G_0 G_1 ... G_num_factors of n x n N(0, sigma^2) matrices (float64); returns
    log10 of the Frobenius norm after each factor and the final M."""
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
    """3.15: sigmoid(x) and its gradient by autograd on a grid of x -> dict of lists."""
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
    """3.15: log10 ||G_0 ... G_k|| against k for each run of matrix_product_growth."""
    fig, ax = new_figure((4.5, 3))
    for run in runs:
        ax.plot(run['log10_norms'], label='sigma = %.3g (rate %.3f)' % (run['sigma'],
                                                                         run['theory_rate']))
    ax.set_xlabel('number of matrices multiplied')
    ax.set_ylabel('log10 ||product||')
    ax.legend(fontsize=7)
    return fig


def sigmoid_figure(curve):
    """3.15: the sigmoid and its gradient (the book's plot)."""
    fig, ax = new_figure((4.5, 3))
    ax.plot(curve['x'], curve['sigmoid'], label='sigmoid')
    ax.plot(curve['x'], curve['grad'], linestyle=':', label='gradient')
    ax.set_xlabel('x')
    ax.legend(fontsize=7)
    return fig


# ------------------------------------------------------------------------------------- Xavier
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


def _dense_weight(num_inputs, num_outputs, initializer):
    layer = nn.Dense(num_outputs, in_units=num_inputs)
    if initializer is None:
        layer.initialize()
    else:
        layer.initialize(initializer)
    return layer.weight.data(), layer.bias.data()


def _summary(W, bound):
    values = W.asnumpy().ravel()
    return {'max_abs': float(np.abs(values).max()), 'mean': float(values.mean()),
            'variance': float(values.var()), 'bound': bound, 'uniform_variance': bound ** 2 / 3}


def compare_initializers(num_inputs=NUM_INPUTS, num_outputs=256):
    """3.15: bounds and variances of our xavier_uniform, init.Xavier() and net.initialize()'s
    default for one Dense(num_outputs) layer with num_inputs inputs."""
    bound = xavier_bound(num_inputs, num_outputs)
    ours = xavier_uniform((num_outputs, num_inputs))
    theirs, _ = _dense_weight(num_inputs, num_outputs, init.Xavier())
    default, default_bias = _dense_weight(num_inputs, num_outputs, None)
    return {'shape': [num_outputs, num_inputs], 'xavier_variance': 2.0 / (num_inputs + num_outputs),
            'ours': _summary(ours, bound), 'mxnet_xavier': _summary(theirs, bound),
            'mxnet_default': dict(_summary(default, DEFAULT_INIT_SCALE),
                                  bias_max_abs=float(default_bias.abs().max().asscalar())),
            'samples': {'ours': ours, 'mxnet_xavier': theirs, 'mxnet_default': default}}


def init_figure(samples):
    """3.15: histograms of the three initializations' weights."""
    fig, ax = new_figure((4.5, 3))
    for name, W in samples.items():
        ax.hist(W.asnumpy().ravel(), bins=60, histtype='step', label=name)
    ax.set_xlabel('weight')
    ax.set_ylabel('count')
    ax.legend(fontsize=7)
    return fig


# ------------------------------------------------------------------------------------- symmetry
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


def hidden_unit_spread(W_in, b_in, W_out):
    """3.15: how far the hidden units are from identical, from their incoming weights
    (units, inputs), biases (units,) and outgoing weights (outputs, units): the largest
    |unit_j - unit_0| relative to the largest |weight|, and the number of distinct units."""
    units = np.hstack([W_in.asnumpy(), b_in.asnumpy().reshape(-1, 1), W_out.asnumpy().T])
    scale = max(float(np.abs(units).max()), 1e-30)
    return {'relative_spread': float(np.abs(units - units[0]).max() / scale),
            'distinct_units': count_distinct(units), 'units': units.shape[0]}


def mlp_params(num_hiddens=256, value=None, dtype='float32', ctx=None):
    """3.15: [W1 (784, h), b1 (h,), W2 (h, 10), b2 (10,)] (3.9's layout): every weight equal to
    `value`, or N(0, 0.01^2) when value is None; biases 0; gradients attached."""
    device = as_ctx_list(ctx)[0]
    shapes = [(NUM_INPUTS, num_hiddens), (num_hiddens, NUM_OUTPUTS)]
    if value is None:
        weights = [nd.random.normal(scale=0.01, shape=s, ctx=device).astype(dtype)
                   for s in shapes]
    else:
        weights = [nd.full(s, value, ctx=device, dtype=dtype) for s in shapes]
    params = [weights[0], nd.zeros(num_hiddens, ctx=device, dtype=dtype),
              weights[1], nd.zeros(NUM_OUTPUTS, ctx=device, dtype=dtype)]
    for param in params:
        param.attach_grad()
    return params


def mlp_hidden(params, X):
    """3.15: the hidden activations relu(X W1 + b1) (n, h) of X (n, 1, 28, 28)."""
    W1, b1 = params[0], params[1]
    return nd.relu(nd.dot(X.reshape((-1, NUM_INPUTS)).astype(W1.dtype), W1) + b1)


def mlp_scratch(params):
    """3.15: X (n, 1, 28, 28) -> float32 logits (n, 10) of relu(X W1 + b1) W2 + b2, computed in
    the params' dtype."""
    W2, b2 = params[2], params[3]

    def net(X):
        return (nd.dot(mlp_hidden(params, X), W2) + b2).astype('float32')
    return net


def mlp_gluon(num_hiddens=256, value=None, ctx=None):
    """3.15: Dense(h, relu) -> Dense(10), weights init.Constant(value) (or N(0, 0.01^2) when
    value is None), biases 0, hybridized."""
    net = nn.HybridSequential()
    net.add(nn.Dense(num_hiddens, activation='relu'), nn.Dense(NUM_OUTPUTS))
    weight_init = init.Normal(0.01) if value is None else init.Constant(value)
    net.initialize(weight_init, ctx=as_ctx_list(ctx))
    net.hybridize(static_alloc=True)
    return net


def _gluon_trainer(net, lr):
    return gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': lr})


def train_mlp(impl, value, data, num_epochs, batch_size, lr, num_hiddens, contexts, verbose,
              dtype='float32'):
    """3.15: train the 3.9/3.10 MLP from constant (value) or random (None) weights; returns
    (history, hidden-unit spread after training + the fraction of active hidden units on the
    first test batch). dtype 'float64' is for the from-scratch version."""
    train_iter, test_iter = data
    X_test = next(iter(test_iter))[0].as_in_context(contexts[0])
    if impl == 'scratch':
        params = mlp_params(num_hiddens, value, dtype, contexts[0])
        history = train_ch3(mlp_scratch(params), train_iter, test_iter,
                            gloss.SoftmaxCrossEntropyLoss(), num_epochs, batch_size, params, lr,
                            ctx=contexts[0], verbose=verbose)
        W1, b1, W2, _ = params
        spread = hidden_unit_spread(W1.T, b1, W2.T)
        hidden = mlp_hidden(params, X_test)
    elif dtype != 'float32':
        raise ValueError("dtype %r is supported by the 'scratch' version only" % (dtype,))
    else:
        net = mlp_gluon(num_hiddens, value, contexts)
        history = train_ch3(net, train_iter, test_iter, gloss.SoftmaxCrossEntropyLoss(),
                            num_epochs, batch_size, trainer=_gluon_trainer(net, lr),
                            ctx=contexts, verbose=verbose)
        layer, output, device = net[0], net[1], contexts[0]
        spread = hidden_unit_spread(layer.weight.data(device), layer.bias.data(device),
                                    output.weight.data(device))
        hidden = layer(X_test)
    spread['active_fraction'] = float((hidden > 0).mean().asscalar())
    return history, spread


# ------------------------------------------------- the notes' exercise: regression, equal start
def train_softmax_regression(impl, value, data, num_epochs, batch_size, lr, contexts, verbose):
    """3.15: softmax regression (3.6/3.7) from W = value everywhere (None: N(0, 0.01^2)), b = 0;
    returns (history, number of distinct class weight vectors after training)."""
    train_iter, test_iter = data
    loss = gloss.SoftmaxCrossEntropyLoss()
    if impl == 'scratch':
        device = contexts[0]
        W = (nd.random.normal(scale=0.01, shape=(NUM_INPUTS, NUM_OUTPUTS), ctx=device)
             if value is None else nd.full((NUM_INPUTS, NUM_OUTPUTS), value, ctx=device))
        b = nd.zeros(NUM_OUTPUTS, ctx=device)
        for param in (W, b):
            param.attach_grad()
        history = train_ch3(lambda X: nd.dot(X.reshape((-1, NUM_INPUTS)), W) + b, train_iter,
                            test_iter, loss, num_epochs, batch_size, [W, b], lr, ctx=device,
                            verbose=verbose)
        class_weights = W.T
    else:
        net = nn.HybridSequential()
        net.add(nn.Dense(NUM_OUTPUTS))
        net.initialize(init.Normal(0.01) if value is None else init.Constant(value),
                       ctx=contexts)
        net.hybridize(static_alloc=True)
        history = train_ch3(net, train_iter, test_iter, loss, num_epochs, batch_size,
                            trainer=_gluon_trainer(net, lr), ctx=contexts, verbose=verbose)
        class_weights = net[0].weight.data(contexts[0])
    return history, count_distinct(class_weights.asnumpy())


def train_linear_regression(impl, value, num_epochs=3, batch_size=10, lr=0.03, ctx=None):
    """3.15: 3.2's linear regression (true w = [2, -3.4], b = 4.2) from w = b = value; returns
    the learned w, b and the final mean squared loss."""
    device = as_ctx_list(ctx)[0]
    features, labels = synthetic_linear_data(TRUE_W, TRUE_B, 1000, noise=0.01, ctx=device)
    if impl == 'scratch':
        w = nd.full((2, 1), value, ctx=device)
        b = nd.full((1,), value, ctx=device)
        for param in (w, b):
            param.attach_grad()
        for _ in range(num_epochs):
            for X, y in data_iter(batch_size, features, labels):
                with autograd.record():
                    l = squared_loss(linreg(X, w, b), y)
                l.backward()
                sgd([w, b], lr, y.shape[0])

        def net(X):
            return linreg(X, w, b)
    else:
        net = nn.HybridSequential()
        net.add(nn.Dense(1))
        net.initialize(init.Constant(value), ctx=device)   # Constant fills the bias too
        net.hybridize(static_alloc=True)
        trainer = _gluon_trainer(net, lr)
        loss = gloss.L2Loss()
        for _ in range(num_epochs):
            for X, y in data_iter(batch_size, features, labels):
                with autograd.record():
                    l = loss(net(X), y)
                l.backward()
                trainer.step(y.shape[0])
        w, b = net[0].weight.data(device).T, net[0].bias.data(device)
    return {'w': w.asnumpy().ravel().tolist(), 'b': float(b.asscalar()),
            'loss': float(squared_loss(net(features), labels).mean().asscalar()),
            'true_w': TRUE_W, 'true_b': TRUE_B, 'initial_value': value}


# ------------------------------------------------------------------------------------ the runs
def _run(impl, ctx, quick, out, num_epochs, batch_size, lr, num_hiddens, constant, verbose):
    check_training_args(batch_size=batch_size, lr=lr, num_epochs=num_epochs)
    check_int('num_hiddens', num_hiddens, minimum=1)
    if isinstance(constant, bool) or not isinstance(constant, (int, float)) \
            or not math.isfinite(constant):
        raise ValueError('constant must be a finite number, got %r' % (constant,))
    contexts = as_ctx_list(ctx)
    if impl == 'scratch' and len(contexts) > 1:
        raise ValueError('the from-scratch version keeps its params on one device, got %s; pass '
                         'one ctx, or use the Gluon version' % [str(c) for c in contexts])
    subset, num_epochs = (QUICK_SUBSET, min(num_epochs, QUICK_EPOCHS)) if quick \
        else (None, num_epochs)

    products = [matrix_product_growth(sigma=1.0, ctx=contexts),
                matrix_product_growth(sigma=0.5, ctx=contexts)]   # 0.5 = 1/sqrt(n) for n = 4
    sigmoid = sigmoid_gradient()
    inits = compare_initializers()
    samples = inits.pop('samples')

    data = fashion_mnist_iters(batch_size, contexts[:1], subset)
    history = []
    symmetry = {}
    # float32 kernels may sum some columns of X W1 in another order than others, so "equal"
    # units can differ by rounding; the float64 run shows the exact-arithmetic behaviour.
    for name, value, version, dtype in (('constant', constant, impl, 'float32'),
                                        ('constant_float64', constant, 'scratch', 'float64'),
                                        ('random', None, impl, 'float32')):
        if verbose:
            print('MLP (%s, %s) with %s initial weights:' % (version, dtype, name))
        runs, spread = train_mlp(version, value, data, num_epochs, batch_size, lr, num_hiddens,
                                 contexts[:1] if version == 'scratch' else contexts, verbose,
                                 dtype)
        history += [dict(h, experiment='mlp_' + name) for h in runs]
        symmetry[name] = dict(spread, test_acc=runs[-1]['test_acc'], loss=runs[-1]['loss'],
                              initial_value=value, impl=version, dtype=dtype)
    equal = {}
    for name, value in (('equal', constant), ('random', None)):
        if verbose:
            print('softmax regression with %s initial weights:' % name)
        runs, distinct = train_softmax_regression(impl, value, data, num_epochs, batch_size,
                                                  lr, contexts, verbose)
        history += [dict(h, experiment='softmax_' + name) for h in runs]
        equal['softmax_' + name] = {'test_acc': runs[-1]['test_acc'], 'loss': runs[-1]['loss'],
                                    'distinct_class_weights': distinct, 'initial_value': value}
    equal['linear_equal'] = train_linear_regression(impl, constant, ctx=contexts[0])
    final = {'matrix_products': [{k: v for k, v in p.items() if k != 'log10_norms'}
                                 for p in products],
             'sigmoid': {k: v for k, v in sigmoid.items() if k not in ('x', 'sigmoid', 'grad')},
             'initializers': inits, 'symmetry': symmetry, 'equal_weights_regression': equal}
    if verbose:
        _print_summary(final)
    figures = []
    if out:
        figures = [finish(product_figure(products), out, 'init_matrix_product.png'),
                   finish(sigmoid_figure(sigmoid), out, 'init_sigmoid_gradient.png'),
                   finish(init_figure(samples), out, 'init_weight_histograms.png')]
    return {'hyperparameters': {'num_epochs': num_epochs, 'batch_size': batch_size, 'lr': lr,
                                'num_hiddens': num_hiddens,
                                'constant': constant, 'subset': subset},
            'history': history, 'final': final, 'figures': figures}


def _print_summary(final):
    for p in final['matrix_products']:
        print('product of %d %dx%d N(0, %.3g^2) matrices: growth %.3f per factor (theory %.3f)'
              % (p['num_factors'] + 1, p['n'], p['n'], p['sigma'], p['measured_rate'],
                 p['theory_rate']))
    print('sigmoid gradient: max %.4f at x = %.1f, %.2e at x = +-8'
          % (final['sigmoid']['max_grad'], final['sigmoid']['argmax_x'],
             final['sigmoid']['grad_at_edges'][0]))
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
    print('linear regression from w = b = %g: w %s, b %.4f' % (lin['initial_value'],
                                                               lin['w'], lin['b']))


def run_scratch(ctx=None, quick=False, out=None, num_epochs=5, batch_size=256, lr=0.1,
                num_hiddens=256, constant=0.001, verbose=True):
    """3.15: stability demos, Xavier vs MXNet's initializers, and the symmetry experiments with
    NDArray parameters (the MLP of 3.9, softmax regression of 3.6, linear regression of 3.2).

    lr 0.1 for every Fashion-MNIST run (3.6's; 3.9 uses 0.5, at which the constant-initialized
    MLP, whose h identical units act as one unit with an h times larger step, dies at once)."""
    return _run('scratch', ctx, quick, out, num_epochs, batch_size, lr, num_hiddens, constant,
                verbose)


def run_gluon(ctx=None, quick=False, out=None, num_epochs=5, batch_size=256, lr=0.1,
              num_hiddens=256, constant=0.001, verbose=True):
    """3.15: the same with nn.Dense layers initialized by init.Constant and a Trainer (the
    float64 symmetry check always uses the from-scratch MLP)."""
    return _run('gluon', ctx, quick, out, num_epochs, batch_size, lr, num_hiddens, constant,
                verbose)


SECTIONS = [
    Section('3.15', 'Numerical stability and model initialization',
            {'scratch': run_scratch, 'gluon': run_gluon}, default_impl='scratch',
            book={'default_init_bound': DEFAULT_INIT_SCALE,
                  'note': 'no printed numbers; default init U(-0.07, 0.07), Xavier bound '
                          'sqrt(6 / (a + b))'}),
]
