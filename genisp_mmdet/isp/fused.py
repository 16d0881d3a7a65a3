"""Fast paths of :class:`~genisp_mmdet.isp.genisp.ShallowConvNet`: the
same function as its ``body``, with fewer passes over (and fewer copies of)
its full-resolution activations.

:func:`shallow_forward` computes ``net.body(x)`` by one of :data:`PATHS`:

* ``'fused'``: both ``InstanceNorm -> LeakyReLU`` pairs as autograd
  functions (:class:`NormAct`; :class:`NormActPointwise`, with the final
  1x1 convolution) whose forward and backward kernels are compiled by
  ``torch.compile`` (inductor: C++ loops on CPU). A forward pass reads the
  convolution output twice (statistics, then the normalised and activated
  output ``z``) and stores only ``z`` and the per-channel ``1/std``; the
  backward recomputes what it needs from ``z`` and the output gradient in
  two passes, where the layer-by-layer form stores three full-resolution
  tensors per pair and makes three backward passes. The 64-channel
  convolution output is freed as soon as it is normalised.
* ``'eager'``: what ``ShallowConvNet.forward`` computed before this module:
  the layers one by one, the 1x1 convolution as a matrix product.
* ``'auto'`` (default): ``'fused'`` for float32 images of at least
  :data:`MIN_FUSED_PIXELS` on CPU while the compiler works, ``'eager'``
  otherwise. The first failure to compile or run a compiled kernel (no C++
  compiler, an inductor error) is logged once; that call finishes with the
  same kernels uncompiled and later calls are eager.

The backward of ``InstanceNorm -> LeakyReLU`` needs only the activated
output ``z``: with ``d = 1`` where ``z > 0`` and the slope elsewhere, the
normalised input is ``z / d`` and, for an output gradient ``gz``, the
input gradient is ``rstd * (g - mean(g) - (z / d) * mean(gz * z))`` with
``g = gz * d`` (means over each channel's pixels).

Both paths split a batch into chunks of images whose 64-channel activation
fits under :data:`CHUNK_BYTES` when one image does and the batch does not:
glibc's malloc serves blocks above 32 MiB by fresh ``mmap`` calls, and
touching fresh pages (4 KiB page faults) costs about as much as the
arithmetic of a normalisation; blocks under that size are reused.

``checkpoint=True`` stores only the 16-channel activation and recomputes
the 64-channel stage in the backward pass
(:func:`torch.utils.checkpoint.checkpoint`): less memory, one more
convolution.

The environment variable ``GENISP_SHALLOW_PATH`` (one of :data:`PATHS`)
is the default path; :func:`using_path` sets it within a block.
"""
from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from typing import Callable, Dict, Iterator, List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.autograd.function import once_differentiable

logger = logging.getLogger(__name__)

PATHS = ('auto', 'fused', 'eager')
ENV_PATH = 'GENISP_SHALLOW_PATH'
# 'auto' compiles for images of at least this many pixels (smaller ones
# cost little either way).
MIN_FUSED_PIXELS = 128 * 128
# glibc's largest mmap threshold on 64-bit systems: blocks below it are
# reused after free, blocks above are fresh pages every time.
CHUNK_BYTES = 32 << 20
# Channels of the widest ShallowConvNet activation.
_WIDEST = 64


# ------------------------------------------------------------------ kernels
# Plain tensor functions without autograd: what torch.compile compiles, and
# what runs uncompiled where compilation failed during a step.
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


def inductor(fn: Callable) -> Callable:
    """``torch.compile`` of a kernel: one graph, sizes symbolic (one
    compilation serves every image size)."""
    return torch.compile(fn, dynamic=True, fullgraph=True)


