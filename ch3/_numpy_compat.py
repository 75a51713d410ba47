"""numpy names MXNet 1.9.1 reads at import, restored on the numpy versions that removed them.

MXNet 1.9.1 (its last release) reads `numpy.bool` and `numpy.PZERO` at import, its fallback module
binds `numpy.mirr`, `numpy.msort`, ..., and its array-function registration looks up
`numpy.round_`, `numpy.product`, `numpy.alltrue` and `numpy.sometrue`. numpy 1.24 removed the
builtin alias `bool` (numpy 2.0 brought `numpy.bool` back as `numpy.bool_`), and numpy 2.0 removed
the rest (NEP 52). `restore()` puts back exactly those names, only where numpy lacks them, with the
values numpy 1.23 had: builtin aliases, float constants, thin wrappers around the functions that
replaced them, and, for the financial functions NEP 32 moved to numpy_financial, stubs that raise
as numpy 1.20-1.26's own stubs did. Nothing else about numpy changes.

It runs before the first `import mxnet` twice over: `import ch3` calls it first thing, and the
start-up hook `_ch3_mxnet_hook` (installed as a .pth file beside the package) calls it when any
code imports mxnet. This module imports only the standard library until `restore()` runs, so the
hook can load it without running `ch3/__init__.py` (which imports MXNet).
"""
import math
import warnings

__all__ = ['REMOVED', 'MXNET_NAMES', 'restore', 'missing']

# name -> (numpy version that removed it, what the replacement is); the order MXNet needs them.
REMOVED = {
    'bool': ((1, 24), 'builtins.bool'),
    'int': ((1, 24), 'builtins.int'),
    'Inf': ((2, 0), 'numpy.inf'),
    'PINF': ((2, 0), 'numpy.inf'),
    'NINF': ((2, 0), '-numpy.inf'),
    'NAN': ((2, 0), 'numpy.nan'),
    'NaN': ((2, 0), 'numpy.nan'),
    'PZERO': ((2, 0), '0.0'),
    'NZERO': ((2, 0), '-0.0'),
    'alltrue': ((2, 0), 'numpy.all'),
    'sometrue': ((2, 0), 'numpy.any'),
    'product': ((2, 0), 'numpy.prod'),
    'round_': ((2, 0), 'numpy.round'),
    'msort': ((2, 0), 'numpy.sort(a, axis=0)'),
    'mirr': ((2, 0), None),
    'npv': ((2, 0), None),
    'pmt': ((2, 0), None),
    'ppmt': ((2, 0), None),
    'pv': ((2, 0), None),
    'rate': ((2, 0), None),
}
MXNET_NAMES = tuple(REMOVED)

_CONSTANTS = {'Inf': math.inf, 'PINF': math.inf, 'NINF': -math.inf, 'NAN': math.nan,
              'NaN': math.nan, 'PZERO': 0.0, 'NZERO': -0.0}
_ALIASES = {'alltrue': 'all', 'sometrue': 'any', 'product': 'prod', 'round_': 'round'}


def missing(numpy_module=None):
    """The names of MXNET_NAMES that numpy_module (default: numpy) lacks, in MXNET_NAMES order."""
    if numpy_module is None:
        import numpy as numpy_module
    with warnings.catch_warnings():   # numpy 1.20-1.26 warn on each deprecated name looked up
        warnings.simplefilter('ignore', DeprecationWarning)
        return [name for name in MXNET_NAMES if not hasattr(numpy_module, name)]


def _alias(numpy_module, name, target):
    """A wrapper calling numpy.<target>; a new function, so MXNet's registration of the old name
    cannot replace its registration of the new one."""
    modern = getattr(numpy_module, target)

    def wrapper(*args, **kwargs):
        return modern(*args, **kwargs)
    wrapper.__name__ = wrapper.__qualname__ = name
    wrapper.__doc__ = ('numpy.%s, removed in numpy 2.0 and restored by ch3 for MXNet 1.9.1: '
                       'calls numpy.%s.' % (name, target))
    return wrapper


def _msort(numpy_module):
    """numpy.msort(a) was numpy.sort(a, axis=0)."""
    def msort(a):
        return numpy_module.sort(a, axis=0)
    msort.__doc__ = ('numpy.msort, removed in numpy 2.0 and restored by ch3 for MXNet 1.9.1: '
                     'numpy.sort(a, axis=0).')
    return msort


def _financial_stub(name):
    """A function that raises: numpy has had no financial functions since 1.20 (NEP 32)."""
    message = ('numpy.%s was removed from numpy in version 1.20 (NEP 32) and exists here only so '
               'that MXNet 1.9.1 can import; use numpy_financial.%s instead '
               '(pip install numpy-financial)' % (name, name))

    def stub(*args, **kwargs):
        raise RuntimeError(message)
    stub.__name__ = stub.__qualname__ = name
    stub.__doc__ = message
    return stub


def _value(numpy_module, name):
    """What numpy 1.23 had under `name`, rebuilt from what this numpy has."""
    if name == 'bool':
        return bool
    if name == 'int':
        return int
    if name in _CONSTANTS:
        return _CONSTANTS[name]
    if name in _ALIASES:
        return _alias(numpy_module, name, _ALIASES[name])
    if name == 'msort':
        return _msort(numpy_module)
    return _financial_stub(name)


def restore(numpy_module=None):
    """Define each of MXNET_NAMES that numpy lacks (never replacing one it has); return the list
    of names added."""
    if numpy_module is None:
        import numpy as numpy_module
    added = missing(numpy_module)
    for name in added:
        setattr(numpy_module, name, _value(numpy_module, name))
    return added
