"""GenISP: shapes, gradients, ablations, the folded white balance,
batching, conditioning, the identity start, fp32 under autocast."""
import math

import pytest
import torch
import torch.nn.functional as F

from genisp_mmdet.isp import ConvCC, ConvWB, GenISP, apply_color_matrix
from genisp_mmdet.isp.genisp import genisp_reference


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


def _thumbs(isp, x):
    return F.interpolate(x, size=(isp.resize, isp.resize), mode='bilinear',
                         align_corners=False)


@pytest.mark.parametrize('parametrization', ['log', 'bounded', 'direct'])
def test_folded_white_balance_equals_the_reference(parametrization):
    """forward folds the gains into the colour matrix, M @ diag(g); with
    gains tens of percent from 1 and M far from the identity, the other
    order, diag(g) @ M, would give a clearly different image (the global
    stages alone: no exposure normalisation, no tone curve)."""
    torch.manual_seed(0)
    cfg = dict(parametrization=parametrization)
    isp = GenISP(enhance=False, wb_cfg=cfg, cc_cfg=cfg, normalize=None,
                 tone=None)
    with torch.no_grad():
        for p in [*isp.conv_wb.parameters(), *isp.conv_cc.parameters()]:
            p.add_(torch.randn_like(p) * 0.1)
    x = _images(2, 40, 56, 1) * torch.tensor([1.0, 0.2])[:, None, None, None]

    thumbs = _thumbs(isp, x)
    g = isp.conv_wb.gains(thumbs)
    m = isp.conv_cc.matrices(thumbs * g[:, :, None, None])
    assert ((g - 1).abs().amax(1) > 0.3).all()
    assert ((m - torch.eye(3)).abs().amax((1, 2)) > 0.3).all()
    right = apply_color_matrix(x, m * g[:, None, :])
    wrong = apply_color_matrix(x, m * g[:, :, None])
    assert ((wrong - right).abs().amax((1, 2, 3)) >
            0.05 * right.abs().amax((1, 2, 3))).all()

    fast = isp(x)
    torch.testing.assert_close(fast, right, rtol=1e-5, atol=1e-7)
    for f, r in zip(fast, genisp_reference(isp, x)):
        torch.testing.assert_close(f, r, rtol=1e-5,
                                   atol=1e-5 * r.abs().max().item())


@pytest.mark.parametrize('parametrization', ['log', 'bounded', 'direct'])
@pytest.mark.parametrize('seed', [0, 1])
def test_identity_at_initialisation(parametrization, seed):
    """A fresh GenISP starts near gains 1 and the identity matrix on dark
    inputs (means 0.001, 0.01, 0.05).

    Each encoder output is 128 features times weights drawn N(0, 1e-3^2),
    with zero bias: a standard deviation of 1e-3 times the features' norm,
    which stays below 0.5 on inputs in [0, 0.1]. 2.5e-3 is five of those
    standard deviations; gains exp(out) and M = expm(A) ('direct': 1 +
    out, I + A) stay as close to 1 and I. A weight std ten times larger,
    or a nonzero bias, exceeds it."""
    tol = 2.5e-3
    torch.manual_seed(seed)
    cfg = dict(parametrization=parametrization)
    isp = GenISP(enhance=False, wb_cfg=cfg, cc_cfg=cfg, normalize=None,
                 tone=None)
    g = torch.Generator().manual_seed(seed)
    means = torch.tensor([0.001, 0.01, 0.05])[:, None, None, None]
    x = torch.rand(3, 3, 48, 64, generator=g) * (2 * means)
    thumbs = _thumbs(isp, x)
    gains = isp.conv_wb.gains(thumbs)
    assert (gains - 1).abs().max() < tol
    m = isp.conv_cc.matrices(thumbs * gains[:, :, None, None])
    assert (m - torch.eye(3)).abs().max() < tol
    # A row of |M diag(g) - I| sums to at most 3 tol (1 + tol) + tol.
    err = (isp(x) - x).abs().amax((1, 2, 3))
    assert (err < (4 * tol + 3 * tol**2) * x.amax((1, 2, 3))).all()


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


def test_unit_colour_matrix_is_the_direct_form_at_the_identity_scale():
    """``ConvCC(parametrization='unit')``: ``M = sqrt(3) (I + A) /
    ||I + A||_F``: the identity at zero output, the paper's direction at
    any other, a scale the loss cannot see (no gradient along it), and a
    singular matrix (a projection onto one colour) at a finite output,
    which no ``expm`` reaches; nothing to saturate."""
    unit, direct = ConvCC(parametrization='unit'), ConvCC(
        parametrization='direct')
    torch.testing.assert_close(unit.matrices_from(torch.zeros(2, 9)),
                               torch.eye(3).expand(2, 3, 3))
    out = torch.linspace(-0.8, 1.3, 9)[None]
    d = direct.matrices_from(out)
    torch.testing.assert_close(unit.matrices_from(out),
                               d * math.sqrt(3) / d.norm())
    assert unit.squash_inputs(out) == []
    # the encoder's outputs along I + A itself change nothing
    out = out.requires_grad_()
    m = unit.matrices_from(out)
    target = torch.randn(3, 3, generator=torch.Generator().manual_seed(0))
    (m * target).sum().backward()
    radial = (torch.eye(3).flatten() + out.detach()).flatten()
    assert abs(float(out.grad.flatten() @ radial)) < 1e-5 * \
        float(out.grad.norm() * radial.norm())
    assert out.grad.norm() > 0
    # a luminance projection: rank one, Frobenius norm sqrt(3)
    w = torch.tensor([0.2, 0.7, 0.1])
    rank1 = torch.ones(3)[:, None] * w[None] - torch.eye(3)
    m = unit.matrices_from(rank1.reshape(1, 9))
    assert torch.linalg.matrix_rank(m[0]) == 1
    torch.testing.assert_close(m[0].norm(), torch.tensor(math.sqrt(3)))
    with pytest.raises(ValueError, match='unit'):
        ConvWB(parametrization='unit')  # a colour-matrix form only


