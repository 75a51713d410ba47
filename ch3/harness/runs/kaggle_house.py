"""Section 3.16: Kaggle house price prediction with a linear model, Adam and 5-fold validation.

Features and labels come from `ch3.data.kaggle_house` (the book's preprocessing). The model is
linear on the prices themselves, trained on the squared loss (Gluon's L2Loss):
    y_hat = X w + b,    l = (y_hat - y)^2 / 2.
It is scored, as Kaggle does, by the RMSE of the logarithms, predictions below 1 clipped to 1:
    log_rmse = sqrt( 1/n sum_i (log y_i - log max(y_hat_i, 1))^2 ).
Adam, in MXNet's form (Gluon's Trainer 'adam'; the from-scratch `adam` below does the same), at
step t = 1, 2, ... with g = grad / |B| + wd * p:
    m <- beta1 m + (1 - beta1) g,        v <- beta2 v + (1 - beta2) g^2,
    p <- p - lr sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + eps).
(The textbook form divides by sqrt(v_hat) + eps instead; the two differ only in where eps sits.)
Model selection by k-fold validation (`ch3.book.kfold`), then `train_and_pred` fits all 1460 houses and
writes Kaggle's submission.csv (Id,SalePrice).

Beyond the book: a one-hidden-layer MLP trained on centred log prices, chosen among a few weight
decays by the same k-fold validation.

Minibatches are shuffled in memory (one `take` per epoch, then slices) in exactly the order
`DataLoader(shuffle=True)` would draw them (np.random.shuffle of arange(n), numpy's global RNG).
Each update is divided by the real size of its batch (the book divides the last, smaller batch by
the nominal batch_size).
"""
import math
import os
import time

import numpy as np
import pandas as pd
from mxnet import autograd, gluon, init, nd
from mxnet.gluon import loss as gloss, nn

from ch3.context import as_ctx_list, split_batch
from ch3.data.kaggle_house import load_kaggle_house, preprocess
from ch3.book.kfold import k_fold
from ch3.book.plotting import finish, semilogy
from ch3.harness.runs import Section
from ch3.book.training import check_finite, linreg, squared_loss
from ch3.utils import Timer, atomic_write
from ch3.checks import check_int, check_training_args

K, NUM_EPOCHS, LR, WD, BATCH_SIZE = 5, 100, 5.0, 0.0, 64
QUICK_FOLDS, QUICK_EPOCHS = 2, 10     # quick=True: at most 2 folds and 10 epochs
DEFAULT_INIT_SCALE = 0.07          # net.initialize() draws weights from U(-0.07, 0.07), bias 0
ADAM_BETA1, ADAM_BETA2, ADAM_EPS = 0.9, 0.999, 1e-8   # Gluon's Adam defaults
# Beyond the book: MLPs on log prices (hidden units, Adam lr, weight decay), picked by k-fold.
BETTER_CANDIDATES = ({'hidden': 64, 'lr': 0.01, 'wd': 0.0},
                     {'hidden': 64, 'lr': 0.01, 'wd': 0.01},
                     {'hidden': 64, 'lr': 0.01, 'wd': 0.1})
SUBMISSION_FILE = 'submission.csv'


def load_data(data_dir=None, ctx=None):
    """3.16: the book's preprocessed data as NDArrays on ctx: train_features (1460, d),
    test_features (1459, d), train_labels (1460, 1), plus test_ids and feature_names."""
    device = as_ctx_list(ctx)[0]
    train_df, test_df = load_kaggle_house(data_dir)
    train_x, test_x, labels, names = preprocess(train_df, test_df)
    return {'train_features': nd.array(train_x, ctx=device),
            'test_features': nd.array(test_x, ctx=device),
            'train_labels': nd.array(labels, ctx=device),
            'test_ids': test_df['Id'].to_numpy(), 'feature_names': list(names)}


def log_rmse(net, features, labels):
    """3.16: sqrt(mean((log max(net(X), 1) - log y)^2)); features (n, d), labels (n, 1) -> float."""
    clipped = nd.clip(net(features), 1, float('inf'))
    return math.sqrt(((clipped.log() - labels.log()) ** 2).mean().asscalar())


def shuffled_batches(features, labels, batch_size):
    """3.16: one epoch of random minibatches (X (<=batch_size, d), y (<=batch_size, 1)), in the
    order DataLoader(shuffle=True) gives for the same numpy seed."""
    order = np.arange(len(features))
    np.random.shuffle(order)
    index = nd.array(order, ctx=features.context, dtype='int32')
    X, y = features.take(index), labels.take(index)
    for i in range(0, len(order), batch_size):
        yield X[i:i + batch_size], y[i:i + batch_size]


