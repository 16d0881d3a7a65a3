"""Unprocessing: DNG round trip through LibRaw, illuminants, exposure."""
import numpy as np
import pytest

from genisp_mmdet.raw import SRGB_TO_XYZ, load_raw_image, read_raw, write_dng
from genisp_mmdet.synthetic.cameras import CAMERAS
from genisp_mmdet.synthetic.scenes import SceneConfig, render_scene
from genisp_mmdet.synthetic.unprocess import (D65_WHITE, Capture,
                                              CaptureRanges, illuminant_white,
                                              unprocess)


def _linear_xyz(img):
    """XYZ of an 8-bit sRGB image (float64 reference, no LUT)."""
    x = img / 255.0
    lin = np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055)**2.4)
    return lin @ SRGB_TO_XYZ.T


def _pack2(a):
    h, w = a.shape[:2]
    return a.reshape(h // 2, 2, w // 2, 2, -1).mean((1, 3))


def _write_and_develop(tmp_path, img, cam, capture, rng=None, emission=None):
    raw = unprocess(img, cam, capture, rng, emission)
    path = tmp_path / f'{cam.name}.dng'
    write_dng(path, raw.mosaic, cam.pattern, cam.black_level,
              cam.white_level, cam.xyz_to_cam, raw.as_shot_neutral,
              make=cam.make, model=cam.dng_model)
    frame = read_raw(path)
    return raw, frame, load_raw_image(path, 'xyz').img


@pytest.fixture(scope='module')
def scene_image():
    return render_scene(np.random.default_rng(5),
                        SceneConfig(width=160, height=120)).image


@pytest.mark.parametrize('name', list(CAMERAS))
def test_round_trip_through_libraw(tmp_path, scene_image, name):
    """Noise off, full exposure, D65: LibRaw + develop(..., 'xyz') gives back
    the XYZ of the sRGB image, divided by the recorded ``xyz_scale``.

    Where the image is constant on each 2x2 CFA tile the only error is
    the mosaic's quantisation: half a DN of the camera's range, carried
    through the colour matrix (a 12-bit camera's bound is four times a
    14-bit one's, a matrix with large off-diagonal terms amplifies it);
    on a real scene the
    mosaic mixes neighbouring pixels at edges, so the tolerance is on the
    mean (1.5% of white) against the 2x2-averaged XYZ.
    """
    cam = CAMERAS[name]
    capture = Capture(None, 1.0, 100, noise=False)
    tiles = np.repeat(np.repeat(scene_image[::2, ::2], 2, 0), 2, 1)
    raw, frame, xyz = _write_and_develop(tmp_path, tiles, cam, capture)
    np.testing.assert_array_equal(frame.mosaic, raw.mosaic)  # bit-exact
    assert frame.pattern == cam.pattern
    assert frame.matrix_source == 'dng_color_matrix'
    np.testing.assert_allclose(np.linalg.inv(frame.cam_to_xyz),
                               cam.xyz_to_cam, atol=1e-12)
    np.testing.assert_array_equal(frame.black_level, cam.black_level)
    np.testing.assert_array_equal(frame.white_level, cam.white_level)
    ref = _pack2(_linear_xyz(tiles))
    half_dn = 0.5 / (cam.white_level - cam.black_level)
    bound = half_dn * np.abs(frame.cam_to_xyz).sum(1).max() / raw.xyz_scale
    assert np.abs(xyz / raw.xyz_scale - ref).max() < bound
    # Exposure 1 is a well-exposed frame: bright but not clipped.
    assert raw.mosaic.max() < cam.white_level
    assert raw.mosaic.max() > cam.black_level + 0.7 * (cam.white_level -
                                                       cam.black_level)

    raw, _, xyz = _write_and_develop(tmp_path, scene_image, cam, capture)
    err = np.abs(xyz / raw.xyz_scale - _pack2(_linear_xyz(scene_image)))
    assert err.mean() < 0.015


def test_illuminants():
    np.testing.assert_allclose(illuminant_white(6504), D65_WHITE, atol=2e-3)
    # The white moves continuously through the Planckian/daylight blend.
    a, b = illuminant_white(3999.9), illuminant_white(4000.1)
    np.testing.assert_allclose(a, b, atol=1e-3)
    cam = CAMERAS['NikonD750']
    grey = np.full((32, 32, 3), 180, np.uint8)
    ratios = []
    for t in (2500, 3500, 5000, 6500):
        raw = unprocess(grey, cam, Capture(t, 1.0, 100, noise=False))
        n = raw.as_shot_neutral
        assert n[1] == 1.0
        ratios.append(n[0] / n[2])
        # A grey object looks like the light in camera RGB.
        planes = {c: raw.mosaic[k // 2::2, k % 2::2].astype(float).mean() -
                  cam.black_level for k, c in enumerate(cam.pattern)}
        got = np.array([planes['R'], planes['G'], planes['B']])
        np.testing.assert_allclose(got / got[1], n, rtol=2e-3)
    # Warm light is red-heavy, daylight blue-heavy.
    assert ratios == sorted(ratios, reverse=True)


def test_capture_sampling():
    ranges = CaptureRanges(exposure=(0.01, 0.1), iso=(3200, 25600),
                           temperature=(2500, 6500))
    caps = [ranges.sample(np.random.default_rng(i)) for i in range(200)]
    exp = np.array([c.exposure for c in caps])
    assert 0.01 <= exp.min() and exp.max() <= 0.1
    # log-uniform: about half the draws below the geometric mean
    assert 0.4 < np.mean(exp < np.sqrt(0.001)) < 0.6
    assert all(3200 <= c.iso <= 25600 for c in caps)
    assert all(2500 <= c.temperature_k <= 6500 for c in caps)
    fixed = CaptureRanges(exposure=(0.02, 0.02), iso=ranges.iso,
                          temperature=ranges.temperature)
    c0, c1 = fixed.sample(np.random.default_rng(1)), ranges.sample(
        np.random.default_rng(1))
    # A fixed exposure keeps the other draws of the same image.
    assert c0.exposure == pytest.approx(0.02)
    assert (c0.iso, c0.temperature_k, c0.read_z) == (c1.iso, c1.temperature_k,
                                                      c1.read_z)
    with pytest.raises(ValueError):
        CaptureRanges(exposure=(0.1, 0.01))
    with pytest.raises(ValueError):
        CaptureRanges(exposure=(0.5, 2.0))
