"""mmdet's ``DetInferencer`` for configs whose test pipeline loads RAW files.

mmdet's own ``DetInferencer`` cannot serve such a config from outside
mmdet: its ``_init_pipeline`` accepts only a first transform typed exactly
``LoadImageFromFile`` and replaces it by ``mmdet.InferencerLoader``, which
builds ``LoadImageFromFile`` and ``mmdet.LoadImageFromNDArray`` with the
same arguments (a RAW loader's ``mode`` or ``cache_dir`` would make the
latter fail, and the former is OpenCV's 8-bit decoder), and its
``visualize`` decodes the file with ``mmcv.imfrombytes`` (OpenCV cannot
read a DNG's 12-bit data). :class:`RawDetInferencer` changes those three
steps and nothing else: same arguments, same call, same outputs.
"""
from __future__ import annotations

import copy
import os
import os.path as osp
from typing import List, Optional, Union

import numpy as np
import torch
from mmdet.apis import DetInferencer
from mmdet.structures import DetDataSample
from mmengine.dataset import Compose

from ..datasets.transforms import LoadRawImageFromFile
from ..models.data_preprocessors.genisp_data_preprocessor import \
    RAW_EXTENSIONS
from .inference import detection_from_sample, predict_with_isp


class RawInferencerLoader(LoadRawImageFromFile):
    """:class:`LoadRawImageFromFile` that also takes a path alone, as
    ``DetInferencer`` hands its inputs to the pipeline (the role of mmdet's
    ``InferencerLoader``).

    Accepts a path string or a results dict with ``img_path``; a decoded
    array is refused: the ISP needs the file's CFA data, black and white
    levels and colour matrix.
    """

    def transform(self, results: Union[str, dict, np.ndarray]):
        if isinstance(results, np.ndarray):
            raise TypeError(
                'a RAW model runs on RAW files: give the path of the file, '
                f'not a decoded array (got an array of shape {results.shape})')
        if isinstance(results, str):
            results = dict(img_path=results)
        return super().transform(results)


class RawDetInferencer(DetInferencer):
    """``DetInferencer`` for GenISP configs (test pipeline with
    :class:`LoadRawImageFromFile`); other configs run as in mmdet.

    ``RawDetInferencer(model=config, weights=checkpoint)('photo.dng')``
    returns what mmdet's inferencer returns: ``predictions`` with boxes in
    full-resolution pixels of the file's annotated area (the coordinates of
    :class:`~genisp_mmdet.apis.IspDetector` and ``tools/infer.py``), and
    with ``return_vis``/``out_dir`` the drawn detections. What is drawn on
    is the ISP's output (what the detector saw), at the packed resolution
    (half the annotated area) as ``tools/infer.py`` writes it by default;
    ``out_dir`` gets ``vis/<name>.png`` and, with ``no_save_pred=False``,
    ``preds/<name>.json``. Each returned ``DetDataSample`` also carries
    ``isp_output``, the ISP's ``(3, h, w)`` float RGB output at the
    detector's input size.

    An input may also be a dict ``dict(img_path=..., width=..., height=...)``
    where annotations refer to another area than the file's own crop (as
    RAW-NOD's Sony files); a directory lists the RAW files in it (by
    extension, any case) instead of mmdet's image extensions.

    Args: those of ``mmdet.apis.DetInferencer``.
    """

    def _init_pipeline(self, cfg) -> Compose:
        # A copy: the config keeps its own loader (and stays printable).
        pipeline_cfg = copy.deepcopy(cfg.test_dataloader.dataset.pipeline)
        idx = self._get_transform_idx(
            pipeline_cfg, ('LoadRawImageFromFile', LoadRawImageFromFile))
        self.loads_raw = idx != -1
        if not self.loads_raw:
            return super()._init_pipeline(cfg)
        # As DetInferencer: img_id means nothing at inference.
        if 'meta_keys' in pipeline_cfg[-1]:
            pipeline_cfg[-1]['meta_keys'] = tuple(
                k for k in pipeline_cfg[-1]['meta_keys'] if k != 'img_id')
        pipeline_cfg[idx]['type'] = RawInferencerLoader
        return Compose(pipeline_cfg)

    def _inputs_to_list(self, inputs) -> list:
        if (self.loads_raw and isinstance(inputs, str)
                and osp.isdir(inputs)):
            return [
                osp.join(inputs, name) for name in sorted(os.listdir(inputs))
                if osp.splitext(name)[1].lower() in RAW_EXTENSIONS
            ]
        return super()._inputs_to_list(inputs)

    @torch.no_grad()
    def forward(self, inputs: dict, **kwargs) -> List[DetDataSample]:
        if not self.loads_raw:
            return super().forward(inputs, **kwargs)
        isp_outputs, preds = predict_with_isp(self.model, inputs)
        for isp_out, pred in zip(isp_outputs, preds):
            pred.isp_output = isp_out
        return preds

    def visualize(self,
                  inputs: list,
                  preds: List[DetDataSample],
                  return_vis: bool = False,
                  show: bool = False,
                  wait_time: int = 0,
                  draw_pred: bool = True,
                  pred_score_thr: float = 0.3,
                  no_save_vis: bool = False,
                  img_out_dir: str = '',
                  **kwargs) -> Optional[List[np.ndarray]]:
        """Draw the predictions on the ISP's output at the packed
        resolution; returns the drawn ``(h, w, 3)`` uint8 RGB images where
        ``DetInferencer.visualize`` would (arguments: its own)."""
        if not self.loads_raw:
            return super().visualize(
                inputs, preds, return_vis=return_vis, show=show,
                wait_time=wait_time, draw_pred=draw_pred,
                pred_score_thr=pred_score_thr, no_save_vis=no_save_vis,
                img_out_dir=img_out_dir, **kwargs)
        if no_save_vis:
            img_out_dir = ''
        if not show and img_out_dir == '' and not return_vis:
            return None
        if self.visualizer is None:
            raise ValueError('Visualization needs the "visualizer" term '
                             'defined in the config, but got None.')
        results = []
        for path, pred in zip(inputs, preds):
            image, boxes = detection_from_sample(pred.isp_output,
                                                 pred).render()
            name = osp.splitext(osp.basename(str(path)))[0] + '.png'
            drawn = DetDataSample(metainfo=pred.metainfo)
            drawn.pred_instances = boxes
            self.visualizer.add_datasample(
                name, image, drawn, show=show, wait_time=wait_time,
                draw_gt=False, draw_pred=draw_pred,
                pred_score_thr=pred_score_thr,
                out_file=(osp.join(img_out_dir, 'vis', name)
                          if img_out_dir else None))
            results.append(self.visualizer.get_image())
            self.num_visualized_imgs += 1
        return results
