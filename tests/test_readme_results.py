"""The README's results table is the committed record of the last full `ch3 report` run
(docs/results.json) beside the book's numbers from the registry; the 5-seed means it quotes
are those of docs/exercises/results.json. Nothing is trained here."""
import json
import os
import re

import pytest

from ch3.harness import readme_results
from ch3.harness.registry import get_section

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def readme():
    with open(os.path.join(REPO, 'README.md'), encoding='utf-8') as handle:
        return handle.read()


def results_section():
    text = readme()
    start = text.index('## Results on this machine')
    return text[start:text.index('\n## ', start + 1)]


def test_the_readme_table_is_the_recorded_full_run_beside_the_book():
    record = readme_results.load_record()
    assert record['quick'] is False and record['seed'] == 0
    lines = readme_results.table(record)
    section = results_section()
    table = [line for line in section.splitlines() if line.startswith('|')]
    assert table == lines
    # the text names the run it quotes
    assert record['created'][:10] in section and '%.0f s' % record['seconds'] in section


def test_the_book_column_is_the_registrys_and_ours_the_records():
    record = readme_results.load_record()
    rows = {line.split(' | ')[0].lstrip('| '): line.split(' | ')
            for line in readme_results.table(record)[2:]}
    softmax = rows['3.6 / 3.7 softmax regression']
    assert softmax[4].rstrip(' |') == '%.3f / %.3f' % (get_section('3.6').book['test_acc'],
                                                      get_section('3.7').book['test_acc'])
    assert softmax[2] == '%.3f' % record['finals']['3.6 scratch']['test_acc']
    changed = json.loads(json.dumps(record))
    changed['finals']['3.6 scratch']['test_acc'] += 0.01
    assert readme_results.table(changed) != readme_results.table(record)


def test_a_record_is_made_only_from_a_full_report_with_every_run():
    runs = []
    for _, _, _, ours, _, keys in readme_results.ROWS:
        for section, impl in ours:
            runs.append({'section': section, 'impl': impl,
                         'final': {k: 0.5 for k in keys}, 'fashion_mnist': 'copy X: /data'})
    report = {'quick': False, 'seed': 0, 'ctx': ['cpu(0)'], 'created': '2026-12-07T19:00:00',
              'seconds': 300.04, 'runs': runs}
    record = readme_results.record_from_report(report)
    assert record['finals']['3.16 gluon'] == {'valid_log_rmse': 0.5, 'train_log_rmse': 0.5}
    assert record['fashion_mnist'] == ['copy X: /data'] and record['seconds'] == 300.0
    with pytest.raises(ValueError, match='--quick'):
        readme_results.record_from_report(dict(report, quick=True))
    with pytest.raises(ValueError, match='no finished run 3.9 scratch'):
        readme_results.record_from_report(dict(report, runs=[
            r for r in runs if (r['section'], r['impl']) != ('3.9', 'scratch')]))


def test_the_gap_to_the_book_is_stated_with_the_exercises_5_seed_means():
    with open(os.path.join(REPO, 'docs', 'exercises', 'results.json'), encoding='utf-8') as h:
        saved = {r['exercise']: r for r in json.load(h)['results']}
    scratch = saved['3.6.4']['measured']['final_test_acc']['book']
    gluon = saved['3.7.1']['measured']['test_acc']['book (batch 256, lr 0.1), epoch 5']
    section = results_section()
    for values in (scratch, gluon):
        assert len(values) == 5
        assert '%.4f' % (sum(values.values()) / 5) in section
    assert re.search(r'label 9', section) and re.search(r'label 2', section)
