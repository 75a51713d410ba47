"""Section 3.13: dropout (inverted dropout), from scratch and with Gluon's nn.Dropout.

With drop probability p, each hidden unit h_i is replaced while training by
    h_i' = xi_i / (1 - p) * h_i,   xi_i = 0 with probability p, 1 with probability 1 - p,
so E[h_i'] = E[xi_i] / (1 - p) * h_i = h_i: dropout leaves the expectation unchanged. At test time
(autograd.is_training() is False) nothing is dropped.
The network is 3.9's MLP with two hidden layers, 784 -> 256 -> 256 -> 10, ReLU,
dropout after each hidden layer with drop_prob1 = 0.2 (near the input) and drop_prob2 = 0.5;
weights N(0, 0.01^2), biases 0, SoftmaxCrossEntropyLoss, train_ch3 with batch 256, lr 0.5,
5 epochs. Gluon: Dense(256, relu), Dropout(0.2), Dense(256, relu), Dropout(0.5), Dense(10).
"""
from mxnet import autograd, init, nd
from mxnet.gluon import loss as gloss, nn

from ch3.book.activations import relu
from ch3.book.training import train_ch3
from ch3.checks import check_drop_prob, check_weight_shapes

num_inputs, num_outputs, num_hiddens1, num_hiddens2 = 784, 10, 256, 256
drop_prob1, drop_prob2 = 0.2, 0.5


def dropout(X, drop_prob):
    """3.13: X (any shape) with each element zeroed with probability drop_prob and the others
    divided by 1 - drop_prob; drop_prob = 1 gives zeros."""
    keep_prob = 1 - check_drop_prob(drop_prob)
    if keep_prob == 0:   # every element dropped (and no division by zero)
        return X.zeros_like()
    mask = nd.random.uniform(0, 1, X.shape, ctx=X.context) < keep_prob
    return mask * X / keep_prob


def dropout_examples(drop_probs=(0, 0.5, 1)):
    """3.13: the book's check of dropout on X = nd.arange(16).reshape((2, 8)):
    [(drop_prob, dropout(X, drop_prob)) ...] and X."""
    X = nd.arange(16).reshape((2, 8))
    return [(p, dropout(X, p)) for p in drop_probs], X


def init_params(num_hiddens1=num_hiddens1, num_hiddens2=num_hiddens2, ctx=None):
    """3.13: [W1 (784, 256), b1, W2 (256, 256), b2, W3 (256, 10), b3], W ~ N(0, 0.01^2), b = 0,
    with gradients attached."""
    check_weight_shapes((num_inputs, num_hiddens1), (num_hiddens1, num_hiddens2),
                        (num_hiddens2, num_outputs))
    W1 = nd.random.normal(scale=0.01, shape=(num_inputs, num_hiddens1), ctx=ctx)
    b1 = nd.zeros(num_hiddens1, ctx=ctx)
    W2 = nd.random.normal(scale=0.01, shape=(num_hiddens1, num_hiddens2), ctx=ctx)
    b2 = nd.zeros(num_hiddens2, ctx=ctx)
    W3 = nd.random.normal(scale=0.01, shape=(num_hiddens2, num_outputs), ctx=ctx)
    b3 = nd.zeros(num_outputs, ctx=ctx)
    params = [W1, b1, W2, b2, W3, b3]
    for param in params:
        param.attach_grad()
    return params


def net(X, params, drop_prob1=drop_prob1, drop_prob2=drop_prob2):
    """3.13: logits (n, 10) of X (n, 1, 28, 28), params = [W1, b1, W2, b2, W3, b3]; hidden
    units are dropped (drop_prob1 after layer 1, drop_prob2 after layer 2) only while training."""
    W1, b1, W2, b2, W3, b3 = params
    X = X.reshape((-1, num_inputs))
    H1 = relu(nd.dot(X, W1) + b1)
    if autograd.is_training():   # dropout only while training
        H1 = dropout(H1, drop_prob1)   # after the first fully connected layer
    H2 = relu(nd.dot(H1, W2) + b2)
    if autograd.is_training():
        H2 = dropout(H2, drop_prob2)   # after the second fully connected layer
    return nd.dot(H2, W3) + b3


def train_scratch(train_iter, test_iter, num_epochs=5, batch_size=256, lr=0.5, *,
                  num_hiddens1=num_hiddens1, num_hiddens2=num_hiddens2, drop_prob1=drop_prob1,
                  drop_prob2=drop_prob2, ctx=None, verbose=True):
    """3.13: the book's run: init_params, net with SoftmaxCrossEntropyLoss and sgd via
    train_ch3; returns (params, per-epoch history)."""
    check_drop_prob(drop_prob1, 'drop_prob1')
    check_drop_prob(drop_prob2, 'drop_prob2')
    params = init_params(num_hiddens1, num_hiddens2, ctx)
    loss = gloss.SoftmaxCrossEntropyLoss()
    history = train_ch3(lambda X: net(X, params, drop_prob1, drop_prob2), train_iter, test_iter,
                        loss, num_epochs, batch_size, params, lr, verbose=verbose)
    return params, history


def gluon_net(num_hiddens1=num_hiddens1, num_hiddens2=num_hiddens2, drop_prob1=drop_prob1,
              drop_prob2=drop_prob2, ctx=None):
    """3.13: Dense(256, relu), Dropout(drop_prob1), Dense(256, relu), Dropout(drop_prob2),
    Dense(10), init.Normal(0.01), hybridized: (n, 1, 28, 28) -> logits (n, 10); train it with
    ch3.book.mlp.train_gluon. ctx: a device or a list of them."""
    check_drop_prob(drop_prob1, 'drop_prob1')
    check_drop_prob(drop_prob2, 'drop_prob2')
    net = nn.HybridSequential()
    net.add(nn.Dense(num_hiddens1, activation='relu'),
            nn.Dropout(drop_prob1),   # after the first fully connected layer
            nn.Dense(num_hiddens2, activation='relu'),
            nn.Dropout(drop_prob2),   # after the second fully connected layer
            nn.Dense(num_outputs))
    net.initialize(init.Normal(sigma=0.01), ctx=ctx)
    net.hybridize(static_alloc=True)
    return net
