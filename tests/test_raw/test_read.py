"""read_raw and packing: patterns, levels, crops and colour matrices, on
DNGs written at test time and on real files from ../shared/data/real-raw."""
import numpy as np
import pytest
import rawpy

from genisp_mmdet.raw import (BAYER_PATTERNS, RawDecodeError, load_raw_image,
                              pack_planes, read_raw, write_dng)
from genisp_mmdet.raw.packing import tile_order
from genisp_mmdet.raw.color import (SRGB_TO_XYZ, cam_to_xyz_from_cam_to_srgb,
                                    cam_to_xyz_from_xyz_to_cam)
from ..conftest import shared_file
from . import reference

XYZ_TO_CAM = np.array([[0.7, -0.2, -0.05], [-0.45, 1.3, 0.15],
                       [-0.1, 0.2, 0.6]])
BLACK = [64, 65, 66, 67]  # per tile position, row-major
WHITE = 4095


def _mosaic_with_planes(pattern, h=32, w=48, seed=0):
    """A mosaic whose R, G1, G2, B planes are known random arrays."""
    rng = np.random.default_rng(seed)
    planes = {c: rng.integers(70, 4000, (h // 2, w // 2)).astype(np.uint16)
              for c in ('R', 'G1', 'G2', 'B')}
    mosaic = np.zeros((h, w), np.uint16)
    names = ['R', 'G1', 'G2', 'B']
    for name, (r, c) in zip(names, reference.positions(pattern)):
        mosaic[r::2, c::2] = planes[name]
    return mosaic, planes


def test_tile_order():
    """Row-major tile index of R, G1 (on the red row), G2 and B."""
    assert tile_order('RGGB').tolist() == [0, 1, 2, 3]
    assert tile_order('GRBG').tolist() == [1, 0, 3, 2]
    assert tile_order('GBRG').tolist() == [2, 3, 0, 1]
    assert tile_order('BGGR').tolist() == [3, 2, 1, 0]
    with pytest.raises(ValueError, match='unknown Bayer pattern'):
        tile_order('RGBG')


@pytest.mark.parametrize('pattern', BAYER_PATTERNS)
def test_dng_decodes_to_known_planes(tmp_path, pattern):
    mosaic, planes = _mosaic_with_planes(pattern)
    path = tmp_path / f'{pattern}.dng'
    write_dng(path, mosaic, pattern, BLACK, WHITE, XYZ_TO_CAM)

    frame = read_raw(path)
    assert frame.pattern == pattern
    assert np.array_equal(frame.mosaic, mosaic)
    assert frame.black_level.reshape(-1).tolist() == BLACK
    assert frame.white_level.reshape(-1).tolist() == [WHITE] * 4

    packed = pack_planes(frame.mosaic, frame.pattern)
    for i, name in enumerate(['R', 'G1', 'G2', 'B']):
        assert np.array_equal(packed[..., i], planes[name]), name

    # Black/white normalisation per tile position, greens averaged.
    black = [BLACK[2 * r + c] for r, c in reference.positions(pattern)]
    known = np.stack([planes[n] for n in ('R', 'G1', 'G2', 'B')], -1)
    cam = reference.linear(known, black, [WHITE] * 4, None)
    out = load_raw_image(path, 'camera_rgb').img
    assert out.dtype == np.float32 and out.shape == (16, 24, 3)
    np.testing.assert_allclose(out, cam, rtol=0, atol=2e-6)

    # XYZ = inverse(XYZ->camera) @ camera RGB, with the matrix the file
    # holds (rationals of denominator <= 10000).
    xyz = load_raw_image(path, 'xyz').img
    expected = cam @ np.linalg.inv(XYZ_TO_CAM).T
    np.testing.assert_allclose(xyz, expected, rtol=0, atol=1e-4)
    assert frame.matrix_source == 'dng_color_matrix'


def test_xyz_is_not_the_forward_matrix(tmp_path):
    """Guard against the public reproductions' bug: multiplying by
    XYZ->camera instead of its inverse."""
    mosaic, _ = _mosaic_with_planes('RGGB')
    path = tmp_path / 'a.dng'
    write_dng(path, mosaic, 'RGGB', BLACK, WHITE, XYZ_TO_CAM)
    cam = load_raw_image(path, 'camera_rgb').img
    wrong = cam @ XYZ_TO_CAM.T
    assert np.abs(load_raw_image(path, 'xyz').img - wrong).max() > 0.05


def test_color_matrix_fallback_matches_inverse_up_to_scale():
    """camera->XYZ from LibRaw's color_matrix equals inv(XYZ->camera) up to
    one global factor (LibRaw normalises the daylight multipliers)."""
    cam_to_srgb_white = np.linalg.inv(SRGB_TO_XYZ) @ np.linalg.inv(XYZ_TO_CAM)
    # dcraw: rows of cam_rgb = XYZ_TO_CAM @ SRGB_TO_XYZ sum to 1 after
    # dividing by pre_mul^-1.
    cam_rgb = XYZ_TO_CAM @ SRGB_TO_XYZ
    rowsum = cam_rgb.sum(1)
    pre_mul = 1 / rowsum
    rgb_cam = np.linalg.inv(cam_rgb / rowsum[:, None])
    derived = cam_to_xyz_from_cam_to_srgb(rgb_cam, pre_mul / pre_mul[1])
    direct = cam_to_xyz_from_xyz_to_cam(XYZ_TO_CAM)
    ratio = derived / direct
    np.testing.assert_allclose(ratio, ratio[0, 0], rtol=1e-9)
    assert cam_to_srgb_white.shape == (3, 3)


def test_odd_crop_and_annotated_size(tmp_path):
    mosaic, _ = _mosaic_with_planes('GRBG', h=40, w=60)
    path = tmp_path / 'c.dng'
    write_dng(path, mosaic, 'GRBG', 64, WHITE, XYZ_TO_CAM)
    # Annotated area 56x36 centred in 60x40 starts at (2, 2): even.
    frame = read_raw(path, annotated_size=(56, 36))
    assert frame.crop == (2, 2, 56, 36) and frame.offset == (0, 0)
    assert frame.pattern == 'GRBG'
    # 54x34 starts at (3, 3): the crop starts one pixel earlier, on a tile.
    frame = read_raw(path, annotated_size=(54, 34))
    assert frame.crop[:2] == (2, 2) and frame.offset == (1, 1)
    assert frame.pattern == 'GRBG'
    with pytest.raises(RawDecodeError, match='larger than the image'):
        read_raw(path, annotated_size=(64, 40))


def test_real_blackmagic_dng():
    path = shared_file('real-raw', 'Blackmagic.dng')
    frame = read_raw(path)
    assert frame.pattern == 'RGGB'
    # The DNG's DefaultCrop: 4096x2160 at (16, 8).
    assert frame.crop == (16, 8, 4096, 2160)
    assert frame.black_level.reshape(-1).tolist() == [512] * 4
    # LibRaw leaves rgb_xyz_matrix zero for DNGs: the DNG's ColorMatrix is
    # used, and LibRaw's color_matrix gives the same colours.
    with rawpy.imread(path) as raw:
        assert not np.any(raw.rgb_xyz_matrix)
        cm = np.asarray(raw.color_matrix)[:, :3]
        wb = np.asarray(raw.daylight_whitebalance)[:3]
    assert frame.matrix_source == 'dng_color_matrix'
    fallback = cam_to_xyz_from_cam_to_srgb(cm, wb)
    a = frame.cam_to_xyz / np.linalg.norm(frame.cam_to_xyz)
    b = fallback / np.linalg.norm(fallback)
    np.testing.assert_allclose(a, b, atol=0.02)
    xyz = load_raw_image(path, 'xyz').img
    assert xyz.shape == (1080, 2048, 3) and xyz.dtype == np.float32
    assert 0.0 < xyz.mean() < 1.0


def test_real_kodak_kdc_pattern_and_missing_matrix():
    path = shared_file('real-raw', 'RAW_KODAK_DC50.KDC')
    frame = read_raw(path)
    assert frame.pattern == 'GRBG'
    assert frame.white_level.reshape(-1).tolist() == [16383] * 4
    assert frame.cam_to_xyz is None and frame.matrix_source == 'none'
    with pytest.raises(RawDecodeError, match='RAW_KODAK_DC50.KDC.*no colour'):
        load_raw_image(path, 'xyz')
    with pytest.warns(UserWarning, match='no colour matrix'):
        img = load_raw_image(path, 'xyz', allow_identity_matrix=True).img
    assert img.shape == (256, 384, 3)
    np.testing.assert_array_equal(img, load_raw_image(path,
                                                      'camera_rgb').img)


def test_real_coolscan_nef_is_rejected():
    path = shared_file('real-raw', 'Nikon_coolscan_uncompressed.nef')
    with pytest.raises(RawDecodeError) as e:
        read_raw(path)
    assert 'Nikon_coolscan_uncompressed.nef' in str(e.value)
    assert 'not a Bayer mosaic' in str(e.value)
