"""Section 3.16: Kaggle house price prediction with a linear model, Adam and k-fold validation.

Data (ch3.data.kaggle_house reads and checks the two CSV files): train_data (1460, 81) with Id,
79 features and SalePrice; test_data (1459, 80) without SalePrice. Preprocessing, the book's
(`preprocess`): over train and test together, standardize each numeric feature
    x <- (x - mean) / std,
set its missing values to 0 (the mean after standardizing), one-hot encode the other features
with pd.get_dummies(dummy_na=True) (missing is a category of its own), and keep SalePrice as the
(n, 1) label column.
Model: linear on the prices themselves, y_hat = X w + b, trained on the squared loss (L2Loss)
    l = (y_hat - y)^2 / 2.
Score, as Kaggle's: the RMSE of the logarithms, predictions below 1 raised to 1,
    log_rmse = sqrt( 1/n sum_i (log y_i - log max(y_hat_i, 1))^2 ).
Optimizer: Adam, in MXNet's form (Gluon's Trainer('adam'); `adam` below by hand), at step
t = 1, 2, ... with g = grad / |B| + wd * p:
    m <- beta1 m + (1 - beta1) g,        v <- beta2 v + (1 - beta2) g^2,
    p <- p - lr sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + eps)
(the textbook form divides by sqrt(v_hat) + eps; the two differ only in where eps sits).
Model selection by k-fold validation (ch3.book.kfold), k = 5, 100 epochs, lr 5, wd 0, batch 64;
then train_and_pred fits all 1460 houses and writes Kaggle's submission.csv (Id,SalePrice).
"""
import math
import os

import numpy as np
import pandas as pd
from mxnet import autograd, gluon, nd
from mxnet.gluon import loss as gloss, nn

from ch3.book import kfold, model_selection
from ch3.book.kfold import get_k_fold_data   # noqa: F401 (3.16's get_k_fold_data is 3.11's)
from ch3.book.plotting import semilogy, semilogy_figure
from ch3.book.training import check_diverged, linreg, squared_loss
from ch3.checks import check_house_data, check_nonnegative, check_training_args
from ch3.context import as_ctx_list
from ch3.data.kaggle_house import load_kaggle_house, preprocess   # noqa: F401 (the book's)
from ch3.utils import atomic_write

k, num_epochs, lr, weight_decay, batch_size = 5, 100, 5, 0, 64
ADAM_BETA1, ADAM_BETA2, ADAM_EPS = 0.9, 0.999, 1e-8   # Gluon's Adam defaults
FIRST_LOOK_COLUMNS = [0, 1, 2, 3, -3, -2, -1]
SUBMISSION_FILE = 'submission.csv'


# --- the data ----------------------------------------------------------------------------------

def load_data(data_dir=None, ctx=None):
    """3.16: the CSV files and the book's preprocessed arrays on ctx: {'train_data',
    'test_data' (DataFrames), 'train_features' (1460, d), 'test_features' (1459, d),
    'train_labels' (1460, 1), 'test_ids', 'feature_names'}."""
    device = as_ctx_list(ctx)[0]
    train_data, test_data = load_kaggle_house(data_dir)
    train_x, test_x, labels, names = preprocess(train_data, test_data)
    return {'train_data': train_data, 'test_data': test_data,
            'train_features': nd.array(train_x, ctx=device),
            'test_features': nd.array(test_x, ctx=device),
            'train_labels': nd.array(labels, ctx=device),
            'test_ids': test_data['Id'].to_numpy(), 'feature_names': list(names)}


def first_look(train_data):
    """3.16: the book's first look, train_data.iloc[0:4, [0, 1, 2, 3, -3, -2, -1]]."""
    return train_data.iloc[0:4, FIRST_LOOK_COLUMNS]


# --- score and minibatches ---------------------------------------------------------------------

