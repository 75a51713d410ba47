"""The companion notebooks: committed without outputs, one covers every section, each shows the
model, loss and training code it runs (calls into ch3.book and displayed sources), and each runs.

Every notebook is executed with nbclient in quick mode (CH3_QUICK=1) in one kernel of this
virtualenv (a `%reset -f` between notebooks keeps them independent while ch3 and MXNet are imported
once).
"""
import ast
import importlib
import json
import pathlib
import sys

import nbformat
import pytest

import ch3
from ch3.harness.registry import get_section
from ch3.harness import compare as _compare


def flatten(nested):
    """{'normal_w': ...}: the book's nested numbers under one-level names."""
    return {'_'.join(path): value for path, value in _compare.flatten(nested)}


ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / 'notebooks').glob('*.ipynb'))
REGISTERED = {s['section'] for s in ch3.list_sections()}
# sections whose notebook trains a model (the rest demonstrate data, functions or gradients)
TRAINED = {'3.2', '3.3', '3.6', '3.7', '3.9', '3.10', '3.11', '3.12', '3.13', '3.15', '3.16'}
TRAINING_CALLS = {'train_ch3', 'sgd', 'train', 'train_gluon', 'train_scratch', 'fit_scratch',
                  'fit_gluon', 'fit_and_plot', 'k_fold', 'train_and_pred', 'train_mlp_scratch',
                  'cross_validate'}


def _read(path):
    return nbformat.read(str(path), as_version=4)


def _code(nb):
    return [cell.source for cell in nb.cells if cell.cell_type == 'code']


def _book_calls(nb):
    """(module, function) for every call `alias.function(...)` or `show_source(alias.function)`
    in the code cells, where alias is a module imported by `from ch3.book import module` or
    `import ch3 as d2l`; also returns the names passed to show_source."""
    aliases, calls, shown = {}, set(), set()
    for source in _code(nb):
        tree = ast.parse('\n'.join(line for line in source.splitlines()
                                   if not line.startswith('%')))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == 'ch3.book':
                for alias in node.names:
                    aliases[alias.asname or alias.name] = 'ch3.book.' + alias.name
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name == 'ch3':
                        aliases[alias.asname or 'ch3'] = 'ch3'
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            is_show = isinstance(node.func, ast.Name) and node.func.id == 'show_source'
            for target in (node.args if is_show else [node.func]):
                if (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                        and target.value.id in aliases):
                    calls.add((aliases[target.value.id], target.attr))
                    if is_show:
                        shown.add((aliases[target.value.id], target.attr))
    return calls, shown


def test_there_is_a_notebook_per_topic_and_every_section_is_in_one():
    assert len(NOTEBOOKS) >= 11
    covered = set()
    for path in NOTEBOOKS:
        covered.update(_read(path).metadata['ch3']['sections'])
    assert REGISTERED <= covered, 'sections without a notebook: %s' % sorted(REGISTERED - covered)
    wanted = {'3.%d' % i for i in range(1, 17)}
    assert wanted <= covered


@pytest.mark.parametrize('path', NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebooks_are_valid_and_free_of_outputs(path):
    nb = _read(path)
    nbformat.validate(nb)
    assert nb.metadata['kernelspec']['name'] == 'python3'
    for cell in nb.cells:
        if cell.cell_type == 'code':
            assert cell.outputs == [] and cell.execution_count is None, path.name
    sources = '\n'.join(_code(nb))
    assert 'import ch3 as d2l' in sources and 'QUICK = quick_from_environment()' in sources
    assert nb.cells[0].cell_type == 'markdown' and len(nb.cells[0].source) > 80


@pytest.mark.parametrize('path', NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_shows_the_book_code_it_runs(path):
    """Each notebook calls functions of ch3.book (that exist), displays the source of some of
    them, and, for a section that trains, calls a training function or the book's loop."""
    nb = _read(path)
    calls, shown = _book_calls(nb)
    book_calls = set()
    for module, name in calls:
        function = getattr(importlib.import_module(module), name, None)
        assert function is not None, \
            '%s calls %s.%s, which does not exist' % (path.name, module, name)
        if getattr(function, '__module__', '').startswith('ch3.book'):   # not d2l.Timer etc.
            book_calls.add(name)
    modules = {module for module, _ in calls if module.startswith('ch3.book.')}
    assert modules, '%s calls nothing in ch3.book' % path.name
    assert len(book_calls) >= 4, (path.name, sorted(book_calls))
    assert shown, '%s displays no book function with show_source' % path.name
    if TRAINED & set(nb.metadata['ch3']['sections']):
        assert book_calls & TRAINING_CALLS, '%s shows no training code' % path.name
    # every code cell is said in a sentence or two: a markdown cell precedes each run of code
    kinds = [cell.cell_type for cell in nb.cells]
    assert kinds.count('markdown') * 2 >= kinds.count('code') - 1


def test_the_static_check_finds_calls_and_sources():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        'import ch3 as d2l\nfrom ch3.book import softmax\nshow_source(softmax.net)\n'
        'd2l.train_ch3(softmax.net, 1, 2)')])
    calls, shown = _book_calls(nb)
    assert calls == {('ch3.book.softmax', 'net'), ('ch3', 'train_ch3')}
    assert shown == {('ch3.book.softmax', 'net')}


