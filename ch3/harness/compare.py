"""Our numbers beside the book's: the one comparison behind the chapter report, the summary line
of `ch3 run`, and the one number formatter of the harness.

A result's `final` dict and a section's `book` dict are both flattened into paths of keys
({'normal': {'w': ...}} -> ('normal', 'w'); a list of per-fold dicts -> ('folds', 'fold 0', ...)).
A book value pairs with ours when their paths hold the same keys in any order (the book's
('w_norm', 'scratch', 'lambd=0') is our ('lambd=0', 'w_norm') of the scratch run): a version
name in a book path (or a `scratch_` / `gluon_` prefix) says the number belongs to that version.
"""
import math
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

IMPLS = ('scratch', 'gluon')
IMPL_LABELS = {'scratch': 'from scratch', 'gluon': 'Gluon'}
# Keys of per-fold / per-epoch / per-degree dicts that name the entry rather than measure it.
INDEX_KEYS = ('fold', 'epoch', 'degree')
SHORT_LIST = 6   # longer lists are per-epoch or per-layer series: shown folded, not in a cell
# How a learner reads a key (anything else: underscores become spaces).
WORDS = {'test_acc': 'test accuracy', 'train_acc': 'train accuracy', 'w_norm': 'L2 norm of w',
         'log_rmse': 'log RMSE', 'train_log_rmse': 'train log RMSE',
         'valid_log_rmse': 'valid log RMSE', 'exp_50': 'exp(50)', 'J': 'objective J',
         'untrained_test_acc': 'test accuracy before training'}


def json_number(value):
    """A float for JSON: inf and nan become the strings 'inf', '-inf', 'nan' (strict JSON has no
    such numbers)."""
    value = float(value)
    return value if math.isfinite(value) else str(value)


def format_number(value, digits=4):
    """A value as a learner reads it: 4 significant digits, lists in brackets, text as it is."""
    if value is None:
        return '—'
    if isinstance(value, bool):
        return 'yes' if value else 'no'
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return '%.*g' % (digits, value) if math.isfinite(value) else str(value)
    if isinstance(value, (list, tuple)):
        return '[%s]' % ', '.join(format_number(v, digits) for v in value)
    if isinstance(value, dict):
        return ', '.join('%s %s' % (k, format_number(v, digits)) for k, v in value.items())
    if hasattr(value, 'item'):   # a numpy scalar
        return format_number(value.item(), digits)
    return str(value)


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_series(value):
    """A list too long for a table cell (a per-epoch or per-layer series)."""
    return isinstance(value, (list, tuple)) and len(value) > SHORT_LIST


def flatten(value, path=()):
    """[(path, leaf)] of nested dicts; a one-number list is that number; a list of dicts is
    entered by index (or by the 'fold' / 'epoch' / 'degree' each one carries)."""
    if isinstance(value, dict):
        leaves = []
        for key, item in value.items():
            leaves += flatten(item, path + (str(key),))
        return leaves
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, dict) for v in value):
        leaves = []
        for i, item in enumerate(value):
            name = next((k for k in INDEX_KEYS if is_number(item.get(k))), None)
            label = '%s %s' % (name, item[name]) if name else str(i)
            leaves += flatten({k: v for k, v in item.items() if k != name}, path + (label,))
        return leaves
    if isinstance(value, (list, tuple)) and len(value) == 1 and is_number(value[0]):
        return [(path, value[0])]
    return [(path, value)]


def split_impl(path):
    """(version or None, path without it): ('scratch_test_acc',) -> ('scratch', ('test_acc',))."""
    impl, rest = None, []
    for part in path:
        head, _, tail = part.partition('_')
        if part in IMPLS:
            impl = part
        elif head in IMPLS and tail and not rest:
            impl = head
            rest.append(tail)
        else:
            rest.append(part)
    return impl, tuple(rest)


def label(path):
    """('normal', 'train_loss') -> 'normal · train loss'."""
    return ' · '.join(WORDS.get(part, part.replace('_', ' ')) for part in path)


def _is_text_note(path, value):
    return isinstance(value, str) and (path[-1] in ('source', 'note') or path[-1].endswith('_note'))


@dataclass
class Row:
    """One quantity: its path, how it reads, our value and the book's (None when absent)."""
    path: Tuple[str, ...]
    label: str
    ours: object = None
    book: object = None
    note: str = ''   # e.g. 'the book: last of 3 epochs'


@dataclass
class Comparison:
    """A run beside the book: `pairs` (both have the quantity), `ours_only`, `book_only`, the
    book's text `notes`, the book's per-epoch `book_history` and the `headline` row."""
    pairs: List[Row] = field(default_factory=list)
    ours_only: List[Row] = field(default_factory=list)
    book_only: List[Row] = field(default_factory=list)
    notes: List[Row] = field(default_factory=list)
    book_history: list = field(default_factory=list)
    headline: Optional[Row] = None


def book_history(book, impl=None):
    """The book's per-epoch lines for `impl` as [{'epoch', 'loss', 'train_acc', 'test_acc'}]:
    from `history` / `<impl>_history` (rows as dicts or [loss, train acc, test acc] lists), or a
    per-epoch `loss` list."""
    rows = book.get('%s_history' % impl) or book.get('history')
    if rows is None and isinstance(book.get('loss'), list):
        rows = [{'loss': v} for v in book['loss']]
    out = []
    for i, row in enumerate(rows or [], 1):
        if not isinstance(row, dict):
            row = dict(zip(('loss', 'train_acc', 'test_acc'), row))
        out.append(dict(row, epoch=row.get('epoch', i)))
    return out


def compare(final, book, impl=None, headline=None):
    """Pair each of our values (`final`, nested) with the book's same quantity (`book`, nested);
    book numbers of the other version are left out. `headline` is a key path such as
    'test_acc' or 'lambd=3/w_norm'. Returns a Comparison."""
    book = book or {}
    ours = OrderedDict((path, value) for path, value in flatten(final or {}))
    by_keys = {frozenset(split_impl(path)[1]): path for path in ours}
    result = Comparison(book_history=book_history(book, impl))
    matched = set()
    for path, value in flatten(book):
        owner, bare = split_impl(path)
        if owner is not None and impl is not None and owner != impl:
            continue
        if bare and bare[0] == 'history':   # per-epoch lines: book_history
            continue
        mine = by_keys.get(frozenset(bare))
        if mine is None:
            if _is_text_note(bare, value) or isinstance(value, str):
                result.notes.append(Row(bare, label(bare), book=value))
            else:
                result.book_only.append(Row(bare, label(bare), book=value))
            continue
        matched.add(mine)
        row = Row(mine, label(mine), ours[mine], value)
        if is_number(ours[mine]) and isinstance(value, list) and value and \
                all(is_number(v) for v in value):
            row.book, row.note = value[-1], 'the book: last of %d epochs' % len(value)
        result.pairs.append(row)
    result.ours_only = [Row(path, label(path), value) for path, value in ours.items()
                        if path not in matched]
    if headline:
        wanted = frozenset(headline.split('/'))
        result.headline = next((row for row in result.pairs + result.ours_only
                                if frozenset(row.path) == wanted), None)
    return result

