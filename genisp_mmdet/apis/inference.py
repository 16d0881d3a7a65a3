"""Run a config + checkpoint on single files: the ISP's output and the
detections, for tools/infer.py and the study's figures."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Union

import numpy as np
import torch
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData


@dataclass
class IspDetection:
    """One image through the ISP and the detector.

    Attributes:
        isp_image: ``(h, w, 3)`` uint8 RGB, the ISP's output at the
            detector's input size (clipped to [0, 1] and scaled to 255).
        pred: predictions in full-resolution pixels of the file's annotated
            area (``bboxes`` ``(K, 4)`` xyxy, ``scores``, ``labels``).
        pred_on_image: the same boxes in ``isp_image`` pixels.
        ori_shape: ``(H, W)`` of the annotated area.
    """
    isp_image: np.ndarray
    pred: InstanceData
    pred_on_image: InstanceData
    ori_shape: tuple


def isp_to_uint8(img: torch.Tensor) -> np.ndarray:
    """ISP output ``(3, H, W)``, nominally [0, 1] -> ``(H, W, 3)`` uint8."""
    return (img.detach().float().clamp(0, 1).permute(1, 2, 0).cpu().numpy()
            * 255).round().astype(np.uint8)


class IspDetector:
    """A model from a config and checkpoint, with the config's test
    pipeline (annotation loading removed).

    Args:
        config: config path or :class:`Config`.
        checkpoint: checkpoint path; None keeps the config's ``load_from``.
        device: torch device string.
        cfg_options: overrides merged into the config.
    """

    def __init__(self, config: Union[str, Config],
                 checkpoint: Optional[str] = None, device: str = 'cpu',
                 cfg_options: Optional[dict] = None):
        from mmdet.apis import init_detector
        cfg = Config.fromfile(config) if isinstance(config, str) else config
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        init_default_scope(cfg.get('default_scope', 'mmdet'))
        self.model = init_detector(cfg, checkpoint or cfg.get('load_from'),
                                   device=device)
        self.cfg = cfg
        self.pipeline = Compose([
            t for t in cfg.test_dataloader.dataset.pipeline
            if t['type'] != 'LoadAnnotations'
        ])

    @property
    def dataset_meta(self) -> dict:
        return self.model.dataset_meta

    def load(self, path: str, width: Optional[int] = None,
             height: Optional[int] = None) -> dict:
        """One file through the test pipeline, as a batch of one;
        ``width``/``height``: the annotated size when the file's own crop
        is not what annotations refer to."""
        results = dict(img_path=path, img_id=0)
        if width and height:
            results.update(width=width, height=height)
        return pseudo_collate([self.pipeline(results)])

    def __call__(self, path: str, width: Optional[int] = None,
                 height: Optional[int] = None) -> IspDetection:
        """Run on one file (see :meth:`load`)."""
        batch = self.load(path, width, height)
        with torch.no_grad():
            isp_out = self.model.data_preprocessor.run_isp(batch['inputs'])[0]
            sample = self.model.test_step(batch)[0]
        pred = sample.pred_instances
        sx, sy = sample.metainfo['scale_factor']
        on_image = pred.clone()
        on_image.bboxes = pred.bboxes * pred.bboxes.new_tensor(
            [sx, sy, sx, sy])
        return IspDetection(isp_to_uint8(isp_out), pred, on_image,
                            tuple(sample.metainfo['ori_shape']))


def draw_detections(image: np.ndarray, pred_on_image: InstanceData,
                    dataset_meta: dict, score_thr: float = 0.3) -> np.ndarray:
    """Draw predictions on an RGB uint8 image with mmdet's
    DetLocalVisualizer; returns the drawn RGB uint8 image."""
    from mmdet.structures import DetDataSample
    from mmdet.visualization import DetLocalVisualizer
    vis = DetLocalVisualizer.get_instance('genisp_draw')
    vis.dataset_meta = dataset_meta
    sample = DetDataSample()
    sample.pred_instances = pred_on_image
    vis.add_datasample('image', image, sample, draw_gt=False, show=False,
                       pred_score_thr=score_thr)
    return vis.get_image()
