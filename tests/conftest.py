"""Shared test fixtures: paths to the real files in ../shared/data."""
import os

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_DATA = os.path.join(os.path.dirname(REPO), 'shared', 'data')


def shared_file(*parts):
    """Path of a real test file in ../shared/data; skips the test, saying
    why, where it is absent."""
    path = os.path.join(SHARED_DATA, *parts)
    if not os.path.exists(path):
        pytest.skip(f'real test file {path} is absent (the folder '
                    '../shared/data beside the repository holds real RAW '
                    'files and RAW-NOD annotations that are never committed)')
    return path


@pytest.fixture
def repo_root():
    return REPO
