"""Sections 3.4, 3.6 and 3.7: softmax regression, its model, from scratch and with Gluon.

3.4  Model, for one example x (1, d) and q classes:
         o = x W + b,   y_hat = softmax(o),   softmax(o)_j = exp(o_j) / sum_k exp(o_k)
     Cross-entropy loss of the true class y:  l = -log y_hat_y  (= H(onehot(y), y_hat)).
     Information theory behind it, for distributions p, q over the classes:
         H(p) = -sum_j p_j log p_j,   H(p, q) = -sum_j p_j log q_j,
         KL(p || q) = sum_j p_j log(p_j / q_j),   H(p, q) = H(p) + KL(p || q),
     so minimising the cross-entropy to the labels minimises the KL divergence to them.
     Numerically stable forms (float32 overflows above exp(88.72) and underflows below exp(-103)):
         softmax(o) = softmax(o - max_k o_k)
         log softmax(o)_j = (o_j - m) - log sum_k exp(o_k - m),  m = max_k o_k   (log-sum-exp)
         l = -log softmax(o)_y,  computed from the logits without ever forming y_hat.
3.6  From scratch: W ~ N(0, 0.01^2) (784, 10), b = 0, net(X) = softmax(X.reshape(-1, 784) W + b),
     the book's cross_entropy as the loss, minibatch SGD (batch 256, lr 0.1, 5 epochs, train_ch3).
     The book's naive loss is safe here: the logits of this linear model stay within a few tens,
     so no probability overflows or underflows to 0 (train_scratch reports the smallest
     true-class probability it sees on the test set to show it).
3.7  Gluon: nn.Dense(10) with init.Normal(sigma=0.01), SoftmaxCrossEntropyLoss (the stable form,
     computed from logits) and Trainer('sgd', learning_rate 0.1).
"""
import math

import numpy as np
from mxnet import init, nd
from mxnet.gluon import loss as gloss, nn

from ch3.context import as_ctx_list
from ch3.distributed import DEFAULT_KVSTORE, Worker, start_worker
from ch3.data.fashion_mnist import get_fashion_mnist_labels, load_data_fashion_mnist, \
    load_fashion_mnist_arrays, show_fashion_mnist
from ch3.plotting import finish
from ch3.sections import Section
from ch3.training import train_ch3
from ch3.utils import check_int, check_training_args

NUM_INPUTS = 784     # 28 x 28 pixels, flattened
NUM_OUTPUTS = 10     # Fashion-MNIST classes
QUICK_SUBSET = 2000  # examples per split for quick=True
QUICK_EPOCHS = 2
FLOAT32_EXP_LIMIT = float(np.log(np.finfo(np.float32).max))   # exp(x) = inf in float32 above this


# ---------------------------------------------------------------------------------------------
# 3.4 The model: softmax, cross-entropy, their stable forms, entropy and KL divergence
# ---------------------------------------------------------------------------------------------

def _check_logits(X, name):
    if not isinstance(X, nd.NDArray):
        raise ValueError('%s expects an NDArray of shape (n, classes), got %s'
                         % (name, type(X).__name__))
    if X.ndim != 2:
        raise ValueError('%s expects a 2-D batch of shape (n, classes), got shape %s; for one '
                         'example use X.reshape((1, -1))' % (name, X.shape))
    if X.size == 0:
        raise ValueError('%s got an empty array of shape %s; it needs at least one row and one '
                         'class' % (name, X.shape))


def softmax(X):
    """3.6: the book's softmax of each row of X (n, q) -> probabilities (n, q); overflows for
    logits above ~88.7 in float32 (use stable_softmax)."""
    _check_logits(X, 'softmax')
    X_exp = X.exp()
    partition = X_exp.sum(axis=1, keepdims=True)
    return X_exp / partition   # broadcast: each row divided by its own sum


def stable_softmax(X):
    """3.4: softmax of each row of X (n, q), computed as softmax(X - row max) so exp never
    overflows -> (n, q)."""
    _check_logits(X, 'stable_softmax')
    X_exp = (X - X.max(axis=1, keepdims=True)).exp()
    return X_exp / X_exp.sum(axis=1, keepdims=True)


def log_softmax(X):
    """3.4: log softmax of each row of X (n, q) by log-sum-exp -> (n, q), finite wherever the
    logits are."""
    _check_logits(X, 'log_softmax')
    shifted = X - X.max(axis=1, keepdims=True)
    return shifted - shifted.exp().sum(axis=1, keepdims=True).log()


