"""GenISP (Morawski et al., CVPRW 2022) in plain PyTorch.

Input: packed, black-level-normalised RAW in CIE XYZ, ``(N, 3, H, W)``
float32, about [0, 1] (dark scenes: means of 0.001-0.05). Output: an image of
the same size for a detector; no output activation, nominally [0, 1].

    XYZ --ConvWB (3 gains)--> --ConvCC (3x3)--> --ShallowConvNet--> image

ConvWB and ConvCC are image-to-parameter networks: each sees its whole
input image resized to 256x256 (bilinear) and predicts global parameters
that are then applied per pixel at full resolution. The two 256x256
encoders cost about 1 GMAC per image whatever the input size.

Well-conditioned parameters (so that a bad batch cannot make the image
blow up or collapse):

* ConvWB predicts log-gains, split into a global exposure gain (bounded
  to ``[1/max_gain, max_gain]``) and per-channel colour gains relative to
  it (bounded to ``[1/max_relative_gain, max_relative_gain]``). The colour
  part of the white balance has condition number at most
  ``max_relative_gain ** 2`` (64 by default).
* ConvCC predicts 9 values ``a``, radially squashed so that
  ``||A||_F <= max_log_norm``, and uses ``M = expm(A)``: always invertible
  (``det M = exp(tr A) > 0``), identity at ``A = 0``, and
  ``cond(M) <= exp(2 * max_log_norm)`` (55 by default). XYZ -> linear sRGB
  (``log`` of Frobenius norm 1.6) is inside that set.

``parametrization='direct'`` gives the literal form of the public
reproductions instead (gains and ``I + A`` unbounded), for comparison.

:func:`genisp_reference` is the plain layer-by-layer definition, one image
at a time; ``GenISP.forward`` computes the same function faster (one
thumbnail for both encoders, the white-balance gains folded into the
colour matrix, the final 1x1 convolution as a batched matrix product, equal
sizes batched) and is tested against it; ``tools/benchmark.py`` times both.
"""
from __future__ import annotations

import math
from typing import List, Sequence, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

Images = Union[Tensor, Sequence[Tensor]]


class ImageToParameter(nn.Module):
    """The encoder shared in shape by ConvWB and ConvCC; sees a thumbnail.

    Conv7x7(16) LeakyReLU MaxPool2, Conv5x5(32) LeakyReLU MaxPool2,
    Conv3x3(128) LeakyReLU MaxPool2, global average pooling, Linear.

    Args:
        out_features: number of predicted parameters.
        in_channels: image channels.
    """

    def __init__(self, out_features: int, in_channels: int = 3):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 16, 7, padding=3), nn.LeakyReLU(),
            nn.MaxPool2d(2), nn.Conv2d(16, 32, 5, padding=2), nn.LeakyReLU(),
            nn.MaxPool2d(2), nn.Conv2d(32, 128, 3, padding=1),
            nn.LeakyReLU(), nn.MaxPool2d(2), nn.AdaptiveAvgPool2d(1),
            nn.Flatten())
        self.fc = nn.Linear(128, out_features)
        # Start at the identity transform: zero output, small weights so
        # that gradients still reach the convolutions.
        nn.init.normal_(self.fc.weight, std=1e-3)
        nn.init.zeros_(self.fc.bias)

    def forward(self, thumb: Tensor) -> Tensor:
        """``(N, C, resize, resize)`` thumbnails -> ``(N, out_features)``."""
        return self.fc(self.features(thumb))


class ConvWB(nn.Module):
    """Predicts a diagonal white-balance matrix (3 gains) per image.

    Args:
        max_gain: bound of the global (exposure) gain.
        max_relative_gain: bound of each channel's gain relative to the
            global one.
        parametrization: ``'bounded'`` (default) or ``'direct'`` (gains are
            the raw network outputs plus one).
    """

    def __init__(self, max_gain: float = 1024.0,
                 max_relative_gain: float = 8.0,
                 parametrization: str = 'bounded'):
        super().__init__()
        _check_parametrization(parametrization)
        self.encoder = ImageToParameter(3)
        self.log_max_gain = math.log(max_gain)
        self.log_max_rel = math.log(max_relative_gain)
        self.parametrization = parametrization

    def gains(self, thumb: Tensor) -> Tensor:
        """``(N, 3, s, s)`` thumbnails -> ``(N, 3)`` positive gains."""
        out = self.encoder(thumb)
        if self.parametrization == 'direct':
            return 1.0 + out
        mean = out.mean(dim=1, keepdim=True)
        rel = out - mean
        log_gain = (self.log_max_gain * torch.tanh(mean / self.log_max_gain) +
                    self.log_max_rel * torch.tanh(rel / self.log_max_rel))
        return torch.exp(log_gain)


