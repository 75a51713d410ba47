"""Fashion-MNIST for sections 3.5-3.10 and 3.13: find, read and iterate over the IDX files.

The four IDX files (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`,
`t10k-labels-idx1-ubyte`, each gzip-compressed or not) are read here directly, with their headers
checked. They are looked for, in order, in an explicit `root` (which then is the only place
looked), `$MXNET_HOME/datasets/fashion-mnist`, `~/.mxnet/datasets/fashion-mnist` and
`/usr/share/datasets/fashion-mnist` (Debian's `dataset-fashion-mnist`). When none has them they are
downloaded from the addresses `gluon.data.vision.FashionMNIST` uses and accepted by gluon's own
sha1s of its .gz files (GLUON_GZ_SHA1, the table in mxnet/gluon/data/vision/datasets.py), or by
the sha1 of the decompressed content of Debian's copy (DECOMPRESSED_SHA1).

The two copies are not the same data: Debian's holds Zalando's release in its order (first
training label 9, ankle boot), gluon's, which the book read, another (first training label 2,
pullover, as the book prints). `data_copy(folder)` names the copy a folder holds; every
`load_fashion_mnist_arrays` call notes the folder it read (`copies_read`), so a run's record
says which copy it trained on.
Decompressed copies of the .gz files are kept in a user cache (ch3.data.gunzip_cache;
CH3_CACHE_DIR='' turns it off), so later runs skip zlib.

`FashionMNISTIter` gives the book's batches `(X float32 (b, 1, 28, 28) in [0, 1], y int32 (b,))`
from decoded arrays: it converts the whole split to float32 once with the book's transforms
(ToTensor, and Resize), then each pass shuffles indices with numpy's global RNG (exactly as gluon's
RandomSampler does: `np.random.shuffle(np.arange(n))`) and gathers each batch with one `take`, so
with the same numpy seed it gives the batches of the book's DataLoader in the same order. The
book's functions (load_data_fashion_mnist, get_fashion_mnist_labels, show_fashion_mnist) are in
ch3.book.fashion_mnist.
"""
import functools
import gzip
import math
import os
import struct
import zlib

import numpy as np
import mxnet as mx
from mxnet import nd
from mxnet.gluon import data as gdata

from ch3.data.download import (DataFormatError, DatasetNotFound, DownloadError, download,
                               first_complete_folder, is_gzip, mxnet_home, sha1_file)
from ch3.checks import check_int, check_last_batch, check_resize
from ch3.data.gunzip_cache import gunzip

__all__ = ['TEXT_LABELS', 'FILES', 'DEBIAN_DIR', 'DatasetNotFound', 'IDXFormatError',
           'find_fashion_mnist', 'default_search_path', 'download_fashion_mnist', 'read_idx',
           'GLUON_GZ_SHA1', 'DECOMPRESSED_SHA1', 'accepted_sha1s', 'data_copy', 'copies_read',
           'load_fashion_mnist_arrays', 'transformer', 'FashionMNISTIter']

TEXT_LABELS = ['t-shirt', 'trouser', 'pullover', 'dress', 'coat',
               'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot']

# (images, labels) per split, without the optional .gz suffix.
FILES = {
    True: ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
    False: ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'),
}
ALL_FILES = FILES[True] + FILES[False]
EXPECTED_COUNT = {True: 60000, False: 10000}
IMAGE_SHAPE = (28, 28)
NUM_CLASSES = 10

# sha1 of the *decompressed* IDX files of Debian's dataset-fashion-mnist (Zalando's release
# order, first training label 9); gluon's copy decompresses to other bytes (first label 2).
DECOMPRESSED_SHA1 = {
    'train-images-idx3-ubyte': 'b9bd999c0106c9b8b4b0cefce58c9a6060f27095',
    'train-labels-idx1-ubyte': '4bccf37222e01638381eaa326bf730337a597267',
    't10k-images-idx3-ubyte': '880056926db704f9f713097915f99da346f5b1d1',
    't10k-labels-idx1-ubyte': '958122e8b4b97fd4e71eca2d08ef754ed77c3ad9',
}

