"""Sections 3.1-3.3: linear regression, vectorized, from scratch (3.2) and with Gluon (3.3).

3.1  Model and loss, for an example x (1, d):  y_hat = x w + b,  l(w, b) = (y_hat - y)^2 / 2.
     Minibatch SGD over a batch B of size |B| with learning rate lr:
         (w, b) <- (w, b) - lr / |B| * sum_{i in B} grad_{(w, b)} l_i(w, b).
     Vectorized: a batch X (n, d) gives y_hat = X w + b (n, 1) in one matrix product, and adding
     two vectors as one NDArray operation is much faster than adding them element by element.
3.2  The data: 1000 examples, X ~ N(0, 1) (1000, 2), labels = X [2, -3.4]^T + 4.2 + eps with
     eps ~ N(0, 0.01^2). w ~ N(0, 0.01^2) (2, 1), b = 0; data_iter, linreg, squared_loss and sgd
     (ch3.book.training) train it for 3 epochs, batch 10, lr 0.03.
3.3  Gluon: ArrayDataset + DataLoader(shuffle=True), nn.Dense(1) with init.Normal(sigma=0.01),
     L2Loss (the same (y_hat - y)^2 / 2) and Trainer('sgd', learning_rate 0.03).
"""
from mxnet import autograd, gluon, init, nd
from mxnet.gluon import data as gdata, loss as gloss, nn

from ch3.book.plotting import new_figure
from ch3.book.training import check_diverged, data_iter, linreg, sgd, squared_loss
from ch3.checks import check_int, check_training_args
from ch3.context import as_ctx_list
from ch3.data.synthetic import synthetic_linear_data

num_inputs, num_examples = 2, 1000
true_w, true_b = [2, -3.4], 4.2


# --- 3.1 vectorization ---------------------------------------------------------------------------

def add_elementwise(a, b):
    """3.1: c = a + b for two vectors (n,), one scalar at a time in a Python loop -> (n,)."""
    c = nd.zeros(shape=a.shape, ctx=a.context)
    for i in range(a.shape[0]):
        c[i] = a[i] + b[i]
    return c


def add_vectorized(a, b):
    """3.1: c = a + b for two vectors (n,) as one NDArray operation -> (n,)."""
    return a + b


# --- 3.2 from scratch ----------------------------------------------------------------------------

def make_data(num_examples=num_examples, ctx=None):
    """3.2: features (n, 2) ~ N(0, 1) and labels (n,) = features [2, -3.4] + 4.2 + N(0, 0.01^2)."""
    check_int('num_examples', num_examples, minimum=1)
    return synthetic_linear_data(true_w, true_b, num_examples, noise=0.01, ctx=ctx)


def scatter_figure(features, labels):
    """3.2: the second feature (n,) against the labels (n,) as a scatter plot (a Figure)."""
    fig, ax = new_figure()
    ax.scatter(features[:, 1].asnumpy(), labels.asnumpy(), 1)
    ax.set_xlabel('features[:, 1]')
    ax.set_ylabel('labels')
    return fig


def init_params(num_inputs=num_inputs, ctx=None):
    """3.2: [w (d, 1) ~ N(0, 0.01^2), b (1,) = 0] with gradients attached."""
    device = as_ctx_list(ctx)[0]
    w = nd.random.normal(scale=0.01, shape=(num_inputs, 1), ctx=device)
    b = nd.zeros(shape=(1,), ctx=device)
    for param in (w, b):
        param.attach_grad()
    return [w, b]


def _epoch_loss(net, loss, features, labels, epoch, lr, verbose, start=None):
    train_l = check_diverged(loss(net(features), labels).mean().asscalar(), start, epoch, lr)
    if verbose:
        print('epoch %d, loss %f' % (epoch, train_l))
    return {'epoch': epoch, 'loss': train_l}


def train_scratch(features, labels, num_epochs=3, batch_size=10, lr=0.03, ctx=None,
                  verbose=True):
    """3.2: the book's loop (data_iter, linreg, squared_loss, sgd) on features (n, d), labels (n,);
    returns ([w (d, 1), b (1,)], [{'epoch', 'loss'}]), the loss over all examples per epoch."""
    check_training_args(batch_size=batch_size, lr=lr, num_epochs=num_epochs)
    device = as_ctx_list(ctx)[0]
    features, labels = features.as_in_context(device), labels.as_in_context(device)
    w, b = init_params(features.shape[1], device)
    net, loss = linreg, squared_loss
    start = loss(net(features, w, b), labels).mean().asscalar()
    history = []
    for epoch in range(1, num_epochs + 1):
        for X, y in data_iter(batch_size, features, labels):
            with autograd.record():
                l = loss(net(X, w, b), y)   # l (batch, 1): backward sums it over the batch
            l.backward()
            sgd([w, b], lr, batch_size)
        history.append(_epoch_loss(lambda X: net(X, w, b), loss, features, labels, epoch, lr,
                                   verbose, start))
    return [w, b], history


# --- 3.3 Gluon -----------------------------------------------------------------------------------

def gluon_net(ctx=None):
    """3.3: nn.Dense(1) with init.Normal(sigma=0.01) (bias 0) on every device of ctx:
    X (n, d) -> y_hat (n, 1)."""
    net = nn.Sequential()
    net.add(nn.Dense(1))
    net.initialize(init.Normal(sigma=0.01), ctx=as_ctx_list(ctx))
    return net


def train_gluon(net, features, labels, num_epochs=3, batch_size=10, lr=0.03, *, trainer=None,
                ctx=None, verbose=True):
    """3.3: the book's Gluon loop (DataLoader, L2Loss, Trainer('sgd')) on features (n, d),
    labels (n,) on the device ctx; returns ([weight (1, d), bias (1,)], [{'epoch', 'loss'}])."""
    check_training_args(batch_size=batch_size, lr=lr, num_epochs=num_epochs)
    device = as_ctx_list(ctx)[0]
    features, labels = features.as_in_context(device), labels.as_in_context(device)
    data_iter = gdata.DataLoader(gdata.ArrayDataset(features, labels), batch_size, shuffle=True)
    loss = gloss.L2Loss()
    trainer = trainer or gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': lr})
    start = loss(net(features), labels).mean().asscalar()
    history = []
    for epoch in range(1, num_epochs + 1):
        for X, y in data_iter:
            with autograd.record():
                l = loss(net(X), y)
            l.backward()
            trainer.step(batch_size)
        history.append(_epoch_loss(net, loss, features, labels, epoch, lr, verbose, start))
    return [net[0].weight.data(device), net[0].bias.data(device)], history
