"""Exercises of 3.16 (Kaggle house prices), the book's four questions, which the notes leave
unanswered: the Kaggle score of the section's predictions, a better model, the numeric features
without standardization, and more hyperparameters. They score by the section's k-fold log RMSE
(ch3.book.kaggle_house's k-fold, the MLP of ch3.harness.runs.kaggle_house) over several seeds;
quick mode applies the section's caps (ch3.harness.settings.QUICK['3.16'])."""
import os

from mxnet import nd

from ch3.book import kaggle_house as book
from ch3.book.kfold import run_folds
from ch3.context import as_ctx_list
from ch3.data.kaggle_house import load_kaggle_house, preprocess
from ch3.harness.exercises.base import (ExerciseList, Outcome, compare_seeds, comparison_json,
                                        diverged_note, evidence, first_ctx, fmt, seed_list,
                                        seed_values, seeds_text, train, train_seeds)
from ch3.harness.runs import kaggle_house as house_run
from ch3.harness.settings import QUICK

EXERCISES = ExerciseList()

BOOK = {'k': book.k, 'num_epochs': book.num_epochs, 'lr': book.lr, 'wd': book.weight_decay,
        'batch_size': book.batch_size}
MLP = {'hidden': 64, 'lr': 0.01, 'wd': 0.01}   # the run's MLP candidate with weight decay
NOTES_ZH = '（笔记没有回答这一题）'
NOTES_EN = '(the notes skip this question)'
_DATA = {}


def settings_for(quick, **changes):
    """The book's k-fold settings with changes, capped by QUICK['3.16'] when quick."""
    settings = dict(BOOK, **changes)
    if quick:
        settings.update({k: min(v, settings[k]) for k, v in QUICK['3.16'].items()})
    return settings


def house_data(device, standardize=True):
    """The section's arrays (features (1460, d), labels (1460, 1), test features, test ids),
    with or without the standardization of the numeric features; read once per process."""
    key = (str(device), standardize)
    if key not in _DATA:
        train_df, test_df = load_kaggle_house(download=False)
        train_x, test_x, labels, _ = preprocess(train_df, test_df, standardize=standardize)
        _DATA[key] = {'train_features': nd.array(train_x, ctx=device),
                      'train_labels': nd.array(labels, ctx=device),
                      'test_features': nd.array(test_x, ctx=device),
                      'test_ids': test_df['Id'].to_numpy()}
    return _DATA[key]


def kfold_score(ctx, k, num_epochs, lr, wd, batch_size, model='linear', standardize=True,
                hidden=64):
    """k-fold log RMSE of the section's linear model (Adam at lr, wd) or of the run's MLP on
    log prices: {'train_mean', 'valid_mean', 'folds', 'history'} (history: the mean train log
    RMSE per epoch as 'loss', for the divergence check)."""
    device = as_ctx_list(ctx)[0]
    data = house_data(device, standardize)

    def train_fn(X_train, y_train, X_valid, y_valid):
        if model == 'linear':
            return book.train(book.get_net(device), X_train, y_train, X_valid, y_valid,
                              num_epochs, lr, wd, batch_size)
        net = house_run.get_mlp(hidden, device)
        return house_run.train_log_mlp(net, X_train, y_train, X_valid, y_valid, num_epochs,
                                       lr, wd, batch_size, device)[:2]
    result = run_folds(k, data['train_features'], data['train_labels'], train_fn, verbose=False)
    curves = [f['train_curve'] for f in result['folds']]
    history = [{'epoch': e + 1, 'loss': sum(c[e] for c in curves) / len(curves)}
               for e in range(len(curves[0]))]
    return {'train_mean': result['train_mean'], 'valid_mean': result['valid_mean'],
            'folds': [[f['train'], f['valid']] for f in result['folds']], 'history': history}


def score_seeds(seeds, **kwargs):
    """train_seeds of kfold_score (Adam's log-RMSE curves wobble, 0.3 -> 0.5 and back: only a
    non-finite loss or one that ends above its first epoch's counts as diverged)."""
    return train_seeds(kfold_score, seeds, **kwargs)


