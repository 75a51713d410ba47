import math
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from mxnet import nd

import ch3.utils
from ch3.utils import (Accumulator, Timer, atomic_write, remove_stale_temporaries, set_seed,
                       staged_dir)
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


# --- staged_dir: output folders that are old or new, never mixed --------------------------------

def _tree(folder):
    """{relative path: bytes} of every file under folder."""
    found = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            with open(path, 'rb') as handle:
                found[os.path.relpath(path, folder)] = handle.read()
    return found


def _dead_pid():
    proc = subprocess.Popen([sys.executable, '-c', 'pass'])
    proc.wait()
    return proc.pid


def test_staged_dir_replaces_the_old_folder_whole_only_when_the_block_succeeds(tmp_path):
    out = tmp_path / 'out'
    with staged_dir(out) as staging:
        assert os.path.dirname(staging) == str(tmp_path) and not out.exists()
        (Path(staging) / 'metrics.json').write_text('first')
        (Path(staging) / 'old-figure.png').write_bytes(b'png')
    assert _tree(out) == {'metrics.json': b'first', 'old-figure.png': b'png'}
    with pytest.raises(RuntimeError):
        with staged_dir(out) as staging:
            (Path(staging) / 'metrics.json').write_text('second, never finished')
            raise RuntimeError('the run failed')
    assert _tree(out) == {'metrics.json': b'first', 'old-figure.png': b'png'}   # untouched
    with staged_dir(out) as staging:
        (Path(staging) / 'metrics.json').write_text('third')
    assert _tree(out) == {'metrics.json': b'third'}   # no file of the first run is left
    assert sorted(os.listdir(tmp_path)) == ['out']    # no staging folder either


def test_staged_dir_without_an_atomic_exchange_still_never_mixes(tmp_path, monkeypatch):
    monkeypatch.setattr(ch3.utils, '_exchange', lambda a, b: False)
    out = tmp_path / 'out'
    for text in ('first', 'second'):
        with staged_dir(out) as staging:
            (Path(staging) / 'metrics.json').write_text(text)
    assert _tree(out) == {'metrics.json': b'second'} and os.listdir(tmp_path) == ['out']


def test_staged_dir_refuses_a_folder_ch3_did_not_write(tmp_path):
    (tmp_path / 'notes.txt').write_text('mine')
    with pytest.raises(ValueError, match='holds files ch3 did not write'):
        with staged_dir(tmp_path):
            pass
    assert (tmp_path / 'notes.txt').read_text() == 'mine'
    (tmp_path / 'afile').write_text('x')
    with pytest.raises(ValueError, match='is not a folder'):
        with staged_dir(tmp_path / 'afile'):
            pass
    empty = tmp_path / 'empty'
    empty.mkdir()
    with staged_dir(empty) as staging:   # an empty folder, or one holding a run, is fine
        (Path(staging) / 'metrics.json').write_text('{}')
    both = tmp_path / 'both'
    (both / 'scratch').mkdir(parents=True)
    (both / 'scratch' / 'metrics.json').write_text('{}')
    with staged_dir(both):
        pass


def test_what_killed_runs_left_is_removed_by_the_next_one(tmp_path):
    out = tmp_path / 'out'
    dead = _dead_pid()
    stale_dir = tmp_path / ('.out.%d-k1ll3d00.staging' % dead)
    (stale_dir / 'runs').mkdir(parents=True)
    (stale_dir / 'runs' / ('.metrics.json.%d-abcdefgh.part' % dead)).write_text('{"half')
    stale_part = tmp_path / ('.notes.%d-12345678.part' % dead)
    stale_part.write_text('half a file')
    live = tmp_path / ('.out.%d-w0rk1ng0.staging' % os.getpid())   # a live writer's: kept
    live.mkdir()
    old_format = tmp_path / '.other.abcdefgh.part'                 # not ours to judge: kept
    old_format.write_text('?')
    with staged_dir(out) as staging:
        (Path(staging) / 'metrics.json').write_text('{}')
    assert not stale_dir.exists() and live.exists() and old_format.exists()
    assert stale_part.exists()   # staged_dir cleans its own folder's leftovers only
    assert remove_stale_temporaries(str(tmp_path)) == [str(stale_part)]
    assert not stale_part.exists() and live.exists()
    two_days_ago = os.stat(old_format).st_mtime - 2 * 86400
    os.utime(old_format, (two_days_ago, two_days_ago))   # an older ch3's name, long abandoned
    assert remove_stale_temporaries(str(tmp_path)) == [str(old_format)]


def test_atomic_write_names_its_temporary_file_after_the_writing_process(tmp_path):
    target = tmp_path / 'metrics.json'
    with atomic_write(target) as handle:
        names = os.listdir(tmp_path)
        handle.write('{}')
    assert len(names) == 1 and names[0].startswith('.metrics.json.%d-' % os.getpid())
    assert names[0].endswith('.part')
