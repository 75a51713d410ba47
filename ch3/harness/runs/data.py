"""Fashion-MNIST iterators for a run: the book's batches, on a subset or a distributed worker's
shard of the training split, delivered on the run's device."""
from ch3.book import fashion_mnist as book
from ch3.checks import check_int
from ch3.data.fashion_mnist import load_fashion_mnist_arrays
from ch3.harness.distributed import shard_bounds


def num_train_examples(subset=None, root=None):
    """How many training images a run with `subset` reads (all 60000 when None)."""
    num_train = len(load_fashion_mnist_arrays(root, train=True)[1])
    return min(subset or num_train, num_train)


def _cut(images, labels, subset, shard):
    """The first `subset` examples, then shard (num_parts, index) of them when given."""
    if subset is not None:
        check_int('subset', subset, minimum=1)
        images, labels = images[:subset], labels[:subset]
    if shard is not None:
        if not isinstance(shard, (tuple, list)) or len(shard) != 2:
            raise ValueError('shard must be a (num_parts, index) pair, got %r' % (shard,))
        start, stop = shard_bounds(len(labels), shard[0], shard[1])
        images, labels = images[start:stop], labels[start:stop]
    return images, labels


def fashion_mnist_iters(batch_size, contexts, subset=None, shard=None, resize=None,
                        pipeline='fast', last_batch='keep', root=None, num_workers=0,
                        test_subset=None):
    """(train_iter, test_iter) for a run: the book's load_data_fashion_mnist, or, with a subset,
    the first `subset` images of each split (`test_subset` of the test split when given) with
    the training split cut to `shard` (num_parts, index); batches on the one device of
    `contexts`, or on the CPU for splitting when there are several. last_batch: the training
    split's last, smaller batch is kept ('keep', the book's) or dropped ('discard'); the test
    split keeps every image."""
    data_ctx = contexts[0] if len(contexts) == 1 else None
    if subset is None and shard is None and test_subset is None:
        return book.load_data_fashion_mnist(batch_size, resize, root, pipeline, num_workers,
                                            data_ctx, last_batch)
    iters = []
    for train in (True, False):
        images, labels = load_fashion_mnist_arrays(root, train=train)
        count = subset if train or test_subset is None else test_subset
        images, labels = _cut(images, labels, count, shard if train else None)
        iters.append(book.fashion_mnist_iter(images, labels, batch_size, train, resize, pipeline,
                                             num_workers, data_ctx,
                                             last_batch if train else 'keep'))
    return tuple(iters)
