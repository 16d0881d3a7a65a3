"""COCO-style annotation files for RAW data sets, read defensively.

Two layers:

* :func:`normalize_coco` (plain Python; :func:`load_coco_annotations`
  reads the file through mmengine's file backends first): one COCO dict in,
  a cleaned COCO dict and an :class:`AnnotationReport` out. Image ids
  become integers that pycocotools and mmdet's evaluation handle (string
  ids are numbered 1..N in file order), annotation ids become positive
  (pycocotools treats annotation id 0 as "unmatched", see below), boxes
  that cannot be evaluated are dropped or clipped, and every change is
  counted.
* :class:`RawCocoDataset` (mmdet glue): a ``CocoDataset`` that reads its
  file through that function, keeps every image path under its image root
  and logs one summary line per data set.

The same function is what :class:`genisp_mmdet.evaluation.RawCocoMetric`
reads the ground truth with, so image ids in the data set (and thus in the
predictions) are the ids the COCO evaluation sees.

Why annotation id 0 matters: ``pycocotools.cocoeval.COCOeval.evaluateImg``
stores the id of the matched ground truth in ``dtMatches`` and
``accumulate`` counts a detection as a true positive where that value is
non-zero, so a detection matched to the box with id 0 counts as a false
positive (on RAW-NOD's Sony val file, predictions equal to the ground truth
score AP 0.995 instead of 1.0).
"""
from __future__ import annotations

import contextlib
import copy
import io
import json
import math
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from mmdet.datasets import CocoDataset
from mmdet.datasets.api_wrappers import COCO
from mmdet.registry import DATASETS
from mmengine.fileio import get_local_path
from mmengine.logging import print_log

# A box less than one pixel wide or high is degenerate: mmdet's CocoDataset
# drops such boxes silently, so they are dropped (and counted) here first.
MIN_BOX_SIZE = 1.0


@dataclass
class AnnotationReport:
    """What :func:`normalize_coco` kept, dropped and changed in one file.

    Box counts: ``boxes_in_file == boxes + dropped``, where ``dropped`` is
    the sum of ``malformed``, ``orphan``, ``unknown_category``,
    ``other_category``, ``degenerate`` and ``outside`` (checked in that
    order; a box is counted once, under the first reason that applies).
    """
    source: str = ''
    images: int = 0
    boxes_in_file: int = 0
    boxes: int = 0
    malformed: int = 0
    orphan: int = 0
    unknown_category: int = 0
    other_category: int = 0
    degenerate: int = 0
    outside: int = 0
    clipped: int = 0
    image_ids_mapped: bool = False
    ann_ids_renumbered: bool = False
    cat_ids: List[int] = field(default_factory=list)

    DROP_REASONS = ('malformed', 'orphan', 'unknown_category',
                    'other_category', 'degenerate', 'outside')

    @property
    def dropped(self) -> int:
        return sum(getattr(self, k) for k in self.DROP_REASONS)

    def summary(self) -> str:
        """One line: counts, what was dropped and why, id handling."""
        drops = ', '.join(f'{getattr(self, k)} {k.replace("_", " ")}'
                          for k in self.DROP_REASONS)
        ids = ('string image ids numbered 1..N in file order'
               if self.image_ids_mapped else 'image ids kept')
        if self.ann_ids_renumbered:
            ids += ', annotation ids renumbered from 1'
        return (f'{self.source}: {self.images} images, {self.boxes} of '
                f'{self.boxes_in_file} boxes kept; dropped {drops}; '
                f'{self.clipped} clipped to the image; {ids}')


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _box(bbox) -> Optional[Tuple[float, float, float, float]]:
    if not isinstance(bbox, (list, tuple)) or len(bbox) != 4:
        return None
    try:
        vals = tuple(float(v) for v in bbox)
    except (TypeError, ValueError):
        return None
    return vals if all(math.isfinite(v) for v in vals) else None


def class_cat_ids(categories: Sequence[dict], classes: Sequence[str],
                  source: str = '') -> List[int]:
    """Category id of each class name, in the order of ``classes``.

    (mmdet's ``get_cat_ids(cat_names=...)`` returns them in file order,
    which silently permutes labels when the two orders differ.)

    Raises:
        ValueError: a class has no category of that name in the file.
    """
    by_name: Dict[str, int] = {}
    for cat in categories:
        by_name.setdefault(cat['name'], cat['id'])
    missing = [c for c in classes if c not in by_name]
    if missing:
        raise ValueError(
            f'{source}: no category named {missing} in the file (its '
            f'categories: {sorted(by_name)}); set metainfo.classes to names '
            'the file uses')
    return [by_name[c] for c in classes]


