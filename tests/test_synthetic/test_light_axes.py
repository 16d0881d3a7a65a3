"""The generator's two axes of light: ``exposure`` (the camera's: lamps dim
too, photons per pixel scale) and ``ambient`` (the scene's: surroundings
darken, lamps stay), each recorded per image."""
import json
import math

import numpy as np
import pytest

from genisp_mmdet.synthetic import (CaptureRanges, NIGHT, annotation_path,
                                    generate_raw_split, get_camera, image_rng)
from genisp_mmdet.synthetic.unprocess import Capture, unprocess

CAM = get_camera('SonyRX100M7')


def _scene():
    """A grey surface with a lamp (emission 1) in its top-left quarter."""
    img = np.full((16, 16, 3), 180, np.uint8)
    emission = np.zeros((16, 16), np.float32)
    emission[:8, :8] = 1.0
    return img, emission


def _signal(capture):
    """Black-subtracted DN of the lamp and of the surface (noise off)."""
    img, emission = _scene()
    raw = unprocess(img, CAM, capture, emission=emission).mosaic.astype(float)
    raw -= CAM.black_level
    return raw[:8, :8].mean(), raw[8:, 8:].mean()


def test_lamp_pixels_scale_with_exposure_and_not_with_ambient():
    lamp, surface = _signal(Capture(6504, 0.5, 100, noise=False,
                                    ambient=1.0))
    lamp_e, surface_e = _signal(Capture(6504, 0.1, 100, noise=False,
                                        ambient=1.0))
    lamp_a, surface_a = _signal(Capture(6504, 0.5, 100, noise=False,
                                        ambient=0.2))
    # exposure: everything, the lamp included, 5 times darker
    assert lamp_e / lamp == pytest.approx(0.2, rel=2e-3)
    assert surface_e / surface == pytest.approx(0.2, rel=2e-3)
    # ambient: the surroundings 5 times darker, the lamp as bright
    assert lamp_a == pytest.approx(lamp, rel=1e-4)
    assert surface_a / surface == pytest.approx(0.2, rel=2e-3)


def test_without_emission_the_axes_multiply():
    img, _ = _scene()
    a = unprocess(img, CAM, Capture(6504, 0.5, 100, noise=False,
                                    ambient=0.4))
    b = unprocess(img, CAM, Capture(6504, 0.2, 100, noise=False,
                                    ambient=1.0))
    np.testing.assert_array_equal(a.mosaic, b.mosaic)
    assert a.xyz_scale == pytest.approx(b.xyz_scale)


def test_default_draws_reproduce_the_single_axis_data():
    """The ambient draw is the one the single "exposure" axis used to make
    (the second of three uniforms, then the read-noise draw), and the
    exposure draw comes after every other: with the default exposure (1, 1)
    the captures, and so the files, are those of the data sets written
    before the axes were told apart."""
    assert NIGHT.exposure == (1.0, 1.0)
    lo, hi = NIGHT.ambient
    for i in range(5):
        rng = image_rng(0, 'test', i, 1)
        u = rng.random(3)
        read_z = rng.standard_normal()
        single_axis = math.exp(math.log(lo) + u[1] * (math.log(hi) -
                                                      math.log(lo)))
        new = NIGHT.sample(image_rng(0, 'test', i, 1))
        assert new.exposure == 1.0
        assert new.ambient == single_axis
        assert new.read_z == read_z


def test_both_axes_are_recorded_per_image(tmp_path):
    ranges = CaptureRanges(exposure=(0.1, 0.1), ambient=(0.3, 0.3))
    generate_raw_split(str(tmp_path), 'test', 2, ['SonyRX100M7'],
                       ranges=ranges, progress=False, workers=1)
    with open(annotation_path(str(tmp_path), 'SonyRX100M7', 'test')) as f:
        images = json.load(f)['images']
    assert [(im['exposure'], im['ambient']) for im in images] == [
        (0.1, 0.3), (0.1, 0.3)]
    with pytest.raises(ValueError, match='ambient above 1'):
        CaptureRanges(ambient=(0.5, 2.0))
