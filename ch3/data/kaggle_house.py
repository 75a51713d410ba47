"""Kaggle house prices for section 3.16: find, load, check and preprocess the two CSV files.

Loading checks both files against the schema in ch3.data.house_schema (columns, numeric or
categorical, Id, SalePrice, where values may be missing) and refuses a damaged file with an error
naming file, row, column and value, e.g. `.../kaggle_house_pred_train.csv row 6, column LotArea:
'x12' is not a number` (rows count data rows from 1, the header not included). Without the check
one typo in a numeric column made pandas read the whole column as text, and the one-hot encoding
then trained on 2510 features instead of 330 (LotArea = x12 in row 6).

The files are looked for in an explicit `data_dir` (then the only place looked), else
`$CH3_DATA_DIR/kaggle_house`, else the cache `$MXNET_HOME/datasets/kaggle_house` (MXNET_HOME
defaulting to ~/.mxnet); when missing they can be downloaded from the book's addresses, checked
against the book's sha1s and renamed into the cache.

Preprocessing is the book's: standardize the numeric features over train + test together, fill
their missing values with 0, one-hot encode the rest with `dummy_na=True`, and keep SalePrice as a
(n, 1) label column.

331 vs 330 columns. The book prints (2919, 331); under pandas 2.2 the same code gives (2919, 330).
The missing column is `MasVnrType_None`. In the raw CSVs MasVnrType ("masonry veneer type") uses
the string "None" for houses without veneer (864 train + 878 test rows); pandas 2.0 added "None" to
the strings `read_csv` turns into NaN by default (see pandas-dev/pandas#52493), so those rows now
merge with the 24 truly empty cells into the single `MasVnrType_nan` dummy instead of getting a
`MasVnrType_None` column of their own. Reading with "None" removed from the default NA strings
restores 331 (`tests/test_kaggle_house_data.py` shows both). We keep pandas' current default, as
the book's code does when run today, and pass "None" explicitly so pandas 1.5 (installed on Python
<= 3.11) reads the same 330 columns; the information lost is small (veneer "None" vs unknown).
"""
import os
import re

import numpy as np
import pandas as pd

from ch3.data import house_schema as schema
from ch3.data.download import (DataFormatError, DatasetNotFound, DownloadError, download,
                               first_complete_folder, mxnet_home)

__all__ = ['FILES', 'URLS', 'SHA1', 'find_kaggle_house', 'default_search_path',
           'download_kaggle_house', 'read_house_csv', 'load_kaggle_house', 'preprocess',
           'KaggleHouseFormatError', 'DatasetNotFound']

TRAIN_FILE = 'kaggle_house_pred_train.csv'
TEST_FILE = 'kaggle_house_pred_test.csv'
FILES = (TRAIN_FILE, TEST_FILE)
BASE_URL = 'http://d2l-data.s3-accelerate.amazonaws.com/'
URLS = {name: BASE_URL + name for name in FILES}
SHA1 = {  # the book's hashes (as in ../shared/data/kaggle_house/SHA1SUMS)
    TRAIN_FILE: '585e9cc93e70b39160e7921475f9bcd7d31219ce',
    TEST_FILE: 'fa19780a7b011d9b009e8bff8e99922a8ee2eb90',
}
ID, LABEL = schema.ID, schema.LABEL

INSTALL_HINT = ('Put %s and %s into a folder and pass data_dir=<folder> (on the command line: '
                '--set data_dir=<folder>), or set the environment variable CH3_DATA_DIR=<dir> so '
                'that <dir>/kaggle_house holds them; from Python, download=True fetches them from '
                '%s into $MXNET_HOME/datasets/kaggle_house.' % (TRAIN_FILE, TEST_FILE, BASE_URL))


class KaggleHouseFormatError(DataFormatError):
    """A house-price CSV cannot be parsed or lacks the columns section 3.16 needs."""