def check_labels(y, num_classes, name='labels'):
    """3.6: raise ValueError unless y (n,) holds class indices in 0..num_classes-1 (nd.pick
    would silently clip them)."""
    if not isinstance(y, nd.NDArray):
        raise ValueError('%s must be an NDArray of class indices, got %s'
                         % (name, type(y).__name__))
    if y.ndim != 1:
        raise ValueError('%s must be 1-D (n,), got shape %s' % (name, y.shape))
    if y.size == 0:
        return
    lowest, highest = (float(v) for v in nd.concat(y.min().astype('float32'),
                                                     y.max().astype('float32'), dim=0).asnumpy())
    if lowest < 0 or highest >= num_classes:
        bad = lowest if lowest < 0 else highest
        raise ValueError('%s must be class indices 0..%d, got %g; check that the labels match '
                         'the %d outputs of the model' % (name, num_classes - 1, bad, num_classes))


def pick(y_hat, y, check=True):
    """3.6: y_hat[i, y[i]] for y_hat (n, q) and labels y (n,) -> (n,); check=False skips the
    label range check (it waits for y on the host)."""
    _check_logits(y_hat, 'pick')
    if check:
        check_labels(y, y_hat.shape[1], 'labels')
    if y.ndim != 1:
        raise ValueError('labels must be 1-D (n,), got shape %s' % (y.shape,))
    if y.shape[0] != y_hat.shape[0]:
        raise ValueError('pick got %d rows of predictions but %d labels'
                         % (y_hat.shape[0], y.shape[0]))
    return nd.pick(y_hat, y, axis=1)


def cross_entropy(y_hat, y, check=True):
    """3.6: the book's loss -log y_hat[i, y[i]] from probabilities y_hat (n, q), labels y (n,)
    -> (n,); inf when a probability underflowed to 0 (use stable_cross_entropy)."""
    return -pick(y_hat, y, check).log()


def stable_cross_entropy(logits, y):
    """3.4: cross-entropy from logits (n, q) and labels y (n,) via log_softmax -> (n,); what
    gluon.loss.SoftmaxCrossEntropyLoss computes (whose float32 kernel is ~3.5e-6 off float64)."""
    return -pick(log_softmax(logits), y)


def _as_distributions(p, q=None):
    arrays = []
    for name, value in (('p', p), ('q', q)):
        if value is None:
            continue
        if not isinstance(value, nd.NDArray):
            value = nd.array(value, dtype='float64')
        if value.size == 0:
            raise ValueError('%s is empty; a distribution needs at least one outcome' % name)
        arrays.append((name, value))
    if len(arrays) == 2 and arrays[0][1].shape != arrays[1][1].shape:
        raise ValueError('p and q must have the same shape, got %s and %s'
                         % (arrays[0][1].shape, arrays[1][1].shape))
    for name, value in arrays:
        values = value.asnumpy()
        if (values < 0).any() or not np.isfinite(values).all():
            raise ValueError('%s must hold probabilities >= 0, got a minimum of %g'
                             % (name, np.nanmin(values)))
        sums = values.sum(axis=-1)
        if not np.allclose(sums, 1, atol=1e-4):
            raise ValueError('each %s must sum to 1 along its last axis, got sums %s'
                             % (name, np.round(sums, 6).ravel()[:5].tolist()))
    return [value for _, value in arrays]


def _where_positive(p, values):
    """values where p > 0, else 0: the convention 0 log 0 = 0 (and 0 log q = 0 even for q = 0)."""
    return nd.where(p > 0, values, nd.zeros_like(p)).sum(axis=-1)


def entropy(p):
    """3.4: H(p) = -sum_j p_j log p_j over the last axis of p (..., q) -> (...) in nats."""
    p, = _as_distributions(p)
    return -_where_positive(p, p * nd.where(p > 0, p, nd.ones_like(p)).log())


def distribution_cross_entropy(p, q):
    """3.4: H(p, q) = -sum_j p_j log q_j over the last axis of p, q (..., q) -> (...); inf when
    q_j = 0 where p_j > 0."""
    p, q = _as_distributions(p, q)
    return -_where_positive(p, p * q.log())


def kl_divergence(p, q):
    """3.4: KL(p || q) = sum_j p_j log(p_j / q_j) over the last axis of p, q (..., q) -> (...)."""
    p, q = _as_distributions(p, q)
    safe_p = nd.where(p > 0, p, nd.ones_like(p))
    return _where_positive(p, p * (safe_p.log() - q.log()))


