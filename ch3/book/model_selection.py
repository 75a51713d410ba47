"""Section 3.11: model selection, underfitting and overfitting (polynomial fitting).

Data: x ~ N(0, 1) and
    y = 1.2 x - 3.4 x^2 + 5.6 x^3 + 5 + eps,   eps ~ N(0, 0.1^2),
n_train = n_test = 100. A linear model y_hat = X w + b on the squared loss l = (y_hat - y)^2 / 2,
minibatch SGD (lr 0.01, batch min(10, n), 100 epochs); after each epoch the training error and
the test error (our estimate of the generalization error)
    mean_i (y_hat_i - y_i)^2 / 2   over the training / test set.
The book's three fits (fit_and_plot, Gluon: nn.Dense(1), net.initialize(), L2Loss, Trainer sgd):
* third-order ("normal"): features [x, x^2, x^3], the data's own model class;
* linear ("underfit"):    feature x only, too simple: the training error stays high;
* too few examples ("overfit"): [x, x^2, x^3] on 2 training examples: the training error is
  small, the test error much larger.
The from-scratch fit is the same loop with linreg, squared_loss and sgd, its parameters drawn as
net.initialize() draws Dense(1)'s (w ~ U(-0.07, 0.07), b = 0).

Model capacity: a polynomial of degree d has the features [x, ..., x^d]; its least-squares fit
[w; b] = argmin ||[X 1][w; b] - y||^2 (the smallest training error any fit of that degree can
reach) falls with d, while the test error falls and then rises again: underfitting on the left,
overfitting on the right. k-fold cross-validation (ch3.book.kfold: train on k - 1 folds, validate
on the remaining one, k times, average) estimates the test error from the training data alone.
"""
import numpy as np
from mxnet import autograd, gluon, nd
from mxnet.gluon import loss as gloss, nn

from ch3.book.kfold import run_folds
from ch3.book.plotting import new_figure, semilogy, semilogy_figure
from ch3.book.training import check_diverged, data_iter, linreg, sgd, squared_loss
from ch3.checks import check_fit_data, check_int, check_training_args
from ch3.context import as_ctx_list

n_train, n_test, true_w, true_b = 100, 100, [1.2, -3.4, 5.6], 5
NOISE = 0.1
FITS = ('normal', 'underfit', 'overfit')
DEFAULT_INIT_SCALE = 0.07   # net.initialize()'s default: Uniform(-0.07, 0.07) weights, bias 0


def make_poly_data(n_train=n_train, n_test=n_test, ctx=None):
    """3.11: features x (n, 1) ~ N(0, 1), poly_features [x, x^2, x^3] (n, 3), labels (n,);
    n = n_train + n_test."""
    check_int('n_train', n_train, minimum=1)
    check_int('n_test', n_test, minimum=1)
    features = nd.random.normal(shape=(n_train + n_test, 1), ctx=ctx)
    poly_features = nd.concat(features, nd.power(features, 2), nd.power(features, 3))
    # term by term in this order, float32 as the book sums them (a dot product rounds an ulp apart)
    labels = (true_w[0] * poly_features[:, 0] + true_w[1] * poly_features[:, 1]
              + true_w[2] * poly_features[:, 2] + true_b)
    labels += nd.random.normal(scale=NOISE, shape=labels.shape, ctx=ctx)
    return features, poly_features, labels


def book_fits(features, poly_features, labels, n_train=n_train):
    """3.11: the book's three experiments as {fit: (train_X, test_X, train_y, test_y)}."""
    test = slice(n_train, None)
    return {
        'normal': (poly_features[:n_train], poly_features[test], labels[:n_train], labels[test]),
        'underfit': (features[:n_train], features[test], labels[:n_train], labels[test]),
        'overfit': (poly_features[0:2], poly_features[test], labels[0:2], labels[test]),
    }


# --- the fits -------------------------------------------------------------------------------

def train_loss(net, loss, data):
    """3.11/3.12: the mean loss of net on data's training split (data: make_data's 4-tuple)."""
    return float(loss(net(data[0]), data[2]).mean().asscalar())


def epoch_losses(net, loss, data, epoch, lr, start=None):
    """3.11/3.12: {'epoch', 'train_loss', 'test_loss'}, the mean losses on data's two splits;
    TrainingDiverged when the training loss is not finite or far above `start`."""
    train_l = check_diverged(train_loss(net, loss, data), start, epoch, lr)
    test_l = loss(net(data[1]), data[3]).mean().asscalar()
    return {'epoch': epoch, 'train_loss': train_l, 'test_loss': float(test_l)}


