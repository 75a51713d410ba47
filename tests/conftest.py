"""Shared test set-up: headless plotting, the shared data folder, a fixed seed per test, and
one deterministic hypothesis profile."""
import os
import pathlib

import matplotlib

matplotlib.use('Agg')

REPO = pathlib.Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / 'shared' / 'data'
if 'CH3_DATA_DIR' not in os.environ and SHARED_DATA.is_dir():
    os.environ['CH3_DATA_DIR'] = str(SHARED_DATA)
# decompressed copies of the data files go to a folder of this session, not the user's cache
# (child processes the tests start inherit it)
if 'CH3_CACHE_DIR' not in os.environ:
    import atexit
    import shutil
    import tempfile
    os.environ['CH3_CACHE_DIR'] = tempfile.mkdtemp(prefix='ch3-test-cache-')
    atexit.register(shutil.rmtree, os.environ['CH3_CACHE_DIR'], ignore_errors=True)

import pytest  # noqa: E402

import ch3  # noqa: E402

try:
    from hypothesis import settings
except ImportError:   # only the property tests need it (the `test` extra installs it)
    settings = None
else:
    # Property tests draw the same examples on every run (derandomize) and keep no example
    # database; each test sets its own small max_examples so the whole set stays within seconds.
    settings.register_profile('ch3', derandomize=True, database=None, deadline=None,
                              print_blob=True)
    settings.load_profile('ch3')


@pytest.fixture(autouse=True)
def _seed():
    ch3.set_seed(0)
    yield


def default_sigint():
    """preexec_fn for a child that the tests Ctrl-C: Python installs its KeyboardInterrupt
    handler only when SIGINT is not ignored, and a suite started with `cmd &` or nohup ignores
    it (the child would inherit that)."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_DFL)
