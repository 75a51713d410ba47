"""ch3: chapter 3 of Dive into Deep Learning (d2l-zh, MXNet edition), from scratch and with Gluon."""
from ch3._guard import check_environment as _check_environment

_check_environment()

from ch3.harness.perf import apply_mxnet_defaults as _apply_mxnet_defaults  # noqa: E402

_apply_mxnet_defaults()   # before the first `import mxnet`; see ch3.harness.perf.MXNET_DEFAULTS

__version__ = '0.1.0'

from ch3.utils import Accumulator, Timer, set_seed, atomic_write  # noqa: E402
from ch3.context import try_gpu, try_all_gpus, parse_ctx, as_ctx_list  # noqa: E402
from ch3.book import fashion_mnist as _fashion_mnist, plotting as _plotting  # noqa: E402
from ch3.book import training as _training  # noqa: E402
from ch3.book.training import (data_iter, linreg, squared_loss, sgd,  # noqa: E402
                               evaluate_accuracy, TrainingDiverged)
from ch3.book.fashion_mnist import load_data_fashion_mnist, get_fashion_mnist_labels  # noqa: E402
from ch3.book.plotting import plt, use_svg_display, set_figsize  # noqa: E402
from ch3.harness.registry import run_section, list_sections  # noqa: E402


# d2lzh's names whose book versions return something for the harness to keep (the history, a
# Figure to save): at top level they return None as d2lzh's do, so a notebook cell ending in the
# call shows the epoch lines or the figure once and nothing else.

def train_ch3(net, train_iter, test_iter, loss, num_epochs, batch_size, params=None, lr=None,
              trainer=None, ctx=None, verbose=True, progress=None):
    """3.6, d2lzh.train_ch3 for `import ch3 as d2l`: ch3.book.training.train_ch3 (same arguments,
    the book's per-epoch lines) returning None as d2lzh's does, so a notebook cell ending in the
    call shows only those lines; ch3.book.training.train_ch3 returns the per-epoch history."""
    _training.train_ch3(net, train_iter, test_iter, loss, num_epochs, batch_size, params, lr,
                        trainer, ctx, verbose, progress)


def show_fashion_mnist(images, labels):
    """3.5, d2lzh.show_fashion_mnist: the images in a row titled with labels, drawn on pyplot in
    SVG as d2lzh's (so Jupyter shows it wherever the call sits in a cell); returns None."""
    use_svg_display()
    _fashion_mnist.show_fashion_mnist(images, labels, pyplot=True)


def semilogy(x_vals, y_vals, x_label, y_label, x2_vals=None, y2_vals=None, legend=None,
             figsize=(3.5, 2.5)):
    """3.11, d2lzh.semilogy: ch3.book.plotting.semilogy (y on a log scale, on pyplot) returning
    None, so a cell ending in the call shows the figure once, not a second time as its value."""
    _plotting.semilogy(x_vals, y_vals, x_label, y_label, x2_vals, y2_vals, legend, figsize)
