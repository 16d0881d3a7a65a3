"""COCO AP over the ground-truth boxes that carry a per-box flag.

RAW-NOD's Sony test file marks each box with booleans such as
``isextreme``, ``isnoisy`` or ``ismotionblur``. The AP of a flag ``F`` is
computed the way pycocotools computes AP for an area range, with "inside
the range" replaced by "flagged":

* ground truth: boxes with ``F`` false are ignored (``_ignore``), as boxes
  outside an area range are. They stay in the matching: a detection is
  matched to a flagged box where one qualifies and only otherwise to a
  non-flagged one, and a detection matched to a non-flagged box is
  ignored, neither true nor false positive.
* detections matched to no box count as false positives. With area ranges
  pycocotools ignores an unmatched detection whose own area lies outside
  the range; a flag is a property of an object (noise, blur, occlusion),
  not of a box's geometry, so an unmatched detection cannot be said to be
  "outside the flag". Ignoring every unmatched detection instead would
  leave the false alarms out of the precision, and the flag's AP would
  measure recall alone. Counting them keeps each flag's AP the overall AP
  with only the set of positives changed: same images, same detections,
  same false alarms.

As with area ranges, pycocotools matches a detection to a box that counts
(here: a flagged one) in preference to an ignored one, whatever their IoUs
once both pass the threshold, so where boxes crowd, the detection of a
non-flagged box can take an overlapping flagged box and leave that box's
own detection unmatched. On RAW-NOD's Sony test file, with every box
predicted exactly at one score, AP_50 is 0.997 for ``isheavilyoccluded``
and 0.999 for ``isextreme`` (1.0 for the other flags, and for these two
where the flagged boxes' detections score higher).

A category without flagged boxes has no AP for that flag (pycocotools'
-1) and is left out of the mean; a flag without any flagged box among the
evaluated images and categories has mAP -1.
"""
from __future__ import annotations

import contextlib
import io
from typing import Dict, List, Optional, Sequence, Union

from mmdet.datasets.api_wrappers import COCO, COCOeval

# The stats of COCOeval.summarize reported per flag, and their keys.
FLAG_STATS = (('mAP', 0), ('mAP_50', 1), ('mAP_75', 2))


class FlaggedCOCOeval(COCOeval):
    """pycocotools' ``COCOeval`` in which ground-truth boxes whose ``flag``
    is false are ignored (see the module docstring for the rule).

    Args:
        coco_gt (COCO): ground truth; its annotations carry ``flag``.
        coco_dt (COCO): detections, from ``coco_gt.loadRes``.
        flag (str): the per-box key; a box counts where it is true.
        iou_type (str): ``'bbox'`` or ``'segm'``.
    """

    def __init__(self, coco_gt: COCO, coco_dt: COCO, flag: str,
                 iou_type: str = 'bbox') -> None:
        super().__init__(coco_gt, coco_dt, iou_type)
        self.flag = flag

    def _prepare(self) -> None:
        super()._prepare()
        # Copies, so that the ground truth's own dicts are left as they are.
        for key, gts in self._gts.items():
            self._gts[key] = [
                dict(g, ignore=int(bool(g['ignore']) or not g[self.flag]))
                for g in gts
            ]


def per_box_flags(annotations: Sequence[dict]) -> List[str]:
    """The keys that are a JSON boolean on every annotation and not the
    same on all of them, in the order they first appear.

    A key true on every box would repeat the overall AP, one false on
    every box would have no AP.
    """
    if not annotations:
        return []
    keys = dict.fromkeys(k for a in annotations for k in a)
    flags = []
    for key in keys:
        values = [a.get(key) for a in annotations]
        if all(isinstance(v, bool) for v in values) and len(set(values)) > 1:
            flags.append(key)
    return flags


