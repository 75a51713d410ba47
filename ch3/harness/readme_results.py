"""The README's results table: the finals of the last full `ch3 report` run, kept in
docs/results.json, beside the book's numbers (each section's `book` in the registry).

    python -m ch3.harness.readme_results out/report/metrics.json   # write docs/results.json
    python -m ch3.harness.readme_results                            # print the table

Both the README and tests/test_readme_results.py read the record, so the table cannot drift from
the run it quotes: after a new full run, write the record and paste the printed table.
"""
import json
import os
import sys

from ch3.harness.registry import get_section
from ch3.utils import atomic_write

RECORD = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), 'docs', 'results.json')

# label, metric, number format, (section, impl) of ours from scratch and with Gluon, the
# sections whose book values fill the book column (from scratch / Gluon), and the keys shown
ROWS = (
    ('3.2 / 3.3 linear regression', 'final loss', '%.3g',
     (('3.2', 'scratch'), ('3.3', 'gluon')), ('3.2', '3.3'), ('loss',)),
    ('3.6 / 3.7 softmax regression', 'test acc', '%.3f',
     (('3.6', 'scratch'), ('3.7', 'gluon')), ('3.6', '3.7'), ('test_acc',)),
    ('3.9 / 3.10 MLP', 'test acc', '%.3f',
     (('3.9', 'scratch'), ('3.10', 'gluon')), ('3.9', '3.10'), ('test_acc',)),
    ('3.13 dropout', 'test acc', '%.3f',
     (('3.13', 'scratch'), ('3.13', 'gluon')), ('3.13', '3.13'), ('test_acc',)),
    ('3.16 Kaggle, 5-fold', 'valid / train log RMSE', '%.4f',
     (('3.16', 'scratch'), ('3.16', 'gluon')), ('3.16',), ('valid_log_rmse', 'train_log_rmse')),
)
HEADER = ('| section | metric | ours, from scratch | ours, Gluon | book, from scratch / Gluon |',
          '|---|---|---|---|---|')


def _last(value):
    """A per-epoch list's last entry (the book records 3.2's loss per epoch), else the value."""
    return value[-1] if isinstance(value, list) else value


def _book_value(section, impl, key):
    """The book's number for key: 3.13 keeps one per version (scratch_test_acc, ...)."""
    book = get_section(section).book
    return _last(book['%s_%s' % (impl, key)] if section == '3.13' else book[key])


def record_from_report(report):
    """The record of a full `ch3 report` run (its metrics.json as a dict): when and how it ran
    and, for each run the table shows, the numbers it shows. ValueError for a quick run or one
    that misses a run."""
    if report.get('quick'):
        raise ValueError('the README quotes full runs; this report was run with --quick')
    runs = {'%s %s' % (r['section'], r['impl']): r for r in report['runs'] if 'error' not in r}
    finals = {}
    for _, _, _, ours, _, keys in ROWS:
        for section, impl in ours:
            name = '%s %s' % (section, impl)
            if name not in runs:
                raise ValueError('the report has no finished run %s' % name)
            finals[name] = {key: runs[name]['final'][key] for key in keys}
    copies = sorted({r['fashion_mnist'] for r in runs.values() if r.get('fashion_mnist')})
    return {'command': 'ch3 report', 'quick': False, 'seed': report['seed'],
            'ctx': report['ctx'], 'created': report['created'],
            'seconds': round(report['seconds'], 1), 'versions': report.get('versions'),
            'fashion_mnist': copies, 'finals': finals}


def load_record(path=RECORD):
    with open(path, encoding='utf-8') as handle:
        return json.load(handle)


def table(record):
    """The README's results table (markdown lines) from a record and the book's numbers."""
    lines = list(HEADER)
    for label, metric, number, ours, books, keys in ROWS:
        def cell(values):
            return ' / '.join(number % v for v in values)
        mine = [cell(record['finals']['%s %s' % pair][k] for k in keys) for pair in ours]
        book = ' / '.join(cell(_book_value(section, impl, k) for k in keys)
                          for section, (_, impl) in zip(books, ours))
        lines.append('| %s | %s | %s | %s | %s |' % (label, metric, mine[0], mine[1], book))
    return lines


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv:
        with open(argv[0], encoding='utf-8') as handle:
            record = record_from_report(json.load(handle))
        with atomic_write(RECORD, 'w', encoding='utf-8') as handle:
            json.dump(record, handle, indent=1, ensure_ascii=False)
            handle.write('\n')
        print('wrote %s' % RECORD)
    print('\n'.join(table(load_record())))
    return 0


if __name__ == '__main__':
    sys.exit(main())
