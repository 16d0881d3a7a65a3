"""Write Bayer mosaics as DNG files that LibRaw reads back bit-exact.

Uses tifffile; only the tags LibRaw needs for a CFA DNG are written, plus
make/model and optional crop. See the DNG 1.4 specification for each tag.
"""
from __future__ import annotations

import os
from fractions import Fraction
from typing import Optional, Sequence, Union

import numpy as np
import tifffile

from .read import BAYER_PATTERNS

_CFA_COLOR = {'R': 0, 'G': 1, 'B': 2}
# TIFF/EXIF Orientation values LibRaw maps to its flip codes 0, 3, 6, 5:
# as stored, rotated 180 degrees, rotated 90 degrees clockwise and
# counter-clockwise for display.
ORIENTATIONS = (1, 3, 6, 8)


def _rationals(values: Sequence[float], signed: bool,
               denominator: int = 10000) -> tuple:
    out = []
    for v in values:
        f = Fraction(float(v)).limit_denominator(denominator)
        if not signed and f < 0:
            raise ValueError(f'unsigned rational cannot be negative: {v}')
        out.extend([f.numerator, f.denominator])
    return tuple(out)


def write_dng(path: Union[str, os.PathLike],
              mosaic: np.ndarray,
              pattern: str,
              black_level: Union[int, Sequence[int]],
              white_level: int,
              xyz_to_cam: np.ndarray,
              as_shot_neutral: Optional[Sequence[float]] = None,
              make: str = 'genisp-mmdet',
              model: str = 'Synthetic',
              calibration_illuminant: int = 21,
              default_crop: Optional[Sequence[int]] = None,
              iso: Optional[int] = None,
              exposure_time: Optional[float] = None,
              orientation: int = 1) -> None:
    """Write a single-IFD CFA DNG.

    Args:
        path: output file.
        mosaic: ``(H, W)`` uint16 Bayer mosaic, raw digital numbers
            (black level included), H and W even.
        pattern: one of ``RGGB``, ``GRBG``, ``GBRG``, ``BGGR`` (row-major
            colours of the top-left 2x2 tile).
        black_level: one value, or four in the order of the 2x2 tile.
        white_level: saturation value in digital numbers.
        xyz_to_cam: ``(3, 3)`` XYZ -> camera RGB matrix (ColorMatrix1).
        as_shot_neutral: camera RGB of a neutral under the scene light.
        make, model: camera make and model (UniqueCameraModel = "make model").
        calibration_illuminant: EXIF light source of ColorMatrix1 (21 = D65).
        default_crop: optional ``(left, top, width, height)`` of the
            annotated area inside the mosaic.
        iso, exposure_time: optional EXIF-like capture settings.
        orientation: TIFF Orientation, one of ``ORIENTATIONS``: how the
            stored mosaic is turned for display.

    Raises:
        ValueError: a malformed mosaic, pattern, black level, matrix,
            neutral or orientation, naming ``path``.
    """
    mosaic = np.ascontiguousarray(mosaic)
    if mosaic.dtype != np.uint16 or mosaic.ndim != 2:
        raise ValueError(f'{path}: mosaic must be a 2-D uint16 array, '
                         f'got {mosaic.dtype} {mosaic.shape}')
    if pattern not in BAYER_PATTERNS:
        raise ValueError(f'{path}: unknown Bayer pattern {pattern!r}; '
                         f'expected one of {BAYER_PATTERNS}')
    blacks = np.asarray(black_level, dtype=np.int64).reshape(-1)
    if blacks.size not in (1, 4):
        raise ValueError(f'{path}: black_level must be one value or four '
                         f'(one per tile position), got {blacks.size}')
    blacks = np.broadcast_to(blacks, (4, ))
    xyz_to_cam = np.asarray(xyz_to_cam, dtype=np.float64)
    if xyz_to_cam.shape != (3, 3):
        raise ValueError(f'{path}: xyz_to_cam must be a 3x3 matrix, got '
                         f'shape {xyz_to_cam.shape}')
    if as_shot_neutral is not None:
        neutral = np.asarray(as_shot_neutral, dtype=np.float64)
        if neutral.shape != (3, ) or not np.all(neutral > 0):
            raise ValueError(f'{path}: as_shot_neutral must be three '
                             f'positive values, got {neutral.tolist()}')
    if orientation not in ORIENTATIONS:
        raise ValueError(f'{path}: orientation must be one of '
                         f'{ORIENTATIONS}, got {orientation!r}')
    color_matrix = _rationals(xyz_to_cam.reshape(9), True)
    tags = [
        (50706, 'B', 4, (1, 4, 0, 0), True),  # DNGVersion
        (50707, 'B', 4, (1, 1, 0, 0), True),  # DNGBackwardVersion
        (50708, 's', 0, f'{make} {model}', True),  # UniqueCameraModel
        (33421, 'H', 2, (2, 2), True),  # CFARepeatPatternDim
        (33422, 'B', 4, tuple(_CFA_COLOR[c] for c in pattern), True),
        (50710, 'B', 3, (0, 1, 2), True),  # CFAPlaneColor
        (50711, 'H', 1, (1, ), True),  # CFALayout: rectangular
        (50713, 'H', 2, (2, 2), True),  # BlackLevelRepeatDim
        (50714, 'I', 4, tuple(int(b) for b in blacks), True),  # BlackLevel
        (50717, 'I', 1, (int(white_level), ), True),  # WhiteLevel
        (50721, '2i', 9, color_matrix, True),  # ColorMatrix1
        (50778, 'H', 1, (int(calibration_illuminant), ), True),
    ]
    if orientation != 1:  # an absent tag means 1
        tags.append((274, 'H', 1, (int(orientation), ), True))
    if as_shot_neutral is not None:
        tags.append((50728, '2I', 3, _rationals(as_shot_neutral, False),
                     True))
    if default_crop is not None:
        left, top, width, height = (int(v) for v in default_crop)
        tags.append((50719, 'I', 2, (left, top), True))  # DefaultCropOrigin
        tags.append((50720, 'I', 2, (width, height), True))  # DefaultCropSize
    if iso is not None:
        tags.append((34855, 'H', 1, (int(iso), ), True))  # ISOSpeedRatings
    if exposure_time is not None:
        tags.append((33434, '2I', 1, _rationals([exposure_time], False,
                                                10**6), True))
    tifffile.imwrite(
        os.fspath(path),
        mosaic,
        photometric=32803,  # CFA
        planarconfig='contig',
        subfiletype=0,
        metadata=None,
        software='genisp-mmdet',
        extratags=[(code, dtype, count, value, writeonce)
                   for code, dtype, count, value, writeonce in tags] +
        [(271, 's', 0, make, True), (272, 's', 0, model, True)])
