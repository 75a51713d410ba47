"""What a run leaves behind: the metrics.json record, its atomic write and the summary line.

Shared by `ch3 run`, the scripts, `ch3 exercise`, the chapter report and the exercise report.
"""
import json
import math
import os
from collections import OrderedDict

from ch3.utils import atomic_write

IMPL_ORDER = ('scratch', 'gluon')   # the book's order: from scratch first, then Gluon
RECORD_KEYS = ('section', 'impl', 'ctx', 'seed', 'quick', 'hyperparameters', 'history', 'final')


class UsageError(Exception):
    """A mistake in what the user asked for, found after parsing (one line, exit status 2)."""


def in_book_order(impls):
    """Version names with scratch first, then gluon, then any other in name order."""
    return sorted(impls, key=lambda name: (IMPL_ORDER.index(name) if name in IMPL_ORDER
                                           else len(IMPL_ORDER), name))


def metrics_record(result, folder=None, first=None):
    """The metrics.json dict of one run: `first` (e.g. 'exercise') if given, then section, impl,
    ctx, seed, quick, hyperparameters, history, final, figures (relative to `folder`), the rest."""
    keys = ((first,) if first else ()) + RECORD_KEYS
    record = OrderedDict((key, result[key]) for key in keys if key in result)
    figures = [path for path in result.get('figures') or [] if path]
    if figures:
        record['figures'] = [os.path.relpath(path, folder) if folder else path for path in figures]
    for key, value in result.items():
        if key not in record and key != 'figures':
            record[key] = value
    return record


def relocate(value, old, new):
    """`value` with every string path under folder `old` pointing under `new` instead (a run made
    in a staging folder, recorded where its files end up)."""
    if isinstance(value, str):
        if old != new and (value == old or value.startswith(old.rstrip(os.sep) + os.sep)):
            return os.path.join(new, os.path.relpath(value, old)) if value != old else new
        return value
    if isinstance(value, dict):
        return type(value)((key, relocate(item, old, new)) for key, item in value.items())
    if isinstance(value, list):
        return [relocate(item, old, new) for item in value]
    return value


def finite_json(value, where='', found=None):
    """`value` with every NaN or infinite float replaced by None (JSON has no such numbers; most
    parsers refuse Python's NaN), and `found` filled with {'final.loss': 'nan', ...}."""
    if isinstance(value, float) and not math.isfinite(value):
        if found is not None:
            found[where or '.'] = repr(value)
        return None
    if isinstance(value, dict):
        return type(value)((key, finite_json(item, '%s.%s' % (where, key) if where else str(key),
                                             found)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [finite_json(item, '%s[%d]' % (where, i), found) for i, item in enumerate(value)]
    return value


def standard_json(record):
    """The record as standard JSON can hold it: non-finite numbers as null, and when there were
    any, a `non_finite` entry naming where each was and what it was."""
    found = OrderedDict()
    clean = finite_json(record, found=found)
    if found and isinstance(clean, dict):
        clean['non_finite'] = OrderedDict(
            [('note', 'these values were not finite numbers and are written as null')]
            + list(found.items()))
    return clean


def write_metrics(record, path):
    """Write a metrics record as pretty, standard JSON atomically (readers never see half a file;
    NaN and infinities become null, listed under `non_finite`)."""
    with atomic_write(path, 'w', encoding='utf-8') as handle:
        json.dump(standard_json(record), handle, indent=2, ensure_ascii=False, allow_nan=False)
        handle.write('\n')
    return path


def summary_line(result):
    """What a run printed last: its headline beside the book's, quick runs marked, e.g.
    '3.6 from scratch (quick run): test accuracy 0.663, book 0.84', then up to four more of
    the book's numbers beside ours on a second line."""
    from ch3.harness.compare import IMPL_LABELS, compare, format_number, is_series
    from ch3.harness.registry import get_section
    spec = get_section(result['section'])
    compared = compare(result.get('final'), spec.book, result['impl'], spec.headline)
    name = '%s %s%s' % (result['section'], IMPL_LABELS.get(result['impl'], result['impl']),
                        ' (quick run: not the book\'s settings)' if result.get('quick') else '')
    row = compared.headline
    if row is None:
        line = '%s: done' % name
    else:
        line = '%s: %s %s' % (name, row.label, format_number(row.ours))
        if row.book is not None:
            line += ', book %s' % format_number(row.book)
    others = [r for r in compared.pairs if r is not row and not is_series(r.ours)
              and not isinstance(r.ours, (dict, str))][:4]
    if others:
        line += '\n  beside the book: ' + ', '.join(
            '%s %s (book %s)' % (r.label, format_number(r.ours), format_number(r.book))
            for r in others)
    return line


def wrote_line(path, result):
    """'wrote PATH; figures: A.png, B.png' for a finished run (figures named by their paths)."""
    figures = [f for f in result.get('figures') or [] if f]
    return 'wrote %s%s' % (path, '; figure%s: %s' % ('s' if len(figures) > 1 else '',
                                                     ', '.join(figures)) if figures else '')


def classifier_result(hyperparameters, history, figures=(), **extra):
    """A classifier run's result: the last epoch's loss and accuracies (and the mean seconds per
    epoch) as `final`, plus `extra`."""
    last = history[-1] if history else {}
    final = {'loss': last.get('loss'), 'train_acc': last.get('train_acc'),
             'test_acc': last.get('test_acc'),
             'seconds_per_epoch': (sum(h['seconds'] for h in history) / len(history)
                                   if history else None)}
    final.update(extra)
    return {'hyperparameters': hyperparameters, 'history': history, 'final': final,
            'figures': [f for f in figures if f]}
