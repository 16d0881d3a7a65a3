"""write_dng's files as LibRaw (rawpy) reads them back: mosaic, pattern,
levels, colour matrix, AsShotNeutral, crop, orientation, capture
settings; bad arguments are refused naming the file."""
from fractions import Fraction

import numpy as np
import pytest
import rawpy
import tifffile

from genisp_mmdet.raw import BAYER_PATTERNS, read_raw, write_dng

XYZ_TO_CAM = np.array([[0.7123, -0.2, -0.05], [-0.45, 1.3, 0.15],
                       [-0.1, 0.2, 0.61234]])
BLACK = [60, 62, 64, 66]  # per tile position, row-major
WHITE = 16383


def _mosaic(h=24, w=32, seed=0):
    rng = np.random.default_rng(seed)
    mosaic = rng.integers(0, WHITE + 1, (h, w)).astype(np.uint16)
    mosaic[0, :4] = [0, 1, WHITE - 1, WHITE]  # both ends of the range
    return mosaic


def _stored(matrix, denominator=10000):
    """A matrix as the DNG stores it: each entry a rational."""
    return np.array([
        float(Fraction(float(v)).limit_denominator(denominator))
        for v in np.ravel(matrix)
    ]).reshape(np.shape(matrix))


@pytest.mark.parametrize('pattern', BAYER_PATTERNS)
def test_libraw_reads_back_mosaic_pattern_levels_and_matrix(tmp_path,
                                                            pattern):
    mosaic = _mosaic()
    path = str(tmp_path / f'{pattern}.dng')
    write_dng(path, mosaic, pattern, BLACK, WHITE, XYZ_TO_CAM)
    with rawpy.imread(path) as raw:
        assert raw.raw_type == rawpy.RawType.Flat
        assert raw.raw_image_visible.dtype == np.uint16
        np.testing.assert_array_equal(raw.raw_image_visible, mosaic)
        colours = raw.color_desc.decode()
        channel = np.asarray(raw.raw_pattern)
        assert ''.join(colours[i] for i in channel.reshape(-1)) == pattern
        black = np.asarray(raw.black_level_per_channel)[channel]
        assert black.reshape(-1).tolist() == BLACK
        assert raw.white_level == WHITE
        # LibRaw leaves a DNG's matrix to the reader: ColorMatrix1 is used.
        assert not np.any(raw.rgb_xyz_matrix)
    frame = read_raw(path)
    assert frame.matrix_source == 'dng_color_matrix'
    np.testing.assert_allclose(frame.cam_to_xyz,
                               np.linalg.inv(_stored(XYZ_TO_CAM)),
                               rtol=0, atol=1e-12)
    np.testing.assert_allclose(frame.cam_to_xyz, np.linalg.inv(XYZ_TO_CAM),
                               rtol=0, atol=1e-3)


@pytest.mark.parametrize('illuminant', [21, 17])
def test_the_only_colour_matrix_is_used_whatever_its_illuminant(
        tmp_path, illuminant):
    path = str(tmp_path / 'a.dng')
    write_dng(path, _mosaic(), 'RGGB', 64, WHITE, XYZ_TO_CAM,
              calibration_illuminant=illuminant)
    with tifffile.TiffFile(path) as tif:
        assert tif.pages[0].tags[50778].value == illuminant
    np.testing.assert_allclose(read_raw(path).cam_to_xyz,
                               np.linalg.inv(_stored(XYZ_TO_CAM)), atol=1e-12)


def test_as_shot_neutral_is_libraws_camera_white_balance(tmp_path):
    neutral = [0.4321, 1.0, 0.789]
    path = str(tmp_path / 'a.dng')
    write_dng(path, _mosaic(), 'GRBG', BLACK, WHITE, XYZ_TO_CAM,
              as_shot_neutral=neutral)
    with rawpy.imread(path) as raw:
        multipliers = np.asarray(raw.camera_whitebalance[:3])
    np.testing.assert_allclose(multipliers, 1 / _stored(neutral), rtol=1e-6)


def test_default_crop_exposure_and_identity_tags(tmp_path):
    path = str(tmp_path / 'a.dng')
    write_dng(path, _mosaic(), 'BGGR', BLACK, WHITE, XYZ_TO_CAM,
              default_crop=(2, 4, 20, 16), exposure_time=1 / 60, iso=800,
              make='Acme', model='X1')
    with rawpy.imread(path) as raw:
        s = raw.sizes
        assert (s.crop_left_margin, s.crop_top_margin, s.crop_width,
                s.crop_height) == (2, 4, 20, 16)
        assert raw.other.shutter_speed == pytest.approx(1 / 60)
    assert read_raw(path).crop == (2, 4, 20, 16)
    # LibRaw does not report the ISO of these files: read the tags.
    with tifffile.TiffFile(path) as tif:
        tags = tif.pages[0].tags
        assert tags['ISOSpeedRatings'].value == 800
        assert (tags['Make'].value, tags['Model'].value) == ('Acme', 'X1')
        assert tags['UniqueCameraModel'].value == 'Acme X1'


@pytest.mark.parametrize('orientation,flip', [(1, 0), (3, 3), (6, 6),
                                              (8, 5)])
def test_orientation_is_libraws_flip(tmp_path, orientation, flip):
    mosaic = _mosaic()
    path = str(tmp_path / 'a.dng')
    write_dng(path, mosaic, 'RGGB', BLACK, WHITE, XYZ_TO_CAM,
              orientation=orientation)
    with rawpy.imread(path) as raw:
        assert raw.sizes.flip == flip
        # The mosaic stays as stored: turning it is the reader's job.
        np.testing.assert_array_equal(raw.raw_image_visible, mosaic)


@pytest.mark.parametrize('kwargs,message', [
    (dict(mosaic=np.zeros((4, 4), np.float32)), 'mosaic must be a 2-D uint16'),
    (dict(mosaic=np.zeros((4, 4, 1), np.uint16)), 'mosaic must be a 2-D'),
    (dict(pattern='RGBG'), "unknown Bayer pattern 'RGBG'"),
    (dict(black_level=[64, 64, 64]), 'black_level must be one value or four'),
    (dict(xyz_to_cam=np.eye(3)[:2]), 'xyz_to_cam must be a 3x3 matrix'),
    (dict(orientation=2), 'orientation must be one of'),
    (dict(as_shot_neutral=[0.5, -1.0, 0.8]), 'as_shot_neutral must be three'),
    (dict(as_shot_neutral=[0.5, 0, 0.8]), 'as_shot_neutral must be three'),
    (dict(as_shot_neutral=[0.5, 1.0]), 'as_shot_neutral must be three'),
])
def test_bad_arguments_are_refused(tmp_path, kwargs, message):
    path = tmp_path / 'bad.dng'
    args = dict(mosaic=np.zeros((4, 4), np.uint16), pattern='RGGB',
                black_level=64, white_level=4095, xyz_to_cam=np.eye(3))
    with pytest.raises(ValueError, match=message) as e:
        write_dng(path, **dict(args, **kwargs))
    assert str(e.value).startswith(f'{path}: ')
    assert not path.exists()
