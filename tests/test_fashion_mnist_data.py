"""Tests for ch3.data.fashion_mnist (sections 3.5-3.10, 3.13), read through the book's
load_data_fashion_mnist and the runs' fashion_mnist_iters (subsets).

Real data only from Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist); tiny IDX
files made in tmp_path for the error cases. No test downloads: download attempts go to an injected
opener or to a closed port on 127.0.0.1.
"""
import gzip
import os
import socket
import struct
import time

import numpy as np
import pytest
from matplotlib.figure import Figure
from mxnet import nd

from ch3.book import fashion_mnist as book
from ch3.data import fashion_mnist as fm
from ch3.harness.runs.data import fashion_mnist_iters
from ch3.data.download import DataFormatError

DEBIAN = fm.DEBIAN_DIR
needs_real_data = pytest.mark.skipif(
    any(fm._file_in(DEBIAN, name) is None for name in fm.ALL_FILES),
    reason='real Fashion-MNIST not installed in %s (apt-get install dataset-fashion-mnist)'
    % DEBIAN)


# ------------------------------------------------------------------------------ tiny IDX files

def idx_bytes(array, magic=None):
    array = np.asarray(array, dtype=np.uint8)
    magic = 0x800 + array.ndim if magic is None else magic
    return struct.pack('>I', magic) + struct.pack('>%dI' % array.ndim, *array.shape) \
        + array.tobytes()


def write(path, data, compress=True):
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def make_split(folder, n=5, prefix='train', compress=True, seed=0):
    rng = np.random.RandomState(seed)
    images = rng.randint(0, 256, size=(n, 28, 28)).astype(np.uint8)
    labels = (np.arange(n) % 10).astype(np.uint8)
    suffix = '.gz' if compress else ''
    write(folder / ('%s-images-idx3-ubyte%s' % (prefix, suffix)), idx_bytes(images), compress)
    write(folder / ('%s-labels-idx1-ubyte%s' % (prefix, suffix)), idx_bytes(labels), compress)
    return images, labels


