"""Synthetic low-light RAW benchmark (numpy, OpenCV, tifffile; no torch).

Procedural well-lit street scenes with person, bicycle and car boxes
(:mod:`.scenes`) are written as sRGB PNGs for detector pretraining and,
through simulated cameras (:mod:`.cameras`) and an inverse ISP
(:mod:`.unprocess`), as low-light DNG files laid out like RAW-NOD
(:mod:`.generate`). Command line: ``tools/make_synthetic_raw.py``.
"""
from .generate import (PRETRAIN, RAW_SPLITS, SPLITS, generate_pretrain,
                       image_rng, render)
from .scenes import CATEGORIES, Instance, Scene, SceneConfig, render_scene

__all__ = [
    'CATEGORIES', 'Instance', 'PRETRAIN', 'RAW_SPLITS', 'SPLITS', 'Scene',
    'SceneConfig', 'generate_pretrain', 'image_rng', 'render', 'render_scene'
]
