"""Checkpoints are loaded weights-only, with an allow-list of the non-tensor
types mmengine writes, and a crafted pickle never runs its command.

Loader level (genisp_mmdet.utils.checkpoint): the allow-listed types load
(and need the allow-list), the restricted ``getattr`` returns only
HistoryBuffer's statistics methods, ``load_isp_state_dict`` picks the ISP's
keys. Then every path by which a run loads a checkpoint, each given a
crafted one that would create a marker file: the loaders themselves,
mmengine's CheckpointLoader, ``GenISPDataPreprocessor(isp_checkpoint=)``,
``load_from`` (the Runner that tools/train.py builds), and the tools in
subprocesses (``tools/test.py CFG evil.pth``, ``tools/train.py CFG --resume
evil.pth``); these last ones take tens of seconds."""
import collections
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.optim.scheduler import MultiStepLR
from mmengine.runner import CheckpointLoader

import genisp_mmdet  # noqa: F401
from genisp_mmdet.models import GenISPDataPreprocessor
from genisp_mmdet.utils import load_checkpoint_safely, load_isp_state_dict
from genisp_mmdet.utils.checkpoint import _history_buffer_getattr
from ..helpers import (REPO, make_raw_dataset, malicious_checkpoint,
                       write_config)
from ..test_robustness.common import fast_config, run_in_process, train_tool
from ..test_robustness.conftest import one_thread  # noqa: F401


@pytest.fixture
def evil(tmp_path):
    """A checkpoint that runs ``touch <marker>`` when unpickled."""
    marker = tmp_path / 'command_ran'
    path = tmp_path / 'evil.pth'
    malicious_checkpoint(path, marker)
    return path, marker


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    """2 training and 2 validation DNGs."""
    root = tmp_path_factory.mktemp('tiny')
    make_raw_dataset(str(root), num_images=2)
    return root


@pytest.fixture
def no_allow_list():
    """torch's weights-only allow-list emptied, restored afterwards."""
    saved = torch.serialization.get_safe_globals()
    torch.serialization.clear_safe_globals()
    yield
    torch.serialization.clear_safe_globals()
    torch.serialization.add_safe_globals(saved)


def _mmengine_like_checkpoint(path):
    """What mmengine writes besides tensors: the message hub's
    HistoryBuffers, a MultiStepLR state (milestones in a Counter), numpy
    arrays, scalars and dtypes in ``meta``."""
    hub = MessageHub.get_instance('test_checkpoint_allow_list')
    hub.update_scalar('train/loss', 0.5)
    hub.update_scalar('train/loss', 1.5)
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=0.1)
    scheduler = MultiStepLR(optimizer, milestones=[2, 4])
    torch.save(
        dict(state_dict=collections.OrderedDict(w=torch.arange(3.)),
             message_hub=hub.state_dict(),
             param_schedulers=[scheduler.state_dict()],
             meta=dict(array=np.arange(3, dtype=np.float32),
                       scalar=np.float64(2.5), dtype=np.dtype('int16'))),
        path)


def test_allow_listed_types_load_and_need_the_allow_list(tmp_path,
                                                         no_allow_list):
    path = tmp_path / 'ckpt.pth'
    _mmengine_like_checkpoint(path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)
    ckpt = load_checkpoint_safely(str(path))
    loss = ckpt['message_hub']['log_scalars']['train/loss']
    assert isinstance(loss, HistoryBuffer)
    assert loss.mean() == 1.0 and loss.current() == 1.5
    assert ckpt['param_schedulers'][0]['milestones'] == collections.Counter(
        {2: 1, 4: 1})
    np.testing.assert_array_equal(ckpt['meta']['array'], [0, 1, 2])
    assert ckpt['meta']['array'].dtype == np.float32
    assert ckpt['meta']['scalar'] == np.float64(2.5)
    assert ckpt['meta']['dtype'] == np.dtype('int16')
    assert torch.equal(ckpt['state_dict']['w'], torch.arange(3.))


def test_the_crafted_checkpoint_does_run_a_command_when_unpickled(evil):
    """The payload is real: a plain unpickler runs it."""
    path, marker = evil
    torch.load(path, weights_only=False)
    assert marker.exists()


def test_crafted_checkpoint_is_refused_and_never_runs(evil):
    path, marker = evil
    with pytest.raises(pickle.UnpicklingError, match='posix.system'):
        load_checkpoint_safely(str(path))
    with pytest.raises(pickle.UnpicklingError):
        load_isp_state_dict(str(path))
    # mmengine's own loader (used by load_from, --resume, tools/test.py)
    # refuses it too once the plug-in is imported.
    with pytest.raises(pickle.UnpicklingError):
        CheckpointLoader.load_checkpoint(str(path), map_location='cpu')
    assert not marker.exists()


