"""Tests for ch3.harness.interrupt: Ctrl-C (SIGINT) and SIGTERM give one stderr line, exit status 130 or
143, no traceback and no half-written file.

The in-process tests send the signal to this process inside interrupt.handle_signals(); the
end-to-end tests start a real `python -m ch3 ...` on the real data, wait until it has printed a
line showing training is under way, send the signal and inspect the exit status, stderr and the
output folder.
"""
import os
import signal
import subprocess
import sys
import time

import pytest

from ch3.harness import cli, interrupt
from conftest import default_sigint
from ch3.utils import atomic_write

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.environ.get('CH3_DATA_DIR') or os.path.join(REPO, '..', 'shared', 'data')
needs_house_data = pytest.mark.skipif(
    not os.path.isfile(os.path.join(DATA, 'kaggle_house', 'kaggle_house_pred_train.csv')),
    reason='Kaggle house CSVs not found in %s/kaggle_house (set CH3_DATA_DIR)' % DATA)


def files_under(folder):
    return sorted(os.path.relpath(os.path.join(root, name), folder)
                  for root, _, names in os.walk(folder) for name in names)


# ------------------------------------------------------------------------------ in process

@pytest.mark.parametrize('signum', [signal.SIGINT, signal.SIGTERM])
def test_a_signal_raises_interrupted_and_the_handlers_come_back(signum):
    before = {sig: signal.getsignal(sig) for sig in interrupt.SIGNALS}
    with pytest.raises(interrupt.Interrupted) as info:
        with interrupt.handle_signals():
            os.kill(os.getpid(), signum)
            time.sleep(5)   # the handler runs at the next bytecode; never reached
    assert info.value.signum == signum and isinstance(info.value, KeyboardInterrupt)
    assert interrupt.exit_status(info.value) == 128 + signum
    assert {sig: signal.getsignal(sig) for sig in interrupt.SIGNALS} == before


class _InterruptedInDestructor:
    """The signal arriving while Python runs a destructor (as MXNet frees NDArrays all the
    time): the handler's exception cannot leave __del__."""

    def __del__(self):
        interrupt._raise_interrupted(signal.SIGINT, None)


def test_a_signal_swallowed_in_a_destructor_still_stops_the_block():
    before = sys.unraisablehook
    with pytest.raises(interrupt.Interrupted) as info:
        with interrupt.handle_signals():
            obj = _InterruptedInDestructor()
            del obj
            time.sleep(5)   # the signal sent again raises at the next bytecode; never reached
    assert info.value.signum == signal.SIGINT
    assert sys.unraisablehook is before


def test_an_ignored_signal_stays_ignored():
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        with interrupt.handle_signals():
            assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
            os.kill(os.getpid(), signal.SIGTERM)   # nothing happens
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_report_line_and_status(capsys):
    assert interrupt.report('ch3 run', KeyboardInterrupt()) == 130
    assert interrupt.report('ch3 run', interrupt.Interrupted(signal.SIGTERM)) == 143
    assert capsys.readouterr().err == 'ch3 run: interrupted\nch3 run: interrupted (SIGTERM)\n'


