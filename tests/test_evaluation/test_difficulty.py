"""RawCocoMetric's difficulty breakdown: AP over the boxes that carry a
per-box flag (RAW-NOD's isnoisy, isextreme, ...), the other boxes ignored
and unmatched detections counted as false positives. Real pycocotools,
through mmengine's Evaluator and the metric's process/compute_metrics,
with predictions as DetDataSamples (what mmdet's models return)."""
import json

import pytest
import torch
from mmdet.registry import METRICS
from mmdet.structures import DetDataSample
from mmengine.evaluator import Evaluator
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

import genisp_mmdet  # noqa: F401
from ..conftest import shared_file
from .test_raw_coco_metric import dataset, load_json

TEST_FILE = ('raw-nod', 'Sony', 'raw_str_labeled_new_Sony_RX100m7_test.json')
COCO_TO_RAW_NOD = {0: 0, 1: 1, 2: 2}
# The per-box flags of the Sony test file that are true on some boxes
# and false on the others (islabeled is true on all 1827).
SONY_TEST_FLAGS = ['isnoisy', 'isoutoffocus', 'ismotionblur',
                   'isheavilyoccluded', 'isextreme', 'isbacklit',
                   'istruncated', 'isconfusing']


def build_metric(ann_file, **kwargs):
    init_default_scope('mmdet')
    return METRICS.build(dict(type='RawCocoMetric', ann_file=str(ann_file),
                              label_map=COCO_TO_RAW_NOD, **kwargs))


def data_samples(ds, predictions):
    """One DetDataSample per image of ``ds``; ``predictions`` maps the
    annotation file's own image id to ``[(xywh box, category id, score)]``.
    """
    samples = []
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        own = predictions.get(info.get('coco_img_id', info['img_id']), [])
        sample = DetDataSample(metainfo=dict(
            img_id=info['img_id'], ori_shape=(info['height'],
                                              info['width'])))
        sample.pred_instances = InstanceData(
            bboxes=torch.tensor([[x, y, x + w, y + h]
                                 for (x, y, w, h), _, _ in own],
                                dtype=torch.float32).reshape(-1, 4),
            labels=torch.tensor([c - 1 for _, c, _ in own],
                                dtype=torch.long),
            scores=torch.tensor([s for _, _, s in own],
                                dtype=torch.float32))
        samples.append(sample)
    return samples


def evaluate(metric, ds, predictions):
    evaluator = Evaluator(metric)
    evaluator.dataset_meta = ds.metainfo
    samples = data_samples(ds, predictions)
    for k in range(0, len(samples), 8):
        evaluator.process(samples[k:k + 8])
    return evaluator.evaluate(len(samples))


def boxes_where(raw, keep):
    """The file's boxes for which ``keep(annotation)``, as predictions at
    score 1."""
    out = {}
    for a in raw['annotations']:
        if keep(a):
            out.setdefault(a['image_id'], []).append(
                (a['bbox'], a['category_id'], 1.0))
    return out


def max_iou_with_unflagged(raw, flag):
    """The highest IoU of a flagged box with a non-flagged box of the same
    image and category."""
    best = 0.0
    groups = {}
    for a in raw['annotations']:
        groups.setdefault((a['image_id'], a['category_id']), []).append(a)
    for anns in groups.values():
        for f in (a for a in anns if a[flag]):
            for g in (a for a in anns if not a[flag]):
                (fx, fy, fw, fh), (gx, gy, gw, gh) = f['bbox'], g['bbox']
                iw = max(0, min(fx + fw, gx + gw) - max(fx, gx))
                ih = max(0, min(fy + fh, gy + gh) - max(fy, gy))
                best = max(best, iw * ih / (fw * fh + gw * gh - iw * ih))
    return best


# --- the real Sony test file (all 321 images, 1827 boxes) ---------------


