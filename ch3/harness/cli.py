"""The `ch3` command: a thin layer that parses options and calls the library.

    ch3 list                         every section with its title, module and versions
    ch3 run SECTION [options]        train one section, print the book's lines, write metrics.json
    ch3 report [--quick] --out DIR   run every section, write one HTML page with all results
    ch3 exercise ID|list|report      run an exercise, list them, regenerate docs/exercises.md
    ch3 launch -n N -- COMMAND       run COMMAND as N workers of a dist kvstore job (ch3.harness.launch)

Subcommands live in the COMMANDS table; a new one is added with `register_command(name, help,
configure, handler)` (configure adds its arguments to an argparse parser, handler(args, parser)
returns the exit status). User mistakes (unknown section, bad values, a missing GPU or data set)
end with one line `ch3 <command>: error: ...` on stderr and exit status 2; set CH3_DEBUG=1 to see
the traceback instead.
"""
import argparse
import ast
import contextlib
import difflib
import json
import os
import sys
import tempfile
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

from ch3.harness import interrupt
from ch3.harness.argtypes import add_ctx_option, add_seed_option, int_at_least, positive_number
from ch3.context import parse_ctx
from ch3.harness.distributed import is_distributed, worker_folder
from ch3.harness.exercises.cli import EXERCISE_HELP, configure_exercise, exercise_command
from ch3.harness.launch import LAUNCH_HELP, configure_launch, launch_command
from ch3.harness.registry import (check_hyperparameters, check_values, get_section,
                                  list_sections, run_section, tunable)
from ch3.harness.settings import QUICK, quick_overridden
from ch3.book.training import TrainingDiverged
from ch3.harness.results import (UsageError, in_book_order, metrics_record, relocate,
                                 summary_line, write_metrics, wrote_line)
from ch3.utils import staged_dir

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

# Options of `ch3 run` that map onto a section's hyperparameters (option dest -> hyperparameter).
HYPERPARAMETER_OPTIONS = OrderedDict([('epochs', 'num_epochs'), ('batch_size', 'batch_size'),
                                      ('lr', 'lr'), ('kvstore', 'kvstore')])
IMPL_CHOICES = ('scratch', 'gluon', 'both')
OWN_OPTIONS = ('ctx', 'quick', 'out', 'seed')   # never hyperparameters given with --set

# Errors that come from what the user asked for, not from a bug: one line, exit status 2.
# FileNotFoundError covers a missing data set, OSError a failed download or an unwritable --out.
USER_ERRORS = (ValueError, TrainingDiverged, OSError)


class CommandParser(argparse.ArgumentParser):
    """argparse parser whose errors are a single line `prog: error: message` (exit status 2);
    a mistyped option gets a "did you mean"."""

    def error(self, message):
        self.exit(EXIT_USAGE, '%s: error: %s%s (see %s --help)\n'
                  % (self.prog, message, self._guess(message), self.prog))

    def _guess(self, message):
        if not message.startswith('unrecognized arguments:'):
            return ''
        known = [o for action in self._actions for o in action.option_strings]
        guesses = []
        for word in message.split(':', 1)[1].split():
            close = difflib.get_close_matches(word.split('=')[0], known, n=1, cutoff=0.75)
            if word.startswith('-') and close:
                guesses.append(close[0])
        return '; did you mean %s?' % ', '.join(guesses) if guesses else ''


@dataclass(frozen=True)
class Command:
    """One subcommand: `configure(parser)` adds its arguments, `handler(args, parser)` runs it."""
    name: str
    help: str
    configure: Callable
    handler: Callable


COMMANDS = OrderedDict()


def register_command(name, help, configure, handler):
    """Add (or replace) the subcommand `name`; later issues plug `launch`, `exercise` in here."""
    COMMANDS[name] = Command(name, help, configure, handler)
    return COMMANDS[name]


# ---- option types: argparse turns their ArgumentTypeError into `argument --x: message` ----

def parse_assignment(text):
    """`name=value` -> (name, value); value is a Python literal (3, 0.5, True, [1, 2]) or a string."""
    name, sep, raw = text.partition('=')
    name = name.strip().replace('-', '_')
    if not sep or not name.isidentifier():
        raise argparse.ArgumentTypeError('expected name=value (e.g. wd=3 or num_hiddens=512), '
                                         'got %r' % text)
    try:
        value = ast.literal_eval(raw.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):   # {[]: 1}, [[[...
        value = raw.strip()
    return name, value


# ---- `ch3 run` and the scripts: the shared run options ----

