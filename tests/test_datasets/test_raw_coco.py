"""RawCocoDataset: bad annotations handled and counted, ids made safe for
pycocotools, image paths kept under the data root."""
import json
import os

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmdet.registry import DATASETS

import genisp_mmdet  # noqa: F401
from genisp_mmdet.datasets import RawCocoDataset, normalize_coco
from genisp_mmdet.datasets import raw_coco
from ..helpers import REPO, make_raw_dataset

CLASSES = ('person', 'bicycle', 'car')
# COCO's 80 category ids (1..90 with gaps), as files that list them all use.
COCO_IDS = [i for i in range(1, 91) if i not in
            (12, 26, 29, 30, 45, 66, 68, 69, 71, 83)]
COCO_NAMES = ('person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus',
              'train', 'truck', 'boat', 'traffic light', 'fire hydrant',
              'stop sign', 'parking meter', 'bench', 'bird', 'cat', 'dog')


def coco_categories():
    """All 80 COCO categories (names beyond the first 17 are placeholders),
    car listed first: labels must follow the class names, not file order."""
    cats = [dict(id=i, name=COCO_NAMES[k] if k < len(COCO_NAMES) else
                 f'coco_{i}') for k, i in enumerate(COCO_IDS)]
    return [cats[2]] + cats[:2] + cats[3:]


def bad_file():
    """Two 200x100 images (string ids) and one annotation per case."""
    images = [dict(id='DSC0001', file_name='DSC0001.dng', width=200,
                   height=100),
              dict(id='DSC0002', file_name='DSC0002.dng', width=200,
                   height=100)]
    cases = [
        ('good', 'DSC0001', 1, [10, 20, 30, 40]),  # annotation id 0
        ('good', 'DSC0002', 3, [50, 10, 20, 20]),
        ('degenerate', 'DSC0001', 1, [10, 10, 0, 20]),
        ('degenerate', 'DSC0001', 2, [10, 10, 20, 0]),
        ('degenerate', 'DSC0001', 2, [10, 10, -5, 20]),
        ('degenerate', 'DSC0002', 1, [10, 10, 0.5, 20]),
        ('clipped', 'DSC0001', 1, [-10, 20, 30, 40]),
        ('clipped', 'DSC0002', 3, [180, 90, 40, 40]),
        ('outside', 'DSC0001', 1, [250, 20, 30, 40]),
        ('outside', 'DSC0002', 1, [10, -60, 30, 40]),
        ('unknown_category', 'DSC0001', 99, [10, 20, 30, 40]),
        ('other_category', 'DSC0001', 18, [10, 20, 30, 40]),  # 'dog'
        ('orphan', 'DSC9999', 1, [10, 20, 30, 40]),
        ('malformed', 'DSC0001', 1, [10, 20, 30]),
        ('malformed', 'DSC0002', 1, [10, 20, float('nan'), 5]),
    ]
    anns = [dict(id=k, image_id=img, category_id=cat, bbox=box,
                 area=(box[2] * box[3] if len(box) == 4 else 0), iscrowd=0)
            for k, (_, img, cat, box) in enumerate(cases)]
    expected = {}
    for case, *_ in cases:
        expected[case] = expected.get(case, 0) + 1
    return (dict(images=images, annotations=anns,
                 categories=coco_categories()), expected)


