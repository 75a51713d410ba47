"""Sections 3.4, 3.6 and 3.7: softmax regression, from scratch and with Gluon.

3.4  Model, for one example x (1, d) and q classes:
         o = x W + b,   y_hat = softmax(o),   softmax(o)_j = exp(o_j) / sum_k exp(o_k)
     Cross-entropy loss of the true class y:  l = -log y_hat_y  (= H(onehot(y), y_hat)).
     For distributions p, q over the classes:
         H(p) = -sum_j p_j log p_j,   H(p, q) = -sum_j p_j log q_j,
         KL(p || q) = sum_j p_j log(p_j / q_j),   H(p, q) = H(p) + KL(p || q),
     so minimising the cross-entropy to the labels minimises the KL divergence to them.
     Stable forms (float32 overflows above exp(88.72) and underflows below exp(-103)):
         softmax(o) = softmax(o - max_k o_k)
         log softmax(o)_j = (o_j - m) - log sum_k exp(o_k - m),  m = max_k o_k   (log-sum-exp)
3.6  From scratch: W ~ N(0, 0.01^2) (784, 10), b = 0, net(X) = softmax(X.reshape(-1, 784) W + b),
     cross_entropy as the loss, minibatch SGD (batch 256, lr 0.1, 5 epochs) with train_ch3.
3.7  Gluon: nn.Dense(10) with init.Normal(sigma=0.01), SoftmaxCrossEntropyLoss (the stable form,
     from logits) and Trainer('sgd', learning_rate 0.1).
"""
import numpy as np
from mxnet import gluon, init, nd
from mxnet.gluon import loss as gloss, nn

from ch3.book.training import train_ch3
from ch3.checks import as_distributions, check_logits, check_picked
from ch3.context import as_ctx_list

num_inputs, num_outputs = 784, 10   # 28 x 28 pixels, 10 classes
FLOAT32_EXP_LIMIT = float(np.log(np.finfo(np.float32).max))   # exp(x) = inf in float32 above


# --- 3.4 softmax, cross-entropy, their stable forms, entropy and KL divergence ------------------

def softmax(X):
    """3.6: the book's softmax of each row of X (n, q) -> (n, q); overflows above ~88.7."""
    check_logits(X, 'softmax')
    X_exp = X.exp()
    partition = X_exp.sum(axis=1, keepdims=True)
    return X_exp / partition   # broadcast: each row divided by its own sum


def stable_softmax(X):
    """3.4: softmax(X - row max) of X (n, q) -> (n, q): exp never overflows."""
    check_logits(X, 'stable_softmax')
    X_exp = (X - X.max(axis=1, keepdims=True)).exp()
    return X_exp / X_exp.sum(axis=1, keepdims=True)


def log_softmax(X):
    """3.4: log softmax of each row of X (n, q) by log-sum-exp -> (n, q)."""
    check_logits(X, 'log_softmax')
    shifted = X - X.max(axis=1, keepdims=True)
    return shifted - shifted.exp().sum(axis=1, keepdims=True).log()


def pick(y_hat, y):
    """3.6: y_hat[i, y[i]] for y_hat (n, q) and labels y (n,) -> (n,)."""
    check_picked(y_hat, y)
    return nd.pick(y_hat, y)


def cross_entropy(y_hat, y):
    """3.6: the book's loss -log y_hat[i, y[i]] from probabilities y_hat (n, q) -> (n,)."""
    return -pick(y_hat, y).log()


def stable_cross_entropy(logits, y):
    """3.4: cross-entropy from logits (n, q) via log_softmax -> (n,); Gluon's loss computes this."""
    return -pick(log_softmax(logits), y)


def _sum_where_p(p, values):
    """sum_j values_j over the j with p_j > 0: the convention 0 log 0 = 0."""
    return nd.where(p > 0, values, nd.zeros_like(p)).sum(axis=-1)


def _safe_log(p):
    return nd.where(p > 0, p, nd.ones_like(p)).log()


def entropy(p):
    """3.4: H(p) = -sum_j p_j log p_j over the last axis of p (..., q) -> (...) in nats."""
    p, = as_distributions(p)
    return -_sum_where_p(p, p * _safe_log(p))


