"""mmdet glue: COCO evaluation of RAW data sets with any detector head."""
from __future__ import annotations

from typing import Dict, Optional, Sequence

import torch
from mmdet.evaluation import CocoMetric
from mmdet.registry import METRICS
from mmengine.logging import MMLogger

from ...datasets.raw_coco import (class_cat_ids, coco_from_dict,
                                  load_coco_annotations)


@METRICS.register_module()
class RawCocoMetric(CocoMetric):
    """``CocoMetric`` that reads the ground truth as
    :class:`~genisp_mmdet.datasets.RawCocoDataset` does and maps the
    detector's label space onto the data set's.

    Ground truth: the annotation file goes through
    :func:`~genisp_mmdet.datasets.raw_coco.normalize_coco`, so image ids
    are the integers the data set gives its samples (string ids numbered in
    file order), annotation ids are positive (pycocotools counts a
    detection matched to annotation id 0 as a false positive), and the
    boxes the data set drops are not in the ground truth either.

    Labels: each prediction's label is looked up in ``label_map`` (detector
    label -> data set label); predictions whose label has no entry are
    dropped before COCO evaluation and counted in the log. With
    ``label_map=None`` the detector's labels are the data set's and labels
    beyond its classes are dropped. A COCO 80-class detector on RAW-NOD
    (person, bicycle, car = COCO labels 0, 1, 2) keeps those three and drops
    the other 77; AP is averaged over the data set's classes only.
    Categories are matched to ``dataset_meta['classes']`` by name, in that
    order.

    With ``format_only=True`` the result file uses the annotation file's own
    image ids (strings for most RAW-NOD files).

    Args:
        ann_file: COCO annotation file; None converts the data set's own
            ground truth (as ``CocoMetric`` does).
        label_map: detector label -> data set label, e.g.
            ``{0: 0, 1: 1, 2: 2}`` for COCO detectors on RAW-NOD.
        **kwargs: ``CocoMetric`` arguments.
    """

    def __init__(self,
                 ann_file: Optional[str] = None,
                 label_map: Optional[Dict[int, int]] = None,
                 **kwargs) -> None:
        super().__init__(ann_file=None, **kwargs)
        self.ann_file = ann_file
        self.label_map = (None if label_map is None else
                          {int(k): int(v) for k, v in label_map.items()})
        self.orig_img_ids: Dict[int, object] = {}
        if ann_file is not None:
            data, _ = load_coco_annotations(
                ann_file, backend_args=self.backend_args)
            self._coco_api = coco_from_dict(data)
            self.orig_img_ids = {
                im['id']: im['orig_id']
                for im in data['images'] if 'orig_id' in im
            }

    def _map_labels(self, labels: torch.Tensor) -> torch.Tensor:
        """Data set label of each detector label, -1 where it has none."""
        if self.label_map is None:
            num = len(self.dataset_meta['classes'])
            return torch.where((labels >= 0) & (labels < num), labels,
                               torch.full_like(labels, -1))
        out = torch.full_like(labels, -1)
        for src, dst in self.label_map.items():
            out[labels == src] = dst
        return out

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        start = len(self.results)
        kept_samples, dropped = [], []
        for sample in data_samples:
            pred = dict(sample['pred_instances'])
            labels = self._map_labels(pred['labels'])
            keep = labels >= 0
            for key, value in pred.items():
                if isinstance(value, torch.Tensor) and value.shape[:1] == \
                        keep.shape:
                    pred[key] = value[keep]
            pred['labels'] = labels[keep]
            kept_samples.append(dict(sample, pred_instances=pred))
            dropped.append(int((~keep).sum()))
        super().process(data_batch, kept_samples)
        # The count travels with the results, so that it is summed over
        # ranks when they are collected.
        for (_, result), n in zip(self.results[start:], dropped):
            result['num_dropped'] = n

    def results2json(self, results: Sequence[dict],
                     outfile_prefix: str) -> dict:
        if self.format_only and self.orig_img_ids:
            results = [
                dict(r, img_id=self.orig_img_ids.get(r['img_id'],
                                                     r['img_id']))
                for r in results
            ]
        return super().results2json(results, outfile_prefix)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        logger = MMLogger.get_current_instance()
        if self.cat_ids is None and self._coco_api is not None:
            self.cat_ids = class_cat_ids(
                self._coco_api.dataset['categories'],
                self.dataset_meta['classes'], str(self.ann_file))
        dropped = sum(r.get('num_dropped', 0) for _, r in results)
        if dropped:
            logger.info(
                f'{dropped} predictions of labels outside the data set\'s '
                f'{len(self.dataset_meta["classes"])} classes were dropped '
                'before COCO evaluation')
        return super().compute_metrics(results)
