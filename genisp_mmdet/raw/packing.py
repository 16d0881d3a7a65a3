"""A Bayer frame -> its packed, normalised image in display orientation.

::

    frame_planes(frame)          -> (h, w, 4) uint16 R, G1, G2, B planes
                                    and their (4,) black and white levels
    planes_to_linear(planes, ..) -> (h, w, 3) float32 camera RGB or XYZ,
                                    0 at black, about 1 at saturation
    rotate_to_display(img, flip) -> the same, in display orientation

    mosaic_to_linear(mosaic, ...) -> the three steps at once, equal bit for
                                    bit, in one pass over the mosaic

Every packed pixel covers one 2x2 CFA tile, so the packed image is exactly
half the annotated area in both directions (``PACK_SCALE``).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
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
    return (pack_planes(frame.mosaic, frame.pattern), *plane_levels(frame))


def plane_levels(frame: RawFrame) -> Tuple[np.ndarray, np.ndarray]:
    """``(4,)`` float64 black and white levels of a frame's R, G1, G2, B."""
    order = tile_order(frame.pattern)
    return (frame.black_level.reshape(-1)[order],
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

    The map is applied plane by plane in float32 (:func:`_affine_planes`,
    the operations :func:`mosaic_to_linear` uses, so the two agree bit for
    bit whatever the OpenCV version), without numpy's ``(N, 4) @ (4, 3)``
    float64 temporaries.

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
    m = linear_affine(black, white, matrix).astype(np.float32)
    p = np.empty((4, h, w), np.float32)
    np.copyto(p, planes.transpose(2, 0, 1), casting='unsafe')
    mapped = np.empty((3, h, w), np.float32)
    _affine_planes(p, m, mapped, np.empty((h, w), np.float32))
    return np.ascontiguousarray(mapped.transpose(1, 2, 0))


def _affine_planes(planes: np.ndarray, m: np.ndarray, out: np.ndarray,
                   term: np.ndarray) -> None:
    """``out[j] = m[j, 4] + sum_k m[j, k] * planes[k]`` in float32, one
    rounding per operation in this order (``s = v0 * m0; s += b; s += vk *
    mk``): the one definition of the affine map's arithmetic.

    Args:
        planes: ``(4, ...)`` float32 R, G1, G2, B.
        m: ``(3, 5)`` float32 affine map (:func:`linear_affine`).
        out: ``(3, ...)`` float32, written.
        term: float32 scratch of one plane's shape.
    """
    for j in range(3):
        s = out[j]
        np.multiply(planes[0], m[j, 0], out=s)
        s += m[j, 4]
        for c in range(1, 4):
            np.multiply(planes[c], m[j, c], out=term)
            s += term


def rotate_to_display(img: np.ndarray, flip: int) -> np.ndarray:
    """Rotate a sensor-oriented ``(h, w, C)`` image by LibRaw's flip code
    (0, 3, 5 or 6); the result is C-contiguous, ``img`` itself for 0."""
    k = _quarter_turns(flip)
    if not k:
        return img
    if img.ndim == 3 and img.shape[2] <= 4:
        return cv2.rotate(img, _CV2_ROTATE[k])  # np.rot90, copied faster
    return np.ascontiguousarray(np.rot90(img, k))


# np.rot90's k -> the cv2.rotate code that moves pixels the same way.
_CV2_ROTATE = {1: cv2.ROTATE_90_COUNTERCLOCKWISE, 2: cv2.ROTATE_180,
               3: cv2.ROTATE_90_CLOCKWISE}
# Packed rows per block of mosaic_to_linear: its temporaries (40 bytes a
# packed pixel, 52 when rotating: 3.5-4.5 MB for 32 rows of a 20-megapixel
# file) stay in cache.
BLOCK_ROWS = 32


def _quarter_turns(flip: int) -> int:
    k = FLIP_TO_ROT90.get(int(flip))
    if k is None:
        raise ValueError(f'unsupported LibRaw flip code {flip}')
    return k


def mosaic_to_linear(mosaic: np.ndarray, pattern: str, black: np.ndarray,
                     white: np.ndarray, matrix: Optional[np.ndarray],
                     flip: int = 0, threads: Optional[int] = None
                     ) -> np.ndarray:
    """``rotate_to_display(planes_to_linear(pack_planes(mosaic, pattern),
    black, white, matrix), flip)``, bit for bit, without the packed uint16
    planes, their float32 copy or a sensor-oriented result in memory: a
    few rows at a time, each block is unpacked into R, G1, G2, B float32
    planes (``cv2.mixChannels``), mapped, interleaved and rotated into its
    place in the output.

    Bit for bit: both apply the map by :func:`_affine_planes`, on
    contiguous float32 planes (the tests check it). Blocks are independent:
    ``threads`` threads each take a contiguous range of them (OpenCV and
    numpy release the GIL), with the same result for any thread count.

    Args:
        mosaic: ``(H, W)`` uint16 Bayer mosaic, H and W even.
        pattern: colours of ``mosaic[:2, :2]`` row-major.
        black, white: ``(4,)`` levels of R, G1, G2, B.
        matrix: ``(3, 3)`` camera RGB -> output, or None for camera RGB.
        flip: LibRaw's orientation code (0, 3, 5 or 6).
        threads: None: OpenCV's thread count (``cv2.getNumThreads()``, 1
            where mmengine's ``opencv_num_threads=0`` set it for data
            loading), at most one per block.

    Returns:
        ``(H / 2, W / 2, 3)`` float32 (sides swapped for flips 5 and 6),
        C-contiguous.
    """
    k = _quarter_turns(flip)
    H, W = mosaic.shape
    if H % 2 or W % 2:
        raise ValueError(f'mosaic sides must be even, got {mosaic.shape}')
    h, w = H // 2, W // 2
    m = linear_affine(black, white, matrix).astype(np.float32)
    pairs = mosaic.reshape(h, 2, w, 2)  # a view where it can be (a crop)
    rows_of = (pairs[:, 0], pairs[:, 1])  # 2-channel images of tile rows
    # Source channel (tile position, row-major) of each of R, G1, G2, B.
    from_to = [int(c) for i, pos in enumerate(tile_order(pattern))
               for c in (pos, i)]
    out = np.empty((w, h, 3) if k in (1, 3) else (h, w, 3), np.float32)
    n = min(BLOCK_ROWS, h)
    starts = list(range(0, h, n))

    def blocks(first: int, stop: int) -> None:
        planes16 = np.empty((4, n, w), np.uint16)
        planes = np.empty((4, n, w), np.float32)
        mapped = np.empty((3, n, w), np.float32)
        term = np.empty((n, w), np.float32)
        block = np.empty((n, w, 3), np.float32) if k else None
        for i0 in starts[first:stop]:
            i1 = min(i0 + n, h)
            r = i1 - i0
            dst16 = [planes16[c, :r] for c in range(4)]
            _written(cv2.mixChannels([rows_of[0][i0:i1], rows_of[1][i0:i1]],
                                     dst16, from_to)[0], dst16[0])
            np.copyto(planes[:, :r], planes16[:, :r], casting='unsafe')
            _affine_planes(planes[:, :r], m, mapped[:, :r], term[:r])
            channels = [mapped[j, :r] for j in range(3)]
            if not k:
                dst = out[i0:i1]
                _written(cv2.merge(channels, dst=dst), dst)
                continue
            rows = block[:r]
            _written(cv2.merge(channels, dst=rows), rows)
            dst = (out[:, i0:i1] if k == 1 else out[:, h - i1:h - i0]
                   if k == 3 else out[h - i1:h - i0])
            _written(cv2.rotate(rows, _CV2_ROTATE[k], dst=dst), dst)

    t = max(1, min(len(starts), cv2.getNumThreads() if threads is None
                   else int(threads)))
    if t == 1:
        blocks(0, len(starts))
        return out
    bounds = [len(starts) * i // t for i in range(t + 1)]
    with ThreadPoolExecutor(t) as pool:
        for f in [pool.submit(blocks, a, b)
                  for a, b in zip(bounds, bounds[1:])]:
            f.result()
    return out


def _written(result: np.ndarray, dst: np.ndarray) -> None:
    """OpenCV wrote into ``dst`` itself (it returns ``dst`` then, a new
    array where it could not)."""
    if result is not dst:
        raise RuntimeError('OpenCV did not write into the given array')
