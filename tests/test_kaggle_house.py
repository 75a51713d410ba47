import csv
import os

import mxnet as mx
import numpy as np
import pandas as pd
import pytest
from mxnet import autograd, gluon, nd
from mxnet.gluon import data as gdata

import ch3
from ch3.book import kaggle_house as kh
from ch3.book.kfold import get_k_fold_data
from ch3.harness.runs import kaggle_house as khr

BOOK = ch3.harness.registry.get_section('3.16').book


@pytest.fixture(scope='module')
def data():
    return kh.load_data()


@pytest.fixture(scope='module')
def book_run(data):
    """The book's 5-fold, 100-epoch run of the Gluon linear model (once for the module)."""
    ch3.set_seed(0)
    return kh.k_fold_results(5, data['train_features'], data['train_labels'], verbose=False)


def test_log_rmse_is_the_rmse_of_logs_with_predictions_clipped_at_1():
    preds = np.array([[0.5], [100.0], [2e5], [-3.0]], dtype=np.float32)
    labels = np.array([[2.0], [120.0], [1.8e5], [50.0]], dtype=np.float32)
    expected = np.sqrt(np.mean((np.log(np.maximum(preds, 1)) - np.log(labels)) ** 2))
    got = kh.log_rmse(lambda X: X, nd.array(preds), nd.array(labels))
    assert got == pytest.approx(expected, rel=1e-6)


def test_in_memory_batches_are_the_data_loaders_batches():
    X = nd.arange(150).reshape((75, 2))
    y = nd.arange(75).reshape((75, 1))
    np.random.seed(3)
    ours = list(kh.shuffled_batches(X, y, 16))
    np.random.seed(3)
    theirs = list(gdata.DataLoader(gdata.ArrayDataset(X, y), 16, shuffle=True))
    assert [b[0].shape[0] for b in ours] == [16, 16, 16, 16, 11]
    for (Xa, ya), (Xb, yb) in zip(ours, theirs):
        np.testing.assert_array_equal(Xa.asnumpy(), Xb.asnumpy())
        np.testing.assert_array_equal(ya.asnumpy(), yb.asnumpy())


# MXNet keeps beta1, beta2 and lr as float32 attributes: 1 - 0.999f is 1.3e-5 off 0.001, so with
# the default betas the steps differ by ~6e-6 relative. Betas exact in float32 (and float64
# weights) leave only the rounding of lr: the formulas are then the same to 1e-7.
@pytest.mark.parametrize('dtype,betas,eps,atol', [
    ('float64', (0.875, 1 - 2 ** -9), 1e-8, 1e-7),
    ('float64', (0.875, 1 - 2 ** -9), 0.5, 1e-7),     # a large eps shows where it sits
    ('float32', (0.9, 0.999), 1e-8, 3e-5)])
def test_hand_written_adam_equals_gluons_adam_step_by_step(dtype, betas, eps, atol):
    rng = np.random.RandomState(0)
    w0, b0 = rng.normal(size=(1, 6)), rng.normal(size=(1,))
    net = gluon.nn.Dense(1, in_units=6, dtype=dtype)
    net.initialize()
    net.weight.set_data(nd.array(w0, dtype=dtype))
    net.bias.set_data(nd.array(b0, dtype=dtype))
    trainer = gluon.Trainer(net.collect_params(), 'adam',
                            {'learning_rate': 0.3, 'wd': 0.05, 'epsilon': eps,
                             'beta1': betas[0], 'beta2': betas[1]})
    params = [nd.array(w0.T, dtype=dtype), nd.array(b0, dtype=dtype)]
    for p in params:
        p.attach_grad()
    states = kh.init_adam_states(params)
    hyper = {'lr': 0.3, 'wd': 0.05, 't': 1, 'eps': eps, 'beta1': betas[0], 'beta2': betas[1]}
    for step in range(20):
        X = nd.array(rng.normal(size=(8, 6)), dtype=dtype)
        y = nd.array(rng.normal(size=(8, 1)), dtype=dtype)
        with autograd.record():
            l = ((net(X) - y) ** 2 / 2)
        l.backward()
        trainer.step(8)
        with autograd.record():
            l = ch3.squared_loss(ch3.linreg(X, *params), y)
        l.backward()
        kh.adam(params, states, hyper, 8)
        np.testing.assert_allclose(params[0].asnumpy().T, net.weight.data().asnumpy(), atol=atol)
        np.testing.assert_allclose(params[1].asnumpy(), net.bias.data().asnumpy(), atol=atol)
    assert hyper['t'] == 21
    assert np.abs(params[0].asnumpy().T - w0).max() > 1    # the weights really moved