def log_rmse(net, features, labels):
    """3.16: sqrt(mean((log max(net(X), 1) - log y)^2)); features (n, d), labels (n, 1) -> float."""
    clipped = nd.clip(net(features), 1, float('inf'))
    return math.sqrt(((clipped.log() - labels.log()) ** 2).mean().asscalar())


def shuffled_batches(features, labels, batch_size):
    """3.16: one epoch of the minibatches DataLoader(ArrayDataset(X, y), batch_size,
    shuffle=True) gives for the same numpy seed (np.random.shuffle of arange(n)), X (<=batch, d),
    y (<=batch, 1): one `take` per epoch and slices instead of a gather per example."""
    order = np.arange(len(features))
    np.random.shuffle(order)
    index = nd.array(order, ctx=features.context, dtype='int32')
    X, y = features.take(index), labels.take(index)
    for i in range(0, len(order), batch_size):
        yield X[i:i + batch_size], y[i:i + batch_size]


def _squared_loss_mean(net, features, labels):
    return squared_loss(net(features), labels).mean().asscalar()


def _fit(step, net, train_features, train_labels, test_features, test_labels, num_epochs,
         batch_size, lr):
    """The book's `train` loop around one update step(X, y): log RMSE after each epoch. The
    squared loss on the training set is checked against its value before training (the log RMSE
    of clipped predictions stays finite even when the prices run off to 1e9)."""
    check_training_args(batch_size=batch_size, lr=lr, num_epochs=num_epochs)
    check_house_data(train_features, train_labels, 'training')
    check_house_data(test_features, test_labels, 'test')
    train_ls, test_ls = [], []
    start = _squared_loss_mean(net, train_features, train_labels)
    for epoch in range(1, num_epochs + 1):
        for X, y in shuffled_batches(train_features, train_labels, batch_size):
            step(X, y)
        check_diverged(_squared_loss_mean(net, train_features, train_labels), start, epoch, lr)
        train_ls.append(log_rmse(net, train_features, train_labels))
        if test_labels is not None:
            test_ls.append(log_rmse(net, test_features, test_labels))
    return train_ls, test_ls


# --- from scratch: NDArray, autograd and a hand-written Adam ------------------------------------

def init_linear_params(num_inputs, ctx=None):
    """3.16: [w (d, 1), b (1,)] drawn as get_net's Dense(1) is (3.11's init_params)."""
    return model_selection.init_params(num_inputs, ctx)


def init_adam_states(params):
    """3.16: Adam's first and second moment estimates (m, v), zeros shaped like each param."""
    return [(param.zeros_like(), param.zeros_like()) for param in params]


def adam(params, states, hyperparams, batch_size):
    """3.16: one Adam step in place (MXNet's form); hyperparams holds lr, wd, the step count t
    (from 1, incremented here) and optionally beta1, beta2, eps; grads are batch sums."""
    beta1 = hyperparams.get('beta1', ADAM_BETA1)
    beta2 = hyperparams.get('beta2', ADAM_BETA2)
    eps = hyperparams.get('eps', ADAM_EPS)
    t = hyperparams['t']
    lr_t = hyperparams['lr'] * math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
    for param, (m, v) in zip(params, states):
        g = param.grad / batch_size + hyperparams['wd'] * param
        m[:] = beta1 * m + (1 - beta1) * g
        v[:] = beta2 * v + (1 - beta2) * g.square()
        param[:] = param - lr_t * m / (v.sqrt() + eps)
    hyperparams['t'] = t + 1


def train_scratch(params, train_features, train_labels, test_features, test_labels,
                  num_epochs=num_epochs, learning_rate=lr, weight_decay=weight_decay,
                  batch_size=batch_size):
    """3.16 from scratch: the book's `train` for [w, b] with linreg, squared_loss and `adam`;
    returns (train_ls, test_ls), the log RMSE after each epoch."""
    weight_decay = check_nonnegative('wd (weight decay)', weight_decay)
    w, b = params
    states = init_adam_states(params)
    hyperparams = {'lr': learning_rate, 'wd': weight_decay, 't': 1}

    def step(X, y):
        with autograd.record():
            l = squared_loss(linreg(X, w, b), y)
        l.backward()
        adam(params, states, hyperparams, batch_size)

    return _fit(step, lambda X: linreg(X, w, b), train_features, train_labels, test_features,
                test_labels, num_epochs, batch_size, learning_rate)


