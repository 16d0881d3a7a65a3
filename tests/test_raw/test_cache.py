"""ArrayCache and cache_key do what cache.py promises: a changed file or
setting is a new key, a hit gives back what was put, a failed write leaves
no entry, an unreadable entry is a miss."""
import json
import os

import numpy as np
import pytest

from genisp_mmdet.raw import load_raw_image, write_dng
from genisp_mmdet.raw.cache import ArrayCache, cache_key

SETTINGS = dict(stage='xyz', annotated_size=[32, 24], version=2)


@pytest.fixture
def source(tmp_path):
    path = tmp_path / 'file.raw'
    path.write_bytes(b'0123456789')
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    return str(path)


def _files(root):
    return sorted(os.path.relpath(os.path.join(d, f), root)
                  for d, _, names in os.walk(root) for f in names)


def test_key_is_stable_and_ignores_settings_order(source, tmp_path,
                                                  monkeypatch):
    key = cache_key(source, SETTINGS)
    assert key == cache_key(source, dict(reversed(list(SETTINGS.items()))))
    monkeypatch.chdir(tmp_path)  # the key holds the absolute path
    assert cache_key('file.raw', SETTINGS) == key


def test_key_changes_with_size_mtime_path_and_settings(source, tmp_path):
    key = cache_key(source, SETTINGS)
    assert cache_key(source, dict(SETTINGS, stage='camera_rgb')) != key
    assert cache_key(source, dict(SETTINGS, annotated_size=None)) != key

    os.utime(source, ns=(1_000_000_000, 2_000_000_000))
    touched = cache_key(source, SETTINGS)
    assert touched != key

    # Same mtime, other size: a rewritten file is still a new key.
    with open(source, 'ab') as f:
        f.write(b'!')
    os.utime(source, ns=(1_000_000_000, 2_000_000_000))
    assert cache_key(source, SETTINGS) not in (key, touched)

    other = tmp_path / 'copy.raw'
    other.write_bytes(open(source, 'rb').read())
    os.utime(other, ns=(1_000_000_000, 2_000_000_000))
    assert cache_key(str(other), SETTINGS) != cache_key(source, SETTINGS)

    with pytest.raises(FileNotFoundError):
        cache_key(str(tmp_path / 'absent.raw'), SETTINGS)


@pytest.mark.parametrize('arr', [
    np.random.default_rng(0).standard_normal((5, 7, 3)).astype(np.float32),
    np.arange(24, dtype=np.uint16).reshape(2, 3, 4),
    np.zeros((0, 3)),
])
def test_hit_returns_identical_array_and_meta(tmp_path, arr):
    cache = ArrayCache(str(tmp_path / 'cache'))
    meta = dict(pattern='GRBG', crop=[2, 2, 28, 20], cam_to_xyz=None,
                black_level=[60.0, 62.5, 64.0, 66.0])
    assert cache.get('ab12') is None
    cache.put('ab12', arr, meta)
    got, got_meta = cache.get('ab12')
    assert got.dtype == arr.dtype and got.shape == arr.shape
    np.testing.assert_array_equal(got, arr)
    assert got_meta == meta
    assert cache.get('ab13') is None
    assert _files(tmp_path / 'cache') == ['ab/ab12.json', 'ab/ab12.npy']


def test_failed_array_write_leaves_no_entry(tmp_path):
    """np.save writes the header, then refuses the object array: the
    partial file never takes the entry's name."""
    root = tmp_path / 'cache'
    cache = ArrayCache(str(root))
    with pytest.raises(ValueError):
        cache.put('cd34', np.array([{}, None], dtype=object), {})
    assert _files(root) == []
    assert cache.get('cd34') is None


def test_failed_metadata_write_leaves_no_entry_and_keeps_the_old_one(
        tmp_path):
    root = tmp_path / 'cache'
    cache = ArrayCache(str(root))
    with pytest.raises(TypeError):
        cache.put('ef56', np.ones(3), dict(bad={1, 2}))
    assert _files(root) == []
    cache.put('ef56', np.ones(3), dict(n=1))
    with pytest.raises(TypeError):
        cache.put('ef56', np.zeros(3), dict(bad=object()))
    arr, meta = cache.get('ef56')
    np.testing.assert_array_equal(arr, np.ones(3))
    assert meta == dict(n=1)
    assert _files(root) == ['ef/ef56.json', 'ef/ef56.npy']


@pytest.mark.parametrize('name,content', [
    ('npy', b''),
    ('npy', b'\x93NUMPY'),
    ('npy', 'truncate'),
    ('npy', b'not an array at all'),
    ('json', b''),
    ('json', b'{"shape": [4'),
    ('json', b'[4, 2]'),
    ('json', b'{"pattern": "RGGB"}'),
    ('json', b'{"shape": [2, 4]}'),
    ('json', b'\xff\xfe'),
])
def test_corrupted_entry_is_a_miss(tmp_path, name, content):
    cache = ArrayCache(str(tmp_path / 'cache'))
    cache.put('0a1b', np.arange(8.0).reshape(4, 2), dict(n=1))
    path = tmp_path / 'cache' / '0a' / f'0a1b.{name}'
    if content == 'truncate':
        content = path.read_bytes()[:-8]
    path.write_bytes(content)
    assert cache.get('0a1b') is None


def test_missing_half_of_an_entry_is_a_miss(tmp_path):
    cache = ArrayCache(str(tmp_path / 'cache'))
    for gone in ('npy', 'json'):
        cache.put('1c2d', np.ones(2), {})
        os.unlink(tmp_path / 'cache' / '1c' / f'1c2d.{gone}')
        assert cache.get('1c2d') is None


def test_loader_replaces_a_corrupted_entry(tmp_path):
    path = str(tmp_path / 'a.dng')
    mosaic = np.random.default_rng(0).integers(0, 4095, (24, 32))
    write_dng(path, mosaic.astype(np.uint16), 'RGGB', 64, 4095,
              np.diag([0.8, 1.0, 1.2]))
    root = tmp_path / 'cache'
    img = load_raw_image(path, cache_dir=str(root)).img
    (npy, ) = root.glob('*/*.npy')
    npy.write_bytes(b'')
    np.testing.assert_array_equal(
        load_raw_image(path, cache_dir=str(root)).img, img)
    np.testing.assert_array_equal(np.load(npy), img)
    meta = json.loads(npy.with_suffix('.json').read_text())
    assert meta['shape'] == list(img.shape)
