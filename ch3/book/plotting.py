"""Plotting helpers (book 3.2, 3.5, 3.11): headless-safe figures that save to PNG or show inline.

Figures are made with matplotlib's object API (no pyplot global state), so they work under Agg on
a server and in a notebook alike; `show` displays inline when running under IPython.
"""
import io
import os

from matplotlib.figure import Figure

from ch3.utils import atomic_write

DEFAULT_FIGSIZE = (3.5, 2.5)


def set_figsize(figsize=DEFAULT_FIGSIZE):
    """3.2: set the default size of new figures, as the book's d2lzh.set_figsize."""
    global DEFAULT_FIGSIZE
    DEFAULT_FIGSIZE = tuple(figsize)
    return DEFAULT_FIGSIZE


def new_figure(figsize=None, nrows=1, ncols=1, **subplot_kw):
    """Return (fig, axes) without touching pyplot's global state."""
    fig = Figure(figsize=figsize or DEFAULT_FIGSIZE)
    axes = fig.subplots(nrows, ncols, squeeze=True, subplot_kw=subplot_kw or None)
    return fig, axes


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
    """Save fig as out/name (when out is given), show it inline, and return the saved path or None."""
    path = save_figure(fig, os.path.join(out, name)) if out else None
    show(fig)
    return path


def semilogy(x_vals, y_vals, x_label, y_label, x2_vals=None, y2_vals=None, legend=None,
             figsize=(3.5, 2.5), title=None):
    """3.11: plot one or two curves with a log-scale y axis; returns the Figure."""
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


def image_grid(images, titles=None, ncols=None, figsize=None):
    """3.5: show images (n, h, w) or (n, 1, h, w) in one row (or ncols columns) with titles."""
    import numpy as np
    images = [np.asarray(img.asnumpy() if hasattr(img, 'asnumpy') else img) for img in images]
    if not images:
        raise ValueError('image_grid needs at least one image')
    n = len(images)
    ncols = ncols or n
    nrows = (n + ncols - 1) // ncols
    fig = Figure(figsize=figsize or (1.3 * ncols, 1.6 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for i, ax in enumerate(axes):
        ax.axis('off')
        if i < n:
            ax.imshow(images[i].reshape(images[i].shape[-2:]), cmap='gray')
            if titles is not None:
                ax.set_title(titles[i], fontsize=8)
    return fig
