"""The d2lzh plotting names as a notebook sees them (3.5, 3.11): drawn on pyplot, returning None.

`import ch3 as d2l` offers these two at top level. The book modules' versions
(ch3.book.fashion_mnist.show_fashion_mnist, ch3.book.plotting.semilogy) return their Figure so the
harness can save it; returned as a cell's value, Jupyter would show that Figure a second time (or,
for an object-API figure, only when the call ends the cell). d2lzh's return None.
"""
from ch3.book import fashion_mnist, plotting


def show_fashion_mnist(images, labels):
    """3.5, d2lzh.show_fashion_mnist: images (n, ...) in a row titled with labels (n,), drawn on
    pyplot in SVG as d2lzh's (Jupyter shows it wherever the call sits in a cell); returns None."""
    plotting.use_svg_display()
    fashion_mnist.show_fashion_mnist(images, labels, pyplot=True)


def semilogy(x_vals, y_vals, x_label, y_label, x2_vals=None, y2_vals=None, legend=None,
             figsize=(3.5, 2.5)):
    """3.11, d2lzh.semilogy: y_vals (and y2_vals, dotted) against x on a log y axis, on pyplot;
    returns None, so a cell ending in the call shows the figure once."""
    plotting.semilogy(x_vals, y_vals, x_label, y_label, x2_vals, y2_vals, legend, figsize)