def _fit(step, predict, train_features, train_targets, train_labels, test_features, test_labels,
         num_epochs, batch_size, lr):
    """Run num_epochs of step(X, y) on shuffled batches; log RMSE of predict after each epoch."""
    train_ls, test_ls = [], []
    for epoch in range(1, num_epochs + 1):
        for X, y in shuffled_batches(train_features, train_targets, batch_size):
            step(X, y)
        train_ls.append(check_finite(log_rmse(predict, train_features, train_labels), epoch, lr))
        if test_labels is not None:
            test_ls.append(log_rmse(predict, test_features, test_labels))
    return train_ls, test_ls


def _check_data(features, labels, name):
    if labels is None:
        return
    if len(features) != len(labels) or len(features) == 0:
        raise ValueError('%s features and labels must be non-empty and equally long, got %d and %d'
                         % (name, len(features), len(labels)))
    if labels.min().asscalar() <= 0:
        raise ValueError('%s labels must be positive prices (their logarithm is scored)' % name)


# ----------------------------------------------------------------------------------- from scratch
def init_linear_params(num_inputs, ctx=None):
    """3.16: [w (d, 1), b (1,)] drawn as net.initialize() does (w ~ U(-0.07, 0.07), b = 0), with
    gradients attached; the same draws as a Gluon Dense(1) initialized from the same seed."""
    device = as_ctx_list(ctx)[0]
    w = nd.random.uniform(-DEFAULT_INIT_SCALE, DEFAULT_INIT_SCALE, shape=(1, num_inputs),
                          ctx=device).T   # Dense stores (1, d): draw in that shape, then transpose
    b = nd.zeros((1,), ctx=device)
    for param in (w, b):
        param.attach_grad()
    return [w, b]


def init_adam_states(params):
    """3.16: Adam's first and second moment estimates (m, v), zeros shaped like each param."""
    return [(param.zeros_like(), param.zeros_like()) for param in params]


def adam(params, states, hyperparams, batch_size):
    """3.16: one hand-written Adam step in place (MXNet's form); hyperparams holds lr, wd, the step
    count t (starting at 1, incremented here) and optionally beta1, beta2, eps; gradients are sums
    over the batch."""
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


def train_scratch_model(params, train_features, train_labels, test_features, test_labels,
                        num_epochs=NUM_EPOCHS, learning_rate=LR, weight_decay=WD,
                        batch_size=BATCH_SIZE):
    """3.16: the book's `train` for the linear model [w, b] with NDArray, autograd and the
    hand-written adam; returns (train_ls, test_ls), the log RMSE after each epoch."""
    check_training_args(batch_size=batch_size, lr=learning_rate, num_epochs=num_epochs)
    _check_data(train_features, train_labels, 'training')
    _check_data(test_features, test_labels, 'test')
    w, b = params
    states = init_adam_states(params)
    hyperparams = {'lr': learning_rate, 'wd': weight_decay, 't': 1}

    def step(X, y):
        with autograd.record():
            l = squared_loss(linreg(X, w, b), y)
        l.backward()
        adam(params, states, hyperparams, X.shape[0])

    return _fit(step, lambda X: linreg(X, w, b), train_features, train_labels, train_labels,
                test_features, test_labels, num_epochs, batch_size, learning_rate)


# ------------------------------------------------------------------------------------------ Gluon
def get_net(ctx=None):
    """3.16: the book's linear model, nn.Dense(1) with the default initialization, hybridized."""
    net = nn.HybridSequential()
    net.add(nn.Dense(1))
    net.initialize(ctx=as_ctx_list(ctx))
    net.hybridize(static_alloc=True)
    return net


def _l2_loss():
    loss = gloss.L2Loss()
    loss.hybridize(static_alloc=True)   # one cached op instead of four imperative ones per batch
    return loss


def _gluon_step(net, trainer, loss, contexts):
    def step(X, y):
        Xs, ys = split_batch(X, y, contexts)
        with autograd.record():
            losses = [loss(net(X_part), y_part) for X_part, y_part in zip(Xs, ys)]
        for l in losses:
            l.backward()
        trainer.step(X.shape[0])
    return step


