"""Section 3.5's runs against the raw IDX files (read here with gzip + numpy) and d2lzh's labels:
both versions, their reading times and the identity of their batches."""
import gzip
import json
import os

import d2lzh
import numpy as np
import pytest

import ch3
from ch3.data.fashion_mnist import find_fashion_mnist
from ch3.harness.runs import fashion_mnist as fm
from ch3.harness.settings import QUICK


def _raw_idx(name):
    """Read an IDX file without the project's reader: big-endian header, then uint8 data."""
    with gzip.open(os.path.join(find_fashion_mnist(), name), 'rb') as handle:
        data = handle.read()
    ndim = data[3]
    dims = np.frombuffer(data, dtype='>u4', count=ndim, offset=4)
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


@pytest.fixture(scope='module', params=['scratch', 'gluon'])
def quick_result(request, tmp_path_factory):
    out = tmp_path_factory.mktemp('fig')
    return ch3.run_section('3.5', impl=request.param, quick=True, out=str(out),
                           verbose=False), out, request.param


def test_sizes_shape_dtype_and_first_label_match_the_raw_files(quick_result):
    result, _, impl = quick_result
    final = result['final']
    raw_labels = _raw_idx('train-labels-idx1-ubyte.gz')
    raw_test_labels = _raw_idx('t10k-labels-idx1-ubyte.gz')
    assert final['train_size'] == len(raw_labels) == 60000
    assert final['test_size'] == len(raw_test_labels) == 10000
    shape = [28, 28, 1] if impl == 'gluon' else [28, 28]       # gluon's samples carry a channel
    assert final['sample_shape'] == shape and final['sample_dtype'] == 'uint8'
    assert final['first_label'] == int(raw_labels[0]) and final['label_dtype'] == 'int32'
    assert final['first_label_text'] == d2lzh.get_fashion_mnist_labels([raw_labels[0]])[0]
    assert final['text_labels'] == d2lzh.get_fashion_mnist_labels(range(10))
    assert (final['sample_min'], final['sample_max']) == (0, 255)
    assert json.loads(json.dumps(result, allow_nan=False)) == result


def test_minibatches_are_book_tensors_and_both_pipelines_agree(quick_result):
    final = quick_result[0]['final']
    subset = QUICK['3.5']['subset']
    assert final['batch_shape'] == [256, 1, 28, 28] and final['batch_dtype'] == 'float32'
    assert final['batch_label_shape'] == [256] and final['batch_label_dtype'] == 'int32'
    assert 0.0 <= final['batch_min'] < final['batch_max'] <= 1.0
    assert final['examples_read'] == subset and final['last_batch_size'] == subset % 256
    assert final['read_seconds'] > 0 and final['other_read_seconds'] > 0
    assert final['images_identical'] and final['labels_identical']
    assert final['num_batches_equal']


def test_grid_shows_the_first_nine_images_with_their_labels(quick_result):
    result, out, _ = quick_result
    path = out / 'fashion_mnist_samples.png'
    assert result['figures'] == [str(path)] and path.stat().st_size > 5000
    fig = fm.first_images_figure(9)
    shown = [ax for ax in fig.axes if ax.images]
    raw_images = _raw_idx('train-images-idx3-ubyte.gz')
    raw_labels = _raw_idx('train-labels-idx1-ubyte.gz')
    assert [ax.get_title() for ax in shown] == d2lzh.get_fashion_mnist_labels(raw_labels[:9])
    for ax, image in zip(shown, raw_images[:9]):
        np.testing.assert_array_equal(ax.images[0].get_array(), image)


def test_compare_pipelines_notices_a_different_order():
    same = fm.compare_pipelines(batch_size=100, subset=300, seed=1)
    assert same == {'num_batches_equal': True, 'images_identical': True,
                    'labels_identical': True}
    first = fm.batch_digests(fm._train_iter(100, 'fast', 0, 300, None, None))
    second = fm.batch_digests(fm._train_iter(100, 'fast', 0, 300, None, None))
    assert first != second                       # the next pass reshuffles


def test_the_gluon_pipeline_reads_the_same_shapes():
    timing = fm.time_reading(batch_size=100, pipeline='gluon', subset=300)
    assert timing['batch_shape'] == [100, 1, 28, 28] and timing['batch_dtype'] == 'float32'
    assert timing['examples_read'] == 300 and timing['num_batches'] == 3


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match='batch_size must be >= 1'):
        ch3.run_section('3.5', batch_size=0, verbose=False)
    with pytest.raises(ValueError, match='n must be >= 1'):
        fm.first_images_figure(0)
    with pytest.raises(ValueError, match="pipeline must be 'fast' or 'gluon'"):
        fm.time_reading(pipeline='torch', subset=10)
