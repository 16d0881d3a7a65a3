"""tools/infer.py on a generated DNG: PNGs at the packed resolution or the
size asked for, detections drawn in their pixels, full-resolution JSON."""
import json
import os

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmdet.registry import MODELS

import genisp_mmdet  # noqa: F401
from genisp_mmdet.apis import IspDetector
from genisp_mmdet.raw import write_dng
from ..helpers import REPO, XYZ_TO_CAM
from .test_train_test import run_tool

# The DNG is 400x240: packed 200x120, resized by the config to fit 320x240
# (320x192, the detector's input).
WIDTH, HEIGHT = 400, 240
LINE_WIDTH = 3  # DetLocalVisualizer's default


@pytest.fixture(scope='module')
def model_files(tmp_path_factory):
    """A user config (the main config, every score kept), a checkpoint of
    its randomly initialised model and a 400x240 DNG."""
    root = tmp_path_factory.mktemp('infer')
    cfg_path = root / 'cfg.py'
    cfg_path.write_text(
        f"_base_ = [{os.path.join(REPO, 'configs/genisp_retinanet_raw.py')!r}]\n"
        "model = dict(test_cfg=dict(score_thr=0.0))\n")
    cfg = Config.fromfile(str(cfg_path))
    init_default_scope('mmdet')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    state = model.state_dict()
    # A sharper random classifier: its top score stands clear of the next
    # (by 8e-4, not 2e-6), so that a threshold between them keeps one box
    # in any process.
    state['bbox_head.retina_cls.weight'] *= 100
    ckpt = root / 'model.pth'
    torch.save({'state_dict': state,
                'meta': {'dataset_meta': dict(
                    classes=('person', 'bicycle', 'car'))}}, ckpt)
    rng = np.random.default_rng(0)
    raw = root / 'my_photo.dng'
    write_dng(raw, rng.integers(64, 3000, (HEIGHT, WIDTH)).astype(np.uint16),
              'BGGR', 64, 4095, XYZ_TO_CAM)
    return cfg_path, ckpt, raw


@pytest.fixture(scope='module')
def detection(model_files):
    """IspDetector (what tools/infer.py runs) on the DNG, in process."""
    cfg_path, ckpt, raw = model_files
    return IspDetector(str(cfg_path), str(ckpt))(str(raw))


def _infer(model_files, out, *extra):
    cfg_path, ckpt, raw = model_files
    run_tool('tools/infer.py', str(raw), '--config', str(cfg_path),
             '--checkpoint', str(ckpt), '--out', str(out), '--device', 'cpu',
             *extra)
    for name in ('my_photo_isp.png', 'my_photo_det.png', 'my_photo.json'):
        assert (out / name).exists(), name
    return (cv2.imread(str(out / 'my_photo_isp.png')),
            cv2.imread(str(out / 'my_photo_det.png')),
            json.loads((out / 'my_photo.json').read_text()))


def test_infer_writes_packed_resolution_pngs_and_full_resolution_json(
        model_files, tmp_path):
    isp, det, result = _infer(model_files, tmp_path, '--score-thr', '0')
    # the packed resolution by default, not the detector's 320x192
    assert isp.shape == det.shape == (HEIGHT // 2, WIDTH // 2, 3)
    assert (result['width'], result['height']) == (WIDTH, HEIGHT)
    boxes = np.array([d['bbox'] for d in result['detections']])
    assert len(boxes) > 10
    # Full-resolution coordinates: inside 400x240, and beyond the packed
    # (200x120) and input (320x192) frames' extents somewhere.
    assert boxes.min() >= 0 and boxes[:, 2].max() <= WIDTH + 1e-3
    assert boxes[:, 3].max() <= HEIGHT + 1e-3
    assert boxes[:, 2].max() > 320 or boxes[:, 3].max() > 192
    assert {d['category'] for d in result['detections']} <= {
        'person', 'bicycle', 'car'}


def _changed(isp, det):
    """Pixels the drawing changed, ``(h, w)`` bool."""
    return np.abs(isp.astype(int) - det.astype(int)).max(axis=2) > 0


def test_infer_draws_the_json_box_at_the_size_asked_for(
        model_files, detection, tmp_path):
    """With one detection kept, at --size 600x360 (1.5x the file): the box
    drawn in the PNG is the JSON box (full-resolution pixels) times 1.5."""
    scores = detection.pred.scores
    top = torch.sort(scores, descending=True).values[:2].tolist()
    assert top[0] - top[1] > 1e-5, top  # one box, whatever the rounding
    thr = (top[0] + top[1]) / 2
    isp, det, result = _infer(model_files, tmp_path, '--score-thr', repr(thr),
                              '--size', '600', '360')
    assert isp.shape == det.shape == (360, 600, 3)
    assert len(result['detections']) == 1
    x1, y1, x2, y2 = (v * 1.5 for v in result['detections'][0]['bbox'])
    assert x2 - x1 > 4 * LINE_WIDTH and y2 - y1 > 4 * LINE_WIDTH, (x1, y1,
                                                                    x2, y2)
    changed = _changed(isp, det)
    h, w = changed.shape

    def col(x):
        return min(max(int(round(x)), 0), w - 1)

    def row(y):
        return min(max(int(round(y)), 0), h - 1)

    inner_y = slice(row(y1 + LINE_WIDTH), row(y2 - LINE_WIDTH))
    inner_x = slice(col(x1 + LINE_WIDTH), col(x2 - LINE_WIDTH))
    # the four edges are drawn where the JSON box says ...
    for edge in (changed[inner_y, col(x1)], changed[inner_y, col(x2)],
                 changed[row(y1), inner_x], changed[row(y2), inner_x]):
        assert edge.mean() > 0.9, edge.mean()
    # ... and not a few pixels outside it, above and to the left (the
    # label is drawn inside the box, from its top-left corner)
    gap = 2 * LINE_WIDTH
    if y1 - gap >= 0:
        assert changed[row(y1 - gap), inner_x].mean() < 0.1
    if x1 - gap >= 0:
        assert changed[inner_y, col(x1 - gap)].mean() < 0.1


def test_render_sizes_and_boxes(detection):
    """IspDetection.render: the packed resolution, a size or a scale of the
    annotated area, boxes scaled per axis."""
    res = detection
    assert res.isp_image.shape == (192, 320, 3)  # the detector's input
    assert res.ori_shape == (HEIGHT, WIDTH)
    assert res.loaded_shape == (HEIGHT // 2, WIDTH // 2)
    for kwargs, (w, h) in [({}, (200, 120)), (dict(scale=1.0), (400, 240)),
                           (dict(scale=0.25), (100, 60)),
                           (dict(size=(640, 200)), (640, 200))]:
        image, boxes = res.render(**kwargs)
        assert image.shape == (h, w, 3) and image.dtype == np.uint8
        factor = res.pred.bboxes.new_tensor([w / WIDTH, h / HEIGHT] * 2)
        torch.testing.assert_close(boxes.bboxes, res.pred.bboxes * factor)
        assert torch.equal(boxes.scores, res.pred.scores)
    # the detector's own input size gives back the ISP's output as it was
    image, boxes = res.render(size=(320, 192))
    assert np.array_equal(image, res.isp_image)
    torch.testing.assert_close(boxes.bboxes, res.pred_on_image.bboxes,
                               rtol=1e-5, atol=1e-3)
    with pytest.raises(ValueError, match='not both'):
        res.render(size=(10, 10), scale=0.5)
    with pytest.raises(ValueError, match='positive'):
        res.render(scale=0)