def default_search_path():
    """3.16: folders searched when no data_dir is given, in order."""
    folders = []
    if os.environ.get('CH3_DATA_DIR'):
        folders.append(os.path.join(os.environ['CH3_DATA_DIR'], 'kaggle_house'))
    folders.append(_cache_dir())
    return folders


def _cache_dir():
    return os.path.join(mxnet_home(), 'datasets', 'kaggle_house')


def download_kaggle_house(folder, opener=None, timeout=10.0, retries=2, budget=20.0):
    """3.16: download the missing CSVs into `folder` from the book's addresses (sha1-checked,
    atomic); returns folder."""
    for name in FILES:
        if not os.path.isfile(os.path.join(folder, name)):
            download(URLS[name], os.path.join(folder, name), sha1=SHA1[name], timeout=timeout,
                     retries=retries, budget=budget, opener=opener)
    return folder


def _not_found(looked, download_error=None):
    lines = ['Kaggle house-price files not found. Looked in:']
    lines += ['  %s (%s)' % item for item in looked]
    if download_error is not None:
        lines.append('Downloading them failed: %s' % download_error)
    lines.append(INSTALL_HINT)
    return DatasetNotFound('\n'.join(lines))


def find_kaggle_house(data_dir=None, download=False, opener=None):
    """3.16: the folder holding kaggle_house_pred_{train,test}.csv; with download=True fetch them
    into data_dir (or the cache) when absent; else raise DatasetNotFound listing where it looked."""
    if data_dir is not None:
        data_dir = os.path.expanduser(os.fspath(data_dir))
        if not os.path.isdir(data_dir):
            raise _not_found([(data_dir, 'the folder given as data_dir does not exist')])
        folders, target = [data_dir], data_dir
    else:
        folders, target = default_search_path(), _cache_dir()
    found, looked = first_complete_folder(
        folders, lambda folder: [name for name in FILES
                                 if not os.path.isfile(os.path.join(folder, name))])
    if found:
        return found
    if not download:
        raise _not_found(looked)
    try:
        download_kaggle_house(target, opener=opener)
    except DownloadError as err:
        raise _not_found(looked, err) from err
    return target


def _cell_error(path, index, column, problem):
    """One bad cell: `<file> row <r>, column <c>: <problem>` (rows count data rows from 1)."""
    return KaggleHouseFormatError('%s row %d, column %s: %s' % (path, index + 1, column, problem))


def _show(value):
    """A cell value as the message shows it: text quoted, 5.0 as 5."""
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _parse(path):
    """3.16: the CSV as pandas reads it (pandas' NA strings are missing), categorical columns
    kept as text even when every value looks like a number."""
    try:
        # na_values: pandas 2.0's default NA strings on pandas 1.x too (it added "None"), so the
        # columns do not depend on which pandas a Python gets (docs/install.md)
        return pd.read_csv(path, dtype={name: str for name in schema.CATEGORICAL_FEATURES},
                           na_values=['None'])
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as err:
        raise KaggleHouseFormatError('%s: not a readable CSV file (%s)' % (path, err)) from err


def _check_columns(frame, path, need_label):
    """3.16: exactly the schema's columns, each once (SalePrice in the train file only)."""
    found = [str(name) for name in frame.columns]
    twice = sorted({re.sub(r'\.\d+$', '', name) for name in found
                    if re.search(r'\.\d+$', name) and re.sub(r'\.\d+$', '', name) in found})
    if twice:
        raise KaggleHouseFormatError('%s: column(s) %s appear more than once'
                                     % (path, ', '.join(twice)))
    expected = schema.columns(train=need_label)
    missing = [name for name in expected if name not in found]
    if missing:
        raise KaggleHouseFormatError('%s: missing column(s) %s (found %d columns: %s)'
                                     % (path, _some(missing), len(found), _some(found)))
    extra = [name for name in found if name not in expected]
    if extra:
        raise KaggleHouseFormatError(
            '%s: unexpected column(s) %s%s' % (path, _some(extra),
                                               ' (SalePrice belongs in the train file only)'
                                               if LABEL in extra else ''))