def test_real_file_flags_and_counts():
    """What the file carries: nine boolean flags on every box; 'auto'
    takes the eight that are not true everywhere."""
    ann = shared_file(*TEST_FILE)
    raw = load_json(ann)
    assert all(isinstance(im['id'], int) for im in raw['images'])
    assert min(a['id'] for a in raw['annotations']) == 0
    counts = {f: sum(a[f] for a in raw['annotations'])
              for f in SONY_TEST_FLAGS + ['islabeled']}
    assert counts == {'isnoisy': 63, 'isoutoffocus': 251, 'ismotionblur': 62,
                      'isheavilyoccluded': 188, 'isextreme': 815,
                      'isbacklit': 153, 'istruncated': 48, 'isconfusing': 14,
                      'islabeled': 1827}
    assert build_metric(ann, difficulty_flags='auto').difficulty_flags == \
        SONY_TEST_FLAGS


# Flags with boxes in crowds where COCO's matching, which prefers a box that
# is not ignored, lets the detection of a non-flagged box take a flagged box
# at IoU 0.5, so that the flagged box's own detection is left unmatched.
CROWDED = ('isheavilyoccluded', 'isextreme')


def test_real_file_all_boxes_predicted():
    """Every box predicted exactly, at one score: every flag's AP is 1,
    but for the two crowded flags at IoU 0.5 (as with area ranges, where a
    medium box's detection can take a small box in AP_small)."""
    ann = shared_file(*TEST_FILE)
    raw = load_json(ann)
    res = evaluate(build_metric(ann, difficulty_flags='auto'), dataset(ann),
                   boxes_where(raw, lambda a: True))
    assert res['coco/bbox_mAP'] == 1.0
    for f in SONY_TEST_FLAGS:
        assert res[f'coco/bbox_num_{f}'] == sum(
            a[f] for a in raw['annotations']), f
        assert res[f'coco/bbox_mAP_75_{f}'] == 1.0, f
        if f in CROWDED:
            assert max_iou_with_unflagged(raw, f) >= 0.5
            assert 0.99 <= res[f'coco/bbox_mAP_50_{f}'] < 1.0, f
            assert 0.99 <= res[f'coco/bbox_mAP_{f}'] <= 1.0, f
        else:
            assert res[f'coco/bbox_mAP_50_{f}'] == 1.0, f
            assert res[f'coco/bbox_mAP_{f}'] == 1.0, f


@pytest.mark.parametrize('flag', CROWDED)
def test_real_file_crowded_flag_is_one_when_flagged_boxes_rank_first(flag):
    """The same predictions, the flagged boxes' at a higher score: each
    takes its own box first, and the flag's AP is 1."""
    ann = shared_file(*TEST_FILE)
    raw = load_json(ann)
    predictions = {}
    for a in raw['annotations']:
        predictions.setdefault(a['image_id'], []).append(
            (a['bbox'], a['category_id'], 1.0 if a[flag] else 0.5))
    res = evaluate(build_metric(ann, difficulty_flags=(flag,)), dataset(ann),
                   predictions)
    assert res[f'coco/bbox_mAP_50_{flag}'] == 1.0
    assert res[f'coco/bbox_mAP_{flag}'] == 1.0
    assert res['coco/bbox_mAP'] == 1.0


@pytest.mark.parametrize('flag', ['isnoisy', 'isconfusing'])
def test_real_file_only_flagged_boxes_predicted(flag):
    """The detector finds exactly the flagged boxes: the flag's AP is
    perfect, the overall AP is not (the other boxes are missed)."""
    ann = shared_file(*TEST_FILE)
    raw = load_json(ann)
    res = evaluate(build_metric(ann, difficulty_flags=(flag,)), dataset(ann),
                   boxes_where(raw, lambda a: a[flag]))
    assert res[f'coco/bbox_mAP_{flag}'] == 1.0
    assert res['coco/bbox_mAP'] < 0.2
    assert not any(k.endswith('_isextreme') for k in res)  # not asked for


