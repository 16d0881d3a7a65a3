"""tools/infer.py on a generated DNG: PNGs and full-resolution JSON."""
import json
import os

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmdet.registry import MODELS

import genisp_mmdet  # noqa: F401
from genisp_mmdet.raw import write_dng
from ..helpers import REPO, XYZ_TO_CAM
from .test_train_test import run_tool


def test_infer_writes_pngs_and_full_resolution_json(tmp_path):
    cfg_path = tmp_path / 'cfg.py'
    cfg_path.write_text(
        f"_base_ = [{os.path.join(REPO, 'configs/genisp_retinanet_raw.py')!r}]\n"
        "model = dict(test_cfg=dict(score_thr=0.0))\n")
    cfg = Config.fromfile(str(cfg_path))
    init_default_scope('mmdet')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    ckpt = tmp_path / 'model.pth'
    torch.save({'state_dict': model.state_dict(),
                'meta': {'dataset_meta': dict(
                    classes=('person', 'bicycle', 'car'))}}, ckpt)

    rng = np.random.default_rng(0)
    raw = tmp_path / 'my_photo.dng'
    write_dng(raw, rng.integers(64, 3000, (240, 400)).astype(np.uint16),
              'BGGR', 64, 4095, XYZ_TO_CAM)
    out = tmp_path / 'out'
    run_tool('tools/infer.py', str(raw), '--config', str(cfg_path),
             '--checkpoint', str(ckpt), '--out', str(out), '--score-thr',
             '0', '--device', 'cpu')
    for name in ('my_photo_isp.png', 'my_photo_det.png', 'my_photo.json'):
        assert (out / name).exists(), name
    import cv2
    isp = cv2.imread(str(out / 'my_photo_isp.png'))
    # packed 200x120, resized by the config to fit 320x240: 320x192
    assert isp.shape == (192, 320, 3)
    result = json.loads((out / 'my_photo.json').read_text())
    assert (result['width'], result['height']) == (400, 240)
    boxes = np.array([d['bbox'] for d in result['detections']])
    assert len(boxes) > 10
    # Full-resolution coordinates: inside 400x240, and beyond the packed
    # (200x120) and input (320x192) frames' extents somewhere.
    assert boxes.min() >= 0 and boxes[:, 2].max() <= 400 + 1e-3
    assert boxes[:, 3].max() <= 240 + 1e-3
    assert boxes[:, 2].max() > 320 or boxes[:, 3].max() > 192
    assert {d['category'] for d in result['detections']} <= {
        'person', 'bicycle', 'car'}
