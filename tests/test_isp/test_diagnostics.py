"""What the diagnostics of the global stages report: constants read as
constants, a perfect white balance as perfect, saturation as saturation,
brightness invariance as invariance."""
import numpy as np
import pytest
import torch

from genisp_mmdet.isp import GenISP
from genisp_mmdet.isp.diagnostics import D65, stage_records, summarize


def _images(n=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    scale = torch.linspace(0.005, 0.05, n)
    tint = torch.rand(n, 3, 1, 1, generator=g) + 0.5
    return [torch.rand(3, 24, 32, generator=g) * s * t
            for s, t in zip(scale, tint)]


def _whites(n=6):
    xy = np.linspace(0.35, 0.5, n)  # warm to cold, Y = 1
    return [[x / 0.41, 1.0, (1 - x - 0.41) / 0.41] for x in xy]


def test_a_constant_stage_reads_as_a_constant():
    torch.manual_seed(0)
    isp = GenISP(enhance=False, resize=32, normalize=None, tone=None,
                 wb_cfg=dict(parametrization='direct'),
                 cc_cfg=dict(parametrization='direct'))
    with torch.no_grad():
        for enc in (isp.conv_wb.encoder, isp.conv_cc.encoder):
            enc.fc.weight.zero_()
            enc.fc.bias.uniform_(-0.3, 0.3)
    s = summarize(stage_records(isp, _images(), _whites()))
    assert s['gain_log_std'] == [0.0, 0.0, 0.0]
    assert s['matrix_entry_std_max'] == 0.0
    assert s['white_residual'] == pytest.approx(1.0)
    assert s['illuminant_correlation'] is None  # no spread, no correlation
    assert 'saturated' not in s  # the direct form squashes nothing


def test_a_perfect_white_balance_reads_as_perfect():
    whites = np.array(_whites())
    gains = D65[None] / whites  # maps each scene's white to D65's
    records = [dict(white=w.tolist(), gains=g.tolist(),
                    gains_dark=g.tolist(), pixel_map=np.diag(g).tolist(),
                    squash=[]) for w, g in zip(whites, gains)]
    s = summarize(records)
    assert s['illuminant_correlation'] == pytest.approx(1.0)
    assert s['white_residual'] == pytest.approx(0.0, abs=1e-9)
    assert s['gain_response_5x_darker'] == [1.0, 1.0, 1.0]


def test_a_matrix_that_varies_only_in_scale_has_no_unit_spread():
    """The paper's direct form can drift to matrices of any scale, which
    the instance norm after it undoes: a spread in scale alone shows in
    the scale spread, not in the scale-removed entry spread."""
    base = np.array([[1.2, -0.1, 0.0], [0.1, 0.9, 0.05], [0.0, 0.2, 1.1]])
    scales = np.array([150.0, 400.0, 1450.0])
    s = summarize([dict(matrix=(base * k).tolist()) for k in scales])
    assert s['matrix_entry_std_max'] > 100
    assert s['matrix_unit_entry_std_max'] == pytest.approx(0.0, abs=1e-12)
    assert s['matrix_scale_log_std'] == pytest.approx(np.log(scales).std())
    colour = summarize([dict(matrix=base.tolist()),
                        dict(matrix=(base + np.diag([0.3, 0, -0.3])).tolist())])
    assert colour['matrix_unit_entry_std_max'] > 0.1


def test_saturation_is_reported():
    torch.manual_seed(0)
    bounded = dict(enhance=False, resize=32,
                   wb_cfg=dict(parametrization='bounded'),
                   cc_cfg=dict(parametrization='bounded'))
    isp = GenISP(**bounded)
    with torch.no_grad():
        isp.conv_wb.encoder.fc.bias.copy_(torch.tensor([50.0, -50.0, 0.0]))
        isp.conv_cc.encoder.fc.bias.fill_(30.0)
    s = summarize(stage_records(isp, _images()))
    assert s['saturated'] > 0.5 and s['squash_max'] > 10
    fresh = summarize(stage_records(GenISP(**bounded), _images()))
    assert fresh['saturated'] == 0.0


def test_exposure_normalisation_makes_the_stages_blind_to_brightness():
    torch.manual_seed(0)
    kwargs = dict(enhance=False, resize=32,
                  wb_cfg=dict(parametrization='log'),
                  cc_cfg=dict(parametrization='log'))
    normalised = GenISP(normalize='mean', tone=None, **kwargs)
    raw = GenISP(normalize=None, tone=None, **kwargs)
    raw.load_state_dict(normalised.state_dict())
    with torch.no_grad():
        for p in normalised.parameters():
            p.add_(torch.randn_like(p) * 0.2)
    raw.load_state_dict(normalised.state_dict())
    a = summarize(stage_records(normalised, _images()))
    b = summarize(stage_records(raw, _images()))
    assert a['gain_response_5x_darker'] == pytest.approx([1, 1, 1], abs=1e-4)
    assert max(abs(r - 1) for r in b['gain_response_5x_darker']) > 1e-3


def test_a_grey_projection_reads_as_a_large_singular_value_ratio():
    """``matrix_mean_sv_ratio``: 1 for the identity, large for a matrix
    whose rows are alike (every output channel the same mix of the inputs),
    None at rank 1; ``top_input`` is that mix; a stored summary without
    records gains them from its mean matrix."""
    from genisp_mmdet.isp.diagnostics import complete
    torch.manual_seed(0)
    isp = GenISP(enhance=False, wb=False, resize=32, normalize=None,
                 tone=None, cc_cfg=dict(parametrization='unit'))
    identity = summarize(stage_records(isp, _images()))
    assert identity['matrix_mean_sv_ratio'] == pytest.approx(1.0, abs=1e-3)
    assert identity['white_gain'] == pytest.approx(1.0, abs=1e-3)
    with torch.no_grad():
        isp.conv_cc.encoder.fc.weight.zero_()
        grey = torch.ones(3)[:, None] * torch.tensor([0.3, 0.6, 0.1])[None]
        grey = grey + 0.01 * torch.eye(3)
        isp.conv_cc.encoder.fc.bias.copy_((grey - torch.eye(3)).flatten())
    s = summarize(stage_records(isp, _images()))
    assert s['matrix_mean_sv_ratio'] > 50
    stored = {k: v for k, v in s.items() if k != 'matrix_mean_sv_ratio'}
    assert complete(stored)['matrix_mean_sv_ratio'] == pytest.approx(
        s['matrix_mean_sv_ratio'])
    assert complete(dict(images=3)) == dict(images=3)  # nothing to add
    # the input the projection amplifies most is its mix (0.3, 0.6, 0.1)
    want = torch.tensor([0.3, 0.6, 0.1])
    assert s['top_input'] == pytest.approx((want / want.norm()).tolist(),
                                           abs=0.02)
    grey = summarize(stage_records(GenISP(wb=False, cc=False, grey=True,
                                          resize=32), _images()))
    assert grey['matrix_mean_sv_ratio'] is None  # rank 1
    assert grey['top_input'] == [0.0, 1.0, 0.0]


def test_white_gain_counts_the_learned_tone_gain():
    """``white_gain``: the brightening of D65 white by the mean map before
    the tone curve, a learned gain there included."""
    import math
    isp = GenISP(enhance=False, wb=False, resize=32, tone_gain='learned',
                 cc_cfg=dict(parametrization='unit'))
    with torch.no_grad():
        isp.tone_log_gain.fill_(math.log(2.0))
    s = summarize(stage_records(isp, _images()))
    assert s['tone_gain'] == pytest.approx(2.0)
    assert s['white_gain'] == pytest.approx(2.0, rel=1e-3)
