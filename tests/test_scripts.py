"""scripts/sec3_*.py: one thin script per section 3.2-3.16, each the same as `ch3 run SECTION`."""
import ast
import json
import os
import pathlib
import runpy
import subprocess
import sys

import pytest

import ch3
from ch3.harness import cli
from ch3.harness.compare import IMPL_LABELS
from ch3.harness.registry import tunable
from ch3.harness.scripting import run_script

SCRIPTS = pathlib.Path(__file__).resolve().parents[1] / 'scripts'
SECTION_SCRIPTS = sorted(SCRIPTS.glob('sec3_*.py'))
REGISTERED = {s['section'] for s in ch3.list_sections()}


def _section_of(path):
    """The section number a script passes to run_script, read from its syntax tree."""
    tree = ast.parse(path.read_text(encoding='utf-8'))
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
             and getattr(node.func, 'id', None) == 'run_script']
    assert len(calls) == 1, path.name
    return calls[0].args[0].value


def test_one_script_per_section_named_after_it():
    by_section = {}
    for path in SECTION_SCRIPTS:
        by_section.setdefault(_section_of(path), []).append(path.name)
    assert sorted(by_section, key=lambda n: int(n.split('.')[1])) == \
        ['3.%d' % i for i in range(2, 17)]
    for number, names in by_section.items():
        assert names == [n for n in names if n.startswith('sec3_%02d_' % int(number.split('.')[1]))]
        assert len(names) == 1, names


@pytest.mark.parametrize('path', SECTION_SCRIPTS, ids=lambda p: p.stem)
def test_scripts_are_thin_and_hold_no_logic(path):
    tree = ast.parse(path.read_text(encoding='utf-8'))
    imports = [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert [(node.module, [a.name for a in node.names]) for node in imports] == \
        [('ch3.harness.scripting', ['run_script'])]
    assert not [node for node in ast.walk(tree)
                if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.For, ast.While))]
    assert len(path.read_text(encoding='utf-8').splitlines()) <= 8
    assert os.access(str(path), os.X_OK)


@pytest.mark.parametrize('path', SECTION_SCRIPTS, ids=lambda p: p.stem)
def test_script_passes_the_common_options_to_the_library(path, tmp_path, monkeypatch, capsys):
    number = _section_of(path)
    assert number in REGISTERED, 'scripts/%s runs section %s, which is not registered' % (
        path.name, number)
    calls = []

    def recorder(section, **kwargs):
        calls.append(dict(kwargs, section=section))
        return {'section': section, 'impl': kwargs['impl'], 'ctx': ['cpu(0)'],
                'seed': kwargs['seed'], 'quick': kwargs['quick'], 'hyperparameters': {},
                'history': [], 'final': {'loss': 0.25}}
    monkeypatch.setattr(cli, 'run_section', recorder)
    monkeypatch.setattr(sys, 'argv', [str(path), '--quick', '--seed', '7', '--ctx', 'cpu',
                                      '--out', str(tmp_path)])
    with pytest.raises(SystemExit) as stop:
        runpy.run_path(str(path), run_name='__main__')
    assert stop.value.code == 0
    default = ch3.harness.registry.get_section(number).default_impl
    # the run writes into a fresh sibling folder that then takes --out's place
    staging = calls[0].pop('out') if calls else None
    assert os.path.dirname(staging) == os.path.dirname(str(tmp_path))
    assert os.path.basename(staging).startswith('.%s.' % tmp_path.name)
    assert calls == [{'section': number, 'impl': default, 'ctx': 'cpu', 'seed': 7,
                      'quick': True}]
    with open(tmp_path / 'metrics.json', encoding='utf-8') as handle:
        assert json.load(handle)['final'] == {'loss': 0.25}
    assert "%s %s (quick run: not the book's settings): " % (number, IMPL_LABELS[default]) \
        in capsys.readouterr().out


@pytest.mark.parametrize('path', SECTION_SCRIPTS, ids=lambda p: p.stem)
def test_script_help_lists_its_sections_own_options_with_their_defaults(path, capsys):
    import inspect
    number = _section_of(path)
    spec = ch3.harness.registry.get_section(number)
    with pytest.raises(SystemExit) as stop:
        run_script(number, ['--help'])
    assert stop.value.code == 0
    text = ' '.join(capsys.readouterr().out.split())
    assert spec.title in text and 'default: %s' % spec.default_impl in text \
        if len(spec.impls) > 1 else '--impl' not in text
    takes = set()
    for fn in spec.impls.values():
        takes |= set(tunable(fn))
    defaults = {}
    for impl in [spec.default_impl] + sorted(spec.impls):   # the section's own version first
        for name, p in inspect.signature(spec.impls[impl]).parameters.items():
            defaults.setdefault(name, p.default)
    for option, name in cli.HYPERPARAMETER_OPTIONS.items():
        flag = '--' + option.replace('_', '-')
        assert (flag + ' ' in text) == (name in takes), (number, flag)
        if name in takes and name != 'kvstore':
            assert 'default: %r)' % (defaults[name],) in text, (number, flag)
    for name in takes - set(cli.HYPERPARAMETER_OPTIONS.values()) - set(cli.OWN_OPTIONS):
        assert '%s=%r' % (name, defaults[name]) in text, (number, name)
    # an option the section does not take is refused, with the same one-line error
    if 'lr' not in takes:
        with pytest.raises(SystemExit) as stop:
            run_script(number, ['--lr', '0.1'])
        assert stop.value.code == 2
        assert 'unrecognized arguments: --lr 0.1' in capsys.readouterr().err


def test_a_script_trains_for_real(tmp_path):
    script = SCRIPTS / 'sec3_02_linear_regression_scratch.py'
    done = subprocess.run([sys.executable, str(script), '--epochs', '2', '--lr', '0.05',
                           '--out', str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    metrics = json.loads((tmp_path / 'metrics.json').read_text(encoding='utf-8'))
    assert (metrics['section'], metrics['impl']) == ('3.2', 'scratch')
    assert metrics['hyperparameters']['lr'] == 0.05 and len(metrics['history']) == 2
    assert metrics['final']['loss'] < 1e-3   # two epochs of the book's model already fit it
    assert 'epoch 2, loss' in done.stdout


def test_a_script_reports_mistakes_like_the_command(monkeypatch, capsys):
    script = SCRIPTS / 'sec3_03_linear_regression_gluon.py'
    monkeypatch.setattr(sys, 'argv', [str(script), '--ctx', 'gpu:7'])
    with pytest.raises(SystemExit) as stop:
        runpy.run_path(str(script), run_name='__main__')
    assert stop.value.code == 2
    assert capsys.readouterr().err.startswith(
        "sec3_03_linear_regression_gluon.py: error: device 'gpu:7'")
