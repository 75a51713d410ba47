"""Property tests for the IDX reader of ch3.data.fashion_mnist (sections 3.5-3.10, 3.13).

Any mutation of a valid IDX file (a changed, inserted or removed byte, a cut, extra bytes), raw
or gzipped, gives IDXFormatError or exactly the array an independent reading of the mutated bytes
gives. The files are small and made here; the examples are drawn deterministically (conftest).
"""
import gzip
import math
import struct
import zlib

import numpy as np
import pytest
from hypothesis import example, given, settings, strategies as st

from ch3.data import fashion_mnist as fm


def idx_file(array):
    """The bytes of an unsigned-byte IDX file holding `array` (magic 0x000008NN, dims, data)."""
    return struct.pack('>I', 0x800 + array.ndim) + struct.pack('>%dI' % array.ndim, *array.shape) \
        + array.tobytes()


def expected_read(raw, ndim):
    """What an IDX file of bytes `raw` holds, by the format's definition; None if invalid."""
    if raw[:2] == b'\x1f\x8b':                       # gzip, recognized by content
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error):
            return None
    if len(raw) < 4 or raw[:3] != b'\x00\x00\x08' or raw[3] != ndim:
        return None
    header = 4 + 4 * ndim
    if len(raw) < header:
        return None
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim))
    if math.prod(shape) != len(raw) - header:       # exact integers: no overflow
        return None
    return np.frombuffer(raw[header:], dtype=np.uint8).reshape(shape)


arrays = st.integers(1, 3).flatmap(
    lambda ndim: st.lists(st.integers(0, 4), min_size=ndim, max_size=ndim)).flatmap(
    lambda shape: st.binary(min_size=math.prod(shape), max_size=math.prod(shape)).map(
        lambda data: np.frombuffer(data, dtype=np.uint8).reshape(shape)))


@st.composite
def mutated(draw, raw):
    """raw with one mutation: replace, insert or delete a byte, cut the tail, append bytes."""
    kind = draw(st.sampled_from(['replace', 'insert', 'delete', 'cut', 'append']))
    if kind == 'append' or not raw:
        return raw + draw(st.binary(min_size=1, max_size=8))
    at = draw(st.integers(0, len(raw) - 1))
    if kind == 'replace':
        return raw[:at] + bytes([draw(st.integers(0, 255))]) + raw[at + 1:]
    if kind == 'insert':
        return raw[:at] + bytes([draw(st.integers(0, 255))]) + raw[at:]
    if kind == 'delete':
        return raw[:at] + raw[at + 1:]
    return raw[:at]


@pytest.fixture(scope='module')
def path(tmp_path_factory):
    return tmp_path_factory.mktemp('idx') / 'file-idx-ubyte'


def check_read(path, raw, ndim):
    path.write_bytes(raw)
    expected = expected_read(raw, ndim)
    if expected is None:
        with pytest.raises(fm.IDXFormatError, match=str(path)):
            fm.read_idx(path, ndim=ndim)
    else:
        got = fm.read_idx(path, ndim=ndim)
        assert got.dtype == np.uint8 and got.shape == expected.shape
        np.testing.assert_array_equal(got, expected)


@settings(max_examples=150)
@given(array=arrays, data=st.data(), compress=st.booleans())
def test_mutated_idx_file_is_refused_or_read_exactly(path, array, data, compress):
    raw = idx_file(array)
    raw = gzip.compress(raw, mtime=0) if compress else raw
    check_read(path, data.draw(mutated(raw)), array.ndim)


@settings(max_examples=30)
@given(array=arrays, compress=st.booleans())
def test_valid_idx_file_reads_back(path, array, compress):
    raw = idx_file(array)
    path.write_bytes(gzip.compress(raw, mtime=0) if compress else raw)
    np.testing.assert_array_equal(fm.read_idx(path, ndim=array.ndim), array)
    with pytest.raises(fm.IDXFormatError, match='expected %d' % (array.ndim % 3 + 1)):
        fm.read_idx(path, ndim=array.ndim % 3 + 1)


@settings(max_examples=40)
@example(ndim=4, dims=[2 ** 16] * 4, payload=b'')           # 2**64 bytes: int64 wraps to 0
@example(ndim=2, dims=[2 ** 32 - 1, 0], payload=b'')         # an empty array of a huge shape
@given(ndim=st.integers(1, 4), dims=st.lists(st.integers(0, 2 ** 32 - 1), min_size=4,
                                              max_size=4), payload=st.binary(max_size=16))
def test_any_header_dimensions(path, ndim, dims, payload):
    """Huge announced shapes (products past 2**63) are refused, not wrapped around."""
    raw = struct.pack('>I', 0x800 + ndim) + struct.pack('>%dI' % ndim, *dims[:ndim]) + payload
    check_read(path, raw, ndim)


@settings(max_examples=30)
@given(raw=st.binary(max_size=64))
def test_arbitrary_bytes(path, raw):
    check_read(path, raw, 1)
