"""Synthetic low-light RAW benchmark (numpy, OpenCV, tifffile; no torch).

Procedural well-lit street scenes with person, bicycle and car boxes
(:mod:`.scenes`) are written as sRGB PNGs for detector pretraining and,
through simulated cameras (:mod:`.cameras`) and an inverse ISP
(:mod:`.unprocess`), as low-light DNG files laid out like RAW-NOD
(:mod:`.layout`, written by :mod:`.generate`). Command line:
``tools/make_synthetic_raw.py``; layout, cameras and noise model:
``docs/synthetic_data.md``.
"""
from .cameras import CAMERAS, Camera, NoiseParams, get_camera
from .generate import (SourceImage, generate_pretrain, generate_raw_split,
                       image_rng, load_coco_source, render)
from .layout import (PRETRAIN, RAW_SPLITS, SPLIT_SIZES, SPLITS,
                     annotation_file, annotation_path, dataloader_options,
                     image_folder, split_name)
from .scenes import CATEGORIES, Instance, Scene, SceneConfig, render_scene
from .unprocess import (NIGHT, WELL_LIT, Capture, CaptureRanges, RawCapture,
                        illuminant_white, unprocess)

__all__ = [
    'CAMERAS', 'CATEGORIES', 'Camera', 'Capture', 'CaptureRanges', 'Instance',
    'NIGHT', 'NoiseParams', 'PRETRAIN', 'RAW_SPLITS', 'RawCapture',
    'SPLITS', 'SPLIT_SIZES', 'Scene', 'SceneConfig', 'SourceImage',
    'WELL_LIT', 'annotation_file', 'annotation_path', 'dataloader_options',
    'generate_pretrain', 'generate_raw_split', 'get_camera', 'image_folder',
    'illuminant_white', 'image_rng', 'load_coco_source', 'render',
    'render_scene', 'split_name', 'unprocess'
]
