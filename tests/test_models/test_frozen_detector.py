"""FrozenDetector + GenISPDataPreprocessor built from the shipped configs."""
import os

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.optim import build_optim_wrapper
from mmdet.registry import MODELS

import genisp_mmdet  # noqa: F401
from genisp_mmdet.models.detectors import FrozenDetectorMixin
from ..helpers import DETECTORS, REPO

CONFIGS = {
    'RetinaNet': DETECTORS['retinanet'],
    'FCOS': DETECTORS['fcos'],
    'FasterRCNN': DETECTORS['faster-rcnn'],
}


def build(config):
    cfg = Config.fromfile(os.path.join(REPO, config))
    init_default_scope('mmdet')
    return cfg, MODELS.build(cfg.model)


@pytest.mark.parametrize('name', list(CONFIGS))
def test_only_the_isp_is_trainable(name):
    cfg, model = build(CONFIGS[name])
    assert isinstance(model, FrozenDetectorMixin)
    assert type(model).__mro__[2].__name__ == name
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable and all(
        n.startswith('data_preprocessor.isp.') for n in trainable)
    frozen = [n for n, p in model.named_parameters() if not p.requires_grad]
    assert any(n.startswith('backbone.') for n in frozen)

    # The optimiser holds exactly the ISP's parameters (built as the runner
    # builds it, with the config's paramwise_cfg).
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper.to_dict())
    in_optim = {id(p) for g in wrapper.optimizer.param_groups
                for p in g['params']}
    assert in_optim == {id(p) for p in model.parameters() if p.requires_grad}


@pytest.mark.parametrize('name', list(CONFIGS))
def test_state_dict_keys_are_the_stock_detectors(name):
    """Stock mmdet checkpoints load with load_from, no key remapping: the
    frozen model's keys are the plain detector's plus the ISP's."""
    cfg, model = build(CONFIGS[name])
    plain = MODELS.build(cfg.detector)  # the detector's own config
    keys = set(model.state_dict())
    plain_keys = set(plain.state_dict())
    assert plain_keys <= keys
    assert all(k.startswith('data_preprocessor.isp.')
               for k in keys - plain_keys)
    missing, unexpected = model.load_state_dict(plain.state_dict(),
                                                strict=False)
    assert not unexpected
    assert all(k.startswith('data_preprocessor.isp.') for k in missing)


def test_train_mode_keeps_frozen_modules_in_eval():
    _, model = build(CONFIGS['RetinaNet'])
    model.train()
    assert model.data_preprocessor.isp.training
    bns = [m for n, m in model.named_modules()
           if isinstance(m, torch.nn.BatchNorm2d)]
    assert bns and not any(m.training for m in bns)
    assert not model.backbone.training and not model.bbox_head.training
    model.eval()
    assert not model.data_preprocessor.isp.training


def test_the_model_keeps_the_detectors_own_keys():
    """Where mmdet's tools look for them (init_detector reads
    model.backbone): the wrapped model config is the detector's, with its
    type moved to `detector` and its preprocessor inside GenISP's."""
    # (not built: mmdet's detectors update the head configs they are given)
    cfg = Config.fromfile(os.path.join(REPO, CONFIGS['FCOS']))
    for key, value in cfg.detector.items():
        if key == 'type':
            assert cfg.model.detector == value
        elif key == 'data_preprocessor':
            assert cfg.model.data_preprocessor.data_preprocessor == value
        else:
            assert cfg.model[key] == value, key
    init_default_scope('mmdet')
    with pytest.raises(TypeError, match='detector=detector.type'):
        MODELS.build(dict(type='FrozenDetector', detector=cfg.detector))
