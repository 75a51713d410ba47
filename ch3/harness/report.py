"""The chapter report: run every section, scratch and Gluon, and put them beside the book's numbers.

`build_report(out, quick=False, ctx='cpu', seed=0)` runs each registered section's versions once
(3.2/3.3, 3.6/3.7 and 3.9/3.10 are the scratch/Gluon pairs of one module, so such a pair is one
block with one scratch and one Gluon run), and writes into `out`:

    index.html                   one self-contained page (CSS inline, figures as base64 PNG)
    metrics.json                 every run's metrics, the book's numbers, failures
    runs/<section>/<impl>/       each run's metrics.json (the `ch3 run` format) and PNG figures

A run that raises is recorded (error and traceback in the page and in metrics.json) and the
report goes on; `report['failed']` lists such runs so the command can exit non-zero at the end.
`compare(*results)` gives the same ours-vs-book table as a pandas DataFrame for the notebooks.
"""
import base64
import datetime
import errno
import html
import os
import platform
import sys
import time
import traceback
from collections import OrderedDict

from ch3.harness.results import IMPL_ORDER, metrics_record, relocate, write_metrics
from ch3.context import ctx_names
from ch3.harness.registry import get_section, list_sections, run_section
from ch3.utils import atomic_write, staged_dir

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXERCISES_DOC = os.path.join(REPO_ROOT, 'docs', 'exercises.md')
IMPL_LABELS = {'scratch': 'from scratch', 'gluon': 'Gluon'}
# When a section's book numbers share no key with our results, the headline metric is the first
# of these that our results have.
HEADLINE_PRIORITY = ('test_acc', 'log_rmse', 'valid_log_rmse', 'test_rmse', 'test_loss', 'loss')
LONG_LIST = 6
SHOWN_ROWS = 12   # rows of a section's table before the rest is folded


# ---- what to run ----

def _impl_key(name):
    return (IMPL_ORDER.index(name) if name in IMPL_ORDER else len(IMPL_ORDER), name)


def plan(sections=None):
    """Group the registered sections into report blocks; each block runs each version once.

    Returns [{'sections': [Section, ...], 'runs': [(impl, section number to run it as), ...]}].
    Sections whose version functions are the same (3.2 and 3.3) share a block; a version runs as
    the section of the block whose default it is (scratch as 3.2, Gluon as 3.3).
    """
    wanted = None
    if sections is not None:
        wanted = [get_section(number).number for number in sections]   # ValueError if unknown
    blocks, by_key = [], {}
    for entry in list_sections():
        if wanted is not None and entry['section'] not in wanted:
            continue
        spec = get_section(entry['section'])
        key = frozenset(spec.impls.items())
        if key not in by_key:
            by_key[key] = {'sections': []}
            blocks.append(by_key[key])
        by_key[key]['sections'].append(spec)
    for block in blocks:
        specs = block['sections']
        impls = sorted(set().union(*(spec.impls for spec in specs)), key=_impl_key)
        block['runs'] = []
        for impl in impls:
            owner = next((s for s in specs if s.default_impl == impl and impl in s.impls),
                         next(s for s in specs if impl in s.impls))
            block['runs'].append((impl, owner.number))
    return blocks


def _run_one(number, impl, ctx, seed, quick, folder, staged=None):
    """Run one version; return its metrics record (with wall seconds) or an error record."""
    start = time.perf_counter()
    try:
        result = run_section(number, impl=impl, ctx=ctx, seed=seed, quick=quick, out=folder)
        if staged:   # paths a run records (3.16's submission) as they will be
            result = dict(relocate(result, *staged), figures=result.get('figures'))
    except Exception as error:   # the report goes on; the page shows what went wrong
        if _is_write_failure(error):   # but not on a full disk: every later run would fail too
            raise
        return OrderedDict([('section', number), ('impl', impl),
                            ('error', '%s: %s' % (type(error).__name__, error)),
                            ('traceback', traceback.format_exc()),
                            ('wall_seconds', time.perf_counter() - start)])
    record = metrics_record(result, folder)
    record['wall_seconds'] = time.perf_counter() - start
    write_metrics(record, os.path.join(folder, 'metrics.json'))
    return record