def train(net, train_features, train_labels, test_features, test_labels,
          num_epochs=NUM_EPOCHS, learning_rate=LR, weight_decay=WD, batch_size=BATCH_SIZE,
          ctx=None):
    """3.16: the book's `train`: L2Loss and Trainer('adam'); returns (train_ls, test_ls), the log
    RMSE after each epoch. With several contexts each batch is split across them."""
    check_training_args(batch_size=batch_size, lr=learning_rate, num_epochs=num_epochs)
    _check_data(train_features, train_labels, 'training')
    _check_data(test_features, test_labels, 'test')
    trainer = gluon.Trainer(net.collect_params(), 'adam',
                            {'learning_rate': learning_rate, 'wd': weight_decay})
    step = _gluon_step(net, trainer, _l2_loss(), as_ctx_list(ctx))
    return _fit(step, net, train_features, train_labels, train_labels, test_features, test_labels,
                num_epochs, batch_size, learning_rate)


# ------------------------------------------------------------------------ beyond the book: an MLP
def get_mlp(hidden=64, ctx=None):
    """3.16+: Dense(hidden, relu) -> Dense(1) with Xavier initialization, hybridized."""
    net = nn.HybridSequential()
    net.add(nn.Dense(check_int('hidden', hidden, minimum=1), activation='relu'), nn.Dense(1))
    net.initialize(init.Xavier(), ctx=as_ctx_list(ctx))
    net.hybridize(static_alloc=True)
    return net


def train_log_mlp(net, train_features, train_labels, test_features, test_labels,
                  num_epochs=NUM_EPOCHS, learning_rate=0.01, weight_decay=0.01,
                  batch_size=BATCH_SIZE, ctx=None):
    """3.16+: fit net to log prices centred on the training mean; returns (train_ls, test_ls,
    predict) where predict(X (n, d)) -> prices (n, 1)."""
    check_training_args(batch_size=batch_size, lr=learning_rate, num_epochs=num_epochs)
    _check_data(train_features, train_labels, 'training')
    _check_data(test_features, test_labels, 'test')
    log_labels = train_labels.log()
    shift = float(log_labels.mean().asscalar())   # centred targets: the bias needn't travel to ~12

    def predict(X):
        return (net(X) + shift).exp()

    trainer = gluon.Trainer(net.collect_params(), 'adam',
                            {'learning_rate': learning_rate, 'wd': weight_decay})
    step = _gluon_step(net, trainer, _l2_loss(), as_ctx_list(ctx))
    train_ls, test_ls = _fit(step, predict, train_features, log_labels - shift, train_labels,
                             test_features, test_labels, num_epochs, batch_size, learning_rate)
    return train_ls, test_ls, predict


def select_better_model(train_features, train_labels, candidates=BETTER_CANDIDATES, k=K,
                        num_epochs=NUM_EPOCHS, batch_size=BATCH_SIZE, ctx=None, verbose=True):
    """3.16+: k-fold score of each MLP candidate {'hidden', 'lr', 'wd'}; returns {'candidates':
    [... with train_log_rmse, valid_log_rmse], 'best': the candidate with the lowest valid}."""
    if not candidates:
        raise ValueError('select_better_model needs at least one candidate {hidden, lr, wd}')
    scored = []
    for spec in candidates:
        def train_fn(X_train, y_train, X_valid, y_valid, spec=spec):
            net = get_mlp(spec['hidden'], ctx)
            return train_log_mlp(net, X_train, y_train, X_valid, y_valid, num_epochs,
                                 spec['lr'], spec['wd'], batch_size, ctx)[:2]
        result = k_fold(k, train_features, train_labels, train_fn, verbose=False)
        scored.append(dict(spec, train_log_rmse=result['train_mean'],
                           valid_log_rmse=result['valid_mean'],
                           folds=[[f['train'], f['valid']] for f in result['folds']]))
        if verbose:
            print('MLP hidden %d, lr %g, wd %g: avg train log rmse %f, avg valid log rmse %f'
                  % (spec['hidden'], spec['lr'], spec['wd'], result['train_mean'],
                     result['valid_mean']))
    best = min(scored, key=lambda s: s['valid_log_rmse'])
    return {'candidates': scored, 'best': best, 'k': k, 'num_epochs': num_epochs}


# ------------------------------------------------------------------------------------ submission
def _check_target(path, overwrite):
    if os.path.exists(path) and not overwrite:
        raise FileExistsError('%s already exists; pass overwrite=True to replace it, or choose '
                              'another path' % path)


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
    clipped = int((prices < 1).sum())
    frame = pd.DataFrame({'Id': ids, 'SalePrice': np.maximum(prices, 1.0)})
    _check_target(path, overwrite)
    with atomic_write(path, 'w', newline='') as handle:
        frame.to_csv(handle, index=False)
    return clipped