def _valid(trained):
    return seed_values(trained, lambda r: r['valid_mean'])


def _mean(values):
    return sum(values.values()) / len(values) if values else float('nan')


@EXERCISES.add('3.16.1', 'Submit the predictions of this section to Kaggle: what score do they '
               'get?', NOTES_ZH, NOTES_EN,
               full_note="the book's settings (5 folds, 100 epochs, Adam lr 5, batch 64), "
                         '5 seeds; the submission trained on all 1460 houses with the first')
def kaggle_score(ctx, quick, out, seed):
    seeds, settings = seed_list(quick, seed), settings_for(quick)
    device = first_ctx(ctx)[0]
    scores = score_seeds(seeds, ctx=device, **settings)
    valid = _valid(scores)
    se = compare_seeds(valid, {s: 0.0 for s in valid})
    measured = {'valid_log_rmse': {str(s): v for s, v in valid.items()},
                'valid_log_rmse_mean': comparison_json(se), 'settings': settings}
    submission = ''
    if out and scores['runs']:
        data = house_data(device)
        path = os.path.join(out, '3_16_1_submission.csv')
        result = train(book.predict_submission, seeds[0], train_features=data['train_features'],
                       test_features=data['test_features'], train_labels=data['train_labels'],
                       test_data=data['test_ids'], path=path, num_epochs=settings['num_epochs'],
                       lr=settings['lr'], weight_decay=settings['wd'],
                       batch_size=settings['batch_size'], overwrite=True, ctx=device)
        measured['submission'] = {'rows': result['rows'], 'clipped': result['clipped'],
                                  'train_log_rmse': result['train_log_rmse']}
        submission = (' The submission (%d rows, trained on all houses, training log RMSE %s) '
                      'is written beside the figures.'
                      % (result['rows'], fmt(result['train_log_rmse'], 3)))
    note = diverged_note({'linear': scores})
    return Outcome(measured, [], settings=dict(settings, seeds=seeds),
                   answer='Kaggle cannot be reached from here, and its score is the log RMSE on '
                          'the 1459 test houses, whose prices are not in the data. The %d-fold '
                          'validation log RMSE estimates it: %s ± %s (1 se over %s).%s%s'
                          % (settings['k'], fmt(se['mean_a'] if se['diff'] is not None
                                                else float('nan'), 4),
                             fmt(se['se'] if se['se'] is not None else float('nan'), 2),
                             seeds_text(se['seeds']), submission,
                             ' Diverged, left out: %s.' % note if note else ''))


@EXERCISES.add('3.16.2', 'Modify the model (e.g. add a hidden layer) and tune it against the '
               'k-fold results: does the score improve?', NOTES_ZH, NOTES_EN,
               full_note='the book\'s linear model against an MLP (Dense(64, relu) -> Dense(1) '
                         'on log prices, Adam lr 0.01, wd 0.01), 5 folds, 100 epochs, 5 seeds')
def better_model(ctx, quick, out, seed):
    seeds, settings = seed_list(quick, seed), settings_for(quick)
    device = first_ctx(ctx)[0]
    linear = score_seeds(seeds, ctx=device, **settings)
    mlp = score_seeds(seeds, ctx=device, model='mlp', hidden=MLP['hidden'],
                      **dict(settings, lr=MLP['lr'], wd=MLP['wd']))
    cmp = compare_seeds(_valid(mlp), _valid(linear))
    note = diverged_note({'linear': linear, 'MLP': mlp})
    return Outcome({'valid_log_rmse': {'linear': _valid(linear), 'mlp': _valid(mlp)},
                    'mlp_minus_linear': comparison_json(cmp)}, [],
                   settings=dict(settings, mlp=MLP, seeds=seeds),
                   answer='%d-fold validation log RMSE: %s.%s'
                          % (settings['k'], evidence(cmp, 'MLP', 'linear (book)', 4,
                                                     diverged=note),
                             ' The MLP on log prices scores better beyond 2 se.'
                             if cmp['diff'] is not None and cmp['diff'] < -2 * cmp['se']
                             else ''))