def test_scratch_init_draws_what_gluons_default_initialization_draws():
    mx.random.seed(7)
    w, b = kh.init_linear_params(330)
    mx.random.seed(7)
    net = kh.get_net()
    net(nd.ones((1, 330)))   # deferred initialization happens at the first forward pass
    np.testing.assert_array_equal(w.asnumpy().T, net[0].weight.data().asnumpy())
    assert b.asnumpy().tolist() == [0.0] and abs(w).max().asscalar() <= 0.07


def test_scratch_and_gluon_give_the_same_losses_on_real_data(data):
    X_train, y_train, X_valid, y_valid = get_k_fold_data(
        5, 1, data['train_features'], data['train_labels'])
    num_epochs = 15
    mx.random.seed(0)
    params = kh.init_linear_params(X_train.shape[1])
    np.random.seed(0)
    scratch = kh.train_scratch(params, X_train, y_train, X_valid, y_valid, num_epochs)
    mx.random.seed(0)
    net = kh.get_net()
    np.random.seed(0)
    gluon_ls = kh.train(net, X_train, y_train, X_valid, y_valid, num_epochs)
    assert scratch[0][0] > 2 * scratch[0][-1]          # it did learn
    np.testing.assert_allclose(scratch[0], gluon_ls[0], rtol=1e-5)
    np.testing.assert_allclose(scratch[1], gluon_ls[1], rtol=1e-5)


def test_the_books_five_fold_run_reaches_the_books_scores(book_run):
    assert len(book_run['folds']) == 5
    assert book_run['valid_mean'] <= 0.18
    assert book_run['valid_mean'] == pytest.approx(BOOK['valid_log_rmse'], abs=0.01)
    assert book_run['train_mean'] == pytest.approx(BOOK['train_log_rmse'], abs=0.01)
    # the same folds (contiguous blocks in file order) as the book's: fold by fold close to it
    for ours, book in zip(book_run['folds'], BOOK['folds']):
        assert ours['valid'] == pytest.approx(book['valid_log_rmse'], abs=0.005)
    for fold in book_run['folds']:
        assert len(fold['train_curve']) == 100
        assert fold['train_curve'][-1] < fold['train_curve'][0] / 3


def test_an_mlp_on_log_prices_beats_the_linear_model_in_the_same_validation(data, book_run):
    chosen = khr.select_better_model(
        data['train_features'], data['train_labels'], num_epochs=12, verbose=False,
        candidates=[{'hidden': 64, 'lr': 0.01, 'wd': 10.0}, {'hidden': 64, 'lr': 0.01, 'wd': 0.01}])
    scores = [c['valid_log_rmse'] for c in chosen['candidates']]
    assert chosen['best']['wd'] == 0.01 and chosen['best']['valid_log_rmse'] == min(scores)
    assert scores[0] > 0.3           # such strong decay predicts about the mean log price
    assert chosen['best']['valid_log_rmse'] < book_run['valid_mean'] - 0.01


def _read_submission(path):
    with open(path, newline='') as handle:
        return list(csv.reader(handle))


def test_train_and_pred_writes_a_kaggle_submission(data, tmp_path):
    path = tmp_path / 'submission.csv'
    result = kh.predict_submission(data['train_features'], data['test_features'],
                                   data['train_labels'], data['test_ids'], path=path)
    rows = _read_submission(path)
    assert rows[0] == ['Id', 'SalePrice'] and len(rows) == 1460
    assert [int(r[0]) for r in rows[1:]] == data['test_ids'].tolist()
    prices = np.array([float(r[1]) for r in rows[1:]])
    assert np.isfinite(prices).all() and (prices > 1000).all()
    assert 100000 < np.median(prices) < 250000
    assert result['rows'] == 1459 and result['train_log_rmse'] < 0.18
    assert os.listdir(tmp_path) == ['submission.csv']


def test_the_books_calls_of_k_fold_and_train_and_pred(data, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)   # the book writes submission.csv where it runs
    k, num_epochs, lr, weight_decay, batch_size = 2, 5, 5, 0, 64
    ch3.set_seed(0)
    train_l, valid_l = kh.k_fold(k, data['train_features'], data['train_labels'], num_epochs, lr,
                                 weight_decay, batch_size)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(',')[0] for line in lines] == ['fold 0', 'fold 1']
    scores = [[float(part.split(': ')[1]) for part in line.split(', ')[1:]] for line in lines]
    assert all(line.split(', ')[1].startswith('train rmse: ') for line in lines)
    assert train_l == pytest.approx(np.mean([t for t, _ in scores]), abs=1e-6)
    assert valid_l == pytest.approx(np.mean([v for _, v in scores]), abs=1e-6)
    assert kh.train_and_pred(data['train_features'], data['test_features'],
                             data['train_labels'], data['test_data'], num_epochs, lr,
                             weight_decay, batch_size) is None
    assert capsys.readouterr().out.startswith('train rmse ')
    assert len(_read_submission(tmp_path / 'submission.csv')) == 1460


