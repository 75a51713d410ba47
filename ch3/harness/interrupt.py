"""Ctrl-C and SIGTERM in the `ch3` command: one line on stderr, exit status 130 or 143.

While `handle_signals()` is active (ch3.harness.cli.main wraps every command in it), SIGINT and SIGTERM
raise `Interrupted` in the main thread. It is a KeyboardInterrupt, so the `except Exception`
blocks that keep a report going let it through, and `ch3.utils.atomic_write` removes its
temporary file: the files a command writes (metrics.json, index.html, submission.csv,
docs/exercises.md, figures) are either complete or absent. `report` turns it into
`<prog>: interrupted (SIGTERM)` and the shell's status 128 + signal number.
"""
import contextlib
import os
import signal
import sys
import threading
import time

SIGNALS = (signal.SIGINT, signal.SIGTERM)
NAMES = {signal.SIGINT: 'Ctrl-C', signal.SIGTERM: 'SIGTERM'}


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived; `signum` says which."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


_OWNER = {'pid': None}   # the process that installed the handlers


def _raise_interrupted(signum, frame):
    if os.getpid() != _OWNER['pid']:
        # a forked child (a DataLoader worker) inherited the handler: end it as the signal would,
        # instead of raising inside it while it may hold a queue lock
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    # Ignore further signals while this one unwinds the stack: a second Ctrl-C must not cut
    # short the clean-up of a half-written file. handle_signals() restores the handlers.
    for sig in SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    raise Interrupted(signum)


def _send_later(pid, signum, delay=0.05):
    time.sleep(delay)
    os.kill(pid, signum)


def _redeliver_swallowed(previous_hook):
    """A sys.unraisablehook: an Interrupted raised while Python ran a destructor or a callback
    (an NDArray's __del__, say) cannot propagate and would be printed and forgotten, with both
    signals already ignored, so the command would run on to the end. Send the signal again
    instead: the handler then raises in the main thread's next ordinary line."""
    def hook(unraisable):
        error = unraisable.exc_value
        if isinstance(error, Interrupted) and os.getpid() == _OWNER['pid']:
            # from another thread, a moment later (raise_signal here would run the handler
            # inside this hook); started while the signals are still ignored, since starting a
            # thread waits, and the handler raising in that wait would be swallowed again
            threading.Thread(target=_send_later, args=(os.getpid(), error.signum),
                             daemon=True).start()
            signal.signal(error.signum, _raise_interrupted)
            return
        previous_hook(unraisable)
    return hook


@contextlib.contextmanager
def handle_signals():
    """Within the block SIGINT and SIGTERM raise Interrupted (main thread only; a signal the
    parent set to be ignored, as for `nohup` or a background job, stays ignored)."""
    previous, previous_hook = {}, sys.unraisablehook
    _OWNER['pid'] = os.getpid()
    if threading.current_thread() is threading.main_thread():
        for sig in SIGNALS:
            if signal.getsignal(sig) not in (signal.SIG_IGN, None):
                previous[sig] = signal.signal(sig, _raise_interrupted)
        sys.unraisablehook = _redeliver_swallowed(previous_hook)
    try:
        yield
    finally:
        sys.unraisablehook = previous_hook
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def exit_status(error):
    """128 + the signal number: 130 for Ctrl-C (a plain KeyboardInterrupt), 143 for SIGTERM."""
    return 128 + getattr(error, 'signum', signal.SIGINT)


def report(prog, error, stream=None):
    """Write `<prog>: interrupted` (naming SIGTERM when it was one) and return the exit status."""
    signum = getattr(error, 'signum', signal.SIGINT)
    suffix = '' if signum == signal.SIGINT else ' (%s)' % NAMES.get(signum, 'signal %d' % signum)
    (stream or sys.stderr).write('%s: interrupted%s\n' % (prog, suffix))
    return exit_status(error)
