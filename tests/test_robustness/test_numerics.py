"""A NaN or Inf in the ISP output, the loss or the weights stops
training at that iteration, naming it, and the last checkpoint on disk is
the good one from before it. The ISP's white-balance and colour matrices
stay well-conditioned whatever the encoders predict."""
import math

import pytest
import torch

import genisp_mmdet  # noqa: F401
from genisp_mmdet.engine.hooks import NonFiniteError
from genisp_mmdet.isp import GenISP
from genisp_mmdet.isp.genisp import ConvCC, ConvWB
from genisp_mmdet.utils import load_checkpoint_safely
from .common import fast_config, isp_state, run_in_process


# PoisonHook target -> (what the error names, what it must not name)
CASES = {
    'isp_output': ('non-finite ISP output, loss, trainable weights', None),
    'loss': ('non-finite loss, trainable weights', 'ISP output'),
    'gradient': ('non-finite trainable weights', 'loss'),
}


@pytest.mark.parametrize('target', list(CASES))
def test_non_finite_stops_at_the_iteration_and_keeps_last_checkpoint(
        tiny4, tmp_path, target):
    """4 images, batch 2: iterations 1-2 are epoch 1 (checkpoint saved),
    the value goes bad at iteration 4, the last of epoch 2, whose
    checkpoint must then never be written."""
    named, not_named = CASES[target]
    cfg = fast_config(
        tmp_path / 'cfg.py', tiny4 / 'data',
        load_from=str(tiny4 / 'det.pth'), max_epochs=2, extra=f'''
custom_hooks = [dict(type='PoisonHook', target={target!r}, at_iter=3)]
''')
    work = tmp_path / 'work'
    with pytest.raises(NonFiniteError) as err:
        run_in_process(cfg, work, f'nan_{target}')
    msg = str(err.value)
    assert f'{named} at iteration 4 (epoch 2, batch 2)' in msg
    if not_named:
        assert not_named not in msg.split(' at iteration')[0]
    if target == 'isp_output':
        assert 'the ISP turned finite inputs into NaN/Inf' in msg
        assert '.dng' in msg  # the batch's images are named
    assert msg.endswith(f'last checkpoint: {work / "epoch_1.pth"}')
    assert sorted(p.name for p in work.glob('*.pth')) == ['epoch_1.pth']
    assert (work / 'last_checkpoint').read_text() == str(work / 'epoch_1.pth')
    good = load_checkpoint_safely(str(work / 'epoch_1.pth'))
    assert good['meta']['iter'] == 2
    assert all(torch.isfinite(v).all() for v in isp_state(good).values())


def test_extreme_encoder_outputs_keep_the_isp_finite_and_conditioned():
    """Beyond tests/test_isp/test_genisp.py::
    test_white_balance_and_colour_matrix_are_well_conditioned (extreme
    encoder biases): the whole ISP, on a black, a saturated and a very dark
    image, with encoder outputs pushed to +-1e4, gives finite outputs and
    gradients, WB colour gains within max_relative_gain and colour
    matrices with condition number <= exp(2 max_log_norm) and det > 0;
    the 'direct' parametrisation of the public reproductions does not."""
    torch.manual_seed(0)
    images = torch.stack([torch.zeros(3, 64, 64), torch.ones(3, 64, 64),
                          torch.rand(3, 64, 64) * 1e-3])
    for scale in (1.0, 1e4, -1e4):
        isp = GenISP(resize=32)
        with torch.no_grad():
            for enc in (isp.conv_wb.encoder, isp.conv_cc.encoder):
                enc.fc.bias.normal_(0, 1).mul_(scale)
        x = images.clone().requires_grad_()
        out = isp(x)
        out.square().mean().backward()
        assert torch.isfinite(out).all()
        assert torch.isfinite(x.grad).all()
        assert all(torch.isfinite(p.grad).all() for p in isp.parameters()
                   if p.grad is not None)
        thumb = torch.nn.functional.interpolate(images, size=(32, 32))
        gains = isp.conv_wb.gains(thumb)
        assert (gains > 0).all() and torch.isfinite(gains).all()
        # each colour gain within [1/8, 8] of the exposure gain
        ratio = gains.max(1).values / gains.min(1).values
        assert ratio.max() <= math.exp(2 * isp.conv_wb.log_max_rel) * 1.0001
        m = isp.conv_cc.matrices(thumb * gains[:, :, None, None])
        # the default 'log' form: trace-free log, det M = 1
        torch.testing.assert_close(torch.linalg.det(m), torch.ones(3),
                                   rtol=1e-4, atol=1e-4)
        assert torch.linalg.cond(m).max() <= math.exp(4) * 1.0001

    direct_cc = ConvCC(parametrization='direct')
    with torch.no_grad():
        direct_cc.encoder.fc.weight.zero_()
        direct_cc.encoder.fc.bias.copy_(-torch.eye(3).flatten())
    m = direct_cc.matrices(torch.rand(1, 3, 32, 32))
    assert torch.linalg.matrix_rank(m).item() == 0  # I + A can be singular
    direct_wb = ConvWB(parametrization='direct')
    with torch.no_grad():
        direct_wb.encoder.fc.bias.fill_(-2.0)
    assert (direct_wb.gains(torch.rand(1, 3, 32, 32)) < 0).all()
