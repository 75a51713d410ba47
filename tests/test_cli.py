"""The `ch3` command: list, run (options, metrics.json, figures), one-line errors, status 2."""
import json
import os
import runpy
import subprocess
import sys
import time

import pytest

import ch3
from ch3.harness import cli
from ch3.data.download import DatasetNotFound

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _json(path):
    with open(path, encoding='utf-8') as handle:
        return json.load(handle)


def _run(argv, capsys):
    status = cli.main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_list_names_every_registered_section_with_title_module_and_versions(capsys):
    status, out, err = _run(['list'], capsys)
    assert status == 0 and err == ''
    lines = out.splitlines()
    for entry in ch3.list_sections():
        row = next(line for line in lines if line.split()[0] == entry['section'])
        assert entry['title'] in row and entry['module'].rsplit('.', 1)[-1] in row
        for impl in entry['impls']:
            assert impl in row
        if len(entry['impls']) > 1:
            assert entry['default_impl'] + '*' in row
    status, out, _ = _run(['list', '--json'], capsys)
    assert json.loads(out) == ch3.list_sections()


def test_run_writes_the_agreed_metrics_json_with_the_library_numbers(tmp_path, capsys):
    out = tmp_path / 'run'
    status, stdout, err = _run(['run', '3.3', '--quick', '--seed', '3', '--out', str(out)], capsys)
    assert status == 0
    assert err == ''   # no progress bar when stderr is not a terminal
    metrics = _json(out / 'metrics.json')
    assert list(metrics)[:8] == ['section', 'impl', 'ctx', 'seed', 'quick', 'hyperparameters',
                                 'history', 'final']
    assert metrics['section'] == '3.3' and metrics['impl'] == 'gluon'   # 3.3 is the Gluon one
    assert metrics['ctx'] == ['cpu(0)'] and metrics['seed'] == 3 and metrics['quick'] is True
    assert [row['epoch'] for row in metrics['history']] == [1, 2, 3]
    losses = [row['loss'] for row in metrics['history']]   # 3.3's history: the book's loss lines
    assert losses == sorted(losses, reverse=True) and losses[-1] < 1e-3
    # the book's per-epoch lines on stdout, then the summary and where the file went
    assert 'epoch 3, loss %f' % metrics['history'][-1]['loss'] in stdout
    assert 'wrote %s' % (out / 'metrics.json') in stdout
    # the same call through the library gives the same numbers (seed and options passed through)
    direct = ch3.run_section('3.3', seed=3, quick=True, verbose=False)
    assert metrics['final'] == direct['final']
    assert [p for p in os.listdir(out) if p.endswith('.part')] == []


def test_run_maps_options_to_hyperparameters_and_keeps_figures_beside_metrics(tmp_path, capsys):
    out = tmp_path / 'lr'
    status, _, _ = _run(['run', '3.2', '--epochs', '2', '--batch-size', '20', '--lr', '0.05',
                         '--set', 'num_examples=200', '--out', str(out)], capsys)
    assert status == 0
    metrics = _json(out / 'metrics.json')
    assert metrics['impl'] == 'scratch'
    assert metrics['hyperparameters'] == {'num_epochs': 2, 'batch_size': 20, 'lr': 0.05,
                                          'num_examples': 200}
    assert len(metrics['history']) == 2
    assert metrics['figures'] == ['linreg_scatter.png']   # relative to the metrics file
    with open(out / 'linreg_scatter.png', 'rb') as handle:
        assert handle.read(8) == b'\x89PNG\r\n\x1a\n'


def test_impl_both_writes_one_metrics_file_per_version(tmp_path, capsys):
    status, stdout, _ = _run(['run', '3.2', '--impl', 'both', '--epochs', '1', '--out',
                              str(tmp_path)], capsys)
    assert status == 0
    scratch, gluon = _json(tmp_path / 'scratch' / 'metrics.json'), \
        _json(tmp_path / 'gluon' / 'metrics.json')
    assert (scratch['impl'], gluon['impl']) == ('scratch', 'gluon')
    assert scratch['section'] == gluon['section'] == '3.2'
    assert not (tmp_path / 'metrics.json').exists()
    assert stdout.index('3.2 from scratch: loss ') < stdout.index('3.2 Gluon: loss ')   # book order


