"""Runs of section 3.16 (the book's code is ch3.book.kaggle_house): the first look at the data,
the k-fold validation of the linear model, the scratch and Gluon versions compared on one fold,
the fold-0 figure, submission.csv and the JSON result.

Beyond the book: a one-hidden-layer MLP trained on centred log prices, chosen among a few weight
decays by the same k-fold validation (`better=True`).
"""
import os

from mxnet import gluon, init
from mxnet.gluon import loss as gloss, nn

from ch3.book import kaggle_house as book
from ch3.book.kfold import get_k_fold_data, run_folds
from ch3.book.plotting import finish
from ch3.checks import check_int, check_nonnegative, check_training_args
from ch3.context import as_ctx_list
from ch3.harness.runs import Section
from ch3.harness.training import gluon_step
from ch3.utils import Timer, set_seed

AGREEMENT_SEED = 1   # both versions re-train fold 0 from this seed to compare them
# Beyond the book: MLPs on log prices (hidden units, Adam lr, weight decay), picked by k-fold.
BETTER_CANDIDATES = ({'hidden': 64, 'lr': 0.01, 'wd': 0.0},
                     {'hidden': 64, 'lr': 0.01, 'wd': 0.01},
                     {'hidden': 64, 'lr': 0.01, 'wd': 0.1})


# ------------------------------------------------------------------------ beyond the book: an MLP
def get_mlp(hidden=64, ctx=None):
    """3.16+: Dense(hidden, relu) -> Dense(1) with Xavier initialization, hybridized."""
    net = nn.HybridSequential()
    net.add(nn.Dense(check_int('hidden', hidden, minimum=1), activation='relu'), nn.Dense(1))
    net.initialize(init.Xavier(), ctx=as_ctx_list(ctx))
    net.hybridize(static_alloc=True)
    return net


def train_log_mlp(net, train_features, train_labels, test_features, test_labels,
                  num_epochs=book.num_epochs, learning_rate=0.01, weight_decay=0.01,
                  batch_size=book.batch_size, ctx=None):
    """3.16+: fit net to log prices centred on the training mean with Adam; returns (train_ls,
    test_ls, predict), predict(X (n, d)) -> prices (n, 1), log RMSE of prices per epoch."""
    check_training_args(batch_size=batch_size, lr=learning_rate, num_epochs=num_epochs)
    contexts = as_ctx_list(ctx)
    log_labels = train_labels.log()
    shift = float(log_labels.mean().asscalar())   # centred targets: the bias needn't travel to ~12

    def predict(X):
        return (net(X) + shift).exp()

    loss = gloss.L2Loss()
    trainer = gluon.Trainer(net.collect_params(), 'adam',
                            {'learning_rate': learning_rate, 'wd': weight_decay})
    train_ls, test_ls = [], []
    for epoch in range(num_epochs):
        for X, y in book.shuffled_batches(train_features, log_labels - shift, batch_size):
            gluon_step(net, loss, trainer, X, y, batch_size, contexts)
        train_ls.append(book.log_rmse(predict, train_features, train_labels))
        if test_labels is not None:
            test_ls.append(book.log_rmse(predict, test_features, test_labels))
    return train_ls, test_ls, predict


def select_better_model(train_features, train_labels, candidates=BETTER_CANDIDATES, k=book.k,
                        num_epochs=book.num_epochs, batch_size=book.batch_size, ctx=None,
                        verbose=True):
    """3.16+: k-fold score of each MLP candidate {'hidden', 'lr', 'wd'}; returns {'candidates':
    [... with train_log_rmse, valid_log_rmse], 'best': the candidate with the lowest valid}."""
    if not candidates:
        raise ValueError('select_better_model needs at least one candidate {hidden, lr, wd}')
    if verbose:   # the book stops at its linear model; what follows is ours
        print('--- beyond the book: %d MLP candidates, each scored by the same %d-fold validation'
              % (len(candidates), k))
    scored = []
    for spec in candidates:
        def train_fn(X_train, y_train, X_valid, y_valid, spec=spec):
            net = get_mlp(spec['hidden'], ctx)
            return train_log_mlp(net, X_train, y_train, X_valid, y_valid, num_epochs,
                                 spec['lr'], spec['wd'], batch_size, ctx)[:2]
        result = run_folds(k, train_features, train_labels, train_fn, verbose=False)
        scored.append(dict(spec, train_log_rmse=result['train_mean'],
                           valid_log_rmse=result['valid_mean'],
                           folds=[[f['train'], f['valid']] for f in result['folds']]))
        if verbose:
            print('MLP hidden %d, lr %g, wd %g: avg train log rmse %f, avg valid log rmse %f'
                  % (spec['hidden'], spec['lr'], spec['wd'], result['train_mean'],
                     result['valid_mean']))
    best = min(scored, key=lambda s: s['valid_log_rmse'])
    return {'candidates': scored, 'best': best, 'k': k, 'num_epochs': num_epochs}


