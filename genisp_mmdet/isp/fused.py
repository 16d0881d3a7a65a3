"""Fast paths of :class:`~genisp_mmdet.isp.genisp.ShallowConvNet`: the
same function as its ``body``, with fewer passes over (and fewer copies of)
its full-resolution activations.

:func:`shallow_forward` computes ``net.body(x)`` by one of :data:`PATHS`:

* ``'fused'``: both ``InstanceNorm -> LeakyReLU`` pairs as custom autograd
  functions, the last one with the final 1x1 convolution, whose forward
  and backward are kernels compiled by ``torch.compile`` (inductor: C++
  loops on CPU). Each forward pass reads the convolution output twice
  (statistics, then normalised and activated output) and stores only the
  activated output ``z`` (and the per-channel ``1/std``); the backward
  recomputes what it needs from ``z`` and the output gradient, in two
  passes, instead of the three activations and three backward passes of
  the layer-by-layer form. The 64-channel convolution output is freed as
  soon as it is normalised.
* ``'eager'``: what ``ShallowConvNet.forward`` computes without this
  module: the layers one by one, the 1x1 convolution as a matrix product.
* ``'auto'`` (default): ``'fused'`` on CPU where the compiler works,
  ``'eager'`` elsewhere; the first failure to compile (no C++ compiler,
  an inductor error) is logged once and every later call is eager.

``checkpoint=True`` stores only the 16-channel activation and recomputes
the 64-channel convolution and its normalisation in the backward pass
(:func:`torch.utils.checkpoint.checkpoint`): less memory, one more
convolution.

The backward of ``InstanceNorm -> LeakyReLU`` needs only the activated
output ``z``: with ``d = 1`` where ``z > 0`` and the slope elsewhere, the
normalised input is ``z / d`` and, for an output gradient ``gz``, the
input gradient is ``rstd * (g - mean(g) - (z / d) * mean(gz * z))`` with
``g = gz * d`` (means over each channel's pixels).

The environment variable ``GENISP_SHALLOW_PATH`` (one of :data:`PATHS`)
overrides the path asked for, for every call.
"""
from __future__ import annotations

import logging
import os
import threading
from typing import Callable, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.autograd.function import once_differentiable

logger = logging.getLogger(__name__)

PATHS = ('auto', 'fused', 'eager')
ENV_PATH = 'GENISP_SHALLOW_PATH'


# ------------------------------------------------------------------ kernels
# Plain tensor functions without autograd: what torch.compile compiles (and
# what runs as it is where compilation failed mid-step).
def norm_act_forward(y: Tensor, eps: float,
                     slope: float) -> Tuple[Tensor, Tensor]:
    """``leaky_relu(instance_norm(y))`` and the per-channel ``1/std``.

    Args:
        y: ``(N, C, H, W)``.

    Returns:
        ``z`` ``(N, C, H, W)`` and ``rstd`` ``(N, C, 1, 1)``.
    """
    var, mean = torch.var_mean(y, dim=(2, 3), keepdim=True, correction=0)
    rstd = torch.rsqrt(var + eps)
    return F.leaky_relu((y - mean) * rstd, slope), rstd


def norm_act_backward(gz: Tensor, z: Tensor, rstd: Tensor,
                      slope: float) -> Tensor:
    """The gradient with respect to ``y`` of :func:`norm_act_forward`'s
    ``z``, from ``z`` itself (see the module's docstring)."""
    pos = z > 0
    g = torch.where(pos, gz, gz * slope)
    y_hat = torch.where(pos, z, z * (1.0 / slope))
    mean_g = g.mean(dim=(2, 3), keepdim=True)
    mean_gz = (gz * z).mean(dim=(2, 3), keepdim=True)
    return rstd * (g - mean_g - y_hat * mean_gz)


def norm_act_pointwise_forward(
        y: Tensor, weight: Tensor, bias: Tensor, eps: float,
        slope: float) -> Tuple[Tensor, Tensor, Tensor]:
    """A 1x1 convolution (``weight`` ``(O, C)``, ``bias`` ``(O,)``) of
    :func:`norm_act_forward`'s ``z``.

    Returns:
        the output ``(N, O, H, W)``, ``z`` and ``rstd``.
    """
    z, rstd = norm_act_forward(y, eps, slope)
    n, c, h, w = z.shape
    out = torch.baddbmm(bias.view(1, -1, 1), weight.expand(n, -1, -1),
                        z.reshape(n, c, h * w))
    return out.view(n, -1, h, w), z, rstd


