"""Tiny generated data sets and configs for the tests."""
import json
import os
import textwrap

import numpy as np

from genisp_mmdet.raw import write_dng

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
XYZ_TO_CAM = np.array([[0.7, -0.2, -0.05], [-0.45, 1.3, 0.15],
                       [-0.1, 0.2, 0.6]])
CATEGORIES = [dict(id=1, name='person'), dict(id=2, name='bicycle'),
              dict(id=3, name='car')]


def make_raw_dataset(root, num_images=4, width=160, height=120, seed=0,
                     pattern='RGGB', splits=('train', 'val')):
    """DNGs with bright rectangles (the objects) on a dark noisy ground,
    and COCO annotation files ``annotations/tiny_<split>.json``.

    Returns:
        dict split -> annotation path.
    """
    rng = np.random.default_rng(seed)
    os.makedirs(os.path.join(root, 'raw_images'), exist_ok=True)
    os.makedirs(os.path.join(root, 'annotations'), exist_ok=True)
    anns = {}
    for split in splits:
        images, annotations = [], []
        for i in range(num_images):
            name = f'{split}_{i:03d}.dng'
            mosaic = rng.normal(120, 8, (height, width))
            for k in range(2):
                w, h = rng.integers(20, 50), rng.integers(20, 50)
                x, y = rng.integers(0, width - w), rng.integers(0, height - h)
                mosaic[y:y + h, x:x + w] += 600 * (k + 1)
                annotations.append(
                    dict(id=len(annotations) + 1, image_id=i + 1,
                         category_id=int(k % 3 + 1),
                         bbox=[int(x), int(y), int(w), int(h)],
                         area=int(w * h), iscrowd=0))
            mosaic = np.clip(mosaic, 0, 4095).astype(np.uint16)
            write_dng(os.path.join(root, 'raw_images', name), mosaic,
                      pattern, 64, 4095, XYZ_TO_CAM)
            images.append(dict(id=i + 1, file_name=name, width=width,
                               height=height))
        path = os.path.join(root, 'annotations', f'tiny_{split}.json')
        with open(path, 'w') as f:
            json.dump(dict(images=images, annotations=annotations,
                           categories=CATEGORIES), f)
        anns[split] = path
    return anns


def write_config(path, base, data_root, load_from=None, max_epochs=1,
                 extra=''):
    """A user config outside the repository: inherits ``base`` (a path),
    imports the plug-in with custom_imports, points at a tiny data set."""
    text = f'''
    _base_ = [{base!r}]
    custom_imports = dict(imports=['genisp_mmdet'], allow_failed_imports=False)
    data_root = {data_root!r}
    _data = dict(data_root=data_root, ann_file='annotations/tiny_train.json',
                 data_prefix=dict(img='raw_images/'))
    train_dataloader = dict(batch_size=2, num_workers=0,
                            persistent_workers=False, dataset=_data)
    val_dataloader = dict(batch_size=2, num_workers=0,
                          persistent_workers=False,
                          dataset=dict(_data,
                                       ann_file='annotations/tiny_val.json'))
    test_dataloader = val_dataloader
    val_evaluator = dict(ann_file=data_root + '/annotations/tiny_val.json')
    test_evaluator = val_evaluator
    train_cfg = dict(max_epochs={max_epochs}, val_interval=1)
    default_hooks = dict(logger=dict(interval=1),
                         checkpoint=dict(save_best=None, max_keep_ckpts=-1))
    load_from = {load_from!r}
    '''
    with open(path, 'w') as f:
        f.write(textwrap.dedent(text) + textwrap.dedent(extra))
    return path


# The shipped GenISP configs, one per detector family.
DETECTORS = {
    det: f'configs/genisp/genisp_{det}_r18-slim_fpn_12e_synthetic-raw.py'
    for det in ('retinanet', 'fcos', 'faster-rcnn')
}


def detector_checkpoint(config, path, seed=1):
    """Write a plain (stock mmdet) checkpoint of the config's detector, as
    load_from would get from mmdet's model zoo; returns its state dict."""
    import torch
    from mmdet.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    cfg = Config.fromfile(os.path.join(REPO, config))
    init_default_scope('mmdet')
    plain = cfg.detector.copy()  # the detector's own config
    torch.manual_seed(seed)
    model = MODELS.build(plain)
    model.init_weights()
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return model.state_dict()


class _RunsCommand:
    """Unpickling this calls os.system(<command>)."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command, ))


def malicious_checkpoint(path, marker):
    """A checkpoint whose pickle would create the file ``marker``."""
    import torch
    torch.save({'state_dict': {'w': torch.zeros(1)},
                'meta': _RunsCommand(f'touch {marker}')}, path)
