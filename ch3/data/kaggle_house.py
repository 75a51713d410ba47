"""Kaggle house prices for section 3.16: find, load, check and preprocess the two CSV files.

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

import numpy as np
import pandas as pd

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
ID, LABEL = 'Id', 'SalePrice'

INSTALL_HINT = ('Put %s and %s into a folder and pass data_dir=<folder>, or set CH3_DATA_DIR so '
                'that $CH3_DATA_DIR/kaggle_house holds them, or call with download=True to fetch '
                'them from %s into $MXNET_HOME/datasets/kaggle_house.'
                % (TRAIN_FILE, TEST_FILE, BASE_URL))


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


def read_house_csv(path, need_label):
    """3.16: one CSV as a DataFrame, checked to have an `Id` column (and `SalePrice` if
    need_label) and at least one row; raises KaggleHouseFormatError naming the file."""
    path = os.fspath(path)
    try:
        # na_values: pandas 2.0's default NA strings on pandas 1.x too (it added "None"), so the
        # columns do not depend on which pandas a Python gets (docs/install.md)
        frame = pd.read_csv(path, na_values=['None'])
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as err:
        raise KaggleHouseFormatError('%s: not a readable CSV file (%s)' % (path, err)) from err
    missing = [name for name in ([ID, LABEL] if need_label else [ID]) if name not in frame.columns]
    if missing:
        raise KaggleHouseFormatError('%s: missing column(s) %s (found %d columns: %s)'
                                     % (path, ', '.join(missing), len(frame.columns),
                                        ', '.join(map(str, frame.columns[:8]))
                                        + (', ...' if len(frame.columns) > 8 else '')))
    if len(frame) == 0:
        raise KaggleHouseFormatError('%s: has a header but no rows' % path)
    if need_label and not pd.api.types.is_numeric_dtype(frame[LABEL]):
        raise KaggleHouseFormatError('%s: column %s is not numeric (dtype %s)'
                                     % (path, LABEL, frame[LABEL].dtype))
    if need_label and frame[LABEL].isna().any():
        raise KaggleHouseFormatError('%s: column %s has %d missing value(s)'
                                     % (path, LABEL, int(frame[LABEL].isna().sum())))
    return frame


def load_kaggle_house(data_dir=None, download=True):
    """3.16: (train_df (1460, 81), test_df (1459, 80)) read from find_kaggle_house(data_dir),
    checked for `Id`/`SalePrice` and for matching feature columns."""
    folder = find_kaggle_house(data_dir, download=download)
    train_path, test_path = (os.path.join(folder, name) for name in FILES)
    train = read_house_csv(train_path, need_label=True)
    test = read_house_csv(test_path, need_label=False)
    train_cols = [c for c in train.columns if c not in (ID, LABEL)]
    test_cols = [c for c in test.columns if c not in (ID, LABEL)]
    if train_cols != test_cols:
        only_train = sorted(set(train_cols) - set(test_cols))
        only_test = sorted(set(test_cols) - set(train_cols))
        raise KaggleHouseFormatError(
            '%s and %s have different feature columns (only in train: %s; only in test: %s%s)'
            % (train_path, test_path, only_train or '-', only_test or '-',
               '' if only_train or only_test else '; same names, different order'))
    return train, test


def preprocess(train_df, test_df):
    """3.16: the book's features -> (train_features float32 (n_train, d),
    test_features float32 (n_test, d), train_labels float32 (n_train, 1), feature_names (d,)).

    d is 330 under pandas >= 2.0 (331 in the book); see the module docstring.
    """
    if LABEL not in train_df.columns:
        raise KaggleHouseFormatError('train data has no %s column' % LABEL)
    train_x = train_df.drop(columns=[c for c in (ID, LABEL) if c in train_df.columns])
    test_x = test_df.drop(columns=[c for c in (ID, LABEL) if c in test_df.columns])
    if list(train_x.columns) != list(test_x.columns):
        raise KaggleHouseFormatError('train and test data have different feature columns')
    features = pd.concat((train_x, test_x), ignore_index=True)
    numeric = features.dtypes[features.dtypes != 'object'].index
    features[numeric] = features[numeric].apply(lambda x: (x - x.mean()) / x.std())
    features[numeric] = features[numeric].fillna(0)
    features = pd.get_dummies(features, dummy_na=True)
    # get_dummies gives bool columns under pandas 2.x; mixed with the float columns .values would
    # be an object array, so convert every column to float32 explicitly.
    values = features.to_numpy(dtype=np.float32)
    n_train = len(train_x)
    labels = train_df[LABEL].to_numpy(dtype=np.float32).reshape(-1, 1)
    return values[:n_train], values[n_train:], labels, list(features.columns)