# sha1 of the .gz files gluon downloads, as gluon.data.vision.FashionMNIST checks them (kept equal
# to the installed MXNet's table by a test)
GLUON_GZ_SHA1 = {
    'train-images-idx3-ubyte': '0cf37b0d40ed5169c6b3aba31069a9770ac9043d',
    'train-labels-idx1-ubyte': '236021d52f1e40852b06a4c3008d8de8aef1e40b',
    't10k-images-idx3-ubyte': '626ed6a7c06dd17c0eec72fa3be1740f146a2863',
    't10k-labels-idx1-ubyte': '17f9ab60e7257a1620f4ad76bbbaf857c3920701',
}
# what data_copy calls the two copies
DEBIAN_COPY = "Debian's dataset-fashion-mnist (Zalando's order, first training label 9)"
GLUON_COPY = "gluon's download, the book's copy (first training label 2)"

DEBIAN_DIR = '/usr/share/datasets/fashion-mnist'
GLUON_REPO = 'https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/'
GLUON_NAMESPACE = 'gluon/dataset/fashion-mnist/'

INSTALL_HINT = ('Install the data with `apt-get install dataset-fashion-mnist` (Debian/Ubuntu, '
                'puts it in %s), or copy the four files %s (.gz or uncompressed) into '
                '$MXNET_HOME/datasets/fashion-mnist (default ~/.mxnet/datasets/fashion-mnist; '
                'on the command line set the environment variable MXNET_HOME=<dir>), or from '
                'Python pass root=<folder holding them>.'
                % (DEBIAN_DIR, ', '.join(name + '.gz' for name in ALL_FILES)))


class IDXFormatError(DataFormatError):
    """An IDX file is truncated, corrupt, or has an unexpected header; the message names it."""


# ---------------------------------------------------------------------------------------------
# Finding the files
# ---------------------------------------------------------------------------------------------

def default_search_path():
    """3.5: the folders searched when no root is given, in order (duplicates removed)."""
    folders = []
    if os.environ.get('MXNET_HOME'):
        folders.append(os.path.join(os.environ['MXNET_HOME'], 'datasets', 'fashion-mnist'))
    folders.append(os.path.join(os.path.expanduser('~'), '.mxnet', 'datasets', 'fashion-mnist'))
    folders.append(DEBIAN_DIR)
    unique = []
    for folder in folders:
        if os.path.abspath(folder) not in [os.path.abspath(f) for f in unique]:
            unique.append(folder)
    return unique


def _file_in(folder, name):
    """Path of `name.gz` or `name` inside folder (gzip preferred), or None."""
    for candidate in (name + '.gz', name):
        path = os.path.join(folder, candidate)
        if os.path.isfile(path):
            return path
    return None


def _missing_in(folder):
    return [name for name in ALL_FILES if _file_in(folder, name) is None]


def _gluon_url(name):
    repo = os.environ.get('MXNET_GLUON_REPO', GLUON_REPO)
    if not repo.endswith('/'):
        repo += '/'
    return repo + GLUON_NAMESPACE + name + '.gz'


def accepted_sha1s(name):
    """The checks a downloaded `name`.gz passes: gluon's sha1 of its .gz bytes, or the sha1 of
    the decompressed content of Debian's copy; (hexdigest, sha1_of) pairs for `download`."""
    return [(GLUON_GZ_SHA1[name], 'raw'), (DECOMPRESSED_SHA1[name], 'decompressed')]


def download_fashion_mnist(folder, opener=None, timeout=10.0, retries=2, budget=20.0):
    """3.5: download the four .gz files that are missing in `folder` from gluon's addresses,
    each accepted by gluon's sha1 of the .gz file or by Debian's decompressed content
    (`accepted_sha1s`) and renamed into place; returns folder."""
    for name in _missing_in(folder):
        download(_gluon_url(name), os.path.join(folder, name + '.gz'),
                 sha1=accepted_sha1s(name), timeout=timeout, retries=retries, budget=budget,
                 opener=opener)
    return folder


def data_copy(folder):
    """3.5: which copy of Fashion-MNIST `folder` holds, told by its training labels file:
    DEBIAN_COPY (decompressed content as Debian's), GLUON_COPY (gluon's .gz bytes), else a
    description with the first training label."""
    path = _file_in(folder, FILES[True][1])
    if path is None:
        raise _not_found([(folder, 'missing ' + FILES[True][1])])
    if is_gzip(path) and sha1_file(path) == GLUON_GZ_SHA1[FILES[True][1]]:
        return GLUON_COPY
    if sha1_file(path, decompressed=True) == DECOMPRESSED_SHA1[FILES[True][1]]:
        return DEBIAN_COPY
    first = int(read_idx(path, ndim=1)[0])
    return 'an unrecognised copy (first training label %d%s)' % (
        first, {9: ", Zalando's order", 2: ", gluon's order"}.get(first, ''))