def resolve_difficulty_flags(annotations: Sequence[dict],
                             flags: Union[None, str, Sequence[str]],
                             source: str = '') -> List[str]:
    """The flag names to evaluate, checked against the annotations.

    Args:
        annotations (Sequence[dict]): the evaluated ground-truth boxes.
        flags (None | str | Sequence[str]): None (no flags), ``'auto'``
            (:func:`per_box_flags`), one flag name or a sequence of them.
        source (str): the annotation file, for messages.

    Returns:
        list[str]: the flag names, duplicates removed, in the given order.

    Raises:
        ValueError: a named flag is missing on some or all boxes, or is
            not a JSON boolean on some box (``'auto'`` finding none is no
            error: no breakdown).
    """
    if flags is None:
        return []
    if flags == 'auto':
        # A file without flags (RAW-NOD's val and Nikon files) simply has
        # no breakdown: 'auto' can stay in a config that swaps the file.
        return per_box_flags(annotations)
    names = [flags] if isinstance(flags, str) else list(flags)
    names = list(dict.fromkeys(names))
    if not names:
        raise ValueError(f'{source}: difficulty_flags is empty; use None '
                         'for no difficulty breakdown')

    def ann_id(a: dict) -> object:
        return a.get('orig_id', a.get('id'))

    for name in names:
        missing = [a for a in annotations if name not in a]
        if len(missing) == len(annotations):
            raise ValueError(
                f'{source}: no box has the flag {name!r} (per-box flags in '
                f'the file: {per_box_flags(annotations)})')
        if missing:
            raise ValueError(
                f'{source}: flag {name!r} is missing on {len(missing)} of '
                f'{len(annotations)} boxes, e.g. annotation id '
                f'{ann_id(missing[0])!r}; every box must say true or false')
        bad = [a for a in annotations if not isinstance(a[name], bool)]
        if bad:
            raise ValueError(
                f'{source}: flag {name!r} is {bad[0][name]!r} on annotation '
                f'id {ann_id(bad[0])!r} ({len(bad)} boxes are not true or '
                'false)')
    return names


def flagged_box_count(coco_gt: COCO, flag: str, img_ids: Sequence[int],
                      cat_ids: Sequence[int]) -> int:
    """Number of non-crowd boxes with ``flag`` true in these images and
    categories: the positives of the flag's AP."""
    anns = coco_gt.loadAnns(coco_gt.getAnnIds(imgIds=img_ids,
                                              catIds=cat_ids))
    return sum(1 for a in anns if a[flag] and not a.get('iscrowd', 0))


def flag_metrics(coco_gt: COCO,
                 coco_dt: COCO,
                 flags: Sequence[str],
                 img_ids: Sequence[int],
                 cat_ids: Sequence[int],
                 max_dets: Sequence[int],
                 iou_thrs: Optional[Sequence[float]] = None,
                 iou_type: str = 'bbox') -> Dict[str, float]:
    """mAP, mAP_50 and mAP_75 over each flag's boxes, and their count.

    Args:
        coco_gt (COCO): ground truth whose boxes carry every flag.
        coco_dt (COCO): detections (``coco_gt.loadRes``).
        flags (Sequence[str]): flag names.
        img_ids (Sequence[int]), cat_ids (Sequence[int]): what is evaluated,
            as for the overall AP.
        max_dets (Sequence[int]): ``COCOeval.params.maxDets``; AP is read
            at the third, as pycocotools' summary does.
        iou_thrs (Sequence[float] | None): IoU thresholds; None keeps
            pycocotools' 0.50:0.05:0.95.
        iou_type (str): ``'bbox'`` or ``'segm'``.

    Returns:
        dict[str, float]: ``{iou_type}_mAP_{flag}``, ``{iou_type}_mAP_50_
        {flag}``, ``{iou_type}_mAP_75_{flag}`` (rounded to 3 decimals as
        mmdet rounds; -1 where no box has the flag) and
        ``{iou_type}_num_{flag}`` (the count of flagged boxes).
    """
    out: Dict[str, float] = {}
    for flag in flags:
        ev = FlaggedCOCOeval(coco_gt, coco_dt, flag, iou_type)
        ev.params.catIds = list(cat_ids)
        ev.params.imgIds = list(img_ids)
        ev.params.maxDets = list(max_dets)
        if iou_thrs is not None:
            ev.params.iouThrs = iou_thrs
        with contextlib.redirect_stdout(io.StringIO()):  # 15 lines a flag
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
        for item, index in FLAG_STATS:
            out[f'{iou_type}_{item}_{flag}'] = float(
                f'{round(ev.stats[index], 3)}')
        out[f'{iou_type}_num_{flag}'] = flagged_box_count(
            coco_gt, flag, img_ids, cat_ids)
    return out
