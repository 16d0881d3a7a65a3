"""The fixed ISPs: IdentityISP, LinearISP and ClassicISP's gray world, auto
exposure, tone curve, input spaces and per-image statistics; the torch
sRGB curve equals the numpy one."""
import numpy as np
import pytest
import torch

from genisp_mmdet.isp import ClassicISP, IdentityISP, LinearISP
from genisp_mmdet.isp.color import linear_to_srgb
from genisp_mmdet.raw import XYZ_TO_SRGB
from genisp_mmdet.raw import linear_to_srgb as np_linear_to_srgb
from genisp_mmdet.raw import srgb_to_linear

LUMA = torch.tensor([0.2126, 0.7152, 0.0722])  # BT.709 / sRGB luminance


def _images(n=2, h=48, w=64, seed=0, scale=0.05):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 3, h, w, generator=g) * scale


def _mixed_sizes():
    return [_images(1, 48, 64, 1)[0], _images(1, 40, 56, 2, 0.01)[0],
            _images(1, 48, 64, 3, 0.002)[0]]


def _undo_curve(out):
    return torch.as_tensor(srgb_to_linear(out.double().numpy()))


def test_identity_isp_passes_images_through():
    x = _images()
    assert torch.equal(IdentityISP()(x), x)
    imgs = _mixed_sizes()
    for a, b in zip(IdentityISP()(imgs), imgs):
        assert torch.equal(a, b)


def test_linear_isp_scales_each_image_to_the_target_mean():
    x = _images() * torch.tensor([1.0, 0.1])[:, None, None, None]
    out = LinearISP(target_mean=0.2)(x)
    torch.testing.assert_close(out.mean(dim=(1, 2, 3)), torch.full((2, ), 0.2))
    # A pure gain: no white balance, no curve.
    ratio = out / x
    torch.testing.assert_close(ratio, ratio[:, :1, :1, :1].expand_as(ratio))


def test_linear_isp_clips_to_unit_range():
    x = _images(scale=1.0)
    x[:, :, :4] = -0.5
    out = LinearISP(target_mean=0.6)(x)
    assert out.min() == 0 and out.max() == 1


def test_classic_gray_world_equalises_channel_means_before_the_curve():
    cast = torch.tensor([2.0, 1.0, 0.4])[None, :, None, None]
    out = ClassicISP(input_space='linear_srgb')(_images() * cast)
    lin = _undo_curve(out)
    means = lin.mean(dim=(2, 3))
    torch.testing.assert_close(means, means[:, 1:2].expand_as(means),
                               rtol=1e-5, atol=0)


@pytest.mark.parametrize('target', [0.1, 0.18, 0.3])
def test_classic_auto_exposure_hits_the_target_before_the_curve(target):
    x = _images() * torch.tensor([1.0, 0.02])[:, None, None, None]
    out = ClassicISP(input_space='linear_srgb', target_mean=target)(x)
    lin = _undo_curve(out)
    luminance = torch.einsum('c,nchw->nhw', LUMA.double(), lin)
    torch.testing.assert_close(luminance.mean(dim=(1, 2)),
                               torch.full((2, ), target).double(),
                               rtol=1e-5, atol=0)


def test_classic_output_is_in_unit_range():
    x = _images(scale=2.0) - 0.3  # negatives and values far above 1
    for space in ('xyz', 'camera_rgb', 'linear_srgb'):
        out = ClassicISP(input_space=space, target_mean=0.5)(x)
        assert out.min() >= 0 and out.max() <= 1
        # Both ends are reached: the input clips at 0 and at 1.
        assert out.min() == 0 and out.max() > 0.9999


def test_classic_input_spaces():
    x = _images()
    xyz_to_srgb = torch.as_tensor(XYZ_TO_SRGB, dtype=torch.float32)
    as_srgb = torch.einsum('ij,njhw->nihw', xyz_to_srgb, x)
    torch.testing.assert_close(ClassicISP('xyz')(x),
                               ClassicISP('linear_srgb')(as_srgb))
    # camera_rgb: no transform, as for linear sRGB.
    assert torch.equal(ClassicISP('camera_rgb')(x),
                       ClassicISP('linear_srgb')(x))
    assert (ClassicISP('xyz')(x) - ClassicISP('camera_rgb')(x)).abs().max(
    ) > 0.05
    with pytest.raises(ValueError, match='input_space must be one of'):
        ClassicISP(input_space='lab')


@pytest.mark.parametrize('isp', [LinearISP(), ClassicISP()],
                         ids=['linear', 'classic'])
def test_list_of_mixed_sizes_equals_per_image_results(isp):
    """Statistics are per image: a list gives what each image gives
    alone, whatever else is in it."""
    imgs = _mixed_sizes()
    out = isp(imgs)
    assert [o.shape for o in out] == [i.shape for i in imgs]
    for img, o in zip(imgs, out):
        torch.testing.assert_close(o, isp(img[None])[0], rtol=1e-6,
                                   atol=1e-7)
    assert not torch.allclose(out[0], out[2])


def test_torch_srgb_curve_equals_numpy():
    x = np.concatenate([np.linspace(-0.1, 1.1, 2001),
                        [0, 0.0031308, 0.0031309, 1]])
    ref = np_linear_to_srgb(x)
    out = linear_to_srgb(torch.as_tensor(x))
    assert out.dtype == torch.float64
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-12, atol=1e-15)
    out32 = linear_to_srgb(torch.as_tensor(x, dtype=torch.float32))
    np.testing.assert_allclose(out32.numpy(), ref, rtol=1e-6, atol=1e-7)
    # It is the inverse of the numpy decoding.
    np.testing.assert_allclose(srgb_to_linear(out.numpy()),
                               np.clip(x, 0, 1), rtol=1e-12, atol=1e-15)


def test_torch_srgb_curve_has_finite_gradients():
    x = torch.tensor([-0.5, 0.0, 1e-9, 0.0031308, 0.5, 1.0, 2.0],
                     dtype=torch.float64, requires_grad=True)
    linear_to_srgb(x).sum().backward()
    assert torch.isfinite(x.grad).all()
    assert x.grad[2] == pytest.approx(12.92)
    assert x.grad[0] == 0 and x.grad[-1] == 0
