"""Run a config + checkpoint on single files: the ISP's output and the
detections, for tools/infer.py, RawDetInferencer and the study's figures."""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple, Union

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
            area (``bboxes`` ``(K, 4)`` float32 xyxy, ``scores`` ``(K,)``,
            ``labels`` ``(K,)`` int64).
        pred_on_image: the same boxes in ``isp_image`` pixels.
        ori_shape: ``(H, W)`` of the annotated area.
        loaded_shape: ``(h, w)`` of the image the loader produced, before
            the pipeline resized it: the packed resolution (half the
            annotated area) of a RAW file in modes ``xyz`` and
            ``camera_rgb``, the annotated size for LibRaw's processing and
            8-bit files.
    """
    isp_image: np.ndarray
    pred: InstanceData
    pred_on_image: InstanceData
    ori_shape: tuple
    loaded_shape: tuple

    def render_size(self, size: Optional[Sequence[int]] = None,
                    scale: Optional[float] = None) -> Tuple[int, int]:
        """``(w, h)`` of :meth:`render`'s image: ``size`` as given,
        ``scale`` times the annotated area, else :attr:`loaded_shape`."""
        if size is not None and scale is not None:
            raise ValueError('give an output size or a scale, not both')
        if size is not None:
            w, h = (int(v) for v in size)
            if w < 1 or h < 1:
                raise ValueError(f'output size must be positive, got {w}x{h}')
            return w, h
        if scale is not None:
            if not scale > 0:
                raise ValueError(f'scale must be positive, got {scale}')
            height, width = self.ori_shape
            return (max(1, round(width * scale)),
                    max(1, round(height * scale)))
        return int(self.loaded_shape[1]), int(self.loaded_shape[0])

    def render(self, size: Optional[Sequence[int]] = None,
               scale: Optional[float] = None
               ) -> Tuple[np.ndarray, InstanceData]:
        """The ISP's output resized to :meth:`render_size` and the
        predictions in its pixels.

        Returns:
            ``(h, w, 3)`` uint8 RGB image, and :attr:`pred` with ``bboxes``
            scaled from annotated-area pixels to the image's (each axis by
            its own factor, so a ``size`` of another aspect ratio stretches
            image and boxes alike).
        """
        import cv2
        w, h = self.render_size(size, scale)
        src_h, src_w = self.isp_image.shape[:2]
        # Area averaging where the image shrinks, else bilinear.
        shrink = w < src_w and h < src_h
        image = cv2.resize(self.isp_image, (w, h),
                           interpolation=cv2.INTER_AREA
                           if shrink else cv2.INTER_LINEAR)
        height, width = self.ori_shape
        boxes = self.pred.clone()
        boxes.bboxes = self.pred.bboxes * self.pred.bboxes.new_tensor(
            [w / width, h / height, w / width, h / height])
        return image, boxes


def isp_to_uint8(img: torch.Tensor) -> np.ndarray:
    """ISP output ``(3, H, W)``, nominally [0, 1] -> ``(H, W, 3)`` uint8."""
    return (img.detach().float().clamp(0, 1).permute(1, 2, 0).cpu().numpy()
            * 255).round().astype(np.uint8)


def predict_with_isp(model, batch: dict) -> Tuple[List[torch.Tensor], list]:
    """``model.test_step(batch)`` and, from the same run, the ISP's output
    of each image.

    Args:
        model: a detector behind :class:`GenISPDataPreprocessor`.
        batch: ``pseudo_collate`` of test-pipeline results.

    Returns:
        ISP outputs, ``(3, h, w)`` float RGB, nominally [0, 1], at the
        detector's input size (unpadded); and the ``DetDataSample``
        predictions.
    """
    isp = getattr(model.data_preprocessor, 'isp', None)
    if isp is None:
        raise TypeError(
            f'the model\'s {type(model.data_preprocessor).__name__} runs no '
            'ISP: give a config whose model.data_preprocessor is a '
            'GenISPDataPreprocessor')
    # A hook rather than a second run_isp call: the ISP runs once.
    outputs = []
    handle = isp.register_forward_hook(
        lambda module, args, out: outputs.append(out))
    try:
        with torch.no_grad():
            samples = model.test_step(batch)
    finally:
        handle.remove()
    if len(outputs) != 1:
        raise RuntimeError(f'the ISP ran {len(outputs)} times in one test '
                           'step, expected once')
    return list(outputs[0]), samples


def detection_from_sample(isp_out: torch.Tensor, sample) -> IspDetection:
    """An :class:`IspDetection` from one ISP output ``(3, h, w)`` and the
    ``DetDataSample`` predicted from it."""
    pred = sample.pred_instances
    sx, sy = sample.metainfo['scale_factor']
    on_image = pred.clone()
    on_image.bboxes = pred.bboxes * pred.bboxes.new_tensor([sx, sy, sx, sy])
    height, width = sample.metainfo['ori_shape']
    # raw_scale: loaded-image pixels per annotated pixel (absent for 8-bit
    # files, which are loaded at their own size).
    rx, ry = sample.metainfo.get('raw_scale', (1.0, 1.0))
    loaded = (max(1, round(height * ry)), max(1, round(width * rx)))
    return IspDetection(isp_to_uint8(isp_out), pred, on_image,
                        (int(height), int(width)), loaded)


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
        isp_outputs, samples = predict_with_isp(self.model,
                                                self.load(path, width, height))
        return detection_from_sample(isp_outputs[0], samples[0])


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
