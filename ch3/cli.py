"""The `ch3` command: thin layer that parses options and calls the library."""
import argparse
import sys


def build_parser():
    """Return the argparse parser of the `ch3` command."""
    from ch3 import __version__
    parser = argparse.ArgumentParser(
        prog='ch3', description='Chapter 3 of Dive into Deep Learning (MXNet): run sections, '
                                'exercises and the chapter report.')
    parser.add_argument('--version', action='version', version='ch3 %s' % __version__)
    parser.add_subparsers(dest='command', metavar='COMMAND')
    return parser


def main(argv=None):
    """Entry point of the console script; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return 0


if __name__ == '__main__':
    sys.exit(main())
