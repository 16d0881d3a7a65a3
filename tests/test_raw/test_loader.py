"""load_raw_image equals the plain numpy definition (reference.py) for every
Bayer pattern, orientation and mode; the cache holds the final image of
each mode and keeps the loader's errors."""
import shutil
import warnings

import numpy as np
import pytest
import rawpy

from genisp_mmdet.raw import (BAYER_PATTERNS, RawDecodeError, load_raw_image,
                              pack_planes, planes_to_linear, read_raw,
                              rotate_to_display, write_dng)
from genisp_mmdet.raw.packing import BLOCK_ROWS, mosaic_to_linear
from ..conftest import shared_file
from . import reference

XYZ_TO_CAM = np.array([[0.7, -0.2, -0.05], [-0.45, 1.3, 0.15],
                       [-0.1, 0.2, 0.6]])
# float32 rounding of values of order 1 (the matrix adds terms of order 2).
TOL = dict(rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('shape', [(1, 1), (1, 7), (5, 1), (33, 48)])
@pytest.mark.parametrize('with_matrix', [True, False])
def test_planes_to_linear_equals_reference(shape, with_matrix):
    rng = np.random.default_rng(0)
    planes = rng.integers(0, 16383, (*shape, 4)).astype(np.uint16)
    black = np.array([800, 801, 799, 800])
    white = np.array([16383, 16000, 16383, 15000])
    matrix = np.linalg.inv(XYZ_TO_CAM) if with_matrix else None
    out = planes_to_linear(planes, black, white, matrix)
    ref = reference.linear(planes, black, white, matrix)
    assert out.dtype == np.float32 and out.shape == ref.shape
    np.testing.assert_allclose(out, ref, **TOL)


@pytest.mark.parametrize('pattern', BAYER_PATTERNS)
@pytest.mark.parametrize('flip', [0, 3, 5, 6])
@pytest.mark.parametrize('shape', [(2, 2), (2, 14), (2 * BLOCK_ROWS, 6),
                                   (2 * BLOCK_ROWS + 6, 18), (70, 2)])
@pytest.mark.parametrize('with_matrix', [True, False])
def test_mosaic_to_linear_is_the_three_steps_bit_for_bit(
        pattern, flip, shape, with_matrix):
    """The one-pass form equals packing, the affine map and rotation bit
    for bit (so cache entries written by the three-step form stay valid),
    for sizes below, at and across block boundaries, with any number of
    threads."""
    rng = np.random.default_rng(1)
    mosaic = rng.integers(0, 16383, shape).astype(np.uint16)
    black = np.array([800, 801, 799, 800.5])
    white = np.array([16383, 16000, 16383, 15000])
    matrix = np.linalg.inv(XYZ_TO_CAM) if with_matrix else None
    out = mosaic_to_linear(mosaic, pattern, black, white, matrix, flip)
    ref = rotate_to_display(
        planes_to_linear(pack_planes(mosaic, pattern), black, white, matrix),
        flip)
    assert out.dtype == np.float32 and out.flags.c_contiguous
    assert out.shape == ref.shape
    np.testing.assert_array_equal(out.view(np.uint32), ref.view(np.uint32))
    # threads split the blocks, not the arithmetic; a cropped (strided)
    # mosaic is read in place
    for threads in (1, 2, 5):
        np.testing.assert_array_equal(
            mosaic_to_linear(mosaic, pattern, black, white, matrix, flip,
                             threads=threads).view(np.uint32),
            ref.view(np.uint32))
    wide = np.zeros((shape[0], shape[1] + 6), np.uint16)
    wide[:, 2:-4] = mosaic
    np.testing.assert_array_equal(
        mosaic_to_linear(wide[:, 2:-4], pattern, black, white, matrix, flip,
                         threads=2).view(np.uint32), ref.view(np.uint32))


@pytest.mark.parametrize('flip,k', [(3, 2), (5, 1), (6, 3)])
def test_rotate_to_display_is_rot90(flip, k):
    img = np.random.default_rng(2).random((5, 7, 3)).astype(np.float32)
    out = rotate_to_display(img, flip)
    np.testing.assert_array_equal(out, np.rot90(img, k))
    assert out.flags.c_contiguous


def _dng(path, pattern='RGGB', orientation=1, seed=0, shape=(24, 32)):
    rng = np.random.default_rng(seed)
    mosaic = rng.integers(0, 4095, shape).astype(np.uint16)
    write_dng(path, mosaic, pattern, [60, 62, 64, 66], 4095, XYZ_TO_CAM,
              orientation=orientation)
    return str(path)


@pytest.mark.parametrize('pattern', BAYER_PATTERNS)
@pytest.mark.parametrize('mode', ['xyz', 'camera_rgb'])
@pytest.mark.parametrize('orientation,flip', [(1, 0), (3, 3), (6, 6),
                                              (8, 5)])
def test_loader_equals_reference(tmp_path, pattern, mode, orientation, flip):
    path = _dng(tmp_path / 'a.dng', pattern, orientation)
    frame = read_raw(path)
    assert frame.flip == flip and frame.pattern == pattern
    out = load_raw_image(path, mode)
    ref = reference.image(frame, frame.cam_to_xyz if mode == 'xyz' else None)
    assert out.img.dtype == np.float32 and out.img.flags.c_contiguous
    assert out.img.shape == ref.shape
    np.testing.assert_allclose(out.img, ref, **TOL)
    display = (32, 24) if flip in (5, 6) else (24, 32)
    assert out.annotated_shape == display
    assert out.scale == (0.5, 0.5) and out.offset == (0.0, 0.0)


@pytest.mark.parametrize('mode', ['xyz', 'camera_rgb'])
def test_annotated_odd_crop_equals_reference(tmp_path, mode):
    """A 26x18 area centred in 32x24 starts at (3, 3): the image starts one
    pixel earlier, on a CFA tile, and says so in its offset."""
    path = _dng(tmp_path / 'a.dng', 'GBRG')
    out = load_raw_image(path, mode, annotated_size=(26, 18))
    frame = read_raw(path, annotated_size=(26, 18))
    assert frame.crop == (2, 2, 28, 20)
    ref = reference.image(frame, frame.cam_to_xyz if mode == 'xyz' else None)
    np.testing.assert_allclose(out.img, ref, **TOL)
    assert out.offset == (0.5, 0.5) and out.annotated_shape == (18, 26)


@pytest.mark.parametrize('pattern', BAYER_PATTERNS)
@pytest.mark.parametrize('mode', ['xyz', 'camera_rgb'])
def test_cache_hits_are_identical(tmp_path, pattern, mode):
    path = _dng(tmp_path / 'a.dng', pattern, orientation=6)
    img = load_raw_image(path, mode).img
    cache = str(tmp_path / 'cache')
    miss = load_raw_image(path, mode, cache_dir=cache)
    hit = load_raw_image(path, mode, cache_dir=cache)
    np.testing.assert_array_equal(miss.img, img)
    np.testing.assert_array_equal(hit.img, img)
    assert hit.img.dtype == np.float32
    assert hit.img.flags.writeable and hit.img.flags.c_contiguous
    assert hit.meta == miss.meta
    assert (hit.scale, hit.offset, hit.annotated_shape) == (
        miss.scale, miss.offset, miss.annotated_shape)


def test_rawpy_mode_is_libraw_processing_cropped_in_display_orientation(
        tmp_path):
    path = _dng(tmp_path / 'a.dng', orientation=6)
    with rawpy.imread(path) as raw:
        full = raw.postprocess(output_bps=16)
    assert full.shape == (32, 24, 3)
    out = load_raw_image(path, 'rawpy', annotated_size=(20, 28))
    np.testing.assert_allclose(out.img, full[2:30, 2:22] / 65535, **TOL)
    assert out.scale == (1.0, 1.0) and out.annotated_shape == (28, 20)


def test_modes_have_their_own_cache_entries(tmp_path):
    path = _dng(tmp_path / 'a.dng')
    cache = str(tmp_path / 'cache')
    xyz = load_raw_image(path, 'xyz', cache_dir=cache).img
    cam = load_raw_image(path, 'camera_rgb', cache_dir=cache).img
    assert not np.allclose(xyz, cam)
    np.testing.assert_array_equal(
        load_raw_image(path, 'xyz', cache_dir=cache).img, xyz)
    np.testing.assert_array_equal(
        load_raw_image(path, 'camera_rgb', cache_dir=cache).img, cam)


def test_unknown_mode_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown mode 'srgb'"):
        load_raw_image(_dng(tmp_path / 'a.dng'), 'srgb')


def test_file_without_matrix_cached_or_not(tmp_path, monkeypatch):
    """A file without a colour matrix raises in xyz mode whether or not it
    is cached, is camera RGB (with a warning) when the identity is allowed,
    and needs no matrix in camera_rgb mode."""
    path = str(tmp_path / 'kodak.kdc')
    shutil.copy(shared_file('real-raw', 'RAW_KODAK_DC50.KDC'), path)
    cache = str(tmp_path / 'cache')
    with pytest.raises(RawDecodeError, match='kodak.kdc: no colour matrix'):
        load_raw_image(path, 'xyz', cache_dir=cache)
    with pytest.warns(UserWarning, match='no colour matrix'):
        first = load_raw_image(path, 'xyz', allow_identity_matrix=True,
                               cache_dir=cache)
    assert first.meta['matrix_source'] == 'identity'
    np.testing.assert_allclose(first.img, reference.image(read_raw(path),
                                                          None), **TOL)

    import genisp_mmdet.raw.loader as loader

    def no_decoding(*args, **kwargs):
        raise AssertionError('decoded although cached')

    monkeypatch.setattr(loader, 'read_raw', no_decoding)
    with pytest.raises(RawDecodeError, match='no colour matrix'):
        load_raw_image(path, 'xyz', cache_dir=cache)
    with pytest.warns(UserWarning, match='no colour matrix'):
        hit = load_raw_image(path, 'xyz', allow_identity_matrix=True,
                             cache_dir=cache)
    np.testing.assert_array_equal(hit.img, first.img)
    monkeypatch.undo()
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        cam = load_raw_image(path, 'camera_rgb')
    np.testing.assert_array_equal(cam.img, first.img)
