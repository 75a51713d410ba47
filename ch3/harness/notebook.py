"""Helpers for the companion notebooks (notebooks/*.ipynb): show a book function's source, pick
the book's or the quick setting of a hyperparameter, plot per-epoch histories, and put our numbers
beside the book's. The notebooks build and train the models themselves with ch3.book."""
import inspect

from ch3.harness.registry import get_section
from ch3.harness.settings import QUICK as QUICK_CAPS, quick_from_environment


def _in_ipython():
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return get_ipython() is not None


def source(*objects):
    """The source text of each function or class, separated by blank lines."""
    return '\n\n'.join(inspect.getsource(obj).rstrip() for obj in objects)


def show_source(*objects):
    """Display the source of the given book functions (highlighted in Jupyter, else printed)."""
    text = source(*objects)
    if _in_ipython():
        from IPython.display import Code, display
        display(Code(text, language='python'))
    else:
        print(text)


def setting(section, name, book_value, quick=None):
    """The book's value of a hyperparameter, or in quick mode (CH3_QUICK=1, or quick=True) the
    cap ch3.harness.settings.QUICK[section] puts on it (None, e.g. no subset, takes the cap)."""
    quick = quick_from_environment() if quick is None else quick
    cap = QUICK_CAPS.get(section, {}).get(name)
    if not quick or cap is None:
        return book_value
    if book_value is None or isinstance(cap, bool) or not isinstance(cap, (int, float)):
        return cap
    return min(book_value, cap)


def result(section, impl, history=(), **final):
    """A result as compare takes it: the last epoch of `history` (loss, train_acc,
    test_acc) plus the named numbers in `final`."""
    get_section(section)   # ValueError for an unknown section number
    last = dict(history[-1]) if history else {}
    numbers = {k: last[k] for k in ('loss', 'train_acc', 'test_acc') if k in last}
    numbers.update(final)
    return {'section': section, 'impl': impl, 'final': numbers, 'history': list(history)}


def compare(*results):
    """Our numbers beside the book's recorded ones as a DataFrame (ch3.harness.compare.frame);
    prints the book's notes."""
    from ch3.harness.compare import compare as compare_one, frame
    for r in results:
        for row in compare_one(r.get('final'), get_section(r['section']).book, r['impl']).notes:
            print('book %s, %s: %s' % (r['section'], row.label, row.book))
    return frame(*results)


BOOK_ROW = ('loss', 'train_acc', 'test_acc')   # a book history row given as a list (3.6, 3.7)


def _epochs(history):
    """A history as [{'epoch', 'loss', ...}]; rows given as [loss, train_acc, test_acc] lists are
    numbered from epoch 1."""
    return [row if isinstance(row, dict) else dict(zip(BOOK_ROW, row), epoch=i)
            for i, row in enumerate(history, 1)]


def plot_histories(histories, key='test_acc', book=None):
    """A pyplot Figure of `key` per epoch for {label: history}, with the book's histories
    {label: history} as dashed lines (shown inline in Jupyter); returns the Figure."""
    histories = {label: _epochs(h) for label, h in histories.items()}
    book = {label: _epochs(h) for label, h in (book or {}).items()}
    from ch3.book.plotting import plt, set_figsize
    set_figsize((4.5, 3))
    fig = plt.figure()
    for label, history in histories.items():
        plt.plot([h['epoch'] for h in history], [h[key] for h in history], marker='o',
                 label=label)
    for label, history in book.items():
        plt.plot([h['epoch'] for h in history], [h[key] for h in history], linestyle='--',
                 marker='x', label=label)
    plt.xlabel('epoch')
    plt.ylabel(key)
    plt.legend(fontsize=7)
    return fig
