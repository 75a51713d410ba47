"""argparse `type=` converters shared by the `ch3` command and `ch3 launch` (one message style)."""
import argparse
import math


def int_at_least(minimum, what):
    """A converter accepting an integer >= minimum; the message names `what`."""
    def convert(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError('%s must be an integer, got %r' % (what, text))
        if value < minimum:
            raise argparse.ArgumentTypeError('%s must be >= %d, got %d' % (what, minimum, value))
        return value
    return convert


def positive_number(unit=''):
    """A converter accepting a finite number > 0 (`unit`, e.g. ' of seconds', goes in messages)."""
    def convert(text):
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError('must be a number%s, got %r' % (unit, text))
        if not (value > 0 and math.isfinite(value)):
            raise argparse.ArgumentTypeError('must be a finite number%s > 0, got %r' % (unit, text))
        return value
    return convert


def add_ctx_option(parser):
    """The --ctx option of every command that trains (one definition, one help text)."""
    parser.add_argument('--ctx', default='cpu', metavar='DEVICES',
                        help='cpu, gpu, gpu:1 or a list such as gpu:0,gpu:1 (default: cpu)')


def add_seed_option(parser):
    """The --seed option of every command that trains."""
    parser.add_argument('--seed', type=int_at_least(0, 'seed'), default=0, metavar='N',
                        help='random seed for Python, numpy and MXNet (default: 0)')
