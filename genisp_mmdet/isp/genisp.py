"""GenISP (Morawski et al., CVPRW 2022) in plain PyTorch.

Input: packed, black-level-normalised RAW in CIE XYZ, ``(N, 3, H, W)``
float32, about [0, 1] (dark scenes: means of 0.001-0.05). Output: an image of
the same size for a detector; no output activation, nominally [0, 1].

    XYZ --ConvWB (3 gains)--> --ConvCC (3x3)--> --ShallowConvNet--> image

ConvWB and ConvCC are image-to-parameter networks: each sees its whole
input image resized to 256x256 (bilinear) and predicts global parameters
that are then applied per pixel at full resolution. The two 256x256
encoders cost about 1 GMAC per image whatever the input size.

The default global stages are a named improvement over the paper (each
switchable, the paper's form is ``genisp_paper`` in the configs):

* ``normalize='median'``: each image is scaled, before ConvWB, so that the
  median luminance of its thumbnail is ``target_mean``; the encoders see
  what is in the image, not how dark it is (thumbnails of night scenes
  have means of 0.001-0.05), and a few lamps do not move the level.
* ``parametrization='log'`` (ConvWB and ConvCC): colour-only gains
  ``log g = L tanh((o - mean o) / L)`` and ``M = expm(A)`` with ``tr A =
  0`` and ``||A||_F`` squashed below ``max_log_norm``: no direction of the
  encoders' outputs is a global scale for the optimiser to drift along
  (the instance norm after them ignores it), ``det M = 1``, identity at
  zero output.
* ``tone='log'``: ``log(1 + x / target_mean)`` before the shallow ConvNet,
  so lamps a hundred times brighter than their surroundings do not
  dominate its instance statistics.
* the encoders train at a tenth of the ISP's learning rate
  (``optim_wrapper.paramwise_cfg`` in ``configs/_base_/schedules/
  genisp_adam.py``): with Adam at 1e-2 their 128-wide output layer moves
  its outputs by O(1) per step and drives any bounded parametrisation onto
  its bounds.

``parametrization='direct'`` is the paper's literal form (gains ``1 + o``,
matrix ``I + A``, unbounded); ``'bounded'`` is this project's earlier form
(a bounded global gain as well, tanh-bounded ``log M`` with its trace),
which saturates under the paper's optimiser.

:func:`genisp_reference` is the plain layer-by-layer definition, one image
at a time; ``GenISP.forward`` computes the same function faster (one
thumbnail for both encoders, the white-balance gains folded into the
colour matrix, the final 1x1 convolution as a batched matrix product, equal
sizes batched) and is tested against it; ``tools/benchmark.py`` times both.
"""
from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .fused import PATHS, shallow_forward, tracing

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
        """``(N, C, resize, resize)`` thumbnails -> ``(N, out_features)``.

        The convolutions run channels-last (the same function: on CPU,
        oneDNN's forward at 256x256 was 1.6 times faster at batch 8 and 3.7
        times at batch 2); traced models keep the input's layout."""
        if not tracing():
            thumb = thumb.contiguous(memory_format=torch.channels_last)
        return self.fc(self.features(thumb))


