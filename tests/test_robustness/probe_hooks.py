"""Hooks used by the robustness tests only: they act on a real run
(poison a value at one iteration, hold a run so that it can be killed at a
known point, record each rank's ISP state). Imported by the tests' configs
through ``custom_imports``."""
import os
import time

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmdet.registry import HOOKS


def _model(runner):
    return runner.model.module if is_model_wrapper(runner.model) \
        else runner.model


@HOOKS.register_module()
class PoisonHook(Hook):
    """Before training iteration ``at_iter`` (0-based), makes one value
    non-finite.

    Args:
        target: ``'isp_output'`` (the ISP's last bias becomes NaN, so its
            output does), ``'loss'`` (the frozen detector's classification
            bias becomes NaN: the ISP output stays finite, the loss does
            not) or ``'gradient'`` (a hook turns one ISP gradient into NaN:
            output and loss stay finite, the updated weights do not).
        at_iter: the 0-based iteration.
    """

    def __init__(self, target, at_iter):
        assert target in ('isp_output', 'loss', 'gradient')
        self.target = target
        self.at_iter = at_iter
        self._handle = None

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter != self.at_iter:
            return
        model = _model(runner)
        isp = model.data_preprocessor.isp
        with torch.no_grad():
            if self.target == 'isp_output':
                isp.enhance.body[-1].bias[0] = float('nan')
            elif self.target == 'loss':
                model.bbox_head.retina_cls.bias.fill_(float('nan'))
        if self.target == 'gradient':
            self._handle = isp.enhance.body[0].weight.register_hook(
                lambda g: torch.full_like(g, float('nan')))

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if self._handle is not None:
            self._handle.remove()
            self._handle = None


@HOOKS.register_module()
class HoldHook(Hook):
    """When the environment variable ``GENISP_TEST_HOLD`` names a file,
    writes that file before training iteration ``at_iter`` (0-based) and
    waits there, so that a test can kill the process at a known point;
    does nothing otherwise (the same config then runs straight through).
    """

    def __init__(self, at_iter):
        self.at_iter = at_iter

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        marker = os.environ.get('GENISP_TEST_HOLD')
        if marker and runner.iter == self.at_iter:
            with open(marker, 'w') as f:
                f.write(str(runner.iter))
            time.sleep(300)


@HOOKS.register_module()
class RecordISPHook(Hook):
    """Saves, for each rank and training iteration, the images seen, the
    loss, the ISP's gradients as the optimiser received them (after the
    all-reduce and clipping) and its weights after the update, to
    ``<out_dir>/rank<r>_iter<i>.pt``; and each rank's full model state at
    the end to ``<out_dir>/rank<r>_final.pt``."""

    def __init__(self, out_dir):
        self.out_dir = out_dir
        self._grads = None

    def before_train(self, runner):
        os.makedirs(self.out_dir, exist_ok=True)
        isp = _model(runner).data_preprocessor.isp
        names = {p: n for n, p in isp.named_parameters()}

        def keep_grads(optimizer, args, kwargs):
            self._grads = {
                names[p]: p.grad.detach().clone()
                for group in optimizer.param_groups for p in group['params']
                if p in names and p.grad is not None
            }

        runner.optim_wrapper.optimizer.register_step_pre_hook(keep_grads)

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        isp = _model(runner).data_preprocessor.isp
        torch.save(
            dict(
                images=[s.img_path for s in data_batch['data_samples']],
                loss=float(outputs['loss']),
                grads=self._grads,
                weights={k: v.detach().clone()
                         for k, v in isp.state_dict().items()}),
            os.path.join(self.out_dir,
                         f'rank{get_rank()}_iter{runner.iter}.pt'))

    def after_train(self, runner):
        torch.save(_model(runner).state_dict(),
                   os.path.join(self.out_dir, f'rank{get_rank()}_final.pt'))
