"""Export a trained GenISP alone (ONNX or TorchScript), to run in front of
any runtime's detector.

Contract of the exported graph (``docs/export.md``):

* Input ``xyz``: ``(1, 3, H, W)`` float32, any ``H``, ``W`` (dynamic
  axes): packed CIE XYZ as ``LoadRawImageFromFile(mode='xyz')`` (or
  :func:`genisp_mmdet.raw.loader.load_raw_image` with ``mode='xyz'``,
  ``(H, W, 3)`` transposed to ``(1, 3, H, W)``) produces it: black level
  subtracted, divided by the white level, each 2x2 CFA tile one pixel with
  its two greens averaged (half the sensor's resolution), the camera's
  matrix to XYZ applied; about [0, 1].
* Output ``rgb``: ``(1, 3, H, W)`` float32 RGB, nominally [0, 1] (no
  output activation: values outside occur). A detector trained on images
  that mmcv's ``LoadImageFromFile`` loads (0-255, BGR) takes
  ``255 * rgb``, channels flipped to BGR, then that detector's own
  mean/std (and its own ``bgr_to_rgb``), exactly as
  :class:`~genisp_mmdet.models.data_preprocessors.GenISPDataPreprocessor`
  hands it on.

The graph computes ``GenISP.forward`` on a batch of one image, with its
switches (``wb``, ``cc``, ``enhance``), parametrisations and
``normalize``. ONNX is written by torch's TorchScript-based exporter
(``dynamo=False``; the torch.export-based one needs the ``onnxscript``
package), which has no ``aten::linalg_matrix_exp``: in the ONNX graph only,
the matrix exponential of ConvCC's ``'bounded'`` and ``'log'``
parametrisations is :func:`genisp_mmdet.isp.expm.bounded_matrix_exp` with
the ISP's ``max_log_norm`` bound (the same function to float32 rounding).
TorchScript is a trace (``torch.jit.script`` does not compile GenISP) and
keeps ``torch.linalg.matrix_exp``; the trace is checked against the module
on a second input size before the file is written.
"""
from __future__ import annotations

import copy
import io
import os
import warnings
from typing import Optional, Sequence, Tuple, Union

import torch
from torch import Tensor, nn
from torch.overrides import TorchFunctionMode

from ..isp import GenISP
from ..isp.expm import bounded_matrix_exp

FORMATS = ('onnx', 'torchscript')
INPUT_NAME = 'xyz'
OUTPUT_NAME = 'rgb'
DEFAULT_OPSET = 17
# Sizes of the example inputs the graph is traced with (and, for
# TorchScript, checked on); neither is baked into the graph.
TRACE_SIZE = (64, 96)
CHECK_SIZE = (48, 80)

_MATRIX_EXP = (torch.linalg.matrix_exp, torch.matrix_exp,
               torch.Tensor.matrix_exp)


class BoundedMatrixExp(TorchFunctionMode):
    """Within this mode, ``torch.linalg.matrix_exp`` (and
    ``torch.matrix_exp``, ``Tensor.matrix_exp``) is
    :func:`~genisp_mmdet.isp.expm.bounded_matrix_exp` with ``max_norm``:
    products and sums only, which every graph format has.

    Args:
        max_norm: the bound on the norm of every matrix exponentiated
            inside the mode; None: no bound is known, and a matrix
            exponential inside the mode raises ``RuntimeError``.
    """

    def __init__(self, max_norm: Optional[float]):
        super().__init__()
        self.max_norm = max_norm

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in _MATRIX_EXP:
            if self.max_norm is None:
                raise RuntimeError(
                    'the module computes a matrix exponential but gives no '
                    'bound on its input norm (a GenISP gives '
                    'conv_cc.max_log_norm); it cannot be exported as a '
                    'fixed sequence of products')
            a = args[0] if args else kwargs.get('A', kwargs.get('input'))
            return bounded_matrix_exp(a, self.max_norm)
        return func(*args, **kwargs)


class ExportableISP(nn.Module):
    """An ISP as the exported graph computes it: one ``(1, 3, H, W)``
    float32 tensor in, one out.

    Args:
        isp: the ISP (e.g. :class:`~genisp_mmdet.isp.GenISP`); its
            ``forward`` takes an ``(N, 3, H, W)`` tensor.
        replace_matrix_exp: compute matrix exponentials with
            :class:`BoundedMatrixExp`, bounded by
            ``isp.conv_cc.max_log_norm`` (for the ONNX exporter).
    """

    def __init__(self, isp: nn.Module, replace_matrix_exp: bool = False):
        super().__init__()
        self.isp = isp
        self.replace_matrix_exp = replace_matrix_exp
        self.max_log_norm = _max_log_norm(isp)

    def forward(self, xyz: Tensor) -> Tensor:
        """``(1, 3, H, W)`` float32 packed XYZ -> ``(1, 3, H, W)`` float32
        RGB."""
        if not self.replace_matrix_exp:
            return self.isp(xyz)
        with BoundedMatrixExp(self.max_log_norm):
            return self.isp(xyz)


