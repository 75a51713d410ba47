"""Tests for ch3.data.kaggle_house (section 3.16).

Real data from the shared read-only copy: $CH3_DATA_DIR/kaggle_house, else
../shared/data/kaggle_house relative to the repository root. Bad inputs are CSV files made in tmp_path. Nothing is downloaded.
"""
import csv
import hashlib
import io
import os
import socket
import time

import numpy as np
import pandas as pd
import pytest

from ch3.data import house_schema as schema, kaggle_house as kh

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
# Damaged copies of the real files (or of their first rows, to stay fast), written in tmp_path.

def real_rows(name):
    """The rows of one shared CSV as lists of strings (header first), as the csv module reads."""
    with open(os.path.join(SHARED, name), newline='') as handle:
        return [row for row in csv.reader(handle)]


@pytest.fixture(scope='module')
def real():
    return {name: real_rows(name) for name in kh.FILES}


def write_rows(folder, rows_by_file):
    """Write {file name: rows} as CSV files into folder; returns folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in rows_by_file.items():
        with open(folder / name, 'w', newline='') as handle:
            csv.writer(handle, lineterminator='\n').writerows(rows)
    return folder


def damaged_copy(folder, real, train_rows=None, test_rows=None, edit=None):
    """Copy the real files (only the first train_rows / test_rows data rows when given) after
    edit(train, test) changes the row lists in place; returns folder."""
    train = [list(row) for row in real[kh.TRAIN_FILE][:None if train_rows is None
                                                       else train_rows + 1]]
    test = [list(row) for row in real[kh.TEST_FILE][:None if test_rows is None
                                                     else test_rows + 1]]
    if edit is not None:
        edit(train, test)
    return write_rows(folder, {kh.TRAIN_FILE: train, kh.TEST_FILE: test})


def set_cell(rows, row, column, value):
    """rows[row][column] = value, row counted like the messages (data rows from 1)."""
    rows[row][rows[0].index(column)] = value


def drop_column(rows, column):
    index = rows[0].index(column)
    for row in rows:
        del row[index]


def test_preprocess_arithmetic_on_a_tiny_frame():
    train = pd.read_csv(io.StringIO('Id,LotArea,Street,SalePrice\n1,100,Pave,200000\n'
                                    '2,,Grvl,150000\n'))
    test = pd.read_csv(io.StringIO('Id,LotArea,Street\n3,300,Pave\n'))
    train_x, test_x, train_y, names = kh.preprocess(train, test)
    assert names == ['LotArea', 'Street_Grvl', 'Street_Pave', 'Street_nan']
    # LotArea 100, NaN, 300: mean 200, sample std (ddof=1, pandas' default) 100*sqrt(2)
    np.testing.assert_allclose(train_x[:, 0], [-2 ** -0.5, 0], atol=1e-6)   # NaN -> 0
    np.testing.assert_allclose(test_x[0], [2 ** -0.5, 0, 1, 0], atol=1e-6)
    assert train_y.tolist() == [[200000.0], [150000.0]]


def test_preprocess_without_standardizing_keeps_raw_numbers():
    train = pd.read_csv(io.StringIO('Id,LotArea,Street,SalePrice\n1,100,Pave,200000\n'
                                    '2,,Grvl,150000\n'))
    test = pd.read_csv(io.StringIO('Id,LotArea,Street\n3,300,Pave\n'))
    train_x, test_x, _, names = kh.preprocess(train, test, standardize=False)
    assert names == ['LotArea', 'Street_Grvl', 'Street_Pave', 'Street_nan']
    np.testing.assert_array_equal(train_x[:, 0], [100, 0])   # raw; NaN still -> 0
    np.testing.assert_array_equal(test_x[0], [300, 0, 1, 0])


@needs_real_data
def test_loader_reads_the_real_files_as_plain_pandas_does(frames):
    """The schema checks change nothing on the real files: the frames plain pandas reads with
    pandas 2's missing-value strings (what the loader asks for on every pandas), same features."""
    train, test = frames
    for frame, name in ((train, kh.TRAIN_FILE), (test, kh.TEST_FILE)):
        plain = pd.read_csv(os.path.join(SHARED, name), na_values=['None'])
        pd.testing.assert_frame_equal(frame, plain)
    both = pd.concat((train.drop(columns=['Id', 'SalePrice']), test.drop(columns=['Id'])))
    numeric = [c for c in both.columns if both[c].dtype != object]   # the book's rule
    assert numeric == list(schema.NUMERIC_FEATURES) and len(numeric) == 36
    assert len(schema.CATEGORICAL_FEATURES) == 43
    assert [c for c in both.columns if both[c].isna().any()] == \
        [c for c in schema.FEATURE_NAMES if c in schema.MAY_BE_MISSING]


