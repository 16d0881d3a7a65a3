"""RAW-NOD: the real annotation files as published, RAW files of RAW-NOD's
sizes through the paper configs' pipeline, the paper configs themselves,
and tools/prepare_raw_nod.py."""
import functools
import glob
import json
import math
import os
import shutil
import sys

import numpy as np
import pytest
import torch
import yaml
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmdet.registry import DATASETS, MODELS

import genisp_mmdet  # noqa: F401
from genisp_mmdet.raw import write_dng
from ..conftest import shared_file
from ..helpers import REPO, XYZ_TO_CAM
from .test_raw_coco import coco_categories

SONY_VAL = ('raw-nod', 'Sony', 'raw_new_Sony_RX100m7_val.json')
SONY_TEST = ('raw-nod', 'Sony', 'raw_str_labeled_new_Sony_RX100m7_test.json')
NIKON_VAL = ('raw-nod', 'Nikon', 'raw_new_Nikon750_val.json')
# (images, boxes) the published files hold.
REAL_FILES = {SONY_VAL: (321, 1896), SONY_TEST: (321, 1827),
              NIKON_VAL: (400, 2720)}
MAIN = 'configs/genisp/genisp_retinanet_r50_fpn_15e_raw-nod-sony.py'
NOD_CONFIGS = sorted(
    os.path.relpath(p, REPO)
    for p in glob.glob(os.path.join(REPO, 'configs', '*', '*raw-nod*.py')))


def load_json(path):
    with open(path) as f:
        return json.load(f)


def build_nod(ann_file, data_root, pipeline=(), **kwargs):
    init_default_scope('mmdet')
    return DATASETS.build(dict(type='RawNODDataset', ann_file=str(ann_file),
                               data_root=str(data_root), test_mode=True,
                               pipeline=list(pipeline), **kwargs))


def xyxy(box):
    x, y, w, h = box
    return [float(x), float(y), float(x + w), float(y + h)]


@pytest.mark.parametrize('parts', list(REAL_FILES), ids=lambda p: p[-1])
def test_real_annotation_files_load_as_published(parts, tmp_path):
    ann = shared_file(*parts)
    raw = load_json(ann)
    n_images, n_boxes = REAL_FILES[parts]
    assert (len(raw['images']), len(raw['annotations'])) == (n_images,
                                                             n_boxes)
    ds = build_nod(ann, tmp_path)
    rep = ds.annotation_report
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    assert len(ds) == n_images
    degenerate = sum(a['bbox'][2] < 1 or a['bbox'][3] < 1
                     for a in raw['annotations'])
    assert rep.degenerate == degenerate
    assert sum(len(i['instances']) for i in infos) == rep.boxes == \
        n_boxes - rep.dropped
    ids = [i['img_id'] for i in infos]
    assert len(set(ids)) == len(ids)
    assert all(isinstance(i, int) for i in ids)
    labels = {x['bbox_label'] for i in infos for x in i['instances']}
    assert labels == {0, 1, 2}
    # Every image holds exactly the file's boxes for the file's own id
    # (person, bicycle, car = category ids 1, 2, 3 -> labels 0, 1, 2).
    by_image = {}
    for a in raw['annotations']:
        by_image.setdefault(a['image_id'], []).append(
            (xyxy(a['bbox']), a['category_id'] - 1))
    for info in infos:
        own_id = info.get('coco_img_id', info['img_id'])
        got = sorted((x['bbox'], x['bbox_label']) for x in info['instances'])
        assert got == sorted(by_image[own_id])
    # String ids are file stems; the integer-id file keeps its ids.
    string_ids = isinstance(raw['images'][0]['id'], str)
    assert rep.image_ids_mapped == string_ids
    assert rep.ann_ids_renumbered  # the files start annotation ids at 0
    camera_dir = os.path.join(str(tmp_path), parts[1], 'raw_images')
    names = {im['file_name'] for im in raw['images']}
    assert {os.path.basename(i['img_path']) for i in infos} == names
    assert all(os.path.dirname(i['img_path']) == camera_dir for i in infos)