def train_and_pred(train_features, test_features, train_labels, test_data, path=SUBMISSION_FILE,
                   num_epochs=NUM_EPOCHS, lr=LR, weight_decay=WD, batch_size=BATCH_SIZE,
                   overwrite=False, impl='gluon', model=None, ctx=None, verbose=True):
    """3.16: train on all examples (n, d) and write predictions for test_features (m, d) to path.

    test_data is the test DataFrame (its Id column is used) or the m Ids. model=None is the book's
    linear model ('gluon' or 'scratch' impl); a candidate dict {'hidden', 'lr', 'wd'} trains the
    log-price MLP instead (Gluon). Refuses to replace an existing file unless overwrite=True.
    Returns {'path', 'train_log_rmse', 'train_curve', 'rows', 'clipped', 'seconds'}.
    """
    path = os.fspath(path)
    _check_target(path, overwrite)   # fail before training, not after
    ids = test_data['Id'].to_numpy() if isinstance(test_data, pd.DataFrame) else test_data
    if len(ids) != len(test_features):
        raise ValueError('test_data has %d Ids but test_features %d rows'
                         % (len(ids), len(test_features)))
    timer = Timer()
    if model is not None:
        net = get_mlp(model['hidden'], ctx)
        train_ls, _, predict = train_log_mlp(net, train_features, train_labels, None, None,
                                             num_epochs, model['lr'], model['wd'], batch_size, ctx)
    elif impl == 'gluon':
        predict = get_net(ctx)
        train_ls, _ = train(predict, train_features, train_labels, None, None, num_epochs, lr,
                            weight_decay, batch_size, ctx)
    elif impl == 'scratch':
        params = init_linear_params(train_features.shape[1], ctx)
        train_ls, _ = train_scratch_model(params, train_features, train_labels, None, None,
                                          num_epochs, lr, weight_decay, batch_size)
        predict = lambda X: linreg(X, *params)   # noqa: E731
    else:
        raise ValueError("impl must be 'gluon' or 'scratch', got %r" % (impl,))
    preds = predict(test_features).asnumpy()
    clipped = write_submission(path, ids, preds, overwrite=overwrite)
    seconds = timer.stop()
    if verbose:
        print('train rmse %f' % train_ls[-1])
        print('wrote %d predictions to %s' % (len(ids), path))
    return {'path': path, 'train_log_rmse': train_ls[-1], 'train_curve': train_ls,
            'rows': int(len(ids)), 'clipped': clipped, 'seconds': seconds}


# ---------------------------------------------------------------------------- the section's runs
def k_fold_linear(data, impl='gluon', k=K, num_epochs=NUM_EPOCHS, lr=LR, wd=WD,
                  batch_size=BATCH_SIZE, ctx=None, verbose=True):
    """3.16: the book's k-fold validation of the linear model (impl 'gluon' or 'scratch');
    returns ch3.book.kfold.k_fold's result plus 'seconds'."""
    X, y = data['train_features'], data['train_labels']
    contexts = as_ctx_list(ctx)
    if impl == 'gluon':
        def train_fn(*fold):
            return train(get_net(contexts), *fold, num_epochs, lr, wd, batch_size, contexts)
    elif impl == 'scratch':
        def train_fn(*fold):
            return train_scratch_model(init_linear_params(X.shape[1], contexts), *fold,
                                       num_epochs, lr, wd, batch_size)
    else:
        raise ValueError("impl must be 'gluon' or 'scratch', got %r" % (impl,))
    timer = Timer()
    result = k_fold(k, X, y, train_fn, verbose=verbose)
    result['seconds'] = timer.stop()
    if verbose:
        print('%d-fold validation: avg train rmse %f, avg valid rmse %f (%.1f s)'
              % (k, result['train_mean'], result['valid_mean'], result['seconds']))
    return result


def fold_figure(fold):
    """3.16: fold 0's train and valid log RMSE per epoch on a log scale (the book's plot)."""
    epochs = range(1, len(fold['train_curve']) + 1)
    return semilogy(epochs, fold['train_curve'], 'epochs', 'rmse', epochs, fold['valid_curve'],
                    ['train', 'valid'], title='fold %d' % fold['fold'])