_FOLDERS_READ = []   # the folder of every load_fashion_mnist_arrays call, in order


def reads_so_far():
    """How many times load_fashion_mnist_arrays has read data in this process (a mark for
    copies_read)."""
    return len(_FOLDERS_READ)


def copies_read(since=0):
    """'copy (folder)' for each folder read after the mark `since` (reads_so_far), joined by
    '; '; None when no Fashion-MNIST was read."""
    folders = list(dict.fromkeys(_FOLDERS_READ[since:]))
    if not folders:
        return None
    return '; '.join('%s: %s' % (_copy_of(folder), folder) for folder in folders)


@functools.lru_cache(maxsize=8)
def _copy_of(folder):
    return data_copy(folder)


def _not_found(looked, download_error=None):
    lines = ['Fashion-MNIST files not found. Looked in:']
    for folder, problem in looked:
        lines.append('  %s (%s)' % (folder, problem))
    if download_error is not None:
        lines.append('Downloading them failed: %s' % download_error)
    lines.append(INSTALL_HINT)
    return DatasetNotFound('\n'.join(lines))


def find_fashion_mnist(root=None, download=False, opener=None):
    """3.5: the folder holding the four Fashion-MNIST IDX files (.gz or not).

    With `root` only that folder is used (it must exist); otherwise `default_search_path()` is
    searched in order. When nothing is found and `download` is true, the files are downloaded into
    root (or $MXNET_HOME/datasets/fashion-mnist); else, or when that fails, raises DatasetNotFound
    listing every folder looked in and how to install the data.
    """
    if root is not None:
        root = os.path.expanduser(os.fspath(root))
        if not os.path.isdir(root):
            raise _not_found([(root, 'the folder given as root does not exist')])
        folders, target = [root], root
    else:
        folders = default_search_path()
        target = os.path.join(mxnet_home(), 'datasets', 'fashion-mnist')
    found, looked = first_complete_folder(folders, _missing_in)
    if found:
        return found
    if not download:
        raise _not_found(looked)
    try:
        download_fashion_mnist(target, opener=opener)
    except DownloadError as err:
        raise _not_found(looked, err) from err
    return target


# ---------------------------------------------------------------------------------------------
# Reading IDX files
# ---------------------------------------------------------------------------------------------

_IDX_TYPES = {0x08: np.uint8}


def _read_bytes(path):
    """All bytes of `path`, gunzipped when it is gzip (by content, not by name)."""
    try:
        if is_gzip(path):
            # from a decompressed copy in the cache when there is one with the known content
            return gunzip(path, sha1=_known_sha1(path))
        with open(path, 'rb') as handle:
            return handle.read()
    except EOFError as err:
        raise IDXFormatError('%s: the gzip stream is truncated (%s)' % (path, err)) from err
    except (gzip.BadGzipFile, zlib.error) as err:
        raise IDXFormatError('%s: corrupt gzip data (%s)' % (path, err)) from err


def _known_sha1(path):
    """The sha1 of the decompressed content of a Fashion-MNIST file by its name, else None."""
    name = os.path.basename(path)
    return DECOMPRESSED_SHA1.get(name[:-3] if name.endswith('.gz') else name)


def read_idx(path, ndim=None):
    """3.5: read one IDX file (gzip or not) into a numpy array of shape header dims (uint8).

    Checks the magic number (two zero bytes, type 0x08 = unsigned byte, number of dimensions; e.g.
    0x00000803 for images (N, 28, 28), 0x00000801 for labels (N,)), `ndim` if given, and that the
    data size equals the product of the dimensions. Raises IDXFormatError naming the file.
    """
    path = os.fspath(path)
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise IDXFormatError('%s: only %d bytes, too short for an IDX header' % (path, len(raw)))
    zero, type_code, dims = struct.unpack('>HBB', raw[:4])
    magic = struct.unpack('>I', raw[:4])[0]
    if zero != 0 or type_code not in _IDX_TYPES or dims == 0:
        raise IDXFormatError('%s: bad magic number 0x%08X; an unsigned-byte IDX file starts with '
                             '0x000008NN (NN = number of dimensions, e.g. 0x00000803 for images, '
                             '0x00000801 for labels)' % (path, magic))
    if ndim is not None and dims != ndim:
        raise IDXFormatError('%s: magic number 0x%08X says %d dimension(s), expected %d (0x%08X)'
                             % (path, magic, dims, ndim, 0x800 + ndim))
    header = 4 + 4 * dims
    if len(raw) < header:
        raise IDXFormatError('%s: truncated header (%d bytes, need %d for %d dimensions)'
                             % (path, len(raw), header, dims))
    shape = struct.unpack('>%dI' % dims, raw[4:header])
    expected = math.prod(shape)   # Python ints: an int64 product of huge dims could wrap to 0
    actual = len(raw) - header
    if actual != expected:
        raise IDXFormatError('%s: header announces shape %s = %d bytes of data but the file holds '
                             '%d (%s)' % (path, shape, expected, actual,
                                          'truncated' if actual < expected else 'trailing bytes'))
    dtype = _IDX_TYPES[type_code]
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)