def test_degenerate_boxes_and_all_80_categories(tmp_path):
    raw = load_json(shared_file(*SONY_VAL))
    raw['categories'] = coco_categories()
    first = raw['images'][0]['id']
    n = len(raw['annotations'])
    raw['annotations'] += [
        dict(id=n, image_id=first, category_id=1, bbox=[100, 100, 0, 50],
             area=0, iscrowd=0),
        dict(id=n + 1, image_id=first, category_id=18,  # dog
             bbox=[100, 100, 50, 50], area=2500, iscrowd=0)]
    ann = tmp_path / 'annotations' / 'Sony' / 'sony_80.json'
    ann.parent.mkdir(parents=True)
    ann.write_text(json.dumps(raw))
    ds = build_nod(ann, tmp_path)
    rep = ds.annotation_report
    assert (rep.degenerate, rep.other_category, rep.boxes) == (1, 1, n)
    labels = [x['bbox_label'] for i in range(len(ds))
              for x in ds.get_data_info(i)['instances']]
    assert len(labels) == n and set(labels) == {0, 1, 2}


def test_layout_and_explicit_prefix(tmp_path):
    data = dict(images=[dict(id='a', file_name='DSC01.ARW', width=8,
                             height=8),
                        dict(id='b', file_name='DSC_02.nef', width=8,
                             height=8)],
                annotations=[], categories=coco_categories()[:3])
    ann = tmp_path / 'mixed.json'
    ann.write_text(json.dumps(data))
    paths = sorted(build_nod(ann, tmp_path).get_data_info(i)['img_path']
                   for i in range(2))
    assert paths == [str(tmp_path / 'Nikon/raw_images/DSC_02.nef'),
                     str(tmp_path / 'Sony/raw_images/DSC01.ARW')]
    ds = build_nod(ann, tmp_path, data_prefix=dict(img='all/'))
    assert {os.path.dirname(ds.get_data_info(i)['img_path'])
            for i in range(2)} == {str(tmp_path / 'all')}
    data['images'][0]['file_name'] = 'DSC01.dng'
    ann.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="no camera folder for extension "
                       "'.dng'"):
        build_nod(ann, tmp_path)
    # A file name may not climb into the other camera's folder either.
    data['images'][0]['file_name'] = '../../Nikon/raw_images/DSC_02.ARW'
    ann.write_text(json.dumps(data))
    with pytest.raises(ValueError, match='outside the image root'):
        build_nod(ann, tmp_path)


def _largest_inner_box(raw, margin=16):
    sizes = {im['id']: (im['width'], im['height']) for im in raw['images']}
    best = None
    for a in raw['annotations']:
        x, y, w, h = a['bbox']
        iw, ih = sizes[a['image_id']]
        if x >= margin and y >= margin and x + w <= iw - margin and \
                y + h <= ih - margin and (best is None or w * h >
                                          best['bbox'][2] * best['bbox'][3]):
            best = a
    return best


