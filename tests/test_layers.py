"""The layers of docs/conventions.md, read from the source: no import circle anywhere in ch3
(function-level imports included), and the book and base layers never reach up."""
import ast
import os
import re

import pytest

PACKAGE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'ch3')
BASE = ('ch3.data', 'ch3.checks', 'ch3.context', 'ch3.utils', 'ch3._guard', 'ch3._numpy_compat',
        'ch3._mxnet_env')
FACE = ('ch3',)   # the package face, ch3/__init__.py
BOOK = ('ch3.book',)


def _module_name(path):
    rel = os.path.relpath(path, os.path.dirname(PACKAGE_DIR))[:-3].replace(os.sep, '.')
    return rel[:-len('.__init__')] if rel.endswith('.__init__') else rel


def modules():
    """{module name: source} of every .py file under ch3/."""
    found = {}
    for folder, _, files in os.walk(PACKAGE_DIR):
        for name in files:
            if name.endswith('.py'):
                path = os.path.join(folder, name)
                with open(path, encoding='utf-8') as handle:
                    found[_module_name(path)] = handle.read()
    return found


def imports(name, source, known):
    """The ch3 modules `name` imports anywhere in its source (module or function level)."""
    package = name if source is None else name
    targets = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:   # relative import
                parts = package.split('.')[:len(package.split('.')) - node.level + 1]
                base = '.'.join(parts + ([base] if base else []))
            for alias in node.names:
                full = base + '.' + alias.name
                targets.add(full if full in known else base)
    return {t for t in targets if t in known and t != name}


def graph():
    sources = modules()
    return {name: imports(name, source, sources) for name, source in sources.items()}


def _in(name, layers):
    return any(name == layer or name.startswith(layer + '.') for layer in layers)


def test_the_graph_sees_function_level_imports():
    edges = graph()
    assert 'ch3.harness.exercises.base' in edges['ch3.harness.registry']   # inside a function
    assert 'ch3.book.training' in edges['ch3.book.softmax']


def test_no_import_circle_anywhere_in_ch3():
    edges = graph()
    state, path = {}, []

    def visit(node):
        state[node] = 'open'
        path.append(node)
        for target in sorted(edges[node]):
            if target == 'ch3':   # the package facade re-exports; nothing below imports it
                continue
            if state.get(target) == 'open':
                pytest.fail('import circle: ' + ' -> '.join(path[path.index(target):] + [target]))
            if target not in state:
                visit(target)
        path.pop()
        state[node] = 'done'

    for node in sorted(edges):
        if node not in state:
            visit(node)


def _in_layer(name, layer):
    return name in FACE if layer == FACE else _in(name, layer)


@pytest.mark.parametrize('layer, allowed', [(BOOK, BOOK + BASE), (BASE, BASE),
                                            (FACE, BOOK + BASE + ('ch3.harness.registry',))])
def test_lower_layers_never_import_higher_ones(layer, allowed):
    bad = sorted('%s imports %s' % (name, target) for name, targets in graph().items()
                 if _in_layer(name, layer) for target in targets if not _in(target, allowed))
    assert bad == []


def test_the_face_reaches_the_harness_only_when_asked():
    """The face names the registry (above) only inside its module __getattr__: imported on use."""
    import subprocess
    import sys
    code = ('import ch3, sys\n'
            'print(sorted(m for m in sys.modules if m.startswith("ch3.harness")))\n'
            'print(ch3.run_section.__module__, ch3.list_sections.__module__)')
    env = dict(os.environ, PYTHONPATH=os.path.dirname(PACKAGE_DIR))
    done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ['[]', 'ch3.harness.registry ch3.harness.registry']


def test_the_book_layer_never_mentions_run_machinery():
    words = re.compile(r'kvstore|shard|\bquick\b|\bQUICK', re.IGNORECASE)
    bad = ['%s: %s' % (name, sorted(set(words.findall(source))))
           for name, source in modules().items() if _in(name, BOOK) and words.search(source)]
    assert bad == []