class ConvWB(nn.Module):
    """Predicts a diagonal white-balance matrix (3 gains) per image.

    Parametrisations of the gains from the encoder's 3 outputs ``o``:

    * ``'direct'`` (the paper's): ``g = 1 + o``.
    * ``'bounded'``: log-gains split into a global exposure gain (bounded
      to ``[1/max_gain, max_gain]``) and per-channel gains relative to it
      (bounded to ``[1/max_relative_gain, max_relative_gain]``), each by a
      tanh.
    * ``'log'``: colour only, ``log g = L tanh((o - mean(o)) / L)`` with
      ``L = log(max_relative_gain)``: a common shift of the outputs
      changes nothing, so there is no global scale for an optimiser to
      drift along (the instance norm that follows ignores it; the gains'
      product is 1 while the tanh is near-linear); exposure is left to
      :class:`GenISP`'s ``normalize``.

    Args:
        max_gain: bound of the global (exposure) gain (``'bounded'``).
        max_relative_gain: bound of each channel's gain relative to the
            global one.
        parametrization: ``'bounded'``, ``'direct'`` or ``'log'``.
    """

    def __init__(self, max_gain: float = 1024.0,
                 max_relative_gain: float = 8.0,
                 parametrization: str = 'log'):
        super().__init__()
        _check_parametrization(parametrization)
        self.encoder = ImageToParameter(3)
        self.log_max_gain = math.log(max_gain)
        self.log_max_rel = math.log(max_relative_gain)
        self.parametrization = parametrization

    def squash_inputs(self, out: Tensor) -> List[Tuple[Tensor, float]]:
        """The arguments of each tanh of the parametrisation, with its
        bound: ``(values, bound)`` pairs (none for ``'direct'``)."""
        if self.parametrization == 'direct':
            return []
        mean = out.mean(dim=1, keepdim=True)
        rel = out - mean
        if self.parametrization == 'log':
            return [(rel, self.log_max_rel)]
        return [(mean, self.log_max_gain), (rel, self.log_max_rel)]

    def gains_from(self, out: Tensor) -> Tensor:
        """Encoder outputs ``(N, 3)`` -> positive gains ``(N, 3)``."""
        if self.parametrization == 'direct':
            return 1.0 + out
        log_gain = sum(bound * torch.tanh(v / bound)
                       for v, bound in self.squash_inputs(out))
        return torch.exp(log_gain)

    def gains(self, thumb: Tensor) -> Tensor:
        """``(N, 3, s, s)`` thumbnails -> ``(N, 3)`` positive gains."""
        return self.gains_from(self.encoder(thumb))


class ConvCC(nn.Module):
    """Predicts a 3x3 colour-correction matrix per image.

    Parametrisations of the matrix from the encoder's 9 outputs ``a``:

    * ``'direct'`` (the paper's): ``M = I + A``.
    * ``'bounded'``: ``M = expm(A)`` with ``A`` radially squashed to
      ``||A||_F <= max_log_norm``: always invertible (``det M = exp(tr
      A) > 0``), ``cond(M) <= exp(2 max_log_norm)``.
    * ``'log'``: as ``'bounded'`` with the trace removed first, so ``det M
      = 1``: colour mixing without a global scale to drift along.
    * ``'unit'``: the paper's ``I + A`` with its Frobenius norm set to the
      identity's, ``M = sqrt(3) (I + A) / ||I + A||_F``: no bound to
      saturate on, no scale to drift along (the loss cannot see
      ``||I + A||``, so no gradient pushes it), and every matrix up to
      scale is reachable at a finite output, singular ones included (a
      projection onto one colour direction, which ``expm`` reaches only
      at an infinite ``||A||``). ``max_log_norm`` is not used.

    Args:
        max_log_norm: bound on the Frobenius norm of ``log M``; None: no
            bound and no squashing (``M = expm(A)`` as predicted, still
            invertible; nothing to saturate, nothing to stop the optimiser
            from making it ill-conditioned).
        parametrization: ``'bounded'``, ``'direct'``, ``'log'`` or
            ``'unit'``.
    """

    def __init__(self, max_log_norm: Optional[float] = 2.0,
                 parametrization: str = 'log'):
        super().__init__()
        _check_parametrization(parametrization, CC_PARAMETRIZATIONS)
        self.encoder = ImageToParameter(9)
        self.max_log_norm = max_log_norm
        self.parametrization = parametrization

    def _log_matrix(self, out: Tensor) -> Tensor:
        a = out.view(-1, 3, 3)
        if self.parametrization == 'log':
            # (a * eye).sum is the trace, written so that exported graphs
            # keep their shapes (a diagonal view loses them in ONNX)
            eye = torch.eye(3, device=a.device, dtype=a.dtype)
            a = a - (a * eye).sum((1, 2))[:, None, None] / 3 * eye
        return a

    def squash_inputs(self, out: Tensor) -> List[Tuple[Tensor, float]]:
        """The argument of the tanh of the parametrisation (the norm of
        ``log M`` before squashing), with its bound."""
        if (self.parametrization in ('direct', 'unit')
                or self.max_log_norm is None):
            return []
        norm = self._log_matrix(out).flatten(1).norm(dim=1)
        return [(norm, self.max_log_norm)]

    def matrices_from(self, out: Tensor) -> Tensor:
        """Encoder outputs ``(N, 9)`` -> ``(N, 3, 3)`` matrices."""
        a = self._log_matrix(out)
        if self.parametrization in ('direct', 'unit'):
            m = torch.eye(3, device=a.device, dtype=a.dtype) + a
            if self.parametrization == 'direct':
                return m
            norm = m.flatten(1).norm(dim=1).clamp_min(1e-12)
            return m * (math.sqrt(3) / norm)[:, None, None]
        if self.max_log_norm is None:
            return torch.linalg.matrix_exp(a)
        norm = a.flatten(1).norm(dim=1).clamp_min(1e-12)[:, None, None]
        a = a * (self.max_log_norm * torch.tanh(norm / self.max_log_norm) /
                 norm)
        return torch.linalg.matrix_exp(a)

    def matrices(self, thumb: Tensor) -> Tensor:
        """``(N, 3, s, s)`` thumbnails -> ``(N, 3, 3)`` matrices."""
        return self.matrices_from(self.encoder(thumb))