@needs_real_data
def test_text_in_a_numeric_column_names_file_row_column_and_value(isolated, real):
    folder = damaged_copy(isolated / 'd', real,
                          edit=lambda train, test: set_cell(train, 6, 'LotArea', 'x12'))
    with pytest.raises(kh.KaggleHouseFormatError) as info:
        kh.load_kaggle_house(folder)
    assert str(info.value) == "%s row 6, column LotArea: 'x12' is not a number" \
        % (folder / kh.TRAIN_FILE)


@needs_real_data
def test_every_numeric_column_refuses_text_in_either_file(isolated, real):
    for column in schema.NUMERIC_FEATURES:
        for name, row in ((kh.TRAIN_FILE, 3), (kh.TEST_FILE, 2)):
            def edit(train, test):
                set_cell(train if name == kh.TRAIN_FILE else test, row, column, '12 sq ft')
            folder = damaged_copy(isolated / column / name, real, 5, 5, edit)
            with pytest.raises(kh.KaggleHouseFormatError) as info:
                kh.load_kaggle_house(folder)
            assert str(info.value) == "%s row %d, column %s: '12 sq ft' is not a number" \
                % (folder / name, row, column)


@needs_real_data
@pytest.mark.parametrize('column, value, message', [
    ('Id', '4', '4 repeats the Id of row 4'),
    ('Id', '0', '0 is not a positive integer'),
    ('Id', '2.5', '2.5 is not a positive integer'),
    ('Id', '1e20', '100000000000000000000 is too large for an Id (at most 2**53)'),
    ('Id', '18446744073709551615', '18446744073709551615 is too large for an Id (at most 2**53)'),
    ('Id', 'seven', "'seven' is not a number"),
    ('Id', '', 'missing value (every house needs an Id)'),
    ('SalePrice', 'cheap', "'cheap' is not a number"),
    ('SalePrice', '0', '0 must be > 0'),
    ('SalePrice', '-5', '-5 must be > 0'),
    ('SalePrice', 'NA', 'missing value (every training house needs its price)'),
    ('LotArea', '-8450', '-8450 is negative'),
    ('LotArea', 'inf', 'inf is not a finite number'),
    ('LotArea', '', 'missing value (the data set has a value here in every row)'),
    ('Street', 'NA', 'missing value (the data set has a value here in every row)'),
])
def test_bad_cells_in_the_train_file(isolated, real, column, value, message):
    folder = damaged_copy(isolated / 'd', real, 20, 5,
                          lambda train, test: set_cell(train, 6, column, value))
    with pytest.raises(kh.KaggleHouseFormatError) as info:
        kh.load_kaggle_house(folder)
    assert str(info.value) == '%s row 6, column %s: %s' % (folder / kh.TRAIN_FILE, column,
                                                            message)


@needs_real_data
def test_an_id_in_both_files_is_refused(isolated, real):
    folder = damaged_copy(isolated / 'd', real, 20, 5,
                          lambda train, test: set_cell(test, 3, 'Id', '17'))
    with pytest.raises(kh.KaggleHouseFormatError) as info:
        kh.load_kaggle_house(folder)
    assert str(info.value) == '%s row 3, column Id: 17 is also the Id of %s row 17' \
        % (folder / kh.TEST_FILE, folder / kh.TRAIN_FILE)


@needs_real_data
def test_missing_values_stay_allowed_where_the_data_has_them(isolated, real):
    """NA in Alley means "no alley access" (its own _nan dummy); an empty LotFrontage is
    unknown (filled with the mean); MasVnrType's "None" is read as missing (pandas 2)."""
    def edit(train, test):
        set_cell(train, 2, 'Alley', 'NA')
        set_cell(train, 3, 'LotFrontage', '')
        set_cell(test, 1, 'MasVnrType', 'None')
    train, test = kh.load_kaggle_house(damaged_copy(isolated / 'd', real, 20, 5, edit))
    assert pd.isna(train['Alley'][1]) and pd.isna(train['LotFrontage'][2])
    assert pd.isna(test['MasVnrType'][0]) and train['LotFrontage'].dtype == np.float64


