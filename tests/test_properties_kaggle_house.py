"""Property tests for the house-price CSV loader of ch3.data.kaggle_house (section 3.16).

Each example writes a damaged copy of the first rows of the real files (a mutated cell, a dropped
or duplicated column, an empty or binary file) and loads it: the loader either refuses it with a
KaggleHouseFormatError naming the file (and, for a cell, its row and column), or returns frames
that satisfy the schema, with every untouched cell as the real file has it. Nothing else escapes.
"""
import csv
import os
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st
from pandas._libs.parsers import STR_NA_VALUES

from ch3.data import house_schema as schema, kaggle_house as kh

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.normpath(os.path.join(
    os.environ.get('CH3_DATA_DIR') or os.path.join(REPO, '..', 'shared', 'data'), 'kaggle_house'))
pytestmark = pytest.mark.skipif(
    not all(os.path.isfile(os.path.join(SHARED, name)) for name in kh.FILES),
    reason='Kaggle house CSVs not found in %s (set CH3_DATA_DIR)' % SHARED)
ROWS = {kh.TRAIN_FILE: 12, kh.TEST_FILE: 8}     # data rows kept: small files, fast examples


@pytest.fixture(scope='module')
def real():
    """{file: rows (header first)} of the first ROWS rows of each real file, as csv reads them."""
    rows = {}
    for name, count in ROWS.items():
        with open(os.path.join(SHARED, name), newline='') as handle:
            rows[name] = [row for _, row in zip(range(count + 1), csv.reader(handle))]
    return rows


@pytest.fixture(scope='module')
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp('kaggle_house')


@pytest.fixture(scope='module')
def baseline(real, folder):
    """The frames the undamaged slices load as."""
    write(folder, real)
    return kh.load_kaggle_house(folder, download=False)


def write(folder, rows_by_file):
    """Write the rows as CSV files; with the csv module's \\r\\n line ends any text a cell
    holds (commas, quotes, \\r, \\n) is quoted, so the file has the same cells."""
    for name, rows in rows_by_file.items():
        with open(folder / name, 'w', newline='', encoding='utf-8') as handle:
            csv.writer(handle).writerows(rows)


def load_or_error(folder):
    """(frames, None) or (None, message); any other exception fails the test."""
    try:
        return kh.load_kaggle_house(folder, download=False), None
    except kh.KaggleHouseFormatError as err:
        return None, str(err)


def assert_schema_holds(train, test):
    for frame, is_train in ((train, True), (test, False)):
        assert list(frame.columns) == list(schema.columns(is_train))
        assert frame[kh.ID].dtype == np.int64 and frame[kh.ID].is_unique
        assert (frame[kh.ID] > 0).all()
        for name in schema.NUMERIC_FEATURES:
            values = frame[name]
            assert pd.api.types.is_numeric_dtype(values), name
            assert (values.dropna() >= 0).all() and np.isfinite(values.dropna()).all()
        for name in schema.CATEGORICAL_FEATURES:
            assert frame[name].dtype == object, name
        for name in schema.FEATURE_NAMES:
            assert name in schema.MAY_BE_MISSING or frame[name].notna().all(), name
    assert train[kh.LABEL].notna().all() and (train[kh.LABEL] > 0).all()
    assert not set(train[kh.ID]) & set(test[kh.ID])


def same_except(got, want, row, column):
    """Every cell of `got` equals `want` except (row, column) (row counted from 1)."""
    assert got.drop(columns=[column]).equals(want.drop(columns=[column]))
    pd.testing.assert_series_equal(got[column].drop(index=row - 1),
                                   want[column].drop(index=row - 1), check_dtype=False)


def read_one(folder, name):
    """(frame, None) or (None, message) for one file read alone (faster than both)."""
    try:
        return kh.read_house_csv(folder / name, need_label=name == kh.TRAIN_FILE), None
    except kh.KaggleHouseFormatError as err:
        return None, str(err)


def cell(real):
    """A (file, row, column) of the slices: row 0 is the header, data rows count from 1."""
    return st.sampled_from(kh.FILES).flatmap(lambda name: st.tuples(
        st.just(name), st.integers(0, ROWS[name]), st.sampled_from(real[name][0])))


# Any text a cell may hold once the csv module has quoted it; NUL is left out because a CSV
# file with NUL bytes is binary, which the binary-file test covers.
cell_text = st.text(st.characters(blacklist_categories=('Cs',), blacklist_characters='\x00'),
                    max_size=12)


