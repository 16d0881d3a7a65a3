"""mmdet glue: COCO evaluation of RAW data sets with any detector head."""
from __future__ import annotations

import os.path as osp
import tempfile
from typing import Dict, Optional, Sequence, Union

import torch
from mmdet.evaluation import CocoMetric
from mmdet.registry import METRICS
from mmengine.fileio import load
from mmengine.logging import MMLogger

from ...datasets.raw_coco import (class_cat_ids, coco_from_dict,
                                  load_coco_annotations)
from ..difficulty import flag_metrics, resolve_difficulty_flags


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

    Difficulty breakdown: with ``difficulty_flags``, bbox AP is also
    reported over the boxes that carry each per-box flag of the annotation
    file (RAW-NOD's Sony test file: ``isextreme``, ``isnoisy``, ...), the
    other boxes ignored as pycocotools ignores boxes outside an area range,
    and detections matched to no box counted as false positives (the rule
    and why: :mod:`genisp_mmdet.evaluation.difficulty`). Keys, for each
    flag ``F``: ``bbox_mAP_F``, ``bbox_mAP_50_F``, ``bbox_mAP_75_F`` (-1
    where no evaluated box has ``F``) and ``bbox_num_F``, the number of
    flagged boxes (``coco/`` in front, as for the other keys).

    Args:
        ann_file (str | None): COCO annotation file; None converts the data
            set's own ground truth (as ``CocoMetric`` does).
        label_map (dict[int, int] | None): detector label -> data set
            label, e.g. ``{0: 0, 1: 1, 2: 2}`` for COCO detectors on
            RAW-NOD.
        difficulty_flags (None | str | Sequence[str]): None (default) for
            no breakdown; a flag name or a sequence of them; ``'auto'`` for
            every key that is a JSON boolean on every box of ``ann_file``
            and true on some but not all (on the Sony test file: the eight
            ``is*`` flags other than ``islabeled``, which is true on every
            box). Needs ``ann_file`` and the ``'bbox'`` metric.
        **kwargs: ``CocoMetric`` arguments.

    Raises:
        ValueError: ``difficulty_flags`` without ``ann_file`` or without
            ``'bbox'`` in ``metric``, or flags the file does not carry on
            every box as true or false (the message names the file).
    """

    def __init__(self,
                 ann_file: Optional[str] = None,
                 label_map: Optional[Dict[int, int]] = None,
                 difficulty_flags: Union[None, str, Sequence[str]] = None,
                 **kwargs) -> None:
        super().__init__(ann_file=None, **kwargs)
        self.ann_file = ann_file
        self.label_map = (None if label_map is None else
                          {int(k): int(v) for k, v in label_map.items()})
        self.orig_img_ids: Dict[int, object] = {}
        self.difficulty_flags = []
        if difficulty_flags is not None:
            if ann_file is None:
                raise ValueError(
                    'RawCocoMetric: difficulty_flags needs ann_file (the '
                    'flags are read from the annotation file)')
            if 'bbox' not in self.metrics:
                raise ValueError(
                    f'RawCocoMetric ({ann_file}): difficulty_flags is '
                    f'computed for the "bbox" metric, not in {self.metrics}')
        if ann_file is not None:
            data, _ = load_coco_annotations(
                ann_file, backend_args=self.backend_args)
            self._coco_api = coco_from_dict(data)
            self.orig_img_ids = {
                im['id']: im['orig_id']
                for im in data['images'] if 'orig_id' in im
            }
            self.difficulty_flags = resolve_difficulty_flags(
                data['annotations'], difficulty_flags, str(ann_file))

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
        eval_results = super().compute_metrics(results)
        if self.difficulty_flags and not self.format_only:
            eval_results.update(self._difficulty_metrics(
                [pred for _, pred in results]))
        return eval_results

    def _difficulty_metrics(self, preds: Sequence[dict]) -> Dict[str, float]:
        """bbox AP of each of ``difficulty_flags`` (see the class)."""
        with tempfile.TemporaryDirectory() as tmp:
            files = self.results2json(preds, osp.join(tmp, 'results'))
            predictions = load(files['bbox'])
        if not predictions:  # CocoMetric has logged that it is empty
            return {}
        coco_dt = self._coco_api.loadRes(predictions)
        out = flag_metrics(self._coco_api, coco_dt, self.difficulty_flags,
                           self.img_ids, self.cat_ids, self.proposal_nums,
                           self.iou_thrs)
        logger = MMLogger.get_current_instance()
        logger.info(
            'bbox AP by difficulty flag (the flagged boxes; other boxes '
            'ignored; unmatched detections are false positives):\n' +
            '\n'.join(
                f'  {f}: {out[f"bbox_num_{f}"]} boxes, mAP '
                f'{out[f"bbox_mAP_{f}"]:.3f}, mAP_50 '
                f'{out[f"bbox_mAP_50_{f}"]:.3f}, mAP_75 '
                f'{out[f"bbox_mAP_75_{f}"]:.3f}'
                for f in self.difficulty_flags))
        return out
