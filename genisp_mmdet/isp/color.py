"""Colour maths on tensors: the torch twin of
:func:`genisp_mmdet.raw.color.linear_to_srgb`."""
from __future__ import annotations

import torch
from torch import Tensor


def linear_to_srgb(x: Tensor) -> Tensor:
    """sRGB transfer function, encoding (IEC 61966-2-1), differentiable.

    Args:
        x: linear values, any shape, floating point; clipped to [0, 1]
            first.

    Returns:
        gamma-encoded values in [0, 1], ``x``'s shape and dtype.
    """
    x = x.clamp(0, 1)
    # torch.where differentiates both branches: the floor keeps the
    # power's gradient finite at 0, where the linear branch is used.
    return torch.where(x <= 0.0031308, 12.92 * x,
                       1.055 * x.clamp_min(1e-12).pow(1 / 2.4) - 0.055)