def _on_device(data, device):
    check_fit_data(*data)
    return tuple(a.as_in_context(device) for a in data)


def init_params(num_inputs, ctx=None):
    """3.11: [w (d, 1), b (1,)] drawn as net.initialize() draws nn.Dense(1)'s (w ~ U(-0.07, 0.07),
    in Dense's (1, d) layout, b = 0), gradients attached."""
    device = as_ctx_list(ctx)[0]
    w = nd.random.uniform(-DEFAULT_INIT_SCALE, DEFAULT_INIT_SCALE, shape=(1, num_inputs),
                          ctx=device).T
    b = nd.zeros((1,), ctx=device)
    for param in (w, b):
        param.attach_grad()
    return [w, b]


def fit_scratch(train_features, test_features, train_labels, test_labels, num_epochs=100,
                lr=0.01, batch_size=10, ctx=None):
    """3.11 from scratch: linreg + squared_loss + sgd on (n, d) features, labels (n,); returns
    ([w (d, 1), b (1,)], [{'epoch', 'train_loss', 'test_loss'}])."""
    check_training_args(batch_size=batch_size, lr=lr, num_epochs=num_epochs)
    device = as_ctx_list(ctx)[0]
    data = _on_device((train_features, test_features, train_labels, test_labels), device)
    batch_size = min(batch_size, data[2].shape[0])
    w, b = init_params(data[0].shape[1], device)
    start = train_loss(lambda X: linreg(X, w, b), squared_loss, data)
    history = []
    for epoch in range(1, num_epochs + 1):
        for X, y in data_iter(batch_size, data[0], data[2]):
            with autograd.record():
                l = squared_loss(linreg(X, w, b), y)
            l.backward()
            sgd([w, b], lr, batch_size)
        history.append(epoch_losses(lambda X: linreg(X, w, b), squared_loss, data, epoch, lr,
                                    start))
    return [w, b], history


def fit_gluon(train_features, test_features, train_labels, test_labels, num_epochs=100, lr=0.01,
              batch_size=10, ctx=None):
    """3.11 (the book's Gluon fit): nn.Dense(1), net.initialize(), L2Loss, Trainer('sgd') on
    (n, d) features; returns ([weight (1, d), bias (1,)], [{'epoch', 'train_loss', 'test_loss'}]).

    The book iterates a DataLoader; data_iter gives random minibatches the same way but from
    Python's `random` instead of numpy's, so this fit and fit_scratch see the same minibatches
    after the same seed and can be compared number for number.
    """
    check_training_args(batch_size=batch_size, lr=lr, num_epochs=num_epochs)
    device = as_ctx_list(ctx)[0]
    data = _on_device((train_features, test_features, train_labels, test_labels), device)
    batch_size = min(batch_size, data[2].shape[0])
    net = nn.Sequential()
    net.add(nn.Dense(1))
    net.initialize(ctx=device)
    loss = gloss.L2Loss()
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': lr})
    start = train_loss(net, loss, data)
    history = []
    for epoch in range(1, num_epochs + 1):
        for X, y in data_iter(batch_size, data[0], data[2]):
            with autograd.record():
                l = loss(net(X), y)
            l.backward()
            trainer.step(batch_size)
        history.append(epoch_losses(net, loss, data, epoch, lr, start))
    return [net[0].weight.data(device), net[0].bias.data(device)], history


def fit_and_plot(train_features, test_features, train_labels, test_labels, *, fit=fit_gluon,
                 num_epochs=100, lr=0.01, batch_size=10, ctx=None):
    """3.11, the book's: fit (fit_gluon, or fit_scratch), plot both losses per epoch on a log
    scale, print the final losses and the learned weight and bias; returns None."""
    (w, b), history = fit(train_features, test_features, train_labels, test_labels,
                          num_epochs=num_epochs, lr=lr, batch_size=batch_size, ctx=ctx)
    train_ls, test_ls = loss_curves(history)
    semilogy(range(1, num_epochs + 1), train_ls, 'epochs', 'loss',
             range(1, num_epochs + 1), test_ls, ['train', 'test'])
    print_fit(w, b, history)


def loss_curves(history):
    """3.11/3.12: ([train loss per epoch], [test loss per epoch]) of a fit's history."""
    return [h['train_loss'] for h in history], [h['test_loss'] for h in history]


