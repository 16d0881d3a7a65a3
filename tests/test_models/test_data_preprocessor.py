"""GenISPDataPreprocessor: one path from a RAW file to the detector's input,
and from the detector's output back to annotation pixels."""
import os

import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmdet.registry import MODELS
from mmdet.structures.bbox import scale_boxes

import genisp_mmdet  # noqa: F401
from ..helpers import REPO, XYZ_TO_CAM
from genisp_mmdet.raw import write_dng


def _pipeline_and_preprocessor(isp):
    """The main config's training pipeline (boxes loaded before Resize, so
    they follow the image) without random flips, and its preprocessor."""
    cfg = Config.fromfile(os.path.join(REPO, 'configs/genisp_retinanet_raw.py'))
    init_default_scope('mmdet')
    pre_cfg = cfg.model.data_preprocessor.copy()
    pre_cfg['isp'] = isp
    steps = [t for t in cfg.train_dataloader.dataset.pipeline
             if t['type'] != 'RandomFlip']
    return Compose(steps), MODELS.build(pre_cfg)


@pytest.mark.parametrize('mode', ['xyz', 'rawpy'])
def test_predictions_map_back_to_annotation_pixels(tmp_path, mode):
    """A prediction equal to the transformed ground truth, rescaled the
    way mmdet's heads rescale, is the annotation again."""
    path = tmp_path / 'a.dng'
    mosaic = np.full((120, 200), 100, np.uint16)
    write_dng(path, mosaic, 'RGGB', 64, 4095, XYZ_TO_CAM)
    pipeline, pre = _pipeline_and_preprocessor(dict(type='IdentityISP'))
    for step in pipeline.transforms:
        if type(step).__name__ == 'LoadRawImageFromFile':
            step.mode = mode
    box = [30.0, 20.0, 110.0, 90.0]  # x1, y1, x2, y2 in file pixels
    results = pipeline(
        dict(img_path=str(path), img_id=1, width=200, height=120,
             instances=[dict(bbox=list(box), bbox_label=0, ignore_flag=0)]))
    data = pre(pseudo_collate([results]), training=False)
    sample = data['data_samples'][0]
    # the detector's input is 320x192 (padded to 32): 200x120 at 1.6
    assert data['inputs'].shape == (1, 3, 192, 320)
    assert sample.ori_shape == (120, 200)
    in_input = sample.gt_instances.bboxes
    np.testing.assert_allclose(in_input[0].tolist(),
                               [v * 1.6 for v in box], atol=1e-4)
    back = scale_boxes(in_input.clone(),
                       [1 / s for s in sample.scale_factor])
    np.testing.assert_allclose(back[0].tolist(), box, atol=1e-4)


def test_normalisation_and_padding(tmp_path):
    path = tmp_path / 'b.dng'
    write_dng(path, np.full((96, 160), 2000, np.uint16), 'GRBG', 64, 4095,
              XYZ_TO_CAM)
    pipeline, pre = _pipeline_and_preprocessor(dict(type='IdentityISP'))
    results = pipeline(dict(img_path=str(path), img_id=1, instances=[]))
    img = torch.as_tensor(results['inputs']).float()
    data = pre(pseudo_collate([results]), training=False)
    mean = torch.tensor([123.675, 116.28, 103.53])[:, None, None]
    std = torch.tensor([58.395, 57.12, 57.375])[:, None, None]
    h, w = img.shape[1:]
    torch.testing.assert_close(data['inputs'][0, :, :h, :w],
                               (img * 255 - mean) / std)
    assert data['inputs'].shape[-1] % 32 == 0
    assert data['data_samples'][0].pad_shape == tuple(data['inputs'].shape[-2:])


def test_missing_raw_scale_is_an_error(tmp_path):
    from mmdet.structures import DetDataSample
    _, pre = _pipeline_and_preprocessor(dict(type='IdentityISP'))
    sample = DetDataSample(metainfo=dict(img_path='x/photo.ARW',
                                         scale_factor=(1.0, 1.0)))
    with pytest.raises(KeyError, match='raw_scale'):
        pre(dict(inputs=[torch.rand(3, 32, 32)], data_samples=[sample]))


