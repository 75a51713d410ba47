"""Exercise of 3.1 (linear regression, vectorization): the book's two ways of adding two vectors,
element by element and vectorized, timed with NumPy as well as with NDArray (the section's
ch3.harness.runs.linear_regression.vectorization_speed, plus NumPy's element-by-element loop)."""
import numpy as np

from ch3.harness.exercises.base import ExerciseList, Outcome, fmt
from ch3.harness.runs import linear_regression as linreg_run
from ch3.harness.runs.linear_regression import NUMPY_REPEATS, _best_seconds
from ch3.harness.settings import QUICK

EXERCISES = ExerciseList()

N = 1000   # the book's vectors of 1000 ones
REPEATS = 3


def numpy_elementwise(a, b):
    """3.1 with NumPy: c = a + b for two vectors (n,), one scalar at a time -> (n,)."""
    c = np.zeros(a.shape, dtype=a.dtype)
    for i in range(a.shape[0]):
        c[i] = a[i] + b[i]
    return c


@EXERCISES.add('3.1.1', 'Compare the running times of the two ways of adding two vectors with '
               'another package (such as NumPy)',
               '（笔记只写了“向量化的运算速度远快于for循环”，没有回答这一题）',
               '(the notes only say that vectorized computation is much faster than a for loop; '
               'they do not answer this)',
               full_note='two vectors of 1000 ones, the best of 3 timings of each NDArray way and '
                         'of 20 of each NumPy way')
def numpy_timing(ctx, quick, out, seed):
    repeats = min(REPEATS, QUICK['3.1']['repeats']) if quick else REPEATS
    nd_times = linreg_run.vectorization_speed(N, repeats)
    a, b = np.ones(N), np.ones(N)
    # well under a millisecond: timed as often as the section times numpy's vectorized add
    numpy_loop = _best_seconds(lambda: numpy_elementwise(a, b), NUMPY_REPEATS)
    same = bool((numpy_elementwise(a, b) == a + b).all())
    seconds = {'ndarray loop': nd_times['loop_seconds'],
               'ndarray vectorized': nd_times['vector_seconds'],
               'numpy loop': numpy_loop, 'numpy vectorized': nd_times['numpy_vector_seconds']}
    measured = {'n': N, 'repeats': repeats, 'seconds': seconds,
                'ndarray_speedup': seconds['ndarray loop'] / seconds['ndarray vectorized'],
                'numpy_speedup': numpy_loop / seconds['numpy vectorized'],
                'numpy_loop_equals_vectorized': same}
    return Outcome(measured, [], settings={'n': N, 'repeats': repeats,
                                           'numpy_repeats': NUMPY_REPEATS},
                   answer='Adding two %d-vectors: %s. Vectorized beats the loop x%s with NDArray '
                          'and x%s with NumPy%s.'
                          % (N, ', '.join('%s %s s' % (k, fmt(v, 3)) for k, v in seconds.items()),
                             fmt(measured['ndarray_speedup'], 3),
                             fmt(measured['numpy_speedup'], 3),
                             ': a NumPy scalar operation costs far less than an NDArray one, '
                             'which goes through the MXNet engine'
                             if measured['numpy_speedup'] < measured['ndarray_speedup'] else ''))
