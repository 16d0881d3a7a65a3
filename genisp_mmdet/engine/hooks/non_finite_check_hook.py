"""mmdet glue: stop training at the first NaN or Inf, before any checkpoint
of it is written."""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import torch
from mmengine.dist import all_reduce, get_world_size
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmdet.registry import HOOKS


class NonFiniteError(FloatingPointError):
    """A NaN or Inf appeared in training."""


# What can go non-finite, in the order a NaN travels through one iteration.
CHECKS = ('ISP input', 'ISP output', 'loss', 'trainable weights')


@HOOKS.register_module()
class NonFiniteCheckHook(Hook):
    """Stops training at the first iteration with a non-finite ISP input or
    output, loss, or trainable weight, with an error naming the iteration,
    what was non-finite and, for the ISP, which images.

    The ISP (``model.data_preprocessor.isp``, where the model has one) is
    watched through a forward hook during training iterations; the loss
    and the trainable parameters (after the optimiser's update: a
    non-finite gradient shows there even when the loss was finite) are
    checked in ``after_train_iter``. The priority is ``VERY_HIGH``, so the
    check runs before :class:`~mmengine.hooks.CheckpointHook` in the same
    ``after_train_iter`` and nothing after the bad iteration is saved: the
    last checkpoint on disk predates it. With several ranks the flags are
    all-reduced, so every rank stops at the same iteration (one rank's NaN
    reaches every rank's weights through the gradient all-reduce anyway).

    mmdet's ``CheckInvalidLossHook`` checks the loss only, every 50
    iterations, with an ``assert`` (gone under ``python -O``).

    Args:
        interval: check every this many iterations (the ISP output of
            every iteration in between is still watched and reported).
    """

    priority = 'VERY_HIGH'

    def __init__(self, interval: int = 1) -> None:
        self.interval = interval
        self._handle = None
        self._params: List[Tuple[str, torch.nn.Parameter]] = []
        self._isp_problems: List[str] = []
        self._bad_images: List[str] = []
        self._batch = None

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        self._params = [(n, p) for n, p in model.named_parameters()
                        if p.requires_grad]
        isp = getattr(getattr(model, 'data_preprocessor', None), 'isp', None)
        if isp is not None:
            self._handle = isp.register_forward_hook(self._watch_isp)

    def after_train(self, runner) -> None:
        if self._handle is not None:
            self._handle.remove()
            self._handle = None

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        # With several ranks, a problem between checks waits for the next
        # check (which all ranks reach together): kept until then.
        if get_world_size() == 1 or not self._isp_problems:
            self._isp_problems = []
            self._bad_images = []
        self._batch = data_batch

    def _watch_isp(self, module, args, output) -> None:
        if not module.training:  # validation inside training
            return
        for what, images in (('ISP input', args[0] if args else None),
                             ('ISP output', output)):
            if images is None:
                continue
            images = list(images) if not isinstance(images,
                                                    torch.Tensor) else images
            finite = torch.stack(
                [torch.isfinite(x).all() for x in images]).cpu().tolist()
            bad = [i for i, ok in enumerate(finite) if not ok]
            if bad:
                self._isp_problems.append(what)
                for path in self._image_paths(self._batch, bad):
                    if path not in self._bad_images:
                        self._bad_images.append(path)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        due = self.every_n_train_iters(runner, self.interval)
        # Ranks must reach the all-reduce below together: between
        # intervals only a single process may stop early on its own.
        if not due and not (self._isp_problems and get_world_size() == 1):
            return
        found = set(self._isp_problems)
        loss = (outputs or {}).get('loss')
        if loss is not None and not torch.isfinite(
                torch.as_tensor(loss)).all():
            found.add('loss')
        bad_params = self._non_finite_params()
        if bad_params:
            found.add('trainable weights')
        flags = torch.tensor([float(c in found) for c in CHECKS])
        if get_world_size() > 1:
            all_reduce(flags, op='max')
        found_anywhere = [c for c, f in zip(CHECKS, flags.tolist()) if f]
        if not found_anywhere:
            return
        msg = (f'non-finite {", ".join(found_anywhere)} at iteration '
               f'{runner.iter + 1} (epoch {runner.epoch + 1}, batch '
               f'{batch_idx + 1})')
        if 'ISP output' in found and 'ISP input' not in found:
            msg += '; the ISP turned finite inputs into NaN/Inf'
        if self._bad_images:
            msg += f'; images: {", ".join(self._bad_images)}'
        if bad_params:
            msg += f'; weights: {", ".join(bad_params[:5])}'
        last = runner.message_hub.get_info('last_ckpt')
        msg += ('. Training stopped before saving anything of this '
                'iteration; last checkpoint: ' +
                (str(last) if last else 'none yet'))
        runner.logger.error(msg)
        raise NonFiniteError(msg)

    def _non_finite_params(self) -> List[str]:
        if not self._params:
            return []
        finite = torch.stack([torch.isfinite(p).all()
                              for _, p in self._params]).cpu().tolist()
        return [n for (n, _), ok in zip(self._params, finite) if not ok]

    @staticmethod
    def _image_paths(data_batch, indices: Sequence[int]) -> List[str]:
        samples = (data_batch or {}).get('data_samples') or []
        out = []
        for i in indices:
            if i < len(samples):
                out.append(str(samples[i].metainfo.get('img_path', i)))
        return out
