"""`ch3 launch`: run a command as the workers of an MXNet parameter-server job on this machine.

MXNet's distributed kvstore ('dist_sync', 'dist_async') is three kinds of process that find each
other through DMLC_* environment variables:

    scheduler   DMLC_ROLE=scheduler   listens on DMLC_PS_ROOT_URI:DMLC_PS_ROOT_PORT, introduces nodes
    server      DMLC_ROLE=server      holds the summed gradients (`python -c 'import mxnet'`)
    worker      DMLC_ROLE=worker      the training command, e.g. `ch3 run 3.7 --kvstore dist_sync`

all with DMLC_NUM_WORKER and DMLC_NUM_SERVER. The launcher starts 1 scheduler, S servers and N
workers on 127.0.0.1, each in its own process group, prefixes their output with their role and
launch index, and waits. When all workers succeed the scheduler and servers stop by themselves;
when any process fails (or on a timeout, Ctrl-C or SIGTERM) the others get SIGTERM, then SIGKILL
after a grace period, and the launcher returns the failing status. If the launcher itself dies
(even by SIGKILL), its processes get SIGTERM from the kernel (a parent-death signal) and a small
watchdog process (ch3.harness.launch_watchdog) stops their whole process groups the same way, so
no process of the job outlives it. A worker's launch index (also in CH3_LAUNCH_INDEX) is not its
kvstore rank, which the scheduler assigns.
"""
import argparse
import contextlib
import errno
import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import List, Optional

from ch3.harness import launch_watchdog
from ch3.harness.argtypes import int_at_least, positive_number
from ch3.harness.launch_watchdog import in_group as _in_group

HOST = '127.0.0.1'
EXIT_FAILED, EXIT_USAGE, EXIT_TIMEOUT, EXIT_INTERRUPTED = 1, 2, 124, 130
DEFAULT_GRACE = 5.0          # seconds between SIGTERM and SIGKILL
SHUTDOWN_WAIT = 15.0         # seconds the scheduler and servers get to stop after the workers
LAUNCH_HELP = ('run a command as N workers (+ servers and a scheduler) of an MXNet dist kvstore '
               'job on this machine')


class LaunchError(ValueError):
    """The job cannot be started as asked (bad counts, port in use, command not found)."""


class _Terminated(Exception):
    """The launcher itself got SIGTERM."""


@dataclass
class Node:
    """One process of the job: role ('scheduler', 'server', 'worker'), launch index, command,
    environment additions, and once started its Popen and output thread."""
    role: str
    index: int
    command: List[str]
    env: dict
    proc: Optional[subprocess.Popen] = None
    reader: Optional[threading.Thread] = field(default=None, repr=False)

    @property
    def label(self):
        return self.role if self.role == 'scheduler' else '%s %d' % (self.role, self.index)

    @property
    def returncode(self):
        return None if self.proc is None else self.proc.poll()


