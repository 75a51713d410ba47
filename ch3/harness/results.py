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


def _describe(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return '%.4g' % value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list) and len(value) <= 4 and all(isinstance(v, (int, float))
                                                          for v in value):
        return '[%s]' % ', '.join(_describe(v) for v in value)
    return None


def summary_line(result):
    """One line naming a run and its final numbers, e.g. '3.6 scratch: loss 0.57, test_acc 0.81'."""
    parts = ['%s %s' % (key, _describe(value))
             for key, value in (result.get('final') or {}).items() if _describe(value) is not None]
    return '%s %s: %s' % (result['section'], result['impl'], ', '.join(parts) or 'done')


def wrote_line(path, result):
    """'wrote PATH and N figure(s)' for a finished run."""
    figures = [f for f in result.get('figures') or [] if f]
    return 'wrote %s%s' % (path, ' and %d figure(s)' % len(figures) if figures else '')


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