class ShallowConvNet(nn.Module):
    """Local enhancement: Conv3x3(16) IN LReLU, Conv3x3(64) IN LReLU,
    Conv1x1(3). No output activation.

    Instance normalisation makes it invariant to the global exposure.
    ``self.body`` is the definition and holds the weights; ``forward``
    computes the same function by a fast path
    (:func:`~genisp_mmdet.isp.fused.shallow_forward`): instance norm and
    LeakyReLU fused, forward and backward, where ``torch.compile`` works,
    the layers one by one otherwise.

    Args:
        path: ``'auto'`` (None: the process's default, see
            :mod:`~genisp_mmdet.isp.fused`), ``'fused'`` or ``'eager'``.
            Every path computes the same function; none changes a
            checkpoint.
        checkpoint: recompute the 64-channel stage in the backward pass
            instead of storing its full-resolution activation (gradient
            checkpointing: less memory, one more convolution).
    """

    def __init__(self, in_channels: int = 3, out_channels: int = 3,
                 path: Optional[str] = None, checkpoint: bool = False):
        super().__init__()
        if path is not None and path not in PATHS:
            raise ValueError(f'path must be one of {PATHS} or None, got '
                             f'{path!r}')
        self.path = path
        self.checkpoint = checkpoint
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, 16, 3, padding=1), nn.InstanceNorm2d(16),
            nn.LeakyReLU(), nn.Conv2d(16, 64, 3, padding=1),
            nn.InstanceNorm2d(64), nn.LeakyReLU(),
            nn.Conv2d(64, out_channels, 1))

    def forward(self, x: Tensor) -> Tensor:
        """``(N, C, H, W)`` -> ``(N, out_channels, H, W)``, as
        ``self.body(x)``."""
        return shallow_forward(self, x, self.path, self.checkpoint)


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


PARAMETRIZATIONS = ('bounded', 'direct', 'log')  # ConvWB's
CC_PARAMETRIZATIONS = PARAMETRIZATIONS + ('unit', )


def _check_parametrization(p: str,
                           allowed: Sequence[str] = PARAMETRIZATIONS) -> None:
    if p not in allowed:
        raise ValueError(f'parametrization must be one of {tuple(allowed)}'
                         f', got {p!r}')


def apply_color_matrix(x: Tensor, m: Tensor) -> Tensor:
    """Per-pixel ``out[n, i] = sum_j m[n, i, j] x[n, j]``.

    Args:
        x: ``(N, 3, H, W)``.
        m: ``(N, 3, 3)``.
    """
    return torch.einsum('nij,njhw->nihw', m, x)


def grey_matrix(like: Tensor) -> Tensor:
    """``(3, 3)``: every output channel is input channel 1 (Y of XYZ, G of
    camera RGB)."""
    m = torch.zeros(3, 3, device=like.device, dtype=like.dtype)
    m[:, 1] = 1
    return m