def normalize_coco(data: dict,
                   classes: Optional[Sequence[str]] = None,
                   source: str = '') -> Tuple[dict, AnnotationReport]:
    """A COCO detection dict that mmdet and pycocotools evaluate correctly.

    Args:
        data: parsed COCO JSON (``images``, ``annotations``,
            ``categories``); not modified.
        classes: the data set's class names; annotations of other
            categories are dropped (``other_category``). None keeps all
            categories the file lists.
        source: name of the file, for messages.

    Returns:
        The cleaned dict and its report. Images keep their order; a mapped
        image keeps its original id under ``orig_id`` and so does a
        renumbered annotation.

    Handling, per annotation: image id not in ``images`` -> dropped
    (orphan); bbox not 4 finite numbers -> dropped (malformed); category id
    not in ``categories`` -> dropped (unknown category); category not in
    ``classes`` -> dropped (other category); width or height below one
    pixel -> dropped (degenerate); box reaching outside the image -> clipped
    to it, or dropped if less than a pixel of it is inside (outside);
    missing or non-positive ``area`` -> width x height. Image ids: kept if
    all are unique integers, else numbered 1..N in file order. Annotation
    ids: kept if all kept ones are unique positive integers, else numbered
    1..M in file order.

    Raises:
        ValueError: an image without ``id``, ``file_name`` or a positive
            ``width``/``height`` (boxes cannot be placed), duplicate image
            ids, or a class missing from ``categories``.
    """
    report = AnnotationReport(source=source)
    images = data.get('images')
    if not isinstance(images, list):
        raise ValueError(f'{source}: no "images" list; not a COCO file')
    orig_ids = []
    for im in images:
        missing = [k for k in ('id', 'file_name', 'width', 'height')
                   if k not in im]
        if missing:
            raise ValueError(f'{source}: image {im.get("id", im)!r} has no '
                             f'{missing}')
        if not all(_is_int(im[k]) or isinstance(im[k], float)
                   for k in ('width', 'height')) or min(
                       im['width'], im['height']) <= 0:
            raise ValueError(
                f'{source}: image {im["id"]!r} ({im["file_name"]}) has size '
                f'{im["width"]!r}x{im["height"]!r}; boxes need a positive '
                'width and height')
        orig_ids.append(im['id'])
    seen, dups = set(), []
    for i in orig_ids:
        if i in seen:
            dups.append(i)
        seen.add(i)
    if dups:
        raise ValueError(f'{source}: duplicate image ids {dups[:5]} '
                         f'({len(dups)} in all)')
    report.images = len(images)
    report.image_ids_mapped = not all(_is_int(i) for i in orig_ids)
    id_map = ({o: k + 1 for k, o in enumerate(orig_ids)}
              if report.image_ids_mapped else {o: o for o in orig_ids})
    sizes = {o: (float(im['width']), float(im['height']))
             for o, im in zip(orig_ids, images)}

    categories = list(data.get('categories') or [])
    cat_ids = {c['id'] for c in categories}
    keep_cats = cat_ids
    if classes is not None:
        report.cat_ids = class_cat_ids(categories, classes, source)
        keep_cats = set(report.cat_ids)

    anns = data.get('annotations') or []
    report.boxes_in_file = len(anns)
    kept = []
    for ann in anns:
        box = _box(ann.get('bbox'))
        if box is None:
            report.malformed += 1
            continue
        if ann.get('image_id') not in id_map:
            report.orphan += 1
            continue
        if ann.get('category_id') not in cat_ids:
            report.unknown_category += 1
            continue
        if ann['category_id'] not in keep_cats:
            report.other_category += 1
            continue
        x, y, w, h = box
        if w < MIN_BOX_SIZE or h < MIN_BOX_SIZE:
            report.degenerate += 1
            continue
        iw, ih = sizes[ann['image_id']]
        x1, y1 = max(x, 0.0), max(y, 0.0)
        x2, y2 = min(x + w, iw), min(y + h, ih)
        if x2 - x1 < MIN_BOX_SIZE or y2 - y1 < MIN_BOX_SIZE:
            report.outside += 1
            continue
        new = dict(ann, image_id=id_map[ann['image_id']])
        area = ann.get('area')
        if (x1, y1, x2, y2) != (x, y, x + w, y + h):
            report.clipped += 1
            new['bbox'] = [x1, y1, x2 - x1, y2 - y1]
            new['area'] = (x2 - x1) * (y2 - y1)
        elif not isinstance(area, (int, float)) or area <= 0:
            new['area'] = w * h
        new.setdefault('iscrowd', 0)
        kept.append(new)
    report.boxes = len(kept)

    ann_ids = [a.get('id') for a in kept]
    report.ann_ids_renumbered = not (all(_is_int(i) and i > 0
                                         for i in ann_ids)
                                     and len(set(ann_ids)) == len(ann_ids))
    if report.ann_ids_renumbered:
        for k, a in enumerate(kept):
            a['orig_id'] = a.get('id')
            a['id'] = k + 1

    out_images = []
    for o, im in zip(orig_ids, images):
        new = dict(im, id=id_map[o])
        if report.image_ids_mapped:
            new['orig_id'] = o
        out_images.append(new)
    out = {k: v for k, v in data.items()
           if k not in ('images', 'annotations', 'categories')}
    out.update(images=out_images, annotations=kept,
               categories=copy.deepcopy(categories))
    return out, report


