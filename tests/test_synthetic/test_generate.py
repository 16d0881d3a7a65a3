"""The data-set writer and its CLI: layout, COCO files, DNGs LibRaw reads,
splits without leakage, determinism, COCO-format sources."""
import hashlib
import json
import os

import cv2
import numpy as np
import pytest
import rawpy
from pycocotools.coco import COCO

from genisp_mmdet.raw import read_raw
from genisp_mmdet.synthetic import (CAMERAS, NIGHT, CaptureRanges,
                                    SceneConfig, annotation_path,
                                    generate_pretrain, generate_raw_split,
                                    load_coco_source)

CFG = SceneConfig(width=128, height=96)
CAMS = ('SonyRX100M7', 'Canon5DIVGRBG')
CATS = [{'id': 1, 'name': 'person'}, {'id': 2, 'name': 'bicycle'},
        {'id': 3, 'name': 'car'}]
CAPTURE_FIELDS = ('illuminant_k', 'exposure', 'iso', 'noise', 'read_z')


def _tree(root):
    """{relative path: sha1} of every file under root."""
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            with open(p, 'rb') as fh:
                out[os.path.relpath(p, root)] = hashlib.sha1(
                    fh.read()).hexdigest()
    return out


def _make(root, workers):
    generate_pretrain(str(root), 12, seed=3, scene_cfg=CFG, workers=workers,
                      progress=False)
    generate_raw_split(str(root), 'test', 3, CAMS, seed=3, scene_cfg=CFG,
                       workers=workers, progress=False)
    generate_raw_split(str(root), 'train', 2, CAMS, seed=3, scene_cfg=CFG,
                       workers=workers, progress=False)


@pytest.fixture(scope='module')
def out(tmp_path_factory):
    root = tmp_path_factory.mktemp('synthetic')
    _make(root, workers=1)
    return root


def _check_coco(path, image_dir):
    coco = COCO(str(path))
    data = coco.dataset
    assert data['categories'] == CATS
    assert [a['id'] for a in data['annotations']] == list(
        range(1, len(data['annotations']) + 1))
    for im in data['images']:
        assert isinstance(im['id'], int)
        assert os.path.isfile(os.path.join(image_dir, im['file_name']))
    for a in data['annotations']:
        im = coco.imgs[a['image_id']]
        x, y, w, h = a['bbox']
        assert w > 0 and h > 0 and x >= 0 and y >= 0
        assert x + w <= im['width'] and y + h <= im['height']
        assert a['iscrowd'] == 0 and 0 < a['area'] <= w * h
    return data


def test_pretrain_split(out):
    img_dir = out / 'srgb_pretrain' / 'images'
    train = _check_coco(out / 'annotations' / 'srgb_pretrain_train.json',
                        img_dir)
    val = _check_coco(out / 'annotations' / 'srgb_pretrain_val.json',
                      img_dir)
    # every tenth image (index % 10 == 9) is a validation image
    assert [im['id'] for im in val['images']] == [10]
    assert len(train['images']) == 11
    assert train['annotations'], 'scenes must hold objects'
    png = cv2.imread(str(img_dir / '000000.png'))
    assert png.shape == (96, 128, 3)


def test_raw_files_read_by_libraw(out):
    for name in CAMS:
        cam = CAMERAS[name]
        data = _check_coco(annotation_path(str(out), name, 'test'),
                           out / name / 'raw_images')
        _check_coco(annotation_path(str(out), name, 'test', srgb=True),
                    out / name / 'srgb_images')
        assert data['info']['camera'] == name
        for im in data['images']:
            path = str(out / name / 'raw_images' / im['file_name'])
            with rawpy.imread(path) as raw:
                assert raw.raw_type == rawpy.RawType.Flat
                desc = raw.color_desc.decode()
                pattern = ''.join(desc[i] for i in raw.raw_pattern.ravel())
                assert pattern == cam.pattern
                assert set(raw.black_level_per_channel) == {cam.black_level}
                assert raw.white_level == cam.white_level
                assert raw.raw_image_visible.shape == (96, 128)
                wb = np.array(raw.camera_whitebalance[:3])
                np.testing.assert_allclose(wb / wb[1],
                                           1 / np.array(im['as_shot_neutral']),
                                           rtol=1e-3)
            frame = read_raw(path)
            np.testing.assert_allclose(np.linalg.inv(frame.cam_to_xyz),
                                       cam.xyz_to_cam, atol=1e-12)
            for key in CAPTURE_FIELDS + ('shot_noise', 'read_noise',
                                         'xyz_scale', 'srgb_file_name'):
                assert key in im
            assert NIGHT.exposure[0] <= im['exposure'] <= NIGHT.exposure[1]
            assert NIGHT.iso[0] <= im['iso'] <= NIGHT.iso[1]