# ---------------------------------------------------------------------------- the section's runs
def first_look(data, verbose=True):
    """The book's first look: the shapes of the two tables and a few rows and columns."""
    rows = book.first_look(data['train_data'])
    if verbose:
        print('train_data', data['train_data'].shape, 'test_data', data['test_data'].shape)
        print(rows.to_string())
        print('after preprocessing: %d features' % len(data['feature_names']))
    return {'train_shape': list(data['train_data'].shape),
            'test_shape': list(data['test_data'].shape),
            'columns': [str(c) for c in rows.columns],
            'rows': [[v.item() if hasattr(v, 'item') else v for v in row]
                     for row in rows.itertuples(index=False)],
            'num_features': len(data['feature_names'])}


def versions_agree(data, num_epochs, lr, wd, batch_size, ctx, seed=AGREEMENT_SEED):
    """train_scratch (hand-written Adam) and the book's Gluon train on fold 0 from the same seed
    (same initial draws, same minibatches): the largest relative difference of their curves."""
    device = as_ctx_list(ctx)[0]
    fold = get_k_fold_data(book.k, 0, data['train_features'], data['train_labels'])
    set_seed(seed)
    scratch = book.train_scratch(book.init_linear_params(fold[0].shape[1], device), *fold,
                                 num_epochs, lr, wd, batch_size)
    set_seed(seed)
    gluon_ls = book.train(book.get_net(device), *fold, num_epochs, lr, wd, batch_size)
    diffs = [abs(a - b) / b for s, g in zip(scratch, gluon_ls) for a, b in zip(s, g)]
    return {'fold': 0, 'seed': seed, 'num_epochs': num_epochs,
            'max_rel_diff_log_rmse': float(max(diffs)),
            'final_valid_log_rmse': {'scratch': scratch[1][-1], 'gluon': gluon_ls[1][-1]}}


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


def _run(impl, ctx, out, k, num_epochs, lr, wd, batch_size, better, data_dir, verbose):
    check_training_args(batch_size=batch_size, lr=lr, num_epochs=num_epochs)
    check_nonnegative('wd (weight decay)', wd)
    contexts = as_ctx_list(ctx)
    data = book.load_data(data_dir, contexts)
    final = {'first_look': first_look(data, verbose)}
    timer = Timer()
    result = book.k_fold_results(k, data['train_features'], data['train_labels'], num_epochs,
                                 lr, wd, batch_size, from_scratch=impl == 'scratch',
                                 ctx=contexts, verbose=verbose)
    if verbose:
        print('%d-fold validation: avg train rmse: %f, avg valid rmse: %f'
              % (k, result['train_mean'], result['valid_mean']))
    final.update(train_log_rmse=result['train_mean'], valid_log_rmse=result['valid_mean'],
                 folds=[{'fold': f['fold'], 'train_log_rmse': f['train'],
                         'valid_log_rmse': f['valid']} for f in result['folds']],
                 k_fold_seconds=timer.stop(),
                 num_features=int(data['train_features'].shape[1]))
    if better:
        chosen = select_better_model(data['train_features'], data['train_labels'], k=k,
                                     num_epochs=num_epochs, batch_size=batch_size, ctx=contexts,
                                     verbose=verbose)
        final['better'] = dict(chosen, linear_valid_log_rmse=result['valid_mean'])
    figures = []
    if out:
        figures.append(finish(book.fold_figure(result['folds'][0]), out,
                              'kaggle_house_fold0.png'))
        # out is this run's own folder: a new run replaces its submission like its figures
        timer = Timer()
        submission = book.predict_submission(
            data['train_features'], data['test_features'], data['train_labels'],
            data['test_ids'], num_epochs, lr, wd, batch_size,
            path=os.path.join(out, book.SUBMISSION_FILE), overwrite=True,
            from_scratch=impl == 'scratch', ctx=contexts)
        if verbose:
            print('train rmse %f' % submission['train_log_rmse'])
            print('wrote %d predictions to %s' % (submission['rows'], submission['path']))
        final['submission'] = {key: submission[key]
                               for key in ('path', 'train_log_rmse', 'rows', 'clipped')}
        final['submission']['seconds'] = timer.stop()
    final['versions_agree'] = versions_agree(data, num_epochs, lr, wd, batch_size, contexts)
    if verbose:
        print('scratch (hand-written Adam) vs Gluon on fold 0 from one seed: max relative '
              'difference of the log RMSE curves %.2g'
              % final['versions_agree']['max_rel_diff_log_rmse'])
    return {'hyperparameters': {'k': k, 'num_epochs': num_epochs, 'lr': lr, 'wd': wd,
                                'batch_size': batch_size},
            'history': _history(result), 'final': final, 'figures': figures}