def make_dataset(folder, compress=True):
    folder.mkdir(parents=True, exist_ok=True)
    make_split(folder, 12, 'train', compress)
    make_split(folder, 7, 't10k', compress, seed=1)
    return folder


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No real search locations: MXNET_HOME and HOME in tmp_path, the Debian folder absent."""
    monkeypatch.setenv('MXNET_HOME', str(tmp_path / 'mxhome'))
    monkeypatch.setenv('HOME', str(tmp_path / 'home'))
    monkeypatch.setattr(fm, 'DEBIAN_DIR', str(tmp_path / 'debian'))
    return tmp_path


def closed_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


# ------------------------------------------------------------------------------ real data

@needs_real_data
def test_real_files_headers_and_class_counts():
    for train, n, per_class in ((True, 60000, 6000), (False, 10000, 1000)):
        images, labels = fm.load_fashion_mnist_arrays(DEBIAN, train=train, download=False)
        assert images.shape == (n, 28, 28) and images.dtype == np.uint8
        assert labels.shape == (n,) and labels.dtype == np.int32
        assert np.bincount(labels, minlength=10).tolist() == [per_class] * 10
        assert not images.flags.writeable      # the cached arrays are shared: read-only


@needs_real_data
def test_real_files_match_recorded_decompressed_sha1():
    from ch3.data.download import sha1_file
    for name in ('train-labels-idx1-ubyte', 't10k-labels-idx1-ubyte'):
        path = fm._file_in(DEBIAN, name)
        assert sha1_file(path, decompressed=True) == fm.DECOMPRESSED_SHA1[name]


@needs_real_data
def test_arrays_are_decoded_once_per_process():
    first = fm.load_fashion_mnist_arrays(DEBIAN, train=False, download=False)
    second = fm.load_fashion_mnist_arrays(DEBIAN, train=False, download=False)
    assert first[0] is second[0]


@needs_real_data
def test_load_data_batches_shapes_dtypes_and_len():
    train_iter, test_iter = book.load_data_fashion_mnist(256, root=DEBIAN)
    assert len(train_iter) == 235 and len(test_iter) == 40   # the book keeps the last 96
    assert sum(1 for _ in train_iter) == 235
    X, y = next(iter(train_iter))
    assert X.shape == (256, 1, 28, 28) and X.dtype == np.float32
    assert y.shape == (256,) and y.dtype == np.int32
    assert 0 <= X.min().asscalar() and X.max().asscalar() <= 1
    batches = list(test_iter)
    assert sum(b[0].shape[0] for b in batches) == 10000 and batches[-1][0].shape[0] == 16


@needs_real_data
@pytest.mark.parametrize('last_batch', ['keep', 'discard'])
def test_fast_and_gluon_pipelines_give_identical_batches(last_batch):
    kwargs = dict(root=DEBIAN, subset=1000, last_batch=last_batch)
    fast = fashion_mnist_iters(128, [None], pipeline='fast', **kwargs)
    gluon = fashion_mnist_iters(128, [None], pipeline='gluon', **kwargs)
    for fast_iter, gluon_iter in zip(fast, gluon):
        for _ in range(2):                  # two passes: each reshuffles in the same way
            np.random.seed(7)
            got = [(X.asnumpy(), y.asnumpy()) for X, y in fast_iter]
            np.random.seed(7)
            want = [(X.asnumpy(), y.asnumpy()) for X, y in gluon_iter]
            expected = 7 if last_batch == 'discard' and fast_iter is fast[0] else 8
            assert len(got) == len(want) == expected
            for (X1, y1), (X2, y2) in zip(got, want):
                assert X1.dtype == X2.dtype and y1.dtype == y2.dtype
                np.testing.assert_array_equal(X1, X2)
                np.testing.assert_array_equal(y1, y2)


@needs_real_data
@pytest.mark.parametrize('resize', [14, (20, 32)])
def test_pipelines_identical_with_resize(resize):
    fast, _ = fashion_mnist_iters(50, [None], resize=resize, root=DEBIAN, subset=100)
    gluon, _ = fashion_mnist_iters(50, [None], resize=resize, root=DEBIAN, subset=100,
                                   pipeline='gluon')
    np.random.seed(1)
    got = [X.asnumpy() for X, _ in fast]
    np.random.seed(1)
    want = [X.asnumpy() for X, _ in gluon]
    width, height = (resize, resize) if isinstance(resize, int) else resize
    assert got[0].shape == (50, 1, height, width)
    for X1, X2 in zip(got, want):
        np.testing.assert_array_equal(X1, X2)


@needs_real_data
def test_subset_takes_first_examples_of_each_split():
    train_iter, test_iter = fashion_mnist_iters(10, [None], root=DEBIAN, subset=30)
    assert train_iter.num_examples == 30 and test_iter.num_examples == 30
    images, labels = fm.load_fashion_mnist_arrays(DEBIAN, train=False, download=False)
    X = nd.concat(*[X for X, _ in test_iter], dim=0).asnumpy()
    np.testing.assert_array_equal(X[:, 0], images[:30] / np.float32(255))


@needs_real_data
def test_get_labels_and_plot():
    _, test_iter = fashion_mnist_iters(9, [None], root=DEBIAN, subset=9)
    X, y = next(iter(test_iter))
    names = book.get_fashion_mnist_labels(y)
    assert names[:3] == ['ankle boot', 'pullover', 'trouser']   # test labels 9, 2, 1
    fig = book.fashion_mnist_figure(X, names)
    assert isinstance(fig, Figure) and len(fig.axes) == 9
    assert fig.axes[0].get_title() == 'ankle boot'
    assert isinstance(book.fashion_mnist_figure(X[:2], y[:2]), Figure)   # numeric labels converted


# ------------------------------------------------------------------------------ iterator

def test_iter_reshuffles_each_epoch_and_covers_every_example():
    images = np.arange(50, dtype=np.uint8).reshape(50, 1, 1).repeat(28, 1).repeat(28, 2)
    labels = np.arange(50) % 10
    it = fm.FashionMNISTIter(images, labels, 8, shuffle=True)
    assert len(it) == 7
    epochs = []
    for _ in range(2):
        firsts = np.concatenate([(X[:, 0, 0, 0] * 255).round().asnumpy() for X, _ in it])
        assert sorted(firsts.astype(int)) == list(range(50))
        epochs.append(firsts)
    assert not np.array_equal(epochs[0], epochs[1])


@pytest.mark.parametrize('batch_size', [1, 7, 64])
def test_iter_paths_agree(batch_size):
    """Small batches (one gather per pass), large ones (a take per batch) and the lazy per-batch
    conversion all give the same batches for the same seed."""
    rng = np.random.RandomState(0)
    images = rng.randint(0, 256, size=(70, 28, 28)).astype(np.uint8)
    labels = rng.randint(0, 10, size=70)
    results = []
    for max_bytes in (1 << 30, 0):
        it = fm.FashionMNISTIter(images, labels, batch_size, shuffle=True,
                                 max_cached_bytes=max_bytes)
        np.random.seed(3)
        results.append([(X.asnumpy(), y.asnumpy()) for X, y in it])
    np.random.seed(3)
    order = np.arange(70)
    np.random.shuffle(order)
    want_X = images[order].astype(np.float32)[:, None] / np.float32(255)
    got_X = np.concatenate([X for X, _ in results[0]])
    np.testing.assert_array_equal(got_X, want_X)
    np.testing.assert_array_equal(np.concatenate([y for _, y in results[0]]), labels[order])
    for (X1, y1), (X2, y2) in zip(*results):
        np.testing.assert_array_equal(X1, X2)
        np.testing.assert_array_equal(y1, y2)


@pytest.mark.parametrize('channels', [1, 3])
def test_whole_array_conversion_is_gluons_to_tensor(channels):
    """The in-memory conversion (one cast and division) gives ToTensor's bits for every byte
    value, and its (C, H, W) layout for several channels, where the lazy path runs ToTensor."""
    from mxnet.gluon.data.vision import transforms
    rng = np.random.RandomState(1)
    images = rng.randint(0, 256, size=(12, 5, 7, channels)).astype(np.uint8)
    images.flat[:256] = np.arange(256)
    want = transforms.ToTensor()(nd.array(images, dtype='uint8')).asnumpy()
    got = fm.FashionMNISTIter(images, np.zeros(12), 4).data.asnumpy()
    lazy = fm.FashionMNISTIter(images, np.zeros(12), 12, max_cached_bytes=0)
    assert got.shape == want.shape == (12, channels, 5, 7)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(next(iter(lazy))[0].asnumpy(), want)


def test_batches_do_not_alias_the_data():
    images = np.zeros((10, 28, 28), dtype=np.uint8)
    it = fm.FashionMNISTIter(images, np.zeros(10), 64)
    X, _ = next(iter(it))
    X[:] = 5
    assert it.data.max().asscalar() == 0


def test_iter_and_loader_argument_errors(tmp_path):
    with pytest.raises(ValueError, match='batch_size'):
        fm.FashionMNISTIter(np.zeros((2, 28, 28), np.uint8), np.zeros(2), 0)
    with pytest.raises(ValueError, match='labels must have shape'):
        fm.FashionMNISTIter(np.zeros((2, 28, 28), np.uint8), np.zeros(3), 1)
    with pytest.raises(ValueError, match='uint8'):
        fm.FashionMNISTIter(np.zeros((2, 28, 28), np.float32), np.zeros(2), 1)
    with pytest.raises(ValueError, match='pipeline'):
        book.load_data_fashion_mnist(8, pipeline='turbo', root=tmp_path)
    with pytest.raises(ValueError, match='resize'):
        book.load_data_fashion_mnist(8, resize=0, root=tmp_path)


def test_get_labels_rejects_out_of_range():
    assert book.get_fashion_mnist_labels([0, 9]) == ['t-shirt', 'ankle boot']
    with pytest.raises(ValueError, match='0..9'):
        book.get_fashion_mnist_labels([10])


# ------------------------------------------------------------------------------ finding files

def test_search_order_root_then_mxnet_home_then_home_then_debian(isolated):
    debian = make_dataset(isolated / 'debian')
    assert fm.find_fashion_mnist() == str(debian)
    home = make_dataset(isolated / 'home' / '.mxnet' / 'datasets' / 'fashion-mnist')
    assert fm.find_fashion_mnist() == str(home)
    mxhome = make_dataset(isolated / 'mxhome' / 'datasets' / 'fashion-mnist')
    assert fm.find_fashion_mnist() == str(mxhome)
    root = make_dataset(isolated / 'mine', compress=False)
    assert fm.find_fashion_mnist(root) == str(root)


def test_uncompressed_files_load_like_gzip(isolated):
    a = make_dataset(isolated / 'a', compress=True)
    b = make_dataset(isolated / 'b', compress=False)
    for train in (True, False):
        got_a = fm.load_fashion_mnist_arrays(a, train=train, download=False)
        got_b = fm.load_fashion_mnist_arrays(b, train=train, download=False)
        np.testing.assert_array_equal(got_a[0], got_b[0])
        np.testing.assert_array_equal(got_a[1], got_b[1])
    train_iter, test_iter = book.load_data_fashion_mnist(5, root=b, download=False)
    assert train_iter.num_examples == 12 and test_iter.num_examples == 7


def test_not_found_lists_every_folder_and_how_to_install(isolated):
    partial = isolated / 'home' / '.mxnet' / 'datasets' / 'fashion-mnist'
    partial.mkdir(parents=True)
    make_split(partial, 3, 'train')
    with pytest.raises(fm.DatasetNotFound) as info:
        fm.find_fashion_mnist()
    message = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    for folder in fm.default_search_path():
        assert folder in message
    assert 'missing t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte' in message
    assert 'apt-get install dataset-fashion-mnist' in message
    assert '$MXNET_HOME/datasets/fashion-mnist' in message


def test_root_that_does_not_exist(isolated):
    with pytest.raises(fm.DatasetNotFound, match='nowhere.*does not exist'):
        book.load_data_fashion_mnist(8, root=isolated / 'nowhere')


def test_offline_download_fails_fast_with_clear_message(isolated, monkeypatch):
    monkeypatch.setenv('MXNET_GLUON_REPO', 'http://127.0.0.1:%d/' % closed_port())
    start = time.monotonic()
    with pytest.raises(fm.DatasetNotFound) as info:
        book.load_data_fashion_mnist(8)          # download=True by default
    assert time.monotonic() - start < 10
    message = str(info.value)
    assert 'Downloading them failed' in message and '127.0.0.1' in message
    assert 'apt-get install dataset-fashion-mnist' in message
    cache = isolated / 'mxhome' / 'datasets' / 'fashion-mnist'
    assert not cache.exists() or os.listdir(cache) == []


def test_download_into_cache_checks_decompressed_content(isolated, monkeypatch):
    """Files served by an injected opener: right content (re-compressed differently) is
    accepted, renamed into the cache, and then found; a wrong one is refused."""
    src = make_dataset(isolated / 'src')
    payloads = {}
    for name in fm.ALL_FILES:
        raw = gzip.decompress((src / (name + '.gz')).read_bytes())
        payloads[name] = gzip.compress(raw, compresslevel=1)
    import hashlib
    monkeypatch.setattr(fm, 'DECOMPRESSED_SHA1', {
        name: hashlib.sha1(gzip.decompress(p)).hexdigest() for name, p in payloads.items()})

    def opener(url, timeout):
        import io
        return io.BytesIO(payloads[url.rsplit('/', 1)[-1][:-3]])

    target = isolated / 'mine'
    target.mkdir()
    assert fm.find_fashion_mnist(target, download=True, opener=opener) == str(target)
    assert sorted(os.listdir(target)) == sorted(name + '.gz' for name in fm.ALL_FILES)

    bad = isolated / 'bad'
    bad.mkdir()
    payloads['t10k-images-idx3-ubyte'] = gzip.compress(b'not the data')
    with pytest.raises(fm.DatasetNotFound, match='sha1 of the decompressed content'):
        fm.find_fashion_mnist(bad, download=True, opener=opener)
    assert 't10k-images-idx3-ubyte.gz' not in os.listdir(bad)
    assert not [f for f in os.listdir(bad) if f.endswith('.part')]


def _gluons_table():
    """{name: sha1} of gluon.data.vision.FashionMNIST's .gz files, read from the installed MXNet
    by running its __init__ without the download its base class would start."""
    from mxnet.gluon.data import dataset
    from mxnet.gluon.data.vision import datasets
    original = dataset._DownloadedDataset.__init__
    dataset._DownloadedDataset.__init__ = lambda self, root, transform: None
    try:
        gluon = datasets.FashionMNIST(root='unused')
    finally:
        dataset._DownloadedDataset.__init__ = original
    pairs = (gluon._train_data, gluon._train_label, gluon._test_data, gluon._test_label)
    return {name[:-len('.gz')]: sha1 for name, sha1 in pairs}


def test_gluon_sha1_table_is_the_installed_mxnets():
    table = _gluons_table()
    assert set(table) == set(fm.ALL_FILES)
    assert fm.GLUON_GZ_SHA1 == table


def test_download_accepts_gluons_files_by_gluons_sha1(isolated, monkeypatch):
    """gluon's .gz files are not Debian's content (first label 2, not 9): they must pass by
    gluon's sha1 of the .gz bytes. Made files stand in for them, their sha1s put in the table."""
    src = make_dataset(isolated / 'src')
    payloads = {name: (src / (name + '.gz')).read_bytes() for name in fm.ALL_FILES}
    import hashlib
    monkeypatch.setattr(fm, 'GLUON_GZ_SHA1', {
        name: hashlib.sha1(p).hexdigest() for name, p in payloads.items()})
    # the decompressed check stays Debian's: these bytes cannot pass it
    assert all(hashlib.sha1(gzip.decompress(p)).hexdigest() != fm.DECOMPRESSED_SHA1[name]
               for name, p in payloads.items())
    served = []

    def opener(url, timeout):
        import io
        served.append(url)
        return io.BytesIO(payloads[url.rsplit('/', 1)[-1][:-3]])

    target = isolated / 'gluon'
    target.mkdir()
    assert fm.find_fashion_mnist(target, download=True, opener=opener) == str(target)
    assert sorted(os.listdir(target)) == sorted(name + '.gz' for name in fm.ALL_FILES)
    assert all(url.startswith(fm.GLUON_REPO + fm.GLUON_NAMESPACE) for url in served)
    assert fm.data_copy(str(target)) == fm.GLUON_COPY

    # one byte off: neither gluon's sha1 nor Debian's content, refused and not kept
    refused = isolated / 'refused'
    refused.mkdir()
    payloads['train-labels-idx1-ubyte'] = gzip.compress(b'other bytes')
    with pytest.raises(fm.DatasetNotFound, match='sha1 of the downloaded content is'):
        fm.find_fashion_mnist(refused, download=True, opener=opener)
    assert 'train-labels-idx1-ubyte.gz' not in os.listdir(refused)


