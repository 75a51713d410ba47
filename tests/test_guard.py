import os
import subprocess
import sys
import textwrap

import pytest

from ch3._guard import check_environment


def test_numpy_124_is_refused_with_the_fix():
    with pytest.raises(ImportError, match=r'numpy 1\.24\.0.*numpy<1\.24'):
        check_environment(python=(3, 11), numpy_version='1.24.0')


def test_unsupported_python_is_refused():
    with pytest.raises(ImportError, match=r'Python 3\.12'):
        check_environment(python=(3, 12), numpy_version='1.23.5')


def test_supported_versions_pass():
    check_environment(python=(3, 11), numpy_version='1.23.5')


def test_import_with_numpy_2_gives_one_clear_message(tmp_path):
    fake = tmp_path / 'numpy'
    fake.mkdir()
    (fake / '__init__.py').write_text("__version__ = '2.1.0'\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path) + os.pathsep + os.getcwd())
    proc = subprocess.run([sys.executable, '-c', 'import ch3'], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith('ImportError: ch3 found numpy 2.1.0')
    assert 'np.bool' in last and 'numpy==1.23.5' in last
    assert 'mxnet/' not in proc.stderr   # failed before MXNet was imported