def norm_act_pointwise_backward(
        g: Tensor, z: Tensor, rstd: Tensor, weight: Tensor,
        slope: float) -> Tuple[Tensor, Tensor, Tensor]:
    """Gradients of :func:`norm_act_pointwise_forward` for an output
    gradient ``g`` ``(N, O, H, W)``: with respect to ``y``, ``weight`` and
    ``bias``. The gradient of ``z`` (``weight^T g``, O = 3 terms a pixel)
    is recomputed where it is used, not stored."""
    n, c, h, w = z.shape
    gz = (weight.t()[None, :, :, None, None] * g[:, None]).sum(2)
    g_y = norm_act_backward(gz, z, rstd, slope)
    g_w = torch.bmm(g.reshape(n, -1, h * w),
                    z.reshape(n, c, h * w).transpose(1, 2)).sum(0)
    return g_y, g_w, g.sum(dim=(0, 2, 3))


KERNELS = ('norm_act_forward', 'norm_act_backward',
           'norm_act_pointwise_forward', 'norm_act_pointwise_backward')


class Kernels:
    """The four kernels, compiled by ``compile_fn`` on first use.

    A kernel whose compilation or compiled call raises runs as plain
    torch code from then on, as do all the others: the failure is logged
    once, ``failure`` holds it, and :func:`shallow_forward` in ``'auto'``
    goes eager.

    Args:
        compile_fn: ``fn -> compiled fn`` (default: ``torch.compile`` with
            dynamic shapes, one graph each); None runs the plain kernels.
    """

    def __init__(self, compile_fn: Optional[Callable] = 'default'):
        if compile_fn == 'default':
            compile_fn = _inductor
        self.compile_fn = compile_fn
        self.failure: Optional[str] = None
        self._compiled = {}
        self._lock = threading.Lock()

    @property
    def compiling(self) -> bool:
        """Whether compiled kernels are (still) in use."""
        return self.compile_fn is not None and self.failure is None

    def _fail(self, name: str, err: BaseException) -> None:
        with self._lock:
            if self.failure is None:
                self.failure = f'{name}: {type(err).__name__}: {err}'
                logger.warning(
                    'GenISP fused ShallowConvNet: compiling %s failed (%s); '
                    'using the eager path from now on', name,
                    self.failure.splitlines()[0][:500])

    def __getattr__(self, name: str):
        if name not in KERNELS:
            raise AttributeError(name)
        plain = globals()[name]

        def call(*args):
            if not self.compiling:
                return plain(*args)
            try:
                fn = self._compiled.get(name)
                if fn is None:
                    fn = self._compiled[name] = self.compile_fn(plain)
                return fn(*args)
            except Exception as err:  # compiler missing or failing
                self._fail(name, err)
                return plain(*args)

        return call


def _inductor(fn: Callable) -> Callable:
    return torch.compile(fn, dynamic=True, fullgraph=True)


# ----------------------------------------------------- autograd functions
class NormAct(torch.autograd.Function):
    """``leaky_relu(instance_norm(y))`` storing only its output."""

    @staticmethod
    def forward(ctx, y: Tensor, eps: float, slope: float,
                kernels: Kernels) -> Tensor:
        z, rstd = kernels.norm_act_forward(y.contiguous(), eps, slope)
        ctx.save_for_backward(z, rstd)
        ctx.slope, ctx.kernels = slope, kernels
        return z

    @staticmethod
    @once_differentiable
    def backward(ctx, gz: Tensor):
        z, rstd = ctx.saved_tensors
        g_y = ctx.kernels.norm_act_backward(gz.contiguous(), z, rstd,
                                            ctx.slope)
        return g_y, None, None, None


class NormActPointwise(torch.autograd.Function):
    """A 1x1 convolution of ``leaky_relu(instance_norm(y))``, storing only
    the activation (not ``y``, not the normalised ``y``)."""

    @staticmethod
    def forward(ctx, y: Tensor, weight: Tensor, bias: Optional[Tensor],
                eps: float, slope: float, kernels: Kernels) -> Tensor:
        b = bias if bias is not None else weight.new_zeros(len(weight))
        out, z, rstd = kernels.norm_act_pointwise_forward(
            y.contiguous(), weight, b, eps, slope)
        ctx.save_for_backward(z, rstd, weight)
        ctx.slope, ctx.kernels, ctx.has_bias = slope, kernels, bias is not None
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx, g: Tensor):
        z, rstd, weight = ctx.saved_tensors
        g_y, g_w, g_b = ctx.kernels.norm_act_pointwise_backward(
            g.contiguous(), z, rstd, weight, ctx.slope)
        return g_y, g_w, g_b if ctx.has_bias else None, None, None, None


# ------------------------------------------------------------- the paths
_KERNELS: Optional[Kernels] = None


