"""Colour-space constants and conversions (plain numpy).

Conventions used across genisp_mmdet:

* ``xyz_to_cam`` is a 3x3 matrix mapping CIE XYZ to camera RGB, the direction
  of LibRaw's ``rgb_xyz_matrix[:3]`` and of the DNG ``ColorMatrix`` tags.
  Camera RGB -> XYZ is its *inverse*.
* ``cam_to_srgb`` is LibRaw's ``color_matrix[:, :3]`` (``rgb_cam`` in dcraw):
  white-balanced camera RGB -> linear sRGB.
* Images are ``(H, W, 3)`` arrays; matrices act on the last axis.
"""
from __future__ import annotations

import numpy as np

# Linear sRGB (D65) -> CIE XYZ, IEC 61966-2-1.
SRGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                        [0.2126729, 0.7151522, 0.0721750],
                        [0.0193339, 0.1191920, 0.9503041]])
XYZ_TO_SRGB = np.linalg.inv(SRGB_TO_XYZ)


def apply_matrix(img: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Apply a 3x3 colour matrix per pixel: ``out[..., i] = sum_j M[i, j] img[..., j]``.

    Args:
        img: ``(..., 3)`` float array.
        matrix: ``(3, 3)`` array.

    Returns:
        ``(..., 3)`` array of ``img``'s dtype.
    """
    matrix = np.asarray(matrix, dtype=img.dtype)
    return img @ matrix.T


def srgb_to_linear(x: np.ndarray) -> np.ndarray:
    """sRGB transfer function, decoding (IEC 61966-2-1).

    Args:
        x: gamma-encoded values in [0, 1], any shape.

    Returns:
        linear values in [0, 1], ``x``'s shape, float64 for integer or
        float64 input.
    """
    x = np.asarray(x)
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055)**2.4)


def linear_to_srgb(x: np.ndarray) -> np.ndarray:
    """sRGB transfer function, encoding; the inverse of
    :func:`srgb_to_linear`.

    Args:
        x: linear values, any shape; clipped to [0, 1] first.

    Returns:
        gamma-encoded values in [0, 1], ``x``'s shape.
    """
    x = np.clip(np.asarray(x), 0.0, 1.0)
    return np.where(x <= 0.0031308, 12.92 * x,
                    1.055 * np.power(x, 1 / 2.4) - 0.055)


# 8-bit sRGB code value -> linear value: ``(256,)`` float32, a table
# lookup instead of a power per pixel when decoding uint8 images.
SRGB_DECODE_LUT_8BIT = srgb_to_linear(np.arange(256) / 255).astype(
    np.float32)


def cam_to_xyz_from_xyz_to_cam(xyz_to_cam: np.ndarray) -> np.ndarray:
    """Camera RGB -> XYZ: the inverse of an XYZ -> camera matrix.

    Raises:
        ValueError: if the matrix is all zeros or singular.
    """
    m = np.asarray(xyz_to_cam, dtype=np.float64).reshape(3, 3)
    if not np.any(m):
        raise ValueError('XYZ->camera matrix is all zeros')
    if abs(np.linalg.det(m)) < 1e-8 or np.linalg.cond(m) > 1e6:
        raise ValueError(f'XYZ->camera matrix is singular: {m.tolist()}')
    return np.linalg.inv(m)


def cam_to_xyz_from_cam_to_srgb(cam_to_srgb: np.ndarray,
                                daylight_wb: np.ndarray) -> np.ndarray:
    """Camera RGB -> XYZ derived from LibRaw's ``color_matrix``.

    dcraw/LibRaw build ``rgb_cam`` so that ``rgb_cam @ diag(pre_mul)`` maps
    raw camera RGB to linear sRGB, with ``pre_mul`` the daylight multipliers
    (``daylight_whitebalance``). Hence camera -> XYZ is
    ``SRGB_TO_XYZ @ rgb_cam @ diag(pre_mul)``. LibRaw normalises ``pre_mul``
    to green = 1, so the result equals ``inv(xyz_to_cam)`` up to one global
    factor per camera (the exposure scale), not in colour.

    Args:
        cam_to_srgb: ``(3, 3)`` white-balanced camera RGB -> linear sRGB.
        daylight_wb: ``(3,)`` daylight multipliers for R, G, B.
    """
    m = np.asarray(cam_to_srgb, dtype=np.float64).reshape(3, 3)
    wb = np.asarray(daylight_wb, dtype=np.float64).reshape(3)
    if not np.any(m):
        raise ValueError('camera->sRGB matrix is all zeros')
    if not np.all(wb > 0):
        wb = np.ones(3)
    out = SRGB_TO_XYZ @ m @ np.diag(wb / wb[1])
    if abs(np.linalg.det(out)) < 1e-8:
        raise ValueError(f'camera->sRGB matrix is singular: {m.tolist()}')
    return out


def blackbody_xy(temperature_k: float) -> tuple[float, float]:
    """CIE 1931 chromaticity of a Planckian radiator, 1667 K - 25000 K.

    Kim et al. (2002) cubic-spline approximation of the Planckian locus.
    """
    t = float(temperature_k)
    if not 1667 <= t <= 25000:
        raise ValueError(f'colour temperature {t} K outside 1667-25000 K')
    if t <= 4000:
        x = -0.2661239e9 / t**3 - 0.2343589e6 / t**2 + 0.8776956e3 / t + 0.179910
    else:
        x = -3.0258469e9 / t**3 + 2.1070379e6 / t**2 + 0.2226347e3 / t + 0.240390
    if t <= 2222:
        y = -1.1063814 * x**3 - 1.34811020 * x**2 + 2.18555832 * x - 0.20219683
    elif t <= 4000:
        y = -0.9549476 * x**3 - 1.37418593 * x**2 + 2.09137015 * x - 0.16748867
    else:
        y = 3.0817580 * x**3 - 5.87338670 * x**2 + 3.75112997 * x - 0.37001483
    return x, y
