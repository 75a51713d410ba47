"""Tests for ch3.data.kaggle_house (section 3.16).

Real data from the shared read-only copy: $CH3_DATA_DIR/kaggle_house, else
../shared/data/kaggle_house relative to the repository root. Bad inputs are CSV files made in tmp_path. Nothing is downloaded.
"""
import hashlib
import io
import os
import socket
import time

import numpy as np
import pandas as pd
import pytest

from ch3.data import kaggle_house as kh

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def shared_dir():
    base = os.environ.get('CH3_DATA_DIR') or os.path.join(REPO, '..', 'shared', 'data')
    return os.path.normpath(os.path.join(base, 'kaggle_house'))


SHARED = shared_dir()
needs_real_data = pytest.mark.skipif(
    not all(os.path.isfile(os.path.join(SHARED, name)) for name in kh.FILES),
    reason='Kaggle house CSVs not found in %s (set CH3_DATA_DIR)' % SHARED)


@pytest.fixture(scope='module')
def frames():
    return kh.load_kaggle_house(SHARED, download=False)


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    monkeypatch.delenv('CH3_DATA_DIR', raising=False)
    monkeypatch.setenv('MXNET_HOME', str(tmp_path / 'mxhome'))
    return tmp_path


def write_csvs(folder, train_text, test_text):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / kh.TRAIN_FILE).write_text(train_text)
    (folder / kh.TEST_FILE).write_text(test_text)
    return folder


GOOD_TRAIN = 'Id,LotArea,Street,SalePrice\n1,100,Pave,200000\n2,,Grvl,150000\n'
GOOD_TEST = 'Id,LotArea,Street\n3,300,Pave\n'


# ------------------------------------------------------------------------------ real data

@needs_real_data
def test_shared_files_match_book_sha1():
    sums = {}
    with open(os.path.join(SHARED, 'SHA1SUMS')) as handle:
        for line in handle:
            digest, name = line.split()
            sums[name] = digest
    for name in kh.FILES:
        with open(os.path.join(SHARED, name), 'rb') as handle:
            assert hashlib.sha1(handle.read()).hexdigest() == kh.SHA1[name] == sums[name]


@needs_real_data
def test_load_shapes(frames):
    train, test = frames
    assert train.shape == (1460, 81) and test.shape == (1459, 80)
    assert list(train.columns[[0, -1]]) == ['Id', 'SalePrice']


@needs_real_data
def test_preprocess_like_the_book(frames):
    train, test = frames
    train_x, test_x, train_y, names = kh.preprocess(train, test)
    assert train_x.shape == (1460, 330) and test_x.shape == (1459, 330)   # book: 331, see below
    assert train_y.shape == (1460, 1)
    assert train_x.dtype == test_x.dtype == train_y.dtype == np.float32
    assert len(names) == 330 and np.isfinite(train_x).all() and np.isfinite(test_x).all()
    # numeric features are standardized over train + test; missing ones became 0 (the mean)
    both = np.vstack([train_x, test_x])
    lot = both[:, names.index('LotFrontage')]
    assert abs(lot.mean()) < 1e-5 and (lot == 0).sum() == 486       # 486 missing LotFrontage
    # dummies are 0/1 floats, one column per category plus a NaN column (dummy_na=True)
    street = [n for n in names if n.startswith('Street_')]
    assert street == ['Street_Grvl', 'Street_Pave', 'Street_nan']
    assert set(np.unique(both[:, names.index('Street_Pave')])) == {0.0, 1.0}
    np.testing.assert_array_equal(train_y[:3, 0], [208500, 181500, 223500])
    # inputs are not modified
    assert train.shape == (1460, 81) and train['LotFrontage'].isna().sum() == 259


@needs_real_data
def test_331_vs_330_is_masvnrtype_none(frames):
    """The book's 331st column is MasVnrType_None: pandas >= 2.0 reads the string "None" as NaN
    by default, so MasVnrType's "None" (no masonry veneer) joins MasVnrType_nan."""
    train, test = frames
    _, _, _, names = kh.preprocess(train, test)
    assert 'MasVnrType_None' not in names and 'MasVnrType_nan' in names
    assert train['MasVnrType'].isna().sum() == 872            # 864 "None" + 8 empty cells

    from pandas._libs.parsers import STR_NA_VALUES
    old_na = set(STR_NA_VALUES) - {'None'}                      # pandas 1.x's default NA strings
    old = [pd.read_csv(os.path.join(SHARED, name), keep_default_na=False, na_values=old_na)
           for name in kh.FILES]
    assert (old[0]['MasVnrType'] == 'None').sum() == 864
    _, _, _, old_names = kh.preprocess(*old)
    assert len(old_names) == 331                                 # the book's count
    assert set(old_names) - set(names) == {'MasVnrType_None'}
    assert set(names) - set(old_names) == set()


@needs_real_data
def test_ch3_data_dir_is_searched_first(monkeypatch, isolated):
    monkeypatch.setenv('CH3_DATA_DIR', os.path.dirname(SHARED))
    assert os.path.samefile(kh.find_kaggle_house(), SHARED)


