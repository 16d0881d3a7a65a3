"""mmdet's inference APIs on RAW files with a GenISP config: mmdet's
init_detector + inference_detector, and RawDetInferencer (mmdet's
DetInferencer for RAW test pipelines), give the boxes IspDetector and
tools/infer.py give, on a generated DNG and on a real camera's DNG."""
import json
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmdet.apis import DetInferencer, inference_detector, init_detector
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample

import genisp_mmdet  # noqa: F401
from genisp_mmdet.apis import IspDetector, RawDetInferencer, isp_to_uint8
from genisp_mmdet.raw import write_dng
from ..conftest import shared_file
from ..helpers import REPO, XYZ_TO_CAM
from ..test_tools.test_train_test import run_tool

CONFIG = osp.join(
    REPO, 'configs/genisp/genisp_retinanet_r18-slim_fpn_12e_synthetic-raw.py')
WELL_LIT = osp.join(REPO, 'configs/baselines/'
                    'well-lit_retinanet_r18-slim_fpn_synthetic-srgb.py')
CLASSES = ('person', 'bicycle', 'car')
# file -> (annotated (H, W), packed (h, w))
SHAPES = {'generated': ((240, 400), (120, 200)),
          'Blackmagic': ((2160, 4096), (1080, 2048))}


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    """A checkpoint of the config's model and a generated 400x240 DNG."""
    root = tmp_path_factory.mktemp('apis')
    cfg = Config.fromfile(CONFIG)
    init_default_scope('mmdet')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    state = model.state_dict()
    # Random weights score about 0.01 everywhere, under the config's
    # score_thr (0.05): a higher classifier bias keeps boxes to compare.
    state['bbox_head.retina_cls.bias'] += 3.0
    ckpt = root / 'genisp_retinanet.pth'
    torch.save({'state_dict': state,
                'meta': {'dataset_meta': dict(classes=CLASSES)}}, ckpt)
    rng = np.random.default_rng(0)
    dng = root / 'photo.dng'
    write_dng(dng, rng.integers(64, 3000, (240, 400)).astype(np.uint16),
              'BGGR', 64, 4095, XYZ_TO_CAM)
    return dict(checkpoint=str(ckpt), generated=str(dng))


def raw_path(which, files):
    if which == 'generated':
        return files['generated']
    return shared_file('real-raw', 'Blackmagic.dng')


@pytest.fixture(scope='module')
def isp_detector(files):
    return IspDetector(CONFIG, files['checkpoint'])


@pytest.fixture(scope='module')
def inferencer(files):
    return RawDetInferencer(model=CONFIG, weights=files['checkpoint'],
                            device='cpu', show_progress=False)


def assert_same_predictions(bboxes, scores, labels, ref):
    """Predictions (array-likes) equal to IspDetector's ``ref.pred``."""
    assert len(ref.pred) > 10  # something to compare
    np.testing.assert_allclose(np.asarray(bboxes, np.float32),
                               ref.pred.bboxes.numpy(), atol=1e-4)
    np.testing.assert_allclose(np.asarray(scores, np.float32),
                               ref.pred.scores.numpy(), atol=1e-6)
    np.testing.assert_array_equal(np.asarray(labels), ref.pred.labels.numpy())


@pytest.mark.parametrize('which', list(SHAPES))
def test_init_detector_and_inference_detector(which, files, isp_detector):
    path = raw_path(which, files)
    model = init_detector(CONFIG, files['checkpoint'], device='cpu')
    assert model.dataset_meta['classes'] == CLASSES
    sample = inference_detector(model, path)
    ref = isp_detector(path)
    assert sample.ori_shape == ref.ori_shape == SHAPES[which][0]
    pred = sample.pred_instances
    assert_same_predictions(pred.bboxes, pred.scores, pred.labels, ref)


@pytest.mark.parametrize('which', list(SHAPES))
def test_raw_det_inferencer(which, files, inferencer, isp_detector,
                            tmp_path):
    """Predictions, their JSON and the drawing, as mmdet's DetInferencer
    writes them (out_dir/preds, out_dir/vis), for a RAW file."""
    path = raw_path(which, files)
    stem = osp.splitext(osp.basename(path))[0]
    out = inferencer(path, out_dir=str(tmp_path), no_save_pred=False,
                     return_vis=True, pred_score_thr=0.0)
    ref = isp_detector(path)
    (pred, ) = out['predictions']
    assert_same_predictions(pred['bboxes'], pred['scores'], pred['labels'],
                            ref)
    with open(tmp_path / 'preds' / f'{stem}.json') as f:
        assert json.load(f) == pred
    # Drawn on the ISP's output at the packed resolution.
    h, w = SHAPES[which][1]
    (vis, ) = out['visualization']
    assert vis.shape == (h, w, 3) and vis.dtype == np.uint8
    saved = cv2.imread(str(tmp_path / 'vis' / f'{stem}.png'))
    assert saved.shape == (h, w, 3)
    image, _ = ref.render()
    assert image.shape == vis.shape
    assert np.abs(vis.astype(int) - image).max() > 0  # boxes drawn


