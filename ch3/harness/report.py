"""The chapter report: run every section, scratch and Gluon, and put them beside the book's numbers.

`build_report(out, quick=False, ctx='cpu', seed=0)` runs each registered section's versions once
(3.2/3.3, 3.6/3.7 and 3.9/3.10 are the scratch/Gluon pairs of one module, so such a pair is one
block with one scratch and one Gluon run); `write_report` then writes into `out`:

    index.html                   the page, from templates/report.html.j2 (figures embedded)
    exercises.html               docs/exercises.md as HTML, with its figures in exercises/
    notebooks/<name>.html        each companion notebook with its stored outputs
    metrics.json                 every run's metrics, the book's numbers, failures
    runs/<section>/<impl>/       each run's metrics.json (the `ch3 run` format) and PNG figures

Every link in them is relative, so the folder can be moved. A run that raises is recorded (error
and traceback in the page and in metrics.json) and the report goes on; `report['failed']` lists
such runs so the command can exit non-zero at the end.
"""
import base64
import datetime
import errno
import glob
import hashlib
import os
import platform
import shutil
import sys
import time
import traceback
from collections import OrderedDict

from ch3.context import ctx_names
from ch3.harness.compare import IMPL_LABELS, compare, format_number, is_number, is_series
from ch3.harness.registry import get_section, list_sections, run_section
from ch3.harness.results import IMPL_ORDER, in_book_order, metrics_record, write_metrics
from ch3.utils import atomic_write, staged_dir

# The source checkout (docs/, notebooks/) when ch3 runs from one; an installed ch3 has neither.
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXERCISES_DOC = os.path.join(REPO_ROOT, 'docs', 'exercises.md')
NOTEBOOKS_DIR = os.path.join(REPO_ROOT, 'notebooks')
TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'templates')


# ---- what to run ----

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
        impls = in_book_order(set().union(*(spec.impls for spec in specs)))
        block['runs'] = []
        for impl in impls:
            owner = next((s for s in specs if s.default_impl == impl and impl in s.impls),
                         next(s for s in specs if impl in s.impls))
            block['runs'].append((impl, owner.number))
    return blocks


def relative_paths(value, base):
    """`value` with every string naming a path under `base` made relative to it (no path of the
    machine in the report)."""
    if isinstance(value, dict):
        return type(value)((k, relative_paths(v, base)) for k, v in value.items())
    if isinstance(value, list):
        return [relative_paths(v, base) for v in value]
    if isinstance(value, str) and os.path.isabs(value) and \
            os.path.normpath(value).startswith(base + os.sep):
        return os.path.relpath(value, base)
    return value


def _run_one(number, impl, ctx, seed, quick, folder):
    """Run one version; return its metrics record (with wall seconds) or an error record."""
    start = time.perf_counter()
    try:
        result = run_section(number, impl=impl, ctx=ctx, seed=seed, quick=quick, out=folder)
    except Exception as error:   # the report goes on; the page shows what went wrong
        if _is_write_failure(error):   # but not on a full disk: every later run would fail too
            raise
        return OrderedDict([('section', number), ('impl', impl),
                            ('error', '%s: %s' % (type(error).__name__, error)),
                            ('traceback', traceback.format_exc()),
                            ('wall_seconds', time.perf_counter() - start)])
    record = relative_paths(metrics_record(result, folder), folder)
    record['wall_seconds'] = time.perf_counter() - start
    write_metrics(record, os.path.join(folder, 'metrics.json'))
    return record


def headline(record):
    """(what, ours, book) of a finished run: the section's headline number beside the book's."""
    spec = get_section(record['section'])
    row = compare(record.get('final'), spec.book, record['impl'], spec.headline).headline
    if row is None:
        return None
    return row.label, row.ours, row.book


def headline_text(record):
    """'test accuracy 0.663 (book 0.84)' for the progress lines and `ch3 run`."""
    found = headline(record)
    if found is None:
        return 'done'
    what, ours, book = found
    return '%s %s%s' % (what, format_number(ours),
                        ' (book %s)' % format_number(book) if book is not None else '')


