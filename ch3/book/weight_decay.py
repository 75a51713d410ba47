"""Section 3.12: weight decay (L2 norm regularization), from scratch and with Gluon.

The loss plus an L2 penalty on the weights (not the bias), as the book's code computes it:
    l(w, b) + (lambd / 2) ||w||^2,   l(w, b) the squared loss of one example,
so that, with the penalty added to every example of a minibatch B, minibatch SGD becomes
    w <- (1 - lr * lambd) w - lr / |B| * sum_{i in B} x_i^T (x_i w + b - y_i),
    b <- b - lr / |B| * sum_{i in B} (x_i w + b - y_i):
the weights first shrink by the factor 1 - lr * lambd ("decay"), then take the usual step.
From scratch l2_penalty(w) = ||w||^2 / 2 is added to each example's loss; in Gluon the Trainer's
`wd` does the same decay, given to a Trainer of the weights only (a second Trainer steps the bias).

High-dimensional linear regression that overfits: n_train = 20, n_test = 100, 200 inputs,
    y = 0.05 + sum_j 0.01 x_j + eps,   eps ~ N(0, 0.01^2),
w ~ N(0, 1), b = 0, batch 1, lr 0.003, 100 epochs, lambd (wd) = 0 against 3.

Closed forms for where SGD should end: for lambd > 0 the ridge solution of
    (A^T A / n + lambd D) [w; b] = A^T y / n,   A = [X 1], D = diag(1, ..., 1, 0);
for lambd = 0 (n < d, infinitely many interpolating solutions) SGD only moves within the span of
the training examples, so it ends at the least-squares solution nearest to its start [w0; b0]:
    [w; b] = [w0; b0] + pinv(A) (y - A [w0; b0]).
"""
import numpy as np
from mxnet import autograd, gluon, init, nd
from mxnet.gluon import loss as gloss, nn

from ch3.book.model_selection import epoch_losses, loss_curves, train_loss
from ch3.book.plotting import semilogy
from ch3.book.training import data_iter, linreg, sgd, squared_loss
from ch3.checks import check_fit_data, check_int, check_nonnegative, check_training_args
from ch3.context import as_ctx_list
from ch3.data.synthetic import synthetic_linear_data

n_train, n_test, num_inputs = 20, 100, 200
true_w_value, true_b = 0.01, 0.05
NOISE = 0.01


def make_data(n_train=n_train, n_test=n_test, num_inputs=num_inputs, ctx=None):
    """3.12: (train_features (n_train, d), test_features (n_test, d), train_labels (n_train,),
    test_labels (n_test,)) with y = 0.05 + 0.01 sum_j x_j + N(0, 0.01^2)."""
    check_int('n_train', n_train, minimum=1)
    check_int('n_test', n_test, minimum=1)
    check_int('num_inputs', num_inputs, minimum=1)
    features, labels = synthetic_linear_data([true_w_value] * num_inputs, true_b,
                                             n_train + n_test, noise=NOISE, ctx=ctx)
    return features[:n_train], features[n_train:], labels[:n_train], labels[n_train:]


def _numpy64(a):
    return np.asarray(a.asnumpy() if isinstance(a, nd.NDArray) else a, dtype=np.float64)


def weight_decay_solution(train_features, train_labels, lambd, w0=None, b0=0.0):
    """3.12: closed-form end point of SGD on the penalized loss -> (w (d,), b), in float64.

    Ridge regression (bias not penalized) for lambd > 0; for lambd = 0 the least-squares solution
    nearest to the initial (w0 (d,), b0), which is where SGD from that start converges.
    """
    lambd = check_nonnegative('lambd', lambd)
    X = _numpy64(train_features)
    y = _numpy64(train_labels).reshape(-1)
    n, d = X.shape
    A = np.hstack([X, np.ones((n, 1))])
    if lambd > 0:
        penalty = np.diag(np.r_[np.full(d, lambd), 0.0])
        theta = np.linalg.solve(A.T @ A / n + penalty, A.T @ y / n)
    else:
        if w0 is None:
            raise ValueError('with lambd=0 the solution depends on where SGD starts: pass the '
                             'initial weights w0 (and b0)')
        theta0 = np.r_[_numpy64(w0).reshape(-1), float(b0)]
        theta = theta0 + np.linalg.pinv(A) @ (y - A @ theta0)
    return theta[:-1], float(theta[-1])


def _on_device(data, device):
    if len(data) != 4:
        raise ValueError('data must be (train_features, test_features, train_labels, '
                         'test_labels) as returned by make_data, got %d items' % len(data))
    check_fit_data(*data)
    return tuple(a.as_in_context(device) for a in data)


# --- from scratch ------------------------------------------------------------------------------

def init_params(num_inputs=num_inputs, ctx=None):
    """3.12: [w (num_inputs, 1) ~ N(0, 1), b (1,) = 0], gradients attached."""
    device = as_ctx_list(ctx)[0]
    w = nd.random.normal(scale=1, shape=(num_inputs, 1), ctx=device)
    b = nd.zeros(shape=(1,), ctx=device)
    for param in (w, b):
        param.attach_grad()
    return [w, b]


def l2_penalty(w):
    """3.12: the L2 norm penalty ||w||^2 / 2 of w (d, 1) -> (1,)."""
    return (w ** 2).sum() / 2