def _defaults(spec):
    """{hyperparameter: default} of a section, from its default version first."""
    import inspect
    defaults = OrderedDict()
    for impl in [spec.default_impl] + [i for i in in_book_order(spec.impls)
                                       if i != spec.default_impl]:
        parameters = inspect.signature(spec.impls[impl]).parameters
        for name in tunable(spec.impls[impl]):
            defaults.setdefault(name, parameters[name].default)
    return defaults


def _default_text(defaults, name):
    return 'default: %r' % (defaults[name],) if name in defaults else ''


def add_run_options(parser, spec=None):
    """Add the options common to `ch3 run` and scripts/sec3_*.py (everything after SECTION);
    for one section (`spec`, the scripts) only the options it takes, with their defaults."""
    defaults = _defaults(spec) if spec else None

    def takes(name):
        return defaults is None or name in defaults

    def default(name, generic):
        return _default_text(defaults, name) if defaults is not None else generic
    if spec is None:
        parser.add_argument('--impl', choices=IMPL_CHOICES,
                            help="version to run: scratch, gluon or both (default: the section's "
                                 "own, e.g. 3.3 is the Gluon linear regression)")
    elif len(spec.impls) > 1:
        parser.add_argument('--impl', choices=in_book_order(spec.impls) + ['both'],
                            help='version to run (default: %s)' % spec.default_impl)
    add_ctx_option(parser)
    if takes('num_epochs'):
        parser.add_argument('--epochs', type=int_at_least(1, 'epochs'), metavar='N',
                            help='number of epochs, num_epochs (%s)'
                                 % default('num_epochs', "default: the book's"))
    if takes('batch_size'):
        parser.add_argument('--batch-size', type=int_at_least(1, 'batch size'), metavar='N',
                            help='minibatch size (%s)' % default('batch_size', "default: the book's"))
    if takes('lr'):
        parser.add_argument('--lr', type=positive_number(), metavar='X',
                            help='learning rate (%s)' % default('lr', "default: the book's"))
    if takes('kvstore'):
        parser.add_argument('--kvstore', metavar='NAME',
                            help="MXNet kvstore of the Gluon trainer: device (default), local, or "
                                 "dist_sync / dist_async inside `ch3 launch`")
    others = [name for name in defaults or ()
              if name not in HYPERPARAMETER_OPTIONS.values() and name not in OWN_OPTIONS]
    if defaults is None or others:
        parser.add_argument('--set', dest='overrides', type=parse_assignment, action='append',
                            default=[], metavar='NAME=VALUE',
                            help='any other hyperparameter of the section, e.g. --set wd=3; '
                                 'repeatable' if defaults is None else
                                 'another hyperparameter, repeatable; this section takes (with '
                                 'its default): %s' % ', '.join('%s=%r' % (n, defaults[n])
                                                                for n in others))
    else:
        parser.set_defaults(overrides=[])
    add_seed_option(parser)
    parser.add_argument('--out', metavar='DIR',
                        help='folder for metrics.json and the figures (default: out/%s)'
                             % (spec.number if spec else 'SECTION'))
    quick = QUICK.get(spec.number) if spec else None
    parser.add_argument('--quick', action='store_true',
                        help='train briefly on a subset (smoke runs, CI)%s; values you type win'
                             % (': ' + ', '.join('%s=%r' % kv for kv in quick.items())
                                if quick else ''))
    return parser


def hyperparameters_from_args(args):
    """The hyperparameters the user set on the command line (only those given)."""
    chosen = OrderedDict()
    for option, name in HYPERPARAMETER_OPTIONS.items():
        value = getattr(args, option, None)
        if value is not None:
            chosen[name] = value
    for name, value in getattr(args, 'overrides', []):
        if name in chosen:
            raise UsageError('hyperparameter %s is given twice' % name)
        if name in OWN_OPTIONS:
            raise UsageError('%s is an option of its own: use --%s, not --set' % (name, name))
        chosen[name] = value
    return chosen


def _option_name(hyperparameter):
    for option, name in HYPERPARAMETER_OPTIONS.items():
        if name == hyperparameter:
            return '--' + option.replace('_', '-')
    return '--set %s=...' % hyperparameter


def impls_to_run(spec, impl):
    """The versions `--impl` asks for: one name, or with 'both' every version the section has."""
    if impl is None:
        return [spec.default_impl]
    if impl == 'both':
        return in_book_order(spec.impls)
    if impl not in spec.impls:
        raise UsageError('section %s has no %s version; it has: %s'
                         % (spec.number, impl, ', '.join(sorted(spec.impls))))
    return [impl]


