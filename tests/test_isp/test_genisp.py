"""GenISP and the fixed ISPs: shapes, gradients, ablations, batching,
conditioning, fp32 under autocast."""
import math

import pytest
import torch

from genisp_mmdet.isp import (ClassicISP, ConvCC, ConvWB, GenISP, IdentityISP,
                              LinearISP)


def _images(n=2, h=48, w=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 3, h, w, generator=g) * 0.05


def test_genisp_shapes_and_gradients_reach_every_parameter():
    torch.manual_seed(0)
    isp = GenISP()
    x = _images()
    y = isp(x)
    assert y.shape == x.shape and y.dtype == torch.float32
    y.square().mean().backward()
    for name, p in isp.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


@pytest.mark.parametrize('wb,cc,enhance', [(False, True, True),
                                           (True, False, True),
                                           (True, True, False),
                                           (False, False, True)])
def test_ablation_switches_remove_modules(wb, cc, enhance):
    isp = GenISP(wb=wb, cc=cc, enhance=enhance)
    assert (isp.conv_wb is not None) == wb
    assert (isp.conv_cc is not None) == cc
    assert (isp.enhance is not None) == enhance
    x = _images()
    assert isp(x).shape == x.shape


def test_without_enhance_output_is_linear_in_pixels():
    """WB and CC are global: per-pixel linear maps of their input."""
    torch.manual_seed(0)
    isp = GenISP(enhance=False)
    x = _images(n=1)
    y = isp(x)
    # Output at one pixel equals M @ diag(g) @ input at that pixel.
    thumb = torch.nn.functional.interpolate(
        x, size=(256, 256), mode='bilinear', align_corners=False)
    gains = isp.conv_wb.gains(thumb)
    m = isp.conv_cc.matrices(thumb * gains[:, :, None, None])
    px = x[0, :, 5, 7]
    torch.testing.assert_close(y[0, :, 5, 7], m[0] @ (gains[0] * px))


def test_list_input_equals_per_image_batches():
    torch.manual_seed(0)
    isp = GenISP()
    imgs = [_images(1, 48, 64, 1)[0], _images(1, 40, 56, 2)[0],
            _images(1, 48, 64, 3)[0]]
    out = isp(imgs)
    assert [o.shape for o in out] == [i.shape for i in imgs]
    for img, o in zip(imgs, out):
        torch.testing.assert_close(o, isp(img[None])[0], rtol=1e-5,
                                   atol=1e-5)


def test_padding_does_not_leak_into_global_estimates():
    """An image's output does not depend on the other images in a batch,
    even of other sizes (no shared padding)."""
    torch.manual_seed(0)
    isp = GenISP()
    a = _images(1, 48, 64, 1)[0]
    b_small = _images(1, 32, 40, 2)[0]
    b_large = _images(1, 64, 96, 2)[0]
    torch.testing.assert_close(isp([a, b_small])[0], isp([a, b_large])[0])


def test_fp32_under_autocast():
    isp = GenISP()
    x = _images()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        y = isp(x)
    assert y.dtype == torch.float32


def test_white_balance_and_colour_matrix_are_well_conditioned():
    torch.manual_seed(0)
    wb, cc = ConvWB(), ConvCC()
    # Push the encoders' last layers to extreme outputs.
    with torch.no_grad():
        wb.encoder.fc.bias.copy_(torch.tensor([50.0, -50.0, 0.0]))
        cc.encoder.fc.bias.copy_(torch.linspace(-40, 40, 9))
    thumb = torch.rand(2, 3, 256, 256)
    g = wb.gains(thumb)
    assert torch.isfinite(g).all() and (g > 0).all()
    assert (g.max(1).values / g.min(1).values).max() <= 64 * (1 + 1e-5)
    m = cc.matrices(thumb)
    cond = torch.linalg.cond(m)
    assert torch.isfinite(cond).all()
    assert cond.max() <= math.exp(2 * cc.max_log_norm) * (1 + 1e-4)
    assert (torch.linalg.det(m) > 0).all()


def test_identity_at_initialisation():
    """WB gains start at 1 and the colour matrix at the identity."""
    wb, cc = ConvWB(), ConvCC()
    with torch.no_grad():
        wb.encoder.fc.weight.zero_()
        cc.encoder.fc.weight.zero_()
    thumb = torch.rand(1, 3, 256, 256)
    torch.testing.assert_close(wb.gains(thumb), torch.ones(1, 3))
    torch.testing.assert_close(cc.matrices(thumb), torch.eye(3)[None])


def test_fixed_isps():
    x = _images()
    assert torch.equal(IdentityISP()(x), x)
    lin = LinearISP(target_mean=0.2)(x)
    torch.testing.assert_close(lin.mean(dim=(1, 2, 3)),
                               torch.full((2, ), 0.2), atol=1e-3, rtol=0)
    out = ClassicISP()(x)
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1
    # Gray world: after the tone curve, the channel means are close.
    lin_srgb = ClassicISP(input_space='linear_srgb')(x * torch.tensor(
        [2.0, 1.0, 0.5])[None, :, None, None])
    means = lin_srgb.mean(dim=(2, 3))
    assert (means.max(1).values - means.min(1).values).max() < 0.05
    with pytest.raises(ValueError):
        ClassicISP(input_space='lab')