@functools.lru_cache(maxsize=8)
def _decode_split(images_path, labels_path, stamp):
    """Decode and check one split; cached per (resolved paths, size/mtime stamp)."""
    del stamp  # part of the cache key only: a replaced file is read again
    images = read_idx(images_path, ndim=3)
    labels = read_idx(labels_path, ndim=1)
    if images.shape[1:] != IMAGE_SHAPE:
        raise IDXFormatError('%s: images are %dx%d, expected 28x28'
                             % ((images_path,) + images.shape[1:]))
    if images.shape[0] != labels.shape[0]:
        raise IDXFormatError('%s holds %d images but %s holds %d labels; the counts must agree'
                             % (images_path, images.shape[0], labels_path, labels.shape[0]))
    if labels.size and labels.max() >= NUM_CLASSES:
        raise IDXFormatError('%s: label %d out of range 0..9' % (labels_path, labels.max()))
    labels = labels.astype(np.int32)   # gluon's FashionMNIST gives int32 labels
    images.flags.writeable = False
    labels.flags.writeable = False
    return images, labels


def load_fashion_mnist_arrays(root=None, train=True, download=True):
    """3.5: (images uint8 (N, 28, 28), labels int32 (N,)) of the train (N=60000) or test
    (N=10000) split, decoded once per process (read-only arrays; copy before changing them)."""
    folder = find_fashion_mnist(root, download=download)
    _FOLDERS_READ.append(os.path.realpath(folder))
    images_name, labels_name = FILES[bool(train)]
    paths = [os.path.realpath(_file_in(folder, name)) for name in (images_name, labels_name)]
    stamp = tuple((os.stat(p).st_size, os.stat(p).st_mtime_ns) for p in paths)
    return _decode_split(paths[0], paths[1], stamp)


# ---------------------------------------------------------------------------------------------
# Iterators
# ---------------------------------------------------------------------------------------------

def transformer(resize=None):
    """3.5: the book's transform: Resize (if resize), then ToTensor (HWC uint8 -> CHW
    float32 / 255)."""
    steps = [gdata.vision.transforms.Resize(resize)] if resize else []
    steps.append(gdata.vision.transforms.ToTensor())
    return gdata.vision.transforms.Compose(steps)


