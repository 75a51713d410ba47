"""The chapter report: each version run once, one self-contained page, survives a failure."""
import base64
import contextlib
import html.parser
import io
import json
import os
import re
import shutil

import pytest

import ch3
from ch3.harness import cli, report
from ch3.harness.compare import compare, flatten, format_number
from ch3.harness.registry import get_section

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class _Page(html.parser.HTMLParser):
    """Collects what the tests look at: ids, images, links, external references, text per block
    and the summary table's rows (cell texts)."""

    def __init__(self):
        super().__init__()
        self.ids, self.images, self.links, self.external, self.blocks = [], [], [], [], {}
        self.summary, self._block, self._table, self._cell = [], None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if 'id' in attrs:
            self.ids.append(attrs['id'])
        if tag == 'section' and 'id' in attrs:
            self._block = attrs['id']
            self.blocks[self._block] = []
        if tag == 'table':
            self._table = attrs.get('class')
        if tag == 'tr' and self._table == 'summary':
            self.summary.append([])
        if tag in ('td', 'th') and self._table == 'summary':
            self._cell = []
        if tag == 'img':
            self.images.append(attrs['src'])
        if tag == 'a':
            self.links.append(attrs['href'])
        if tag in ('script', 'link', 'iframe') or (tag == 'img' and not
                                                   attrs['src'].startswith('data:')):
            self.external.append((tag, attrs))

    def handle_endtag(self, tag):
        if tag == 'section':
            self._block = None
        if tag == 'table':
            self._table = None
        if tag in ('td', 'th') and self._cell is not None:
            self.summary[-1].append(' '.join(''.join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._block:
            self.blocks[self._block].append(data)
        if self._cell is not None:
            self._cell.append(data)


@pytest.fixture(scope='module')
def quick_report(tmp_path_factory):
    """`ch3 report --quick` over every registered section, as the tests' one full run."""
    out = tmp_path_factory.mktemp('report')
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        status = cli.main(['report', '--quick', '--out', str(out)])
    with open(out / 'index.html', encoding='utf-8') as handle:
        page = handle.read()
    with open(out / 'metrics.json', encoding='utf-8') as handle:
        metrics = json.load(handle)
    parsed = _Page()
    parsed.feed(page)
    return {'status': status, 'out': out, 'page': page, 'metrics': metrics, 'parsed': parsed,
            'stderr': err.getvalue()}


def test_plan_pairs_scratch_and_gluon_sections_and_runs_each_version_once():
    blocks = {tuple(s.number for s in b['sections']): b['runs'] for b in report.plan()}
    assert blocks[('3.2', '3.3')] == [('scratch', '3.2'), ('gluon', '3.3')]
    assert blocks[('3.1',)] == [('scratch', '3.1')]
    for numbers, runs in blocks.items():
        impls = [impl for impl, _ in runs]
        assert len(impls) == len(set(impls))
        assert impls == sorted(impls, key=lambda i: ('scratch', 'gluon').index(i))
    covered = [n for numbers in blocks for n in numbers]
    assert covered == [s['section'] for s in ch3.list_sections()]
    assert [s.number for b in report.plan(['3.3']) for s in b['sections']] == ['3.3']
    with pytest.raises(ValueError, match="unknown section '2.9'"):
        report.plan(['2.9'])


def test_quick_report_runs_everything_and_exits_zero(quick_report):
    assert quick_report['status'] == 0
    metrics = quick_report['metrics']
    assert metrics['quick'] is True and metrics['failed'] == [] and metrics['ctx'] == ['cpu(0)']
    expected = [(impl, number) for block in report.plan() for impl, number in block['runs']]
    assert [(r['impl'], r['section']) for r in metrics['runs']] == expected
    assert [s['section'] for s in metrics['sections']] == \
        [s['section'] for s in ch3.list_sections()]
    for run in metrics['runs']:
        assert {'section', 'impl', 'ctx', 'seed', 'quick', 'hyperparameters', 'history',
                'final'} <= set(run)
        folder = quick_report['out'] / 'runs' / run['section'] / run['impl']
        with open(folder / 'metrics.json', encoding='utf-8') as handle:
            assert json.load(handle) == run   # each run also in the `ch3 run` format
    # progress on the terminal: one start and one done line per run, then where the page is
    err = quick_report['stderr']
    total = len(expected)
    for i, (impl, number) in enumerate(expected, 1):
        assert '[%d/%d] %s %s: ' % (i, total, number, impl) in err
        assert '[%d/%d] %s %s done in ' % (i, total, number, impl) in err
    assert 'wrote %s' % (quick_report['out'] / 'index.html') in err


def test_report_numbers_match_a_direct_library_run(quick_report):
    run = next(r for r in quick_report['metrics']['runs'] if r['section'] == '3.2')
    direct = ch3.run_section('3.2', impl='scratch', seed=0, quick=True, verbose=False)
    assert run['final'] == direct['final']


def test_page_is_self_contained_with_each_picture_embedded_once(quick_report):
    parsed = quick_report['parsed']
    assert parsed.external == []
    runs = quick_report['metrics']['runs']
    figures = sum(len(r.get('figures') or []) for r in runs)
    assert 3 <= len(parsed.images) < figures   # scratch and Gluon draw some pictures alike
    assert len(set(parsed.images)) == len(parsed.images)
    for src in parsed.images:
        assert src.startswith('data:image/png;base64,')
        assert base64.b64decode(src.split(',', 1)[1])[:8] == b'\x89PNG\r\n\x1a\n'
    assert 'from scratch and Gluon (the same picture) · fashion_mnist_samples.png' in \
        quick_report['page']
    assert 'Quick run:' in quick_report['page']


def test_page_has_a_contents_list_and_back_links_and_no_path_of_the_machine(quick_report):
    parsed, page, out = quick_report['parsed'], quick_report['page'], quick_report['out']
    anchors = ['sec-' + b['sections'][0].number.replace('.', '-') for b in report.plan()]
    assert [link[1:] for link in parsed.links if link[1:] in anchors][:len(anchors)] == anchors
    assert parsed.links.count('#top') == len(anchors)
    for text in (str(out), REPO, os.path.expanduser('~')):
        assert text not in page
    with open(out / 'metrics.json', encoding='utf-8') as handle:
        assert str(out) not in handle.read()
    assert not re.search(r'\(\d+ (values|entries)\)', page)


def test_links_work_after_the_folder_is_moved(quick_report, tmp_path):
    moved = tmp_path / 'moved'
    shutil.copytree(str(quick_report['out']), str(moved))
    links = [link for link in quick_report['parsed'].links if not link.startswith('#')]
    assert 'metrics.json' in links and 'exercises.html' in links
    notebooks = sorted(os.path.splitext(name)[0] for name in os.listdir(os.path.join(REPO,
                                                                                     'notebooks'))
                       if name.endswith('.ipynb'))
    assert sorted(link[len('notebooks/'):-len('.html')] for link in links
                  if link.startswith('notebooks/')) == notebooks
    for link in links:
        assert not os.path.isabs(link) and (moved / link).is_file(), link
    exercises = (moved / 'exercises.html').read_text(encoding='utf-8')
    assert 'id="ex-3-1-1"' in exercises and 'href="index.html"' in exercises
    for name in re.findall(r'<img src="([^"]+)"', exercises):
        assert (moved / name).is_file(), name
    notebook = (moved / 'notebooks' / (notebooks[0] + '.html')).read_text(encoding='utf-8')
    assert 'jp-Notebook' in notebook


def test_the_summary_puts_each_headline_beside_the_book(quick_report):
    rows = {row[0].split()[0]: row for row in quick_report['parsed'].summary[2:]}
    for block in report.plan():
        numbers = ', '.join(s.number for s in block['sections'])
        row = rows[numbers.split(',')[0] + (',' if len(block['sections']) > 1 else '')]
        spec = block['sections'][0]
        assert row[1] != '—', numbers
        has_book = any(isinstance(v, (int, float)) for _, v in flatten(spec.book))
        if has_book:   # ours beside the book's for each version the section has
            cells = row[2:6]
            for impl, (ours, book) in zip(('scratch', 'gluon'), (cells[:2], cells[2:])):
                # 3.4's Gluon version checks the loss only; the book's exp(50) is scratch's
                if impl in dict(block['runs']) and (numbers, impl) != ('3.4', 'gluon'):
                    assert ours not in ('', '—') and book, (numbers, impl, row)
    # the book's own numbers: 3.6's test accuracy and 3.12's weight norm with lambda 3
    assert rows['3.6,'][1] == 'test accuracy' and rows['3.6,'][3] == '0.84'
    assert rows['3.12'][1] == 'lambd=3 · L2 norm of w' and rows['3.12'][3] == '0.04225'


def test_each_block_pairs_our_numbers_with_the_books(quick_report):
    parsed = quick_report['parsed']
    runs = quick_report['metrics']['runs']
    for block in report.plan():
        anchor = 'sec-' + block['sections'][0].number.replace('.', '-')
        text = ' '.join(parsed.blocks[anchor])
        for spec in block['sections']:
            assert spec.title in text
        for impl, number in block['runs']:
            record = next(r for r in runs if r['section'] == number and r['impl'] == impl)
            compared = compare(record['final'], get_section(number).book, impl)
            for row in compared.pairs + compared.book_only:
                assert row.label in text, (number, impl, row.label)
                assert format_number(row.book) in text, (number, impl, row.label)
            for row in compared.pairs + compared.ours_only:
                assert format_number(row.ours) in text, (number, impl, row.label)
    # 3.8's derivatives at 0 are ours now, beside the book's 0.25 and 1
    sec38 = ' '.join(parsed.blocks['sec-3-8'])
    assert 'sigmoid grad at 0' in sec38 and 'The book\'s numbers we do not measure' not in sec38


def test_the_page_comes_from_a_template_shipped_with_the_package():
    assert os.path.isfile(os.path.join(report.TEMPLATES, 'report.html.j2'))
    with open(os.path.join(REPO, 'setup.cfg'), encoding='utf-8') as handle:
        assert 'ch3.harness = templates/*.j2' in handle.read()
    with open(os.path.join(REPO, 'MANIFEST.in'), encoding='utf-8') as handle:
        assert 'ch3/harness/templates' in handle.read()


def test_without_the_checkout_the_report_says_so(tmp_path, monkeypatch):
    assert report.write_exercises_page(str(tmp_path), str(tmp_path / 'none.md')) is None
    assert report.write_notebook_pages(str(tmp_path), folder=str(tmp_path / 'none')) == []
    assert os.listdir(str(tmp_path)) == []


def test_a_failing_section_is_shown_and_the_command_exits_non_zero(tmp_path, monkeypatch,
                                                                  capsys):
    real = report.run_section

    def flaky(number, impl=None, **kwargs):
        if (number, impl) == ('3.2', 'scratch'):
            raise FloatingPointError('the loss exploded on purpose')
        return real(number, impl=impl, **kwargs)
    monkeypatch.setattr(report, 'run_section', flaky)
    status = cli.main(['report', '--quick', '--sections', '3.1,3.2,3.3', '--out', str(tmp_path)])
    captured = capsys.readouterr()
    assert status == 1
    assert '3.2 scratch FAILED after' in captured.err
    with open(tmp_path / 'metrics.json', encoding='utf-8') as handle:
        metrics = json.load(handle)
    assert metrics['failed'] == ['3.2 scratch']
    failed = next(r for r in metrics['runs'] if r['impl'] == 'scratch' and r['section'] == '3.2')
    assert failed['error'] == 'FloatingPointError: the loss exploded on purpose'
    assert 'Traceback' in failed['traceback']
    assert {(r['section'], r['impl']) for r in metrics['runs'] if 'error' not in r} == \
        {('3.1', 'scratch'), ('3.3', 'gluon')}
    with open(tmp_path / 'index.html', encoding='utf-8') as handle:
        page = handle.read()
    assert 'FloatingPointError: the loss exploded on purpose' in page
    assert '1 run(s) failed' in page and 'failed: scratch' in page
    assert format_number(get_section('3.3').book['loss'][-1]) in page




# --- the report folder is the earlier report or the new one, never a mix ------------------------

def _files(folder):
    """{relative path: bytes} of every file under folder (hidden leftovers included)."""
    found = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            with open(path, 'rb') as handle:
                found[os.path.relpath(path, folder)] = handle.read()
    return found


def _earlier_report(out):
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        assert cli.main(['report', '--quick', '--seed', '0', '--sections', '3.1,3.2',
                         '--out', str(out)]) == 0
    return _files(out)


def test_a_report_killed_mid_run_leaves_the_earlier_report_intact(tmp_path):
    import signal
    import subprocess
    import sys
    out = tmp_path / 'report'
    earlier = _earlier_report(out)
    # `ch3 report` whose 3.2 run, once trained and drawn, waits: it is killed there
    child = ('import sys, time\n'
             'from ch3.harness import cli, report\n'
             'real = report.run_section\n'
             'def trained_then_waits(number, **kwargs):\n'
             '    result = real(number, **kwargs)\n'
             '    if number == "3.2":\n'
             '        print("3.2 TRAINED", file=sys.stderr, flush=True)\n'
             '        time.sleep(60)\n'
             '    return result\n'
             'report.run_section = trained_then_waits\n'
             'sys.exit(cli.main(sys.argv[1:]))\n')
    proc = subprocess.Popen([sys.executable, '-c', child, 'report', '--quick', '--seed', '1',
                             '--sections', '3.1,3.2', '--out', str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONPATH=REPO), cwd=str(tmp_path))
    for line in proc.stderr:   # 3.1 is written (seed 1), 3.2 trained and drew: kill -9 now
        if line.startswith('3.2 TRAINED'):
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert _files(out) == earlier   # seed 0's report, whole: no seed-1 run beside it
    leftovers = [name for name in os.listdir(tmp_path) if name != 'report']
    assert len(leftovers) == 1 and leftovers[0].endswith('.staging')   # the killed run's
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        assert cli.main(['report', '--quick', '--sections', '3.1', '--out', str(out)]) == 0
    assert os.listdir(tmp_path) == ['report']   # the next run removed it
    assert sorted(os.listdir(out / 'runs')) == ['3.1']   # and replaced the folder whole


def test_a_write_failure_stops_the_report_at_once_with_one_line(tmp_path, monkeypatch, capsys):
    import errno
    out = tmp_path / 'report'
    earlier = _earlier_report(out)
    capsys.readouterr()
    real = report.write_metrics

    def full_disk(record, path):
        if os.sep + '3.1' + os.sep in path:
            raise OSError(errno.ENOSPC, 'No space left on device', path)
        return real(record, path)
    monkeypatch.setattr(report, 'write_metrics', full_disk)
    status = cli.main(['report', '--quick', '--sections', '3.1,3.2', '--out', str(out)])
    err = capsys.readouterr().err
    assert status == 2
    lines = [line for line in err.splitlines() if not line.startswith('[')]
    assert lines[-1] == ('ch3 report: error: cannot write the report into %s (No space left on '
                         'device); the earlier report there is unchanged' % out)
    assert '3.2' not in err   # no run after the failed write
    assert _files(out) == earlier and os.listdir(tmp_path) == ['report']


def _mount_tmpfs(folder, size):
    import subprocess
    if not hasattr(os, 'geteuid') or os.geteuid() != 0:
        pytest.skip('mounting a small tmpfs needs root')
    proc = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=%s' % size, 'tmpfs', str(folder)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip('cannot mount a tmpfs here: %s' % proc.stderr.strip())


def test_a_report_on_a_really_full_disk_keeps_the_earlier_one(tmp_path, capsys):
    import subprocess
    disk = tmp_path / 'disk'
    disk.mkdir()
    _mount_tmpfs(disk, '64m')   # the report carries the notebooks' and exercises' pages
    try:
        out = disk / 'report'
        earlier = _earlier_report(out)
        free = os.statvfs(disk)
        with open(disk / 'filler', 'wb') as handle:   # leave about 8 KB free
            handle.write(b'\0' * max(free.f_bavail * free.f_frsize - 8192, 0))
        capsys.readouterr()
        status = cli.main(['report', '--quick', '--sections', '3.1,3.2', '--out', str(out)])
        err = capsys.readouterr().err
        assert status == 2
        assert err.splitlines()[-1].startswith('ch3 report: error: cannot write the report '
                                               'into %s (No space left on device)' % out)
        assert _files(out) == earlier
        assert sorted(os.listdir(disk)) == ['filler', 'report']
    finally:
        subprocess.run(['umount', str(disk)], check=False)
