"""PyTorch as a third side of the benchmark: the chapter's models with the book's loop semantics.

The same Fashion-MNIST arrays in memory (float32 in [0, 1], decoded by ch3's reader), the same
models (softmax regression 784-10 and the 784-256-10 MLP, weights ~ N(0, 0.01^2), biases 0),
the same loop as d2lzh.train_ch3: each pass reshuffles with numpy's global RNG, batches of 256
with the last partial batch kept, the summed cross-entropy of a batch divided by the nominal
batch size before the SGD step, the training loss and accuracy summed on the fly and the test
accuracy evaluated after each epoch. torch uses as many threads as the machine has physical
cores. torch is not a dependency of ch3: `pip install torch` (here: torch==2.13.0, a CPU build).
"""
import contextlib

import numpy as np

HOW_TO_ADD = ('PyTorch is not installed, so the benchmark runs without it; add it with '
              '`pip install torch` (on this machine `pip install torch==2.13.0` takes a local CPU '
              'build) to compare with PyTorch too')


def available():
    """True when torch imports."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def set_threads(threads):
    """Use `threads` intra-op threads (the machine's physical cores)."""
    import torch
    torch.set_num_threads(int(threads))


@contextlib.contextmanager
def threads(count):
    """Within the block torch uses `count` intra-op threads; the previous count afterwards."""
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(int(count))
    try:
        yield
    finally:
        torch.set_num_threads(before)


class Batches:
    """(X float32 (b, 784), y int64 (b,)) torch tensors over arrays in memory; `shuffle` draws a
    new order each pass with numpy's global RNG, as ch3's and gluon's iterators do."""

    def __init__(self, images, labels, batch_size, shuffle):
        import torch
        flat = np.asarray(images, dtype=np.float32).reshape(len(images), -1)
        if flat.max() > 1:
            flat = flat / np.float32(255)
        self.X = torch.from_numpy(np.ascontiguousarray(flat))
        self.y = torch.from_numpy(np.asarray(labels, dtype=np.int64))
        self.batch_size, self.shuffle = batch_size, shuffle

    def __len__(self):
        return (len(self.y) + self.batch_size - 1) // self.batch_size

    def __iter__(self):
        import torch
        n = len(self.y)
        order = np.arange(n)
        if self.shuffle:
            np.random.shuffle(order)
        order = torch.from_numpy(order)
        for start in range(0, n, self.batch_size):
            idx = order[start:start + self.batch_size]
            yield self.X.index_select(0, idx), self.y.index_select(0, idx)


def make_model(model):
    """'softmax_*' -> Linear(784, 10); 'mlp_*' -> Linear(784, 256), ReLU, Linear(256, 10); the
    book's init N(0, 0.01^2) for weights, 0 for biases."""
    import torch
    from torch import nn
    layers = ([nn.Linear(784, 10)] if model.startswith('softmax')
              else [nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)])
    net = nn.Sequential(*layers)
    with torch.no_grad():
        for layer in net:
            if isinstance(layer, nn.Linear):
                layer.weight.normal_(0, 0.01)
                layer.bias.zero_()
    return net


def accuracy(net, batches):
    """Fraction of examples of `batches` that net classifies correctly."""
    import torch
    correct, n = 0, 0
    with torch.no_grad():
        for X, y in batches:
            correct += int((net(X).argmax(dim=1) == y).sum())
            n += len(y)
    return correct / n


def train(model, train_iter, test_iter, num_epochs, lr, batch_size):
    """d2lzh.train_ch3's loop in PyTorch; returns a function giving the final test accuracy."""
    import torch
    net = make_model(model)
    loss = torch.nn.CrossEntropyLoss(reduction='sum')
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    for _ in range(num_epochs):
        loss_sum = torch.zeros(())
        correct = torch.zeros((), dtype=torch.int64)
        for X, y in train_iter:
            y_hat = net(X)
            l = loss(y_hat, y)
            optimizer.zero_grad(set_to_none=True)
            (l / batch_size).backward()          # the book's step: sum over nominal batch size
            optimizer.step()
            loss_sum += l.detach()
            correct += (y_hat.argmax(dim=1) == y).sum()
        float(loss_sum), int(correct)            # read once per epoch, as ch3's train_ch3 does
        accuracy(net, test_iter)
    return lambda: accuracy(net, test_iter)
