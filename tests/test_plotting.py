"""Tests for ch3.book.plotting: the book's use_svg_display / set_figsize / semilogy against
d2lzh's, and the harness's saving of figures."""
import d2lzh
import IPython.display
import matplotlib
import numpy as np
import pytest

from ch3.book import plotting


@pytest.fixture
def d2lzh_display(monkeypatch):
    """d2lzh's use_svg_display calls IPython.display.set_matplotlib_formats, which IPython 9
    removed (and which would create a shell here): make it a no-op to compare the rest."""
    monkeypatch.setattr(d2lzh.utils, 'use_svg_display', lambda: None)
    monkeypatch.setattr(d2lzh.utils.plt, 'show', lambda: None)


def test_plt_is_pyplot():
    import matplotlib.pyplot as plt
    assert plotting.plt is plt is d2lzh.plt


def test_use_svg_display_outside_ipython_creates_no_shell():
    from IPython.core.interactiveshell import InteractiveShell
    plotting.use_svg_display()
    assert not InteractiveShell.initialized()


SHELL_SCRIPT = """
import sys
import IPython, IPython.display
from IPython.core.interactiveshell import InteractiveShell
from matplotlib.figure import Figure
shell = InteractiveShell.instance()
from ch3.book import plotting
plotting.use_svg_display()
svg = shell.display_formatter.formatters['image/svg+xml']
assert Figure in svg.type_printers, 'svg not selected'
figs = [plotting.semilogy([1, 2], [1.0, 0.1], 'x', 'y') for _ in range(2)]
print(IPython.version_info[0], hasattr(IPython.display, 'set_matplotlib_formats'), len(figs))
"""


def test_use_svg_display_and_semilogy_inside_an_ipython_shell():
    import os
    import subprocess
    import sys
    import pathlib
    repo = pathlib.Path(plotting.__file__).resolve().parents[2]
    env = dict(os.environ, MPLBACKEND='Agg', PYTHONPATH=str(repo))
    done = subprocess.run([sys.executable, '-c', SHELL_SCRIPT], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    major, old_api, made = done.stdout.split()
    assert made == '2'
    assert old_api == ('True' if int(major) < 9 else 'False')   # IPython 9 removed it


def test_set_figsize_sets_rcparams_like_d2lzh(d2lzh_display):
    plotting.set_figsize((4.0, 3.0))
    ours = tuple(plotting.plt.rcParams['figure.figsize'])
    d2lzh.set_figsize((4.0, 3.0))
    assert ours == tuple(plotting.plt.rcParams['figure.figsize']) == (4.0, 3.0)
    plotting.set_figsize()
    assert tuple(plotting.plt.rcParams['figure.figsize']) == (3.5, 2.5)


def _lines(fig):
    ax = fig.axes[0]
    return ([(list(line.get_xdata()), list(line.get_ydata()), line.get_linestyle())
             for line in ax.get_lines()], ax.get_xlabel(), ax.get_ylabel(), ax.get_yscale(),
            [t.get_text() for t in ax.get_legend().get_texts()] if ax.get_legend() else None)


def test_semilogy_draws_what_d2lzh_draws_on_pyplot(d2lzh_display):
    plt = plotting.plt
    x, y, y2 = [1, 2, 3], [10.0, 1.0, 0.1], [20.0, 2.0, 0.2]
    assert plotting.semilogy(x, y, 'epochs', 'loss', x, y2, ['train', 'test']) is None
    fig = plt.gcf()
    assert tuple(fig.get_size_inches()) == (3.5, 2.5)
    ours = _lines(fig)
    plt.figure()
    d2lzh.semilogy(x, y, 'epochs', 'loss', x, y2, ['train', 'test'])
    assert ours == _lines(plt.gcf()) and ours[3] == 'log'
    plt.close('all')


def test_finish_saves_and_closes_a_pyplot_figure(tmp_path):
    plotting.semilogy(np.arange(1, 4), [1.0, 0.5, 0.25], 'x', 'y')
    fig = plotting.plt.gcf()
    path = plotting.finish(fig, str(tmp_path), 'curve.png')
    assert path == str(tmp_path / 'curve.png') and (tmp_path / 'curve.png').stat().st_size > 1000
    assert not plotting.plt.fignum_exists(fig.number)
    fig2, ax = plotting.new_figure()
    ax.plot([0, 1], [0, 1])
    assert plotting.finish(fig2) is None            # nothing written without out


def test_image_grid_layouts_and_errors():
    image = np.arange(28 * 28, dtype=np.uint8).reshape(28, 28)
    for layout in (image, image[None], image[..., None]):
        fig = plotting.image_grid([layout], titles=['x'])
        np.testing.assert_array_equal(fig.axes[0].images[0].get_array(), image)
    with pytest.raises(ValueError, match='at least one image'):
        plotting.image_grid([])
    with pytest.raises(ValueError, match=r'got shape \(2, 28, 28\)'):
        plotting.image_grid([np.zeros((2, 28, 28))])