def test_accepted_checks_are_gluons_gz_sha1_and_debians_content():
    for name in fm.ALL_FILES:
        assert fm.accepted_sha1s(name) == [(fm.GLUON_GZ_SHA1[name], 'raw'),
                                           (fm.DECOMPRESSED_SHA1[name], 'decompressed')]


@needs_real_data
def test_debians_copy_is_named_and_every_read_is_noted():
    assert fm.data_copy(DEBIAN) == fm.DEBIAN_COPY
    assert 'first training label 9' in fm.DEBIAN_COPY
    assert fm.read_idx(fm._file_in(DEBIAN, 'train-labels-idx1-ubyte'))[0] == 9
    mark = fm.reads_so_far()
    assert fm.copies_read(mark) is None
    fm.load_fashion_mnist_arrays(DEBIAN, train=False)
    assert fm.copies_read(mark) == '%s: %s' % (fm.DEBIAN_COPY, os.path.realpath(DEBIAN))


def test_an_unknown_copy_is_named_by_its_first_label(isolated):
    folder = make_dataset(isolated / 'made')
    assert fm.data_copy(str(folder)) == 'an unrecognised copy (first training label 0)'


# ------------------------------------------------------------------------------ bad IDX files

def test_read_idx_wrong_magic(tmp_path):
    path = write(tmp_path / 'x.gz', idx_bytes(np.zeros((2, 28, 28)), magic=0x00000903))
    with pytest.raises(fm.IDXFormatError, match=r'x\.gz: bad magic number 0x00000903'):
        fm.read_idx(path)


