"""ch3._numpy_compat and its start-up hook: the numpy names MXNet 1.9.1 reads, restored only on the
numpy versions that removed them, and `import mxnet` in a fresh interpreter with or without ch3."""
import json
import math
import os
import subprocess
import sys
import textwrap
import types

import numpy as np
import pytest

from ch3 import _numpy_compat as compat

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMPAT_FILE = os.path.join(ROOT, 'ch3', '_numpy_compat.py')


def numpy_version():
    return tuple(int(part) for part in np.__version__.split('.')[:2])


def removed_here(name, version):
    """numpy's release notes: 1.24 removed the builtin aliases bool and int; 2.0 removed the rest
    (NEP 52) and brought numpy.bool back as numpy.bool_."""
    if name == 'bool':
        return (1, 24) <= version < (2, 0)
    if name == 'int':
        return version >= (1, 24)
    return version >= (2, 0)


def fresh_python(code, extra_path=(), timeout=180):
    """Run code in a new interpreter (cwd: the repository) and return its stdout, failing with
    its stderr."""
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(list(extra_path) + [ROOT])
    proc = subprocess.run([sys.executable, '-c', textwrap.dedent(code)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def numpy_before_and_after():
    """In a fresh interpreter: which names numpy itself lacks, and what restore() added."""
    out = fresh_python('''
        import importlib.util, json
        import numpy
        spec = importlib.util.spec_from_file_location('compat', %r)
        compat = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(compat)
        before = {n: hasattr(numpy, n) for n in compat.MXNET_NAMES}
        # numpy 1.20-1.23 serves some names from its module __getattr__ (a new object on each
        # look-up, e.g. the financial stubs): those must stay served by numpy, not set by
        # restore(); the names numpy holds as attributes must keep the very same objects
        held = {n: vars(numpy)[n] for n in compat.MXNET_NAMES if n in vars(numpy)}
        served = [n for n in compat.MXNET_NAMES if before[n] and n not in held]
        added = compat.restore()
        kept = (all(vars(numpy).get(n) is value for n, value in held.items())
                and not any(n in vars(numpy) for n in served))
        print(json.dumps({'before': before, 'added': added, 'kept': kept,
                          'missing_after': compat.missing()}))
    ''' % COMPAT_FILE)
    return json.loads(out.strip().splitlines()[-1])


def test_names_are_added_only_where_this_numpy_removed_them():
    state = numpy_before_and_after()
    version = numpy_version()
    lacking = [name for name, present in state['before'].items() if not present]
    assert lacking == [n for n in compat.MXNET_NAMES if removed_here(n, version)], np.__version__
    assert state['added'] == lacking
    assert state['kept'] and state['missing_after'] == []
    if version < (1, 24):
        assert state['added'] == []
    if version >= (2, 0):
        assert 'PZERO' in state['added'] and 'bool' not in state['added']


def fake_numpy(**present):
    """A module with numpy's modern functions (all, any, prod, round, sort) and `present`."""
    module = types.ModuleType('fake_numpy')
    for name in ('all', 'any', 'prod', 'round', 'sort'):
        setattr(module, name, getattr(np, name))
    for name, value in present.items():
        setattr(module, name, value)
    return module


def test_restored_values_are_numpy_1_23s():
    module = fake_numpy()
    assert compat.restore(module) == list(compat.MXNET_NAMES)
    assert module.bool is bool and module.int is int
    assert module.Inf == module.PINF == math.inf and module.NINF == -math.inf
    assert math.isnan(module.NAN) and math.isnan(module.NaN)
    assert module.PZERO == 0.0 and math.copysign(1, module.PZERO) == 1
    assert module.NZERO == 0.0 and math.copysign(1, module.NZERO) == -1
    x = np.array([[3.0, 1.0, 2.5], [1.0, 2.0, 0.0]])
    assert module.alltrue(x > 0) == np.all(x > 0) and not module.alltrue(x > 0)
    assert module.sometrue(x > 2.9) and not module.sometrue(x > 3)
    np.testing.assert_array_equal(module.product(x, axis=1), [7.5, 0.0])
    np.testing.assert_allclose(module.round_(np.array([1.26, -0.34, 2.5]), 1), [1.3, -0.3, 2.5])
    assert module.round_(2.5) == 2.0          # half to even, like numpy.round
    np.testing.assert_array_equal(module.msort(x), np.sort(x, axis=0))
    # new functions, so MXNet's registration for the old name cannot replace the new one's
    assert module.product is not np.prod and module.round_ is not np.round


@pytest.mark.parametrize('name', ['mirr', 'npv', 'pmt', 'ppmt', 'pv', 'rate'])
def test_financial_functions_raise_instead_of_returning(name):
    module = fake_numpy()
    compat.restore(module)
    with pytest.raises(RuntimeError, match=r'numpy\.%s was removed.*numpy_financial\.%s'
                       % (name, name)):
        getattr(module, name)(0.05, [-100, 50, 60])


def test_names_numpy_has_are_never_replaced():
    mine = object()
    module = fake_numpy(Inf=mine, bool=np.bool_, mirr=len)
    added = compat.restore(module)
    assert 'Inf' not in added and 'bool' not in added and 'mirr' not in added
    assert module.Inf is mine and module.bool is np.bool_ and module.mirr is len
    assert compat.restore(module) == []          # a second call adds nothing


MXNET_WORKS = '''
    import mxnet as mx
    from mxnet import autograd, gluon, nd
    net = gluon.nn.Dense(1)
    net.initialize(mx.init.Constant(0.5))
    net.hybridize()
    y = net(nd.ones((2, 3)))
    a = mx.np.array([[1.0, -2.0], [3.0, 4.0]])
    with autograd.record():
        loss = (net(nd.array([[1.0, 2.0, 3.0]])) ** 2).sum()
    loss.backward()
    import numpy
    print(y.asnumpy().ravel().tolist(), float(mx.np.abs(a).sum()),
          net.weight.grad().asnumpy().ravel().tolist(), numpy.__version__)
'''


def check_mxnet_output(out):
    """MXNET_WORKS printed y = 0.5 * 3, sum |a| = 10 and d(y^2)/dw = 2 * 3 * x."""
    line = out.strip().splitlines()[-1]
    assert line.startswith('[1.5, 1.5] 10.0 [6.0, 12.0, 18.0] '), line


def test_import_ch3_then_mxnet_in_a_fresh_interpreter():
    check_mxnet_output(fresh_python('import ch3\n' + textwrap.dedent(MXNET_WORKS)))


def test_plain_import_mxnet_through_the_installed_hook():
    """What user code does: `import mxnet` first, no ch3; the .pth installed by pip runs the hook.
    Fails where ch3 was installed before the hook existed: rerun `make setup`."""
    out = fresh_python('''
        import sys
        print([type(f).__name__ for f in sys.meta_path])
    ''')
    assert 'MxnetImportHook' in out, 'ch3-mxnet-hook.pth is not active here: run `make setup`'
    check_mxnet_output(fresh_python(MXNET_WORKS))


def test_a_normal_install_puts_the_hook_at_the_top_of_site_packages(tmp_path):
    """setup.py's build_py (what a wheel holds) copies the .pth beside the package; a site
    directory with it makes a fresh interpreter's plain `import mxnet` work."""
    lib = tmp_path / 'lib'
    proc = subprocess.run([sys.executable, 'setup.py', '-q', 'build_py', '--build-lib', str(lib)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (lib / 'ch3-mxnet-hook.pth').read_text().startswith('import _ch3_mxnet_hook;')
    assert (lib / '_ch3_mxnet_hook.py').is_file() and (lib / 'ch3' / '_numpy_compat.py').is_file()
    # -S: no site-packages at start-up, so the built copy's .pth runs first, as it would installed
    site_packages = os.path.dirname(os.path.dirname(np.__file__))
    code = ('import site, sys; site.addsitedir(%r)\n'
            'assert [type(f).__name__ for f in sys.meta_path][0] == "MxnetImportHook"\n'
            'assert sys.modules["_ch3_mxnet_hook"].__file__.startswith(%r)\n'
            'site.addsitedir(%r)\n'
            % (str(lib), str(lib), site_packages) + textwrap.dedent(MXNET_WORKS))
    proc = subprocess.run([sys.executable, '-I', '-S', '-c', code], cwd=str(tmp_path),
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    check_mxnet_output(proc.stdout)


def test_hook_is_a_no_op_once_mxnet_is_imported():
    out = fresh_python('''
        import sys
        import _ch3_mxnet_hook as hook
        hook.uninstall()
        hook.install(); hook.install()
        n = sum(isinstance(f, hook.MxnetImportHook) for f in sys.meta_path)
        import mxnet
        left = sum(isinstance(f, hook.MxnetImportHook) for f in sys.meta_path)
        hook.install()
        again = sum(isinstance(f, hook.MxnetImportHook) for f in sys.meta_path)
        print(n, left, again)
    ''')
    assert out.split()[-3:] == ['1', '0', '0']
