"""One RAW file -> one float32 image for an ISP, with its geometry.

The framework-free core of
:class:`genisp_mmdet.datasets.transforms.LoadRawImageFromFile`.

Geometry: annotations refer to the *annotated area* of a file (its crop, in
display orientation, at full resolution). The returned image covers exactly
that area, scaled by ``scale`` (0.5 for packed Bayer modes, where each pixel
is one 2x2 CFA tile; 1.0 for LibRaw's full-resolution processing). A point
``u`` of the annotated area lands at ``u * scale + offset`` in the image.

Speed (``tools/benchmark.py``, ``docs/benchmark.md``): packing, black/white
levels, green averaging, the colour matrix and the rotation to display are
one blocked pass over the mosaic
(:func:`~genisp_mmdet.raw.packing.mosaic_to_linear`, bit for bit the
affine map of :func:`~genisp_mmdet.raw.packing.planes_to_linear`), and the
cache stores the final float32 image, so that a hit is one file read.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import numpy as np

from .cache import ArrayCache, cache_key
from .packing import FLIP_TO_ROT90, PACK_SCALE, mosaic_to_linear, plane_levels
from .read import RawDecodeError, RawFrame, read_raw

MODES = ('xyz', 'camera_rgb', 'rawpy')
# Bumped whenever what a cache entry holds changes: version 1 held packed
# uint16 planes, version 2 the final image of each mode.
CACHE_VERSION = 2

# rawpy.postprocess arguments of the ``rawpy`` mode on top of LibRaw's own
# defaults (AHD demosaicing, daylight white balance, auto brightness, sRGB,
# BT.709 gamma): only the output depth is raised from 8 to 16 bits.
DEFAULT_RAWPY_PARAMS = dict(output_bps=16)


@dataclass
class RawImage:
    """A decoded image and how it maps to the annotated area.

    Attributes:
        img: ``(h, w, 3)`` float32, about [0, 1]; XYZ, camera RGB or sRGB
            (gamma-encoded) by mode.
        scale: image pixels per annotated-area pixel, ``(sx, sy)``.
        offset: ``(ox, oy)`` image pixels added after scaling (0 unless the
            annotated area starts at an odd pixel; at most half a packed
            pixel).
        annotated_shape: ``(H, W)`` of the annotated area, display
            orientation.
        meta: decoding details (pattern, matrix source, crop, ...).
    """
    img: np.ndarray
    scale: Tuple[float, float]
    offset: Tuple[float, float]
    annotated_shape: Tuple[int, int]
    meta: dict


def _frame_meta(frame: RawFrame) -> dict:
    return dict(
        pattern=frame.pattern,
        matrix_source=frame.matrix_source,
        crop=list(frame.crop),
        offset=list(frame.offset),
        visible_size=list(frame.visible_size),
        flip=frame.flip,
        black_level=frame.black_level.reshape(-1).tolist(),
        white_level=frame.white_level.reshape(-1).tolist(),
        cam_to_xyz=(None if frame.cam_to_xyz is None else
                    frame.cam_to_xyz.tolist()))


def _postprocess(path: str, frame: RawFrame, params: dict) -> np.ndarray:
    """LibRaw's processing, cropped to the frame's area; uint16 RGB."""
    import rawpy
    with rawpy.imread(path) as raw:
        rgb = raw.postprocess(**params)
    # LibRaw returns the whole visible area in display orientation: turn it
    # back to sensor orientation to crop, then forward again.
    k = FLIP_TO_ROT90[frame.flip]
    sensor = np.rot90(rgb, -k) if k else rgb
    vw, vh = frame.visible_size
    fy, fx = sensor.shape[0] / vh, sensor.shape[1] / vw  # 0.5 if half_size
    x0, y0, w, h = frame.crop
    sensor = sensor[round(y0 * fy):round((y0 + h) * fy),
                    round(x0 * fx):round((x0 + w) * fx)]
    return np.ascontiguousarray(np.rot90(sensor, k) if k else sensor)


def _xyz_matrix(path: str, meta: dict,
                allow_identity_matrix: bool) -> Optional[np.ndarray]:
    """The camera -> XYZ matrix of a decoded file (None: identity, with a
    warning, if allowed); marks the identity in ``meta``."""
    if meta['cam_to_xyz'] is not None:
        return np.asarray(meta['cam_to_xyz'])
    if not allow_identity_matrix:
        raise RawDecodeError(
            path, 'no colour matrix (rgb_xyz_matrix, DNG ColorMatrix '
            'and color_matrix are all absent or zero): cannot '
            'convert to XYZ; set allow_identity_matrix=True to use '
            'camera RGB as XYZ')
    warnings.warn(f'{path}: no colour matrix; camera RGB is used as '
                  'XYZ (allow_identity_matrix=True)')
    meta['matrix_source'] = 'identity'
    return None


def load_raw_image(path,
                   mode: str = 'xyz',
                   annotated_size: Optional[Sequence[int]] = None,
                   allow_identity_matrix: bool = False,
                   rawpy_params: Optional[dict] = None,
                   cache_dir: Optional[str] = None,
                   raw_bytes: Optional[bytes] = None) -> RawImage:
    """Decode a RAW file into a float32 image for an ISP.

    Args:
        path: the RAW file.
        mode: ``'xyz'`` (packed, camera RGB -> CIE XYZ: GenISP's input),
            ``'camera_rgb'`` (packed, no colour-space transform) or
            ``'rawpy'`` (LibRaw's default processing to sRGB, full
            resolution: the fixed-ISP baseline).
        annotated_size: ``(width, height)`` the annotations refer to (e.g.
            a COCO image's ``width``/``height``); None for the file's crop.
        allow_identity_matrix: in ``'xyz'`` mode, use camera RGB as XYZ
            (with a warning) for a file without any colour matrix instead
            of raising.
        rawpy_params: ``rawpy.postprocess`` arguments for ``'rawpy'`` mode
            (default :data:`DEFAULT_RAWPY_PARAMS`).
        cache_dir: if set, the returned array is cached there (keyed by
            the file and these settings): a hit reads one file.
        raw_bytes: the file's content if already read (no caching then).

    Raises:
        RawDecodeError: the file cannot be decoded as a Bayer RAW image.
    """
    if mode not in MODES:
        raise ValueError(f'unknown mode {mode!r}; expected one of {MODES}')
    path = os.fspath(path)
    params = dict(DEFAULT_RAWPY_PARAMS, **(rawpy_params or {}))
    cache = ArrayCache(cache_dir) if cache_dir and raw_bytes is None else None
    key = None
    if cache is not None:
        try:
            # The entry is the mode's final array (xyz and camera_rgb
            # images differ, so the mode is part of the key).
            key = cache_key(
                path,
                dict(
                    stage=mode,
                    annotated_size=(None if annotated_size is None else
                                    [int(v) for v in annotated_size]),
                    rawpy_params=params if mode == 'rawpy' else None,
                    version=CACHE_VERSION))
        except FileNotFoundError:
            raise RawDecodeError(path, 'file not found') from None
        hit = cache.get(key)
    else:
        hit = None

    if hit is not None:
        arr, meta = hit
        if mode == 'xyz':  # same error or warning as when decoding
            _xyz_matrix(path, meta, allow_identity_matrix)
    else:
        frame = read_raw(path, annotated_size, raw_bytes=raw_bytes)
        meta = _frame_meta(frame)
        if mode == 'rawpy':
            if raw_bytes is not None:
                raise ValueError(
                    f"{path}: mode 'rawpy' needs a local file")
            arr = _postprocess(path, frame, params)
        else:
            black, white = plane_levels(frame)
            meta.update(plane_black=black.tolist(), plane_white=white.tolist())
            matrix = (_xyz_matrix(path, meta, allow_identity_matrix)
                      if mode == 'xyz' else None)
            arr = mosaic_to_linear(frame.mosaic, frame.pattern, black, white,
                                   matrix, meta['flip'])
        if cache is not None:
            cache.put(key, arr, meta)

    shape = _display_shape_from_meta(meta, annotated_size)
    if mode == 'rawpy':
        img = arr.astype(np.float32) * np.float32(1.0 / 65535.0) \
            if arr.dtype == np.uint16 else arr.astype(np.float32) / 255.0
        scale = (img.shape[1] / shape[1], img.shape[0] / shape[0])
        return RawImage(img, scale, (0.0, 0.0), shape, meta)

    ox, oy = meta['offset']
    if meta['flip'] in (5, 6):
        ox, oy = oy, ox
    return RawImage(arr, (PACK_SCALE, PACK_SCALE),
                    (ox * PACK_SCALE, oy * PACK_SCALE), shape, meta)


def _display_shape_from_meta(meta: dict, annotated_size) -> Tuple[int, int]:
    if annotated_size is not None:
        w, h = annotated_size
        return int(h), int(w)
    _, _, w, h = meta['crop']
    return (w, h) if meta['flip'] in (5, 6) else (h, w)