def flatten(final, prefix=''):
    """Nested result dicts as one level: {'normal': {'w': ...}} -> {'normal_w': ...} (book keys
    such as 3.11's normal_w are spelled that way)."""
    flat = OrderedDict()
    for key, value in (final or {}).items():
        if isinstance(value, dict):
            flat.update(flatten(value, prefix + str(key) + '_'))
        else:
            flat[prefix + str(key)] = value
    return flat


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def headline_key(finals, books):
    """The one metric a summary shows: a book number we also report, else the usual training
    metric (test_acc, log_rmse, loss, ...), else our first floating-point number."""
    finals = [flatten(f) for f in finals]
    for book in books:
        for key, value in book_metrics(book, finals).items():
            if _is_metric(value) and any(key in f for f in finals):
                return key
    for wanted in HEADLINE_PRIORITY:
        for final in finals:   # exact name first, then a nested one such as 'lambd=3_test_loss'
            for key in sorted(final, key=lambda k: k != wanted):
                if (key == wanted or key.endswith('_' + wanted)) and _is_number(final[key]):
                    return key
    for final in finals:
        for key, value in final.items():
            if isinstance(value, float):
                return key
    return None


def _headline(record, book):
    final = flatten(record.get('final'))
    key = headline_key([final], [book])
    return '%s %s' % (key, format_value(final[key])) if key else 'done'


def build_report(out, quick=False, ctx='cpu', seed=0, sections=None, stream=None):
    """Run the chapter (all sections, or the listed numbers) and write out/index.html and
    out/metrics.json; return the report dict ('failed' lists the runs that raised)."""
    stream = stream or sys.stderr
    final = os.path.abspath(out)
    try:   # built in a fresh sibling folder that replaces `out` only once complete
        with staged_dir(final) as out:
            return _build_report(out, final, quick, ctx, seed, sections, stream)
    except OSError as error:   # a full disk, a read-only folder: stop at once, say so
        if not _is_write_failure(error):
            raise
        stop = OSError('cannot write the report into %s (%s); %s'
                       % (final, error.strerror or error, 'the earlier report there is unchanged'
                          if os.path.isdir(final) else 'nothing was written'))
        stop.errno = error.errno
        raise stop from error


WRITE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG)   # the disk, not the run


def _is_write_failure(error):
    return isinstance(error, OSError) and error.errno in WRITE_ERRNOS


def _build_report(out, final, quick, ctx, seed, sections, stream):
    blocks = plan(sections)
    contexts = ctx_names(ctx)
    started = time.perf_counter()
    total = sum(len(block['runs']) for block in blocks)
    print('ch3 report: %d runs in %d blocks (%s, ctx %s) -> %s'
          % (total, len(blocks), 'quick' if quick else 'full settings', ','.join(contexts), final),
          file=stream, flush=True)
    runs, count = [], 0
    for block in blocks:
        block['records'] = OrderedDict()
        for impl, number in block['runs']:
            count += 1
            title = get_section(number).title
            print('[%d/%d] %s %s: %s' % (count, total, number, impl, title), file=stream,
                  flush=True)
            record = _run_one(number, impl, ctx, seed, quick,
                              os.path.join(out, 'runs', number, impl), staged=(out, final))
            if 'error' in record:
                print('[%d/%d] %s %s FAILED after %.1f s: %s'
                      % (count, total, number, impl, record['wall_seconds'],
                         record['error'].splitlines()[0]),
                      file=stream, flush=True)
            else:
                print('[%d/%d] %s %s done in %.1f s: %s'
                      % (count, total, number, impl, record['wall_seconds'],
                         _headline(record, get_section(number).book)),
                      file=stream, flush=True)
            block['records'][impl] = record
            runs.append(record)
    report = OrderedDict([
        ('quick', bool(quick)), ('ctx', contexts), ('seed', seed),
        ('created', datetime.datetime.now().isoformat(timespec='seconds')),
        ('seconds', time.perf_counter() - started), ('versions', _versions()),
        ('failed', ['%s %s' % (r['section'], r['impl']) for r in runs if 'error' in r]),
        ('sections', [OrderedDict([('section', spec.number), ('title', spec.title),
                                   ('default_impl', spec.default_impl),
                                   ('impls', sorted(spec.impls, key=_impl_key)),
                                   ('book', spec.book)])
                      for block in blocks for spec in block['sections']]),
        ('runs', runs)])
    write_metrics(report, os.path.join(out, 'metrics.json'))
    page = render_html(report, blocks, out)
    with atomic_write(os.path.join(out, 'index.html'), 'w', encoding='utf-8') as handle:
        handle.write(page)
    print('ch3 report: wrote %s and metrics.json in %.1f s%s'
          % (os.path.join(final, 'index.html'), report['seconds'],
             '; FAILED: ' + ', '.join(report['failed']) if report['failed'] else ''),
          file=stream, flush=True)
    return report