class FashionMNISTIter:
    """3.5: fast in-memory minibatch iterator yielding (X float32 (b, 1, h, w) in [0, 1],
    y int32 (b,)).

    The images (uint8 (N, 28, 28) or (N, 28, 28, 1)) are converted once with the book's transforms
    (Resize if `resize`, ToTensor) into one float32 NDArray on `ctx` (default cpu). Each pass
    draws a new order with numpy's global RNG when `shuffle` (the same call gluon's RandomSampler
    makes), and gathers every batch with `take`, so batches are fresh arrays that do not alias the
    data set; the last batch may be smaller. Conversions whose result would exceed
    `max_cached_bytes` (e.g. resize=224 on the training set) are done per batch instead.
    """

    SMALL_BATCH = 32   # below this, one gather per pass then views is cheaper than a take per batch

    def __init__(self, images, labels, batch_size, shuffle=False, resize=None, ctx=None,
                 max_cached_bytes=1 << 30, last_batch='keep'):
        self.batch_size = check_int('batch_size', batch_size, minimum=1)
        self.shuffle = bool(shuffle)
        self.last_batch = check_last_batch(last_batch)
        self.resize = check_resize(resize, self.batch_size)
        self.ctx = ctx or mx.cpu()
        images = np.asarray(images.asnumpy() if isinstance(images, nd.NDArray) else images)
        labels = np.asarray(labels.asnumpy() if isinstance(labels, nd.NDArray) else labels)
        if images.ndim == 3:
            images = images[..., None]
        if images.ndim != 4 or images.dtype != np.uint8:
            raise ValueError('images must be uint8 (N, H, W) or (N, H, W, C), got %s %s'
                             % (images.dtype, images.shape))
        if labels.shape != (images.shape[0],):
            raise ValueError('labels must have shape (%d,), got %s'
                             % (images.shape[0], labels.shape))
        self.num_examples = images.shape[0]
        if self.last_batch == 'discard' and 0 < self.num_examples < self.batch_size:
            raise ValueError("batch_size %d is larger than the %d examples, so last_batch='discard'"
                             " would leave no batch; use a smaller batch_size or more examples"
                             % (self.batch_size, self.num_examples))
        self._transform = transformer(self.resize)
        self.labels = nd.array(labels, ctx=self.ctx, dtype='int32')
        out_shape = self._transform(nd.array(images[:1], dtype='uint8')).shape[1:] \
            if self.num_examples else (images.shape[3],) + images.shape[1:3]
        self.example_shape = tuple(out_shape)
        out_bytes = 4 * self.num_examples * int(np.prod(out_shape))
        self._lazy = out_bytes > max_cached_bytes
        if self._lazy:
            self.data = None
            self._raw = nd.array(images, ctx=self.ctx, dtype='uint8')
        else:
            self.data = self._convert(images)
            self._raw = None

    def _convert(self, images, chunk=4096):
        """All images through the transforms; without a resize, ToTensor's arithmetic on the whole
        array at once (float32(x) / 255 in float32, as ToTensor rounds), 2-3x faster than its
        per-chunk kernel; with one, a chunk at a time (bounded temporary memory)."""
        if not self.resize:
            if images.shape[3] == 1:   # (N, H, W, 1) -> (N, 1, H, W) is a reshape, no copy
                images = images.reshape((images.shape[0], 1) + images.shape[1:3])
            else:
                images = images.transpose(0, 3, 1, 2)
            data = nd.array(images, ctx=self.ctx, dtype='uint8').astype('float32')
            data /= 255
            return data
        out = nd.empty((self.num_examples,) + self.example_shape, ctx=self.ctx, dtype='float32')
        for start in range(0, self.num_examples, chunk):
            part = nd.array(images[start:start + chunk], ctx=self.ctx, dtype='uint8')
            out[start:start + part.shape[0]] = self._transform(part)
        return out

    def __len__(self):
        return self._stop() // self.batch_size if self.last_batch == 'discard' else \
            (self.num_examples + self.batch_size - 1) // self.batch_size

    def _stop(self):
        """Where batching ends: every example, or the last full batch when discarding."""
        if self.last_batch == 'discard':
            return self.num_examples - self.num_examples % self.batch_size
        return self.num_examples

    def _order(self):
        if self.shuffle:
            order = np.arange(self.num_examples)
            np.random.shuffle(order)
        else:
            order = np.arange(self.num_examples)
        return nd.array(order, ctx=self.ctx, dtype='int32')

    def __iter__(self):
        n, b = self._stop(), self.batch_size
        if n == 0:
            return
        order = self._order()
        if self._lazy:
            for start in range(0, n, b):
                idx = order[start:start + b]
                yield self._transform(self._raw.take(idx)), self.labels.take(idx)
        elif b < self.SMALL_BATCH:
            data, labels = self.data.take(order), self.labels.take(order)
            for start in range(0, n, b):
                yield data[start:start + b], labels[start:start + b]
        else:
            for start in range(0, n, b):
                idx = order[start:start + b]
                yield self.data.take(idx), self.labels.take(idx)

    def __repr__(self):
        return ('FashionMNISTIter(%d examples, batch_size=%d, shuffle=%s, batches of %s, ctx=%s)'
                % (self.num_examples, self.batch_size, self.shuffle,
                   (self.batch_size,) + self.example_shape, self.ctx))


def main(argv=None):
    """`python -m ch3.data.fashion_mnist --check`: exit 0 and print the folder if the data are
    found (no download), else exit 1 with the folders looked in and how to install them."""
    import argparse
    import sys
    parser = argparse.ArgumentParser(prog='python -m ch3.data.fashion_mnist')
    parser.add_argument('--check', action='store_true', help='only look for the files')
    parser.add_argument('--root', help='a folder to look in instead of the search path')
    args = parser.parse_args(argv)
    try:
        print(find_fashion_mnist(args.root, download=not args.check))
    except (DatasetNotFound, DownloadError) as err:
        print(err, file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
