"""Part 6: a crafted checkpoint whose pickle would run a command is refused
by every loading path of a training run, and the command never runs.
(tools/test.py and the loaders themselves: tests/test_tools/
test_checkpoint_safety.py.)"""
import pickle

import pytest
import torch

import genisp_mmdet  # noqa: F401
from genisp_mmdet.models import GenISPDataPreprocessor
from ..helpers import make_raw_dataset
from ..helpers import malicious_checkpoint
from .common import fast_config, run_in_process, train_tool


@pytest.fixture
def evil(tmp_path):
    """A checkpoint that runs ``touch <marker>`` when unpickled."""
    marker = tmp_path / 'command_ran'
    path = tmp_path / 'evil.pth'
    malicious_checkpoint(path, marker)
    return path, marker


def test_the_crafted_checkpoint_does_run_a_command_when_unpickled(evil):
    """The payload is real: a plain unpickler runs it."""
    path, marker = evil
    torch.load(path, weights_only=False)
    assert marker.exists()


def test_train_resume_refuses_crafted_checkpoint(tmp_path, evil):
    """``tools/train.py CFG --resume evil.pth``."""
    path, marker = evil
    make_raw_dataset(str(tmp_path / 'data'), num_images=2,
                     splits=('train', ))
    cfg = fast_config(tmp_path / 'cfg.py', tmp_path / 'data')
    proc = train_tool(cfg, '--work-dir', tmp_path / 'work', '--resume', path,
                      check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert 'Weights only load failed' in out and 'posix.system' in out, \
        out[-3000:]
    assert not marker.exists()


def test_load_from_refuses_crafted_checkpoint(tmp_path, evil):
    """``load_from`` (the detector's weights) goes through the Runner that
    tools/train.py builds; here the same Runner, in this process."""
    path, marker = evil
    make_raw_dataset(str(tmp_path / 'data'), num_images=2,
                     splits=('train', ))
    cfg = fast_config(tmp_path / 'cfg.py', tmp_path / 'data',
                      load_from=str(path))
    with pytest.raises(pickle.UnpicklingError, match='posix.system'):
        run_in_process(cfg, tmp_path / 'work', 'evil_load_from')
    assert not marker.exists()


def test_data_preprocessor_isp_checkpoint_refuses_crafted_checkpoint(evil):
    path, marker = evil
    with pytest.raises(pickle.UnpicklingError, match='posix.system'):
        GenISPDataPreprocessor(isp=dict(type='GenISP'),
                               isp_checkpoint=str(path))
    assert not marker.exists()
