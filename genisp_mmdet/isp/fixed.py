"""Fixed (non-learned) ISPs in plain PyTorch, the baselines of the study.

All take what :class:`~genisp_mmdet.isp.GenISP` takes (a batch
``(N, 3, H, W)`` or a list of ``(3, H_i, W_i)`` images, float, about [0, 1])
and return the same structure, so that every row of a comparison goes
through one data preprocessor. Statistics are computed per image, never
over padding.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from ..raw.color import XYZ_TO_SRGB
from .color import linear_to_srgb
from .genisp import Images, map_by_shape

_SPACES = ('xyz', 'camera_rgb', 'linear_srgb')


class _PerImage(nn.Module):

    def forward_batch(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def forward(self, images: Images):
        if isinstance(images, Tensor):
            return self.forward_batch(images.float())
        return map_by_shape(lambda x: self.forward_batch(x.float()), images)


class IdentityISP(_PerImage):
    """Passes images through: for inputs that are already display-ready
    (LibRaw's processing, well-lit sRGB)."""

    def forward_batch(self, x: Tensor) -> Tensor:
        return x


class LinearISP(_PerImage):
    """``raw_naive``: the packed image, linearly scaled so that its mean
    becomes ``target_mean``, clipped to [0, 1]. No white balance, no colour
    transform, no tone curve.

    Args:
        target_mean: mean of the output (over all pixels and channels).
    """

    def __init__(self, target_mean: float = 0.18):
        super().__init__()
        self.target_mean = target_mean

    def forward_batch(self, x: Tensor) -> Tensor:
        mean = x.clamp_min(0).mean(dim=(1, 2, 3), keepdim=True)
        return (x * (self.target_mean / mean.clamp_min(1e-8))).clamp(0, 1)


class ClassicISP(_PerImage):
    """``classic_isp``: colour transform to linear sRGB, gray-world white
    balance, auto exposure and the sRGB tone curve.

    1. XYZ -> linear sRGB (skipped for ``input_space`` other than ``xyz``);
    2. gray world: each channel scaled so that its mean equals the green
       mean;
    3. auto exposure: scaled so that the mean luminance is ``target_mean``;
    4. clip to [0, 1] and apply the sRGB transfer function.

    Args:
        input_space: ``'xyz'``, ``'camera_rgb'`` or ``'linear_srgb'``.
        target_mean: mean luminance after exposure, before the tone curve.
    """

    def __init__(self, input_space: str = 'xyz', target_mean: float = 0.18):
        super().__init__()
        if input_space not in _SPACES:
            raise ValueError(f'input_space must be one of {_SPACES}, '
                             f'got {input_space!r}')
        self.input_space = input_space
        self.target_mean = target_mean
        self.register_buffer(
            'xyz_to_srgb',
            torch.as_tensor(XYZ_TO_SRGB, dtype=torch.float32),
            persistent=False)

    def forward_batch(self, x: Tensor) -> Tensor:
        if self.input_space == 'xyz':
            x = torch.einsum('ij,njhw->nihw', self.xyz_to_srgb, x)
        x = x.clamp_min(0)
        means = x.mean(dim=(2, 3), keepdim=True).clamp_min(1e-8)
        x = x * (means[:, 1:2] / means)
        luminance = (0.2126 * x[:, 0] + 0.7152 * x[:, 1] + 0.0722 * x[:, 2])
        scale = self.target_mean / luminance.mean(
            dim=(1, 2)).clamp_min(1e-8)
        return linear_to_srgb(x * scale[:, None, None, None])