def test_learned_tone_gain_starts_as_the_fixed_curve_and_trains():
    """``tone_gain='learned'``: one parameter, ``log k = 0`` at the start
    (the same function as the fixed curve, bit for bit), then ``log(1 + k
    x / target_mean)``; the loss's gradient reaches it; refused without a
    tone curve."""
    torch.manual_seed(0)
    fixed = GenISP()
    torch.manual_seed(0)
    learned = GenISP(tone_gain='learned')
    assert fixed.tone_log_gain is None
    assert learned.tone_log_gain.shape == ()
    x = _images()
    assert torch.equal(fixed(x), learned(x))
    with torch.no_grad():
        learned.tone_log_gain.fill_(math.log(3.0))
    y = torch.rand(2, 3, 4, 5) * 0.5
    torch.testing.assert_close(learned.tone_curve(y),
                               torch.log1p(3 * y / learned.target_mean))
    learned(x).square().mean().backward()
    assert learned.tone_log_gain.grad is not None
    assert learned.tone_log_gain.grad.abs() > 0
    with pytest.raises(ValueError, match='tone curve'):
        GenISP(tone=None, tone_gain='learned')
    with pytest.raises(ValueError, match='tone_gain'):
        GenISP(tone_gain='auto')
    start = GenISP(tone_gain='learned', tone_gain_init=6.0)
    torch.testing.assert_close(start.tone_curve(y),
                               torch.log1p(6 * y / start.target_mean))
    with pytest.raises(ValueError, match='tone_gain_init'):
        GenISP(tone_gain='learned', tone_gain_init=0.0)


def test_grey_puts_the_normalised_luminance_in_every_channel():
    """``grey=True`` (ConvWB and ConvCC off): before the shallow ConvNet,
    each channel is the tone curve of the normalised Y; the batched path
    equals the reference; gradients reach the shallow ConvNet; refused
    beside ConvWB or ConvCC."""
    torch.manual_seed(0)
    isp = GenISP(wb=False, cc=False, enhance=False, grey=True)
    x = _images(3, 40, 56, 2)
    x[1, 1] *= 4  # a brighter Y than X and Z: a colour image, not a grey one
    y = isp(x)
    scale = isp.exposure_scale(_thumbs(isp, x))
    want = isp.tone_curve(x[:, 1:2] * scale[:, None, None, None])
    torch.testing.assert_close(y, want.expand(-1, 3, -1, -1))
    assert not torch.allclose(isp.tone_curve(x * scale[:, None, None, None]),
                              y)
    st = isp.global_stages(x)
    assert st.gains is None and torch.equal(
        st.matrix[0], torch.tensor([[0., 1, 0], [0, 1, 0], [0, 1, 0]]))
    torch.manual_seed(0)
    full = GenISP(wb=False, cc=False, grey=True)
    fast = full(x)
    for f, r in zip(fast, genisp_reference(full, x)):
        torch.testing.assert_close(f, r, rtol=1e-5,
                                   atol=1e-5 * r.abs().max().item())
    fast.square().mean().backward()
    for name, p in full.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
    for on in (dict(wb=True, cc=False), dict(wb=False, cc=True)):
        with pytest.raises(ValueError, match='grey'):
            GenISP(grey=True, **on)


def test_unbounded_colour_matrix_is_the_exponential_of_its_outputs():
    """``ConvCC(max_log_norm=None)``: ``M = expm(A)`` with ``A`` the
    encoder's trace-free outputs, not squashed, so large outputs reach the
    matrix (the bounded form caps them) and nothing can saturate."""
    torch.manual_seed(0)
    free, bounded = ConvCC(max_log_norm=None), ConvCC()
    out = torch.linspace(-3, 3, 9)[None]  # ||trace-free A||_F > 2
    a = out.view(1, 3, 3) - out.view(1, 3, 3).diagonal(0, 1, 2).sum() / 3 * \
        torch.eye(3)
    assert a.norm() > 2
    torch.testing.assert_close(free.matrices_from(out),
                               torch.linalg.matrix_exp(a))
    assert free.squash_inputs(out) == []
    torch.testing.assert_close(torch.linalg.det(free.matrices_from(out)),
                               torch.ones(1), rtol=1e-4, atol=0)
    assert torch.linalg.cond(free.matrices_from(out)) > \
        torch.linalg.cond(bounded.matrices_from(out)) * 2