@pytest.fixture(scope='module')
def kernel(tmp_path_factory):
    """One kernel of this interpreter, in quick mode, working in a temporary folder."""
    from jupyter_client.manager import KernelManager
    import os
    workdir = tmp_path_factory.mktemp('notebooks')
    km = KernelManager(kernel_name='python3')
    env = dict(os.environ, CH3_QUICK='1', MPLBACKEND='module://matplotlib_inline.backend_inline')
    km.start_kernel(cwd=str(workdir), env=env)
    try:
        yield km, workdir
    finally:
        km.shutdown_kernel(now=True)


def _outputs(cell, kind):
    return [o for o in cell.get('outputs', []) if kind in o.get('data', {})]


CHECK = '''import json, sys
_table = Out[max(Out)]   # the comparison cell's DataFrame
_ours = [c for c in _table.columns if c.startswith('ours')]
_book = [c for c in _table.columns if c.startswith('book')]
_filled = lambda cols: [k for k in _table.index if any(_table.loc[k, c] != '' for c in cols)]
_both = sorted(set(_filled(_ours)) & set(_filled(_book)))
print(json.dumps({"executable": sys.executable, "quick": QUICK, "ours": _filled(_ours),
                  "both": _both}))'''


@pytest.mark.parametrize('path', NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_in_quick_mode_shows_code_figures_and_the_book(path, kernel):
    from nbclient import NotebookClient
    km, workdir = kernel
    nb = _read(path)
    missing = [s for s in nb.metadata['ch3']['sections'] if s not in REGISTERED]
    assert not missing, 'sections not registered: %s' % ', '.join(missing)
    nb.cells.insert(0, nbformat.v4.new_code_cell('%reset -f'))
    nb.cells.append(nbformat.v4.new_code_cell(CHECK))
    NotebookClient(nb, km=km, timeout=300, allow_errors=False,
                   resources={'metadata': {'path': str(workdir)}}).execute()
    check = json.loads(nb.cells[-1].outputs[0]['text'])
    assert check['executable'] == sys.executable   # the venv's interpreter, not some other one
    assert check['quick'] is True
    # the displayed sources are the book's functions
    for cell in nb.cells:
        if cell.cell_type == 'code' and 'show_source(' in cell.source:
            text = ' '.join(o['data']['text/plain'] for o in _outputs(cell, 'text/plain'))
            assert 'def ' in text, cell.source
    images = sum(len(_outputs(cell, 'image/png')) + len(_outputs(cell, 'image/svg+xml'))
                 for cell in nb.cells)
    assert images >= 1, 'no figure shown inline'
    comparison = nb.cells[-2]
    assert 'compare(' in comparison.source
    table = _outputs(comparison, 'text/html')
    assert table and 'book' in table[0]['data']['text/html'] and 'ours' in \
        table[0]['data']['text/html']
    assert check['ours'], 'the comparison shows none of our numbers'
    book_numbers = [k for s in nb.metadata['ch3']['sections']
                    for k, v in flatten(get_section(s).book).items()
                    if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if book_numbers:   # 3.14's book prints no numbers
        assert check['both'], 'no row puts one of our numbers beside one of the book\'s'


# --- the notebooks' helpers (ch3.harness.notebook) -------------------------------------------------

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
    assert table.loc['normal · w'].tolist() == ['[1.2, -3.4, 5.6]',
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
