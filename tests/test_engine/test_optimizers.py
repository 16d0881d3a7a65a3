"""TrainableOptimWrapperConstructor: the optimiser holds exactly the
parameters with ``requires_grad=True`` (with and without ``paramwise_cfg``,
through a model wrapper), the wrapper settings pass through, a model with
nothing to train is refused."""
import pytest
import torch
from mmengine.optim import OptimWrapper, build_optim_wrapper
from mmengine.registry import init_default_scope
from torch import nn

import genisp_mmdet  # noqa: F401


class IspAndDetector(nn.Module):
    """A trainable ``isp`` (conv + batch norm) before a frozen
    ``detector``."""

    def __init__(self):
        super().__init__()
        self.isp = nn.Sequential(nn.Conv2d(3, 3, 1), nn.BatchNorm2d(3))
        self.detector = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
        self.detector.requires_grad_(False)

    def forward(self, x):
        return self.detector(self.isp(x))


def _build(model, constructor='TrainableOptimWrapperConstructor', **cfg):
    init_default_scope('mmdet')
    cfg.setdefault('optimizer', dict(type='SGD', lr=0.1, weight_decay=1e-4))
    return build_optim_wrapper(model, dict(constructor=constructor, **cfg))


def _param_ids(wrapper):
    return [id(p) for g in wrapper.optimizer.param_groups for p in g['params']]


def test_only_trainable_parameters_reach_the_optimiser():
    model = IspAndDetector()
    wrapper = _build(model)
    assert isinstance(wrapper, OptimWrapper)
    assert sorted(_param_ids(wrapper)) == sorted(
        id(p) for p in model.isp.parameters())
    # mmengine's default constructor, for contrast, takes every parameter
    stock = _build(model, constructor='DefaultOptimWrapperConstructor')
    assert len(_param_ids(stock)) == len(list(model.parameters())) == 8


def test_paramwise_cfg_applies_to_the_trainable_groups():
    model = IspAndDetector()
    wrapper = _build(
        model, paramwise_cfg=dict(custom_keys={'isp.0': dict(lr_mult=0.5)},
                                  norm_decay_mult=0.0))
    groups = wrapper.optimizer.param_groups
    trainable = dict(model.named_parameters())
    by_id = {id(p): n for n, p in trainable.items()}
    settings = {by_id[id(g['params'][0])]: (g['lr'], g['weight_decay'])
                for g in groups}
    assert settings == {
        'isp.0.weight': (0.05, 1e-4),
        'isp.0.bias': (0.05, 1e-4),
        'isp.1.weight': (0.1, 0.0),
        'isp.1.bias': (0.1, 0.0),
    }


def test_a_wrapped_model_is_unwrapped():
    """``custom_keys`` match the inner model's parameter names, as for the
    bare model: a key with the wrapper's ``module.`` prefix matches
    nothing."""
    model = IspAndDetector()
    wrapped = nn.DataParallel(model)  # on CPU it only adds 'module.'
    assert next(wrapped.named_parameters())[0].startswith('module.isp')
    wrapper = _build(
        wrapped,
        paramwise_cfg=dict(custom_keys={'module.isp': dict(lr_mult=0.5)}))
    assert sorted(_param_ids(wrapper)) == sorted(
        id(p) for p in model.isp.parameters())
    assert {g['lr'] for g in wrapper.optimizer.param_groups} == {0.1}


def test_wrapper_settings_pass_through():
    wrapper = _build(IspAndDetector(), type='OptimWrapper',
                     accumulative_counts=2, clip_grad=dict(max_norm=1.0))
    assert wrapper._accumulative_counts == 2
    assert wrapper.clip_grad_kwargs == dict(max_norm=1.0)


def test_a_training_step_updates_only_the_isp():
    torch.manual_seed(0)
    model = IspAndDetector()
    wrapper = _build(model, optimizer=dict(type='Adam', lr=0.01))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    wrapper.update_params(model(torch.rand(2, 3, 8, 8)).square().mean())
    after = model.state_dict()
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    assert {k for k in changed if k.endswith(('weight', 'bias'))} == {
        'isp.0.weight', 'isp.0.bias', 'isp.1.weight', 'isp.1.bias'}
    assert len(wrapper.optimizer.state_dict()['state']) == 4


@pytest.mark.parametrize('paramwise', [False, True])
def test_nothing_to_train_is_refused(paramwise):
    model = IspAndDetector()
    model.requires_grad_(False)
    cfg = dict(paramwise_cfg=dict(norm_decay_mult=0.0)) if paramwise else {}
    with pytest.raises(ValueError, match='no trainable parameters'):
        _build(model, **cfg)
