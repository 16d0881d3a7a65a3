"""Camera models: cited matrices and levels, noise model (Brooks et al.)."""
import math

import numpy as np
import pytest

from genisp_mmdet.synthetic.cameras import (BROOKS_SHOT_RANGE, CAMERAS,
                                            get_camera, quantise_matrix)
from genisp_mmdet.synthetic.unprocess import Capture, unprocess


def test_three_cameras_one_not_rggb():
    assert len(CAMERAS) >= 3
    assert {'SonyRX100M7', 'NikonD750'} <= set(CAMERAS)
    assert any(c.pattern != 'RGGB' for c in CAMERAS.values())
    assert get_camera('nikond750') is CAMERAS['NikonD750']
    with pytest.raises(KeyError):
        get_camera('Leica')


def test_cited_numbers():
    # LibRaw src/tables/colordata.cpp (Adobe DNG Converter matrices).
    sony, nikon = CAMERAS['SonyRX100M7'], CAMERAS['NikonD750']
    assert sony.xyz_to_cam_1e4[:3] == (10315, -4390, -937)
    assert sony.black_level == 800
    assert nikon.xyz_to_cam_1e4[-3:] == (-934, 1919, 7086)
    assert (nikon.black_level, nikon.white_level) == (600, 15520)
    for cam in CAMERAS.values():
        m = cam.xyz_to_cam
        assert m.shape == (3, 3)
        np.testing.assert_array_equal(m, quantise_matrix(m.ravel()))
        np.testing.assert_allclose(m * 10000, np.reshape(cam.xyz_to_cam_1e4,
                                                         (3, 3)))
        assert 0 <= cam.black_level < cam.white_level <= 65535


def test_shot_noise_follows_iso_and_pixel_area():
    nikon, sony = CAMERAS['NikonD750'], CAMERAS['SonyRX100M7']
    assert nikon.shot_noise(51200) == pytest.approx(BROOKS_SHOT_RANGE[1])
    assert nikon.shot_noise(6400) == pytest.approx(2 * nikon.shot_noise(3200))
    ratio = sony.shot_noise(3200) / nikon.shot_noise(3200)
    assert ratio == pytest.approx((5.95 / 2.40)**2)
    p = nikon.noise(3200, read_z=0.0)
    assert math.log(p.read) == pytest.approx(2.18 * math.log(p.shot) + 1.20)


@pytest.mark.parametrize('name', list(CAMERAS))
def test_noise_variance_matches_model(name):
    """On a flat grey image the noise variance of each CFA channel is
    shot * x + read (Brooks et al.), in normalised units."""
    cam = CAMERAS[name]
    img = np.full((256, 256, 3), 128, np.uint8)
    clean = unprocess(img, cam, Capture(6504, 0.1, 12800, noise=False))
    noisy = unprocess(img, cam, Capture(6504, 0.1, 12800, read_z=0.5),
                      np.random.default_rng(0))
    span = cam.white_level - cam.black_level
    x = (clean.mosaic.astype(np.float64) - cam.black_level) / span
    d = (noisy.mosaic.astype(np.float64) - clean.mosaic) / span
    shot, read = noisy.noise.shot, noisy.noise.read
    for dy in (0, 1):
        for dx in (0, 1):
            want = shot * x[dy::2, dx::2].mean() + read
            got = d[dy::2, dx::2].var()
            assert got == pytest.approx(want, rel=0.05)
            # unbiased up to sampling and the clean image's rounding to
            # a digital number (half a step; 12-bit files have few steps)
            assert abs(d[dy::2, dx::2].mean()) < 3 * math.sqrt(
                want / 16384) + 0.5 / span