def load_coco_annotations(ann_file: str,
                          classes: Optional[Sequence[str]] = None,
                          backend_args: Optional[dict] = None
                          ) -> Tuple[dict, AnnotationReport]:
    """Read a COCO JSON (any mmengine file backend) and
    :func:`normalize_coco` it."""
    with get_local_path(ann_file, backend_args=backend_args) as local:
        with open(local) as f:
            data = json.load(f)
    return normalize_coco(data, classes, source=str(ann_file))


def coco_from_dict(data: dict) -> COCO:
    """mmdet's pycocotools wrapper over an in-memory COCO dict."""
    coco = COCO()
    coco.dataset = data
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools' prints
        coco.createIndex()
    # mmdet's wrapper sets these aliases in its __init__, from a file only.
    coco.img_ann_map = coco.imgToAnns
    coco.cat_img_map = coco.catToImgs
    return coco


def join_under(root: str, file_name: str, allow_outside: bool = False
               ) -> Optional[str]:
    """``root/file_name``, or None where it would leave ``root``.

    The check is on the normalised path (``..``, absolute names), not on
    resolved links: a data root whose folders are symbolic links to other
    disks stays usable, and links inside the root are the choice of whoever
    controls the root.
    """
    path = osp.join(root, file_name)
    if allow_outside:
        return path
    rel = osp.relpath(osp.abspath(path), osp.abspath(root or '.'))
    if rel == '.' or rel == '..' or rel.startswith('..' + os.sep):
        return None
    return path


@DATASETS.register_module()
class RawCocoDataset(CocoDataset):
    """A ``CocoDataset`` for RAW images that checks what it reads.

    Differences from ``CocoDataset``:

    * The annotation file goes through :func:`normalize_coco`: string image
      ids become integers (consistently with
      :class:`~genisp_mmdet.evaluation.RawCocoMetric`), annotation ids
      become positive, degenerate boxes, boxes outside the image and boxes
      of unknown or other categories are dropped, boxes reaching outside
      the image are clipped. One log line per data set names the file and
      the counts (``annotation_report`` holds them).
    * Class labels follow the order of ``metainfo['classes']`` (mmdet
      follows the file's category order).
    * Every image path must stay under its image root (``data_root`` +
      ``data_prefix['img']``): a ``file_name`` such as ``../../etc/x`` or
      an absolute path stops loading with an error naming the file, unless
      ``allow_outside_root=True``.
    * ``data_info['coco_img_id']`` keeps the file's own id where it was
      mapped.

    Args:
        allow_outside_root: accept image paths outside the image root.
        *args, **kwargs: ``CocoDataset`` arguments.
    """

    def __init__(self, *args, allow_outside_root: bool = False, **kwargs):
        self.allow_outside_root = allow_outside_root
        self.annotation_report: Optional[AnnotationReport] = None
        super().__init__(*args, **kwargs)

    def image_root(self, img_info: dict) -> str:
        """The folder an image's ``file_name`` is relative to."""
        return self.data_prefix['img']

    def load_data_list(self) -> List[dict]:
        data, report = load_coco_annotations(
            self.ann_file, self.metainfo['classes'], self.backend_args)
        report.source = f'{type(self).__name__} {self.ann_file}'
        self.annotation_report = report
        self.coco = coco_from_dict(data)
        self.cat_ids = list(report.cat_ids)
        self.cat2label = {cat_id: i for i, cat_id in enumerate(self.cat_ids)}
        self.cat_img_map = copy.deepcopy(self.coco.cat_img_map)

        data_list, outside = [], []
        for img_id in self.coco.get_img_ids():
            raw_img_info = dict(self.coco.load_imgs([img_id])[0],
                                img_id=img_id)
            raw_ann_info = self.coco.load_anns(
                self.coco.get_ann_ids(img_ids=[img_id]))
            info = self.parse_data_info(
                dict(raw_img_info=raw_img_info, raw_ann_info=raw_ann_info))
            path = join_under(self.image_root(raw_img_info),
                              raw_img_info['file_name'],
                              self.allow_outside_root)
            if path is None:
                outside.append(raw_img_info['file_name'])
                continue
            info['img_path'] = path
            if 'orig_id' in raw_img_info:
                info['coco_img_id'] = raw_img_info['orig_id']
            data_list.append(info)
        del self.coco
        if outside:
            raise ValueError(
                f'{self.ann_file}: {len(outside)} image file_name(s) lead '
                f'outside the image root {self.data_prefix["img"]!r}, e.g. '
                f'{outside[:5]}; refusing to read them. Set '
                'allow_outside_root=True in the dataset config if this is '
                'intended.')
        print_log(report.summary(), logger='current')
        return data_list
