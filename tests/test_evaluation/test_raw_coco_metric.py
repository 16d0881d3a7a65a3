"""RawCocoMetric: real COCO evaluation (pycocotools through mmdet's
CocoMetric) of the real RAW-NOD files, with 80-class and 3-class heads."""
import copy
import functools
import json
import os

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmdet.evaluation import CocoMetric
from mmdet.registry import DATASETS, METRICS

import genisp_mmdet  # noqa: F401
from ..conftest import shared_file
from ..helpers import REPO

FILES = [('raw-nod', 'Sony', 'raw_new_Sony_RX100m7_val.json'),
         ('raw-nod', 'Sony', 'raw_str_labeled_new_Sony_RX100m7_test.json'),
         ('raw-nod', 'Nikon', 'raw_new_Nikon750_val.json')]
MAIN = 'configs/genisp/genisp_retinanet_r50_fpn_15e_raw-nod-sony.py'


def load_json(path):
    with open(path) as f:
        return json.load(f)


def dataset(ann_file, dataset_type='RawNODDataset', **kwargs):
    init_default_scope('mmdet')
    return DATASETS.build(dict(type=dataset_type, ann_file=str(ann_file),
                               data_root='', test_mode=True, pipeline=[],
                               **kwargs))


def perfect_predictions(ann_file, ds, distractors=False, seed=0):
    """Data samples whose predictions are the file's own boxes (read from
    the JSON, not from the data set), keyed by the data set's image ids, as
    a detector's head returns them (xyxy, annotation pixels). Labels are
    COCO's (person, bicycle, car = 0, 1, 2, the same as RAW-NOD's). With
    ``distractors``, each box is also predicted as a random one of the
    other 77 COCO classes, at full score."""
    raw = load_json(ann_file)
    boxes = {}
    for a in raw['annotations']:
        x, y, w, h = a['bbox']
        boxes.setdefault(a['image_id'], []).append(
            ([x, y, x + w, y + h], a['category_id'] - 1))
    rng = np.random.default_rng(seed)
    samples = []
    for i in rng.permutation(len(ds)):  # order must not matter
        info = ds.get_data_info(int(i))
        own = boxes.get(info.get('coco_img_id', info['img_id']), [])
        b = [box for box, _ in own]
        labels = [label for _, label in own]
        if distractors:
            b += b
            labels += rng.integers(3, 80, len(own)).tolist()
        samples.append(dict(
            img_id=info['img_id'],
            ori_shape=(info['height'], info['width']),
            pred_instances=dict(
                bboxes=torch.tensor(b, dtype=torch.float32).reshape(-1, 4),
                scores=torch.ones(len(b)),
                labels=torch.tensor(labels, dtype=torch.long))))
    return samples


def evaluate(metric, ds, samples):
    """COCO metrics, and the number of predictions the metric dropped."""
    metric.dataset_meta = ds.metainfo
    for k in range(0, len(samples), 8):
        metric.process({}, samples[k:k + 8])
    dropped = sum(r.get('num_dropped', 0) for _, r in metric.results)
    return metric.evaluate(len(samples)), dropped


@functools.lru_cache()
def _test_evaluator():
    return Config.fromfile(os.path.join(REPO, MAIN)).test_evaluator


def config_metric(ann_file, **overrides):
    """The paper config's test evaluator, on ``ann_file``."""
    cfg = copy.deepcopy(_test_evaluator())
    cfg.update(ann_file=str(ann_file), classwise=True, **overrides)
    init_default_scope('mmdet')
    return METRICS.build(cfg)