class Kernels:
    """The four kernels, each compiled by ``compile_fn`` on first use.

    When a compilation or a compiled call raises, the failure is logged
    once and kept in ``failure``, that call runs the plain kernel, and so
    does every later call of every kernel (``compiling`` is False, and
    :func:`shallow_forward` in ``'auto'`` then goes eager).

    Args:
        compile_fn: ``kernel -> compiled kernel`` (default
            :func:`inductor`); None runs the plain kernels.
    """

    def __init__(self, compile_fn: Optional[Callable] = inductor):
        self.compile_fn = compile_fn
        self.failure: Optional[str] = None
        self.compile_seconds = 0.0
        self._compiled: Dict[str, Callable] = {}
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
                    'GenISP ShallowConvNet: the compiled %s failed (%s); '
                    'using the eager path from now on', name,
                    self.failure.splitlines()[0][:500])

    def __getattr__(self, name: str) -> Callable:
        if name not in KERNELS:
            raise AttributeError(name)
        plain = globals()[name]

        def call(*args):
            if not self.compiling:
                return plain(*args)
            try:
                start = time.perf_counter()
                fn = self._compiled.get(name)
                if fn is None:
                    fn = self._compiled[name] = self.compile_fn(plain)
                # named for torch.profiler (a compiled kernel is no aten op)
                with torch.profiler.record_function(f'genisp_fused::{name}'):
                    out = fn(*args)
                self.compile_seconds += _first_call_seconds(
                    fn, time.perf_counter() - start)
                return out
            except Exception as err:  # compiler missing or failing
                self._fail(name, err)
                return plain(*args)

        return call


def _first_call_seconds(fn: Callable, seconds: float) -> float:
    """``seconds`` the first time a compiled kernel runs (compilation
    happens then), 0 after."""
    if getattr(fn, '_genisp_timed', False):
        return 0.0
    try:
        fn._genisp_timed = True
    except AttributeError:
        return 0.0
    logger.info('GenISP ShallowConvNet: compiled a fused kernel in %.1f s',
                seconds)
    return seconds


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
        ctx.slope, ctx.kernels = slope, kernels
        ctx.has_bias = bias is not None
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
_DEFAULT_PATH: List[Optional[str]] = [None]


def default_kernels() -> Kernels:
    """The process's compiled kernels (created on first use)."""
    global _KERNELS
    if _KERNELS is None:
        _KERNELS = Kernels()
    return _KERNELS


def default_path() -> str:
    """The path of calls that name none: :func:`using_path`'s, else
    ``$GENISP_SHALLOW_PATH``, else ``'auto'``."""
    path = _DEFAULT_PATH[0] or os.environ.get(ENV_PATH) or 'auto'
    _check_path(path)
    return path


@contextlib.contextmanager
def using_path(path: str) -> Iterator[None]:
    """Within the block, calls that name no path take ``path`` (e.g. to
    time a detector step with each)."""
    _check_path(path)
    previous, _DEFAULT_PATH[0] = _DEFAULT_PATH[0], path
    try:
        yield
    finally:
        _DEFAULT_PATH[0] = previous


def tracing() -> bool:
    """Whether a TorchScript or ONNX export is tracing the module."""
    return torch.jit.is_tracing() or torch.onnx.is_in_onnx_export()


def _check_path(path: str) -> None:
    if path not in PATHS:
        raise ValueError(f'path must be one of {PATHS}, got {path!r}')


def _layers(net: nn.Module):
    """The layers of a ShallowConvNet's body if they are those the fused
    path computes, else None."""
    body = getattr(net, 'body', None)
    kinds = (nn.Conv2d, nn.InstanceNorm2d, nn.LeakyReLU, nn.Conv2d,
             nn.InstanceNorm2d, nn.LeakyReLU, nn.Conv2d)
    if not isinstance(body, nn.Sequential) or len(body) != len(kinds) or \
            not all(type(m) is k for m, k in zip(body, kinds)):
        return None
    if any(body[i].affine or body[i].track_running_stats for i in (1, 4)):
        return None
    pw = body[6]
    if pw.kernel_size != (1, 1) or pw.stride != (1, 1) or \
            pw.padding != (0, 0) or pw.groups != 1:
        return None
    return tuple(body)


