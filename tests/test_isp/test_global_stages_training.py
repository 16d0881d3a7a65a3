"""The global stages of the default GenISP stay trainable: after a short
training through the frozen, shipped RetinaNet (the configs' own optimiser
settings), none of ConvWB's or ConvCC's squashing arguments is beyond twice
its bound (where tanh's slope falls below 0.07) and gradients still reach
both encoders. The same training of the tanh-bounded parametrisation the
project used before, without its exposure normalisation and the encoders'
own learning rate, saturates: the test can fail, and shows why the default
changed."""
import os

import pytest
import torch
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from mmdet.registry import MODELS

import genisp_mmdet  # noqa: F401
from genisp_mmdet.isp.diagnostics import stage_records, summarize
from genisp_mmdet.synthetic import SceneConfig, generate_raw_split
from ..helpers import REPO

MAIN = 'configs/genisp/genisp_retinanet_r18-slim_fpn_12e_synthetic-raw.py'
STEPS = 30
# The parametrisation before: tanh bounds on log-gains and log-matrix,
# images as they are, every ISP parameter at the base learning rate.
BEFORE = dict(isp=dict(type='GenISP', normalize=None, tone=None,
                       wb_cfg=dict(parametrization='bounded'),
                       cc_cfg=dict(parametrization='bounded')),
              paramwise_cfg=None)


@pytest.fixture(scope='module')
def batch(tmp_path_factory):
    """Four night scenes of camera A at 160x120, through the main config's
    training pipeline (no random flip), as one batch."""
    root = str(tmp_path_factory.mktemp('scenes'))
    ann = generate_raw_split(root, 'train', 4, ['SonyRX100M7'],
                             scene_cfg=SceneConfig(width=160, height=120),
                             workers=1, progress=False)['SonyRX100M7']
    cfg = Config.fromfile(os.path.join(REPO, MAIN))
    init_default_scope('mmdet')
    steps = [t for t in cfg.train_dataloader.dataset.pipeline
             if t['type'] != 'RandomFlip']
    pipeline = Compose(steps)
    import json
    with open(ann) as f:
        data = json.load(f)
    items = []
    for im in data['images']:
        boxes = [a for a in data['annotations'] if a['image_id'] == im['id']]
        items.append(pipeline(dict(
            img_path=os.path.join(root, 'SonyRX100M7', 'raw_images',
                                  im['file_name']),
            img_id=im['id'], width=im['width'], height=im['height'],
            instances=[dict(bbox=[b['bbox'][0], b['bbox'][1],
                                  b['bbox'][0] + b['bbox'][2],
                                  b['bbox'][1] + b['bbox'][3]],
                            bbox_label=b['category_id'] - 1, ignore_flag=0)
                       for b in boxes])))
    return pseudo_collate(items)


def _train(batch, isp=None, paramwise_cfg='config'):
    """``STEPS`` training steps of the main config's model (its ISP
    replaced by ``isp`` if given) with its optimiser settings; returns the
    ISP and the gradient norms of the encoders' last layers at the end."""
    cfg = Config.fromfile(os.path.join(REPO, MAIN))
    if isp is not None:
        cfg.model.data_preprocessor.isp = isp
    optim = cfg.optim_wrapper.to_dict()
    if paramwise_cfg is None:
        optim.pop('paramwise_cfg', None)
    init_default_scope('mmdet')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    load_checkpoint(model, os.path.join(REPO, cfg.load_from),
                    map_location='cpu', logger='silent')
    model.train()
    wrapper = build_optim_wrapper(model, optim)
    for _ in range(STEPS):
        model.train_step(batch, wrapper)
    isp_module = model.data_preprocessor.isp
    isp_module.zero_grad()
    data = model.data_preprocessor(batch, training=True)
    loss, _ = model.parse_losses(model(**data, mode='loss'))
    loss.backward()
    grads = {name: stage.encoder.fc.weight.grad.norm().item()
             for name, stage in (('wb', isp_module.conv_wb),
                                 ('cc', isp_module.conv_cc))}
    return model, grads


def test_default_global_stages_do_not_saturate(batch):
    model, grads = _train(batch)
    pre = model.data_preprocessor
    s = summarize(stage_records(pre.isp, pre.isp_inputs(batch['inputs'])))
    assert s['saturated'] == 0.0, s
    assert s['squash_max'] < 2, s
    assert all(g > 0 for g in grads.values()), grads


def test_the_former_parametrisation_saturates(batch):
    model, _ = _train(batch, BEFORE['isp'], BEFORE['paramwise_cfg'])
    pre = model.data_preprocessor
    s = summarize(stage_records(pre.isp, pre.isp_inputs(batch['inputs'])))
    assert s['saturated'] > 0, s
    assert s['squash_max'] > 2, s