def test_set_parses_python_literals_and_falls_back_to_text():
    assert cli.parse_assignment('wd=3') == ('wd', 3)
    assert cli.parse_assignment('drop-prob1=0.2') == ('drop_prob1', 0.2)
    assert cli.parse_assignment('num_hiddens=[256, 256]') == ('num_hiddens', [256, 256])
    assert cli.parse_assignment('pipeline=gluon') == ('pipeline', 'gluon')
    assert cli.parse_assignment('verbose=False') == ('verbose', False)


@pytest.mark.parametrize('argv, message', [
    (['run', '9.9'], "unknown section '9.9'; known sections: 3.1, 3.2"),
    (['run', '3.2', '--lr', '-1'], "argument --lr: must be a finite number > 0, got '-1'"),
    (['run', '3.2', '--lr', 'fast'], "argument --lr: must be a number, got 'fast'"),
    (['run', '3.2', '--epochs', '-1'], 'argument --epochs: epochs must be >= 1, got -1'),
    (['run', '3.2', '--epochs', '0'], 'argument --epochs: epochs must be >= 1, got 0'),
    (['run', '3.6', '--quik'], 'unrecognized arguments: --quik; did you mean --quick?'),
    (['run', '3.66'], "unknown section '3.66'"),
    (['run', '3.6', '--quick', '--set', 'num_epochs=2.5'],
     'section 3.6 (scratch): num_epochs (--epochs) must be an integer, got 2.5'),
    (['run', '3.16', '--quick', '--set', 'k=1'], 'k (--set k=...) must be >= 2, got 1'),
    (['run', '3.6', '--set', 'lr=0'], 'lr (--lr) must be a finite number > 0, got 0'),
    (['run', '3.2', '--batch-size', '2.5'], "batch size must be an integer, got '2.5'"),
    (['run', '3.2', '--impl', 'torch'], "argument --impl: invalid choice: 'torch'"),
    (['run', '3.1', '--impl', 'gluon'], 'section 3.1 has no gluon version; it has: scratch'),
    (['run', '3.1', '--lr', '0.1'],
     'section 3.1 (scratch) has no hyperparameter lr, so --lr does not apply; it takes: n'),
    (['run', '3.2', '--impl', 'both', '--set', 'wd=3'],
     'section 3.2 (scratch) has no hyperparameter wd, so --set wd=... does not apply'),
    (['run', '3.2', '--lr', '0.1', '--set', 'lr=0.2'], 'hyperparameter lr is given twice'),
    (['run', '3.2', '--set', 'seed=1'], 'seed is an option of its own: use --seed'),
    (['run', '3.2', '--set', 'oops'], 'expected name=value'),
    (['run', '3.2', '--ctx', 'gpu'], "device 'gpu' asked for, but"),
    (['run', '3.2', '--ctx', 'gpu:0,gpu:1'], "device 'gpu:0' asked for, but"),
    (['run', '3.2', '--ctx', 'tpu'], "unknown device 'tpu'"),
    (['run', '3.2', '--ctx', 'cpu,cpu'], 'names a device twice'),
    (['run', '3.2', '--lr', '100', '--epochs', '3'], 'training diverged in epoch'),
    (['report', '--sections', '3.2,7.1'], "unknown section '7.1'"),
    (['report', '--ctx', 'gpu:5'], "device 'gpu:5' asked for, but"),
    (['nonsense'], "argument COMMAND: invalid choice: 'nonsense'"),
])
def test_user_mistakes_give_one_line_on_stderr_and_status_2(argv, message, tmp_path, capsys):
    out = tmp_path / 'never'
    if argv[0] in ('run', 'report'):
        argv = argv + ['--out', str(out)]
    try:
        status = cli.main(argv)
    except SystemExit as stop:   # argparse's own errors
        status = stop.code
    err = capsys.readouterr().err
    assert status == 2
    assert err.count('\n') == 1 and 'Traceback' not in err, err
    assert err.startswith('ch3 %s: error: ' % argv[0] if argv[0] in cli.COMMANDS
                          else 'ch3: error: ')
    assert message in err
    if 'diverged' not in message:
        assert not out.exists()   # nothing was run or written


