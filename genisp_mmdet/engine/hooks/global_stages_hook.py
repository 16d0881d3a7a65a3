"""mmdet glue: what the ISP's global stages predict, at every validation."""
from __future__ import annotations

import json
import math
from typing import Dict, List, Optional, Sequence

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmdet.registry import HOOKS


@HOOKS.register_module()
class GlobalStagesHook(Hook):
    """After each validation, summarises what a GenISP's global stages
    (exposure normalisation, ConvWB, ConvCC) predicted on the first
    ``num_images`` validation images (:mod:`genisp_mmdet.isp.diagnostics`):
    are they saturated, do they vary from image to image, do they follow
    the scene's light? The summaries are logged with the validation
    metrics (``isp/saturated``, ``isp/gain_log_std``, ...; per channel
    ``_x``, ``_y``, ``_z``), so they land in ``scalars.json`` by epoch.

    Where the validation annotation file records each image's colour
    temperature (``illuminant_k``, as the synthetic benchmark does), the
    correlation with the scene illuminant is logged too.

    Args:
        num_images: validation images summarised (the first ones).
    """

    priority = 'NORMAL'  # before the logger writes the validation metrics

    def __init__(self, num_images: int = 64) -> None:
        self.num_images = num_images
        self._inputs: List = []
        self._ids: List = []
        self._whites: Optional[Dict] = None

    def before_val_epoch(self, runner) -> None:
        self._inputs, self._ids = [], []

    def after_val_iter(self, runner, batch_idx: int, data_batch=None,
                       outputs: Optional[Sequence] = None) -> None:
        room = self.num_images - len(self._inputs)
        if room <= 0 or not data_batch:
            return
        self._inputs += list(data_batch['inputs'][:room])
        self._ids += [s.metainfo.get('img_id')
                      for s in data_batch['data_samples'][:room]]

    def after_val_epoch(self, runner, metrics=None) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        pre = getattr(model, 'data_preprocessor', None)
        isp = getattr(pre, 'isp', None)
        if not self._inputs or not hasattr(isp, 'global_stages'):
            return
        from ...isp.diagnostics import stage_records, summarize
        whites = self._scene_whites(runner)
        known = whites is not None and all(i in whites for i in self._ids)
        records = stage_records(isp, pre.isp_inputs(self._inputs),
                                [whites[i] for i in self._ids]
                                if known else None)
        for key, value in summarize(records).items():
            if key in ('images', 'gain_mean', 'matrix_mean'):
                continue
            values = value if isinstance(value, list) else [value]
            names = ([f'{key}_{c}' for c in 'xyz'] if len(values) == 3
                     else [key])
            for name, v in zip(names, values):
                if isinstance(v, (int, float)) and math.isfinite(v):
                    runner.message_hub.update_scalar(f'val/isp/{name}', v)

    def _scene_whites(self, runner) -> Optional[Dict]:
        """img_id -> XYZ of the scene light, from the validation annotation
        file's ``illuminant_k`` (read once); None without one."""
        if self._whites is None:
            self._whites = {}
            ann_file = getattr(runner.val_dataloader.dataset, 'ann_file', '')
            try:
                with open(ann_file) as f:
                    images = json.load(f).get('images', [])
            except (OSError, ValueError):
                images = []
            from ...synthetic.unprocess import illuminant_white
            for im in images:
                if isinstance(im.get('illuminant_k'), (int, float)):
                    self._whites[im['id']] = illuminant_white(
                        im['illuminant_k']).tolist()
        return self._whites or None
