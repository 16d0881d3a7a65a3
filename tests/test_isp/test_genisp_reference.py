"""GenISP.forward computes the plain layer-by-layer definition
(genisp_reference): the same outputs and the same gradients, for every
ablation switch, parametrisation, normalisation and tone curve."""
import pytest
import torch

from genisp_mmdet.isp import GenISP
from genisp_mmdet.isp.genisp import genisp_reference, pointwise_conv


def _isp(seed=0, **kwargs):
    torch.manual_seed(seed)
    isp = GenISP(**kwargs)
    # Away from the identity start, so that every stage matters.
    with torch.no_grad():
        for p in isp.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    return isp


def _grads(isp, outputs, weights):
    isp.zero_grad()
    sum((o * w).sum() for o, w in zip(outputs, weights)).backward()
    return {n: p.grad.clone() for n, p in isp.named_parameters()}


@pytest.mark.parametrize('kwargs', [
    dict(),
    dict(wb=False),
    dict(cc=False),
    dict(enhance=False),
    dict(wb_cfg=dict(parametrization='direct'),
         cc_cfg=dict(parametrization='direct'), normalize=None, tone=None),
    dict(wb_cfg=dict(parametrization='bounded'),
         cc_cfg=dict(parametrization='bounded'), normalize=None, tone=None),
    dict(tone=None),
    dict(cc_cfg=dict(parametrization='unit')),
    dict(tone_gain='learned'),
    dict(normalize='mean', wb_cfg=dict(parametrization='log'),
         cc_cfg=dict(parametrization='log'), tone=None),
    dict(normalize='mean', cc=False),
    dict(normalize='mean', wb=False, cc=False),
    dict(normalize='median', tone='log'),
])
def test_forward_and_gradients_equal_the_reference(kwargs):
    """In double precision, where the two computations differ by rounding
    alone: in fp32 the gradients of the convolutions before InstanceNorm
    sum many nearly cancelling terms, and batching two images instead of
    one changes them by up to a few per cent on some CPUs."""
    isp = _isp(**kwargs).double()
    g = torch.Generator().manual_seed(1)
    images = [torch.rand(3, 40, 56, generator=g).double() * 0.05
              for _ in range(2)]
    images.append(torch.rand(3, 32, 48, generator=g).double() * 0.05)
    weights = [torch.randn(3, *i.shape[1:], generator=g).double()
               for i in images]

    fast = isp(images)
    ref = genisp_reference(isp, images)
    for f, r in zip(fast, ref):
        assert f.dtype == torch.float64
        torch.testing.assert_close(f, r, rtol=1e-9, atol=1e-12)
    g_fast, g_ref = _grads(isp, fast, weights), _grads(isp, ref, weights)
    assert g_fast.keys() == g_ref.keys()
    # The biases of the convolutions before InstanceNorm have a true
    # gradient of zero: both sides are rounding there, so the absolute
    # tolerance is relative to the largest gradient.
    scale = max(g.abs().max().item() for g in g_ref.values())
    for name in g_ref:
        torch.testing.assert_close(g_fast[name], g_ref[name], rtol=1e-7,
                                   atol=1e-9 * scale, msg=name)


def test_median_normalisation_is_torch_median():
    """The exposure scale of normalize='median' (computed through a sort,
    which ONNX can export) is target_mean over torch.median of the
    thumbnail's Y, with its gradient on that one pixel; a few bright lamps
    do not move it, where they move the mean."""
    isp = GenISP(resize=16)
    g = torch.Generator().manual_seed(0)
    thumb = (torch.rand(3, 3, 16, 16, generator=g) * 0.01).requires_grad_()
    scale = isp.exposure_scale(thumb)
    median = thumb[:, 1].flatten(1).median(dim=1).values
    torch.testing.assert_close(scale, isp.target_mean / median)
    scale.sum().backward()
    assert ((thumb.grad != 0).flatten(1).sum(1) == 1).all()
    lamps = thumb.detach().clone()
    lamps[:, :, :2, :2] = 100.0  # 4 of 256 pixels, 10^4 times brighter
    # the median moves by at most the 4 ranks the lamps took
    torch.testing.assert_close(isp.exposure_scale(lamps),
                               isp.exposure_scale(thumb.detach()),
                               rtol=0.05, atol=0)
    mean = GenISP(resize=16, normalize='mean')
    assert (mean.exposure_scale(lamps) <
            0.01 * mean.exposure_scale(thumb.detach())).all()


def test_batch_tensor_equals_reference():
    isp = _isp(seed=2)
    x = torch.rand(4, 3, 24, 40) * 0.05
    torch.testing.assert_close(isp(x), torch.stack(genisp_reference(isp, x)),
                               rtol=1e-4, atol=1e-5)


def test_pointwise_conv_is_the_1x1_convolution():
    torch.manual_seed(0)
    for bias in (True, False):
        conv = torch.nn.Conv2d(64, 3, 1, bias=bias)
        x = torch.randn(2, 64, 9, 11, requires_grad=True)
        torch.testing.assert_close(pointwise_conv(x, conv), conv(x))
        gx, = torch.autograd.grad(pointwise_conv(x, conv).square().sum(), x)
        gx_ref, = torch.autograd.grad(conv(x).square().sum(), x)
        torch.testing.assert_close(gx, gx_ref)
