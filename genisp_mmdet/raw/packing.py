"""A Bayer frame -> its packed, normalised image in display orientation.

::

    frame_planes(frame)          -> (h, w, 4) uint16 R, G1, G2, B planes
                                    and their (4,) black and white levels
    planes_to_linear(planes, ..) -> (h, w, 3) float32 camera RGB or XYZ,
                                    0 at black, about 1 at saturation
    rotate_to_display(img, flip) -> the same, in display orientation

Every packed pixel covers one 2x2 CFA tile, so the packed image is exactly
half the annotated area in both directions (``PACK_SCALE``).
"""
from __future__ import annotations

from typing import Optional, Tuple

import cv2
import numpy as np

from .read import BAYER_PATTERNS, RawFrame

PACK_SCALE = 0.5

# LibRaw's ``sizes.flip`` -> number of counter-clockwise quarter turns that
# bring the sensor image into display orientation.
FLIP_TO_ROT90 = {0: 0, 3: 2, 5: 1, 6: 3}


def tile_order(pattern: str) -> np.ndarray:
    """Tile positions (row-major index 0..3) of R, G1, G2, B in a pattern.

    G1 is the green on the red row.

    Returns:
        ``(4,)`` int array, a permutation of 0..3.
    """
    if pattern not in BAYER_PATTERNS:
        raise ValueError(f'unknown Bayer pattern {pattern!r}; '
                         f'expected one of {BAYER_PATTERNS}')
    r_idx, b_idx = pattern.index('R'), pattern.index('B')
    greens = [i for i, c in enumerate(pattern) if c == 'G']
    g1 = greens[0] if greens[0] // 2 == r_idx // 2 else greens[1]
    g2 = greens[1] if g1 == greens[0] else greens[0]
    return np.array([r_idx, g1, g2, b_idx])


def pack_planes(mosaic: np.ndarray, pattern: str) -> np.ndarray:
    """Pack a Bayer mosaic into R, G1, G2, B planes by its own pattern.

    Args:
        mosaic: ``(H, W)`` array, H and W even.
        pattern: colours of ``mosaic[:2, :2]`` row-major (``BAYER_PATTERNS``).

    Returns:
        ``(H / 2, W / 2, 4)`` array of ``mosaic``'s dtype.
    """
    return np.stack([mosaic[i // 2::2, i % 2::2] for i in tile_order(pattern)],
                    -1)


def frame_planes(frame: RawFrame) -> Tuple[np.ndarray, np.ndarray,
                                           np.ndarray]:
    """R, G1, G2, B planes of a frame and their levels.

    Returns:
        ``(H / 2, W / 2, 4)`` uint16 planes, ``(4,)`` float64 black levels
        and ``(4,)`` float64 white levels, in R, G1, G2, B order.
    """
    order = tile_order(frame.pattern)
    planes = pack_planes(frame.mosaic, frame.pattern)
    return (planes, frame.black_level.reshape(-1)[order],
            frame.white_level.reshape(-1)[order])


def linear_affine(black: np.ndarray, white: np.ndarray,
                  matrix: Optional[np.ndarray]) -> np.ndarray:
    """The per-pixel affine map of :func:`planes_to_linear` as one
    ``(3, 5)`` matrix ``[A | b]``: ``out = A @ (R, G1, G2, B) + b``.

    Args:
        black, white: ``(4,)`` levels of R, G1, G2, B.
        matrix: ``(3, 3)`` camera RGB -> output, or None for camera RGB.

    Returns:
        ``(3, 5)`` float64.
    """
    scale = 1.0 / (np.asarray(white, np.float64) -
                   np.asarray(black, np.float64))
    # camera RGB = S @ planes + s0, S averaging the greens.
    s = np.zeros((3, 4))
    s[0, 0] = scale[0]
    s[1, 1] = 0.5 * scale[1]
    s[1, 2] = 0.5 * scale[2]
    s[2, 3] = scale[3]
    s0 = -s @ np.asarray(black, np.float64)
    m = np.eye(3) if matrix is None else np.asarray(matrix, np.float64)
    return np.concatenate([m @ s, (m @ s0)[:, None]], axis=1)


def planes_to_linear(planes: np.ndarray, black: np.ndarray,
                     white: np.ndarray, matrix: Optional[np.ndarray]
                     ) -> np.ndarray:
    """Black/white-normalise R, G1, G2, B planes, average the greens and
    apply a 3x3 colour matrix, as one affine map per pixel.

    The map is applied by ``cv2.transform``: one SIMD pass with no
    ``(N, 4)`` float temporaries besides the input's float32 copy, many
    times faster than numpy's ``(N, 4) @ (4, 3)`` on a 20-megapixel file
    (``tools/benchmark.py``).

    Args:
        planes: ``(h, w, 4)`` uint16 R, G1, G2, B.
        black, white: ``(4,)`` levels of R, G1, G2, B.
        matrix: ``(3, 3)`` camera RGB -> output, or None for camera RGB.

    Returns:
        ``(h, w, 3)`` float32; 0 at black, about 1 at saturation; values
        below 0 (noise under the black level) are kept, not clipped, so
        that the mean of a dark region stays unbiased.
    """
    h, w, _ = planes.shape
    out = cv2.transform(planes.astype(np.float32),
                        linear_affine(black, white, matrix))
    return out.reshape(h, w, 3)


def rotate_to_display(img: np.ndarray, flip: int) -> np.ndarray:
    """Rotate a sensor-oriented ``(h, w, C)`` image by LibRaw's flip code
    (0, 3, 5 or 6); the result is C-contiguous, ``img`` itself for 0."""
    k = FLIP_TO_ROT90.get(int(flip))
    if k is None:
        raise ValueError(f'unsupported LibRaw flip code {flip}')
    return np.ascontiguousarray(np.rot90(img, k)) if k else img