# --- Gluon (the book's code) -------------------------------------------------------------------

def get_net(ctx=None):
    """3.16: the book's model, nn.Dense(1) with net.initialize()'s defaults: X (n, d) -> (n, 1)."""
    net = nn.HybridSequential()
    net.add(nn.Dense(1))
    net.initialize(ctx=as_ctx_list(ctx))
    net.hybridize(static_alloc=True)
    return net


def train(net, train_features, train_labels, test_features, test_labels, num_epochs=num_epochs,
          learning_rate=lr, weight_decay=weight_decay, batch_size=batch_size, *, trainer=None):
    """3.16: the book's `train`: L2Loss and Trainer('adam'); returns (train_ls, test_ls), the log
    RMSE after each epoch."""
    weight_decay = check_nonnegative('wd (weight decay)', weight_decay)
    loss = gloss.L2Loss()
    trainer = trainer or gluon.Trainer(net.collect_params(), 'adam',
                                       {'learning_rate': learning_rate, 'wd': weight_decay})

    def step(X, y):
        with autograd.record():
            l = loss(net(X), y)
        l.backward()
        trainer.step(batch_size)

    return _fit(step, net, train_features, train_labels, test_features, test_labels,
                num_epochs, batch_size, learning_rate)


def k_fold_results(k, X_train, y_train, num_epochs=num_epochs, learning_rate=lr,
                   weight_decay=weight_decay, batch_size=batch_size, *, from_scratch=False,
                   ctx=None, verbose=True):
    """3.16: k_fold's work: a fresh linear model per fold (get_net + train, or
    init_linear_params + train_scratch), the book's line per fold; returns
    ch3.book.kfold.run_folds's dict (per-fold curves and final scores, train_mean, valid_mean)."""
    device = as_ctx_list(ctx)[0]

    def train_fn(*data):
        if from_scratch:
            return train_scratch(init_linear_params(X_train.shape[1], device), *data,
                                 num_epochs, learning_rate, weight_decay, batch_size)
        return train(get_net(device), *data, num_epochs, learning_rate, weight_decay,
                     batch_size)

    return kfold.run_folds(k, X_train, y_train, train_fn, verbose=verbose, metric='rmse')


def k_fold(k, X_train, y_train, num_epochs=num_epochs, learning_rate=lr,
           weight_decay=weight_decay, batch_size=batch_size, *, from_scratch=False, ctx=None):
    """3.16, the book's: train on each of k folds, print the book's line per fold, plot fold 0's
    curves; returns (mean final train log RMSE, mean final valid log RMSE)."""
    result = k_fold_results(k, X_train, y_train, num_epochs, learning_rate, weight_decay,
                            batch_size, from_scratch=from_scratch, ctx=ctx)
    fold = result['folds'][0]
    epochs = range(1, len(fold['train_curve']) + 1)
    semilogy(epochs, fold['train_curve'], 'epochs', 'rmse', epochs, fold['valid_curve'],
             ['train', 'valid'])
    return result['train_mean'], result['valid_mean']


def fold_figure(fold):
    """3.16: one fold's train and valid log RMSE per epoch on a log scale (the book's plot)."""
    epochs = range(1, len(fold['train_curve']) + 1)
    return semilogy_figure(epochs, fold['train_curve'], 'epochs', 'rmse', epochs,
                           fold['valid_curve'], ['train', 'valid'], title='fold %d' % fold['fold'])


# --- prediction and submission -----------------------------------------------------------------