def print_fit(w, b, history):
    """3.11: the book's lines after a fit: the final losses, the weight (1, d) and the bias."""
    print('final epoch: train loss', history[-1]['train_loss'], 'test loss',
          history[-1]['test_loss'])
    print('weight:', w.asnumpy().reshape((1, -1)), '\nbias:', b.asnumpy())


def loss_figure(history, title=None):
    """3.11/3.12: fit_and_plot's picture as a Figure (without pyplot) for a run to save."""
    train_ls, test_ls = loss_curves(history)
    epochs = range(1, len(history) + 1)
    return semilogy_figure(epochs, train_ls, 'epochs', 'loss', epochs, test_ls,
                           ['train', 'test'], title=title)


# --- model capacity and k-fold cross-validation ------------------------------------------------

def _numpy64(a):
    return np.asarray(a.asnumpy() if isinstance(a, nd.NDArray) else a, dtype=np.float64)


def least_squares(train_features, train_labels):
    """3.11: closed-form least squares on (n, d) features -> (w list of d, b, training loss);
    the minimum-norm solution when it is not unique."""
    X = _numpy64(train_features).reshape(len(train_features), -1)
    y = _numpy64(train_labels).reshape(-1)
    A = np.hstack([X, np.ones((X.shape[0], 1))])
    solution = np.linalg.lstsq(A, y, rcond=None)[0]
    loss = float(np.mean((A @ solution - y) ** 2) / 2)
    return [float(v) for v in solution[:-1]], float(solution[-1]), loss


def polynomial_features(features, degree):
    """3.11: [x, x^2, ..., x^degree] (n, degree) in float64 from x (n, 1); degree 0 -> (n, 0)."""
    check_int('degree', degree, minimum=0)
    x = _numpy64(features).reshape(-1, 1)
    return np.hstack([x ** p for p in range(1, degree + 1)]) if degree else x[:, :0]


def _squared_error(w, b, X, y):
    return float(np.mean((X @ np.asarray(w) + b - y) ** 2) / 2)


def cross_validate(k, train_features, train_labels, fit=fit_gluon, num_epochs=100, lr=0.01,
                   batch_size=10, ctx=None, verbose=True):
    """3.11: k-fold cross-validation of `fit` on (n, d) features; ch3.book.kfold.run_folds' dict
    (per fold the final train and validation losses, and their means)."""
    def train_fn(X_train, y_train, X_valid, y_valid):
        _, history = fit(X_train, X_valid, y_train, y_valid, num_epochs=num_epochs, lr=lr,
                         batch_size=batch_size, ctx=ctx)
        return [h['train_loss'] for h in history], [h['test_loss'] for h in history]

    return run_folds(k, train_features, train_labels, train_fn, verbose=verbose, metric='loss')


def capacity_curve(features, labels, n_train=n_train, max_degree=10, k=5):
    """3.11: for degree d = 0..max_degree the least-squares fit of [x, ..., x^d] on the first
    n_train examples of x (n, 1), labels (n,): its training, test and k-fold validation error;
    returns [{'degree', 'train_loss', 'test_loss', 'valid_loss'}]."""
    check_int('max_degree', max_degree, minimum=0)
    y = _numpy64(labels).reshape(-1)
    curve = []
    for degree in range(max_degree + 1):
        X = polynomial_features(features, degree)
        w, b, train_loss = least_squares(X[:n_train], y[:n_train])

        def train_fn(X_train, y_train, X_valid, y_valid):
            w_, b_, train_l = least_squares(X_train, y_train)
            return [train_l], [_squared_error(w_, b_, X_valid, y_valid)]

        folds = run_folds(k, X[:n_train], y[:n_train], train_fn, verbose=False)
        curve.append({'degree': degree, 'train_loss': train_loss,
                      'test_loss': _squared_error(w, b, X[n_train:], y[n_train:]),
                      'valid_loss': folds['valid_mean']})
    return curve


def capacity_figure(curve):
    """3.11: training, test and k-fold validation error against the polynomial degree (log
    scale); returns the Figure."""
    fig, ax = new_figure((4.5, 3))
    degrees = [c['degree'] for c in curve]
    for key, style, label in (('train_loss', '-o', 'train'), ('test_loss', ':s', 'test'),
                              ('valid_loss', '--^', 'k-fold valid')):
        ax.semilogy(degrees, [c[key] for c in curve], style, markersize=3, label=label)
    ax.axvline(len(true_w), color='grey', linewidth=0.8)   # the degree the data came from
    ax.set_xlabel('polynomial degree (model capacity)')
    ax.set_ylabel('loss')
    ax.legend()
    return fig