def test_real_file_all_but_the_flagged_boxes_predicted():
    """The detector finds every box except the flagged ones: those flags'
    AP is 0 (their boxes are positives and none is found; the detections
    of the other boxes are ignored, not false positives). It is exactly 0
    because no flagged box of these two flags overlaps a non-flagged box
    of its class enough (IoU 0.5) to be matched by its detection."""
    ann = shared_file(*TEST_FILE)
    raw = load_json(ann)
    flags = ('ismotionblur', 'isconfusing')
    for f in flags:
        assert max_iou_with_unflagged(raw, f) < 0.5
    res = evaluate(build_metric(ann, difficulty_flags=flags), dataset(ann),
                   boxes_where(raw, lambda a: not any(a[f] for f in flags)))
    for f in flags:
        assert res[f'coco/bbox_mAP_{f}'] == 0.0
        assert res[f'coco/bbox_mAP_50_{f}'] == 0.0
        assert res[f'coco/bbox_num_{f}'] > 0
    assert 0.9 < res['coco/bbox_mAP'] < 1.0


# --- a constructed file, AP by hand -------------------------------------

PERSON, CAR = 1, 3
BOX_A = [10, 10, 40, 80]    # person, image 'a', annotation id 0, isnoisy
BOX_B = [100, 20, 40, 90]   # person, image 'b', isdark
BOX_C = [20, 30, 120, 60]   # car, image 'b'
BOX_X = [150, 120, 30, 30]  # no object here
IMAGE_IDS = {'int': (0, 5), 'str': ('DSC_a', 'DSC_b'),
             'mixed': (12, 'DSC_b')}


def small_file(tmp_path, id_kind, edit=None):
    """Two images (listed b first), boxes A (annotation id 0), B, C with
    the flags isnoisy (A), isdark (B), isblurry (none), islabeled (all).
    ``edit(annotations)`` may change the boxes before writing."""
    a, b = IMAGE_IDS[id_kind]
    flags = dict(isnoisy=False, isdark=False, isblurry=False,
                 islabeled=True)
    anns = [
        dict(flags, id=0, image_id=a, category_id=PERSON, bbox=BOX_A,
             iscrowd=0, isnoisy=True),
        dict(flags, id=1, image_id=b, category_id=PERSON, bbox=BOX_B,
             iscrowd=0, isdark=True),
        dict(flags, id=2, image_id=b, category_id=CAR, bbox=BOX_C,
             iscrowd=0),
    ]
    if edit is not None:
        edit(anns)
    data = dict(
        images=[dict(id=b, file_name='DSC_b.ARW', width=200, height=160),
                dict(id=a, file_name='DSC_a.ARW', width=200, height=160)],
        annotations=anns,
        categories=[dict(id=1, name='person'), dict(id=2, name='bicycle'),
                    dict(id=3, name='car')])
    path = tmp_path / f'small_{id_kind}.json'
    path.write_text(json.dumps(data))
    return path


def small_predictions(id_kind):
    """Person detections, best first: B (0.97), nothing (X, 0.95), A
    (0.9); and C as a car (0.9)."""
    a, b = IMAGE_IDS[id_kind]
    return {a: [(BOX_A, PERSON, 0.9)],
            b: [(BOX_B, PERSON, 0.97), (BOX_X, PERSON, 0.95),
                (BOX_C, CAR, 0.9)]}


@pytest.mark.parametrize('id_kind', sorted(IMAGE_IDS))
def test_small_file_ap_by_hand(tmp_path, id_kind):
    """AP by hand (every box exact, so the same at every IoU threshold;
    COCO's AP is the mean of the interpolated precision at recall 0, 0.01,
    ..., 1).

    Overall: person detections B (TP), X (FP), A (TP) over 2 boxes:
    precision 1 up to recall 0.5 (51 points), 2/3 up to 1 (50 points):
    (51 + 50 * 2/3) / 101 = 0.835; car 1.0; mAP 0.917.

    isnoisy (A): B is matched to a non-flagged box, so ignored; X is a
    false positive; A is found at precision 1/2: AP 0.5 (car has no
    isnoisy box and is left out of the mean). The rules this one tells
    apart: ignoring unmatched detections too would give 1.0, dropping the
    non-flagged boxes from the ground truth (so B is a false positive)
    would give 1/3.

    isdark (B): B first, at precision 1: AP 1.0 (X and A come after it).
    isblurry: no box, so -1 and a count of 0.
    """
    ann = small_file(tmp_path, id_kind)
    res = evaluate(
        build_metric(ann, difficulty_flags=('isnoisy', 'isdark',
                                            'isblurry')),
        dataset(ann), small_predictions(id_kind))
    assert res['coco/bbox_mAP'] == round(((51 + 50 * 2 / 3) / 101 + 1) / 2,
                                         3) == 0.917
    expected = {'isnoisy': (0.5, 1), 'isdark': (1.0, 1), 'isblurry': (-1, 0)}
    for flag, (ap, num) in expected.items():
        for item in ('mAP', 'mAP_50', 'mAP_75'):
            assert res[f'coco/bbox_{item}_{flag}'] == ap, (flag, item)
        assert res[f'coco/bbox_num_{flag}'] == num


