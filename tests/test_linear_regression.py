import numpy as np
import pytest

import ch3
from ch3.harness.runs.linear_regression import TRUE_B, TRUE_W, make_data, vectorization_speed


def test_book_data_follows_the_true_model():
    features, labels = make_data()
    assert features.shape == (1000, 2) and labels.shape == (1000,)
    X, y = features.asnumpy(), labels.asnumpy()
    residual = y - X @ np.array(TRUE_W) - TRUE_B
    assert abs(residual.std() - 0.01) < 0.002          # noise N(0, 0.01^2)
    assert abs(X.mean()) < 0.1 and abs(X.std() - 1) < 0.05


@pytest.mark.parametrize('section', ['3.2', '3.3'])
def test_both_versions_recover_the_true_parameters(section):
    result = ch3.run_section(section, seed=0, verbose=False)
    final = result['final']
    assert final['loss'] < 1e-4
    np.testing.assert_allclose(final['w'], TRUE_W, atol=0.01)
    np.testing.assert_allclose(final['b'], [TRUE_B], atol=0.01)
    losses = [h['loss'] for h in result['history']]
    assert losses == sorted(losses, reverse=True)


def test_least_squares_closed_form_agrees_with_sgd():
    features, labels = make_data()
    X = np.hstack([features.asnumpy(), np.ones((1000, 1))])
    solution, *_ = np.linalg.lstsq(X, labels.asnumpy(), rcond=None)
    ch3.set_seed(0)
    final = ch3.run_section('3.2', seed=0, verbose=False)['final']
    np.testing.assert_allclose(final['w'] + final['b'], solution, atol=2e-3)


def test_gluon_on_two_cpu_contexts_also_converges():
    final = ch3.run_section('3.3', ctx='cpu:0,cpu:1', verbose=False)['final']
    np.testing.assert_allclose(final['w'], TRUE_W, atol=0.01)


def test_diverging_learning_rate_stops_with_a_message():
    with pytest.raises(ch3.TrainingDiverged, match='epoch 1'):
        ch3.run_section('3.2', lr=100.0, verbose=False)


def test_vectorization_speed_reports_both_timings():
    timing = vectorization_speed(n=200, repeats=1)
    assert timing['loop_seconds'] > 0 and timing['vector_seconds'] > 0
    assert timing['speedup'] == pytest.approx(timing['loop_seconds'] / timing['vector_seconds'])


def test_scratch_version_refuses_several_devices():
    with pytest.raises(ValueError, match='one device.*cpu\\(0\\), cpu\\(1\\)'):
        ch3.run_section('3.2', ctx='cpu:0,cpu:1', verbose=False)