def resolve_path(path: Optional[str], x: Tensor,
                 kernels: Optional[Kernels] = None) -> str:
    """``'fused'`` or ``'eager'``: what :func:`shallow_forward` does for
    ``path`` (None: :func:`default_path`) and input ``x``."""
    path = path or default_path()
    _check_path(path)
    # Tracing (TorchScript, ONNX) and compiling the whole model see the
    # layers themselves.
    if tracing() or torch.compiler.is_compiling():
        return 'eager'
    if path != 'auto':
        return path
    kernels = kernels or default_kernels()
    fits = (x.device.type == 'cpu' and x.dtype == torch.float32 and
            x.shape[-2] * x.shape[-1] >= MIN_FUSED_PIXELS)
    if not fits or not kernels.compiling:
        return 'eager'
    return 'fused'


def chunk_size(x: Tensor, chunk_bytes: int = CHUNK_BYTES) -> int:
    """Images per chunk of a ``(N, C, H, W)`` batch: all of them, unless
    one image's widest activation fits under ``chunk_bytes`` and the
    batch's does not (see the module's docstring)."""
    n = len(x)
    per_image = _WIDEST * x.shape[-2] * x.shape[-1] * x.element_size()
    if per_image >= chunk_bytes or n * per_image < chunk_bytes:
        return max(n, 1)
    return max(1, chunk_bytes // per_image)


def shallow_forward(net: nn.Module, x: Tensor, path: Optional[str] = None,
                    checkpoint: bool = False,
                    kernels: Optional[Kernels] = None,
                    chunk_bytes: int = CHUNK_BYTES) -> Tensor:
    """``net.body(x)`` for a :class:`ShallowConvNet` ``net`` by ``path``
    (see the module's docstring).

    Args:
        net: a ShallowConvNet (its ``body`` holds the weights).
        x: ``(N, C, H, W)``.
        path: one of :data:`PATHS`; None for :func:`default_path`.
        checkpoint: recompute the 64-channel stage in the backward pass
            instead of storing its activation (while gradients are
            recorded).
        kernels: the fused path's kernels (default: the process's
            compiled ones, :func:`default_kernels`).
        chunk_bytes: see :func:`chunk_size`; 0 never splits.
    """
    kernels = kernels or default_kernels()
    layers = _layers(net)
    taken = resolve_path(path, x, kernels)
    checkpoint = checkpoint and torch.is_grad_enabled()
    if layers is None:  # a body this module does not know: as it is
        return net.body(x)
    k = chunk_size(x, chunk_bytes) if chunk_bytes else len(x)
    if k < len(x):
        return torch.cat([
            _forward(layers, c, taken, checkpoint, kernels)
            for c in x.split(k)
        ])
    return _forward(layers, x, taken, checkpoint, kernels)


def _forward(layers, x: Tensor, path: str, checkpoint: bool,
             kernels: Kernels) -> Tensor:
    conv1, in1, act1, conv2, in2, act2, pw = layers
    if path == 'eager':
        x = act1(in1(conv1(x)))
        tail = _eager_tail
    else:
        x = NormAct.apply(conv1(x), in1.eps, act1.negative_slope, kernels)
        tail = _fused_tail
    if checkpoint:
        return torch.utils.checkpoint.checkpoint(tail, layers, x, kernels,
                                                 use_reentrant=False)
    return tail(layers, x, kernels)


def _eager_tail(layers, x: Tensor, kernels: Kernels) -> Tensor:
    from .genisp import pointwise_conv
    return pointwise_conv(layers[5](layers[4](layers[3](x))), layers[6])


def _fused_tail(layers, x: Tensor, kernels: Kernels) -> Tensor:
    conv2, in2, act2, pw = layers[3:]
    return NormActPointwise.apply(conv2(x),
                                  pw.weight.view(pw.out_channels, -1),
                                  pw.bias, in2.eps, act2.negative_slope,
                                  kernels)
