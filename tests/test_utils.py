import math
import os
import random

import numpy as np
import pytest
from mxnet import nd

from ch3.utils import Accumulator, Timer, atomic_write, set_seed
from ch3.checks import check_int, check_positive_float, check_training_args


def _draws():
    return (random.random(), float(np.random.rand()), float(nd.random.uniform(shape=1).asscalar()))


def test_set_seed_repeats_all_three_generators():
    set_seed(7)
    first = _draws()
    set_seed(7)
    assert _draws() == first
    set_seed(8)
    assert _draws() != first


def test_accumulator_sums_and_resets():
    acc = Accumulator(2)
    acc.add(1, 2.5)
    acc.add(3, 0.5)
    assert (acc[0], acc[1]) == (4, 3.0)
    acc.reset()
    assert acc.data == [0.0, 0.0]


def test_timer_records_each_interval():
    timer = Timer()
    first = timer.stop()
    timer.start()
    second = timer.stop()
    assert timer.times == [first, second]
    assert timer.sum() == pytest.approx(first + second)


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / 'metrics.json'
    with pytest.raises(RuntimeError):
        with atomic_write(target) as handle:
            handle.write('half')
            raise RuntimeError('boom')
    assert os.listdir(tmp_path) == []
    with atomic_write(target) as handle:
        handle.write('whole')
    assert target.read_text() == 'whole'
    old = os.umask(0o022)
    try:
        with atomic_write(target) as handle:
            handle.write('again')
    finally:
        os.umask(old)
    assert target.stat().st_mode & 0o777 == 0o644      # readable by others, like open() makes
    assert os.listdir(tmp_path) == ['metrics.json']


@pytest.mark.parametrize('value', [0, -3, 2.5, '8', True])
def test_bad_batch_size_names_argument_and_value(value):
    with pytest.raises(ValueError, match='batch_size.*%s' % repr(value).replace('.', r'\.')):
        check_training_args(batch_size=value)


@pytest.mark.parametrize('value', [0, -0.1, math.nan, math.inf, 'fast'])
def test_bad_learning_rate(value):
    with pytest.raises(ValueError, match='lr must be a finite number > 0'):
        check_training_args(lr=value)


def test_negative_epochs_and_good_values():
    with pytest.raises(ValueError, match='num_epochs must be >= 0, got -1'):
        check_training_args(num_epochs=-1)
    check_training_args(batch_size=1, lr=1e-3, num_epochs=0)
    assert check_int('k', 3, minimum=2) == 3
    assert check_positive_float('lr', 1) == 1.0