def distribution_cross_entropy(p, q):
    """3.4: H(p, q) = -sum_j p_j log q_j over the last axis (..., q) -> (...)."""
    p, q = as_distributions(p, q)
    return -_sum_where_p(p, p * q.log())


def kl_divergence(p, q):
    """3.4: KL(p || q) = sum_j p_j log(p_j / q_j) over the last axis (..., q) -> (...)."""
    p, q = as_distributions(p, q)
    return _sum_where_p(p, p * (_safe_log(p) - q.log()))


def exact_cross_entropy(logits, labels):
    """3.4: cross-entropy in float64 numpy from logits (n, q), labels (n,): the reference."""
    logits = np.asarray(logits, dtype=np.float64)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -log_probs[np.arange(len(labels)), np.asarray(labels, dtype=np.int64)]


# --- 3.6 from scratch ---------------------------------------------------------------------------

def init_params(ctx=None):
    """3.6: [W (784, 10) ~ N(0, 0.01^2), b (10,) = 0] with gradients attached."""
    device = as_ctx_list(ctx)[0]
    W = nd.random.normal(scale=0.01, shape=(num_inputs, num_outputs), ctx=device)
    b = nd.zeros(num_outputs, ctx=device)
    for param in (W, b):
        param.attach_grad()
    return [W, b]


def net(X, W, b):
    """3.6: softmax regression, X (n, 1, 28, 28) or (n, 784) -> probabilities (n, 10)."""
    return softmax(nd.dot(X.reshape((-1, num_inputs)), W) + b)


def accuracy(y_hat, y):
    """3.6: the fraction of rows of y_hat (n, q) whose largest entry is at the label y (n,)."""
    return (y_hat.argmax(axis=1) == y.astype('float32')).mean().asscalar()


def train_scratch(train_iter, test_iter, num_epochs=5, batch_size=256, lr=0.1, *, ctx=None,
                  verbose=True):
    """3.6: the book's run: init W, b and train net with cross_entropy and sgd via train_ch3;
    returns ([W, b], per-epoch history)."""
    W, b = init_params(ctx)
    history = train_ch3(lambda X: net(X, W, b), train_iter, test_iter, cross_entropy,
                        num_epochs, batch_size, [W, b], lr, verbose=verbose)
    return [W, b], history


# --- 3.7 Gluon ----------------------------------------------------------------------------------

def gluon_net(ctx=None):
    """3.7: nn.Dense(10) (flattens (n, 1, 28, 28) to (n, 784)), init.Normal(0.01), hybridized;
    on every device of ctx -> logits (n, 10)."""
    net = nn.HybridSequential()
    net.add(nn.Dense(num_outputs))
    net.initialize(init.Normal(sigma=0.01), ctx=as_ctx_list(ctx))
    net.hybridize(static_alloc=True)
    return net


def train_gluon(net, train_iter, test_iter, num_epochs=5, batch_size=256, lr=0.1, *,
                trainer=None, verbose=True):
    """3.7: train net with SoftmaxCrossEntropyLoss and Trainer('sgd') via train_ch3 (a trainer
    may be given instead); returns the per-epoch history."""
    loss = gloss.SoftmaxCrossEntropyLoss()
    trainer = trainer or gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': lr})
    return train_ch3(net, train_iter, test_iter, loss, num_epochs, batch_size, None, None,
                     trainer, verbose=verbose)


# --- predictions (3.6) --------------------------------------------------------------------------

def predict(net, X, ctx=None):
    """3.6: predicted class indices (n,) of net for images X (n, 1, 28, 28)."""
    return net(X.as_in_context(as_ctx_list(ctx)[0])).argmax(axis=1)


def min_true_class_probability(net, data_iter, ctx=None):
    """3.6: the smallest probability net (giving probabilities) gives any example's true class:
    how close the book's log comes to log 0."""
    device = as_ctx_list(ctx)[0]
    lowest = nd.array([1.0], ctx=device)
    for X, y in data_iter:
        probs = net(X.as_in_context(device))
        lowest = nd.minimum(lowest, nd.pick(probs, y.as_in_context(device)).min())
    return float(lowest.asscalar())