def test_only_the_sensor_differs_between_cameras(out):
    a, b = (json.load(open(annotation_path(str(out), c, 'test')))
            for c in CAMS)
    assert a['annotations'] == b['annotations']
    for ia, ib in zip(a['images'], b['images']):
        assert {k: ia[k] for k in CAPTURE_FIELDS} == {
            k: ib[k] for k in CAPTURE_FIELDS}
        assert ia['shot_noise'] != ib['shot_noise']  # different sensors
        pa, pb = (out / c / 'srgb_images' / ia['srgb_file_name']
                  for c in CAMS)
        assert pa.read_bytes() == pb.read_bytes()


def test_splits_do_not_share_scenes(out):
    tree = _tree(out)
    pretrain = {h for p, h in tree.items() if p.startswith('srgb_pretrain')}
    raw_srgb = {h for p, h in tree.items() if 'srgb_images' in p}
    assert raw_srgb and pretrain.isdisjoint(raw_srgb)
    test = {h for p, h in tree.items()
            if 'srgb_images' in p and os.path.basename(p).startswith('test')}
    train = {h for p, h in tree.items()
             if 'srgb_images' in p and os.path.basename(p).startswith('train')}
    assert test.isdisjoint(train)


def test_byte_identical_for_any_number_of_workers(out, tmp_path):
    _make(tmp_path, workers=2)
    assert _tree(tmp_path) == _tree(out)


def test_tagged_split_keeps_scenes(out, tmp_path):
    generate_raw_split(str(tmp_path), 'test', 3, CAMS[:1], seed=3,
                       scene_cfg=CFG, workers=1, progress=False,
                       ranges=CaptureRanges(exposure=(0.02, 0.02)),
                       tag='e0.02')
    data = json.load(open(annotation_path(str(tmp_path), CAMS[0],
                                          'test-e0.02')))
    ref = json.load(open(annotation_path(str(out), CAMS[0], 'test')))
    assert data['annotations'] == ref['annotations']
    for im, im_ref in zip(data['images'], ref['images']):
        assert im['file_name'].startswith('test-e0.02_')
        assert im['exposure'] == pytest.approx(0.02)
        assert (im['iso'], im['illuminant_k']) == (im_ref['iso'],
                                                   im_ref['illuminant_k'])
        assert (tmp_path / CAMS[0] / 'srgb_images' /
                im['srgb_file_name']).read_bytes() == (
                    out / CAMS[0] / 'srgb_images' /
                    im_ref['srgb_file_name']).read_bytes()


def test_coco_source(tmp_path):
    """A COCO-format sRGB set (other category ids, an extra class, an odd
    image size, a box across the border) converts through the pipeline."""
    src = tmp_path / 'src'
    src.mkdir()
    rng = np.random.default_rng(0)
    for name, (h, w) in (('a.jpg', (77, 101)), ('b.png', (64, 96))):
        cv2.imwrite(str(src / name), rng.integers(0, 255, (h, w, 3),
                                                  dtype=np.uint8))
    coco = {
        'images': [{'id': 7, 'file_name': 'b.png', 'width': 96,
                    'height': 64},
                   {'id': 3, 'file_name': 'a.jpg', 'width': 101,
                    'height': 77}],
        'categories': [{'id': 18, 'name': 'dog'}, {'id': 5, 'name': 'car'},
                       {'id': 9, 'name': 'person'}],
        'annotations': [
            {'id': 1, 'image_id': 3, 'category_id': 9,
             'bbox': [90, 10, 20, 30], 'area': 300, 'iscrowd': 0},
            {'id': 2, 'image_id': 3, 'category_id': 18,
             'bbox': [5, 5, 10, 10], 'area': 100, 'iscrowd': 0},
            {'id': 3, 'image_id': 7, 'category_id': 5,
             'bbox': [10, 20, 30, 15], 'area': 450, 'iscrowd': 0},
        ],
    }
    (src / 'instances.json').write_text(json.dumps(coco))
    source = load_coco_source(str(src / 'instances.json'), str(src))
    out = tmp_path / 'out'
    generate_raw_split(str(out), 'val', None, ['NikonD750'], source=source,
                       workers=1, progress=False)
    data = _check_coco(annotation_path(str(out), 'NikonD750', 'val'),
                       out / 'NikonD750' / 'raw_images')
    first, second = data['images']
    assert (first['source_id'], second['source_id']) == (3, 7)
    assert (first['width'], first['height']) == (100, 76)  # cropped even
    anns = {a['image_id']: a for a in data['annotations']}
    assert len(data['annotations']) == 2  # the dog is dropped
    assert anns[1]['category_id'] == 1 and anns[1]['bbox'] == [90, 10, 10, 30]
    assert anns[2]['category_id'] == 3 and anns[2]['bbox'] == [10, 20, 30, 15]
    png = cv2.imread(str(out / 'NikonD750' / 'srgb_images' /
                         first['srgb_file_name']))
    src_img = cv2.imread(str(src / 'a.jpg'))
    np.testing.assert_array_equal(png, src_img[:76, :100])
    frame = read_raw(out / 'NikonD750' / 'raw_images' / first['file_name'])
    assert frame.mosaic.shape == (76, 100)
