"""The companion notebooks: committed without outputs, one covers every section, and each runs.

Every notebook is executed with nbclient in quick mode (CH3_QUICK=1) in one kernel of this
virtualenv (a `%reset -f` between notebooks keeps them independent while ch3 and MXNet are imported
once); a notebook whose sections are not registered yet is skipped.
"""
import json
import pathlib
import sys

import nbformat
import pytest

import ch3

NOTEBOOKS = sorted((pathlib.Path(__file__).resolve().parents[1] / 'notebooks').glob('*.ipynb'))
REGISTERED = {s['section'] for s in ch3.list_sections()}


def _read(path):
    return nbformat.read(str(path), as_version=4)


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
    sources = '\n'.join(cell.source for cell in nb.cells)
    assert 'import ch3' in sources and "os.environ.get('CH3_QUICK') == '1'" in sources
    assert nb.cells[0].cell_type == 'markdown' and len(nb.cells[0].source) > 80


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


@pytest.mark.parametrize('path', NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_in_quick_mode_and_shows_its_figures(path, kernel):
    from nbclient import NotebookClient
    km, workdir = kernel
    nb = _read(path)
    missing = [s for s in nb.metadata['ch3']['sections'] if s not in REGISTERED]
    if missing:
        pytest.skip('sections not registered yet: %s' % ', '.join(missing))
    results = [line.split('=')[0].strip() for cell in nb.cells if cell.cell_type == 'code'
               for line in cell.source.splitlines() if 'ch3.run_section(' in line]
    nb.cells.insert(0, nbformat.v4.new_code_cell('%reset -f'))
    nb.cells.append(nbformat.v4.new_code_cell(
        'import json, sys\nprint(json.dumps({"executable": sys.executable, "figures": sum('
        'len(r.get("figures") or []) for r in [%s]), "quick": [r["quick"] for r in [%s]]}))'
        % (', '.join(results), ', '.join(results))))
    NotebookClient(nb, km=km, timeout=120, allow_errors=False,
                   resources={'metadata': {'path': str(workdir)}}).execute()
    check = json.loads(nb.cells[-1].outputs[0]['text'])
    assert check['executable'] == sys.executable   # the venv's interpreter, not some other one
    assert check['quick'] and all(check['quick'])
    images = sum(len(_outputs(cell, 'image/png')) for cell in nb.cells)
    assert images == check['figures'], 'each saved figure is shown inline once'
    comparison = nb.cells[-2]
    assert 'compare(' in comparison.source
    table = _outputs(comparison, 'text/html')
    assert table and 'book' in table[0]['data']['text/html'] and 'ours' in \
        table[0]['data']['text/html']
