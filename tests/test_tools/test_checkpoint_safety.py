"""Checkpoints are loaded weights-only: a crafted pickle never runs."""
import os
import pickle

import pytest
import torch

import genisp_mmdet  # noqa: F401
from genisp_mmdet.utils import load_checkpoint_safely, load_isp_state_dict
from ..helpers import REPO, make_raw_dataset, malicious_checkpoint, write_config


def test_crafted_checkpoint_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / 'pwned'
    ckpt = tmp_path / 'evil.pth'
    malicious_checkpoint(ckpt, marker)
    with pytest.raises(pickle.UnpicklingError):
        load_checkpoint_safely(str(ckpt))
    with pytest.raises(pickle.UnpicklingError):
        load_isp_state_dict(str(ckpt))
    # mmengine's own loader (used by load_from, --resume, tools/test.py)
    # refuses it too once the plug-in is imported.
    from mmengine.runner import CheckpointLoader
    with pytest.raises(pickle.UnpicklingError):
        CheckpointLoader.load_checkpoint(str(ckpt), map_location='cpu')
    assert not marker.exists()


def test_restricted_getattr_refuses_other_attributes(tmp_path):
    """The allow-listed getattr stand-in only returns HistoryBuffer's
    statistics methods."""
    from genisp_mmdet.utils.checkpoint import _history_buffer_getattr
    from mmengine.logging.history_buffer import HistoryBuffer
    assert _history_buffer_getattr(HistoryBuffer, 'mean') is HistoryBuffer.mean
    with pytest.raises(pickle.UnpicklingError):
        _history_buffer_getattr(HistoryBuffer, '__init__')
    with pytest.raises(pickle.UnpicklingError):
        _history_buffer_getattr(os, 'system')


def test_tools_test_refuses_crafted_checkpoint(tmp_path):
    marker = tmp_path / 'pwned'
    ckpt = tmp_path / 'evil.pth'
    malicious_checkpoint(ckpt, marker)
    make_raw_dataset(str(tmp_path / 'data'), num_images=2)
    cfg = write_config(tmp_path / 'cfg.py',
                       os.path.join(REPO, 'configs/genisp_retinanet_raw.py'),
                       str(tmp_path / 'data'))
    import subprocess
    import sys
    proc = subprocess.run(
        [sys.executable, 'tools/test.py', str(cfg), str(ckpt), '--work-dir',
         str(tmp_path / 'w')],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert 'Unsupported global' in proc.stdout + proc.stderr or \
        'UnpicklingError' in proc.stdout + proc.stderr
    assert not marker.exists()
