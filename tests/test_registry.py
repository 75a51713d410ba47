import json

import pytest

import ch3


def test_list_sections_is_in_book_order_and_names_versions():
    sections = ch3.list_sections()
    numbers = [s['section'] for s in sections]
    assert numbers[:3] == ['3.1', '3.2', '3.3']
    assert numbers == sorted(numbers, key=lambda n: tuple(map(int, n.split('.'))))
    by_number = {s['section']: s for s in sections}
    assert by_number['3.2']['impls'] == ['gluon', 'scratch']
    assert by_number['3.3']['default_impl'] == 'gluon'


def test_every_section_of_the_chapter_is_registered_with_both_versions():
    sections = {s['section']: s for s in ch3.list_sections()}
    assert sorted(sections, key=lambda n: int(n.split('.')[1])) == ['3.%d' % i
                                                                    for i in range(1, 17)]
    for number in ['3.%d' % i for i in range(2, 17)]:
        assert sections[number]['impls'] == ['gluon', 'scratch'], number


def test_a_run_module_that_fails_to_import_is_an_error_not_a_gap(monkeypatch):
    from ch3.harness import registry
    monkeypatch.setattr(registry, '_LOADED', {})
    monkeypatch.setattr(registry, 'SECTION_MODULES',
                        registry.SECTION_MODULES + ('ch3.harness.runs.no_such_section',))
    with pytest.raises(ImportError, match='no_such_section'):
        ch3.list_sections()


def test_run_section_returns_json_with_the_agreed_keys(tmp_path):
    result = ch3.run_section('3.2', seed=1, out=str(tmp_path), num_epochs=1, verbose=False)
    assert json.loads(json.dumps(result)) == result
    assert result['section'] == '3.2' and result['impl'] == 'scratch'
    assert result['ctx'] == ['cpu(0)'] and result['seed'] == 1
    assert result['hyperparameters']['num_epochs'] == 1
    assert len(result['history']) == 1
    assert (tmp_path / 'linreg_scatter.png').stat().st_size > 1000


def test_same_seed_same_numbers_other_seed_other_numbers():
    a = ch3.run_section('3.2', seed=4, num_epochs=1, verbose=False)
    b = ch3.run_section('3.2', seed=4, num_epochs=1, verbose=False)
    c = ch3.run_section('3.2', seed=5, num_epochs=1, verbose=False)
    assert a['final'] == b['final']
    assert a['final']['w'] != c['final']['w']


@pytest.mark.parametrize('kwargs, message', [
    ({'section': '9.9'}, "unknown section '9.9'; known sections: 3.1, 3.2"),
    ({'section': '3.2', 'impl': 'torch'}, "no 'torch' version; choose from: gluon, scratch"),
    ({'section': '3.2', 'momentum': 0.9}, 'has no hyperparameter momentum; it takes: num_epochs'),
    ({'section': '3.2', 'ctx': 'gpu:3'}, 'gpu:3'),
    ({'section': '3.2', 'seed': -1}, 'seed must be >= 0'),
])
def test_bad_requests_are_clear_value_errors(kwargs, message):
    with pytest.raises(ValueError, match=message.replace('(', r'\(').replace(')', r'\)')):
        ch3.run_section(**kwargs)