def default_kernels() -> Kernels:
    """The process's compiled kernels (created on first use)."""
    global _KERNELS
    if _KERNELS is None:
        _KERNELS = Kernels()
    return _KERNELS


def _layers(net: nn.Module):
    """The layers of a ShallowConvNet's body if :func:`shallow_forward`'s
    fused path computes exactly them, else None."""
    body = getattr(net, 'body', None)
    if not isinstance(body, nn.Sequential) or len(body) != 7:
        return None
    conv1, in1, act1, conv2, in2, act2, pw = body
    kinds = (nn.Conv2d, nn.InstanceNorm2d, nn.LeakyReLU, nn.Conv2d,
             nn.InstanceNorm2d, nn.LeakyReLU, nn.Conv2d)
    if not all(type(m) is k for m, k in zip(body, kinds)):
        return None
    for norm in (in1, in2):
        if norm.affine or norm.track_running_stats:
            return None
    if pw.kernel_size != (1, 1) or pw.stride != (1, 1) or \
            pw.padding != (0, 0) or pw.groups != 1:
        return None
    return conv1, in1, act1, conv2, in2, act2, pw


def resolve_path(path: str, x: Tensor,
                 kernels: Optional[Kernels] = None) -> str:
    """The path :func:`shallow_forward` takes for ``path`` and input
    ``x``: ``'fused'`` or ``'eager'``."""
    path = os.environ.get(ENV_PATH) or path
    if path not in PATHS:
        raise ValueError(f'path must be one of {PATHS}, got {path!r}')
    if path != 'auto':
        return path
    kernels = kernels or default_kernels()
    if x.device.type != 'cpu' or not kernels.compiling or \
            torch.compiler.is_compiling():
        return 'eager'
    return 'fused'


def shallow_forward(net: nn.Module, x: Tensor, path: str = 'auto',
                    checkpoint: bool = False,
                    kernels: Optional[Kernels] = None) -> Tensor:
    """``net.body(x)`` for a :class:`ShallowConvNet` ``net`` by ``path``
    (see the module's docstring).

    Args:
        net: a ShallowConvNet (its ``body`` holds the weights).
        x: ``(N, C, H, W)``.
        path: one of :data:`PATHS`.
        checkpoint: recompute the 64-channel stage in the backward pass
            instead of storing its activation (only while gradients are
            recorded).
        kernels: the fused path's kernels (default: the process's
            compiled ones, :func:`default_kernels`).
    """
    kernels = kernels or default_kernels()
    layers = _layers(net)
    taken = resolve_path(path, x, kernels)
    if taken == 'fused' and layers is None:
        taken = 'eager'
    checkpoint = checkpoint and torch.is_grad_enabled()
    if taken == 'eager':
        if layers is None:
            return net.body(x)
        head = layers[:3]
        if checkpoint:
            return torch.utils.checkpoint.checkpoint(
                _eager, layers[3:], _eager(head, x), use_reentrant=False)
        return _eager(layers[3:], _eager(head, x))
    conv1, in1, act1, conv2, in2, act2, pw = layers
    z = NormAct.apply(conv1(x), in1.eps, act1.negative_slope, kernels)

    def tail(z: Tensor) -> Tensor:
        return NormActPointwise.apply(
            conv2(z), pw.weight.view(pw.out_channels, -1), pw.bias, in2.eps,
            act2.negative_slope, kernels)

    if checkpoint:
        return torch.utils.checkpoint.checkpoint(tail, z,
                                                 use_reentrant=False)
    return tail(z)


def _eager(layers, x: Tensor) -> Tensor:
    """Layers of a ShallowConvNet's body one by one, a final 1x1
    convolution as :func:`~genisp_mmdet.isp.genisp.pointwise_conv`: what
    ``ShallowConvNet.forward`` computes."""
    from .genisp import pointwise_conv
    for layer in layers[:-1]:
        x = layer(x)
    last = layers[-1]
    if isinstance(last, nn.Conv2d) and last.kernel_size == (1, 1):
        return pointwise_conv(x, last)
    return last(x)


def _chunked(net, x, path, max_bytes=32 << 20):
    per = 64 * x.shape[2] * x.shape[3] * x.element_size()
    k = max(1, max_bytes // per)
    if k >= len(x):
        return shallow_forward(net, x, path)
    return torch.cat([shallow_forward(net, c, path) for c in x.split(k)])


def _isp_chunked(isp, images, k):
    from .genisp import group_by_shape
    out = [None] * len(images)
    for idx in group_by_shape(images):
        for j in range(0, len(idx), k):
            part = idx[j:j + k]
            res = isp.forward_batch(torch.stack([images[i] for i in part]))
            for a, i in enumerate(part):
                out[i] = res[a]
    return out