class ConvCC(nn.Module):
    """Predicts a 3x3 colour-correction matrix per image.

    Args:
        max_log_norm: bound on the Frobenius norm of ``log M``.
        parametrization: ``'bounded'`` (``M = expm(A)``) or ``'direct'``
            (``M = I + A``).
    """

    def __init__(self, max_log_norm: float = 2.0,
                 parametrization: str = 'bounded'):
        super().__init__()
        _check_parametrization(parametrization)
        self.encoder = ImageToParameter(9)
        self.max_log_norm = max_log_norm
        self.parametrization = parametrization

    def matrices(self, thumb: Tensor) -> Tensor:
        """``(N, 3, s, s)`` thumbnails -> ``(N, 3, 3)`` matrices."""
        a = self.encoder(thumb).view(-1, 3, 3)
        if self.parametrization == 'direct':
            return torch.eye(3, device=a.device, dtype=a.dtype) + a
        norm = a.flatten(1).norm(dim=1).clamp_min(1e-12)[:, None, None]
        a = a * (self.max_log_norm * torch.tanh(norm / self.max_log_norm) /
                 norm)
        return torch.linalg.matrix_exp(a)


class ShallowConvNet(nn.Module):
    """Local enhancement: Conv3x3(16) IN LReLU, Conv3x3(64) IN LReLU,
    Conv1x1(3). No output activation.

    Instance normalisation makes it invariant to the global exposure.
    ``self.body`` is the definition and holds the weights; ``forward``
    computes the same function with the final 1x1 convolution as a matrix
    product (:func:`pointwise_conv`).
    """

    def __init__(self, in_channels: int = 3, out_channels: int = 3):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, 16, 3, padding=1), nn.InstanceNorm2d(16),
            nn.LeakyReLU(), nn.Conv2d(16, 64, 3, padding=1),
            nn.InstanceNorm2d(64), nn.LeakyReLU(),
            nn.Conv2d(64, out_channels, 1))

    def forward(self, x: Tensor) -> Tensor:
        """``(N, C, H, W)`` -> ``(N, out_channels, H, W)``, as
        ``self.body(x)``."""
        for layer in self.body[:-1]:
            x = layer(x)
        return pointwise_conv(x, self.body[-1])


def pointwise_conv(x: Tensor, conv: nn.Conv2d) -> Tensor:
    """A 1x1 convolution as a batched matrix product: the same function as
    ``conv(x)``. On CPU, oneDNN's backward of the 64 -> 3 1x1 convolution
    at full resolution took as long as that of the 3x3 64-channel
    convolution before it, for 2% of its arithmetic; ``baddbmm`` keeps the
    gradients contiguous and runs at matrix-product speed.

    Args:
        x: ``(N, C, H, W)``.
        conv: a ``Conv2d`` with a 1x1 kernel, stride 1, no padding, one
            group.
    """
    n, c, h, w = x.shape
    out_c = conv.out_channels
    weight = conv.weight.view(1, out_c, c).expand(n, -1, -1)
    flat = x.reshape(n, c, h * w)
    if conv.bias is None:
        out = torch.bmm(weight, flat)
    else:
        out = torch.baddbmm(conv.bias.view(1, out_c, 1), weight, flat)
    return out.view(n, out_c, h, w)


def _check_parametrization(p: str) -> None:
    if p not in ('bounded', 'direct'):
        raise ValueError(f"parametrization must be 'bounded' or 'direct', "
                         f'got {p!r}')


def apply_color_matrix(x: Tensor, m: Tensor) -> Tensor:
    """Per-pixel ``out[n, i] = sum_j m[n, i, j] x[n, j]``.

    Args:
        x: ``(N, 3, H, W)``.
        m: ``(N, 3, 3)``.
    """
    return torch.einsum('nij,njhw->nihw', m, x)


def group_by_shape(images: Sequence[Tensor]) -> List[List[int]]:
    """Indices of images grouped by identical shape, in first-seen order."""
    groups: dict = {}
    for i, img in enumerate(images):
        groups.setdefault(tuple(img.shape), []).append(i)
    return list(groups.values())