def explicit_instance_norm_affine(module: nn.Module) -> nn.Module:
    """Give every instance norm of ``module`` without an affine transform
    one with scale 1 and offset 0 (in place; the same function).

    The ONNX exporter writes ``InstanceNormalization`` with such constants
    itself, but only where it knows the channel count of the input; after
    ConvCC's ``'log'`` parametrisation (``diagonal``, exported with an
    ``If``) it does not, and refuses. Returns ``module``.
    """
    for m in module.modules():
        if isinstance(m, nn.modules.instancenorm._InstanceNorm) and \
                not m.affine:
            m.affine = True
            m.weight = nn.Parameter(torch.ones(m.num_features))
            m.bias = nn.Parameter(torch.zeros(m.num_features))
    return module


def _max_log_norm(isp: nn.Module) -> Optional[float]:
    conv_cc = getattr(isp, 'conv_cc', None)
    bound = getattr(conv_cc, 'max_log_norm', None)
    return None if bound is None else float(bound)


def example_input(height: int, width: int, seed: int = 0) -> Tensor:
    """A deterministic dark ``(1, 3, height, width)`` float32 input in
    [0, 0.1] (what a low-light packed XYZ image looks like)."""
    g = torch.Generator().manual_seed(seed)
    return torch.rand(1, 3, height, width, generator=g) * 0.1


def export_isp(isp: nn.Module, path: Union[str, os.PathLike], fmt: str,
               opset: int = DEFAULT_OPSET,
               trace_size: Tuple[int, int] = TRACE_SIZE,
               check_size: Tuple[int, int] = CHECK_SIZE) -> str:
    """Write ``isp`` alone as an ONNX or TorchScript file with dynamic
    height and width (the contract in this module's docstring).

    The file takes its final name only when complete
    (:func:`genisp_mmdet.engine.fileio.atomic_write`). ``isp`` itself is
    left as it was (a float32 CPU copy in eval mode is exported).

    Args:
        isp: the ISP module, e.g. a GenISP (``data_preprocessor.isp`` of a
            GenISP model; :func:`load_isp`).
        path: the file to write.
        fmt: ``'onnx'`` or ``'torchscript'``.
        opset: ONNX opset version.
        trace_size: ``(H, W)`` of the input the graph is traced with.
        check_size: ``(H, W)`` of a second input on which the TorchScript
            trace must give the module's output (a different size from
            ``trace_size``).

    Returns:
        ``path`` as a string.

    Raises:
        ValueError: unknown ``fmt``.
        RuntimeError: the TorchScript trace gives another output than the
            module at ``check_size`` (nothing is written).
    """
    from ..engine.fileio import atomic_write
    if fmt not in FORMATS:
        raise ValueError(f'format must be one of {FORMATS}, got {fmt!r}')
    path = os.fspath(path)
    isp = copy.deepcopy(isp).to('cpu', torch.float32).eval()
    example = example_input(*trace_size)
    buf = io.BytesIO()
    with torch.no_grad(), warnings.catch_warnings():
        # The tracer warns where a shape becomes a Python value: the
        # channel checks of InstanceNorm, its "more than one pixel" check,
        # and GenISP's batch size under normalize='mean' (1 in this
        # contract). Height and width stay dynamic (checked below for
        # TorchScript; the tests run both formats on several sizes).
        warnings.filterwarnings('ignore', category=torch.jit.TracerWarning)
        if fmt == 'onnx':
            # The TorchScript-based exporter is chosen on purpose (see the
            # module docstring); torch warns that it is deprecated.
            warnings.filterwarnings(
                'ignore', message='You are using the legacy TorchScript-'
                'based ONNX export', category=DeprecationWarning)
            warnings.filterwarnings('ignore', category=DeprecationWarning,
                                    module=r'torch\.onnx')
            # InstanceNorm2d without running statistics normalises with
            # each image's own statistics in eval mode too, which the
            # exporter calls "train=True".
            warnings.filterwarnings(
                'ignore', message='ONNX export mode is set to '
                "TrainingMode.EVAL, but operator 'instance_norm'")
            axes = {2: 'height', 3: 'width'}
            torch.onnx.export(
                ExportableISP(explicit_instance_norm_affine(isp),
                              replace_matrix_exp=True), (example, ),
                buf, dynamo=False, input_names=[INPUT_NAME],
                output_names=[OUTPUT_NAME], opset_version=opset,
                dynamic_axes={INPUT_NAME: axes, OUTPUT_NAME: axes})
        else:
            module = ExportableISP(isp)
            traced = torch.jit.trace(module, (example, ), check_trace=False)
            _check_trace(traced, module, check_size, path)
            torch.jit.save(traced, buf)
    atomic_write(buf.getvalue(), path)
    return path