def build_report(out, quick=False, ctx='cpu', seed=0, sections=None, stream=None):
    """Run the chapter (all sections, or the listed numbers) and write the report into `out`
    (see write_report); return the report dict ('failed' lists the runs that raised)."""
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
            print('[%d/%d] %s %s: %s' % (count, total, number, impl, get_section(number).title),
                  file=stream, flush=True)
            record = _run_one(number, impl, ctx, seed, quick,
                              os.path.join(out, 'runs', number, impl))
            if 'error' in record:
                print('[%d/%d] %s %s FAILED after %.1f s: %s'
                      % (count, total, number, impl, record['wall_seconds'],
                         record['error'].splitlines()[0]), file=stream, flush=True)
            else:
                print('[%d/%d] %s %s done in %.1f s: %s'
                      % (count, total, number, impl, record['wall_seconds'],
                         headline_text(record)), file=stream, flush=True)
            block['records'][impl] = record
            runs.append(record)
    report = OrderedDict([
        ('quick', bool(quick)), ('ctx', contexts), ('seed', seed),
        ('created', datetime.datetime.now().isoformat(timespec='seconds')),
        ('seconds', time.perf_counter() - started), ('versions', _versions()),
        ('failed', ['%s %s' % (r['section'], r['impl']) for r in runs if 'error' in r]),
        ('sections', [OrderedDict([('section', spec.number), ('title', spec.title),
                                   ('default_impl', spec.default_impl),
                                   ('impls', in_book_order(spec.impls)),
                                   ('headline', spec.headline), ('book', spec.book)])
                      for block in blocks for spec in block['sections']]),
        ('runs', runs)])
    write_report(out, report, blocks, stream)
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


# ---- writing ----

def write_report(out, report, blocks, stream=None):
    """Write metrics.json, index.html, exercises.html and notebooks/*.html into `out` (the one
    place the report's files are written)."""
    stream = stream or sys.stderr
    write_metrics(report, os.path.join(out, 'metrics.json'))
    exercises = write_exercises_page(out)
    notebooks = write_notebook_pages(out, stream)
    page = render_page(report, blocks, out, exercises, notebooks)
    with atomic_write(os.path.join(out, 'index.html'), 'w', encoding='utf-8') as handle:
        handle.write(page)


def _environment():
    import jinja2
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                             autoescape=jinja2.select_autoescape(['html', 'j2']),
                             trim_blocks=True, lstrip_blocks=True)
    env.filters['num'] = format_number
    env.filters['impl'] = lambda impl: IMPL_LABELS.get(impl, impl)
    # numbers align right and never wrap; lists and text wrap inside their column, so a long
    # value cannot push the book's column out of view
    env.filters['cell'] = lambda value: 'num' if value is None or is_number(value) else 'txt'
    return env


def write_exercises_page(out, source=EXERCISES_DOC):
    """docs/exercises.md as out/exercises.html (its figures copied to out/exercises/); returns
    the page's name, or None when the checkout's docs are not there."""
    if not os.path.isfile(source):
        return None
    import mistune
    with open(source, encoding='utf-8') as handle:
        text = handle.read()
    # The page's raw HTML is our own anchors (<a id="ex-3-1-1">); keep it.
    body = mistune.create_markdown(escape=False, plugins=['table'])(text)
    figures = os.path.join(os.path.dirname(source), 'exercises')
    for path in glob.glob(os.path.join(figures, '*.png')):
        target = os.path.join(out, 'exercises', os.path.basename(path))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(path, target)
    page = _environment().get_template('exercises.html.j2').render(body=body)
    with atomic_write(os.path.join(out, 'exercises.html'), 'w', encoding='utf-8') as handle:
        handle.write(page)
    return 'exercises.html'


def write_notebook_pages(out, stream=None, folder=NOTEBOOKS_DIR):
    """Each notebooks/*.ipynb with its stored outputs (not executed) as out/notebooks/<stem>.html;
    returns [(stem, relative link)], empty when the checkout's notebooks are not there."""
    paths = sorted(glob.glob(os.path.join(folder, '*.ipynb')))
    if not paths:
        return []
    try:
        import nbformat
        from nbconvert import HTMLExporter
    except ImportError as error:
        print('ch3 report: notebooks not converted (%s)' % error, file=stream or sys.stderr)
        return []
    exporter = HTMLExporter()
    pages = []
    for path in paths:
        stem = os.path.splitext(os.path.basename(path))[0]
        body, _ = exporter.from_notebook_node(nbformat.read(path, as_version=4))
        target = os.path.join(out, 'notebooks', stem + '.html')
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with atomic_write(target, 'w', encoding='utf-8') as handle:
            handle.write(body)
        pages.append((stem, 'notebooks/%s.html' % stem))
    return pages


# ---- what the page shows ----

def _anchor(number):
    return 'sec-' + number.replace('.', '-')