def test_read_idx_wrong_number_of_dimensions(tmp_path):
    path = write(tmp_path / 'labels.gz', idx_bytes(np.zeros((2, 3))))
    with pytest.raises(fm.IDXFormatError, match=r'labels\.gz: .*2 dimension\(s\), expected 1'):
        fm.read_idx(path, ndim=1)


def test_read_idx_truncated_data(tmp_path):
    path = write(tmp_path / 'img', idx_bytes(np.zeros((3, 28, 28)))[:-10], compress=False)
    with pytest.raises(fm.IDXFormatError, match=r'img: header announces .* 2352 bytes.*2342 '
                                                r'\(truncated\)'):
        fm.read_idx(path)


def test_read_idx_truncated_gzip(tmp_path):
    data = gzip.compress(idx_bytes(np.random.randint(0, 255, (50, 28, 28))))
    path = tmp_path / 'cut.gz'
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(fm.IDXFormatError, match=r'cut\.gz: the gzip stream is truncated'):
        fm.read_idx(path)


def test_read_idx_corrupt_gzip(tmp_path):
    data = bytearray(gzip.compress(idx_bytes(np.zeros((5, 28, 28)))))
    data[12:20] = b'\xff' * 8
    path = tmp_path / 'corrupt.gz'
    path.write_bytes(bytes(data))
    with pytest.raises(fm.IDXFormatError, match=r'corrupt\.gz: corrupt gzip data'):
        fm.read_idx(path)
    assert issubclass(fm.IDXFormatError, DataFormatError)
    assert issubclass(fm.IDXFormatError, ValueError)