def test_raw_det_inferencer_returns_the_isp_output(files, inferencer,
                                                   isp_detector):
    """With return_datasamples, each DetDataSample also holds the ISP's
    output (3, h, w) at the detector's input size."""
    path = files['generated']
    (sample, ) = inferencer(path, return_datasamples=True)['predictions']
    assert isinstance(sample, DetDataSample)
    ref = isp_detector(path)
    assert sample.isp_output.shape == (3, 192, 320)
    assert np.array_equal(isp_to_uint8(sample.isp_output), ref.isp_image)
    pred = sample.pred_instances
    assert_same_predictions(pred.bboxes, pred.scores, pred.labels, ref)


def test_raw_det_inferencer_with_an_annotated_size(files, inferencer,
                                                  isp_detector):
    """A dict input gives the area annotations refer to, as IspDetector's
    width/height do (RAW-NOD's Sony files are annotated on a smaller area
    than LibRaw's crop)."""
    path = files['generated']
    (sample, ) = inferencer(dict(img_path=path, width=396, height=236),
                            return_datasamples=True)['predictions']
    ref = isp_detector(path, 396, 236)
    assert sample.ori_shape == ref.ori_shape == (236, 396)
    pred = sample.pred_instances
    assert_same_predictions(pred.bboxes, pred.scores, pred.labels, ref)


def test_raw_det_inferencer_on_a_folder(files, inferencer, tmp_path):
    """A folder input lists its RAW files, any case of extension."""
    data = open(files['generated'], 'rb').read()
    for name in ('a.dng', 'b.DNG'):
        (tmp_path / name).write_bytes(data)
    (tmp_path / 'notes.txt').write_text('not an image')
    out = inferencer(str(tmp_path))
    assert len(out['predictions']) == 2
    assert out['predictions'][0] == out['predictions'][1]


def test_raw_det_inferencer_refuses_decoded_arrays(inferencer):
    with pytest.raises(TypeError, match='RAW files: give the path'):
        inferencer(np.zeros((64, 96, 3), np.uint8))


def test_tools_infer_gives_the_same_boxes(files, inferencer, tmp_path):
    path = files['generated']
    run_tool('tools/infer.py', path, '--config', CONFIG, '--checkpoint',
             files['checkpoint'], '--out', str(tmp_path), '--score-thr', '0',
             '--device', 'cpu')
    with open(tmp_path / 'photo.json') as f:
        detections = json.load(f)['detections']
    (pred, ) = inferencer(path)['predictions']
    assert len(detections) == len(pred['scores']) > 10
    # tools/infer.py rounds boxes to 0.01 and scores to 1e-4
    np.testing.assert_allclose([d['bbox'] for d in detections],
                               pred['bboxes'], atol=0.006)
    np.testing.assert_allclose([d['score'] for d in detections],
                               pred['scores'], atol=6e-5)
    assert [d['label'] for d in detections] == pred['labels']


def test_8bit_configs_run_as_in_mmdet(files, tmp_path):
    """A config that loads 8-bit images (the well-lit sRGB reference) runs
    through mmdet's own pipeline and drawing: same predictions as mmdet's
    DetInferencer."""
    rng = np.random.default_rng(1)
    png = str(tmp_path / 'well_lit.png')
    cv2.imwrite(png, rng.integers(0, 256, (120, 200, 3), dtype=np.uint8))
    kwargs = dict(model=WELL_LIT, weights=files['checkpoint'], device='cpu',
                  show_progress=False)
    ours = RawDetInferencer(**kwargs)(png, return_vis=True)
    theirs = DetInferencer(**kwargs)(png, return_vis=True)
    assert ours['predictions'] == theirs['predictions']
    assert ours['visualization'][0].shape == (120, 200, 3)
    assert np.array_equal(ours['visualization'][0],
                          theirs['visualization'][0])


def test_mmdet_det_inferencer_cannot_load_raw_pipelines(files):
    """Why RawDetInferencer exists: mmdet 3.3's DetInferencer only takes
    test pipelines that start with LoadImageFromFile. If this starts to
    fail, mmdet has changed and RawDetInferencer may be simplified."""
    with pytest.raises(ValueError, match='LoadImageFromFile is not found'):
        DetInferencer(model=CONFIG, weights=files['checkpoint'], device='cpu',
                      show_progress=False)