def _json_number(value):
    """A float for JSON; inf and nan become the strings 'inf', '-inf', 'nan' (strict JSON)."""
    value = float(value)
    return value if math.isfinite(value) else str(value)


def _numbers(array):
    return [_json_number(v) for v in array.asnumpy().ravel()]


def _exact_cross_entropy(logits, labels):
    """Cross-entropy in float64 numpy from float32 logits: the demo's reference."""
    logits = logits.astype(np.float64)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -log_probs[np.arange(len(labels)), labels.astype(np.int64)]


def numerical_stability_demo(batch=256, seed=0):
    """3.4: what the naive softmax / cross_entropy do in float32 and what the stable forms do;
    a dict of JSON numbers (inf/nan as strings)."""
    big = nd.array([[0.0, 50.0, 100.0]])           # exp(100) overflows float32
    tiny = nd.array([[-120.0, 0.0]])               # exp(-120) underflows to 0
    label0 = nd.array([0], dtype='int32')
    rng = np.random.RandomState(seed)              # ordinary inputs: logits ~ N(0, 2^2)
    logits = nd.array(rng.normal(scale=2.0, size=(batch, NUM_OUTPUTS)))
    labels = nd.array(rng.randint(0, NUM_OUTPUTS, size=batch), dtype='int32')
    reference = gloss.SoftmaxCrossEntropyLoss()(logits, labels).asnumpy()
    naive = cross_entropy(softmax(logits), labels).asnumpy()
    stable = stable_cross_entropy(logits, labels).asnumpy()
    exact = _exact_cross_entropy(logits.asnumpy(), labels.asnumpy())
    return {
        'exp_50': _json_number(nd.exp(nd.array([50.0])).asscalar()),
        'exp_88': _json_number(nd.exp(nd.array([88.0])).asscalar()),
        'exp_89': _json_number(nd.exp(nd.array([89.0])).asscalar()),
        'exp_minus_120': _json_number(nd.exp(nd.array([-120.0])).asscalar()),
        'float32_exp_limit': FLOAT32_EXP_LIMIT,
        'logits_overflow': big.asnumpy().ravel().tolist(),
        'naive_softmax_overflow': _numbers(softmax(big)),
        'stable_softmax_overflow': _numbers(stable_softmax(big)),
        'logits_underflow': tiny.asnumpy().ravel().tolist(),
        'naive_softmax_underflow': _numbers(softmax(tiny)),
        'naive_cross_entropy_underflow': _numbers(cross_entropy(softmax(tiny), label0)),
        'stable_cross_entropy_underflow': _numbers(stable_cross_entropy(tiny, label0)),
        'ordinary_batch': batch,
        'naive_vs_exact_max_abs_diff': float(np.abs(naive - exact).max()),
        'stable_vs_exact_max_abs_diff': float(np.abs(stable - exact).max()),
        'gluon_vs_exact_max_abs_diff': float(np.abs(reference - exact).max()),
        'stable_vs_gluon_max_abs_diff': float(np.abs(stable - reference).max()),
    }


def run_model_demo(ctx=None, quick=False, out=None, verbose=True):
    """3.4: the numerical-stability demonstration as a section result."""
    final = numerical_stability_demo()
    if verbose:
        print('exp(50) = %s, exp(89) = %s in float32 (limit exp(%.2f))'
              % (final['exp_50'], final['exp_89'], FLOAT32_EXP_LIMIT))
        print('softmax %s: naive %s, stable %s' % (final['logits_overflow'],
              final['naive_softmax_overflow'], final['stable_softmax_overflow']))
        print('cross-entropy of label 0 for logits %s: naive %s, stable %s'
              % (final['logits_underflow'], final['naive_cross_entropy_underflow'],
                 final['stable_cross_entropy_underflow']))
        print('on ordinary logits, max |error| against float64: naive %.2g, stable %.2g, '
              'SoftmaxCrossEntropyLoss %.2g' % (final['naive_vs_exact_max_abs_diff'],
                                                final['stable_vs_exact_max_abs_diff'],
                                                final['gluon_vs_exact_max_abs_diff']))
    return {'hyperparameters': {}, 'history': [], 'final': final, 'figures': []}


# ---------------------------------------------------------------------------------------------
# 3.6 From scratch
# ---------------------------------------------------------------------------------------------