def test_read_idx_too_short(tmp_path):
    path = write(tmp_path / 'empty', b'', compress=False)
    with pytest.raises(fm.IDXFormatError, match='empty: only 0 bytes'):
        fm.read_idx(path)


def test_image_and_label_counts_disagree(tmp_path):
    make_dataset(tmp_path)
    write(tmp_path / 't10k-labels-idx1-ubyte.gz', idx_bytes(np.zeros(6)))
    with pytest.raises(fm.IDXFormatError, match=r't10k-images-idx3-ubyte\.gz holds 7 images but '
                                                r'.*t10k-labels-idx1-ubyte\.gz holds 6 labels'):
        fm.load_fashion_mnist_arrays(tmp_path, train=False, download=False)


def test_images_not_28x28(tmp_path):
    make_dataset(tmp_path)
    write(tmp_path / 'train-images-idx3-ubyte.gz', idx_bytes(np.zeros((12, 32, 32))))
    with pytest.raises(fm.IDXFormatError, match='32x32, expected 28x28'):
        fm.load_fashion_mnist_arrays(tmp_path, train=True, download=False)


def test_label_out_of_range(tmp_path):
    make_dataset(tmp_path)
    write(tmp_path / 'train-labels-idx1-ubyte.gz', idx_bytes(np.full(12, 10)))
    with pytest.raises(fm.IDXFormatError, match='label 10 out of range'):
        fm.load_fashion_mnist_arrays(tmp_path, train=True, download=False)


