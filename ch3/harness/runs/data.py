"""Fashion-MNIST iterators for a run: the book's batches, on a subset or a distributed worker's
shard of the training split, delivered on the run's device."""
from ch3.data.fashion_mnist import load_data_fashion_mnist, load_fashion_mnist_arrays


def num_train_examples(subset=None):
    """How many training images a run with `subset` reads (all 60000 when None)."""
    num_train = len(load_fashion_mnist_arrays(train=True)[1])
    return min(subset or num_train, num_train)


def fashion_mnist_iters(batch_size, contexts, subset=None, shard=None, resize=None):
    """(train_iter, test_iter) for a run: the first `subset` images of each split, the training
    split cut to `shard` (num_parts, index) when given; batches on the one device of `contexts`,
    or on the CPU for splitting when there are several."""
    data_ctx = contexts[0] if len(contexts) == 1 else None
    return load_data_fashion_mnist(batch_size, resize=resize, subset=subset, ctx=data_ctx,
                                   shard=shard)