def _some(names, limit=8):
    """At most `limit` names for a message: 'a, b, ... (12 in all)'."""
    shown = ', '.join(names[:limit])
    return shown if len(names) <= limit else '%s, ... (%d in all)' % (shown, len(names))


def _first_bad(mask):
    """Index of the first True in a boolean Series, or None."""
    hits = np.flatnonzero(mask.to_numpy())
    return None if len(hits) == 0 else int(hits[0])


def _first_cell(mask):
    """(row index, column index) of the first True of a 2-d mask in reading order, or None."""
    rows, cols = np.nonzero(mask)
    return None if len(rows) == 0 else (int(rows[0]), int(cols[0]))


def _as_numbers(frame, path, column):
    """3.16: column as numbers; a cell that is not one is an error naming its row and value."""
    values = frame[column]
    if pd.api.types.is_numeric_dtype(values):
        return values
    numbers = pd.to_numeric(values, errors='coerce')
    bad = _first_bad(numbers.isna() & values.notna())
    if bad is not None:
        raise _cell_error(path, bad, column, '%s is not a number' % _show(values.iloc[bad]))
    return numbers


def _check_present(frame, path, columns, why):
    """3.16: no missing value in `columns`; else an error naming the first such cell."""
    where = _first_cell(frame[list(columns)].isna().to_numpy())
    if where is not None:
        raise _cell_error(path, where[0], columns[where[1]], 'missing value (%s)' % why)


def _check_ids(frame, path):
    """3.16: Id is a positive integer in every row, no two rows alike."""
    _check_present(frame, path, [ID], 'every house needs an Id')
    ids = _as_numbers(frame, path, ID)
    bad = _first_bad(~np.isfinite(ids) | (ids <= 0) | (ids % 1 != 0))
    if bad is not None:
        raise _cell_error(path, bad, ID, '%s is not a positive integer' % _show(ids.iloc[bad]))
    bad = _first_bad(ids > 2 ** 53)   # beyond, float64 and int64 no longer hold every integer
    if bad is not None:
        raise _cell_error(path, bad, ID, '%s is too large for an Id (at most 2**53)'
                          % _show(ids.iloc[bad]))
    ids = ids.astype(np.int64)
    repeated = _first_bad(ids.duplicated())
    if repeated is not None:
        first = _first_bad(ids == ids.iloc[repeated])
        raise _cell_error(path, repeated, ID, '%d repeats the Id of row %d'
                          % (ids.iloc[repeated], first + 1))
    frame[ID] = ids


def _check_numeric(frame, path, columns, positive=False):
    """3.16: numeric columns hold finite numbers >= 0 (> 0 with positive=True) or NaN; text
    columns are converted, and the first bad cell in reading order is an error."""
    columns = list(columns)
    text = {name: frame[name] for name in columns
            if not pd.api.types.is_numeric_dtype(frame[name])}   # rare: only a damaged file
    numbers = frame[columns].copy() if text else frame[columns]
    not_numbers = np.zeros(numbers.shape, dtype=bool)
    for name, values in text.items():
        numbers[name] = pd.to_numeric(values, errors='coerce')
        not_numbers[:, columns.index(name)] = (numbers[name].isna() & values.notna()).to_numpy()
    block = numbers.to_numpy(dtype=np.float64)
    with np.errstate(invalid='ignore'):
        out_of_range = (block <= 0) if positive else (block < 0)
    bad = not_numbers | np.isinf(block) | out_of_range
    where = _first_cell(bad)
    if where is None:
        for name in text:
            frame[name] = numbers[name]
        return
    row, col = where
    name = columns[col]
    if not_numbers[row, col]:
        problem = '%s is not a number' % _show(text[name].iloc[row])
    elif np.isinf(block[row, col]):
        problem = '%s is not a finite number' % _show(block[row, col])
    else:
        problem = '%s %s' % (_show(numbers[name].iloc[row]),
                             'must be > 0' if positive else 'is negative')
    raise _cell_error(path, row, name, problem)


