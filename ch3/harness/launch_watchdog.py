"""The watchdog of `ch3 launch`: stops the job's processes if the launcher dies without doing so.

The launcher starts this file as its own small process (`python -I -S launch_watchdog.py GRACE`,
standard library only, in a session of its own so a terminal's Ctrl-C does not reach it) and
keeps the write end of a pipe to its stdin. It writes the process-group id of every process of
the job as it starts it, and `exit` once it has stopped them itself. End of input without `exit`
means the launcher is gone (even by `kill -9`): the watchdog then sends SIGTERM to every group,
SIGKILL after GRACE seconds to whatever is left (a worker stuck in MXNet's shutdown ignores
SIGTERM), and exits. A parent-death signal alone would reach only the launcher's direct children,
not the processes they started.
"""
import os
import signal
import sys
import time


def in_group(pgid):
    """Pids of live (non-zombie) processes in process group pgid (Linux /proc; else [])."""
    pids = []
    if not os.path.isdir('/proc'):
        return pids
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as handle:
                fields = handle.read().rsplit(')', 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != 'Z' and int(fields[2]) == pgid:
            pids.append(int(entry))
    return pids


def signal_groups(pgids, sig):
    for pgid in pgids:
        try:
            os.killpg(pgid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def stop_groups(pgids, grace):
    """SIGTERM to every group, SIGKILL after `grace` seconds to the groups still alive."""
    signal_groups(pgids, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(in_group(pgid) for pgid in pgids):
        time.sleep(0.05)
    signal_groups(pgids, signal.SIGKILL)


def watch(stream, grace, log=None):
    """Read group ids from `stream` until `exit` (return False: nothing to do) or end of input
    (stop the groups, return True)."""
    pgids = []
    for line in stream:
        word = line.strip()
        if word == 'exit':
            return False
        if word.isdigit():
            pgids.append(int(word))
    if pgids:
        try:
            (log or sys.stderr).write('ch3 launch: the launcher ended without stopping its '
                                      'processes; stopping them\n')
            (log or sys.stderr).flush()
        except (OSError, ValueError):   # nobody reads the launcher's stderr any more
            pass
        stop_groups(pgids, grace)
    return True


def main(argv):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    watch(sys.stdin, float(argv[1]))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