def test_a_diverging_learning_rate_stops_k_fold_and_writes_no_submission(data, tmp_path):
    with pytest.raises(ch3.TrainingDiverged, match='epoch 1'):
        kh.k_fold(2, data['train_features'], data['train_labels'], 2, 1e9, 0, 64)
    path = tmp_path / 'submission.csv'
    with pytest.raises(ch3.TrainingDiverged, match='smaller learning rate'):
        kh.train_and_pred(data['train_features'], data['test_features'], data['train_labels'],
                          data['test_ids'], 2, 1e9, 0, 64, path=path)
    assert os.listdir(tmp_path) == []


def test_train_and_pred_refuses_to_overwrite_unless_asked(data, tmp_path):
    path = tmp_path / 'submission.csv'
    path.write_text('keep me\n')
    args = (data['train_features'], data['test_features'], data['train_labels'], data['test_ids'])
    with pytest.raises(FileExistsError, match='overwrite=True'):
        kh.train_and_pred(*args, path=path)
    assert path.read_text() == 'keep me\n'
    kh.predict_submission(*args, num_epochs=2, path=path, overwrite=True, from_scratch=True)
    assert _read_submission(path)[0] == ['Id', 'SalePrice']


def test_a_failed_write_leaves_the_old_file_and_no_fragment(tmp_path, monkeypatch):
    path = tmp_path / 'submission.csv'
    path.write_text('old\n')
    with pytest.raises(ValueError, match='not finite'):
        kh.write_submission(path, [1, 2], [3.0, float('nan')], overwrite=True)

    def broken_to_csv(self, handle, **kwargs):
        handle.write('Id,SalePrice\n1,')
        raise OSError('disk full')

    monkeypatch.setattr(pd.DataFrame, 'to_csv', broken_to_csv)
    with pytest.raises(OSError, match='disk full'):
        kh.write_submission(path, [1, 2], [3.0, 4.0], overwrite=True)
    assert path.read_text() == 'old\n' and os.listdir(tmp_path) == ['submission.csv']


def test_prices_below_one_are_raised_to_one(tmp_path):
    path = tmp_path / 's.csv'
    assert kh.write_submission(path, [7, 8], [-5.0, 2.5]) == 1
    assert _read_submission(path)[1:] == [['7', '1.0'], ['8', '2.5']]


def test_quick_section_runs_agree_between_versions_and_write_their_outputs(tmp_path):
    out = tmp_path / 'out'
    results = {impl: ch3.run_section('3.16', impl=impl, quick=True, seed=0, better=False,
                                     out=str(out / impl), verbose=False)
               for impl in ('scratch', 'gluon')}
    for impl, result in results.items():
        final = result['final']
        assert [f['fold'] for f in final['folds']] == [0, 1]      # quick: 2 folds
        assert final['valid_log_rmse'] == pytest.approx(
            np.mean([f['valid_log_rmse'] for f in final['folds']]))
        assert len(result['history']) == 10
        assert result['hyperparameters']['num_epochs'] == 10 and result['hyperparameters']['k'] == 2
        assert os.path.isfile(out / impl / 'kaggle_house_fold0.png')
        assert final['submission']['rows'] == 1459
        assert len(_read_submission(out / impl / 'submission.csv')) == 1460
    np.testing.assert_allclose(
        [f['valid_log_rmse'] for f in results['scratch']['final']['folds']],
        [f['valid_log_rmse'] for f in results['gluon']['final']['folds']], rtol=1e-4)
    for result in results.values():
        look = result['final']['first_look']
        assert look['train_shape'] == [1460, 81] and look['test_shape'] == [1459, 80]
        assert look['columns'] == BOOK['first_look']['columns']
        assert look['rows'] == BOOK['first_look']['rows']     # the rows the book printed
        agree = result['final']['versions_agree']
        assert agree['max_rel_diff_log_rmse'] < 1e-4 and agree['num_epochs'] == 10


def test_bad_arguments_are_refused(data):
    with pytest.raises(ValueError, match='k >= 2'):
        kh.k_fold(1, data['train_features'], data['train_labels'])
    with pytest.raises(ValueError, match='lr'):
        ch3.run_section('3.16', lr=0.0, quick=True)
    with pytest.raises(ValueError, match='wd'):
        ch3.run_section('3.16', wd=-1, quick=True)
    with pytest.raises(ValueError, match='one device'):
        ch3.run_section('3.16', impl='scratch', ctx='cpu:0,cpu:1', quick=True)
    with pytest.raises(ValueError, match='positive prices'):
        kh.train(kh.get_net(), nd.ones((4, 2)), -nd.ones((4, 1)), None, None, 1)


def test_both_versions_run_on_one_device():
    for impl in ('scratch', 'gluon'):
        with pytest.raises(ValueError, match='one device'):
            ch3.run_section('3.16', impl=impl, ctx='cpu:0,cpu:1', quick=True)
