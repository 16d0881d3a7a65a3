"""Procedural scenes: determinism, annotation validity, class coverage."""
import numpy as np
import pytest

from genisp_mmdet.synthetic.scenes import (CATEGORIES, SceneConfig,
                                           render_scene)


def test_categories_are_coco_ids():
    assert [dict(c) for c in CATEGORIES] == [{
        'id': 1,
        'name': 'person'
    }, {
        'id': 2,
        'name': 'bicycle'
    }, {
        'id': 3,
        'name': 'car'
    }]


def test_scene_is_a_pure_function_of_its_rng():
    cfg = SceneConfig(width=160, height=120)
    a = render_scene(np.random.default_rng(7), cfg)
    b = render_scene(np.random.default_rng(7), cfg)
    c = render_scene(np.random.default_rng(8), cfg)
    assert np.array_equal(a.image, b.image)
    assert np.array_equal(a.emission, b.emission)
    assert a.instances == b.instances
    assert not np.array_equal(a.image, c.image)


def test_arrays_and_boxes_are_valid():
    cfg = SceneConfig()
    counts = {1: 0, 2: 0, 3: 0}
    heights = []
    for seed in range(20):
        s = render_scene(np.random.default_rng(seed), cfg)
        assert s.image.shape == (480, 640, 3) and s.image.dtype == np.uint8
        assert s.emission.shape == (480, 640)
        assert s.emission.dtype == np.float32
        assert 0 <= s.emission.min() and s.emission.max() <= 1
        assert len(s.instances) <= cfg.max_instances * 2  # riders add people
        for inst in s.instances:
            x, y, w, h = inst.bbox
            assert inst.category_id in counts
            assert x >= 0 and y >= 0 and w >= 2 and h >= 2
            assert x + w <= cfg.width and y + h <= cfg.height
            assert max(w, h) >= cfg.min_box_px
            assert 4 <= inst.area <= w * h
            assert cfg.min_visible <= inst.visible <= 1
            counts[inst.category_id] += 1
            heights.append(h)
    # All classes occur, several instances per image on average, and box
    # heights span small to large objects.
    assert min(counts.values()) >= 5
    assert sum(counts.values()) >= 2 * 20
    assert min(heights) < 20 and max(heights) > 150


def test_boxes_hold_structure():
    """Every box holds an object's edges, not a flat patch of background."""
    s = render_scene(np.random.default_rng(3), SceneConfig())
    assert s.instances
    gray = s.image.astype(np.float32).mean(-1)
    for inst in s.instances:
        x, y, w, h = (int(v) for v in inst.bbox)
        patch = gray[y:y + h, x:x + w]
        assert patch.std() > 3.0


@pytest.mark.parametrize('size', [(33, 40), (40, 31), (20, 20)])
def test_invalid_size_is_rejected(size):
    with pytest.raises(ValueError):
        SceneConfig(width=size[0], height=size[1])


def test_custom_size():
    s = render_scene(np.random.default_rng(0), SceneConfig(width=96,
                                                           height=64))
    assert s.image.shape == (64, 96, 3)
