"""Property tests for what the `ch3` command parses: --ctx (ch3.context.parse_ctx), --set
NAME=VALUE (ch3.harness.cli.parse_assignment) and the option types of ch3.harness.argtypes.

For any text each parser either returns what the text means or refuses it with its own error
(ValueError for parse_ctx, argparse.ArgumentTypeError for option types); the command itself turns
every refusal into one line on stderr and exit status 2.
"""
import argparse
import contextlib
import io
import math
from unittest import mock

import mxnet as mx
import pytest
from hypothesis import assume, example, given, settings, strategies as st

from ch3.harness import cli
from ch3.harness.argtypes import int_at_least, positive_number
from ch3.context import has_cuda_build, parse_ctx

any_text = st.text(max_size=20)


# ------------------------------------------------------------------------------ --ctx

def spelling(index):
    """The ways a CPU device may be written: cpu, cpu:i, cpu(i), any case, spaces around."""
    forms = ['cpu:%d' % index, 'cpu(%d)' % index] + (['cpu'] if index == 0 else [])
    return st.tuples(st.sampled_from(forms), st.booleans(), st.sampled_from(['', ' ', '  '])) \
        .map(lambda t: t[2] + (t[0].upper() if t[1] else t[0]) + t[2])


@settings(max_examples=60)
@given(st.lists(st.integers(0, 63), min_size=1, max_size=5, unique=True).flatmap(
    lambda indices: st.tuples(st.just(indices), st.tuples(*map(spelling, indices)))))
def test_cpu_lists_parse_to_those_devices_in_order(case):
    indices, texts = case
    assert parse_ctx(','.join(texts)) == [mx.cpu(i) for i in indices]
    assert parse_ctx(','.join(texts) + ',') == [mx.cpu(i) for i in indices]   # empty part


@settings(max_examples=30)
@given(st.lists(st.integers(0, 63), min_size=1, max_size=4), st.data())
def test_a_device_named_twice_is_refused(indices, data):
    twice = indices + [data.draw(st.sampled_from(indices))]
    with pytest.raises(ValueError, match='names a device twice'):
        parse_ctx(','.join('cpu:%d' % i for i in twice))


@settings(max_examples=100)
@given(st.one_of(any_text, st.from_regex(r'(?i)\s*(cpu|gpu)([:(]\d{1,3}\)?)?\s*(,.*)?',
                                         fullmatch=True)))
def test_any_ctx_text_gives_devices_or_a_value_error(text):
    try:
        contexts = parse_ctx(text)
    except ValueError as err:
        assert str(err)
        return
    assert contexts and all(isinstance(c, mx.Context) for c in contexts)
    assert len(set(contexts)) == len(contexts)
    if not has_cuda_build():
        assert all(c.device_type == 'cpu' for c in contexts)


# ------------------------------------------------------------------------------ --set NAME=VALUE

names = st.from_regex(r'[A-Za-z_][A-Za-z0-9_]{0,10}', fullmatch=True)
literals = st.recursive(
    st.one_of(st.integers(-10 ** 6, 10 ** 6), st.floats(allow_nan=False, allow_infinity=False),
              st.booleans(), st.none(), st.text(max_size=8)),
    lambda inner: st.lists(inner, max_size=3) | st.tuples(inner, inner), max_leaves=6)


@settings(max_examples=80)
@given(names, literals, st.sampled_from(['', ' ']))
def test_set_reads_python_literals(name, value, space):
    got_name, got_value = cli.parse_assignment('%s%s=%s%r' % (name, space, space, value))
    assert got_name == name and got_value == value and type(got_value) is type(value)


@settings(max_examples=40)
@given(names, st.from_regex(r'[A-Za-z][A-Za-z0-9_./-]{0,10}', fullmatch=True))
def test_set_keeps_other_values_as_text(name, text):
    assume(text not in ('True', 'False', 'None'))
    assert cli.parse_assignment('%s=%s' % (name.replace('_', '-'), text)) == (name, text)


@settings(max_examples=100)
@example('x={[]: 1}')            # literal_eval raises TypeError (unhashable key): kept as text
@example('x={1, []}')
@example('x=' + '[' * 300)       # nesting too deep for the parser
@given(st.one_of(any_text, st.from_regex(r'[a-z_-]{1,5}=.{0,12}', fullmatch=True)))
def test_any_set_text_gives_a_pair_or_an_argument_error(text):
    try:
        name, _ = cli.parse_assignment(text)
    except argparse.ArgumentTypeError as err:
        assert 'expected name=value' in str(err)
        return
    assert name.isidentifier() and '=' in text


# ------------------------------------------------------------------------------ option types

@settings(max_examples=60)
@given(st.integers(-5, 5), st.one_of(st.integers(-10 ** 12, 10 ** 12).map(str), any_text))
def test_int_at_least(minimum, text):
    convert = int_at_least(minimum, 'epochs')
    try:
        expected = int(text)
    except ValueError:
        expected = None
    if expected is not None and expected >= minimum:
        assert convert(text) == expected
    else:
        with pytest.raises(argparse.ArgumentTypeError, match='epochs must be'):
            convert(text)


@settings(max_examples=60)
@given(st.one_of(st.floats().map(repr), st.integers(-10, 10 ** 6).map(str), any_text))
def test_positive_number(text):
    convert = positive_number()
    try:
        expected = float(text)
    except ValueError:
        expected = None
    if expected is not None and expected > 0 and math.isfinite(expected):
        assert convert(text) == expected
    else:
        with pytest.raises(argparse.ArgumentTypeError, match='must be a'):
            convert(text)


# ------------------------------------------------------------------------------ the command

@settings(max_examples=60)
@given(st.sampled_from(['--epochs', '--batch-size', '--lr', '--seed', '--set', '--ctx',
                        '--impl']), st.one_of(any_text, st.integers(-3, 300).map(str)))
def test_the_command_accepts_an_option_value_or_exits_2_with_one_line(option, value):
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        try:
            args = cli.build_parser().parse_args(['run', '3.2', '%s=%s' % (option, value)])
        except SystemExit as exit:
            status = exit.code
        else:
            status = None
    if status is None:
        assert args.section == '3.2' and stderr.getvalue() == ''
    else:
        lines = stderr.getvalue().splitlines()
        assert status == 2 and len(lines) == 1 and lines[0].startswith('ch3 run: error: ')


@settings(max_examples=40)
@given(st.one_of(any_text, st.sampled_from(['cpu', 'cpu:1,cpu:0', 'gpu', 'cpu,cpu:0'])))
def test_ch3_run_checks_ctx_before_training_in_one_line(text):
    def run_section(*args, **kwargs):
        raise cli.UsageError('reached training')
    stderr = io.StringIO()
    with mock.patch.object(cli, 'run_section', run_section), contextlib.redirect_stderr(stderr):
        status = cli.main(['run', '3.2', '--ctx=' + text, '--out', '/nonexistent/never'])
    try:
        parse_ctx(text)
        expected = 'ch3 run: error: reached training'
    except ValueError as err:
        expected = 'ch3 run: error: %s' % str(err).strip()
    assert status == 2 and stderr.getvalue().splitlines() == [expected]