@EXERCISES.add('3.16.3', 'What happens without the standardization of the continuous numeric '
               'features?', NOTES_ZH, NOTES_EN,
               full_note="the book's linear model and settings on raw numeric features (missing "
                         'values still 0) against the standardized ones, 5 seeds')
def no_standardization(ctx, quick, out, seed):
    seeds, settings = seed_list(quick, seed), settings_for(quick)
    device = first_ctx(ctx)[0]
    runs = {'standardized': score_seeds(seeds, ctx=device, **settings),
            'raw': score_seeds(seeds, ctx=device, standardize=False, **settings)}
    cmp = compare_seeds(_valid(runs['raw']), _valid(runs['standardized']))
    note = diverged_note(runs)
    raw_runs = runs['raw']['runs']
    raw = house_data(device, standardize=False)['train_features'].asnumpy()
    raw_std = [float(v) for v in raw.std(axis=0) if v > 0]
    return Outcome({'valid_log_rmse': {k: _valid(t) for k, t in runs.items()},
                    'raw_minus_standardized': comparison_json(cmp),
                    'diverged': {k: {str(s): why for s, why in t['diverged'].items()}
                                 for k, t in runs.items()}}, [],
                   settings=dict(settings, seeds=seeds),
                   answer='%d-fold validation log RMSE: %s. The raw feature columns have '
                          'standard deviations from %s to %s (standardized: 1).%s'
                          % (settings['k'],
                             evidence(cmp, 'raw', 'standardized', 4) if raw_runs else
                             'every run on raw features diverged', fmt(min(raw_std), 3),
                             fmt(max(raw_std), 3),
                             ' Diverged, left out: %s.' % note if note else ''))


GRID = {'lr': (1, 5, 20), 'batch_size': (16, 64, 256)}


@EXERCISES.add('3.16.4', 'Scan more hyperparameters of this section: can you get a better '
               'result?', NOTES_ZH, NOTES_EN,
               full_note="the book's linear model, lr in (1, 5, 20) x batch size in (16, 64, "
                         '256), 5 folds, 100 epochs: picked on the first seed, then the pick '
                         'against the book\'s lr 5, batch 64 on 5 fresh seeds')
def hyperparameter_scan(ctx, quick, out, seed):
    device = first_ctx(ctx)[0]
    grid = {}
    for lr in GRID['lr']:
        for batch_size in GRID['batch_size']:
            trained = score_seeds([seed], ctx=device,
                                  **settings_for(quick, lr=lr, batch_size=batch_size))
            grid[(lr, batch_size)] = (trained['runs'][seed]['valid_mean']
                                      if trained['runs'] else None)
    finite = {k: v for k, v in grid.items() if v is not None}
    best = min(finite, key=finite.get) if finite else (BOOK['lr'], BOOK['batch_size'])
    # the pick is judged on seeds it was not chosen on (choosing on a seed favours it there)
    fresh = [s + 1 for s in seed_list(quick, seed)]
    book_runs = score_seeds(fresh, ctx=device, **settings_for(quick))
    best_runs = score_seeds(fresh, ctx=device,
                            **settings_for(quick, lr=best[0], batch_size=best[1]))
    cmp = compare_seeds(_valid(best_runs), _valid(book_runs))
    note = diverged_note({'pick': best_runs, 'book': book_runs})
    table = ', '.join('lr %g batch %d: %s' % (lr, b, fmt(v, 4) if v is not None else 'diverged')
                      for (lr, b), v in grid.items())
    return Outcome({'grid_valid_log_rmse': {'lr %g, batch %d' % k: v for k, v in grid.items()},
                    'pick': {'lr': best[0], 'batch_size': best[1]},
                    'pick_minus_book': comparison_json(cmp)}, [],
                   settings=dict(settings_for(quick), grid={k: list(v) for k, v in GRID.items()},
                                 pick_seed=seed, fresh_seeds=fresh),
                   answer='Validation log RMSE (seed %d): %s. The pick, lr %g with batch %d, '
                          'against the book\'s lr %g, batch %d on fresh seeds: %s.'
                          % (seed, table, best[0], best[1], BOOK['lr'], BOOK['batch_size'],
                             evidence(cmp, 'pick', 'book', 4, diverged=note)))