def check_hyperparameters_apply(spec, impls, hyperparameters):
    """Before any training: every hyperparameter given must exist in every version to run and
    have a value it can run with (with or without --quick)."""
    for impl in impls:
        try:
            check_hyperparameters(spec.number, impl, spec.impls[impl], hyperparameters,
                                  _option_name)
            check_values(spec.number, impl, spec.impls[impl], hyperparameters, _option_name)
        except ValueError as error:
            raise UsageError(str(error)) from None


def check_out_folder(path, option='--out'):
    """Before any training: `path` can be a folder we write into (it, or the nearest folder
    above it that exists, takes a file); UsageError naming `option` otherwise. Leaves nothing."""
    try:
        path.encode('utf-8')
    except UnicodeEncodeError:
        raise UsageError('%s %r is not a UTF-8 name, which metrics.json cannot record; choose '
                         'another folder name' % (option, path)) from None
    if os.path.exists(path) and not os.path.isdir(path):
        raise UsageError('%s %s is a file, not a folder' % (option, path))
    folder = os.path.abspath(path)
    while not os.path.isdir(folder):
        parent = os.path.dirname(folder)
        if os.path.exists(folder) or parent == folder:   # a file on the way
            raise UsageError('%s %s cannot be created: %s is not a folder'
                             % (option, path, folder))
        folder = parent
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise UsageError('%s %s is not writable (%s: %s); choose another folder'
                         % (option, path, folder, error.strerror)) from None


def say_quick_overrides(spec, impls, hyperparameters, stream=None):
    """Under --quick, say which of the user's values replace quick mode's own."""
    said = set()
    for impl in impls:
        for name, given, value in quick_overridden(spec.number, hyperparameters,
                                                   tunable(spec.impls[impl])):
            if name not in said:
                said.add(name)
                print('ch3: note: using your %s=%r, not --quick\'s %r'
                      % (name, given, value), file=stream or sys.stderr)


def run_and_write(section, impl=None, ctx='cpu', seed=0, quick=False, out=None,
                  hyperparameters=None, stream=None):
    """Run one section (impl: a version name, 'both' or None for the section's own) and write
    `out/metrics.json` (with 'both': `out/<impl>/metrics.json`) and its figures; returns the results.
    """
    stream = stream or sys.stdout
    hyperparameters = dict(hyperparameters or {})
    spec = get_section(section)
    impls = impls_to_run(spec, impl)
    parse_ctx(ctx)   # a missing GPU is reported before anything runs
    check_hyperparameters_apply(spec, impls, hyperparameters)
    out = out or os.path.join('out', spec.number)
    check_out_folder(out)
    if quick:
        say_quick_overrides(spec, impls, hyperparameters)
    # the whole folder is replaced at the end, or left as it was when a run fails (no figure of a
    # diverged run survives); the workers of a distributed job share `out` (each its worker-<rank>)
    staged = (contextlib.nullcontext(out) if is_distributed(hyperparameters.get('kvstore') or '')
              else staged_dir(out))
    with staged as staging:
        results, paths = [], []
        for name in impls:
            folder = os.path.join(staging, name) if impl == 'both' else staging
            result = run_section(spec.number, impl=name, ctx=ctx, seed=seed, quick=quick,
                                 out=folder, **hyperparameters)
            folder = worker_folder(folder, result)   # a distributed worker: folder/worker-<rank>
            figures = result.get('figures')   # metrics.json names them relative to the folder
            result = relocate(result, staging, out)   # e.g. 3.16's submission path
            result['figures'] = figures
            path = write_metrics(metrics_record(result, folder),
                                 os.path.join(folder, 'metrics.json'))
            print(summary_line(result), file=stream, flush=True)
            results.append(result)
            paths.append(relocate(path, staging, out))
    for path, result in zip(paths, results):   # where the files are now
        result['figures'] = relocate(result.get('figures') or [], staging, out)
        print(wrote_line(path, result), file=stream, flush=True)
    return results


def run_command(args, parser):
    """`ch3 run`: train the chosen section(s) and write metrics.json and figures."""
    run_and_write(args.section, impl=args.impl, ctx=args.ctx, seed=args.seed, quick=args.quick,
                  out=args.out, hyperparameters=hyperparameters_from_args(args))
    return EXIT_OK


def configure_run(parser):
    parser.add_argument('section', metavar='SECTION', help='section number, e.g. 3.6 (see ch3 list)')
    add_run_options(parser)


# ---- `ch3 list` ----

