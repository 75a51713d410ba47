"""The one helper behind scripts/sec3_*.py: parse the common options and run a section.

A script is `raise SystemExit(run_script('3.9'))`; it takes the options of `ch3 run 3.9` that
section 3.9 has (--help lists them with their defaults) and behaves the same, errors included
(one line on stderr, exit status 2).
"""
import os
import sys

from ch3.harness.cli import (CommandParser, EXIT_OK, add_run_options, dispatch,
                             hyperparameters_from_args, run_and_write)
from ch3.harness.registry import get_section


def build_script_parser(section, prog=None, description=None):
    """3.x scripts: the parser of `ch3 run SECTION`'s options for one fixed section: only the
    options the section takes, with their default values."""
    spec = get_section(section)
    parser = CommandParser(prog=prog or os.path.basename(sys.argv[0]),
                           description=description or '%s %s; the same as `ch3 run %s`.'
                           % (spec.number, spec.title, spec.number))
    return add_run_options(parser, spec)


def _run(section):
    def handler(args, parser):
        run_and_write(section, impl=args.impl, ctx=args.ctx, seed=args.seed, quick=args.quick,
                      out=args.out, hyperparameters=hyperparameters_from_args(args))
        return EXIT_OK
    return handler


def run_script(section, argv=None, description=None):
    """Parse argv (default sys.argv[1:]) with the common options and run `section`; exit status."""
    parser = build_script_parser(section, description=description)
    args = parser.parse_args(argv)
    args.handler = _run(section)
    return dispatch(args, parser)
