"""Exporting the ISP alone: the matrix exponential of the ONNX graph, the
ONNX and TorchScript files against ``GenISP.forward`` (every
parametrisation, ``normalize``, the ablation switches; two input sizes and
a real DNG), and tools/export_isp.py from a checkpoint."""
import importlib.util
import math
import os
import re
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from genisp_mmdet.apis.export import (BoundedMatrixExp, INPUT_NAME,
                                      OUTPUT_NAME, export_isp, load_isp)
from genisp_mmdet.isp import GenISP
from genisp_mmdet.isp.expm import bounded_matrix_exp, num_squarings
from genisp_mmdet.raw.loader import load_raw_image
from ..conftest import REPO, shared_file

ATOL = 1e-4
# Small (fast) sizes: a 256x256 thumbnail is upsampled from the first, from
# the second's height and downsampled from its width.
SIZES = ((72, 120), (136, 296))
LOG = dict(parametrization='log')
DIRECT = dict(parametrization='direct')
BOUNDED = dict(parametrization='bounded')
CASES = {
    # Every parametrisation, normalize None, 'mean' and 'median', tone on
    # and off, each stage off once. The default GenISP as configured
    # (256x256 thumbnails); the others on 64x64 thumbnails (faster; the
    # graph holds the size as a constant either way).
    'default': dict(),
    'bounded': dict(wb_cfg=BOUNDED, cc_cfg=BOUNDED, normalize=None,
                    tone=None, resize=64),
    'direct': dict(wb_cfg=DIRECT, cc_cfg=DIRECT, normalize=None, tone=None,
                   resize=64),
    'log-mean': dict(normalize='mean', wb_cfg=LOG, cc_cfg=LOG, resize=64),
    'no-wb': dict(wb=False, normalize='mean', resize=64),
    'no-cc-no-enhance': dict(cc=False, enhance=False, normalize='mean',
                             resize=64),
    'enhance-only': dict(wb=False, cc=False, resize=64),
}


def _frobenius_rel(x, ref):
    return ((x - ref).flatten(-2).norm(dim=-1) /
            ref.flatten(-2).norm(dim=-1)).max().item()