class GenISP(nn.Module):
    """ConvWB -> ConvCC -> ShallowConvNet, each switchable off for ablations.

    ``forward`` takes a batch ``(N, 3, H, W)`` or a list of ``(3, H_i, W_i)``
    images of any sizes; images are never padded (padding would bias the
    global estimates and the instance statistics). Images of equal size
    are processed as one batch. Arithmetic is fp32 even under autocast.

    Args:
        wb, cc, enhance: enable ConvWB, ConvCC, the shallow ConvNet.
        resize: thumbnail side seen by ConvWB and ConvCC.
        wb_cfg, cc_cfg: extra arguments of :class:`ConvWB`, :class:`ConvCC`.
    """

    def __init__(self, wb: bool = True, cc: bool = True,
                 enhance: bool = True, resize: int = 256,
                 wb_cfg: dict = None, cc_cfg: dict = None):
        super().__init__()
        self.conv_wb = ConvWB(**(wb_cfg or {})) if wb else None
        self.conv_cc = ConvCC(**(cc_cfg or {})) if cc else None
        self.enhance = ShallowConvNet() if enhance else None
        self.resize = resize

    def forward_batch(self, x: Tensor) -> Tensor:
        """``(N, 3, H, W)`` images of one size -> ``(N, 3, H, W)``."""
        x = x.float()
        if self.conv_wb is not None or self.conv_cc is not None:
            # Resizing is linear and both global operations are linear per
            # pixel, so the white-balanced thumbnail is the thumbnail times
            # the gains: one resize per image serves both encoders.
            thumb = F.interpolate(
                x, size=(self.resize, self.resize), mode='bilinear',
                align_corners=False)
        gains = None
        if self.conv_wb is not None:
            gains = self.conv_wb.gains(thumb)
            thumb = thumb * gains[:, :, None, None]
        if self.conv_cc is not None:
            m = self.conv_cc.matrices(thumb)
            if gains is not None:
                # M @ diag(g): one pass over the full-resolution image.
                m = m * gains[:, None, :]
            x = apply_color_matrix(x, m)
        elif gains is not None:
            x = x * gains[:, :, None, None]
        if self.enhance is not None:
            x = self.enhance(x)
        return x

    def forward(self, images: Images) -> Union[Tensor, List[Tensor]]:
        with torch.autocast(device_type=_device_type(images), enabled=False):
            if isinstance(images, Tensor):
                return self.forward_batch(images)
            return map_by_shape(self.forward_batch, images)


def genisp_reference(isp: GenISP, images: Images) -> List[Tensor]:
    """The plain, layer-by-layer definition of a :class:`GenISP`, with its
    weights, one image at a time, as published reproductions write it: a
    Python loop over images, each encoder resizing its own input, white
    balance and colour correction as separate full-resolution passes, the
    shallow ConvNet as its ``nn.Sequential``.

    ``isp(images)`` computes the same function (up to float rounding); the
    tests check that, and ``tools/benchmark.py`` times both.

    Args:
        isp: the module whose weights and switches are used.
        images: ``(N, 3, H, W)`` or a list of ``(3, H_i, W_i)``.

    Returns:
        a list of ``(3, H_i, W_i)`` float32 outputs.
    """
    size = (isp.resize, isp.resize)
    out = []
    for img in images:
        x = img[None].float()
        if isp.conv_wb is not None:
            thumb = F.interpolate(x, size=size, mode='bilinear',
                                  align_corners=False)
            x = x * isp.conv_wb.gains(thumb)[:, :, None, None]
        if isp.conv_cc is not None:
            thumb = F.interpolate(x, size=size, mode='bilinear',
                                  align_corners=False)
            x = apply_color_matrix(x, isp.conv_cc.matrices(thumb))
        if isp.enhance is not None:
            x = isp.enhance.body(x)
        out.append(x[0])
    return out


def map_by_shape(fn, images: Sequence[Tensor]) -> List[Tensor]:
    """Apply a batch function to a list of ``(C, H_i, W_i)`` images, one
    batch per distinct size; returns the outputs in input order."""
    out: List[Tensor] = [None] * len(images)  # type: ignore
    for idx in group_by_shape(images):
        res = fn(torch.stack([images[i] for i in idx]))
        for j, i in enumerate(idx):
            out[i] = res[j]
    return out


def _device_type(images: Images) -> str:
    t = images if isinstance(images, Tensor) else images[0]
    return t.device.type
