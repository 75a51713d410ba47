"""Shared test set-up: headless plotting, the shared data folder, and a fixed seed per test."""
import os
import pathlib

import matplotlib

matplotlib.use('Agg')

REPO = pathlib.Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / 'shared' / 'data'
if 'CH3_DATA_DIR' not in os.environ and SHARED_DATA.is_dir():
    os.environ['CH3_DATA_DIR'] = str(SHARED_DATA)

import pytest  # noqa: E402

import ch3  # noqa: E402


@pytest.fixture(autouse=True)
def _seed():
    ch3.set_seed(0)
    yield