def _check_trace(traced, module: nn.Module, size: Tuple[int, int],
                 path: str, atol: float = 1e-5) -> None:
    """Raise if ``traced`` and ``module`` differ on an input of another
    size than the trace's (a size baked into the trace)."""
    x = example_input(*size, seed=1)
    got, want = traced(x), module(x)
    if got.shape != want.shape or not torch.allclose(
            got, want, rtol=0, atol=atol):
        diff = ((got - want).abs().max().item()
                if got.shape == want.shape else None)
        raise RuntimeError(
            f'{path}: not written: the traced ISP differs from the module on '
            f'a (1, 3, {size[0]}, {size[1]}) input (output shape '
            f'{tuple(got.shape)} vs {tuple(want.shape)}, largest difference '
            f'{diff}): the trace depends on the input size')


def _get(cfg, keys: Sequence[str]):
    """``cfg[keys[0]][keys[1]]...``, or None where a key is absent."""
    node = cfg.get(keys[0])
    for key in keys[1:]:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def isp_from_config(config) -> GenISP:
    """The (untrained) GenISP of a model config's
    ``model.data_preprocessor.isp``.

    Args:
        config: a config file path or an mmengine ``Config``.

    Raises:
        ValueError: the config has no ``model.data_preprocessor.isp``, or
            its ISP is not a GenISP, or GenISP refuses its arguments.
    """
    from mmengine.config import Config
    name = config if isinstance(config, (str, os.PathLike)) else \
        (getattr(config, 'filename', None) or 'the config')
    cfg = Config.fromfile(config) if isinstance(
        config, (str, os.PathLike)) else config
    isp_cfg = _get(cfg, ('model', 'data_preprocessor', 'isp'))
    if isp_cfg is None:
        raise ValueError(
            f'{name}: no model.data_preprocessor.isp (not a GenISP model: '
            'its data_preprocessor should be a GenISPDataPreprocessor)')
    kwargs = dict(isp_cfg)
    isp_type = kwargs.pop('type', None)
    type_name = isp_type if isinstance(isp_type, str) else getattr(
        isp_type, '__name__', repr(isp_type))
    if type_name.split('.')[-1] != 'GenISP':
        raise ValueError(
            f'{name}: its ISP is {type_name!r}; only a GenISP is exported '
            '(the fixed ISPs have no trained weights)')
    try:
        return GenISP(**kwargs)
    except (TypeError, ValueError) as e:
        raise ValueError(f'{name}: cannot build its GenISP from '
                         f'{dict(isp_cfg)}: {e}') from e


def load_isp(config, checkpoint: Union[str, os.PathLike],
             prefix: str = 'data_preprocessor.isp.') -> GenISP:
    """The trained GenISP of a config and a checkpoint, in eval mode.

    Weights are read by :func:`genisp_mmdet.utils.load_isp_state_dict`
    (``weights_only``: a checkpoint cannot run code) and must fit the
    config's GenISP exactly.

    Args:
        config: the model config (path or ``Config``).
        checkpoint: an mmengine checkpoint of the whole model (``{
            'state_dict': ...}``) or a plain state dict.
        prefix: key prefix of the ISP's weights ('' for an ISP's own
            state dict).

    Raises:
        KeyError: no weights under ``prefix``.
        ValueError: the weights do not fit the config's GenISP, or the
            config has none (:func:`isp_from_config`).
    """
    from ..utils import load_isp_state_dict
    isp = isp_from_config(config)
    checkpoint = os.fspath(checkpoint)
    state = load_isp_state_dict(checkpoint, prefix)
    try:
        isp.load_state_dict(state, strict=True)
    except RuntimeError as e:
        raise ValueError(
            f'{checkpoint}: its weights under {prefix!r} do not fit the '
            f'GenISP of {config} (different switches or sizes?): {e}'
        ) from e
    return isp.eval()