@needs_real_data
def test_keep_yields_the_last_partial_batch_and_discard_needs_one_full_batch():
    train_iter, _ = book.load_data_fashion_mnist(256, root=DEBIAN, last_batch='keep')
    sizes = [y.shape[0] for _, y in train_iter]
    assert len(sizes) == 235 and sizes[-1] == 60000 - 234 * 256
    train_iter, _ = book.load_data_fashion_mnist(256, root=DEBIAN, last_batch='discard')
    assert [y.shape[0] for _, y in train_iter] == [256] * 234
    small, _ = fashion_mnist_iters(512, [None], root=DEBIAN, subset=300)
    assert [y.shape[0] for _, y in small] == [300]           # keep: one partial batch
    with pytest.raises(ValueError, match='batch_size 512 is larger than the 300 examples'):
        fashion_mnist_iters(512, [None], root=DEBIAN, subset=300, last_batch='discard')
    with pytest.raises(ValueError, match="last_batch must be 'keep' or 'discard'"):
        book.load_data_fashion_mnist(256, root=DEBIAN, last_batch='drop')


def test_check_command_reports_found_and_missing(tmp_path, capsys):
    assert fm.main(['--check', '--root', str(tmp_path)]) == 1
    assert 'dataset-fashion-mnist' in capsys.readouterr().err
    if os.path.isdir(DEBIAN):
        assert fm.main(['--check', '--root', DEBIAN]) == 0
        assert capsys.readouterr().out.strip() == DEBIAN