def group_by_shape(images: Sequence[Tensor]) -> List[List[int]]:
    """Indices of images grouped by identical shape, in first-seen order."""
    groups: dict = {}
    for i, img in enumerate(images):
        groups.setdefault(tuple(img.shape), []).append(i)
    return list(groups.values())


@dataclass
class GlobalStages:
    """What the global stages of a :class:`GenISP` estimate for a batch of
    images of one size (None where a stage is off).

    Attributes:
        thumb: ``(N, 3, s, s)`` the thumbnail of the input.
        scale: ``(N,)`` the exposure normalisation.
        wb_out: ``(N, 3)`` ConvWB's encoder outputs (before the
            parametrisation), ``gains`` ``(N, 3)`` the white balance.
        cc_out: ``(N, 9)`` ConvCC's encoder outputs, ``matrix`` ``(N, 3,
            3)`` the colour correction (or the fixed map of ``grey``).
    """
    thumb: Tensor
    scale: Optional[Tensor] = None
    wb_out: Optional[Tensor] = None
    gains: Optional[Tensor] = None
    cc_out: Optional[Tensor] = None
    matrix: Optional[Tensor] = None

    def pixel_map(self) -> Optional[Tensor]:
        """``(N, 3, 3)``: the one linear map per pixel that the stages
        compose to, ``M @ diag(g) * scale`` (None if all are off)."""
        m = self.matrix
        if self.gains is not None:
            m = (torch.diag_embed(self.gains) if m is None else
                 m * self.gains[:, None, :])
        if self.scale is not None:
            eye = torch.eye(3, device=self.thumb.device)
            m = (eye if m is None else m) * self.scale[:, None, None]
        return m


