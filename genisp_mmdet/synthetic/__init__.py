"""Synthetic low-light RAW benchmark (numpy, OpenCV, tifffile; no torch).

Procedural well-lit street scenes with person, bicycle and car boxes
(:mod:`.scenes`) are written as sRGB PNGs for detector pretraining and,
through simulated cameras (:mod:`.cameras`) and an inverse ISP
(:mod:`.unprocess`), as low-light DNG files laid out like RAW-NOD
(:mod:`.generate`). Command line: ``tools/make_synthetic_raw.py``; layout,
cameras and noise model: ``docs/synthetic_data.md``.
"""
from .cameras import CAMERAS, Camera, NoiseParams, get_camera
from .generate import (PRESETS, PRETRAIN, RAW_SPLITS, SPLITS, SourceImage,
                       annotation_path, generate_pretrain, generate_raw_split,
                       image_rng, load_coco_source, render)
from .scenes import CATEGORIES, Instance, Scene, SceneConfig, render_scene
from .unprocess import (NIGHT, WELL_LIT, Capture, CaptureRanges, RawCapture,
                        illuminant_white, unprocess)

__all__ = [
    'CAMERAS', 'CATEGORIES', 'Camera', 'Capture', 'CaptureRanges', 'Instance',
    'NIGHT', 'NoiseParams', 'PRESETS', 'PRETRAIN', 'RAW_SPLITS', 'RawCapture',
    'SPLITS', 'Scene', 'SceneConfig', 'SourceImage', 'WELL_LIT',
    'annotation_path', 'generate_pretrain', 'generate_raw_split',
    'get_camera', 'illuminant_white', 'image_rng', 'load_coco_source',
    'render', 'render_scene', 'unprocess'
]
