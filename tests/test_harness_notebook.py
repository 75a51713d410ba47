"""ch3.harness.notebook: the helpers that put a run's numbers beside the book's (setting, result,
compare, plot_histories, source); the companion notebooks no longer import them."""
import pytest

from ch3.harness.registry import get_section
from ch3.harness.report import flatten


def test_setting_gives_the_book_value_or_the_quick_cap():
    from ch3.harness.notebook import setting
    from ch3.harness.settings import QUICK
    assert setting('3.9', 'num_epochs', 5, quick=False) == 5
    assert setting('3.9', 'num_epochs', 5, quick=True) == QUICK['3.9']['num_epochs'] < 5
    assert setting('3.9', 'num_epochs', 1, quick=True) == 1          # a cap never raises a value
    assert setting('3.9', 'subset', None, quick=True) == QUICK['3.9']['subset']
    assert setting('3.9', 'lr', 0.5, quick=True) == 0.5               # no cap for lr


def test_result_takes_the_last_epoch_and_compare_flattens_nested_book_numbers():
    from ch3.harness.notebook import compare, result, source
    history = [{'epoch': 1, 'loss': 0.9, 'train_acc': 0.5, 'test_acc': 0.6, 'seconds': 1.0},
               {'epoch': 2, 'loss': 0.7, 'train_acc': 0.7, 'test_acc': 0.75, 'seconds': 1.0}]
    r = result('3.9', 'scratch', history, extra=3)
    assert r['final'] == {'loss': 0.7, 'train_acc': 0.7, 'test_acc': 0.75, 'extra': 3}
    with pytest.raises(ValueError):
        result('3.99', 'scratch', history)
    table = compare(result('3.11', 'gluon', normal={'w': [1.2, -3.4, 5.6], 'b': 5.0}))
    book_w = flatten(get_section('3.11').book)['normal_w']
    assert table.loc['normal_w'].tolist() == ['[1.2, -3.4, 5.6]',
                                              '[%s]' % ', '.join('%.4g' % v for v in book_w)]
    from ch3.book import softmax
    assert source(softmax.net).startswith('def net(X, W, b):')


def test_plot_histories_reads_dict_rows_and_the_books_list_rows():
    import matplotlib
    matplotlib.use('Agg')
    from ch3.harness.notebook import plot_histories
    ours = [{'epoch': 1, 'test_acc': 0.6}, {'epoch': 2, 'test_acc': 0.7}]
    fig = plot_histories({'ours': ours}, book={'book 3.6': get_section('3.6').book['history']})
    (mine, book), = [ax.get_lines() for ax in fig.axes]
    assert list(mine.get_ydata()) == [0.6, 0.7]
    assert list(book.get_xdata()) == [1, 2, 3, 4, 5]
    assert list(book.get_ydata()) == [row[2] for row in get_section('3.6').book['history']]
    from ch3.book.plotting import plt
    plt.close(fig)
