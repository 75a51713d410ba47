import os
import subprocess
import sys
import types

import numpy as np
import pytest

from ch3._guard import check_environment


def numpy_like(version='2.2.6'):
    """A module with what ch3._numpy_compat needs from numpy, and none of the removed names."""
    module = types.ModuleType('numpy_like')
    module.__version__ = version
    for name in ('all', 'any', 'prod', 'round', 'sort'):
        setattr(module, name, getattr(np, name))
    return module


@pytest.mark.parametrize('python', [(3, 7), (3, 14)])
def test_unsupported_python_is_refused_with_the_fix(python):
    with pytest.raises(ImportError, match=r'Python 3\.8-3\.13.*this is Python %d\.%d.*'
                       r'docs/install\.md' % python):
        check_environment(python=python, numpy_module=numpy_like(), mxnet_found=True,
                          libs_missing=[])


@pytest.mark.parametrize('python', [(3, 8), (3, 11), (3, 12), (3, 13)])
def test_supported_pythons_pass_and_get_numpys_names_back(python):
    module = numpy_like()
    check_environment(python=python, numpy_module=module, mxnet_found=True, libs_missing=[])
    assert module.PZERO == 0.0 and module.bool is bool


def test_missing_mxnet_names_the_no_deps_install():
    with pytest.raises(ImportError, match=r'mxnet==1\.9\.1, which is not installed.*'
                       r'pip install --no-deps mxnet==1\.9\.1'):
        check_environment(python=(3, 13), numpy_module=numpy_like(), mxnet_found=False,
                          libs_missing=[])


def test_missing_system_libraries_name_their_packages():
    with pytest.raises(ImportError, match=r'needs libgomp\.so\.1 and libquadmath\.so\.0.*'
                       r'apt-get install libgomp1 libquadmath0 .*dnf install libgomp libquadmath'):
        check_environment(python=(3, 13), numpy_module=numpy_like(), mxnet_found=True,
                          libs_missing=['libgomp.so.1', 'libquadmath.so.0'])


def test_this_system_loads_the_libraries_mxnet_links():
    from ch3._guard import missing_system_libs
    assert missing_system_libs() == []


def test_a_numpy_without_its_modern_functions_gives_one_clear_message():
    broken = types.ModuleType('numpy_like')
    broken.__version__ = '3.0.0'
    with pytest.raises(ImportError, match=r'numpy 3\.0\.0 .*has no attribute .all.*constraints'):
        check_environment(python=(3, 13), numpy_module=broken, mxnet_found=True)


def test_import_with_an_unusable_numpy_fails_before_mxnet(tmp_path):
    fake = tmp_path / 'numpy'
    fake.mkdir()
    (fake / '__init__.py').write_text("__version__ = '3.0.0'\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path) + os.pathsep + os.getcwd())
    proc = subprocess.run([sys.executable, '-c', 'import ch3'], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith('ImportError: ch3 cannot restore the numpy names mxnet==1.9.1 reads '
                           'in numpy 3.0.0')
    assert 'constraints.txt' in last
    assert 'mxnet/' not in proc.stderr   # failed before MXNet was imported