def run_gluon(ctx=None, out=None, k=book.k, num_epochs=book.num_epochs, lr=book.lr,
              wd=book.weight_decay, batch_size=book.batch_size, better=True, data_dir=None,
              verbose=True):
    """3.16 with Gluon (the book's version): k-fold validation of nn.Dense(1) with
    Trainer('adam'); out -> fold-0 PNG and submission.csv; better=True adds the k-fold-selected
    MLP's score as final['better']."""
    return _run('gluon', ctx, out, k, num_epochs, lr, wd, batch_size, better, data_dir, verbose)


def run_scratch(ctx=None, out=None, k=book.k, num_epochs=book.num_epochs, lr=book.lr,
                wd=book.weight_decay, batch_size=book.batch_size, better=True, data_dir=None,
                verbose=True):
    """3.16 from scratch: the same with NDArray, autograd and the hand-written adam (one
    device); the MLP of final['better'] is trained with Gluon."""
    return _run('scratch', ctx, out, k, num_epochs, lr, wd, batch_size, better, data_dir,
                verbose)


BOOK = {'folds': [{'fold': 0, 'train_log_rmse': 0.169582, 'valid_log_rmse': 0.156665},
                  {'fold': 1, 'train_log_rmse': 0.162050, 'valid_log_rmse': 0.188944},
                  {'fold': 2, 'train_log_rmse': 0.163999, 'valid_log_rmse': 0.168395},
                  {'fold': 3, 'train_log_rmse': 0.167683, 'valid_log_rmse': 0.154671},
                  {'fold': 4, 'train_log_rmse': 0.162449, 'valid_log_rmse': 0.182810}],
        'train_log_rmse': 0.165153, 'valid_log_rmse': 0.170297, 'num_features': 331,
        'first_look': {'columns': ['Id', 'MSSubClass', 'MSZoning', 'LotFrontage', 'SaleType',
                                   'SaleCondition', 'SalePrice'],
                       'rows': [[1, 60, 'RL', 65.0, 'WD', 'Normal', 208500],
                                [2, 20, 'RL', 80.0, 'WD', 'Normal', 181500],
                                [3, 60, 'RL', 68.0, 'WD', 'Normal', 223500],
                                [4, 70, 'RL', 60.0, 'WD', 'Abnorml', 140000]]},
        'source': 'd2l-zh notebooks, commit ea74109',
        'note': 'kaggle-house-price.ipynb: per-fold train/valid log RMSE of 5-fold validation '
                '(100 epochs, lr 5, wd 0, batch 64), their averages, the feature count after '
                'get_dummies (330 under pandas >= 2.0, see ch3.data.kaggle_house) and the first '
                'look at train_data'}

SECTIONS = [
    Section('3.16', 'Kaggle house price prediction', {'scratch': run_scratch, 'gluon': run_gluon},
            default_impl='gluon', book=BOOK, multi_device=(),
            headline='valid_log_rmse'),
]