class _GetAttr:
    """Unpickles as ``getattr(HistoryBuffer, name)``."""

    def __init__(self, name):
        self.name = name

    def __reduce__(self):
        return (getattr, (HistoryBuffer, self.name))


def test_restricted_getattr_returns_only_statistics_methods(tmp_path):
    assert _history_buffer_getattr(HistoryBuffer, 'mean') is HistoryBuffer.mean
    with pytest.raises(pickle.UnpicklingError):
        _history_buffer_getattr(HistoryBuffer, '__init__')
    with pytest.raises(pickle.UnpicklingError):
        _history_buffer_getattr(os, 'system')
    # The same in a checkpoint's pickle.
    torch.save({'m': _GetAttr('max')}, tmp_path / 'ok.pth')
    assert load_checkpoint_safely(str(tmp_path / 'ok.pth')) == {
        'm': HistoryBuffer.max}
    torch.save({'m': _GetAttr('__init__')}, tmp_path / 'crafted.pth')
    with pytest.raises(pickle.UnpicklingError,
                       match=r"refusing getattr\(.*'__init__'\)"):
        load_checkpoint_safely(str(tmp_path / 'crafted.pth'))


def test_load_isp_state_dict_picks_the_isp_keys(tmp_path):
    isp = {'enhance.weight': torch.ones(2), 'wb.bias': torch.zeros(1)}
    full = {f'data_preprocessor.isp.{k}': v for k, v in isp.items()}
    full['backbone.conv.weight'] = torch.ones(3)
    torch.save({'state_dict': full, 'meta': {}}, tmp_path / 'full.pth')
    torch.save(full, tmp_path / 'plain.pth')
    torch.save(isp, tmp_path / 'bare.pth')
    for name in ('full.pth', 'plain.pth'):
        got = load_isp_state_dict(str(tmp_path / name))
        assert got.keys() == isp.keys()
        assert all(torch.equal(got[k], isp[k]) for k in isp)
    assert load_isp_state_dict(str(tmp_path / 'bare.pth'),
                               prefix='').keys() == isp.keys()
    with pytest.raises(KeyError, match="no weights under 'other.'"):
        load_isp_state_dict(str(tmp_path / 'full.pth'), prefix='other.')


def test_data_preprocessor_isp_checkpoint_refuses_crafted_checkpoint(evil):
    path, marker = evil
    with pytest.raises(pickle.UnpicklingError, match='posix.system'):
        GenISPDataPreprocessor(
            isp=dict(type='GenISP'),
            data_preprocessor=dict(type='DetDataPreprocessor'),
            isp_checkpoint=str(path))
    assert not marker.exists()


def test_load_from_refuses_crafted_checkpoint(tmp_path, tiny, evil):
    """``load_from`` (the detector's weights) goes through the Runner that
    tools/train.py builds; here the same Runner, in this process."""
    path, marker = evil
    cfg = fast_config(tmp_path / 'cfg.py', tiny, load_from=str(path))
    with pytest.raises(pickle.UnpicklingError, match='posix.system'):
        run_in_process(cfg, tmp_path / 'work', 'evil_load_from')
    assert not marker.exists()


def test_train_resume_refuses_crafted_checkpoint(tmp_path, tiny, evil):
    """``tools/train.py CFG --resume evil.pth``."""
    path, marker = evil
    cfg = fast_config(tmp_path / 'cfg.py', tiny)
    proc = train_tool(cfg, '--work-dir', tmp_path / 'work', '--resume', path,
                      check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert 'Weights only load failed' in out and 'posix.system' in out, \
        out[-3000:]
    assert not marker.exists()


def test_tools_test_refuses_crafted_checkpoint(tmp_path, tiny, evil):
    """``tools/test.py CFG evil.pth``."""
    path, marker = evil
    cfg = write_config(tmp_path / 'cfg.py',
                       os.path.join(REPO, 'configs/genisp_retinanet_raw.py'),
                       str(tiny))
    proc = subprocess.run(
        [sys.executable, 'tools/test.py', str(cfg), str(path), '--work-dir',
         str(tmp_path / 'work')],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert 'Unsupported global' in out or 'UnpicklingError' in out, \
        out[-3000:]
    assert not marker.exists()