def _versions():
    import mxnet
    import numpy
    from ch3 import __version__
    return OrderedDict([('ch3', __version__), ('mxnet', mxnet.__version__),
                        ('numpy', numpy.__version__), ('python', platform.python_version())])


# ---- the comparison table (HTML and notebooks) ----

def format_value(value):
    """A number or short list as the report shows it: 4 significant digits, lists abbreviated."""
    if value is None:
        return ''
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return '%.4g' % value
    if isinstance(value, PerImpl):
        return ' / '.join('%s %s' % (IMPL_LABELS.get(impl, impl), format_value(v))
                          for impl, v in value.items())
    if isinstance(value, (list, tuple)):
        if len(value) > LONG_LIST or any(isinstance(v, (list, tuple, dict)) for v in value):
            return '(%d values)' % len(value)
        return '[%s]' % ', '.join(format_value(v) for v in value)
    if isinstance(value, dict):
        return '(%d entries)' % len(value)
    return str(value)


def _is_metric(value):
    return not isinstance(value, str)


class PerImpl(OrderedDict):
    """A book number given per version (3.13's scratch_test_acc, gluon_test_acc) as one value."""


def book_metrics(book, finals):
    """The book dict with `<impl>_<key>` entries merged into a PerImpl under `key` when our results
    have `key` (so the book's scratch_test_acc and gluon_test_acc sit in our test_acc row)."""
    ours = set().union(*(flatten(f) for f in finals)) if finals else set()
    merged = OrderedDict()
    for key, value in book.items():
        impl, _, rest = key.partition('_')
        if impl in IMPL_ORDER and rest in ours and rest not in book and _is_metric(value):
            merged.setdefault(rest, PerImpl())[impl] = value
        else:
            merged[key] = value
    return merged


def comparison(records, books):
    """Rows of (metric, [ours per record], [book per book]) for the records and the book dicts.

    The book's metric keys come first (they are what the section promises to compare), then the
    rest of our final numbers; book entries that are text (notes, sources) are left to the caller.
    """
    finals = [flatten(r.get('final')) for r in records]
    books = [book_metrics(book, finals) for book in books]
    keys = []
    for book in books:
        keys += [k for k, v in book.items() if k not in keys
                 and (_is_metric(v) or any(k in f for f in finals))]
    for final in finals:
        keys += [k for k in final if k not in keys]
    return [(key, [f.get(key) for f in finals], [b.get(key) for b in books]) for key in keys]


def book_notes(book):
    """The book dict's text entries (notes, sources) as (key, text)."""
    return [(k, v) for k, v in book.items() if isinstance(v, str)]


def compare(*results):
    """Notebooks: our runs (results of run_section) beside the book's numbers, as a DataFrame."""
    import pandas as pd
    numbers = []
    for r in results:
        if r['section'] not in numbers:
            numbers.append(r['section'])
    books = [get_section(n).book for n in numbers]
    rows = comparison(results, books)
    columns = ['ours %s (%s)' % (r['impl'], r['section']) for r in results] + \
              ['book %s' % n for n in numbers]
    return pd.DataFrame([[format_value(v) for v in ours + book] for _, ours, book in rows],
                        index=[key for key, _, _ in rows], columns=columns)