@settings(max_examples=40)
@given(data=st.data(), text=cell_text)
def test_any_text_in_any_cell_is_refused_or_read_by_the_schema(real, folder, baseline, data,
                                                               text):
    name, row, column = data.draw(cell(real))
    rows = {n: [list(r) for r in rs] for n, rs in real.items()}
    rows[name][row][rows[name][0].index(column)] = text
    write(folder, rows)
    frames, message = load_or_error(folder)
    if row == 0:   # a renamed column: missing, repeated or unexpected
        assert (message is None) == (text == column) and (message is None or re.match(
            r'%s: (missing|unexpected) column|%s: column\(s\) ' % (re.escape(str(folder / name)),
                                                                   re.escape(str(folder / name))),
            message)), message
        return
    if message is not None:
        assert message.startswith(str(folder)), message
        if ' row ' in message:   # a cell error names the damaged cell (row, or the row repeated)
            assert 'column %s:' % column in message and re.search(r'row %d\b' % row, message)
        return
    assert_schema_holds(*frames)
    index = kh.FILES.index(name)
    same_except(frames[index], baseline[index], row, column)


not_numbers = st.text(st.characters(whitelist_categories=('L', 'N', 'P', 'Zs')),
                      min_size=1, max_size=10).filter(
    lambda text: re.search(r'[g-hj-mo-su-xzG-HJ-MO-SU-XZ]', text) and text not in STR_NA_VALUES)


@settings(max_examples=30)
@given(data=st.data(), text=not_numbers)
def test_text_in_a_numeric_cell_gives_the_exact_message(real, folder, data, text):
    name = data.draw(st.sampled_from(kh.FILES))
    row = data.draw(st.integers(1, ROWS[name]))
    column = data.draw(st.sampled_from(schema.NUMERIC_FEATURES + ((kh.LABEL,) if name ==
                                                                   kh.TRAIN_FILE else ())))
    rows = {n: [list(r) for r in rs] for n, rs in real.items()}
    rows[name][row][rows[name][0].index(column)] = text
    write(folder, {name: rows[name]})
    assert read_one(folder, name)[1] == '%s row %d, column %s: %r is not a number' \
        % (folder / name, row, column, text)


@settings(max_examples=30)
@given(data=st.data(), value=st.one_of(st.integers(0, 10 ** 9),
                                       st.floats(0, 1e12, allow_nan=False)))
def test_a_number_in_a_numeric_cell_is_read_as_that_number(real, folder, baseline, data, value):
    name = data.draw(st.sampled_from(kh.FILES))
    row = data.draw(st.integers(1, ROWS[name]))
    column = data.draw(st.sampled_from(schema.NUMERIC_FEATURES))
    rows = {n: [list(r) for r in rs] for n, rs in real.items()}
    rows[name][row][rows[name][0].index(column)] = repr(value)
    write(folder, {name: rows[name]})
    frame, message = read_one(folder, name)
    assert message is None
    # pandas' default "high" precision float parser may be 1 ulp off the correctly rounded value
    assert frame[column][row - 1] == pytest.approx(value, rel=1e-15, abs=0)
    same_except(frame, baseline[kh.FILES.index(name)], row, column)


@settings(max_examples=30)
@given(data=st.data(), duplicate=st.booleans())
def test_a_dropped_or_duplicated_column_is_named(real, folder, data, duplicate):
    name = data.draw(st.sampled_from(kh.FILES))
    column = data.draw(st.sampled_from(real[name][0]))
    rows = {n: [list(r) for r in rs] for n, rs in real.items()}
    index = rows[name][0].index(column)
    at = data.draw(st.integers(0, len(rows[name][0])))
    for row in rows[name]:
        value = row.pop(index)
        if duplicate:
            row.insert(index, value)
            row.insert(at, value)
    write(folder, {name: rows[name]})
    message = read_one(folder, name)[1]
    if duplicate:
        assert message == '%s: column(s) %s appear more than once' % (folder / name, column)
    else:
        assert message.startswith('%s: missing column(s) %s (found %d columns'
                                  % (folder / name, column, len(rows[name][0])))


@settings(max_examples=60)
@given(content=st.one_of(st.binary(max_size=200),
                         st.text(max_size=200).map(lambda text: text.encode('utf-8'))),
       name=st.sampled_from(kh.FILES))
def test_empty_binary_or_random_files_are_refused(folder, content, name):
    (folder / name).write_bytes(content)
    message = read_one(folder, name)[1]
    assert message is not None and message.startswith(str(folder / name))
