"""genisp_mmdet.isp.fused computes ShallowConvNet.body: the same outputs and
gradients by every path (plain kernels in float64, compiled kernels in
float32 as close to a float64 reference as the layer-by-layer form), and
falls back to the eager path, with a logged warning, when compiling
fails."""
import logging

import pytest
import torch
from torch import nn

from genisp_mmdet.isp import GenISP
from genisp_mmdet.isp import fused
from genisp_mmdet.isp.fused import (CHUNK_BYTES, Kernels, NormAct,
                                    NormActPointwise, chunk_size,
                                    resolve_path, shallow_forward,
                                    using_path)
from genisp_mmdet.isp.genisp import ShallowConvNet


def _net(seed=0, dtype=torch.float64):
    torch.manual_seed(seed)
    net = ShallowConvNet().to(dtype)
    with torch.no_grad():  # away from PyTorch's initialisation
        for p in net.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    return net


def _outputs_and_grads(net, fn, x, g):
    net.zero_grad()
    x = x.detach().requires_grad_()
    out = fn(x)
    out.backward(g)
    return dict(out=out.detach(), x=x.grad,
                **{n: p.grad.clone()
                   for n, p in net.named_parameters()})


def _assert_close(a, b, rtol, atol_scale):
    """Each gradient within ``rtol`` and an absolute tolerance relative to
    the largest value of its kind (the biases of the convolutions before
    InstanceNorm have a true gradient of zero: both sides are rounding
    there)."""
    scale = max(v.abs().max().item() for k, v in b.items() if k != 'out')
    for k in b:
        atol = atol_scale * (b[k].abs().max().item() if k == 'out'
                             else scale)
        torch.testing.assert_close(a[k], b[k], rtol=rtol, atol=atol, msg=k)


@pytest.mark.parametrize('checkpoint', [False, True])
@pytest.mark.parametrize('chunk_bytes', [CHUNK_BYTES, 1])
def test_fused_path_equals_body_in_double_precision(checkpoint,
                                                    chunk_bytes):
    """Plain kernels (no compiler): the function, its input gradient and
    every parameter gradient; ``chunk_bytes=1`` splits the batch into
    single images."""
    net = _net()
    g = torch.Generator().manual_seed(1)
    x = torch.rand(3, 3, 20, 28, generator=g, dtype=torch.float64)
    grad = torch.randn(3, 3, 20, 28, generator=g, dtype=torch.float64)
    ref = _outputs_and_grads(net, net.body, x, grad)
    fast = _outputs_and_grads(
        net, lambda t: shallow_forward(net, t, 'fused', checkpoint,
                                       Kernels(None), chunk_bytes), x, grad)
    _assert_close(fast, ref, rtol=1e-9, atol_scale=1e-12)


@pytest.mark.parametrize('checkpoint', [False, True])
def test_eager_path_is_the_module_forward(checkpoint):
    net = _net(seed=3, dtype=torch.float32)
    x = torch.rand(2, 3, 16, 24)
    grad = torch.randn(2, 3, 16, 24)
    ref = _outputs_and_grads(net, net, x, grad)
    eager = _outputs_and_grads(
        net, lambda t: shallow_forward(net, t, 'eager', checkpoint), x, grad)
    for k in ref:
        torch.testing.assert_close(eager[k], ref[k], rtol=0, atol=0, msg=k)


