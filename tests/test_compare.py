"""ch3.harness.compare: each of our numbers beside the book's same quantity, one formatter."""
import math

import pytest

from ch3.harness import compare as cmp
from ch3.harness.registry import get_section, list_sections


def test_format_number_reads_as_a_learner_expects():
    assert cmp.format_number(0.82634) == '0.8263'
    assert cmp.format_number(4.9e-05) == '4.9e-05'
    assert cmp.format_number(60000) == '60000'
    assert cmp.format_number([2, -3.4]) == '[2, -3.4]'
    assert cmp.format_number(list(range(10))) == '[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]'
    assert cmp.format_number(float('nan')) == 'nan' and cmp.format_number(None) == '—'
    assert cmp.format_number(True) == 'yes' and cmp.format_number('uint8') == 'uint8'
    assert cmp.format_number(1 / 3, digits=2) == '0.33'


def test_json_number_keeps_finite_floats_and_spells_the_rest():
    assert cmp.json_number(2.5) == 2.5
    assert [cmp.json_number(v) for v in (math.inf, -math.inf, math.nan)] == ['inf', '-inf', 'nan']


def test_nested_book_values_meet_ours_in_any_key_order():
    # 3.12's book nests the version first; our result names lambd first
    book = {'w_norm': {'scratch': {'lambd=0': 11.61, 'lambd=3': 0.042},
                       'gluon': {'lambd=0': 13.31, 'lambd=3': 0.033}}, 'note': 'text'}
    final = {'lambd=0': {'w_norm': 11.6, 'test_loss': 55.6}, 'lambd=3': {'w_norm': 2.3}}
    scratch = cmp.compare(final, book, 'scratch', 'lambd=3/w_norm')
    assert [(r.path, r.ours, r.book) for r in scratch.pairs] == \
        [(('lambd=0', 'w_norm'), 11.6, 11.61), (('lambd=3', 'w_norm'), 2.3, 0.042)]
    assert scratch.headline.ours == 2.3 and scratch.headline.book == 0.042
    assert scratch.headline.label == 'lambd=3 · L2 norm of w'
    assert [r.path for r in scratch.ours_only] == [('lambd=0', 'test_loss')]
    assert [r.book for r in scratch.notes] == ['text'] and scratch.book_only == []
    gluon = cmp.compare(final, book, 'gluon')
    assert [r.book for r in gluon.pairs] == [13.31, 0.033]


def test_per_version_prefixes_per_fold_lists_and_per_epoch_lists():
    book = {'scratch_test_acc': 0.863, 'gluon_test_acc': 0.86, 'target': 0.9,
            'scratch_history': [{'epoch': 1, 'loss': 1.1, 'train_acc': 0.5, 'test_acc': 0.7}],
            'folds': [{'fold': 0, 'valid_log_rmse': 0.15}, {'fold': 1, 'valid_log_rmse': 0.18}],
            'loss': [0.04, 0.0002, 0.00005]}
    final = {'test_acc': 0.85, 'loss': 0.00006,
             'folds': [{'fold': 0, 'valid_log_rmse': 0.16}], 'w': [4.2]}
    c = cmp.compare(final, book, 'scratch', 'test_acc')
    pairs = {r.path: (r.ours, r.book) for r in c.pairs}
    assert pairs[('test_acc',)] == (0.85, 0.863)
    assert pairs[('folds', 'fold 0', 'valid_log_rmse')] == (0.16, 0.15)
    assert pairs[('loss',)] == (0.00006, 0.00005)   # the book's last epoch
    assert [r.path for r in c.book_only] == [('target',), ('folds', 'fold 1', 'valid_log_rmse')]
    assert [r.path for r in c.ours_only] == [('w',)] and c.ours_only[0].ours == 4.2
    assert c.book_history == [{'epoch': 1, 'loss': 1.1, 'train_acc': 0.5, 'test_acc': 0.7}]
    assert cmp.compare(final, book, 'gluon').pairs[0].book == 0.86


@pytest.mark.parametrize('number', [s['section'] for s in list_sections()])
def test_every_section_names_a_headline_and_the_book_has_it_where_it_prints_numbers(number):
    spec = get_section(number)
    assert spec.headline, number
    book_keys = {frozenset(cmp.split_impl(path)[1]) for path, _ in cmp.flatten(spec.book)}
    numbers = [v for _, v in cmp.flatten(spec.book) if cmp.is_number(v)]
    if number not in ('3.1', '3.4', '3.14'):   # the book prints only timings (3.1) or no code
        assert numbers, number
        assert frozenset(spec.headline.split('/')) in book_keys, number