def init_params(ctx=None):
    """3.6: [W (784, 10) ~ N(0, 0.01^2), b (10,) = 0] on one context, with gradients attached."""
    device = as_ctx_list(ctx)[0]
    W = nd.random.normal(scale=0.01, shape=(NUM_INPUTS, NUM_OUTPUTS), ctx=device)
    b = nd.zeros(NUM_OUTPUTS, ctx=device)
    for param in (W, b):
        param.attach_grad()
    return [W, b]


def net_scratch(X, W, b):
    """3.6: softmax regression, X (n, 1, 28, 28) or (n, 784) -> probabilities (n, 10)."""
    return softmax(nd.dot(X.reshape((-1, W.shape[0])), W) + b)


def fit_scratch(params, train_iter, test_iter, num_epochs=5, batch_size=256, lr=0.1, ctx=None,
                verbose=True):
    """3.6: train [W, b] with net_scratch, the book's cross_entropy and sgd via train_ch3;
    returns the per-epoch history."""
    W, b = params
    first_batch = [True]

    def net(X):
        return net_scratch(X, W, b)

    def loss(y_hat, y):
        # check the labels once: a check per batch would wait for each batch on the host
        check, first_batch[0] = first_batch[0], False
        return cross_entropy(y_hat, y, check)

    return train_ch3(net, train_iter, test_iter, loss, num_epochs, batch_size,
                     params=[W, b], lr=lr, ctx=ctx, verbose=verbose)


def predict(net, X, ctx=None):
    """3.6: predicted class indices (n,) of net for images X (n, 1, 28, 28)."""
    device = as_ctx_list(ctx)[0]
    return net(X.as_in_context(device)).argmax(axis=1)


def predictions_figure(net, test_iter, n=9, ctx=None):
    """3.6: the first n test images titled 'true\\npredicted'; returns (Figure, [(true, pred)])."""
    n = check_int('n', n, minimum=1)
    X, y = next(iter(test_iter))
    X, y = X[:n], y[:n]
    true_labels = get_fashion_mnist_labels(y)
    pred_labels = get_fashion_mnist_labels(predict(net, X, ctx))
    titles = [t + '\n' + p for t, p in zip(true_labels, pred_labels)]
    return show_fashion_mnist(X, titles), list(zip(true_labels, pred_labels))


def min_true_class_probability(net, data_iter, ctx=None):
    """3.6: the smallest probability net gives any example's true class (how close the book's
    log is to log 0)."""
    device = as_ctx_list(ctx)[0]
    lowest = nd.array([1.0], ctx=device)
    for X, y in data_iter:
        probs = net(X.as_in_context(device))
        lowest = nd.minimum(lowest, pick(probs, y.as_in_context(device)).min())
    return float(lowest.asscalar())


def _num_train_examples(subset):
    num_train = len(load_fashion_mnist_arrays(train=True)[1])
    return min(subset or num_train, num_train)


def _prepare(ctx, quick, num_epochs, batch_size, lr, subset, pipeline, kvstore=DEFAULT_KVSTORE):
    check_training_args(batch_size=batch_size, lr=lr, num_epochs=num_epochs)
    contexts = as_ctx_list(ctx)
    if quick:
        subset = min(subset, QUICK_SUBSET) if subset else QUICK_SUBSET
        num_epochs = min(num_epochs, QUICK_EPOCHS)
    # a distributed worker trains on its shard of the training set (by rank)
    worker = start_worker(kvstore, num_examples=lambda: _num_train_examples(subset))
    # one device: deliver batches there directly; several: keep them on the CPU and split
    data_ctx = contexts[0] if len(contexts) == 1 else None
    train_iter, test_iter = load_data_fashion_mnist(batch_size, subset=subset, pipeline=pipeline,
                                                    ctx=data_ctx, shard=worker.shard)
    hyperparameters = {'num_epochs': num_epochs, 'batch_size': batch_size, 'lr': lr,
                       'subset': subset, 'pipeline': pipeline}
    hyperparameters.update(worker.hyperparameters())
    return contexts, train_iter, test_iter, hyperparameters, worker


def _result(hyperparameters, history, extra, figures):
    final = {'loss': history[-1]['loss'] if history else None,
             'train_acc': history[-1]['train_acc'] if history else None,
             'test_acc': history[-1]['test_acc'] if history else None,
             'seconds_per_epoch': (sum(h['seconds'] for h in history) / len(history)
                                   if history else None)}
    final.update(extra)
    return {'hyperparameters': hyperparameters, 'history': history, 'final': final,
            'figures': figures}