@pytest.mark.parametrize('bias', [True, False])
def test_autograd_functions_pass_gradcheck(bias):
    torch.manual_seed(0)
    kernels = Kernels(None)
    y = torch.randn(2, 5, 4, 6, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda t: NormAct.apply(t, 1e-5, 0.01, kernels), (y, ))
    w = torch.randn(3, 5, dtype=torch.float64, requires_grad=True)
    if bias:
        b = torch.randn(3, dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(
            lambda t, v, c: NormActPointwise.apply(t, v, c, 1e-5, 0.01,
                                                   kernels), (y, w, b))
    else:
        assert torch.autograd.gradcheck(
            lambda t, v: NormActPointwise.apply(t, v, None, 1e-5, 0.01,
                                                kernels), (y, w))


def test_compiled_kernels_in_float32_are_as_accurate_as_the_eager_path():
    """The compiled kernels (torch.compile, C++ on CPU; the first run
    compiles four small graphs, several seconds, cached on disk after) in
    float32, against the float64 body: errors within a few times those of
    the float32 layer-by-layer form."""
    net64 = _net(seed=5)
    net32 = _net(seed=5, dtype=torch.float32)
    g = torch.Generator().manual_seed(2)
    x = torch.rand(2, 3, 24, 32, generator=g, dtype=torch.float64) * 0.05
    grad = torch.randn(2, 3, 24, 32, generator=g, dtype=torch.float64)
    ref = _outputs_and_grads(net64, net64.body, x, grad)
    eager = _outputs_and_grads(net32, net32.body, x.float(), grad.float())
    kernels = Kernels()
    fast = _outputs_and_grads(
        net32, lambda t: shallow_forward(net32, t, 'fused', kernels=kernels),
        x.float(), grad.float())
    if kernels.failure:
        pytest.skip(f'no working compiler here: {kernels.failure[:200]}')
    scale = max(v.abs().max().item() for k, v in ref.items() if k != 'out')
    for k in ref:
        err_fast = (fast[k].double() - ref[k]).abs().max().item()
        err_eager = (eager[k].double() - ref[k]).abs().max().item()
        floor = 1e-6 * (ref[k].abs().max().item() if k == 'out' else scale)
        assert err_fast <= 4 * err_eager + floor, (k, err_fast, err_eager)


def _raising_backend(calls):
    def backend(gm, example_inputs):
        calls.append(1)
        raise RuntimeError('no C++ compiler on this machine')

    return backend


def test_compile_failure_is_logged_once_and_the_path_goes_eager(caplog):
    calls = []
    kernels = Kernels(lambda fn: torch.compile(
        fn, backend=_raising_backend(calls), dynamic=True, fullgraph=True))
    net = _net(seed=1, dtype=torch.float32)
    x = torch.rand(2, 3, 128, 128)
    assert resolve_path('auto', x, kernels) == 'fused'
    with caplog.at_level(logging.WARNING, logger=fused.__name__):
        out = shallow_forward(net, x, 'auto', kernels=kernels)
        out.sum().backward()
        again = shallow_forward(net, x, 'auto', kernels=kernels)
    torch.testing.assert_close(out, net.body(x), rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(again, shallow_forward(net, x, 'eager'),
                               rtol=0, atol=0)
    assert kernels.failure and 'no C++ compiler' in kernels.failure
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert 'using the eager path' in warnings[0].getMessage()
    assert resolve_path('auto', x, kernels) == 'eager'
    assert len(calls) == 1  # nothing compiled after the failure


def test_compile_fn_raising_falls_back():
    def broken(fn):
        raise ImportError('torch._inductor unavailable')

    kernels = Kernels(broken)
    net = _net(seed=2, dtype=torch.float32)
    x = torch.rand(1, 3, 20, 20)
    out = shallow_forward(net, x, 'fused', kernels=kernels)
    torch.testing.assert_close(out, net.body(x), rtol=1e-4, atol=1e-5)
    assert 'ImportError' in kernels.failure and not kernels.compiling


def test_missing_cxx_compiler_falls_back(monkeypatch, tmp_path):
    """Inductor pointed at a C++ compiler that does not exist (and at an
    empty cache): the compiled kernel fails for real and the call still
    returns the body's output."""
    from torch._inductor import config
    monkeypatch.setattr(config.cpp, 'cxx', (None, str(tmp_path / 'no-g++')))
    monkeypatch.setattr(config, 'fx_graph_cache', False)
    monkeypatch.setenv('TORCHINDUCTOR_CACHE_DIR', str(tmp_path / 'cache'))
    kernels = Kernels(lambda fn: torch.compile(fn, dynamic=False))
    y = torch.randn(2, 4, 5, 7)
    z = NormAct.apply(y, 1e-5, 0.01, kernels)
    ref = nn.functional.leaky_relu(nn.functional.instance_norm(y), 0.01)
    torch.testing.assert_close(z, ref, rtol=1e-5, atol=1e-6)
    assert 'compiler' in kernels.failure.lower()


def test_auto_compiles_only_large_float32_cpu_images():
    kernels = Kernels(None)  # never compiles: 'auto' is always eager
    assert resolve_path('auto', torch.empty(1, 3, 256, 256), kernels) == \
        'eager'
    compiling = Kernels()
    assert resolve_path('auto', torch.empty(1, 3, 256, 256), compiling) == \
        'fused'
    assert resolve_path('auto', torch.empty(8, 3, 40, 56), compiling) == \
        'eager'
    assert resolve_path('auto', torch.empty(
        1, 3, 256, 256, dtype=torch.float64), compiling) == 'eager'
    assert resolve_path('eager', torch.empty(1, 3, 256, 256), compiling) \
        == 'eager'
    with pytest.raises(ValueError, match='path must be one of'):
        resolve_path('fast', torch.empty(1, 3, 8, 8), compiling)


def test_default_path_from_environment_and_using_path(monkeypatch):
    x = torch.empty(1, 3, 256, 256)
    kernels = Kernels()
    monkeypatch.setenv(fused.ENV_PATH, 'eager')
    assert resolve_path(None, x, kernels) == 'eager'
    with using_path('fused'):
        assert resolve_path(None, x, kernels) == 'fused'
    assert resolve_path(None, x, kernels) == 'eager'
    assert resolve_path('fused', x, kernels) == 'fused'


def test_chunks_only_where_an_image_fits_under_the_threshold():
    # 320x240: 19.7 MB a 64-channel image, 157 MB for 8 -> one at a time.
    assert chunk_size(torch.empty(8, 3, 240, 320)) == 1
    # 1333x800: one image is 273 MB already -> the whole batch.
    assert chunk_size(torch.empty(2, 3, 800, 1333)) == 2
    # A batch under the threshold stays whole; 64x64 images come in 32s.
    assert chunk_size(torch.empty(1, 3, 240, 320)) == 1
    assert chunk_size(torch.empty(4, 3, 64, 64)) == 4
    assert chunk_size(torch.empty(100, 3, 64, 64)) == 32


def test_unknown_body_is_computed_as_it_is():
    net = _net(dtype=torch.float32)
    net.body[1] = nn.InstanceNorm2d(16, affine=True)
    x = torch.rand(1, 3, 130, 130)
    torch.testing.assert_close(
        shallow_forward(net, x, 'fused', kernels=Kernels(None)), net.body(x),
        rtol=0, atol=0)


def test_genisp_wires_its_settings_to_the_fast_path():
    """``enhance_cfg`` reaches the ShallowConvNet; its forward is
    shallow_forward with them, equal to its body by every path; tracing
    sees the layers (eager) whatever the path."""
    isp = GenISP(resize=32, enhance_cfg=dict(path='fused', checkpoint=True))
    net = isp.enhance
    assert net.path == 'fused' and net.checkpoint
    with pytest.raises(ValueError, match='path must be one of'):
        ShallowConvNet(path='fast')
    x = torch.rand(2, 3, 130, 140, requires_grad=True)
    torch.testing.assert_close(net(x), net.body(x), rtol=1e-4, atol=1e-5)
    seen = []
    real = fused.resolve_path

    def spy(path, t, kernels=None):
        seen.append(real(path, t, kernels))
        return seen[-1]

    fused.resolve_path = spy
    try:
        torch.jit.trace(net, (x.detach(), ), check_trace=False)
    finally:
        fused.resolve_path = real
    assert seen == ['eager']