@pytest.mark.parametrize('parts, visible, pattern', [
    (SONY_VAL, (5496, 3672), 'RGGB'),
    (NIKON_VAL, (3936, 2624), 'GBRG'),
], ids=['sony', 'nikon'])
def test_box_lands_on_the_object_at_raw_nod_size(tmp_path, parts, visible,
                                                  pattern):
    """A RAW file of RAW-NOD's size with a bright object where a box of
    the real file says, through the paper config's pipeline (packing to
    half size, resizing to 1200x800): the box covers the object, and the
    preprocessor maps it back to the file's box."""
    src = shared_file(*parts)
    raw = load_json(src)
    box_ann = _largest_inner_box(raw)
    image = next(im for im in raw['images']
                 if im['id'] == box_ann['image_id'])
    aw, ah = image['width'], image['height']
    vw, vh = visible
    ox, oy = (vw - aw) // 2, (vh - ah) // 2  # Sony: 12, 12
    black, white = 512, 16383
    mosaic = np.full((vh, vw), black + 40, np.uint16)
    x, y, w, h = box_ann['bbox']
    mosaic[oy + y:oy + y + h, ox + x:ox + x + w] = white - 400
    camera = parts[1]
    # LibRaw identifies files by content: a DNG under RAW-NOD's name.
    path = tmp_path / camera / 'raw_images' / image['file_name']
    path.parent.mkdir(parents=True)
    write_dng(path, mosaic, pattern, black, white, XYZ_TO_CAM)
    ann = tmp_path / 'annotations' / camera / parts[-1]
    ann.parent.mkdir(parents=True)
    shutil.copy(src, ann)

    cfg = Config.fromfile(os.path.join(REPO, MAIN))
    steps = [t for t in cfg.train_dataloader.dataset.pipeline
             if t['type'] != 'RandomFlip']
    ds = build_nod(ann.relative_to(tmp_path), tmp_path, pipeline=steps)
    idx = next(i for i in range(len(ds))
               if ds.get_data_info(i)['img_path'] == str(path))
    out = ds[idx]
    img = out['inputs'].float()
    assert img.shape == (3, 800, 1200)  # 3:2 at most 1333x800
    sample = out['data_samples']
    assert sample.ori_shape == (ah, aw)
    # The picked box among the image's boxes, in the order of the file.
    own = [a for a in raw['annotations']
           if a['image_id'] == image['id']]
    gt = sample.gt_instances.bboxes.tensor[own.index(box_ann)]
    scale = 0.5 * 800 / (ah / 2)
    np.testing.assert_allclose(gt.tolist(),
                               [v * scale for v in xyxy(box_ann['bbox'])],
                               atol=1e-3)
    lum = img.mean(0)
    bright = lum > 0.5 * lum.max()
    ys, xs = torch.nonzero(bright, as_tuple=True)
    region = [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
    for edge, found in zip(gt.tolist(), region):
        assert abs(edge - float(found)) <= 1.0, (gt, region)
    # Away from the edges' partly covered pixels: object inside, dark out.
    x1, y1, x2, y2 = gt.tolist()
    inner = lum[math.ceil(y1) + 1:math.floor(y2) - 1,
                math.ceil(x1) + 1:math.floor(x2) - 1]
    outside = torch.ones_like(bright)
    outside[max(math.floor(y1) - 1, 0):math.ceil(y2) + 1,
            max(math.floor(x1) - 1, 0):math.ceil(x2) + 1] = False
    assert inner.min() > 20 * lum[outside].max()

    init_default_scope('mmdet')
    pre_cfg = cfg.model.data_preprocessor.copy()
    pre_cfg['isp'] = dict(type='IdentityISP')
    data = MODELS.build(pre_cfg)(pseudo_collate([out]), training=False)
    folded = data['data_samples'][0].scale_factor
    back = [v / folded[i % 2] for i, v in enumerate(gt.tolist())]
    np.testing.assert_allclose(back, xyxy(box_ann['bbox']), atol=1e-2)


@functools.lru_cache()
def _metafile_weights():
    import mmdet
    root = os.path.join(os.path.dirname(mmdet.__file__), '.mim', 'configs')
    weights = {}
    for name in ('retinanet', 'fcos', 'faster_rcnn'):
        with open(os.path.join(root, name, 'metafile.yml')) as f:
            for model in yaml.safe_load(f)['Models']:
                weights[model['Name']] = model.get('Weights')
    return root, weights


ZOO = {'RetinaNet': 'retinanet_r50_fpn_1x_coco',
       'FCOS': 'fcos_r50-caffe_fpn_gn-head_1x_coco',
       'FasterRCNN': 'faster-rcnn_r50_fpn_1x_coco'}


def test_paper_settings_of_the_main_config():
    cfg = Config.fromfile(os.path.join(REPO, MAIN))
    assert cfg.model.type == 'FrozenDetector'
    assert cfg.model.detector == 'RetinaNet'
    assert cfg.model.backbone.depth == 50
    assert cfg.model.bbox_head.num_classes == 80
    assert cfg.model.data_preprocessor.isp.type == 'GenISP'
    assert cfg.optim_wrapper.optimizer == dict(type='Adam', lr=1e-2)
    assert cfg.train_cfg.max_epochs == 15
    steps = [s for s in cfg.param_scheduler if s.type == 'MultiStepLR']
    assert len(steps) == 1 and steps[0].gamma == 0.1
    assert cfg.train_dataloader.batch_size == 8
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        ds = cfg[loader].dataset
        assert ds.type == 'RawNODDataset' and 'data_prefix' not in ds
        resize = [t for t in ds.pipeline if t.type == 'Resize']
        assert resize == [dict(type='Resize', scale=(1333, 800),
                               keep_ratio=True)]
        assert ds.pipeline[0].mode == 'xyz'
    assert cfg.env_cfg.dist_cfg.backend == 'nccl'
    for ev in (cfg.val_evaluator, cfg.test_evaluator):
        assert ev.type == 'RawCocoMetric'
        assert ev.label_map == {0: 0, 1: 1, 2: 2}
    # Built without fetching load_from: only the ISP is trainable.
    init_default_scope('mmdet')
    model = MODELS.build(cfg.model)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(n.startswith('data_preprocessor.isp.')
                             for n in trainable)


@pytest.mark.parametrize('config', NOD_CONFIGS,
                         ids=[os.path.basename(c) for c in NOD_CONFIGS])
def test_raw_nod_configs(config):
    """Weights from mmdet's model zoo, the camera named in the file name,
    the ISP of the row; every config also builds in tests/test_configs.py."""
    cfg = Config.fromfile(os.path.join(REPO, config))
    _, weights = _metafile_weights()
    detector = cfg.detector
    assert cfg.load_from == weights[ZOO[detector.type]]
    head = cfg.model.get('bbox_head') or cfg.model.roi_head.bbox_head
    assert head.num_classes == 80  # COCO heads
    name = os.path.basename(config)
    test_camera = 'Nikon' if 'nikon' in name else 'Sony'
    assert f'/{test_camera}/' in cfg.test_evaluator.ann_file
    assert cfg.test_dataloader.dataset.ann_file.startswith(
        f'annotations/{test_camera}/')
    assert cfg.test_evaluator.ann_file == \
        cfg.test_dataloader.dataset.data_root + \
        cfg.test_dataloader.dataset.ann_file
    pre = cfg.model.data_preprocessor
    isp = name.split('_')[0]
    assert pre.isp.type == {'genisp': 'GenISP', 'rawpy-isp': 'IdentityISP',
                            'classic-isp': 'ClassicISP'}[isp]
    assert cfg.test_dataloader.dataset.pipeline[0].mode == \
        ('rawpy' if isp == 'rawpy-isp' else 'xyz')
    unseen = detector.type != 'RetinaNet' and isp == 'genisp'
    assert bool(pre.get('isp_checkpoint')) == unseen
    # The detector's own preprocessor, whole: caffe-style FCOS weights
    # expect BGR (bgr_to_rgb=False), the others RGB.
    assert pre.data_preprocessor == detector.data_preprocessor
    assert pre.data_preprocessor.bgr_to_rgb == (detector.type != 'FCOS')


@pytest.mark.parametrize('det', ['fcos_r50-caffe_fpn_gn-head',
                                 'faster-rcnn_r50_fpn'])
def test_unseen_detectors_are_the_model_zoo_configs_whole(det):
    """The unseen-detector configs inherit mmdet's own zoo configs: the
    detector is theirs but for the ImageNet initialisation (its weights
    come from load_from)."""
    root, _ = _metafile_weights()
    zoo = {'fcos_r50-caffe_fpn_gn-head': 'fcos/fcos_r50-caffe_fpn_gn-head_'
           '1x_coco.py', 'faster-rcnn_r50_fpn': 'faster_rcnn/faster-rcnn_'
           'r50_fpn_1x_coco.py'}[det]
    theirs = Config.fromfile(os.path.join(root, zoo)).model.to_dict()
    ours = Config.fromfile(os.path.join(
        REPO, f'configs/genisp/genisp_{det}_raw-nod-sony.py')).model
    ours = dict(ours.to_dict(), type=ours.detector,
                data_preprocessor=ours.data_preprocessor.data_preprocessor)
    del ours['detector']
    assert ours['backbone'].pop('init_cfg') is None
    theirs['backbone'].pop('init_cfg')
    ours.pop('_scope_', None)
    theirs.pop('_scope_', None)
    assert ours == theirs


def test_unseen_detectors_take_the_isp_from_a_genisp_checkpoint(tmp_path):
    init_default_scope('mmdet')
    main = Config.fromfile(os.path.join(REPO, MAIN))
    torch.manual_seed(3)
    trained = MODELS.build(main.model.data_preprocessor).isp
    for p in trained.parameters():
        p.data.normal_()
    state = {f'data_preprocessor.isp.{k}': v
             for k, v in trained.state_dict().items()}
    state['backbone.conv1.weight'] = torch.zeros(1)  # detector keys too
    ckpt = tmp_path / 'epoch_15.pth'
    torch.save(dict(state_dict=state, meta={}), ckpt)
    for det in ('fcos_r50-caffe_fpn_gn-head', 'faster-rcnn_r50_fpn'):
        cfg = Config.fromfile(os.path.join(
            REPO, f'configs/genisp/genisp_{det}_raw-nod-sony.py'))
        pre_cfg = cfg.model.data_preprocessor
        assert pre_cfg.isp_checkpoint.startswith(
            'work_dirs/genisp_retinanet_r50_fpn_15e_raw-nod-sony/')
        pre_cfg.isp_checkpoint = str(ckpt)
        isp = MODELS.build(pre_cfg).isp
        for k, v in trained.state_dict().items():
            assert torch.equal(isp.state_dict()[k], v), k


def _prepare_tool():
    sys.path.insert(0, os.path.join(REPO, 'tools'))
    try:
        import prepare_raw_nod
    finally:
        sys.path.pop(0)
    return prepare_raw_nod


def test_prepare_tool_names_problems_and_fills_the_training_cache(
        tmp_path, capsys, monkeypatch):
    root = tmp_path / 'RAW-NOD'
    cats = coco_categories()[:3]

    def dng(rel, w, h):
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        write_dng(p, np.full((h, w), 300, np.uint16), 'RGGB', 64, 4095,
                  XYZ_TO_CAM)

    def annotate(rel, images):
        p = root / 'annotations' / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(dict(
            images=[dict(id=n.split('.')[0], file_name=n, width=w, height=h)
                    for n, w, h in images],
            annotations=[], categories=cats)))

    # Sony: one good file (annotated area centred in a larger visible
    # area), one missing, one corrupt, one smaller than its annotation.
    dng('Sony/raw_images/DSC01.ARW', 112, 80)
    dng('Sony/raw_images/DSC04.ARW', 64, 48)
    (root / 'Sony/raw_images/DSC03.ARW').write_bytes(b'not a raw file' * 99)
    annotate('Sony/raw_new_Sony_RX100m7_val.json',
             [('DSC01.ARW', 108, 76), ('DSC02.ARW', 108, 76),
              ('DSC03.ARW', 108, 76), ('DSC04.ARW', 108, 76)])
    dng('Nikon/raw_images/DSC_0001.NEF', 96, 64)
    annotate('Nikon/raw_new_Nikon750_val.json', [('DSC_0001.NEF', 96, 64)])
    # rawpy_*.json annotate LibRaw-rendered JPEGs: not checked.
    annotate('Sony/rawpy_new_Sony_RX100m7_val.json', [('x.JPG', 9, 9)])

    tool = _prepare_tool()
    cache = tmp_path / 'cache'
    report = tmp_path / 'report.json'
    rc = tool.main(['--data-root', str(root), '--cache-dir', str(cache),
                    '--workers', '2', '--report', str(report),
                    '--no-progress'])
    out = capsys.readouterr().out
    assert rc == 1
    assert '5 annotated images: 4 present, 1 missing' in out
    found = load_json(report)
    sony = root / 'Sony' / 'raw_images'
    assert found['missing'] == [str(sony / 'DSC02.ARW')]
    assert list(found['unreadable']) == [str(sony / 'DSC03.ARW')]
    assert 'LibRaw cannot read it' in found['unreadable'][str(
        sony / 'DSC03.ARW')]
    assert list(found['size_mismatch']) == [str(sony / 'DSC04.ARW')]
    for name in ('DSC02.ARW', 'DSC03.ARW', 'DSC04.ARW'):
        assert name in out
    assert 'x.JPG' not in out
    assert ('1 files: annotated 108x76 = a centred crop of the visible '
            'area (112x80)') in out
    assert len(glob.glob(str(cache / '*' / '*.npy'))) == 2

    # Training reads those entries: LibRaw is never called.
    import genisp_mmdet.raw.loader as loader

    def no_decoding(*args, **kwargs):
        raise AssertionError('decoded although cached')

    monkeypatch.setattr(loader, 'read_raw', no_decoding)
    cfg = Config.fromfile(os.path.join(REPO, MAIN))
    pipeline = cfg.test_dataloader.dataset.pipeline
    pipeline[0]['cache_dir'] = str(cache)
    ds = build_nod('annotations/Sony/raw_new_Sony_RX100m7_val.json', root,
                   pipeline=pipeline)
    idx = next(i for i in range(len(ds))
               if ds.get_data_info(i)['img_path'].endswith('DSC01.ARW'))
    assert ds[idx]['data_samples'].ori_shape == (76, 108)

    # A clean subset passes.
    monkeypatch.undo()
    rc = tool.main(['--data-root', str(root), '--ann-file',
                    'annotations/Nikon/raw_new_Nikon750_val.json',
                    '--no-progress'])
    out = capsys.readouterr().out
    assert rc == 0 and out.rstrip().endswith('OK')