def train_scratch(ctx=None, quick=False, out=None, num_epochs=5, batch_size=256, lr=0.1,
                  subset=None, pipeline='fast', verbose=True):
    """3.6: softmax regression from scratch on Fashion-MNIST (one context); returns the history,
    final loss/accuracies and the predictions grid."""
    contexts = as_ctx_list(ctx)
    if len(contexts) > 1:
        raise ValueError('the from-scratch model keeps W and b on one device; pass one ctx '
                         '(got %s) or use the Gluon version for several' % contexts)
    contexts, train_iter, test_iter, hyperparameters, _ = _prepare(
        contexts, quick, num_epochs, batch_size, lr, subset, pipeline)
    W, b = init_params(contexts)
    history = fit_scratch([W, b], train_iter, test_iter, hyperparameters['num_epochs'],
                          batch_size, lr, contexts, verbose)

    def net(X):
        return net_scratch(X, W, b)

    fig, pairs = predictions_figure(net, test_iter, ctx=contexts)
    figures = [finish(fig, out, 'softmax_scratch_predictions.png')] if out else []
    extra = {'min_true_class_probability': min_true_class_probability(net, test_iter, contexts),
             'predictions': [list(p) for p in pairs]}
    return _result(hyperparameters, history, extra, figures)


# ---------------------------------------------------------------------------------------------
# 3.7 Gluon
# ---------------------------------------------------------------------------------------------

def build_gluon_net(ctx=None):
    """3.7: nn.Dense(10) (flattens (n, 1, 28, 28) to (n, 784)), init.Normal(0.01), hybridized,
    on every context given -> logits (n, 10)."""
    net = nn.HybridSequential()
    net.add(nn.Dense(NUM_OUTPUTS))
    net.initialize(init.Normal(sigma=0.01), ctx=as_ctx_list(ctx))
    net.hybridize(static_alloc=True)
    return net


def fit_gluon(net, train_iter, test_iter, num_epochs=5, batch_size=256, lr=0.1, ctx=None,
              verbose=True, worker=None):
    """3.7: train net with SoftmaxCrossEntropyLoss and Trainer('sgd') via train_ch3 (on the
    kvstore of `worker`, a ch3.distributed.Worker; default 'device'); returns the history."""
    loss = gloss.SoftmaxCrossEntropyLoss()
    trainer = (worker or Worker()).trainer(net.collect_params(), 'sgd', {'learning_rate': lr},
                                           batch_size)
    return train_ch3(net, train_iter, test_iter, loss, num_epochs, batch_size, trainer=trainer,
                     ctx=ctx, verbose=verbose)


def train_gluon(ctx=None, quick=False, out=None, num_epochs=5, batch_size=256, lr=0.1,
                subset=None, pipeline='fast', kvstore=DEFAULT_KVSTORE, verbose=True):
    """3.7: softmax regression with Gluon on Fashion-MNIST (any contexts; kvstore: MXNet's, e.g.
    'dist_sync' in a launched job, which trains on this worker's shard); returns the history,
    final loss/accuracies and the predictions grid."""
    contexts, train_iter, test_iter, hyperparameters, worker = _prepare(
        ctx, quick, num_epochs, batch_size, lr, subset, pipeline, kvstore)
    out = worker.folder(out)
    net = build_gluon_net(contexts)
    history = fit_gluon(net, train_iter, test_iter, hyperparameters['num_epochs'], batch_size,
                        lr, contexts, verbose, worker)
    fig, pairs = predictions_figure(net, test_iter, ctx=contexts)
    figures = [finish(fig, out, 'softmax_gluon_predictions.png')] if out else []
    extra = {'predictions': [list(p) for p in pairs]}
    extra.update(worker.summary(net))
    return _result(hyperparameters, history, extra, figures)


BOOK = {'test_acc': 0.826, 'source': 'd2lzh code, seed 0, this machine (5 epochs)',
        'test_acc_pytorch': 0.825, 'target_test_acc': 0.82}

SECTIONS = [
    Section('3.4', 'Softmax regression: softmax, cross-entropy and numerical stability',
            {'scratch': run_model_demo}, default_impl='scratch',
            book={'exp_50': 5.184705528587072e+21,
                  'note': "the notes' hint: exp(50) is large; float32 overflows above exp(88.72)"}),
    Section('3.6', 'Softmax regression from scratch',
            {'scratch': train_scratch, 'gluon': train_gluon}, default_impl='scratch', book=BOOK),
    Section('3.7', 'Concise softmax regression (Gluon)',
            {'scratch': train_scratch, 'gluon': train_gluon}, default_impl='gluon', book=BOOK),
]
