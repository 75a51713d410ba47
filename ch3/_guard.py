"""Install guard: fail at import with one clear message instead of MXNet's numpy traceback."""
import sys

SUPPORTED_PYTHON = ((3, 8), (3, 11))
FIX = ('install the pinned versions: pip install -c constraints.txt -e ".[test]" '
       '(numpy<1.24, e.g. numpy==1.23.5, and mxnet==1.9.1 on Python 3.8-3.11)')


def _version_tuple(text):
    parts = []
    for piece in text.split('.')[:3]:
        digits = ''.join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def check_environment(python=None, numpy_version=None):
    """Raise ImportError naming the fix when Python or numpy cannot run MXNet 1.9.1."""
    python = tuple(python or sys.version_info[:2])
    low, high = SUPPORTED_PYTHON
    if not low <= python <= high:
        raise ImportError('ch3 needs Python %d.%d-%d.%d for mxnet==1.9.1 and numpy<1.24, '
                          'but this is Python %d.%d; %s'
                          % (low + high + python + (FIX,)))
    if numpy_version is None:
        import numpy
        numpy_version = numpy.__version__
    if _version_tuple(numpy_version) >= (1, 24):
        raise ImportError('ch3 found numpy %s, but mxnet==1.9.1 breaks on numpy>=1.24 '
                          '(it uses np.bool and np.PZERO); %s' % (numpy_version, FIX))