def test_small_file_auto_and_default(tmp_path):
    ann = small_file(tmp_path, 'str')
    # isblurry (false everywhere), islabeled (true everywhere) and
    # iscrowd (0, not a boolean) are not flags to break AP down by.
    metric = build_metric(ann, difficulty_flags='auto')
    assert metric.difficulty_flags == ['isnoisy', 'isdark']
    res = evaluate(metric, dataset(ann), small_predictions('str'))
    assert res['coco/bbox_mAP_isnoisy'] == 0.5
    assert res['coco/bbox_mAP_isdark'] == 1.0
    assert not any('isblurry' in k for k in res)
    res = evaluate(build_metric(ann), dataset(ann), small_predictions('str'))
    assert res['coco/bbox_mAP'] == 0.917
    assert not any('_is' in k or '_num_' in k for k in res)


def drop_key(key, index):
    def edit(anns):
        del anns[index][key]
    return edit


def set_key(key, index, value):
    def edit(anns):
        anns[index][key] = value
    return edit


@pytest.mark.parametrize('edit,flags,message', [
    (None, ('isnosy',), r"no box has the flag 'isnosy' \(per-box flags in "
     r"the file: \['isnoisy', 'isdark'\]\)"),
    (drop_key('isnoisy', 0), ('isnoisy',),
     "flag 'isnoisy' is missing on 1 of 3 boxes, e.g. annotation id 0"),
    (set_key('isnoisy', 2, 1), ('isnoisy',),
     "flag 'isnoisy' is 1 on annotation id 2"),
])
def test_bad_flags_name_the_file_and_reason(tmp_path, edit, flags, message):
    ann = small_file(tmp_path, 'int', edit)
    with pytest.raises(ValueError, match=message) as err:
        build_metric(ann, difficulty_flags=flags)
    assert str(ann) in str(err.value)


def test_auto_on_a_file_without_flags_is_no_breakdown(tmp_path):
    """RAW-NOD's val and Nikon files flag no box: 'auto' evaluates as
    without flags, so a config may swap its test file and keep 'auto'."""
    def no_flags(anns):
        for a in anns:
            for k in ('isnoisy', 'isdark', 'isblurry', 'islabeled'):
                a.pop(k)

    metric = build_metric(small_file(tmp_path, 'int', no_flags),
                          difficulty_flags='auto')
    assert metric.difficulty_flags == []


def test_flags_need_an_annotation_file_and_bbox(tmp_path):
    init_default_scope('mmdet')
    with pytest.raises(ValueError, match='needs ann_file'):
        METRICS.build(dict(type='RawCocoMetric', difficulty_flags='auto'))
    with pytest.raises(ValueError, match='"bbox" metric'):
        build_metric(small_file(tmp_path, 'int'), metric='proposal',
                     difficulty_flags='auto')


def test_ground_truth_is_left_as_it_was(tmp_path):
    """The flagged evaluation works on copies: the metric's ground truth
    keeps no 'ignore' of a flag, so a second evaluation gives the same."""
    ann = small_file(tmp_path, 'mixed')
    metric = build_metric(ann, difficulty_flags=('isnoisy', 'isdark'))
    first = evaluate(metric, dataset(ann), small_predictions('mixed'))
    assert not any(a.get('ignore') for a in
                   metric._coco_api.dataset['annotations'])
    assert evaluate(metric, dataset(ann), small_predictions('mixed')) == \
        first
    assert first["coco/bbox_mAP_isnoisy"] == 0.5
