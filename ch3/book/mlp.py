"""Sections 3.9 and 3.10: the multilayer perceptron on Fashion-MNIST, from scratch and with Gluon.

3.9  One hidden layer of h = 256 ReLU units:
         H = relu(X W1 + b1),   O = H W2 + b2,   relu(x) = max(x, 0),
     X (n, 784), W1 (784, 256), b1 (256,), W2 (256, 10), b2 (10,); weights ~ N(0, 0.01^2), biases 0.
     Loss: Gluon's SoftmaxCrossEntropyLoss (softmax and cross-entropy in one stable step);
     train_ch3 with sgd, batch 256, lr 0.5, 5 epochs.
3.10 Gluon: nn.Dense(256, activation='relu') and nn.Dense(10), init.Normal(sigma=0.01), the same
     loss, Trainer('sgd', learning_rate 0.5) and train_ch3.
More hidden layers, other activations and the conversion between the two layouts are
ch3.book.deep_mlp's.
"""
from mxnet import gluon, init, nd
from mxnet.gluon import loss as gloss, nn

from ch3.book.activations import relu
from ch3.book.training import train_ch3
from ch3.checks import check_weight_shapes

num_inputs, num_outputs, num_hiddens = 784, 10, 256   # 28 x 28 pixels, 10 classes, the book's h


# --- 3.9 from scratch ---------------------------------------------------------------------------

def init_params(num_hiddens=num_hiddens, ctx=None):
    """3.9: [W1 (784, 256), b1 (256,), W2 (256, 10), b2 (10,)], W ~ N(0, 0.01^2), b = 0, with
    gradients attached."""
    check_weight_shapes((num_inputs, num_hiddens), (num_hiddens, num_outputs))
    W1 = nd.random.normal(scale=0.01, shape=(num_inputs, num_hiddens), ctx=ctx)
    b1 = nd.zeros(num_hiddens, ctx=ctx)
    W2 = nd.random.normal(scale=0.01, shape=(num_hiddens, num_outputs), ctx=ctx)
    b2 = nd.zeros(num_outputs, ctx=ctx)
    params = [W1, b1, W2, b2]
    for param in params:
        param.attach_grad()
    return params


def net(X, params):
    """3.9: logits (n, 10) of X (n, 1, 28, 28) or (n, 784), params = [W1, b1, W2, b2]."""
    W1, b1, W2, b2 = params
    X = X.reshape((-1, num_inputs))
    H = relu(nd.dot(X, W1) + b1)
    return nd.dot(H, W2) + b2


def train_scratch(train_iter, test_iter, num_epochs=5, batch_size=256, lr=0.5, *,
                  num_hiddens=num_hiddens, ctx=None, verbose=True):
    """3.9: the book's run: init_params, net with SoftmaxCrossEntropyLoss and sgd via train_ch3;
    returns (params, per-epoch history)."""
    params = init_params(num_hiddens, ctx)
    loss = gloss.SoftmaxCrossEntropyLoss()
    history = train_ch3(lambda X: net(X, params), train_iter, test_iter, loss, num_epochs,
                        batch_size, params, lr, verbose=verbose)
    return params, history


# --- 3.10 Gluon ---------------------------------------------------------------------------------

def gluon_net(num_hiddens=num_hiddens, ctx=None):
    """3.10: nn.Dense(256, activation='relu'), nn.Dense(10), init.Normal(0.01), hybridized:
    (n, 1, 28, 28) or (n, 784) -> logits (n, 10); ctx: a device or a list of them."""
    net = nn.HybridSequential()
    net.add(nn.Dense(num_hiddens, activation='relu'), nn.Dense(num_outputs))
    net.initialize(init.Normal(sigma=0.01), ctx=ctx)
    net.hybridize(static_alloc=True)
    return net


def train_gluon(net, train_iter, test_iter, num_epochs=5, batch_size=256, lr=0.5, *,
                trainer=None, verbose=True):
    """3.10: train net with SoftmaxCrossEntropyLoss and Trainer('sgd') via train_ch3 (a trainer
    may be given instead); returns the per-epoch history."""
    loss = gloss.SoftmaxCrossEntropyLoss()
    trainer = trainer or gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': lr})
    return train_ch3(net, train_iter, test_iter, loss, num_epochs, batch_size, None, None,
                     trainer, verbose=verbose)