def test_parse_errors_exit_with_status_2(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(['run', '3.2', '--epochs', 'many'])
    assert info.value.code == 2
    assert capsys.readouterr().err.strip() == \
        "ch3 run: error: argument --epochs: epochs must be an integer, got 'many' " \
        "(see ch3 run --help)"


def test_missing_data_and_interrupts_are_reported_without_traceback(monkeypatch, capsys):
    def missing(*args, **kwargs):
        raise DatasetNotFound('Fashion-MNIST not found in /nowhere; install dataset-fashion-mnist')
    monkeypatch.setattr(cli, 'run_section', missing)
    status, _, err = _run(['run', '3.2', '--out', '/tmp/never-written'], capsys)
    assert status == 2
    assert err == 'ch3 run: error: Fashion-MNIST not found in /nowhere; install ' \
                  'dataset-fashion-mnist\n'

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(cli, 'run_section', interrupted)
    status, _, err = _run(['run', '3.2', '--out', '/tmp/never-written'], capsys)
    assert status == 130 and err == 'ch3 run: interrupted\n'


def test_bugs_are_not_hidden_as_user_errors(monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError('a bug')
    monkeypatch.setattr(cli, 'run_section', broken)
    with pytest.raises(KeyError):
        cli.main(['run', '3.2', '--out', '/tmp/never-written'])


def test_debug_variable_shows_the_traceback(monkeypatch):
    monkeypatch.setenv('CH3_DEBUG', '1')
    with pytest.raises(ValueError, match='unknown section'):
        cli.main(['run', '9.9'])


def test_new_subcommands_plug_into_the_command_table(capsys):
    seen = {}

    def configure(parser):
        parser.add_argument('--kvstore', default='device')

    def handler(args, parser):
        seen['kvstore'] = args.kvstore
        return 0
    cli.register_command('hello', 'a test command', configure, handler)
    try:
        assert cli.main(['hello', '--kvstore', 'local']) == 0
        assert seen == {'kvstore': 'local'}
        with pytest.raises(SystemExit):
            cli.main(['--help'])
        assert 'hello' in capsys.readouterr().out
    finally:
        del cli.COMMANDS['hello']


def test_the_installed_command_and_python_m_ch3_behave_the_same(tmp_path, monkeypatch, capsys):
    ch3_script = os.path.join(os.path.dirname(sys.executable), 'ch3')
    done = subprocess.run([ch3_script, 'run', '3.99'], capture_output=True, text=True,
                          timeout=120, cwd=str(tmp_path))
    assert done.returncode == 2 and done.stdout == ''
    assert done.stderr == "ch3 run: error: unknown section '3.99'; known sections: %s " \
        "(did you mean 3.9?)\n" % ', '.join(s['section'] for s in ch3.list_sections())
    monkeypatch.setattr(sys, 'argv', ['ch3', 'run', '3.99'])   # python -m ch3 run 3.99
    with pytest.raises(SystemExit) as stop:
        runpy.run_module('ch3', run_name='__main__')
    assert stop.value.code == 2 and capsys.readouterr().err == done.stderr


# ---- every count of every section and version is checked before training ----

def _count_cases():
    """(section, impl, argv tail) for --epochs 0 and each count hyperparameter at 0."""
    import inspect
    from ch3.harness.registry import COUNTS, get_section, tunable
    cases = []
    for entry in ch3.list_sections():
        spec = get_section(entry['section'])
        for impl, fn in spec.impls.items():
            cases.append((spec.number, impl, ['--epochs', '0']))
            for name in tunable(fn):
                if name in COUNTS:
                    low = COUNTS[name] - 1
                    cases.append((spec.number, impl, ['--set', '%s=%d' % (name, low)]))
                    cases.append((spec.number, impl, ['--set', '%s=%d' % (name, -1)]))
    return cases


COUNT_CASES = _count_cases()


@pytest.mark.parametrize('section, impl, tail', COUNT_CASES,
                         ids=['%s-%s-%s' % (s, i, '='.join(t).lstrip('-')) for s, i, t in COUNT_CASES])
@pytest.mark.parametrize('quick', [False, True], ids=['full', 'quick'])
def test_zero_counts_are_refused_in_one_line_before_training(section, impl, tail, quick,
                                                             tmp_path, monkeypatch, capsys):
    def trained(*args, **kwargs):
        raise AssertionError('training started')
    monkeypatch.setattr(cli, 'run_section', trained)
    out = tmp_path / 'never'
    argv = ['run', section, '--impl', impl, '--out', str(out)] + tail + (['--quick'] if quick
                                                                         else [])
    try:
        status = cli.main(argv)
    except SystemExit as stop:   # argparse's own check of --epochs
        status = stop.code
    err = capsys.readouterr().err
    assert status == 2 and err.count('\n') == 1 and 'Traceback' not in err, err
    assert err.startswith('ch3 run: error: ')
    assert not out.exists()


def test_the_counts_checked_cover_every_section_and_version():
    covered = {(s, i) for s, i, _ in COUNT_CASES}
    assert covered == {(e['section'], impl) for e in ch3.list_sections() for impl in e['impls']}
    assert {'num_epochs', 'batch_size', 'k', 'subset', 'n_train'} <= \
        {t[1].split('=')[0] for _, _, t in COUNT_CASES if t[0] == '--set'}


def test_the_library_refuses_zero_counts_too():
    with pytest.raises(ValueError, match='num_epochs must be >= 1, got 0'):
        ch3.run_section('3.10', impl='gluon', quick=True, num_epochs=0, verbose=False)
    with pytest.raises(ValueError, match='subset must be >= 1, got 0'):
        ch3.run_section('3.6', quick=True, subset=0, verbose=False)


@pytest.mark.parametrize('argv', [['run', '3.10', '--epochs', '0', '--quick'],
                                  ['run', '3.6', '--quick', '--set', 'subset=0'],
                                  ['run', '3.16', '--quick', '--set', 'k=0'],
                                  ['run', '3.6', '--quik']])
def test_the_command_exits_2_in_one_line_without_traceback(argv, tmp_path):
    out = tmp_path / 'never'
    done = subprocess.run([sys.executable, '-m', 'ch3'] + argv + ['--out', str(out)],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 2 and done.stdout == ''
    assert done.stderr.count('\n') == 1 and done.stderr.startswith('ch3 run: error: ')
    assert 'Traceback' not in done.stderr and not out.exists()


def _read_only_folder(tmp_path):
    """A folder no file can be created in: chmod 555, or for root (whom modes do not stop) a
    folder of procfs, where even root cannot make one (a chroot may have no /sys, and there
    /sys is a plain folder)."""
    folder = tmp_path / 'read-only'
    folder.mkdir()
    folder.chmod(0o555)
    if not os.access(str(folder), os.W_OK):
        return str(folder / 'out')
    path = '/proc/ch3-never'
    try:
        os.mkdir(path)
    except OSError:
        return path
    os.rmdir(path)
    pytest.skip('no folder here refuses a new file to root')


@pytest.mark.parametrize('command', ['run', 'report'])
def test_an_unwritable_out_fails_at_once_naming_out(command, tmp_path):
    out = _read_only_folder(tmp_path)
    argv = [sys.executable, '-m', 'ch3', command] + (['3.6'] if command == 'run' else []) + \
        ['--quick', '--out', out]
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=REPO)
    assert time.perf_counter() - start < 5
    assert done.returncode == 2 and done.stderr.count('\n') == 1, done.stderr
    assert done.stderr.startswith('ch3 %s: error: --out %s is not writable' % (command, out))
    assert not os.path.exists(out)


def test_out_must_be_a_utf8_name_and_a_folder(tmp_path, capsys):
    odd = os.fsdecode(os.path.join(os.fsencode(str(tmp_path)), b'caf\xe9'))
    status, _, err = _run(['run', '3.2', '--out', odd], capsys)
    assert status == 2 and '--out' in err and 'not a UTF-8 name' in err
    afile = tmp_path / 'file'
    afile.write_text('x')
    status, _, err = _run(['run', '3.2', '--out', str(afile)], capsys)
    assert status == 2 and 'is a file, not a folder' in err
    status, _, err = _run(['run', '3.2', '--out', str(afile / 'sub')], capsys)
    assert status == 2 and 'is not a folder' in err
    assert sorted(os.listdir(str(tmp_path))) == ['file']


def test_typed_values_win_over_quick_and_it_is_said(tmp_path, monkeypatch, capsys):
    seen = {}

    def recorder(section, **kwargs):
        seen.update(kwargs)
        return {'section': section, 'impl': kwargs['impl'], 'quick': True, 'final': {}}
    monkeypatch.setattr(cli, 'run_section', recorder)
    status, _, err = _run(['run', '3.6', '--quick', '--epochs', '3', '--out', str(tmp_path)],
                          capsys)
    assert status == 0 and seen['num_epochs'] == 3
    assert "ch3: note: using your num_epochs=3, not --quick's 2" in err
    from ch3.harness.settings import apply_quick
    assert apply_quick('3.6', {'num_epochs': 7}, ['num_epochs', 'subset']) == \
        {'num_epochs': 7, 'subset': 2000}


def test_missing_data_is_one_line_with_the_command_line_way(monkeypatch, capsys):
    from ch3.data import kaggle_house
    monkeypatch.setenv('CH3_DATA_DIR', '/nonexistent')

    def missing(*args, **kwargs):
        raise kaggle_house._not_found([('/nonexistent/kaggle_house', 'no such folder')])
    monkeypatch.setattr(cli, 'run_section', missing)
    status, _, err = _run(['run', '3.16', '--out', '/tmp/ch3-never-written'], capsys)
    assert status == 2 and err.count('\n') == 1
    assert '--set data_dir=<folder>' in err and 'CH3_DATA_DIR' in err


def test_run_summary_names_the_headline_beside_the_book_and_the_figures(tmp_path, capsys):
    status, out, _ = _run(['run', '3.6', '--quick', '--out', str(tmp_path)], capsys)
    assert status == 0
    lines = out.splitlines()
    summary = next(i for i, line in enumerate(lines) if line.startswith('3.6 from scratch'))
    assert lines[summary].startswith("3.6 from scratch (quick run: not the book's settings): "
                                     'test accuracy ')
    assert lines[summary].endswith(', book 0.84')
    assert lines[summary + 1].startswith('  beside the book: train accuracy ')
    assert lines[-1] == 'wrote %s; figure: %s' % (tmp_path / 'metrics.json',
                                                  tmp_path / 'softmax_scratch_predictions.png')


# --- a run's folder: the earlier one or the new one, never a mix; standard JSON -----------------

def _listing(folder):
    return {name: (folder / name).read_bytes() for name in sorted(os.listdir(folder))}


def test_a_diverging_run_leaves_no_figure_and_the_earlier_folder_as_it_was(tmp_path, capsys):
    out = tmp_path / 'run'
    status, _, err = _run(['run', '3.2', '--quick', '--lr', '1e9', '--out', str(out)], capsys)
    assert status == 2 and 'diverged' in err
    assert os.listdir(tmp_path) == []   # no figure, no folder
    assert _run(['run', '3.2', '--quick', '--out', str(out)], capsys)[0] == 0
    earlier = _listing(out)
    assert sorted(earlier) == ['linreg_scatter.png', 'metrics.json']
    status, _, _ = _run(['run', '3.2', '--quick', '--lr', '1e9', '--seed', '5', '--out',
                         str(out)], capsys)
    assert status == 2 and _listing(out) == earlier and os.listdir(tmp_path) == ['run']


def test_run_replaces_the_folder_whole_and_refuses_one_it_did_not_write(tmp_path, capsys):
    out = tmp_path / 'run'
    assert _run(['run', '3.2', '--quick', '--out', str(out)], capsys)[0] == 0
    (out / 'stale-figure.png').write_bytes(b'from an older run')
    assert _run(['run', '3.3', '--quick', '--out', str(out)], capsys)[0] == 0
    assert sorted(os.listdir(out)) == ['metrics.json']   # 3.3 draws no figure
    mine = tmp_path / 'mine'
    mine.mkdir()
    (mine / 'notes.txt').write_text('not ch3 output')
    status, _, err = _run(['run', '3.3', '--quick', '--out', str(mine)], capsys)
    assert status == 2 and 'holds files ch3 did not write' in err and err.count('\n') == 1
    assert os.listdir(mine) == ['notes.txt']


def test_metrics_json_is_standard_json_with_non_finite_values_as_null(tmp_path):
    from ch3.harness.results import write_metrics
    path = tmp_path / 'metrics.json'
    write_metrics({'final': {'loss': float('nan'), 'test_acc': 0.5},
                   'history': [{'loss': float('inf')}, {'loss': -float('inf')}]}, str(path))
    text = path.read_text(encoding='utf-8')

    def refuse(name):
        raise ValueError('not standard JSON: %s' % name)
    record = json.loads(text, parse_constant=refuse)   # what JavaScript's JSON.parse accepts
    assert record['final'] == {'loss': None, 'test_acc': 0.5}
    assert record['history'] == [{'loss': None}, {'loss': None}]
    assert record['non_finite'] == {
        'note': 'these values were not finite numbers and are written as null',
        'final.loss': 'nan', 'history[0].loss': 'inf', 'history[1].loss': '-inf'}
    write_metrics({'final': {'loss': 0.25}}, str(path))
    assert 'non_finite' not in json.loads(path.read_text(encoding='utf-8'))
