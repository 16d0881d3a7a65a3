"""Where the synthetic benchmark's files lie, how many there are, and how a
config is pointed at them: the one definition the generator, the study and
the benchmark share.

Layout under a data root (mirrors RAW-NOD: one folder per camera, annotation
files per camera and split)::

    srgb_pretrain/images/000000.png            well-lit scenes (pretraining)
    annotations/srgb_pretrain_<subset>.json    subset: train or val
    <Camera>/raw_images/<name>_000000.dng      simulated low-light capture
    <Camera>/srgb_images/<name>_000000.png     the well-lit scene it shows
    annotations/<Camera>/<Camera>_<name>.json        file_name: the .dng
    annotations/<Camera>/<Camera>_<name>_srgb.json   the same, the .png

``<name>`` is a RAW split (``train``, ``val``, ``test``) or, for the same
scenes under other capture settings, ``<split>-<tag>`` (:func:`split_name`).
"""
from __future__ import annotations

import os
from typing import Dict, Optional

PRETRAIN = 'srgb_pretrain'
RAW_SPLITS = ('train', 'val', 'test')
SPLITS = (PRETRAIN, ) + RAW_SPLITS

# Images per split (RAW splits: per camera) of the named data-set sizes:
# ``demo`` is what ``make demo`` trains and tests on, ``study`` what
# ``make reproduce`` does (and ``make pretrain`` for srgb_pretrain).
SPLIT_SIZES: Dict[str, Dict[str, int]] = {
    'demo': {PRETRAIN: 200, 'train': 160, 'val': 40, 'test': 100},
    'study': {PRETRAIN: 3600, 'train': 500, 'val': 100, 'test': 250},
}


def split_name(split: str, tag: str = '') -> str:
    """``split`` or ``<split>-<tag>``: the name in file and annotation
    names. A tag names the same scenes under other capture settings."""
    if tag and (os.sep in tag or '_' in tag):
        raise ValueError(f'tag must not contain {os.sep!r} or "_": {tag!r}')
    return f'{split}-{tag}' if tag else split


def annotation_file(camera: str, name: str, srgb: bool = False) -> str:
    """A RAW split's annotation file relative to the data root (``srgb``:
    the variant whose file names are the well-lit sRGB references)."""
    suffix = '_srgb' if srgb else ''
    return f'annotations/{camera}/{camera}_{name}{suffix}.json'


def image_folder(camera: str, srgb: bool = False) -> str:
    """A camera's image folder relative to the data root, with a trailing
    slash (mmdet's ``data_prefix.img``)."""
    return f'{camera}/{"srgb" if srgb else "raw"}_images/'


def annotation_path(root: str, camera: str, name: str,
                    srgb: bool = False) -> str:
    """:func:`annotation_file` under ``root``."""
    return os.path.join(root, annotation_file(camera, name, srgb))


def pretrain_annotation_path(root: str, subset: str) -> str:
    """Annotation file of the well-lit pretraining ``subset`` (train or
    val)."""
    return os.path.join(root, 'annotations', f'{PRETRAIN}_{subset}.json')


def pretrain_image_folder(root: str) -> str:
    return os.path.join(root, PRETRAIN, 'images')


def dataloader_options(root: str, camera: str, name: str, loader: str,
                       evaluator: Optional[str] = None,
                       srgb: bool = False) -> Dict[str, str]:
    """``--cfg-options`` entries that point one dataloader of a config
    (``loader``, e.g. ``'test_dataloader'``) and its evaluator at a split of
    the data under ``root``."""
    ann = annotation_file(camera, name, srgb)
    opts = {
        f'{loader}.dataset.data_root': root,
        f'{loader}.dataset.ann_file': ann,
        f'{loader}.dataset.data_prefix.img': image_folder(camera, srgb),
    }
    if evaluator:
        opts[f'{evaluator}.ann_file'] = os.path.join(root, ann)
    return opts