@needs_real_data
def test_download_into_cache_with_injected_opener(isolated):
    def opener(url, timeout):
        with open(os.path.join(SHARED, url.rsplit('/', 1)[-1]), 'rb') as handle:
            return io.BytesIO(handle.read())

    folder = kh.find_kaggle_house(download=True, opener=opener)
    assert folder == str(isolated / 'mxhome' / 'datasets' / 'kaggle_house')
    assert sorted(os.listdir(folder)) == sorted(kh.FILES)
    train, test = kh.load_kaggle_house(download=False)
    assert train.shape == (1460, 81) and test.shape == (1459, 80)


# ------------------------------------------------------------------------------ bad input

def test_small_valid_files(isolated):
    folder = write_csvs(isolated / 'd', GOOD_TRAIN, GOOD_TEST)
    train, test = kh.load_kaggle_house(folder)
    train_x, test_x, train_y, names = kh.preprocess(train, test)
    assert names == ['LotArea', 'Street_Grvl', 'Street_Pave', 'Street_nan']
    # LotArea 100, NaN, 300: mean 200, sample std (ddof=1, pandas' default) 100*sqrt(2)
    np.testing.assert_allclose(train_x[:, 0], [-2 ** -0.5, 0], atol=1e-6)   # NaN -> 0
    np.testing.assert_allclose(test_x[0], [2 ** -0.5, 0, 1, 0], atol=1e-6)
    assert train_y.tolist() == [[200000.0], [150000.0]]


def test_missing_saleprice(isolated):
    folder = write_csvs(isolated / 'd', GOOD_TRAIN.replace('SalePrice', 'Price'), GOOD_TEST)
    with pytest.raises(kh.KaggleHouseFormatError,
                       match=r'kaggle_house_pred_train\.csv: missing column\(s\) SalePrice'):
        kh.load_kaggle_house(folder)


def test_missing_id(isolated):
    folder = write_csvs(isolated / 'd', GOOD_TRAIN, GOOD_TEST.replace('Id', 'Ident'))
    with pytest.raises(kh.KaggleHouseFormatError,
                       match=r'kaggle_house_pred_test\.csv: missing column\(s\) Id'):
        kh.load_kaggle_house(folder)
    assert issubclass(kh.KaggleHouseFormatError, ValueError)


def test_empty_file(isolated):
    folder = write_csvs(isolated / 'd', '', GOOD_TEST)
    with pytest.raises(kh.KaggleHouseFormatError, match=r'train\.csv: not a readable CSV'):
        kh.load_kaggle_house(folder)


def test_header_only(isolated):
    folder = write_csvs(isolated / 'd', 'Id,LotArea,Street,SalePrice\n', GOOD_TEST)
    with pytest.raises(kh.KaggleHouseFormatError, match=r'train\.csv: has a header but no rows'):
        kh.load_kaggle_house(folder)


def test_non_numeric_saleprice(isolated):
    folder = write_csvs(isolated / 'd', GOOD_TRAIN.replace('150000', 'cheap'), GOOD_TEST)
    with pytest.raises(kh.KaggleHouseFormatError, match='SalePrice is not numeric'):
        kh.load_kaggle_house(folder)


def test_feature_columns_disagree(isolated):
    folder = write_csvs(isolated / 'd', GOOD_TRAIN, 'Id,LotArea,Alley\n3,300,Pave\n')
    with pytest.raises(kh.KaggleHouseFormatError,
                       match=r"only in train: \['Street'\]; only in test: \['Alley'\]"):
        kh.load_kaggle_house(folder)


def test_directory_that_does_not_exist(isolated):
    missing = isolated / 'no_such_dir'
    with pytest.raises(kh.DatasetNotFound, match='no_such_dir.*does not exist') as info:
        kh.load_kaggle_house(missing)
    assert isinstance(info.value, FileNotFoundError)
    assert not missing.exists()


def test_not_found_lists_folders(isolated):
    with pytest.raises(kh.DatasetNotFound) as info:
        kh.find_kaggle_house()
    message = str(info.value)
    assert str(isolated / 'mxhome' / 'datasets' / 'kaggle_house') in message
    assert 'CH3_DATA_DIR' in message and 'download=True' in message


def test_offline_download_fails_fast_and_leaves_nothing(isolated, monkeypatch):
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    monkeypatch.setattr(kh, 'URLS', {name: 'http://127.0.0.1:%d/%s' % (port, name)
                                     for name in kh.FILES})
    start = time.monotonic()
    with pytest.raises(kh.DatasetNotFound, match='Downloading them failed.*127.0.0.1'):
        kh.load_kaggle_house()
    assert time.monotonic() - start < 10
    cache = isolated / 'mxhome' / 'datasets' / 'kaggle_house'
    assert not cache.exists() or os.listdir(cache) == []


def test_download_with_wrong_content_is_refused(isolated):
    folder = isolated / 'd'
    folder.mkdir()
    with pytest.raises(kh.DatasetNotFound, match='sha1 of the downloaded content'):
        kh.find_kaggle_house(folder, download=True,
                             opener=lambda url, timeout: io.BytesIO(b'Id,SalePrice\n1,2\n'))
    assert os.listdir(folder) == []
