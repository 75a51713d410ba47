"""Write the companion notebooks from notebooks/chapter.py, and execute them.

    .venv/bin/python notebooks/generate.py              # rewrite notebooks/*.ipynb from chapter.py
    .venv/bin/python notebooks/generate.py --execute    # ... and run each in a fresh kernel

One notebook per notebook of the book's chapter 3 (sec3_01_... to sec3_16_...). A notebook's cells
are data in chapter.py; a cell that presents a book-layer function (`source('module:name')`) is
made here from `inspect.getsource` of that function, so the notebook and ch3.book cannot drift
apart (tests/test_notebooks.py regenerates and compares). Rewriting keeps a notebook's outputs
when its code cells are unchanged; otherwise the notebook is written without outputs until it is
executed again. Executing stores the sha256 of the code cells in metadata['ch3']['code_hash'].
"""
import argparse
import ast
import builtins
import hashlib
import importlib
import inspect
import os
import sys
import tempfile
import textwrap

import nbformat

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import chapter  # noqa: E402  (the notebooks' cells, as data)

KERNELSPEC = {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}


# --- cells ---------------------------------------------------------------------------------------

def _function(ref):
    module, name = ref.split(':')
    return getattr(importlib.import_module(module), name)


def _python(source):
    """A cell's source without IPython's % lines, parsed."""
    return ast.parse('\n'.join(line for line in source.splitlines()
                               if not line.startswith('%')))


def _imported_names(source):
    """The names a cell's import statements bind."""
    names = set()
    for node in ast.walk(_python(source)):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names.add((alias.asname or alias.name).split('.')[0])
    return names