STOCK = dict(type='DetDataPreprocessor', mean=[123.675, 116.28, 103.53],
             std=[58.395, 57.12, 57.375], bgr_to_rgb=True,
             pad_size_divisor=32)
# mmdet's caffe-style FCOS (fcos_r50-caffe_fpn_gn-head_1x_coco.py): trained
# on BGR images, BGR mean, no std.
CAFFE = dict(type='DetDataPreprocessor', mean=[102.9801, 115.9465, 122.7717],
             std=[1.0, 1.0, 1.0], bgr_to_rgb=False, pad_size_divisor=32)


def test_srgb_path_matches_stock_preprocessor():
    """Well-lit sRGB rows: IdentityISP with 8-bit BGR input gives exactly
    what mmdet's DetDataPreprocessor gives the detector."""
    init_default_scope('mmdet')
    ours = MODELS.build(dict(
        type='GenISPDataPreprocessor', isp=dict(type='IdentityISP'),
        input_scale=255, input_bgr_to_rgb=True, data_preprocessor=STOCK))
    stock = MODELS.build(STOCK)
    img = torch.randint(0, 256, (3, 50, 70), dtype=torch.uint8)
    a = ours(dict(inputs=[img]))['inputs']
    b = stock(dict(inputs=[img]))['inputs']
    torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize('detector_pre', [STOCK, CAFFE])
def test_detector_receives_the_channel_order_it_was_trained_on(detector_pre):
    """An ISP output that is pure red (RGB order) reaches an ImageNet-style
    detector as red in its first channel and a caffe-style (BGR) detector
    as red in its last channel, each normalised by its own mean and std."""
    init_default_scope('mmdet')
    pre = MODELS.build(dict(type='GenISPDataPreprocessor',
                            isp=dict(type='IdentityISP'),
                            data_preprocessor=detector_pre))
    red = torch.zeros(3, 32, 32)
    red[0] = 1.0  # the ISP's output: RGB, [0, 1]
    out = pre(dict(inputs=[red]))['inputs'][0, :, 0, 0]
    mean = torch.tensor(detector_pre['mean'])
    std = torch.tensor(detector_pre['std'])
    red_channel = 0 if detector_pre['bgr_to_rgb'] else 2
    expected = (torch.zeros(3) - mean) / std
    expected[red_channel] = (255 - mean[red_channel]) / std[red_channel]
    torch.testing.assert_close(out, expected)


def test_detector_preprocessor_arguments_here_are_an_error():
    """The old way of rebuilding the detector's preprocessor by hand is
    refused with the new way in the message, never silently ignored."""
    init_default_scope('mmdet')
    with pytest.raises(TypeError, match='data_preprocessor=detector'):
        MODELS.build(dict(type='GenISPDataPreprocessor',
                          isp=dict(type='IdentityISP'), mean=[0, 0, 0],
                          std=[1, 1, 1], data_preprocessor=STOCK))
    with pytest.raises(TypeError, match='needs the detector'):
        MODELS.build(dict(type='GenISPDataPreprocessor',
                          isp=dict(type='IdentityISP')))


def test_device_moves_reach_the_detector_preprocessor():
    init_default_scope('mmdet')
    pre = MODELS.build(dict(type='GenISPDataPreprocessor',
                            isp=dict(type='IdentityISP'),
                            data_preprocessor=STOCK))
    pre.to('meta')
    assert str(pre.device) == str(pre.data_preprocessor.device) == 'meta'


