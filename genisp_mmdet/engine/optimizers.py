"""mmdet glue: an optimiser that holds only the trainable (ISP) parameters."""
from __future__ import annotations

from typing import List

import torch.nn as nn
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper
from mmdet.registry import OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS, OPTIMIZERS


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class TrainableOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """:class:`DefaultOptimWrapperConstructor` over the parameters with
    ``requires_grad=True`` only, so a frozen detector's weights never reach
    the optimiser (no state, no weight decay, smaller checkpoints).
    ``paramwise_cfg`` works as usual on what remains.
    """

    def __call__(self, model: nn.Module) -> OptimWrapper:
        if hasattr(model, 'module'):
            model = model.module
        if self.paramwise_cfg:
            groups: List[dict] = []
            self.add_params(groups, model)
            params = [g for g in groups if g['params'][0].requires_grad]
        else:
            params = [p for p in model.parameters() if p.requires_grad]
        if not params:
            raise ValueError('no trainable parameters: every parameter has '
                             'requires_grad=False (nothing to train)')
        optimizer_cfg = self.optimizer_cfg.copy()
        optimizer_cfg['params'] = params
        optimizer = OPTIMIZERS.build(optimizer_cfg)
        wrapper_cfg = self.optim_wrapper_cfg.copy()
        wrapper_cfg.setdefault('type', 'OptimWrapper')
        return OPTIM_WRAPPERS.build(
            wrapper_cfg, default_args=dict(optimizer=optimizer))