class GenISP(nn.Module):
    """ConvWB -> ConvCC -> ShallowConvNet, each switchable off for ablations.

    ``forward`` takes a batch ``(N, 3, H, W)`` or a list of ``(3, H_i, W_i)``
    images of any sizes; images are never padded (padding would bias the
    global estimates and the instance statistics). Images of equal size
    are processed as one batch. Arithmetic is fp32 even under autocast.

    Args:
        wb, cc, enhance: enable ConvWB, ConvCC, the shallow ConvNet.
        resize: thumbnail side seen by ConvWB and ConvCC.
        wb_cfg, cc_cfg, enhance_cfg: extra arguments of :class:`ConvWB`,
            :class:`ConvCC`, :class:`ShallowConvNet` (e.g.
            ``enhance_cfg=dict(checkpoint=True)``).
        normalize: ``'mean'`` scales each image, before the global stages,
            so that the mean luminance (channel 1: Y of XYZ) of its
            thumbnail is ``target_mean`` (at most ``max_scale`` times):
            the encoders then see the content of an image, not how dark it
            is; ``'median'`` does so with the median luminance, which a few
            bright lamps do not move (the default). None (the paper) passes
            the image as it is.
        target_mean: the luminance level ``normalize`` brings images to.
        max_scale: the largest normalisation gain (for nearly black input).
        tone: ``'log'`` compresses the image before the shallow ConvNet,
            ``log(1 + x / target_mean)`` (``x`` clamped at ``-target_mean /
            2``), so that a few lamps a hundred times brighter than their
            surroundings do not dominate its instance statistics; needs
            ``normalize``. None (the paper): linear.
        tone_gain: ``'fixed'`` (the default) or ``'learned'``: the curve
            becomes ``log(1 + k x / target_mean)`` with one trained gain
            ``k = exp(tone_log_gain)`` (1 at the start), so the level of
            the curve's knee is trained rather than set, and the global
            stages need not brighten the image to move it (with ``det M =
            1`` and colour-only gains they can do so only by making ``M``
            anisotropic). Needs ``tone``.
        tone_gain_init: the learned gain's value at the start (1: the
            fixed curve).
        grey: in place of ConvWB and ConvCC (which must be off), the fixed
            map that puts channel 1 in all three channels (the luminance Y
            of XYZ; G where the loader gives camera RGB, ``mode=
            'camera_rgb'``): a grey image, the rank-1 map the default's trained
            colour stages approach (their mean map's largest singular value
            many times the second, its input direction mostly Y). False:
            no such map.
    """

    def __init__(self, wb: bool = True, cc: bool = True,
                 enhance: bool = True, resize: int = 256,
                 wb_cfg: dict = None, cc_cfg: dict = None,
                 enhance_cfg: dict = None,
                 normalize: Optional[str] = 'median',
                 target_mean: float = 0.18, max_scale: float = 4096.0,
                 tone: Optional[str] = 'log', tone_gain: str = 'fixed',
                 tone_gain_init: float = 1.0, grey: bool = False):
        super().__init__()
        if grey and (wb or cc):
            raise ValueError('grey replaces ConvWB and ConvCC: set wb=False '
                             'and cc=False with it')
        if normalize not in (None, 'mean', 'median'):
            raise ValueError(f"normalize must be None, 'mean' or 'median', "
                             f'got {normalize!r}')
        if tone not in (None, 'log'):
            raise ValueError(f"tone must be None or 'log', got {tone!r}")
        if tone and not normalize:
            raise ValueError('tone needs normalize: the curve is set at the '
                             'normalised luminance level')
        if tone_gain not in ('fixed', 'learned'):
            raise ValueError(f"tone_gain must be 'fixed' or 'learned', got "
                             f'{tone_gain!r}')
        if tone_gain == 'learned' and not tone:
            raise ValueError("tone_gain='learned' needs a tone curve")
        if not tone_gain_init > 0:
            raise ValueError(f'tone_gain_init must be positive, got '
                             f'{tone_gain_init!r}')
        self.tone = tone
        self.tone_log_gain = (
            nn.Parameter(torch.tensor(math.log(tone_gain_init)))
            if tone_gain == 'learned' else None)
        self.conv_wb = ConvWB(**(wb_cfg or {})) if wb else None
        self.conv_cc = ConvCC(**(cc_cfg or {})) if cc else None
        self.enhance = ShallowConvNet(**(enhance_cfg or {})) if enhance \
            else None
        self.grey = grey
        self.resize = resize
        self.normalize = normalize
        self.target_mean = target_mean
        self.max_scale = max_scale

    def thumbnail(self, x: Tensor) -> Tensor:
        """``(N, 3, H, W)`` -> ``(N, 3, resize, resize)``, bilinear."""
        return F.interpolate(x, size=(self.resize, self.resize),
                             mode='bilinear', align_corners=False)

    def exposure_scale(self, thumb: Tensor) -> Tensor:
        """``(N,)`` gains that bring each thumbnail's mean (or median)
        luminance to ``target_mean``."""
        y = thumb[:, 1].flatten(1)
        if self.normalize == 'median':
            # the lower median; traced through a sort (ONNX has no median
            # operator, a sort exports as TopK), the same value
            level = (y.sort(dim=1).values[:, (y.shape[1] - 1) // 2]
                     if tracing() else y.median(dim=1).values)
        else:
            level = y.mean(dim=1)
        return self.target_mean / level.clamp_min(self.target_mean /
                                                  self.max_scale)

    def tone_curve(self, x: Tensor) -> Tensor:
        """The compressive curve of ``tone='log'`` (identity without)."""
        if not self.tone:
            return x
        c = self.target_mean
        if self.tone_log_gain is not None:
            x = x * torch.exp(self.tone_log_gain.float())
        return torch.log1p(x.clamp_min(-0.5 * c) / c)

    def global_stages(self, x: Tensor) -> GlobalStages:
        """The global estimates for ``(N, 3, H, W)`` images of one size.

        Resizing is linear and every global operation is linear per pixel,
        so the normalised, white-balanced thumbnail is the thumbnail times
        the scale and the gains: one resize per image serves every stage.
        """
        st = GlobalStages(thumb=self.thumbnail(x))
        thumb = st.thumb
        if self.normalize:
            st.scale = self.exposure_scale(thumb)
            thumb = thumb * st.scale[:, None, None, None]
        if self.conv_wb is not None:
            st.wb_out = self.conv_wb.encoder(thumb)
            st.gains = self.conv_wb.gains_from(st.wb_out)
            thumb = thumb * st.gains[:, :, None, None]
        if self.conv_cc is not None:
            st.cc_out = self.conv_cc.encoder(thumb)
            st.matrix = self.conv_cc.matrices_from(st.cc_out)
        elif self.grey:
            st.matrix = grey_matrix(thumb).expand(len(thumb), 3, 3)
        return st

    def forward_batch(self, x: Tensor) -> Tensor:
        """``(N, 3, H, W)`` images of one size -> ``(N, 3, H, W)``."""
        x = _compute_dtype(x)
        if self.normalize or self.conv_wb is not None or \
                self.conv_cc is not None or self.grey:
            st = self.global_stages(x)
            if st.matrix is not None:
                # M @ diag(g) * scale: one pass over the full-resolution
                # image.
                x = apply_color_matrix(x, st.pixel_map())
            else:
                g = torch.ones_like(x[:, :, 0, 0])
                if st.gains is not None:
                    g = st.gains
                if st.scale is not None:
                    g = g * st.scale[:, None]
                x = x * g[:, :, None, None]
        x = self.tone_curve(x)
        if self.enhance is not None:
            x = self.enhance(x)
        return x

    def forward(self, images: Images) -> Union[Tensor, List[Tensor]]:
        with torch.autocast(device_type=_device_type(images), enabled=False):
            if isinstance(images, Tensor):
                return self.forward_batch(images)
            return map_by_shape(self.forward_batch, images)


# The stage each ``*_cfg`` argument of GenISP configures, and the switch
# that enables it.
_STAGE_CFGS = {'wb_cfg': ('wb', ConvWB), 'cc_cfg': ('cc', ConvCC),
               'enhance_cfg': ('enhance', ShallowConvNet)}


def genisp_settings(cfg: dict) -> dict:
    """Every argument of :class:`GenISP` that a config ``dict(type='GenISP',
    ...)`` sets or leaves at its default, the stages' ``*_cfg`` filled in
    likewise (and dropped for a stage that is switched off): two configs
    that build the same ISP resolve to the same settings, however much of
    the defaults each spells out.

    Raises:
        TypeError: ``cfg`` names an argument GenISP or a stage does not
            take.
    """
    args = {k: v for k, v in dict(cfg).items() if k not in ('type',
                                                             '_scope_')}
    out = _with_defaults(GenISP, args)
    for key, (switch, stage) in _STAGE_CFGS.items():
        out[key] = _with_defaults(stage, dict(out[key] or {})) \
            if out[switch] else None
    return out


def _with_defaults(cls: type, args: dict) -> dict:
    params = inspect.signature(cls.__init__).parameters
    unknown = sorted(set(args) - set(params))
    if unknown:
        raise TypeError(f'{cls.__name__} takes no argument '
                        f'{", ".join(unknown)}')
    return {k: args.get(k, p.default) for k, p in params.items()
            if k != 'self'}


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
        x = _compute_dtype(img[None])
        if isp.normalize:
            thumb = F.interpolate(x, size=size, mode='bilinear',
                                  align_corners=False)
            x = x * isp.exposure_scale(thumb)[:, None, None, None]
        if isp.conv_wb is not None:
            thumb = F.interpolate(x, size=size, mode='bilinear',
                                  align_corners=False)
            x = x * isp.conv_wb.gains(thumb)[:, :, None, None]
        if isp.conv_cc is not None:
            thumb = F.interpolate(x, size=size, mode='bilinear',
                                  align_corners=False)
            x = apply_color_matrix(x, isp.conv_cc.matrices(thumb))
        if isp.grey:
            x = x[:, 1:2].expand(-1, 3, -1, -1)
        x = isp.tone_curve(x)
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


def _compute_dtype(x: Tensor) -> Tensor:
    """fp32 arithmetic for any input (half, bfloat16, uint8), except fp64,
    which is kept (the tests compare the fast path with the reference in
    double precision, free of rounding)."""
    return x if x.dtype == torch.float64 else x.float()


def _device_type(images: Images) -> str:
    t = images if isinstance(images, Tensor) else images[0]
    return t.device.type
