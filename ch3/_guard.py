"""Install guard: fail at import with one clear message instead of MXNet's traceback."""
import ctypes
import importlib.util
import sys

from ch3 import _numpy_compat

SUPPORTED_PYTHON = ((3, 8), (3, 13))
FIX = ('install with the constraints for this Python: `make setup`, or '
       '`pip install --no-deps mxnet==1.9.1` then `pip install -c constraints.txt -e ".[test]"` '
       '(docs/install.md)')


# Shared libraries libmxnet.so (and its bundled libgfortran) link but the wheel does not ship.
SYSTEM_LIBS = (('libgomp.so.1', 'libgomp1', 'libgomp'), ('libquadmath.so.0', 'libquadmath0',
                                                        'libquadmath'))


def missing_system_libs():
    """The sonames of SYSTEM_LIBS this process cannot load (only asked on Linux: MXNet 1.9.1's
    wheels are manylinux; minimal Debian and Ubuntu images lack both)."""
    if not sys.platform.startswith('linux'):
        return []
    missing = []
    for soname, _, _ in SYSTEM_LIBS:
        try:
            ctypes.CDLL(soname)
        except OSError:
            missing.append(soname)
    return missing


def check_environment(python=None, numpy_module=None, mxnet_found=None, libs_missing=None):
    """Raise ImportError naming the fix when this Python, numpy, a missing mxnet or a missing
    system library cannot run ch3; otherwise restore the numpy names MXNet 1.9.1 reads."""
    python = tuple(python or sys.version_info[:2])
    low, high = SUPPORTED_PYTHON
    if not low <= python <= high:
        raise ImportError('ch3 runs on Python %d.%d-%d.%d (mxnet==1.9.1 and the numpy, pandas and '
                          'matplotlib wheels pinned for each), but this is Python %d.%d; %s'
                          % (low + high + python + (FIX,)))
    if numpy_module is None:
        import numpy as numpy_module
    version = getattr(numpy_module, '__version__', '?')
    try:
        _numpy_compat.restore(numpy_module)
    except AttributeError as err:   # a numpy without numpy.all/any/prod/round/sort
        raise ImportError('ch3 cannot restore the numpy names mxnet==1.9.1 reads in numpy %s '
                          '(%s); %s' % (version, err, FIX)) from None
    if mxnet_found is None:
        mxnet_found = importlib.util.find_spec('mxnet') is not None
    if not mxnet_found:
        raise ImportError('ch3 needs mxnet==1.9.1, which is not installed; %s' % FIX)
    if libs_missing is None:
        libs_missing = missing_system_libs()
    if libs_missing:
        debian = [deb for soname, deb, _ in SYSTEM_LIBS if soname in libs_missing]
        fedora = [rpm for soname, _, rpm in SYSTEM_LIBS if soname in libs_missing]
        raise ImportError('mxnet==1.9.1 needs %s, which this system lacks (minimal Debian and '
                          'Ubuntu images do); install: apt-get install %s (Debian, Ubuntu; '
                          '`make setup` does this as root), dnf install %s (Fedora)'
                          % (' and '.join(libs_missing), ' '.join(debian), ' '.join(fedora)))