# ---- HTML ----

CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:#1d2330;
  max-width:1180px;margin:0 auto;padding:24px 28px 60px;background:#fff}
h1{font-size:26px;margin:0 0 4px} h2{font-size:20px;margin:0 0 6px}
h2 .num{color:#6b4fbb;margin-right:.35em}
.meta{color:#555;margin:4px 0} .meta code{background:#f3f3f6;padding:1px 4px;border-radius:3px}
.banner,.failbanner{padding:8px 12px;border-radius:6px;margin:12px 0}
.banner{background:#fff6d6;border:1px solid #e8cf6a}
.failbanner{background:#fde8e8;border:1px solid #e3a0a0}
table{border-collapse:collapse;margin:8px 0 10px;font-variant-numeric:tabular-nums}
th,td{border-bottom:1px solid #e3e5ea;padding:4px 12px;text-align:left;vertical-align:top;
  max-width:420px;overflow-wrap:break-word}
th{white-space:nowrap}
th{background:#f5f6f9;font-weight:600} td.num{text-align:right;white-space:nowrap}
td.book{background:#f4f1fb} th.book{background:#e9e3f7}
.ok{color:#17773a} .bad{color:#b00020;font-weight:600}
table.summary{width:100%}
.summary td.num{white-space:normal}
.summary td.title{min-width:200px}
.summary td.metric{max-width:170px}
.summary td.sec{white-space:nowrap}
.wrap{overflow-x:auto}
section.block{border:1px solid #e3e5ea;border-radius:8px;padding:14px 18px;margin:18px 0}
.sub{color:#555;font-size:13px;margin:0 0 6px}
.note{color:#444;font-size:13px;margin:2px 0;font-style:italic}
.error{background:#fde8e8;border-left:4px solid #b00020;padding:6px 10px;margin:8px 0}
.error pre{white-space:pre-wrap;font-size:12px;max-height:320px;overflow:auto}
.error .msg{white-space:pre-wrap;margin:4px 0}
.figs{display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start;margin-top:8px}
figure{margin:0;border:1px solid #eee;border-radius:6px;padding:6px;background:#fcfcfd}
figure img{display:block;max-width:356px;max-height:420px}
figure.wide img{max-width:1100px;max-height:none}
figcaption{font-size:12px;color:#555;margin-top:4px}
details{margin-top:8px} summary{cursor:pointer;color:#334}
a{color:#3b5bdb}
"""


def _e(text):
    return html.escape(str(text), quote=True)


def _anchor(number):
    return 'sec-' + number.replace('.', '-')


def _cell(value, css='num'):
    return '<td class="%s">%s</td>' % (css, _e(format_value(value)))


def _impl_label(impl):
    return IMPL_LABELS.get(impl, impl)


def _book_label(block, spec):
    if len(block['sections']) == 1:
        return 'book'
    return 'book %s (%s)' % (spec.number, _impl_label(spec.default_impl))


def _headline_key(block):
    finals = [r.get('final') for r in block['records'].values() if 'error' not in r]
    return headline_key(finals, [spec.book for spec in block['sections']])


def _block_title(block):
    return ' · '.join('<span class="num">%s</span>%s' % (_e(s.number), _e(s.title))
                      for s in block['sections'])


def _summary_table(blocks):
    rows = ['<table class="summary"><tr><th>section</th><th>title</th><th>metric</th>'
            '<th>ours: from scratch</th>'
            '<th>ours: Gluon</th><th class="book">book</th><th>time (s)</th><th>status</th></tr>']
    for block in blocks:
        key = _headline_key(block)
        records = block['records']
        failed = [impl for impl, r in records.items() if 'error' in r]
        ours = []
        for impl in ('scratch', 'gluon'):
            record = records.get(impl)
            if record is None:
                ours.append('<td class="num">—</td>')
            elif 'error' in record:
                ours.append('<td class="num bad">failed</td>')
            else:
                ours.append(_cell(flatten(record.get('final')).get(key) if key else None))
        finals = [r.get('final') for r in records.values() if 'error' not in r]
        books = [book_metrics(s.book, finals) for s in block['sections']]
        book = ' / '.join(format_value(b[key]) for b in books if key and key in b)
        seconds = sum(r.get('wall_seconds', 0.0) for r in records.values())
        numbers = ', '.join(s.number for s in block['sections'])
        titles = ' / '.join(s.title for s in block['sections'])
        status = ('<span class="bad">failed: %s</span>' % _e(', '.join(failed)) if failed
                  else '<span class="ok">ok</span>')
        rows.append('<tr%s><td class="sec"><a href="#%s">%s</a></td><td class="title">%s</td>'
                    '<td class="metric">%s</td>%s'
                    '<td class="num book">%s</td><td class="num">%.1f</td><td>%s</td></tr>'
                    % (' class="fail"' if failed else '', _anchor(block['sections'][0].number),
                       _e(numbers), _e(titles), _e(key or '').replace('_', '_<wbr>'),
                       ''.join(ours), _e(book), seconds,
                       status))
    rows.append('</table>')
    return '\n'.join(rows)


def _figure_tags(record):
    tags = []
    folder = os.path.join(record.get('_folder', ''))
    for name in record.get('figures') or []:
        path = name if os.path.isabs(name) else os.path.join(folder, name)
        try:
            with open(path, 'rb') as handle:
                raw = handle.read()
        except OSError as error:
            tags.append('<div class="error">figure %s is missing: %s</div>' % (_e(name), _e(error)))
            continue
        # A PNG's width sits in its IHDR chunk (bytes 16-20): small plots go three to a row,
        # wide multi-panel figures keep their size.
        wide = raw[:8] == b'\x89PNG\r\n\x1a\n' and int.from_bytes(raw[16:20], 'big') > 560
        tags.append('<figure%s><img alt="%s" src="data:image/png;base64,%s"><figcaption>%s · %s'
                    '</figcaption></figure>' % (' class="wide"' if wide else '', _e(name),
                                                base64.b64encode(raw).decode('ascii'),
                                                _e(_impl_label(record['impl'])),
                                                _e(os.path.basename(name))))
    return tags


def _history_table(record):
    history = record.get('history') or []
    if not history:
        return ''
    keys = []
    for row in history:
        keys += [k for k in row if k not in keys]
    lines = ['<p class="sub">%s, run as %s</p><table><tr>%s</tr>'
             % (_e(_impl_label(record['impl'])), _e(record['section']),
                ''.join('<th>%s</th>' % _e(k) for k in keys))]
    for row in history[:200]:
        lines.append('<tr>%s</tr>' % ''.join(_cell(row.get(k)) for k in keys))
    lines.append('</table>')
    return '\n'.join(lines)


def _hyperparameters_line(records):
    parts = []
    for impl, record in records.items():
        hp = record.get('hyperparameters')
        if hp:
            parts.append('<b>%s</b>: %s' % (_e(_impl_label(impl)), _e(', '.join(
                '%s=%s' % (k, format_value(v)) for k, v in hp.items()))))
    return '<p class="sub">Hyperparameters — %s</p>' % ' · '.join(parts) if parts else ''


def _block_html(block):
    records = block['records']
    ok = [(impl, r) for impl, r in records.items() if 'error' not in r]
    specs = block['sections']
    with_book = [s for s in specs if any(_is_metric(v) for v in s.book.values())
                 or len(specs) == 1]
    rows = comparison([r for _, r in ok], [s.book for s in with_book])
    parts = ['<section class="block" id="%s"><h2>%s</h2>' % (_anchor(specs[0].number),
                                                            _block_title(block))]
    parts.append('<p class="sub">%s</p>' % _e('; '.join(
        '%s run as section %s' % (_impl_label(impl), number) for impl, number in block['runs'])))
    for impl, record in records.items():
        if 'error' in record:
            parts.append('<div class="error"><b>%s (section %s) failed:</b><div class="msg">%s'
                         '</div><details>'
                         '<summary>traceback</summary><pre>%s</pre></details></div>'
                         % (_e(_impl_label(impl)), _e(record['section']), _e(record['error']),
                            _e(record.get('traceback', ''))))
    if rows:
        head = ''.join('<th>ours: %s</th>' % _e(_impl_label(impl)) for impl, _ in ok) + \
            ''.join('<th class="book">%s</th>' % _e(_book_label(block, s)) for s in with_book)
        def table(rows, run_time):
            lines = ['<div class="wrap"><table><tr><th>metric</th>%s</tr>' % head]
            for key, ours, book in rows:
                lines.append('<tr><td>%s</td>%s%s</tr>' % (
                    _e(key), ''.join(_cell(v) for v in ours),
                    ''.join(_cell(v, 'num book') for v in book)))
            if run_time:
                lines.append('<tr><td>run time (s)</td>%s%s</tr>' % (
                    ''.join(_cell(r.get('wall_seconds')) for _, r in ok),
                    '<td class="book"></td>' * len(with_book)))
            lines.append('</table></div>')
            return '\n'.join(lines)
        # The book's numbers come first; a long tail of our own diagnostics is folded away.
        shown = max(SHOWN_ROWS, sum(1 for _, _, book in rows if any(v is not None for v in book)))
        parts.append(table(rows[:shown], True))
        if rows[shown:]:
            parts.append('<details><summary>%d more of our numbers</summary>%s</details>'
                         % (len(rows) - shown, table(rows[shown:], False)))
    for spec in specs:
        for key, text in book_notes(spec.book):
            parts.append('<p class="note">Book %s, %s: %s</p>' % (_e(spec.number), _e(key),
                                                                 _e(text)))
    parts.append(_hyperparameters_line(OrderedDict(ok)))
    figures = [tag for _, r in ok for tag in _figure_tags(r)]
    if figures:
        parts.append('<div class="figs">%s</div>' % '\n'.join(figures))
    histories = [_history_table(r) for _, r in ok]
    if any(histories):
        parts.append('<details><summary>Per-epoch history</summary>%s</details>'
                     % '\n'.join(h for h in histories if h))
    parts.append('</section>')
    return '\n'.join(parts)


def render_html(report, blocks, out):
    """The report page: header, summary table, then one block per section (pair)."""
    for block in blocks:
        for impl, record in block['records'].items():
            record['_folder'] = os.path.join(out, 'runs', record['section'], impl)
    exercises = os.path.relpath(EXERCISES_DOC, out)
    versions = ', '.join('%s %s' % kv for kv in report['versions'].items())
    head = ['<!doctype html><html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<title>Chapter 3 report — Dive into Deep Learning (MXNet)</title>',
            '<style>%s</style></head><body>' % CSS,
            '<h1>Chapter 3: deep learning basics — our runs beside the book</h1>',
            '<p class="meta">%s · ctx <code>%s</code> · seed %d · %s · %.0f s in total · '
            '%s</p>'
            % ('quick run (subsets, 1–2 epochs)' if report['quick'] else 'full settings',
               _e(','.join(report['ctx'])), report['seed'], _e(report['created']),
               report['seconds'], _e(versions)),
            '<p class="meta">Each section\'s from-scratch and Gluon versions, the book\'s printed '
            'numbers beside them (purple), and the figures. Exercises and answers: '
            '<a href="%s">docs/exercises.md</a>. Metrics of every run: '
            '<a href="metrics.json">metrics.json</a>.</p>' % _e(exercises)]
    if report['quick']:
        head.append('<div class="banner"><b>Quick run:</b> short training on subsets, so the '
                    'numbers are not comparable with the book. <code>make run</code> gives the '
                    'full report.</div>')
    if report['failed']:
        head.append('<div class="failbanner"><b>%d run(s) failed:</b> %s (details in their '
                    'sections below).</div>' % (len(report['failed']),
                                                _e(', '.join(report['failed']))))
    body = ['<h2 id="summary">Summary</h2>', _summary_table(blocks)]
    body += [_block_html(block) for block in blocks]
    for block in blocks:
        for record in block['records'].values():
            record.pop('_folder', None)
    return '\n'.join(head + body + ['</body></html>\n'])