def write_json(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(data, f)
    return str(path)


def build(ann_file, data_root, **kwargs):
    init_default_scope('mmdet')
    return DATASETS.build(dict(type='RawCocoDataset', ann_file=ann_file,
                               data_root=str(data_root),
                               data_prefix=dict(img='raw_images/'),
                               metainfo=dict(classes=CLASSES),
                               test_mode=True, pipeline=[], **kwargs))


def test_bad_annotations_are_dropped_clipped_and_counted(tmp_path,
                                                         monkeypatch):
    data, expected = bad_file()
    ann = write_json(tmp_path / 'annotations' / 'bad.json', data)
    logged = []
    monkeypatch.setattr(raw_coco, 'print_log',
                        lambda msg, **kw: logged.append(msg))
    ds = build(ann, tmp_path)
    rep = ds.annotation_report
    for reason in rep.DROP_REASONS:
        assert getattr(rep, reason) == expected[reason], reason
    assert rep.clipped == expected['clipped'] == 2
    assert rep.boxes == expected['good'] + expected['clipped'] == 4
    assert rep.boxes_in_file == len(data['annotations'])
    assert rep.boxes + rep.dropped == rep.boxes_in_file
    # One summary line, naming the file and every count.
    assert len(logged) == 1
    line = logged[0]
    assert ann in line and '4 of 15 boxes kept' in line
    for reason in rep.DROP_REASONS:
        assert f'{expected[reason]} {reason.replace("_", " ")}' in line
    assert '2 clipped' in line

    assert len(ds) == 2
    by_file = {os.path.basename(ds.get_data_info(i)['img_path']):
               ds.get_data_info(i) for i in range(2)}
    first, second = by_file['DSC0001.dng'], by_file['DSC0002.dng']
    assert first['coco_img_id'] == 'DSC0001'
    assert {first['img_id'], second['img_id']} == {1, 2}
    # Boxes are xyxy in annotation pixels; clipped ones end at the border.
    assert sorted(i['bbox'] for i in first['instances']) == [
        [0.0, 20.0, 20.0, 60.0], [10.0, 20.0, 40.0, 60.0]]
    assert sorted(i['bbox'] for i in second['instances']) == [
        [50.0, 10.0, 70.0, 30.0], [180.0, 90.0, 200.0, 100.0]]
    # Labels follow the class names although 'car' is listed first.
    labels = {tuple(i['bbox']): i['bbox_label']
              for d in (first, second) for i in d['instances']}
    assert labels[(10.0, 20.0, 40.0, 60.0)] == 0  # person
    assert labels[(50.0, 10.0, 70.0, 30.0)] == 2  # car


def test_ids_made_safe_for_pycocotools():
    data, _ = bad_file()
    out, rep = normalize_coco(data, CLASSES, source='x.json')
    assert rep.image_ids_mapped and rep.ann_ids_renumbered
    assert [im['id'] for im in out['images']] == [1, 2]
    assert [im['orig_id'] for im in out['images']] == ['DSC0001', 'DSC0002']
    ids = [a['id'] for a in out['annotations']]
    assert ids == list(range(1, len(ids) + 1))
    assert out['annotations'][0]['orig_id'] == 0
    assert data['images'][0]['id'] == 'DSC0001'  # input left unchanged
    # Unique positive integer ids are kept as they are.
    ints = dict(images=[dict(id=7, file_name='a', width=10, height=10)],
                annotations=[dict(id=5, image_id=7, category_id=1,
                                  bbox=[1, 1, 4, 4])],
                categories=[dict(id=1, name='person')])
    out, rep = normalize_coco(ints)
    assert not rep.image_ids_mapped and not rep.ann_ids_renumbered
    assert out['images'][0]['id'] == 7 and out['annotations'][0]['id'] == 5
    assert out['annotations'][0]['area'] == 16  # was missing


@pytest.mark.parametrize('change, message', [
    (lambda d: d['images'].append(dict(d['images'][0])), 'duplicate image'),
    (lambda d: d['images'][1].pop('width'), "has no ['width']"),
    (lambda d: d['images'][1].update(height=0), 'positive width'),
    (lambda d: d['categories'].pop(1), "no category named ['person']"),
])
def test_unusable_files_are_refused_with_the_reason(change, message):
    data, _ = bad_file()
    change(data)
    with pytest.raises(ValueError, match=r'x\.json') as err:
        normalize_coco(data, CLASSES, source='x.json')
    assert message in str(err.value)


@pytest.mark.parametrize('file_name', [
    '../outside.dng', '../../../etc/passwd', '/etc/passwd',
    'sub/../../outside.dng'
])
def test_file_name_cannot_leave_the_data_root(tmp_path, file_name):
    data, _ = bad_file()
    data['images'][1]['file_name'] = file_name
    ann = write_json(tmp_path / 'annotations' / 'a.json', data)
    with pytest.raises(ValueError) as err:
        build(ann, tmp_path)
    msg = str(err.value)
    assert ann in msg and file_name in msg and 'allow_outside_root' in msg
    # The config can allow it explicitly.
    ds = build(ann, tmp_path, allow_outside_root=True)
    paths = [ds.get_data_info(i)['img_path'] for i in range(len(ds))]
    assert os.path.join(str(tmp_path), 'raw_images/', file_name) in paths


def test_file_names_inside_the_root_are_accepted(tmp_path):
    data, _ = bad_file()
    data['images'][0]['file_name'] = 'night/DSC0001.dng'
    data['images'][1]['file_name'] = 'night/../DSC0002.dng'
    ann = write_json(tmp_path / 'annotations' / 'a.json', data)
    ds = build(ann, tmp_path)
    assert sorted(os.path.normpath(ds.get_data_info(i)['img_path'])
                  for i in range(2)) == [
        str(tmp_path / 'raw_images' / 'DSC0002.dng'),
        str(tmp_path / 'raw_images' / 'night' / 'DSC0001.dng')]


def test_synthetic_configs_use_raw_coco_dataset(tmp_path):
    cfg = Config.fromfile(
        os.path.join(REPO, 'configs/genisp_retinanet_raw.py'))
    init_default_scope('mmdet')
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[name].dataset.type == 'RawCocoDataset'
    anns = make_raw_dataset(str(tmp_path), num_images=2, splits=('train', ))
    ds_cfg = cfg.train_dataloader.dataset
    ds_cfg.update(data_root=str(tmp_path), ann_file=anns['train'],
                  data_prefix=dict(img='raw_images/'))
    ds = DATASETS.build(ds_cfg)
    assert isinstance(ds, RawCocoDataset) and len(ds) == 2
    sample = ds[0]
    assert sample['inputs'].shape[0] == 3
    assert len(sample['data_samples'].gt_instances) == 2