def _bounded_set(n=20000, max_norm=2.0, seed=0):
    """``(n, 3, 3)`` float64 matrices with ``||A||_F <= max_norm``: random
    directions (a tenth exactly on the bound, a tenth trace-free as in the
    'log' parametrisation), plus +-max_norm diagonals and rotations."""
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(n, 3, 3, generator=g, dtype=torch.float64)
    eye = torch.eye(3, dtype=torch.float64)
    tr = a[:n // 10].diagonal(dim1=1, dim2=2).mean(1)[:, None, None]
    a[:n // 10] = a[:n // 10] - tr * eye
    r = torch.rand(n, generator=g, dtype=torch.float64) ** 0.3 * max_norm
    r[n // 10:n // 5] = max_norm
    a = a / a.flatten(1).norm(dim=1)[:, None, None] * r[:, None, None]
    skew = torch.tensor([[0., -1, 0], [1, 0, 0], [0, 0, 0]],
                        dtype=torch.float64) * (max_norm / math.sqrt(2))
    special = torch.stack([eye * max_norm / math.sqrt(3),
                           -eye * max_norm / math.sqrt(3), skew,
                           torch.zeros(3, 3, dtype=torch.float64)])
    return torch.cat([a, special])


def test_bounded_matrix_exp_matches_torch_on_the_bounded_set():
    a = _bounded_set()
    assert a.flatten(1).norm(dim=1).max() <= 2.0 + 1e-12
    ref = torch.linalg.matrix_exp(a)
    # float64: the approximant itself (truncation, squarings).
    assert _frobenius_rel(bounded_matrix_exp(a, 2.0), ref) < 1e-10
    # float32, as in the exported graph: against float64 and against
    # torch's own float32 matrix_exp.
    a32 = a.float()
    e32 = bounded_matrix_exp(a32, 2.0)
    assert e32.dtype == torch.float32 and e32.shape == a.shape
    assert _frobenius_rel(e32.double(), ref) < 1e-6
    assert _frobenius_rel(e32, torch.linalg.matrix_exp(a32)) < 1e-6
    # Any leading batch shape.
    assert torch.equal(bounded_matrix_exp(a32[:6].view(2, 3, 3, 3), 2.0),
                       e32[:6].view(2, 3, 3, 3))


def test_bounded_matrix_exp_squarings_follow_the_bound():
    assert [num_squarings(b) for b in (0, 0.5, 0.51, 1, 2, 30)] == [
        0, 0, 1, 1, 2, 6]
    a = _bounded_set(200, max_norm=30.0, seed=1)
    ref = torch.linalg.matrix_exp(a)
    assert _frobenius_rel(bounded_matrix_exp(a, 30.0), ref) < 1e-10
    # A bound too small for the input: the polynomial is far off.
    assert _frobenius_rel(bounded_matrix_exp(a, 2.0), ref) > 1e-2
    for bad in (-1.0, float('inf'), float('nan')):
        with pytest.raises(ValueError, match='max_norm'):
            num_squarings(bad)
    with pytest.raises(ValueError, match='n, n'):
        bounded_matrix_exp(torch.zeros(2, 3), 2.0)


def test_bounded_matrix_exp_mode_needs_a_bound():
    a = torch.zeros(1, 3, 3)
    with BoundedMatrixExp(2.0):
        assert torch.equal(torch.linalg.matrix_exp(a), torch.eye(3)[None])
    with BoundedMatrixExp(None), pytest.raises(RuntimeError,
                                               match='no bound'):
        torch.linalg.matrix_exp(a)


def make_isp(case, seed=0):
    """A GenISP of ``CASES[case]`` with weights moved away from the
    identity start: every encoder's last layer random (gains and matrices
    far from 1 and I), every other weight perturbed."""
    torch.manual_seed(seed)
    isp = GenISP(**CASES[case])
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in isp.parameters():
            p.add_(torch.randn(p.shape, generator=g) * 0.02)
        for stage in (isp.conv_wb, isp.conv_cc):
            if stage is not None:
                stage.encoder.fc.weight.normal_(0, 0.3, generator=g)
                stage.encoder.fc.bias.normal_(0, 0.3, generator=g)
    return isp.eval()


def synthetic_input(h, w, seed=0):
    """A dark ``(1, 3, h, w)`` image with a colour cast and a gradient."""
    g = torch.Generator().manual_seed(seed)
    ramp = torch.linspace(0.2, 1.0, w)[None, None, None]
    cast = torch.tensor([0.6, 1.0, 0.4])[None, :, None, None]
    return (torch.rand(1, 3, h, w, generator=g) * ramp * cast * 0.1)


@pytest.mark.parametrize('case', CASES)
def test_perturbed_isp_uses_every_stage(case):
    isp = make_isp(case)
    x = synthetic_input(*SIZES[0])
    with torch.no_grad():
        st = isp.global_stages(x)
        y = isp(x)
    if isp.enhance is not None:
        # Instance norms bring the dark input to unit scale.
        assert y.std() > 10 * x.std()
    if isp.normalize:
        assert st.scale.item() > 2  # the input is dark
    if isp.conv_wb is not None:
        assert st.gains.log().abs().max() > 0.1, st.gains
    if isp.conv_cc is not None:
        eye = torch.eye(3)
        assert (st.matrix - eye).norm() > 0.3, st.matrix
        for norm, bound in isp.conv_cc.squash_inputs(st.cc_out):
            assert 0.3 * bound < norm.item() < 2 * bound


@pytest.fixture(scope='module')
def exported(tmp_path_factory):
    """``get(case, fmt)`` -> ``(isp, run)``: the perturbed ISP and a
    function running its exported file on a ``(1, 3, H, W)`` tensor
    (numpy out). Each file is exported once per module."""
    root = tmp_path_factory.mktemp('export')
    cache = {}

    def get(case, fmt):
        if (case, fmt) not in cache:
            isp = make_isp(case)
            path = export_isp(isp, root / f'{case}.{fmt}', fmt)
            if fmt == 'onnx':
                sess = ort.InferenceSession(
                    path, providers=['CPUExecutionProvider'])

                def run(x, sess=sess):
                    return sess.run([OUTPUT_NAME],
                                    {INPUT_NAME: x.numpy()})[0]
            else:
                module = torch.jit.load(path)

                def run(x, module=module):
                    with torch.no_grad():
                        return module(x).numpy()
            cache[case, fmt] = isp, run
        return cache[case, fmt]

    return get


_REFERENCE = {}


def reference(case, isp, name, x):
    """``isp(x)`` in PyTorch, numpy; computed once per case and input."""
    if (case, name) not in _REFERENCE:
        with torch.no_grad():
            _REFERENCE[case, name] = isp(x).numpy()
    return _REFERENCE[case, name]


def _max_diff(ref, run, x):
    out = run(x)
    assert out.shape == ref.shape and out.dtype == np.float32
    return float(np.abs(out - ref).max())


@pytest.mark.parametrize('fmt', ['onnx', 'torchscript'])
@pytest.mark.parametrize('case', CASES)
def test_export_matches_pytorch_on_two_sizes(exported, case, fmt):
    isp, run = exported(case, fmt)
    for i, (h, w) in enumerate(SIZES):
        x = synthetic_input(h, w, seed=i)
        ref = reference(case, isp, (h, w), x)
        assert _max_diff(ref, run, x) < ATOL


@pytest.fixture(scope='module')
def real_xyz():
    """A real DNG's loaded image, its central 256x480, 2x2-averaged to
    ``(1, 3, 128, 240)`` float32 (small, for speed)."""
    img = load_raw_image(shared_file('real-raw', 'Blackmagic.dng'),
                         mode='xyz').img
    h, w = img.shape[:2]
    top, left = (h - 256) // 2, (w - 480) // 2
    crop = torch.from_numpy(np.ascontiguousarray(
        img[top:top + 256, left:left + 480].transpose(2, 0, 1)))
    return torch.nn.functional.avg_pool2d(crop[None], 2)


@pytest.mark.parametrize('fmt', ['onnx', 'torchscript'])
@pytest.mark.parametrize('case', CASES)
def test_export_matches_pytorch_on_a_real_dng(exported, real_xyz, case,
                                              fmt):
    assert real_xyz.shape == (1, 3, 128, 240)
    assert real_xyz.dtype == torch.float32 and real_xyz.std() > 0.01
    isp, run = exported(case, fmt)
    ref = reference(case, isp, 'Blackmagic.dng', real_xyz)
    assert _max_diff(ref, run, real_xyz) < ATOL


class _SizeInTheGraph(torch.nn.Module):
    """Multiplies by the input's height as a Python number: a trace bakes
    that number in."""

    def forward(self, x):
        return x * float(x.shape[2])


def test_torchscript_export_refuses_a_trace_that_bakes_in_the_size(
        tmp_path):
    path = tmp_path / 'baked.pt'
    with pytest.raises(RuntimeError, match='depends on the input size'):
        export_isp(_SizeInTheGraph(), path, 'torchscript')
    assert not path.exists()


def test_onnx_file_declares_the_contract(exported, tmp_path):
    isp = make_isp('no-wb')
    path = export_isp(isp, tmp_path / 'isp.onnx', 'onnx')
    model = onnx.load(path)
    onnx.checker.check_model(model)
    (inp, ), (out, ) = model.graph.input, model.graph.output
    assert (inp.name, out.name) == (INPUT_NAME, OUTPUT_NAME)
    assert inp.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    dims = [d.dim_value or d.dim_param for d in inp.type.tensor_type.shape.dim]
    assert dims == [1, 3, 'height', 'width']
    ops = {n.op_type for n in model.graph.node}
    assert 'InstanceNormalization' in ops and 'Einsum' in ops
    # The ISP given is left as it was (its instance norms without affine).
    assert not any(getattr(m, 'affine', False) for m in isp.modules())
    # A batch of two is outside the contract, and refused.
    _, run = exported('no-wb', 'onnx')
    with pytest.raises(Exception, match='(?i)dimension|shape'):
        run(torch.zeros(2, 3, 64, 64))


def cli_main(argv):
    """tools/export_isp.py's ``main`` run in this process."""
    spec = importlib.util.spec_from_file_location(
        'export_isp_cli', os.path.join(REPO, 'tools', 'export_isp.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main(argv)


def _write_checkpoint(path, isp):
    """A GenISP model's checkpoint as mmengine writes it: the ISP under
    'data_preprocessor.isp.', a detector beside it, meta."""
    state = {f'data_preprocessor.isp.{k}': v
             for k, v in isp.state_dict().items()}
    state['backbone.conv1.weight'] = torch.randn(8, 3, 3, 3)
    torch.save(dict(meta=dict(epoch=3), state_dict=state), path)


def _write_config(path, isp_cfg):
    base = os.path.join(REPO, 'configs', 'genisp',
                        'genisp_retinanet_r18-slim_fpn_12e_synthetic-raw.py')
    path.write_text(
        f'_base_ = [{base!r}]\n'
        f'model = dict(data_preprocessor=dict(isp=dict(_delete_=True, '
        f'**{isp_cfg!r})))\n')
    return path


def test_cli_exports_a_checkpoint(tmp_path):
    isp = make_isp('log-mean', seed=3)
    ckpt = tmp_path / 'epoch_3.pth'
    _write_checkpoint(ckpt, isp)
    cfg = _write_config(tmp_path / 'cfg.py',
                        dict(type='GenISP', **CASES['log-mean']))
    out = tmp_path / 'isp.onnx'
    proc = subprocess.run(
        [sys.executable, 'tools/export_isp.py', str(ckpt), '--config',
         str(cfg), '--format', 'onnx', '--out', str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert f'wrote {out}' in proc.stdout
    x = synthetic_input(120, 200, seed=5)
    with torch.no_grad():
        ref = isp(x).numpy()
    sess = ort.InferenceSession(str(out), providers=['CPUExecutionProvider'])
    got = sess.run(None, {INPUT_NAME: x.numpy()})[0]
    assert np.abs(got - ref).max() < ATOL

    # The same command line in this process, TorchScript.
    ts = tmp_path / 'isp.pt'
    cli_main([str(ckpt), '--config', str(cfg), '--format', 'torchscript',
              '--out', str(ts)])
    with torch.no_grad():
        got = torch.jit.load(str(ts))(x).numpy()
    assert np.abs(got - ref).max() < ATOL


def _names(path, reason):
    """A ``match`` pattern: the message names ``path``, then ``reason``."""
    return f'{re.escape(str(path))}.*{reason}'


def test_load_isp_errors_name_the_file_and_reason(tmp_path):
    isp = make_isp('bounded')
    ckpt = tmp_path / 'model.pth'
    _write_checkpoint(ckpt, isp)
    # The checkpoint's ISP has an enhancement stage; this config's not.
    other = _write_config(tmp_path / 'no_enhance.py',
                          dict(type='GenISP', enhance=False))
    with pytest.raises(ValueError, match=_names(ckpt, 'do not fit.*enhance')):
        load_isp(other, ckpt)
    # No ISP weights under the prefix.
    bare = tmp_path / 'detector.pth'
    torch.save(dict(state_dict={'backbone.w': torch.zeros(1)}), bare)
    with pytest.raises(SystemExit, match=_names(bare, 'no weights')):
        cli_main([str(bare), '--config', str(other), '--format', 'onnx',
                  '--out', str(tmp_path / 'x.onnx')])
    # Configs without a GenISP.
    plain = tmp_path / 'plain.py'
    plain.write_text("model = dict(type='RetinaNet')\n")
    with pytest.raises(ValueError,
                       match=_names(plain, r'no model\.data_preprocessor')):
        load_isp(plain, ckpt)
    fixed = tmp_path / 'fixed.py'
    fixed.write_text("model = dict(data_preprocessor=dict("
                     "isp=dict(type='ClassicISP')))\n")
    with pytest.raises(ValueError, match=_names(fixed, "'ClassicISP'")):
        load_isp(fixed, ckpt)
    assert not (tmp_path / 'x.onnx').exists()