def test_a_signal_during_a_write_leaves_neither_the_file_nor_its_temporary(tmp_path):
    target = tmp_path / 'metrics.json'
    with pytest.raises(interrupt.Interrupted):
        with interrupt.handle_signals():
            with atomic_write(target) as handle:
                handle.write('{"half": ')
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(5)
                handle.write('"written"}\n')
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize('signum, status', [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_cli_main_reports_one_line_and_the_status(monkeypatch, capsys, tmp_path, signum, status):
    def run_section(*args, **kwargs):
        os.kill(os.getpid(), signum)
        time.sleep(5)
    monkeypatch.setattr(cli, 'run_section', run_section)
    assert cli.main(['run', '3.2', '--out', str(tmp_path / 'out')]) == status
    err = capsys.readouterr().err
    assert err == 'ch3 run: interrupted%s\n' % ('' if signum == signal.SIGINT else ' (SIGTERM)')
    assert not (tmp_path / 'out').exists()


# ------------------------------------------------------------------------------ real processes

def start(args, cwd, watch):
    """Start `python -m ch3 args` in cwd; `watch` ('stdout' or 'stderr') is piped, the other
    stream goes to a file."""
    env = dict(os.environ, PYTHONPATH=REPO, CH3_DATA_DIR=os.path.abspath(DATA),
               PYTHONUNBUFFERED='1')
    env.pop('CH3_DEBUG', None)
    other = open(os.path.join(cwd, 'other-stream.txt'), 'w')
    pipes = {'stdout': other, 'stderr': other, watch: subprocess.PIPE}
    proc = subprocess.Popen([sys.executable, '-m', 'ch3'] + args, cwd=cwd, env=env, text=True,
                            preexec_fn=default_sigint, **pipes)
    other.close()
    return proc


def interrupt_after(proc, stream, prefix, signum, timeout=120):
    """Read `stream` until a line starts with `prefix`, send `signum`; return (status, lines
    read before the signal, lines after it)."""
    before, deadline = [], time.monotonic() + timeout
    for line in stream:
        before.append(line.rstrip('\n'))
        if line.startswith(prefix):
            break
        assert time.monotonic() < deadline, 'no line starting with %r in %s' % (prefix, before)
    else:
        pytest.fail('the process ended before printing %r: %s' % (prefix, before))
    proc.send_signal(signum)
    after = stream.read().splitlines()
    return proc.wait(timeout=60), before, after


@needs_house_data
@pytest.mark.slow
@pytest.mark.parametrize('signum, status, line', [
    (signal.SIGTERM, 143, 'ch3 run: interrupted (SIGTERM)'),
    (signal.SIGINT, 130, 'ch3 run: interrupted')])
def test_ch3_run_interrupted_during_training(tmp_path, signum, status, line):
    out = tmp_path / 'out'
    proc = start(['run', '3.16', '--quick', '--out', str(out)], tmp_path, watch='stdout')
    got, before, _ = interrupt_after(proc, proc.stdout, 'fold 0, train rmse', signum)
    stderr = (tmp_path / 'other-stream.txt').read_text()
    assert got == status, (before, stderr)
    assert stderr == line + '\n'
    # fold 1 and the MLP selection (seconds) were still to come: nothing was written, not even
    # a temporary file
    assert not out.exists() or files_under(out) == []
    assert sorted(os.listdir(tmp_path)) == ['other-stream.txt']   # no submission.csv anywhere


@needs_house_data
@pytest.mark.slow
def test_ch3_report_interrupted_writes_no_page_and_no_metrics(tmp_path):
    out = tmp_path / 'report'
    proc = start(['report', '--quick', '--sections', '3.16', '--out', str(out)], tmp_path,
                 watch='stderr')
    got, before, after = interrupt_after(proc, proc.stderr, '[1/', signal.SIGTERM)
    assert got == 143
    assert after[-1:] == ['ch3 report: interrupted (SIGTERM)']
    assert all(line.startswith(('ch3 report:', '[')) for line in before + after[:-1])
    assert not any('Traceback' in line for line in after)
    written = files_under(out) if out.exists() else []
    assert 'index.html' not in written and 'metrics.json' not in written
    assert not any(name.endswith('.part') for name in written)


@pytest.mark.slow
def test_ch3_exercise_report_interrupted_leaves_no_markdown(tmp_path):
    md = tmp_path / 'docs' / 'exercises.md'
    proc = start(['exercise', 'report', '--quick', '--only', '3.2.2,3.13.1', '--out', str(md)],
                 tmp_path, watch='stderr')
    got, before, after = interrupt_after(proc, proc.stderr, '3.2.2', signal.SIGINT)
    assert got == 130
    assert after == ['ch3 exercise: interrupted'], (before, after)
    written = files_under(tmp_path / 'docs') if md.parent.exists() else []
    assert 'exercises.md' not in written and 'exercises/results.json' not in written
    assert not any(name.endswith('.part') for name in written)


def test_a_forked_child_ends_on_sigterm_instead_of_raising():
    """A DataLoader worker forked inside `ch3 ...` inherits the handler; it must die from the
    signal (as without the handler), not raise Interrupted while holding a queue lock."""
    with interrupt.handle_signals():
        pid = os.fork()
        if pid == 0:   # the child: wait for the signal
            try:
                time.sleep(30)
            finally:
                os._exit(7)   # reached only if the signal raised instead of killing
        time.sleep(0.3)
        os.kill(pid, signal.SIGTERM)
        _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM
