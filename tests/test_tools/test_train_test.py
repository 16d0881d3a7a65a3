"""End to end through tools/train.py and tools/test.py on tiny generated
DNGs: freezing, detector swapping, resume, a config outside the repository
with custom_imports."""
import glob
import json
import os
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmdet.registry import MODELS

import genisp_mmdet  # noqa: F401
from genisp_mmdet.utils import load_checkpoint_safely
from ..helpers import (DETECTORS, REPO, detector_checkpoint, make_raw_dataset,
                       write_config)

# Untrained detectors score below the default threshold of 0.05: keep all
# boxes so that COCO evaluation has predictions to match.
KEEP_ALL = {
    'retinanet': 'model = dict(test_cfg=dict(score_thr=0.0))\n',
    'fcos': 'model = dict(test_cfg=dict(score_thr=0.0))\n',
    'faster-rcnn': 'model = dict(test_cfg=dict(rcnn=dict(score_thr=0.0)))\n',
}
# Small and fast: 32x32 thumbnails for the ISP's global branches, images
# at 128x96. No random flips: runs must be reproducible for the resume
# comparison.
SMALL = """
model = dict(data_preprocessor=dict(isp=dict(type='GenISP', resize=32)))
train_pipeline = [
    dict(type='LoadRawImageFromFile', mode='xyz'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(128, 96), keep_ratio=True),
    dict(type='PackDetInputs', meta_keys={{_base_.meta_keys}})
]
test_pipeline = [
    dict(type='LoadRawImageFromFile', mode='xyz'),
    dict(type='Resize', scale=(128, 96), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys={{_base_.meta_keys}})
]
train_dataloader['dataset']['pipeline'] = train_pipeline
val_dataloader['dataset']['pipeline'] = test_pipeline
test_dataloader = val_dataloader
"""


def run_tool(*args, cwd=None):
    proc = subprocess.run([sys.executable, *args], cwd=cwd or REPO,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp('tiny')
    make_raw_dataset(str(root), num_images=4)
    return root


def _ckpt(work_dir, epoch):
    return load_checkpoint_safely(os.path.join(work_dir, f'epoch_{epoch}.pth'))


def test_train_freezes_detector_and_trains_isp(tiny, tmp_path):
    det = detector_checkpoint(DETECTORS['retinanet'], tmp_path / 'det.pth')
    cfg = write_config(tmp_path / 'user_config.py',
                       os.path.join(REPO, DETECTORS['retinanet']),
                       str(tiny), load_from=str(tmp_path / 'det.pth'),
                       max_epochs=2, extra=SMALL)
    work_dir = tmp_path / 'work'
    # Run from outside the repository: the plug-in comes in through
    # custom_imports, not through the current directory.
    run_tool(os.path.join(REPO, 'tools/train.py'), str(cfg), '--work-dir',
             str(work_dir), cwd=str(tmp_path))
    e1, e2 = _ckpt(work_dir, 1), _ckpt(work_dir, 2)
    isp_keys = [k for k in e2['state_dict'] if '.isp.' in k]
    assert isp_keys
    for key, value in det.items():
        for ckpt in (e1, e2):
            assert torch.equal(ckpt['state_dict'][key], value), key
    assert any(not torch.equal(e1['state_dict'][k], e2['state_dict'][k])
               for k in isp_keys)
    # The optimiser state holds the ISP's parameters only.
    n_isp = len([k for k in isp_keys if not k.endswith(
        ('running_mean', 'running_var', 'num_batches_tracked'))])
    assert len(e2['optimizer']['state']) == n_isp
    assert sum(len(g['params'])
               for g in e2['optimizer']['param_groups']) == n_isp
    # The ISP's output on fixed validation images is saved at each val.
    assert len(glob.glob(str(work_dir / 'isp_vis' / '*.png'))) == 2


@pytest.mark.parametrize('name', list(DETECTORS))
def test_swap_detector_train_and_test(tiny, tmp_path, name):
    detector_checkpoint(DETECTORS[name], tmp_path / 'det.pth')
    cfg = write_config(tmp_path / 'cfg.py',
                       os.path.join(REPO, DETECTORS[name]), str(tiny),
                       load_from=str(tmp_path / 'det.pth'), max_epochs=1,
                       extra=SMALL + 'custom_hooks = []\n' + KEEP_ALL[name])
    work_dir = tmp_path / 'work'
    run_tool('tools/train.py', str(cfg), '--work-dir', str(work_dir),
             '--cfg-options', 'train_cfg.val_interval=10')
    metrics = tmp_path / 'metrics.json'
    proc = run_tool('tools/test.py', str(cfg), str(work_dir / 'epoch_1.pth'),
                    '--work-dir', str(work_dir), '--metrics-json',
                    str(metrics))
    assert 'Average Precision' in proc.stdout + proc.stderr
    values = json.loads(metrics.read_text())
    for key in ('coco/bbox_mAP', 'coco/bbox_mAP_50', 'coco/bbox_mAP_75',
                'coco/bbox_mAP_s', 'coco/bbox_mAP_m', 'coco/bbox_mAP_l'):
        assert key in values and -1 <= values[key] <= 1


def test_resume_restores_isp_and_optimizer(tiny, tmp_path):
    detector_checkpoint(DETECTORS['retinanet'], tmp_path / 'det.pth')
    args = dict(base=os.path.join(REPO, DETECTORS['retinanet']),
                data_root=str(tiny), load_from=str(tmp_path / 'det.pth'),
                extra=SMALL + 'custom_hooks = []\n')
    straight = write_config(tmp_path / 'straight.py', max_epochs=2, **args)
    run_tool('tools/train.py', str(straight), '--work-dir',
             str(tmp_path / 'a'))
    # Stop after one epoch, then continue with --resume (auto: the latest
    # checkpoint in the work directory).
    first = write_config(tmp_path / 'first.py', max_epochs=1, **args)
    run_tool('tools/train.py', str(first), '--work-dir', str(tmp_path / 'b'))
    proc = run_tool('tools/train.py', str(straight), '--work-dir',
                    str(tmp_path / 'b'), '--resume')
    assert 'resumed epoch: 1' in proc.stdout + proc.stderr
    a, b = _ckpt(tmp_path / 'a', 2), _ckpt(tmp_path / 'b', 2)
    assert a['meta']['iter'] == b['meta']['iter'] == 4
    for key, value in a['state_dict'].items():
        torch.testing.assert_close(b['state_dict'][key], value, rtol=0,
                                   atol=1e-6, msg=key)
    for pid, state in a['optimizer']['state'].items():
        for k, v in state.items():
            torch.testing.assert_close(b['optimizer']['state'][pid][k], v,
                                       rtol=0, atol=1e-6)