def read_house_csv(path, need_label):
    """3.16: one CSV as a DataFrame checked against ch3.data.house_schema (the train file when
    need_label); raises KaggleHouseFormatError naming the file and, for a bad cell, its row,
    column and value."""
    path = os.fspath(path)
    frame = _parse(path)
    _check_columns(frame, path, need_label)
    if len(frame) == 0:
        raise KaggleHouseFormatError('%s: has a header but no rows' % path)
    _check_ids(frame, path)
    _check_numeric(frame, path, schema.NUMERIC_FEATURES)
    _check_present(frame, path, [name for name in schema.FEATURE_NAMES
                                 if name not in schema.MAY_BE_MISSING],
                   'the data set has a value here in every row')
    if need_label:
        _check_present(frame, path, [LABEL], 'every training house needs its price')
        _check_numeric(frame, path, [LABEL], positive=True)
    return frame


def _check_ids_differ(train, test, train_path, test_path):
    """3.16: no Id in both files (the submission maps Ids to predictions)."""
    shared = test[ID].isin(set(train[ID]))
    bad = _first_bad(shared)
    if bad is not None:
        first = _first_bad(train[ID] == test[ID].iloc[bad])
        raise _cell_error(test_path, bad, ID, '%d is also the Id of %s row %d'
                          % (test[ID].iloc[bad], train_path, first + 1))


def load_kaggle_house(data_dir=None, download=True):
    """3.16: (train_df (1460, 81), test_df (1459, 80)) read from find_kaggle_house(data_dir),
    checked against ch3.data.house_schema, with the same feature columns in both."""
    folder = find_kaggle_house(data_dir, download=download)
    train_path, test_path = (os.path.join(folder, name) for name in FILES)
    train = read_house_csv(train_path, need_label=True)
    test = read_house_csv(test_path, need_label=False)
    train_cols = [c for c in train.columns if c not in (ID, LABEL)]
    test_cols = [c for c in test.columns if c not in (ID, LABEL)]
    if train_cols != test_cols:
        raise KaggleHouseFormatError(
            '%s and %s have the same feature columns in different orders; put them in the '
            "schema's order (ch3.data.house_schema.FEATURES)" % (train_path, test_path))
    _check_ids_differ(train, test, train_path, test_path)
    return train, test


def preprocess(train_df, test_df, standardize=True):
    """3.16: the book's features -> (train_features float32 (n_train, d),
    test_features float32 (n_test, d), train_labels float32 (n_train, 1), feature_names (d,)).

    d is 330 under pandas >= 2.0 (331 in the book); see the module docstring. standardize=False
    leaves the numeric features raw (missing values still 0): the book's third exercise.
    """
    if LABEL not in train_df.columns:
        raise KaggleHouseFormatError('train data has no %s column' % LABEL)
    train_x = train_df.drop(columns=[c for c in (ID, LABEL) if c in train_df.columns])
    test_x = test_df.drop(columns=[c for c in (ID, LABEL) if c in test_df.columns])
    if list(train_x.columns) != list(test_x.columns):
        raise KaggleHouseFormatError('train and test data have different feature columns')
    features = pd.concat((train_x, test_x), ignore_index=True)
    numeric = features.dtypes[features.dtypes != 'object'].index
    if standardize:
        features[numeric] = features[numeric].apply(lambda x: (x - x.mean()) / x.std())
    features[numeric] = features[numeric].fillna(0)
    features = pd.get_dummies(features, dummy_na=True)
    # get_dummies gives bool columns under pandas 2.x; mixed with the float columns .values would
    # be an object array, so convert every column to float32 explicitly.
    values = features.to_numpy(dtype=np.float32)
    n_train = len(train_x)
    labels = train_df[LABEL].to_numpy(dtype=np.float32).reshape(-1, 1)
    return values[:n_train], values[n_train:], labels, list(features.columns)