def test_isp_checkpoint_of_another_isp_is_refused(tmp_path):
    """Weights of a paper-style ISP (direct parametrisation) loaded into a
    preprocessor that builds another parametrisation would run and give
    wrong images: refused, naming the setting; the same ISP loads."""
    from genisp_mmdet.isp import GenISP
    init_default_scope('mmdet')
    paper = dict(type='GenISP', wb_cfg=dict(parametrization='direct'))
    state = {f'data_preprocessor.isp.{k}': v for k, v in GenISP(
        wb_cfg=dict(parametrization='direct')).state_dict().items()}
    cfg_text = f'model = dict(data_preprocessor=dict(isp={paper!r}))\n'
    ckpt = tmp_path / 'paper.pth'
    torch.save(dict(state_dict=state, meta=dict(cfg=cfg_text)), ckpt)
    with pytest.raises(ValueError, match='different: wb_cfg'):
        MODELS.build(dict(type='GenISPDataPreprocessor',
                          isp=dict(type='GenISP'), isp_checkpoint=str(ckpt),
                          data_preprocessor=STOCK))
    pre = MODELS.build(dict(type='GenISPDataPreprocessor', isp=paper,
                            isp_checkpoint=str(ckpt),
                            data_preprocessor=STOCK))
    for k, v in pre.isp.state_dict().items():
        assert torch.equal(v, state[f'data_preprocessor.isp.{k}'])
    # How the shallow ConvNet computes (its path, gradient checkpointing)
    # is not what it computes: the same ISP loads.
    how = dict(paper, enhance_cfg=dict(path='eager', checkpoint=True))
    pre = MODELS.build(dict(type='GenISPDataPreprocessor', isp=how,
                            isp_checkpoint=str(ckpt),
                            data_preprocessor=STOCK))
    assert pre.isp.enhance.checkpoint and pre.isp.enhance.path == 'eager'


def test_isp_checkpoint_check_compares_what_configs_build(tmp_path):
    """The check resolves each GenISP config to every setting it builds:
    weights saved under ``dict(type='GenISP')`` load into a config that
    spells the same defaults out (the shipped base config's), and weights
    whose ConvCC was unbounded are refused by the default, which bounds
    it; a setting GenISP does not take is named with the file."""
    from genisp_mmdet.isp import GenISP
    init_default_scope('mmdet')
    spelled = Config.fromfile(os.path.join(
        REPO, 'configs/_base_/models/genisp.py')).isp.to_dict()
    assert spelled != dict(type='GenISP')

    def save(name, isp_cfg, **kwargs):
        state = {f'data_preprocessor.isp.{k}': v
                 for k, v in GenISP(**kwargs).state_dict().items()}
        ckpt = tmp_path / name
        torch.save(dict(state_dict=state, meta=dict(
            cfg=f'model = dict(data_preprocessor=dict(isp={isp_cfg!r}))\n')),
            ckpt)
        return str(ckpt)

    plain = save('plain.pth', dict(type='GenISP'))
    MODELS.build(dict(type='GenISPDataPreprocessor', isp=spelled,
                      isp_checkpoint=plain, data_preprocessor=STOCK))
    free = dict(type='GenISP', cc_cfg=dict(max_log_norm=None))
    unbounded = save('unbounded.pth', free, cc_cfg=dict(max_log_norm=None))
    with pytest.raises(ValueError, match='different: cc_cfg'):
        MODELS.build(dict(type='GenISPDataPreprocessor', isp=spelled,
                          isp_checkpoint=unbounded, data_preprocessor=STOCK))
    # a switched-off stage's settings do not matter
    no_cc = save('no_cc.pth', dict(free, cc=False), cc=False)
    MODELS.build(dict(type='GenISPDataPreprocessor',
                      isp=dict(type='GenISP', cc=False),
                      isp_checkpoint=no_cc, data_preprocessor=STOCK))
    future = save('future.pth', dict(type='GenISP', warp=True))
    with pytest.raises(ValueError, match='future.pth.*takes no argument warp'):
        MODELS.build(dict(type='GenISPDataPreprocessor', isp=spelled,
                          isp_checkpoint=future, data_preprocessor=STOCK))
