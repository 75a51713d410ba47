"""`ch3 exercise`: list, run by id (with or without `run`), metrics.json, errors, report."""
import json
import os

from ch3.harness import cli
from ch3.harness.exercises import list_exercises


def _run(argv, capsys):
    status = cli.main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_list_prints_every_exercise_and_json(capsys):
    status, out, err = _run(['exercise', 'list'], capsys)
    assert status == 0 and err == ''
    for e in list_exercises():
        assert any(line.split()[0] == e['exercise'] and e['question'] in line
                   for line in out.splitlines())
    status, out, _ = _run(['exercise', 'list', '--json'], capsys)
    assert json.loads(out) == list_exercises()


def test_exercise_id_runs_and_writes_metrics_like_ch3_run(tmp_path, capsys):
    out_dir = tmp_path / 'ex'
    status, out, err = _run(['exercise', '3.6.2', '--quick', '--out', str(out_dir)], capsys)
    assert status == 0, err
    assert 'verdict: wrong' in out and '✘ the losses are all negative' in out
    record = json.loads((out_dir / 'metrics.json').read_text(encoding='utf-8'))
    assert list(record)[0] == 'exercise' and record['exercise'] == '3.6.2'
    assert record['quick'] is True and record['seed'] == 0 and record['ctx'] == ['cpu(0)']
    assert record['verdict'] == 'wrong' and record['measured']['negative_losses'] == 0
    assert record['notes_answer']['zh'] == '所获得的损失函数都是负的。'


def test_run_spelling_and_relative_figures(tmp_path, capsys):
    out_dir = tmp_path / 'ex'
    status, out, err = _run(['exercise', 'run', '3.2.2', '--quick', '--seed', '3',
                             '--out', str(out_dir)], capsys)
    assert status == 0, err
    record = json.loads((out_dir / 'metrics.json').read_text(encoding='utf-8'))
    assert record['seed'] == 3 and record['figures'] == ['3_2_2_learning_rates.png']
    assert (out_dir / '3_2_2_learning_rates.png').stat().st_size > 2000
    assert 'figure: ' in out and '3_2_2_learning_rates.png' in out


def test_mistakes_are_one_line_with_status_2(capsys):
    for argv, message in ((['exercise', '9.9.9'], "unknown exercise '9.9.9'"),
                          (['exercise', 'run'], 'run needs an exercise id'),
                          (['exercise', 'list', '3.2.1'], 'list takes no exercise id'),
                          (['exercise', '3.2.1', '3.2.2'], 'unexpected argument 3.2.2')):
        status, out, err = _run(argv, capsys)
        assert status == 2 and out == ''
        assert err.startswith('ch3 exercise: error: ') and message in err and err.count('\n') == 1


def test_report_writes_the_page_figures_and_results(tmp_path, capsys):
    page = tmp_path / 'docs' / 'exercises.md'
    status, out, err = _run(['exercise', 'report', '--quick', '--only', '3.2.3,3.2.2',
                             '--out', str(page)], capsys)
    assert status == 0, err
    text = page.read_text(encoding='utf-8')
    assert '| [3.2.2](#ex-3-2-2)' in text and '| [3.2.3](#ex-3-2-3)' in text
    saved = json.loads((tmp_path / 'docs' / 'exercises' / 'results.json').read_text('utf-8'))
    verdicts = {r['exercise']: r['verdict'] for r in saved['results']}
    assert verdicts['3.2.2'] == 'wrong' and '**wrong ✘**' in text
    assert '**Verdict: %s' % verdicts['3.2.3'] in text
    assert text.count('<details>') == 2 and 'QUICK run, ' in text
    assert '![3.2.2](exercises/3_2_2_learning_rates.png)' in text
    saved = json.loads((tmp_path / 'docs' / 'exercises' / 'results.json').read_text('utf-8'))
    assert [r['exercise'] for r in saved['results']] == ['3.2.3', '3.2.2']
    assert os.path.isfile(tmp_path / 'docs' / 'exercises' / '3_2_2_learning_rates.png')


def test_a_failing_exercise_run_leaves_the_earlier_folder_as_it_was(tmp_path, capsys,
                                                                    monkeypatch):
    from ch3.harness import exercises
    out_dir = tmp_path / 'ex'
    status, _, err = _run(['exercise', '3.6.2', '--quick', '--out', str(out_dir)], capsys)
    assert status == 0, err
    earlier = {name: (out_dir / name).read_bytes() for name in os.listdir(out_dir)}

    def fails_after_a_figure(exercise_id, out=None, **kwargs):
        with open(os.path.join(out, 'half_drawn.png'), 'wb') as handle:
            handle.write(b'png')
        raise ValueError('the run failed after drawing')
    monkeypatch.setattr(exercises, 'run_exercise', fails_after_a_figure)
    status, _, err = _run(['exercise', '3.6.2', '--quick', '--out', str(out_dir)], capsys)
    assert status == 2 and 'the run failed after drawing' in err
    assert {name: (out_dir / name).read_bytes() for name in os.listdir(out_dir)} == earlier
    assert os.listdir(tmp_path) == ['ex']


def test_rerunning_one_exercise_keeps_the_others_results(tmp_path, capsys):
    page = tmp_path / 'exercises.md'
    assert _run(['exercise', 'report', '--quick', '--only', '3.6.2,3.6.1', '--out', str(page)],
                capsys)[0] == 0
    results = tmp_path / 'exercises' / 'results.json'
    first = json.loads(results.read_text('utf-8'))['results']
    assert _run(['exercise', 'report', '--quick', '--only', '3.6.2', '--out', str(page)],
                capsys)[0] == 0
    again = json.loads(results.read_text('utf-8'))['results']
    assert [r['exercise'] for r in again] == ['3.6.1', '3.6.2']   # the exercises' order
    assert again[0] == first[1]                                    # 3.6.1 kept as it was
    assert again[1]['ran'] >= first[0]['ran']                      # 3.6.2 run again
    assert '| [3.6.1](#ex-3-6-1)' in page.read_text('utf-8')


def test_metrics_name_the_fashion_mnist_copy_read(tmp_path, capsys):
    from ch3.data import fashion_mnist as fm
    out_dir = tmp_path / 'ex'
    status, _, err = _run(['exercise', '3.5.1', '--quick', '--out', str(out_dir)], capsys)
    assert status == 0, err
    record = json.loads((out_dir / 'metrics.json').read_text(encoding='utf-8'))
    folder = fm.find_fashion_mnist()
    assert record['fashion_mnist'] == '%s: %s' % (fm.data_copy(folder), os.path.realpath(folder))
    status, _, err = _run(['exercise', '3.6.2', '--quick', '--out', str(tmp_path / 'b')], capsys)
    record = json.loads((tmp_path / 'b' / 'metrics.json').read_text(encoding='utf-8'))
    assert 'fashion_mnist' not in record   # it reads no Fashion-MNIST
