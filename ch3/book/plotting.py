"""The book's plotting helpers (3.2, 3.5, 3.11) and the harness's figure saving.

The book draws on pyplot: `use_svg_display()`, `set_figsize(figsize)` (sets
plt.rcParams['figure.figsize']) and `semilogy(...)`, which shows inline in Jupyter and does
nothing visible under a headless backend; like d2lzh's they return None. The harness saves figures with `finish` (a PNG written
atomically, shown once inline under IPython); figures it makes itself use matplotlib's object API
(`new_figure`, `image_grid`) so no pyplot state builds up on a server.
"""
import io
import os

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from ch3.utils import atomic_write

__all__ = ['plt', 'use_svg_display', 'set_figsize', 'semilogy', 'semilogy_figure', 'new_figure',
           'image_grid',
           'save_figure', 'show', 'finish', 'DEFAULT_FIGSIZE']

DEFAULT_FIGSIZE = (3.5, 2.5)   # the book's size; the size of the harness's own figures


# --- the book's helpers (d2lzh's names and signatures) -----------------------------------------

def _inline_formats():
    """The function that selects Jupyter's inline figure formats: matplotlib_inline's (IPython 9
    removed IPython.display.set_matplotlib_formats), else IPython 8's; None without either."""
    try:
        from matplotlib_inline.backend_inline import set_matplotlib_formats
        return set_matplotlib_formats
    except ImportError:
        pass
    try:
        from IPython.display import set_matplotlib_formats
        return set_matplotlib_formats
    except ImportError:
        return None


def _shell():
    """The running IPython shell, or None (plain Python: nothing to configure)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def use_svg_display():
    """3.2: show inline figures as SVG in Jupyter (outside IPython there is nothing to set)."""
    select = _inline_formats()
    if select is not None and _shell() is not None:   # else it would create a shell
        select('svg')


def _pyplot_figure(figsize):
    """plt.figure(figsize=figsize); matplotlib < 3.9 under IPython 9 fails once while hooking
    pyplot into the shell (IPython removed backend2gui), after the hook itself is in place."""
    try:
        return plt.figure(figsize=figsize)
    except ImportError as err:
        if 'backend2gui' not in str(err):
            raise
        return plt.figure(figsize=figsize)


def set_figsize(figsize=(3.5, 2.5)):
    """3.2: SVG display and plt.rcParams['figure.figsize'] = figsize for the figures that follow."""
    use_svg_display()
    plt.rcParams['figure.figsize'] = figsize


def semilogy(x_vals, y_vals, x_label, y_label, x2_vals=None, y2_vals=None, legend=None,
             figsize=(3.5, 2.5)):
    """3.11, d2lzh's: y_vals (and y2_vals, dotted) against x on a log-scale y axis, drawn on
    pyplot (inline in Jupyter); returns None, so a cell ending in the call shows it once."""
    set_figsize(figsize)
    _pyplot_figure(figsize)
    plt.xlabel(x_label)
    plt.ylabel(y_label)
    plt.semilogy(x_vals, y_vals)
    if x2_vals is not None and y2_vals is not None:
        plt.semilogy(x2_vals, y2_vals, linestyle=':')
        plt.legend(legend)


# --- figures without pyplot state, and saving them (the harness) -------------------------------

def new_figure(figsize=None, nrows=1, ncols=1, **subplot_kw):
    """Return (fig, axes) without touching pyplot's global state."""
    fig = Figure(figsize=figsize or DEFAULT_FIGSIZE)
    axes = fig.subplots(nrows, ncols, squeeze=True, subplot_kw=subplot_kw or None)
    return fig, axes


def _as_image(image):
    """One grey image (h, w) from an NDArray or array (h, w), (1, h, w) or (h, w, 1)."""
    array = np.asarray(image.asnumpy() if hasattr(image, 'asnumpy') else image)
    if array.ndim == 3 and array.shape[0] == 1:
        array = array[0]
    elif array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim != 2:
        raise ValueError('each image must be (h, w), (1, h, w) or (h, w, 1), got shape %s'
                         % (array.shape,))
    return array


def semilogy_figure(x_vals, y_vals, x_label, y_label, x2_vals=None, y2_vals=None, legend=None,
                    figsize=None, title=None):
    """semilogy's plot as a Figure of its own, without pyplot, for a run to save."""
    fig, ax = new_figure(figsize)
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.semilogy(x_vals, y_vals)
    if x2_vals is not None and y2_vals is not None:
        ax.semilogy(x2_vals, y2_vals, linestyle=':')
    if legend:
        ax.legend(legend)
    if title:
        ax.set_title(title)
    return fig


def image_grid(images, titles=None, ncols=None, figsize=None, pyplot=False):
    """3.5: images (n, h, w), (n, 1, h, w) or (n, h, w, 1) in one row (or ncols columns) with
    titles; returns the Figure (a pyplot one, which Jupyter shows inline, with pyplot=True)."""
    images = [_as_image(img) for img in images]
    if not images:
        raise ValueError('image_grid needs at least one image')
    n = len(images)
    ncols = ncols or n
    nrows = (n + ncols - 1) // ncols
    size = figsize or (1.3 * ncols, 1.6 * nrows)
    fig = _pyplot_figure(size) if pyplot else Figure(figsize=size)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for i, ax in enumerate(axes):
        ax.axis('off')
        if i < n:
            ax.imshow(images[i], cmap='gray')
            if titles is not None:
                ax.set_title(titles[i], fontsize=8)
    return fig


def save_figure(fig, path):
    """Write fig as PNG to path atomically (a temporary file renamed into place); return path."""
    with atomic_write(path, 'wb') as handle:
        fig.savefig(handle, format='png', dpi=110, bbox_inches='tight')
    return os.fspath(path)


def show(fig):
    """Display fig inline in IPython/Jupyter as a PNG (no %matplotlib needed); a no-op elsewhere."""
    try:
        from IPython import get_ipython
        from IPython.display import Image, display
    except ImportError:
        return fig
    if get_ipython() is not None:
        buffer = io.BytesIO()
        fig.savefig(buffer, format='png', dpi=110, bbox_inches='tight')
        display(Image(data=buffer.getvalue(), format='png'))
    return fig


def finish(fig, out=None, name=None):
    """Save fig as out/name (when out is given), show it inline once, and return the saved path
    or None; a pyplot figure is closed so Jupyter does not show it a second time."""
    path = save_figure(fig, os.path.join(out, name)) if out else None
    show(fig)
    if getattr(fig, 'number', None) is not None and plt.fignum_exists(fig.number):
        plt.close(fig)
    return path