def _history(result):
    folds = result['folds']
    history = []
    for e in range(len(folds[0]['train_curve'])):
        train_e = [f['train_curve'][e] for f in folds]
        valid_e = [f['valid_curve'][e] for f in folds]
        history.append({'epoch': e + 1, 'train_log_rmse': sum(train_e) / len(folds),
                        'valid_log_rmse': sum(valid_e) / len(folds),
                        'fold_train_log_rmse': train_e, 'fold_valid_log_rmse': valid_e})
    return history


def _check_wd(wd):
    if isinstance(wd, bool) or not isinstance(wd, (int, float)) or not math.isfinite(wd) or wd < 0:
        raise ValueError('wd (weight decay) must be a finite number >= 0, got %r' % (wd,))


def _run(impl, ctx, quick, out, k, num_epochs, lr, wd, batch_size, better, data_dir, verbose):
    check_training_args(batch_size=batch_size, lr=lr, num_epochs=num_epochs)
    _check_wd(wd)
    contexts = as_ctx_list(ctx)
    if impl == 'scratch' and len(contexts) > 1:
        raise ValueError('the from-scratch version keeps its params on one device, got %s; pass '
                         'one ctx, or use the Gluon version for data-parallel training'
                         % [str(c) for c in contexts])
    if quick:
        k, num_epochs = min(k, QUICK_FOLDS), min(num_epochs, QUICK_EPOCHS)
    data = load_data(data_dir, contexts)
    result = k_fold_linear(data, impl, k, num_epochs, lr, wd, batch_size, contexts, verbose)
    final = {'train_log_rmse': result['train_mean'], 'valid_log_rmse': result['valid_mean'],
             'folds': [{'fold': f['fold'], 'train_log_rmse': f['train'],
                        'valid_log_rmse': f['valid']} for f in result['folds']],
             'k_fold_seconds': result['seconds'],
             'num_features': int(data['train_features'].shape[1])}
    if better:
        chosen = select_better_model(data['train_features'], data['train_labels'], k=k,
                                     num_epochs=num_epochs, batch_size=batch_size, ctx=contexts,
                                     verbose=verbose)
        final['better'] = dict(chosen, linear_valid_log_rmse=result['valid_mean'])
    figures = []
    if out:
        figures.append(finish(fold_figure(result['folds'][0]), out, 'kaggle_house_fold0.png'))
        # out is this run's own folder: a new run replaces its submission like its figures
        submission = train_and_pred(data['train_features'], data['test_features'],
                                    data['train_labels'], data['test_ids'],
                                    os.path.join(out, SUBMISSION_FILE), num_epochs, lr, wd,
                                    batch_size, overwrite=True, impl=impl, ctx=contexts,
                                    verbose=verbose)
        final['submission'] = {key: submission[key]
                               for key in ('path', 'train_log_rmse', 'rows', 'clipped', 'seconds')}
    return {'hyperparameters': {'k': k, 'num_epochs': num_epochs, 'lr': lr, 'wd': wd,
                                'batch_size': batch_size},
            'history': _history(result), 'final': final, 'figures': figures}


def run_gluon(ctx=None, quick=False, out=None, k=K, num_epochs=NUM_EPOCHS, lr=LR, wd=WD,
              batch_size=BATCH_SIZE, better=True, data_dir=None, verbose=True):
    """3.16: k-fold validation of nn.Dense(1) with Trainer('adam'); out -> fold-0 PNG and
    submission.csv; better=True adds the k-fold-selected MLP's score as final['better'];
    quick=True: at most 2 folds and 10 epochs."""
    return _run('gluon', ctx, quick, out, k, num_epochs, lr, wd, batch_size, better, data_dir,
                verbose)


def run_scratch(ctx=None, quick=False, out=None, k=K, num_epochs=NUM_EPOCHS, lr=LR, wd=WD,
                batch_size=BATCH_SIZE, better=True, data_dir=None, verbose=True):
    """3.16: the same with NDArray + autograd and the hand-written adam (one device); the MLP of
    final['better'] is trained with Gluon."""
    return _run('scratch', ctx, quick, out, k, num_epochs, lr, wd, batch_size, better, data_dir,
                verbose)


SECTIONS = [
    Section('3.16', 'Kaggle house price prediction', {'scratch': run_scratch, 'gluon': run_gluon},
            default_impl='gluon',
            book={'train_log_rmse': 0.165, 'valid_log_rmse': 0.170,
                  'note': 'book prints 5-fold validation: avg train rmse 0.165, avg valid rmse '
                          '0.170'}),
]