def _defined_names(source):
    """The names a cell binds at top level: imports, functions and assignments."""
    names = _imported_names(source)
    for node in _python(source).body:
        if isinstance(node, ast.FunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return names


def free_names(fn):
    """The global names fn's source reads (not its arguments, locals or builtins)."""
    tree = ast.parse(inspect.getsource(fn))
    bound, loaded = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            bound.add(node.name)
    return sorted(name for name in loaded - bound
                  if name in fn.__globals__ and not hasattr(builtins, name))


def source_cell(ref, known):
    """The cell presenting a book-layer function: where it lives, the imports of the helpers it
    reads that the notebook has not defined (known: the names defined so far), and its source
    (inspect.getsource)."""
    fn = _function(ref)
    module = fn.__module__
    path = module.replace('.', '/') + '.py'
    lines = ['# %s（%s）' % (fn.__name__, path)]
    needed = [name for name in free_names(fn) if name not in known]
    # a module the function uses comes in as `import time`, not `from <module> import time`
    modules = [name for name in needed if inspect.ismodule(fn.__globals__[name])
               and fn.__globals__[name].__name__ == name]
    needed = [name for name in needed if name not in modules]
    lines += ['import %s' % name for name in modules]
    if needed:
        line = 'from %s import %s' % (module, ', '.join(needed))
        if len(line) > 99:
            line = textwrap.fill(', '.join(needed), width=99, break_long_words=False,
                                 initial_indent='from %s import (' % module,
                                 subsequent_indent=' ' * (len(module) + 14)) + ')'
        lines.append(line)
    known.add(fn.__name__)
    return '\n'.join(lines) + '\n\n' + inspect.getsource(fn).rstrip()


def build(spec):
    """A notebook (no outputs) from one entry of chapter.NOTEBOOKS."""
    cells, known = [], set()
    for kind, *args in spec['cells']:
        if kind == 'md':
            cells.append(nbformat.v4.new_markdown_cell(args[0].strip()))
        elif kind in ('code', 'parameters'):
            text = args[0].strip()
            cell = nbformat.v4.new_code_cell(text)
            if kind == 'parameters':
                cell.metadata['tags'] = ['parameters']
            known |= _defined_names(text)
            cells.append(cell)
        elif kind == 'source':
            cells.append(nbformat.v4.new_code_cell(source_cell(args[0], known)))
        elif kind == 'book':
            cells.append(nbformat.v4.new_markdown_cell(book_note(*args)))
        else:
            raise ValueError('unknown cell kind %r in %s' % (kind, spec['file']))
    for i, cell in enumerate(cells):
        cell['id'] = '%s-%02d' % (spec['section'].replace('.', '-'), i)
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata['kernelspec'] = dict(KERNELSPEC)
    nb.metadata['language_info'] = {'name': 'python'}
    nb.metadata['ch3'] = {'section': spec['section'], 'book_notebook': spec['book']}
    return nb


def book_note(output, note=''):
    """The markdown after a cell whose output the book recorded: the book's output and, when the
    two differ systematically, why."""
    text = '**书中的输出（the book\'s output）**：\n\n```\n%s\n```' % output.strip('\n')
    if note:
        text += '\n\n' + note.strip()
    return text


def code_hash(nb):
    """sha256 of the notebook's code cells, in order."""
    digest = hashlib.sha256()
    for cell in nb.cells:
        if cell.cell_type == 'code':
            digest.update(cell.source.encode('utf-8') + b'\0')
    return digest.hexdigest()


def path_of(spec):
    return os.path.join(HERE, spec['file'])


def specs(names=()):
    chosen = [s for s in chapter.NOTEBOOKS
              if not names or any(n in (s['section'], s['file'], s['file'][:-6]) for n in names)]
    if names and not chosen:
        raise SystemExit('no notebook named %s; see notebooks/chapter.py' % ', '.join(names))
    return chosen


def write(spec):
    """Write spec's notebook; keep its outputs when its code cells are those that produced them."""
    nb, path = build(spec), path_of(spec)
    if os.path.exists(path):
        old = nbformat.read(path, as_version=4)
        old_code = [c for c in old.cells if c.cell_type == 'code']
        new_code = [c for c in nb.cells if c.cell_type == 'code']
        if (old.metadata.get('ch3', {}).get('code_hash') == code_hash(nb)
                and [c.source for c in old_code] == [c.source for c in new_code]):
            for new_cell, old_cell in zip(new_code, old_code):   # prose edits keep outputs
                new_cell.outputs = old_cell.outputs
                new_cell.execution_count = old_cell.execution_count
            nb.metadata['ch3']['code_hash'] = old.metadata['ch3']['code_hash']
    nbformat.write(nb, path)
    return nb


# --- execution -----------------------------------------------------------------------------------

def parameters_index(nb):
    for i, cell in enumerate(nb.cells):
        if 'parameters' in cell.metadata.get('tags', []):
            return i
    return None


def execute(nb, overrides=None, timeout=1200, cwd=None):
    """Run nb in a fresh kernel of this interpreter (in place). overrides (a dict) go in a cell
    inserted after the `parameters` cell, as papermill does; returns nb."""
    from nbclient import NotebookClient
    if overrides:
        i = parameters_index(nb)
        if i is None:
            raise ValueError('the notebook has no cell tagged "parameters" to override')
        text = '\n'.join('%s = %r' % item for item in overrides.items())
        cell = nbformat.v4.new_code_cell(text)
        cell.metadata['tags'] = ['injected-parameters']
        nb.cells.insert(i + 1, cell)
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    env.setdefault('MPLBACKEND', 'module://matplotlib_inline.backend_inline')
    with tempfile.TemporaryDirectory() as tmp:
        NotebookClient(nb, timeout=timeout, kernel_name='python3', record_timing=False,
                       resources={'metadata': {'path': cwd or tmp}}).execute(env=env)
    return nb


def execute_in_place(spec):
    """Regenerate spec's notebook, run it at the book's settings and write it with its outputs."""
    nb = build(spec)
    execute(nb)
    nb.metadata['ch3']['code_hash'] = code_hash(nb)
    nbformat.write(nb, path_of(spec))
    return nb


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('names', nargs='*', help='sections (3.2) or file names; default: all')
    parser.add_argument('--execute', action='store_true',
                        help='run each notebook at the book\'s settings and keep its outputs')
    args = parser.parse_args(argv)
    chosen = specs(args.names)
    if not args.names:   # notebooks no longer in chapter.py go
        wanted = {s['file'] for s in chapter.NOTEBOOKS}
        for name in os.listdir(HERE):
            if name.endswith('.ipynb') and name not in wanted:
                os.remove(os.path.join(HERE, name))
    for spec in chosen:
        if args.execute:
            import time
            start = time.time()
            execute_in_place(spec)
            print('%s executed in %.0f s' % (spec['file'], time.time() - start), flush=True)
        else:
            write(spec)
            print('wrote', spec['file'])


if __name__ == '__main__':
    main()