@needs_real_data
@pytest.mark.filterwarnings('ignore:The behavior of Index.insert:FutureWarning')   # pandas'
def test_a_categorical_column_of_digits_stays_categorical(isolated, real):
    def edit(train, test):
        for rows in (train, test):
            for row in range(1, len(rows)):
                set_cell(rows, row, 'Street', str(row % 2))
    train, test = kh.load_kaggle_house(damaged_copy(isolated / 'd', real, 20, 5, edit))
    assert train['Street'].dtype == object
    names = kh.preprocess(train, test)[3]
    assert [n for n in names if n.startswith('Street')] == ['Street_0', 'Street_1', 'Street_nan']


@needs_real_data
def test_missing_saleprice(isolated, real):
    folder = damaged_copy(isolated / 'd', real, 5, 5, lambda train, test: drop_column(
        train, 'SalePrice'))
    with pytest.raises(kh.KaggleHouseFormatError,
                       match=r'kaggle_house_pred_train\.csv: missing column\(s\) SalePrice '
                             r'\(found 80 columns: Id, MSSubClass,'):
        kh.load_kaggle_house(folder)


@needs_real_data
def test_missing_id(isolated, real):
    folder = damaged_copy(isolated / 'd', real, 5, 5,
                          lambda train, test: set_cell(test, 0, 'Id', 'Ident'))
    with pytest.raises(kh.KaggleHouseFormatError,
                       match=r'kaggle_house_pred_test\.csv: missing column\(s\) Id '):
        kh.load_kaggle_house(folder)
    assert issubclass(kh.KaggleHouseFormatError, ValueError)


@needs_real_data
def test_dropped_and_duplicated_feature_columns(isolated, real):
    folder = damaged_copy(isolated / 'a', real, 5, 5,
                          lambda train, test: drop_column(test, 'PoolQC'))
    with pytest.raises(kh.KaggleHouseFormatError,
                       match=r'test\.csv: missing column\(s\) PoolQC \(found 79 columns'):
        kh.load_kaggle_house(folder)

    def duplicate(train, test):
        for row in train:
            row.append(row[train[0].index('LotArea')])
    folder = damaged_copy(isolated / 'b', real, 5, 5, duplicate)
    with pytest.raises(kh.KaggleHouseFormatError,
                       match=r'train\.csv: column\(s\) LotArea appear more than once'):
        kh.load_kaggle_house(folder)


@needs_real_data
def test_saleprice_in_the_test_file_and_unknown_columns(isolated, real):
    def edit(train, test):
        for i, row in enumerate(test):
            row.append('SalePrice' if i == 0 else '100000')
    folder = damaged_copy(isolated / 'a', real, 5, 5, edit)
    with pytest.raises(kh.KaggleHouseFormatError,
                       match=r'test\.csv: unexpected column\(s\) SalePrice \(SalePrice belongs '
                             r'in the train file only\)'):
        kh.load_kaggle_house(folder)


@needs_real_data
def test_feature_columns_in_different_orders(isolated, real):
    def swap(train, test):
        for row in test:
            row[1], row[2] = row[2], row[1]
    folder = damaged_copy(isolated / 'd', real, 5, 5, swap)
    with pytest.raises(kh.KaggleHouseFormatError, match='same feature columns in different '
                                                         'orders'):
        kh.load_kaggle_house(folder)


def test_empty_file(isolated):
    folder = write_csvs(isolated / 'd', '', 'Id\n1\n')
    with pytest.raises(kh.KaggleHouseFormatError, match=r'train\.csv: not a readable CSV'):
        kh.load_kaggle_house(folder)


def test_header_only(isolated):
    folder = write_csvs(isolated / 'd', ','.join(schema.columns(train=True)) + '\n', 'Id\n1\n')
    with pytest.raises(kh.KaggleHouseFormatError, match=r'train\.csv: has a header but no rows'):
        kh.load_kaggle_house(folder)


@needs_real_data
def test_ch3_run_turns_a_bad_file_into_one_line_and_status_2(isolated, real, monkeypatch,
                                                             capsys):
    from ch3.harness import cli
    damaged_copy(isolated / 'data' / 'kaggle_house', real,
                 edit=lambda train, test: set_cell(train, 6, 'LotArea', 'x12'))
    monkeypatch.setenv('CH3_DATA_DIR', str(isolated / 'data'))
    monkeypatch.chdir(isolated)
    out = isolated / 'out'
    assert cli.main(['run', '3.16', '--quick', '--out', str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.err == "ch3 run: error: %s row 6, column LotArea: 'x12' is not a number\n" \
        % (isolated / 'data' / 'kaggle_house' / kh.TRAIN_FILE)
    assert sorted(os.listdir(isolated)) == ['data']   # no out/, no submission.csv


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