@pytest.mark.parametrize('parts', FILES, ids=lambda p: p[-1])
def test_ap_is_one_through_an_80_class_head(parts):
    ann = shared_file(*parts)
    ds = dataset(ann)
    samples = perfect_predictions(ann, ds, distractors=True)
    metric = config_metric(ann)  # label_map {0: 0, 1: 1, 2: 2}
    res, dropped = evaluate(metric, ds, samples)
    assert res['coco/bbox_mAP'] == 1.0
    assert res['coco/bbox_mAP_50'] == 1.0
    # AP over RAW-NOD's 3 classes only, each perfect.
    per_class = {k for k in res if k.endswith('_precision')}
    assert per_class == {'coco/person_precision', 'coco/bicycle_precision',
                         'coco/car_precision'}
    assert all(res[k] == 1.0 for k in per_class)
    # Every distractor (one per box, labels 3..79) was dropped.
    assert dropped == len(load_json(ann)['annotations'])
    assert metric.cat_ids == [1, 2, 3]


@pytest.mark.parametrize('parts', FILES + ['reordered'],
                         ids=lambda p: p if p == 'reordered' else p[-1])
def test_ap_is_one_through_a_3_class_head(parts, tmp_path):
    """'reordered': the Sony val file with its categories listed car
    first; labels are matched to categories by name in both the data set
    and the metric (mmdet's CocoDataset follows the file's order)."""
    if parts == 'reordered':
        ann = shared_file(*FILES[0])
        raw = load_json(ann)
        raw['categories'] = raw['categories'][::-1]
        path = tmp_path / os.path.basename(ann)
        path.write_text(json.dumps(raw))
    else:
        ann = path = shared_file(*parts)
    ds = dataset(path)
    metric = config_metric(path, label_map=None)
    res, dropped = evaluate(metric, ds, perfect_predictions(ann, ds))
    assert res['coco/bbox_mAP'] == 1.0 and dropped == 0
    assert all(res[f'coco/{c}_precision'] == 1.0
               for c in ('person', 'bicycle', 'car'))


def test_predictions_outside_the_label_space_are_dropped_and_counted(
        monkeypatch):
    ann = shared_file(*FILES[0])
    ds = dataset(ann)
    samples = perfect_predictions(ann, ds, distractors=True)
    metric = config_metric(ann, label_map=None)  # a 3-class mapping
    metric.dataset_meta = ds.metainfo
    metric.process({}, samples)
    n_boxes = len(load_json(ann)['annotations'])
    assert sum(r['num_dropped'] for _, r in metric.results) == n_boxes
    assert all(r['labels'].max() <= 2 for _, r in metric.results
               if len(r['labels']))
    # A label_map can also move labels: here every box becomes a 'car'.
    metric = config_metric(ann, label_map={0: 2, 1: 2, 2: 2})
    metric.dataset_meta = ds.metainfo
    metric.process({}, samples[:5])
    assert all(set(r['labels'].tolist()) <= {2} for _, r in metric.results)


def test_stock_coco_evaluation_loses_annotation_id_0():
    """Why annotation ids are renumbered: mmdet's own CocoDataset and
    CocoMetric on the same file and the same perfect predictions score
    below 1, because pycocotools counts the match of annotation 0 as a
    false positive."""
    ann = shared_file(*FILES[0])
    ds = dataset(ann, dataset_type='CocoDataset', data_prefix=dict(img=''),
                 metainfo=dict(classes=('person', 'bicycle', 'car')))
    assert isinstance(ds.get_data_info(0)['img_id'], str)
    raw = load_json(ann)
    assert min(a['id'] for a in raw['annotations']) == 0
    samples = perfect_predictions(ann, ds)
    res, _ = evaluate(CocoMetric(ann_file=ann), ds, samples)
    assert res['coco/bbox_mAP'] < 1.0


def test_format_only_writes_the_files_own_image_ids(tmp_path):
    ann = shared_file(*FILES[2])
    ds = dataset(ann)
    prefix = str(tmp_path / 'nikon')
    metric = config_metric(ann, format_only=True, outfile_prefix=prefix)
    assert evaluate(metric, ds, perfect_predictions(ann, ds))[0] == {}
    written = load_json(prefix + '.bbox.json')
    raw = load_json(ann)
    assert {d['image_id'] for d in written} == \
        {im['id'] for im in raw['images']}
    assert len(written) == len(raw['annotations'])
    assert {d['category_id'] for d in written} == {1, 2, 3}
