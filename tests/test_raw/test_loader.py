"""load_raw_image's fast colour transform equals the numpy definition; the
cache holds the final image of each mode and keeps the loader's errors."""
import warnings

import numpy as np
import pytest

from genisp_mmdet.raw import BAYER_PATTERNS, RawDecodeError, write_dng
from genisp_mmdet.raw.bayer import develop, planes_to_linear, read_raw
from genisp_mmdet.raw.loader import load_raw_image, planes_to_linear_fast

XYZ_TO_CAM = np.array([[0.7, -0.2, -0.05], [-0.45, 1.3, 0.15],
                       [-0.1, 0.2, 0.6]])


@pytest.mark.parametrize('shape', [(1, 1), (1, 7), (5, 1), (33, 48)])
@pytest.mark.parametrize('with_matrix', [True, False])
def test_fast_transform_equals_planes_to_linear(shape, with_matrix):
    rng = np.random.default_rng(0)
    planes = rng.integers(0, 16383, (*shape, 4)).astype(np.uint16)
    black = np.array([800, 801, 799, 800])
    white = np.array([16383, 16000, 16383, 15000])
    matrix = np.linalg.inv(XYZ_TO_CAM) if with_matrix else None
    fast = planes_to_linear_fast(planes, black, white, matrix)
    ref = planes_to_linear(planes, black, white, matrix)
    assert fast.dtype == np.float32 and fast.shape == ref.shape
    np.testing.assert_allclose(fast, ref, rtol=1e-5, atol=1e-6)


def _dng(path, pattern='RGGB', matrix=XYZ_TO_CAM, seed=0):
    rng = np.random.default_rng(seed)
    mosaic = rng.integers(64, 4095, (24, 32)).astype(np.uint16)
    write_dng(path, mosaic, pattern, 64, 4095, matrix)
    return str(path)


@pytest.mark.parametrize('pattern', BAYER_PATTERNS)
@pytest.mark.parametrize('mode', ['xyz', 'camera_rgb'])
def test_loader_equals_develop_and_cache_hits_are_identical(
        tmp_path, pattern, mode):
    path = _dng(tmp_path / f'{pattern}.dng', pattern)
    ref = develop(read_raw(path), mode)
    img = load_raw_image(path, mode).img
    np.testing.assert_allclose(img, ref, rtol=1e-5, atol=1e-6)
    cache = str(tmp_path / 'cache')
    miss = load_raw_image(path, mode, cache_dir=cache).img
    hit = load_raw_image(path, mode, cache_dir=cache).img
    np.testing.assert_array_equal(miss, img)
    np.testing.assert_array_equal(hit, img)
    assert hit.flags.writeable and hit.flags.c_contiguous


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


def test_cache_hit_keeps_the_missing_matrix_error(tmp_path, monkeypatch):
    """A file without a colour matrix raises in xyz mode whether or not it
    is cached, and warns when the identity is allowed."""
    path = _dng(tmp_path / 'a.dng')
    cache = str(tmp_path / 'cache')
    import genisp_mmdet.raw.loader as loader
    frame = read_raw(path)
    frame.cam_to_xyz, frame.matrix_source = None, 'none'
    monkeypatch.setattr(loader, 'read_raw', lambda *a, **k: frame)
    with pytest.warns(UserWarning, match='no colour matrix'):
        first = load_raw_image(path, 'xyz', allow_identity_matrix=True,
                               cache_dir=cache)
    assert first.meta['matrix_source'] == 'identity'
    monkeypatch.setattr(loader, 'read_raw', None)  # hits only from here on
    with pytest.raises(RawDecodeError, match='no colour matrix'):
        load_raw_image(path, 'xyz', cache_dir=cache)
    with pytest.warns(UserWarning, match='no colour matrix'):
        hit = load_raw_image(path, 'xyz', allow_identity_matrix=True,
                             cache_dir=cache)
    np.testing.assert_array_equal(hit.img, first.img)
    # camera_rgb needs no matrix: no warning.
    monkeypatch.setattr(loader, 'read_raw', lambda *a, **k: frame)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        load_raw_image(path, 'camera_rgb', cache_dir=str(tmp_path / 'c2'))