def list_command(args, parser):
    """`ch3 list`: every section with its title, module and versions (the default marked *)."""
    sections = list_sections()
    if args.json:
        json.dump(sections, sys.stdout, indent=2)
        sys.stdout.write('\n')
        return EXIT_OK
    rows = [('section', 'title', 'module', 'versions')]
    for s in sections:
        versions = ', '.join(name + ('*' if name == s['default_impl'] and len(s['impls']) > 1
                                     else '') for name in in_book_order(s['impls']))
        rows.append((s['section'], s['title'], s['module'].rsplit('.', 1)[-1], versions))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print('  '.join(cell.ljust(width) for cell, width in zip(row, widths)) + '  ' + row[3])
    print('(* the version `ch3 run SECTION` runs without --impl)')
    return EXIT_OK


def configure_list(parser):
    parser.add_argument('--json', action='store_true', help='print the list as JSON')


# ---- `ch3 report` ----

def report_command(args, parser):
    """`ch3 report`: run every section and write the chapter's HTML page and metrics."""
    from ch3.harness.report import build_report
    sections = [s.strip() for s in args.sections.split(',') if s.strip()] if args.sections else None
    parse_ctx(args.ctx)
    if sections:
        for number in sections:
            get_section(number)   # ValueError (with a guess) before anything runs
    check_out_folder(args.out)
    report = build_report(args.out, quick=args.quick, ctx=args.ctx, seed=args.seed,
                          sections=sections)
    return EXIT_OK if not report['failed'] else EXIT_FAILED


def configure_report(parser):
    parser.add_argument('--quick', action='store_true',
                        help='short runs on subsets (smoke test, CI); not comparable with the book')
    add_ctx_option(parser)
    add_seed_option(parser)
    parser.add_argument('--sections', metavar='LIST',
                        help='only these sections, e.g. 3.2,3.6 (default: all)')
    parser.add_argument('--out', default=os.path.join('out', 'report'), metavar='DIR',
                        help='folder for index.html, metrics.json and figures (default: out/report)')


register_command('list', 'list every section with its title, module and versions',
                 configure_list, list_command)
register_command('run', 'train one section and write metrics.json and its figures',
                 configure_run, run_command)
register_command('report', 'run every section and write the chapter report (HTML + metrics)',
                 configure_report, report_command)
register_command('exercise', EXERCISE_HELP, configure_exercise, exercise_command)
register_command('launch', LAUNCH_HELP, configure_launch, launch_command)


def build_parser():
    """Return the argparse parser of the `ch3` command (one subparser per COMMANDS entry)."""
    from ch3 import __version__
    parser = CommandParser(
        prog='ch3', description='Chapter 3 of Dive into Deep Learning (MXNet): run sections, '
                                'exercises and the chapter report.')
    parser.add_argument('--version', action='version', version='ch3 %s' % __version__)
    subparsers = parser.add_subparsers(dest='command', metavar='COMMAND')
    for command in COMMANDS.values():
        sub = subparsers.add_parser(command.name, help=command.help, description=command.help)
        command.configure(sub)
        sub.set_defaults(handler=command.handler, command_parser=sub)
    return parser


def report_user_error(parser, error):
    """Print `prog: error: message` on stderr (the argparse convention, one line: a message of
    several lines is joined) and return exit status 2."""
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    message = '; '.join(lines) or type(error).__name__
    sys.stderr.write('%s: error: %s\n' % (parser.prog, message.replace(':;', ':')))
    return EXIT_USAGE


def dispatch(args, parser):
    """Call args.handler, turning user mistakes into one stderr line and exit status 2."""
    try:
        return args.handler(args, parser)
    except KeyboardInterrupt as error:   # Ctrl-C, or SIGTERM under interrupt.handle_signals
        return interrupt.report(parser.prog, error)
    except (UsageError,) + USER_ERRORS as error:
        if os.environ.get('CH3_DEBUG'):
            raise
        return report_user_error(parser, error)


def main(argv=None):
    """Entry point of the console script; returns the process exit status (130 after Ctrl-C,
    143 after SIGTERM: one line on stderr, no traceback, no half-written file)."""
    with interrupt.handle_signals():
        try:
            parser = build_parser()
            args, extra = parser.parse_known_args(argv)
            if extra:   # reported by the subcommand's parser: one prefix, with a guess
                (getattr(args, 'command_parser', None) or parser).error(
                    'unrecognized arguments: %s' % ' '.join(extra))
            if args.command is None:
                parser.print_help()
                return EXIT_OK
            return dispatch(args, args.command_parser)
        except KeyboardInterrupt as error:   # before a command started (dispatch reports its own)
            return interrupt.report('ch3', error)


if __name__ == '__main__':
    sys.exit(main())
