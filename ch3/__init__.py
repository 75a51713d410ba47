"""ch3: chapter 3 of Dive into Deep Learning (d2l-zh, MXNet edition), from scratch and with Gluon."""
from ch3._guard import check_environment as _check_environment

_check_environment()   # also restores numpy names MXNet 1.9.1 reads, before anything imports it

from ch3._mxnet_env import apply_mxnet_defaults as _apply_mxnet_defaults  # noqa: E402

_apply_mxnet_defaults()   # before the first `import mxnet`; see ch3._mxnet_env.MXNET_DEFAULTS

__version__ = '0.1.0'

from ch3.utils import Accumulator, Timer, set_seed, atomic_write  # noqa: E402
from ch3.context import try_gpu, try_all_gpus, parse_ctx, as_ctx_list  # noqa: E402
from ch3.book.training import (data_iter, linreg, squared_loss, sgd,  # noqa: E402
                               evaluate_accuracy, train_ch3, TrainingDiverged)
from ch3.book.fashion_mnist import load_data_fashion_mnist, get_fashion_mnist_labels  # noqa: E402
from ch3.book.fashion_mnist import show_fashion_mnist  # noqa: E402
from ch3.book.plotting import plt, use_svg_display, set_figsize, semilogy  # noqa: E402


def __getattr__(name):
    """run_section and list_sections, the harness's, imported on first use: `import ch3` loads
    the base and book layers only."""
    if name in ('run_section', 'list_sections'):
        from ch3.harness import registry
        return getattr(registry, name)
    raise AttributeError('module %r has no attribute %r' % (__name__, name))