def _figures(records, out):
    """The runs' figures as embedded images, once per picture: two versions drawing the same
    bytes share one figure."""
    shown, figures = {}, []
    for impl, record in records.items():
        folder = os.path.join(out, 'runs', record['section'], impl)
        for name in record.get('figures') or []:
            path = os.path.join(folder, name)
            try:
                with open(path, 'rb') as handle:
                    raw = handle.read()
            except OSError as error:
                figures.append({'missing': '%s: %s' % (name, error.strerror), 'impls': [impl]})
                continue
            digest = hashlib.sha1(raw).hexdigest()
            if digest in shown:
                shown[digest]['impls'].append(impl)
                continue
            # A PNG's width sits in its IHDR chunk (bytes 16-20): wide multi-panel figures
            # keep their size, small plots go three to a row.
            wide = raw[:8] == b'\x89PNG\r\n\x1a\n' and int.from_bytes(raw[16:20], 'big') > 560
            shown[digest] = {'name': os.path.basename(name), 'impls': [impl], 'wide': wide,
                             'src': 'data:image/png;base64,' + base64.b64encode(raw).decode()}
            figures.append(shown[digest])
    return figures


def _history(record, book_rows):
    """Per-epoch rows for the folded table: our columns, and the book's beside them."""
    ours = [row for row in record.get('history') or [] if isinstance(row, dict)]
    if not ours:
        return None
    keys = []
    for row in ours:
        keys += [k for k in row if k not in keys and k != 'epoch']
    book_by_epoch = {row.get('epoch'): row for row in book_rows}
    book_keys = [k for k in keys if any(k in row for row in book_rows)]
    rows = []
    for i, row in enumerate(ours, 1):
        epoch = row.get('epoch', i)
        rows.append({'epoch': epoch, 'ours': [row.get(k) for k in keys],
                     'book': [book_by_epoch.get(epoch, {}).get(k) for k in book_keys]})
    return {'keys': keys, 'book_keys': book_keys, 'rows': rows}


def block_view(block, out):
    """What the template shows of one block: the table of ours beside the book per version,
    our other numbers, the book's other numbers, notes, figures and histories."""
    records = block['records']
    ok = OrderedDict((impl, r) for impl, r in records.items() if 'error' not in r)
    compared = OrderedDict()
    for impl, record in ok.items():
        spec = get_section(record['section'])
        compared[impl] = compare(record.get('final'), spec.book, impl, spec.headline)
    rows, series, ours_only, book_only, notes = (OrderedDict() for _ in range(5))
    for impl, c in compared.items():
        for row in c.pairs:
            target = series if is_series(row.ours) or is_series(row.book) else rows
            target.setdefault(row.label, {'note': row.note})[impl] = row
        for row in c.ours_only:
            target = series if is_series(row.ours) else ours_only
            target.setdefault(row.label, {})[impl] = row
        for row in c.book_only:
            book_only.setdefault(row.label, {})[impl] = row
        for row in c.notes:
            notes.setdefault(row.book, row.label)
    histories = []
    for impl, record in ok.items():
        table = _history(record, compared[impl].book_history)
        if table:
            histories.append(dict(table, impl=impl, section=record['section']))
    failures = [{'impl': impl, 'section': r['section'], 'error': r['error'],
                 'traceback': r.get('traceback', '')} for impl, r in records.items()
                if 'error' in r]
    return {'anchor': _anchor(block['sections'][0].number), 'sections': block['sections'],
            'runs': block['runs'], 'impls': list(ok), 'rows': rows, 'series': series,
            'ours_only': ours_only, 'book_only': book_only, 'notes': list(notes.items()),
            'hyperparameters': [(impl, r.get('hyperparameters') or {}) for impl, r in ok.items()],
            'seconds': OrderedDict((impl, r.get('wall_seconds')) for impl, r in ok.items()),
            'figures': _figures(ok, out), 'histories': histories, 'failures': failures,
            'summary': _summary_row(block, compared)}


def _summary_row(block, compared):
    """The summary table's row: the headline per version, ours beside the book's."""
    records = block['records']
    cells = OrderedDict()
    what = None
    for impl in IMPL_ORDER:
        record = records.get(impl)
        if record is None:
            cells[impl] = {'absent': True}
        elif 'error' in record:
            cells[impl] = {'failed': True}
        else:
            row = compared[impl].headline
            what = what or (row.label if row else None)
            cells[impl] = {'ours': row.ours if row else None, 'book': row.book if row else None}
    return {'what': what or '—', 'cells': cells,
            'seconds': sum(r.get('wall_seconds', 0.0) for r in records.values()),
            'failed': [impl for impl, r in records.items() if 'error' in r]}


def render_page(report, blocks, out, exercises=None, notebooks=()):
    """The report page (index.html) from templates/report.html.j2."""
    views = [block_view(block, out) for block in blocks]
    return _environment().get_template('report.html.j2').render(
        report=report, blocks=views, exercises=exercises, notebooks=list(notebooks),
        impl_order=IMPL_ORDER,
        versions=', '.join('%s %s' % kv for kv in report['versions'].items()))
