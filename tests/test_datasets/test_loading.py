"""LoadRawImageFromFile: modes, geometry (boxes land on objects), cache,
errors naming the file."""
import os

import numpy as np
import pytest

from genisp_mmdet.datasets.transforms import LoadRawImageFromFile
from genisp_mmdet.raw import RawDecodeError, write_dng

XYZ_TO_CAM = np.array([[0.7, -0.2, -0.05], [-0.45, 1.3, 0.15],
                       [-0.1, 0.2, 0.6]])


def write_scene_dng(path, width, height, box, pattern='RGGB',
                    annotated=None, black=64, white=4095):
    """A dark DNG with a bright rectangle at ``box`` ([x, y, w, h] in
    annotated-area pixels). ``annotated``: (w, h) of the annotated area,
    centred in the mosaic."""
    mosaic = np.full((height, width), black + 20, np.uint16)
    ox = oy = 0
    if annotated is not None:
        ox, oy = (width - annotated[0]) // 2, (height - annotated[1]) // 2
    x, y, w, h = box
    mosaic[oy + y:oy + y + h, ox + x:ox + x + w] = white - 100
    write_dng(path, mosaic, pattern, black, white, XYZ_TO_CAM)
    return path


def _results(path, box, size=None):
    res = dict(img_path=str(path),
               instances=[dict(bbox=[box[0], box[1], box[0] + box[2],
                                     box[1] + box[3]], bbox_label=0,
                               ignore_flag=0)])
    if size is not None:
        res['width'], res['height'] = size
    return res


@pytest.mark.parametrize('mode', ['xyz', 'camera_rgb', 'rawpy'])
def test_boxes_land_on_the_object(tmp_path, mode):
    box = [40, 24, 32, 20]
    path = write_scene_dng(tmp_path / 'a.dng', 160, 96, box)
    out = LoadRawImageFromFile(mode=mode)(_results(path, box, (160, 96)))
    img = out['img']
    assert img.dtype == np.float32 and img.shape[2] == 3
    sx, sy = out['raw_scale']
    assert out['ori_shape'] == (96, 160)
    assert img.shape[:2] == (round(96 * sy), round(160 * sx))
    x1, y1, x2, y2 = (int(round(v)) for v in out['instances'][0]['bbox'])
    lum = img.mean(2)
    inside = lum[y1 + 1:y2 - 1, x1 + 1:x2 - 1]
    outside = np.concatenate([lum[:y1 - 1].ravel(), lum[y2 + 1:].ravel()])
    assert inside.min() > 5 * max(outside.max(), 1e-3) or \
        inside.min() > outside.max() + 0.3
    assert out['raw_meta']['pattern'] == 'RGGB'


def test_annotated_area_inside_larger_visible_area(tmp_path):
    """RAW-NOD's Sony files: annotations on 5472x3648 inside LibRaw's
    5496x3672 visible area (here scaled down 1:24)."""
    box = [60, 40, 30, 24]
    path = write_scene_dng(tmp_path / 's.dng', 229, 153, box,
                           annotated=(228, 152))
    out = LoadRawImageFromFile()(_results(path, box, (228, 152)))
    assert out['ori_shape'] == (152, 228)
    assert out['img'].shape[:2] == (76, 114)
    x1, y1, x2, y2 = np.round(out['instances'][0]['bbox']).astype(int)
    assert (x1, y1, x2, y2) == (30, 20, 45, 32)
    lum = out['img'].mean(2)
    assert lum[y1:y2, x1:x2].min() > 0.5
    assert lum[y1 - 2, x1:x2].max() < 0.1 and lum[y1:y2, x2 + 1].max() < 0.1


def test_cache_gives_identical_images_and_tracks_changes(tmp_path):
    box = [8, 8, 16, 16]
    path = write_scene_dng(tmp_path / 'c.dng', 64, 48, box)
    cache = tmp_path / 'cache'
    t = LoadRawImageFromFile(cache_dir=str(cache))
    first = t(_results(path, box))['img']
    assert any(f.endswith('.npy') for _, _, fs in os.walk(cache) for f in fs)
    second = t(_results(path, box))['img']
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(
        first, LoadRawImageFromFile()(_results(path, box))['img'])
    # A rewritten file is a new key, never a stale hit.
    write_scene_dng(path, 64, 48, [30, 20, 16, 16])
    os.utime(path, ns=(1, 10**18))
    third = t(_results(path, box))['img']
    assert not np.array_equal(first, third)


def test_unreadable_file_names_the_file(tmp_path):
    bad = tmp_path / 'not_a_raw.ARW'
    bad.write_bytes(b'\xff\xd8\xff\xe0' + os.urandom(2000))
    with pytest.raises(RawDecodeError, match='not_a_raw.ARW'):
        LoadRawImageFromFile()(dict(img_path=str(bad)))
    with pytest.warns(UserWarning, match='not_a_raw.ARW'):
        assert LoadRawImageFromFile(skip_bad_files=True)(
            dict(img_path=str(bad))) is None
    with pytest.raises(RawDecodeError, match='missing.dng.*not found'):
        LoadRawImageFromFile()(dict(img_path=str(tmp_path / 'missing.dng')))


def test_repr_and_bad_mode():
    assert 'mode=' in repr(LoadRawImageFromFile(mode='camera_rgb'))
    with pytest.raises(ValueError, match='mode'):
        LoadRawImageFromFile(mode='srgb')