def _check_count(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise LaunchError('%s must be an integer >= %d, got %r' % (name, minimum, value))
    return value


def find_free_port(host=HOST):
    """A TCP port on host that nothing listens on now (the kernel's choice)."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def check_port_free(port, host=HOST):
    """Return port if the scheduler can listen on host:port, else LaunchError naming it."""
    _check_count('port', port, 1)
    if port > 65535:
        raise LaunchError('port must be at most 65535, got %d' % port)
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        # like the scheduler's own listener (ZeroMQ sets SO_REUSEADDR): only a live listener or
        # connection on the port makes it unusable, not one left in TIME_WAIT
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                raise LaunchError('port %d on %s is in use; choose another with --port, or leave '
                                  '--port out to use a free one' % (port, host)) from err
            raise LaunchError('cannot use port %d on %s: %s' % (port, host, err)) from err
    return port


def server_command(python=None):
    """The command of the scheduler and the servers: importing mxnet with DMLC_ROLE=server or
    scheduler runs that role until the job ends, then exits."""
    return [python or sys.executable, '-c', 'import mxnet']


def node_environment(role, port, num_workers, num_servers, index=0, host=HOST):
    """The DMLC_* variables (and CH3_LAUNCH_INDEX) of one process of the job."""
    return {'DMLC_ROLE': role, 'DMLC_PS_ROOT_URI': host, 'DMLC_PS_ROOT_PORT': str(port),
            'DMLC_NUM_WORKER': str(num_workers), 'DMLC_NUM_SERVER': str(num_servers),
            'DMLC_NODE_HOST': host, 'CH3_LAUNCH_INDEX': str(index), 'PYTHONUNBUFFERED': '1'}


def _resolve(command):
    if not command:
        raise LaunchError('no worker command given: ch3 launch -n 2 -- ch3 run 3.7 '
                          '--kvstore dist_sync')
    path = shutil.which(command[0])
    if path is None:
        raise LaunchError('worker command %r not found; give its path (e.g. .venv/bin/ch3) or '
                          'use `python -m ch3`' % command[0])
    return [path] + list(command[1:])


def _exit_status(returncode):
    """A shell-style status: the code itself, or 128 + N for a process killed by signal N."""
    return 128 - returncode if returncode < 0 else returncode


def _set_parent_death_signal(launcher_pid):
    """In the child (Linux): get SIGTERM if the launcher dies, so a killed launcher leaves no job;
    a launcher already gone before the signal was set ends the child at once."""
    try:
        import ctypes
        ctypes.CDLL('libc.so.6', use_errno=True).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != launcher_pid:
        os._exit(128 + signal.SIGTERM)


def _start_watchdog(grace):
    """The process that stops the job's groups if the launcher dies (see launch_watchdog)."""
    return subprocess.Popen(
        [sys.executable, '-I', '-S', launch_watchdog.__file__, repr(float(grace))],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, start_new_session=True)


def _tell(watchdog, line):
    with contextlib.suppress(OSError, ValueError):   # a watchdog killed by hand
        watchdog.stdin.write(line.encode() + b'\n')
        watchdog.stdin.flush()


class Job:
    """A scheduler, `num_servers` servers and `num_workers` copies of `command` on 127.0.0.1.

    run() starts them, forwards their output to `stream` (each line prefixed with `[role i]`),
    waits, and returns 0 when every process succeeded; otherwise the first failing status (a
    signal N gives 128 + N), 124 on timeout, 130 on Ctrl-C or SIGTERM. Every process it started is
    gone when run() returns.
    """

    def __init__(self, command, num_workers, num_servers=1, port=None, timeout=None,
                 grace=DEFAULT_GRACE, shutdown_wait=SHUTDOWN_WAIT, stream=None, log=None,
                 server_cmd=None):
        self.num_workers = _check_count('number of workers (-n)', num_workers, 1)
        self.num_servers = _check_count('number of servers (-s)', num_servers, 1)
        if timeout is not None and not timeout > 0:
            raise LaunchError('timeout must be a number of seconds > 0, got %r' % (timeout,))
        self.timeout, self.grace, self.shutdown_wait = timeout, grace, shutdown_wait
        self.command = _resolve(list(command))
        self.port = check_port_free(port) if port is not None else find_free_port()
        self.stream = stream or sys.stdout
        self.log = log or sys.stderr
        self.server_cmd = list(server_cmd or server_command())
        self.nodes = self._plan()
        self.watchdog = None
        self._lock = threading.Lock()

    def _plan(self):
        def env(role, index):
            return node_environment(role, self.port, self.num_workers, self.num_servers, index)
        nodes = [Node('scheduler', 0, self.server_cmd, env('scheduler', 0))]
        nodes += [Node('server', i, self.server_cmd, env('server', i))
                  for i in range(self.num_servers)]
        nodes += [Node('worker', i, self.command, env('worker', i))
                  for i in range(self.num_workers)]
        return nodes

    # ---- output ----

    def _say(self, message):
        with self._lock:
            self.log.write('ch3 launch: %s\n' % message)
            self.log.flush()

    def _forward(self, node):
        prefix = '[%s] ' % node.label
        for raw in iter(node.proc.stdout.readline, b''):
            line = raw.decode('utf-8', 'replace').rstrip('\r\n')
            with self._lock:
                self.stream.write(prefix + line + '\n')
                self.stream.flush()
        node.proc.stdout.close()

    # ---- processes ----

    def _start(self):
        base = {k: v for k, v in os.environ.items() if not k.startswith('DMLC_')}
        self.watchdog = _start_watchdog(self.grace)
        on_linux = sys.platform.startswith('linux')
        for node in self.nodes:
            env = dict(base)
            env.update(node.env)
            node.proc = subprocess.Popen(
                node.command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=functools.partial(_set_parent_death_signal, os.getpid())
                if on_linux else None)
            _tell(self.watchdog, str(node.proc.pid))   # its own group: pgid == pid
        for node in self.nodes:   # threads only after every fork (preexec_fn and threads mix badly)
            node.reader = threading.Thread(target=self._forward, args=(node,), daemon=True)
            node.reader.start()

    def _signal_all(self, sig):
        for node in self.nodes:
            if node.proc is None:
                continue
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(node.proc.pid, sig)   # its group: children of the command too

    def stop(self):
        """SIGTERM to every process group, SIGKILL to what is left after `grace` seconds; reap."""
        self._signal_all(signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        while time.monotonic() < deadline and any(
                n.proc is not None and (n.returncode is None or _in_group(n.proc.pid))
                for n in self.nodes):
            time.sleep(0.05)
        self._signal_all(signal.SIGKILL)
        for node in self.nodes:
            if node.proc is not None:
                node.proc.wait()
        for node in self.nodes:
            if node.reader is not None:
                node.reader.join(timeout=2)
        if self.watchdog is not None:   # everything is stopped: the watchdog has nothing to do
            _tell(self.watchdog, 'exit')
            with contextlib.suppress(OSError):
                self.watchdog.stdin.close()
            self.watchdog.wait()
            self.watchdog = None

    def _workers(self):
        return [n for n in self.nodes if n.role == 'worker']

    def _first_failure(self):
        for node in self.nodes:
            code = node.returncode
            if code is not None and code != 0:
                return node
        return None

    def _supervise(self):
        """Wait for the workers; returns the job's status (processes may still be running)."""
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        while True:
            failed = self._first_failure()
            if failed is not None:
                status = _exit_status(failed.returncode)
                self._say('%s exited with status %d; stopping the other processes'
                          % (failed.label, status))
                return status
            if all(n.returncode == 0 for n in self._workers()):
                break
            if deadline is not None and time.monotonic() > deadline:
                self._say('timed out after %g s; stopping every process' % self.timeout)
                return EXIT_TIMEOUT
            time.sleep(0.05)
        # the workers are done: the scheduler and servers leave once the workers disconnect
        wait_until = time.monotonic() + self.shutdown_wait
        while time.monotonic() < wait_until:
            failed = self._first_failure()
            if failed is not None:
                status = _exit_status(failed.returncode)
                self._say('%s exited with status %d after the workers finished'
                          % (failed.label, status))
                return status
            if all(n.returncode == 0 for n in self.nodes):
                return 0
            time.sleep(0.05)
        left = [n.label for n in self.nodes if n.returncode is None]
        self._say('the workers finished but %s did not stop within %g s: the workers never '
                  'joined the job; does the command use a dist kvstore (e.g. ch3 run 3.7 '
                  '--kvstore dist_sync)?' % (', '.join(left), self.shutdown_wait))
        return EXIT_FAILED

    def run(self):
        """Start the job, wait for it, stop whatever is left; return the job's exit status."""
        in_main = threading.current_thread() is threading.main_thread()
        previous = {}
        if in_main:
            def on_sigterm(signum, frame):
                raise _Terminated()
            previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
            signal.signal(signal.SIGTERM, on_sigterm)
        try:
            self._say('scheduler on %s:%d, %d server(s), %d worker(s): %s'
                      % (HOST, self.port, self.num_servers, self.num_workers,
                         ' '.join(self.command)))
            try:
                self._start()
                status = self._supervise()
            except KeyboardInterrupt:
                self._say('interrupted; stopping every process')
                status = EXIT_INTERRUPTED
            except _Terminated:
                self._say('terminated; stopping every process')
                status = EXIT_INTERRUPTED
            finally:
                if in_main:   # a second Ctrl-C must not cut the clean-up short
                    signal.signal(signal.SIGINT, signal.SIG_IGN)
                    signal.signal(signal.SIGTERM, signal.SIG_IGN)
                self.stop()
        finally:
            for sig, handler in previous.items():
                if handler is not None:
                    signal.signal(sig, handler)
        return status


def launch(command, num_workers, num_servers=1, port=None, timeout=None, grace=DEFAULT_GRACE,
           stream=None, log=None):
    """Run `command` (a list) as num_workers workers of a dist kvstore job on 127.0.0.1 with
    num_servers servers and a scheduler; return 0, or the status of the first process to fail."""
    return Job(command, num_workers, num_servers, port=port, timeout=timeout, grace=grace,
               stream=stream, log=log).run()


# ---- `ch3 launch` (registered in ch3.harness.cli) ----

def configure_launch(parser):
    """The arguments of `ch3 launch`."""
    parser.add_argument('-n', '--num-workers', type=int_at_least(1, 'workers'), required=True,
                        metavar='WORKERS', help='number of worker processes')
    parser.add_argument('-s', '--num-servers', type=int_at_least(1, 'servers'), default=1,
                        metavar='SERVERS', help='number of server processes (default: 1)')
    parser.add_argument('--port', type=int_at_least(1, 'port'), metavar='PORT',
                        help="the scheduler's port on 127.0.0.1 (default: a free one)")
    parser.add_argument('--timeout', type=positive_number(' of seconds'), metavar='SECONDS',
                        help='stop every process and exit with status 124 after this long')
    parser.add_argument('--grace', type=positive_number(' of seconds'), default=DEFAULT_GRACE,
                        metavar='SECONDS',
                        help='time between SIGTERM and SIGKILL when stopping (default: %g)'
                             % DEFAULT_GRACE)
    parser.add_argument('command', nargs=argparse.REMAINDER, metavar='-- COMMAND',
                        help='the worker command, e.g. -- ch3 run 3.7 --kvstore dist_sync')


def launch_command(args, parser):
    """`ch3 launch`: run the job and return its status."""
    command = list(args.command)
    if command and command[0] == '--':
        command = command[1:]
    return launch(command, args.num_workers, args.num_servers, port=args.port,
                  timeout=args.timeout, grace=args.grace)
