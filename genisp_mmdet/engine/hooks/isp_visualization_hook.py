"""mmdet glue: watch the ISP learn, on fixed validation images."""
from __future__ import annotations

import os
from typing import Optional, Sequence

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmdet.registry import HOOKS


def isp_grid(images: Sequence[torch.Tensor], height: int = 240) -> np.ndarray:
    """ISP outputs ``(3, H, W)`` (nominally [0, 1]) -> one RGB uint8 row,
    each image resized to ``height`` and clipped to [0, 1]."""
    import cv2
    tiles = []
    for img in images:
        arr = img.detach().float().clamp(0, 1).permute(1, 2, 0).cpu().numpy()
        w = max(1, round(arr.shape[1] * height / arr.shape[0]))
        tiles.append(
            cv2.resize((arr * 255).round().astype(np.uint8), (w, height),
                       interpolation=cv2.INTER_AREA))
    return np.concatenate(tiles, axis=1)


@HOOKS.register_module()
class ISPVisualizationHook(Hook):
    """At every validation, saves the ISP's output for the first
    ``num_images`` validation images (the same images each time, the val
    loader does not shuffle) to ``<work_dir>/isp_vis/iter_<N>.png`` and to
    the visualiser's backends (TensorBoard where configured).

    Args:
        num_images: how many images of the first validation batch.
        height: tile height in pixels.
    """
    priority = 'LOW'

    def __init__(self, num_images: int = 4, height: int = 240) -> None:
        self.num_images = num_images
        self.height = height
        self._done_this_val = False

    def before_val_epoch(self, runner) -> None:
        self._done_this_val = False

    def after_val_iter(self, runner, batch_idx: int, data_batch: dict,
                       outputs: Optional[Sequence] = None) -> None:
        if self._done_this_val:
            return
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        preprocessor = model.data_preprocessor
        if not hasattr(preprocessor, 'run_isp'):
            return
        inputs = data_batch['inputs'][:self.num_images]
        with torch.no_grad():
            images = preprocessor.run_isp(inputs)
        grid = isp_grid(images, self.height)
        self._done_this_val = True
        if runner.rank != 0:
            return
        out_dir = os.path.join(runner.work_dir, 'isp_vis')
        os.makedirs(out_dir, exist_ok=True)
        import cv2
        cv2.imwrite(
            os.path.join(out_dir, f'iter_{runner.iter}.png'), grid[..., ::-1])
        runner.visualizer.add_image('isp_output', grid, step=runner.iter)