def write_submission(path, ids, prices, overwrite=False):
    """3.16: write Kaggle's `Id,SalePrice` CSV atomically; prices (n,) must be finite, those below
    1 are raised to 1 (as log_rmse scores them). Returns the number of prices raised."""
    path = os.fspath(path)
    prices = np.asarray(prices, dtype=np.float64).reshape(-1)
    ids = np.asarray(ids).reshape(-1)
    if len(ids) != len(prices) or len(ids) == 0:
        raise ValueError('need one price per Id, got %d ids and %d prices'
                         % (len(ids), len(prices)))
    if not np.isfinite(prices).all():
        raise ValueError('%d predicted prices are not finite (the model diverged?); nothing was '
                         'written to %s' % (int((~np.isfinite(prices)).sum()), path))
    _check_target(path, overwrite)
    clipped = int((prices < 1).sum())
    frame = pd.DataFrame({'Id': ids, 'SalePrice': np.maximum(prices, 1.0)})
    with atomic_write(path, 'w', newline='') as handle:
        frame.to_csv(handle, index=False)
    return clipped


def _check_target(path, overwrite):
    if os.path.exists(path) and not overwrite:
        raise FileExistsError('%s already exists; pass overwrite=True to replace it, or choose '
                              'another path' % path)


def predict_submission(train_features, test_features, train_labels, test_data,
                       num_epochs=num_epochs, lr=lr, weight_decay=weight_decay,
                       batch_size=batch_size, *, path=SUBMISSION_FILE, overwrite=False,
                       from_scratch=False, ctx=None):
    """3.16: train_and_pred's work: train the linear model on all examples (n, d), write the
    predictions for test_features (m, d) to path (test_data: the test DataFrame or its m Ids),
    refusing to replace a file unless overwrite=True; returns {'path', 'train_log_rmse',
    'train_curve', 'rows', 'clipped'}."""
    path = os.fspath(path)
    _check_target(path, overwrite)   # fail before training, not after
    ids = test_data['Id'].to_numpy() if isinstance(test_data, pd.DataFrame) else test_data
    if len(ids) != len(test_features):
        raise ValueError('test_data has %d Ids but test_features %d rows'
                         % (len(ids), len(test_features)))
    device = as_ctx_list(ctx)[0]
    if from_scratch:
        params = init_linear_params(train_features.shape[1], device)
        train_ls, _ = train_scratch(params, train_features, train_labels, None, None,
                                    num_epochs, lr, weight_decay, batch_size)

        def net(X):
            return linreg(X, *params)
    else:
        net = get_net(device)
        train_ls, _ = train(net, train_features, train_labels, None, None, num_epochs, lr,
                            weight_decay, batch_size)
    preds = net(test_features.as_in_context(device)).asnumpy()
    clipped = write_submission(path, ids, preds, overwrite=overwrite)
    return {'path': path, 'train_log_rmse': train_ls[-1], 'train_curve': train_ls,
            'rows': int(len(ids)), 'clipped': clipped}


def train_and_pred(train_features, test_features, train_labels, test_data,
                   num_epochs=num_epochs, lr=lr, weight_decay=weight_decay,
                   batch_size=batch_size, *, path=SUBMISSION_FILE, overwrite=False,
                   from_scratch=False, ctx=None):
    """3.16, the book's: train on all examples, plot the training log RMSE, print its last
    value and write the predictions for test_data's houses to submission.csv (path); returns
    None. An existing file is kept unless overwrite=True."""
    result = predict_submission(train_features, test_features, train_labels, test_data,
                                num_epochs, lr, weight_decay, batch_size, path=path,
                                overwrite=overwrite, from_scratch=from_scratch, ctx=ctx)
    train_ls = result['train_curve']
    semilogy(range(1, len(train_ls) + 1), train_ls, 'epochs', 'rmse')
    print('train rmse %f' % train_ls[-1])