def fit_scratch(lambd, data, num_epochs=100, lr=0.003, batch_size=1, params=None, ctx=None):
    """3.12: the book's fit_and_plot(lambd) loop, loss + lambd * l2_penalty(w) with sgd, on
    make_data's 4-tuple; params is an optional start [w (d, 1), b (1,)] (copied). Returns
    ([w, b], [{'epoch', 'train_loss', 'test_loss'}])."""
    lambd = check_nonnegative('lambd', lambd)
    check_training_args(batch_size=batch_size, lr=lr, num_epochs=num_epochs)
    device = as_ctx_list(ctx)[0]
    data = _on_device(data, device)
    if params is None:
        w, b = init_params(data[0].shape[1], device)
    else:
        w, b = (p.copyto(device) for p in params)
        for param in (w, b):
            param.attach_grad()
    start = train_loss(lambda X: linreg(X, w, b), squared_loss, data)
    history = []
    for epoch in range(1, num_epochs + 1):
        for X, y in data_iter(batch_size, data[0], data[2]):
            with autograd.record():
                # added to every example's loss: after sgd's division by the batch size the
                # update carries exactly lambd * w
                l = squared_loss(linreg(X, w, b), y) + lambd * l2_penalty(w)
            l.backward()
            sgd([w, b], lr, batch_size)
        history.append(epoch_losses(lambda X: linreg(X, w, b), squared_loss, data, epoch, lr,
                                    start))
    return [w, b], history


# --- Gluon -------------------------------------------------------------------------------------

def gluon_net(num_inputs=num_inputs, ctx=None):
    """3.12: nn.Dense(1) with init.Normal(sigma=1) weights (bias 0): X (n, d) -> (n, 1)."""
    net = nn.Sequential()
    net.add(nn.Dense(1, in_units=num_inputs))
    net.initialize(init.Normal(sigma=1), ctx=as_ctx_list(ctx))
    return net


def gluon_trainers(net, wd, lr=0.003):
    """3.12: [Trainer('sgd') of the weights with wd, Trainer('sgd') of the bias without]."""
    wd = check_nonnegative('wd', wd)
    trainer_w = gluon.Trainer(net.collect_params('.*weight'), 'sgd',
                              {'learning_rate': lr, 'wd': wd})
    trainer_b = gluon.Trainer(net.collect_params('.*bias'), 'sgd', {'learning_rate': lr})
    return [trainer_w, trainer_b]


def fit_gluon(wd, data, num_epochs=100, lr=0.003, batch_size=1, net=None, ctx=None):
    """3.12: the book's fit_and_plot_gluon(wd): L2Loss, weight decay wd on the weights only, on
    make_data's 4-tuple (net: an optional gluon_net to start from). Returns
    ([weight (1, d), bias (1,)], [{'epoch', 'train_loss', 'test_loss'}]).

    The book iterates a DataLoader; data_iter draws the same kind of random minibatches from
    Python's `random` instead of numpy's, so after the same seed this fit and fit_scratch see the
    same minibatches and can be compared number for number.
    """
    check_training_args(batch_size=batch_size, lr=lr, num_epochs=num_epochs)
    device = as_ctx_list(ctx)[0]
    data = _on_device(data, device)
    net = net or gluon_net(data[0].shape[1], device)
    trainers = gluon_trainers(net, wd, lr)
    loss = gloss.L2Loss()
    start = train_loss(net, loss, data)
    history = []
    for epoch in range(1, num_epochs + 1):
        for X, y in data_iter(batch_size, data[0], data[2]):
            with autograd.record():
                l = loss(net(X), y)
            l.backward()
            for trainer in trainers:   # one decays the weights, the other steps the bias
                trainer.step(batch_size)
        history.append(epoch_losses(net, loss, data, epoch, lr, start))
    return [net[0].weight.data(device), net[0].bias.data(device)], history


def fit_and_plot(lambd, data=None, *, num_epochs=100, lr=0.003, batch_size=1, ctx=None):
    """3.12, the book's: fit_scratch with penalty lambd on data (make_data's 4-tuple; None:
    make_data() drawn now), plot both losses per epoch on a log scale, print the L2 norm of w;
    returns None."""
    (w, b), history = fit_scratch(lambd, data or make_data(ctx=ctx), num_epochs, lr, batch_size,
                                  ctx=ctx)
    train_ls, test_ls = loss_curves(history)
    semilogy(range(1, num_epochs + 1), train_ls, 'epochs', 'loss',
             range(1, num_epochs + 1), test_ls, ['train', 'test'])
    print('L2 norm of w:', w.norm().asscalar())


def fit_and_plot_gluon(wd, data=None, *, num_epochs=100, lr=0.003, batch_size=1, ctx=None):
    """3.12, the book's: fit_gluon with weight decay wd on the weights, on data as fit_and_plot;
    plots both losses, prints the L2 norm of w; returns None."""
    (w, b), history = fit_gluon(wd, data or make_data(ctx=ctx), num_epochs, lr, batch_size,
                                ctx=ctx)
    train_ls, test_ls = loss_curves(history)
    semilogy(range(1, num_epochs + 1), train_ls, 'epochs', 'loss',
             range(1, num_epochs + 1), test_ls, ['train', 'test'])
    print('L2 norm of w:', w.norm().asscalar())
