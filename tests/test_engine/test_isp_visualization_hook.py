"""ISPVisualizationHook and isp_grid: at each validation of a real run, the
ISP's output for the first ``num_images`` images of the first validation
batch goes to ``<work_dir>/isp_vis/iter_<N>.png`` and to the visualiser,
in the right colours; nothing for a model without an ISP."""
import os

import cv2
import numpy as np
import torch

from genisp_mmdet.engine.hooks import ISPVisualizationHook, isp_grid
from .toy import ImageList, ToyModel, isp_preprocessor, loader, make_runner

COLOURS = [(1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 1, 0), (0, 1, 1), (1, 0, 1)]


def _constant(colour, h, w):
    return torch.tensor(colour, dtype=torch.float32)[:, None, None].expand(
        3, h, w).clone()


def test_isp_grid_resizes_clips_and_keeps_rgb():
    red_blue = torch.cat([_constant((1, 0, 0), 40, 30),
                          _constant((0, 0, 1), 40, 30)], dim=2)  # 40 x 60
    out_of_range = _constant((2.0, -1.0, 0.5), 20, 20)
    grid = isp_grid([red_blue, out_of_range], height=30)
    assert grid.dtype == np.uint8 and grid.shape == (30, 45 + 30, 3)
    np.testing.assert_array_equal(grid[:, :22], [[[255, 0, 0]] * 22] * 30)
    np.testing.assert_array_equal(grid[:, 23:45], [[[0, 0, 255]] * 22] * 30)
    np.testing.assert_array_equal(grid[:, 45:], [[[255, 0, 128]] * 30] * 30)
    assert isp_grid([torch.rand(3, 100, 1)], height=10).shape == (10, 1, 3)


def _images(n):
    return [torch.rand(3, 12, 16) for _ in range(n)]


def _runner(tmp_path, preprocessor, hook):
    """4 training images (2 iterations an epoch), 2 epochs, validation
    after each on 6 images of distinct colours in batches of 3."""
    model = ToyModel(data_preprocessor=preprocessor)
    val = ImageList([_constant(c, 12, 16) for c in COLOURS])
    return make_runner(
        tmp_path / 'work', model, loader(ImageList(_images(4))),
        val=loader(val, batch_size=3), max_epochs=2, custom_hooks=[hook])


def test_saves_the_first_images_of_each_validation(tmp_path):
    runner = _runner(tmp_path, isp_preprocessor(),
                     ISPVisualizationHook(num_images=2, height=6))
    runner.train()
    out_dir = tmp_path / 'work' / 'isp_vis'
    assert sorted(os.listdir(out_dir)) == ['iter_2.png', 'iter_4.png']
    # 2 tiles of 6 x 8 (16 x 12 scaled to height 6): colours 0 and 1, the
    # first batch's first two images (not the last batch's, not a third)
    expected = np.concatenate(
        [np.broadcast_to(np.array(c, np.uint8) * 255, (6, 8, 3))
         for c in COLOURS[:2]], axis=1)
    for step in (2, 4):
        saved = cv2.imread(str(out_dir / f'iter_{step}.png'))[..., ::-1]
        np.testing.assert_array_equal(saved, expected)
        backend = os.path.join(runner.log_dir, 'vis_data', 'vis_image',
                               f'isp_output_{step}.png')
        np.testing.assert_array_equal(cv2.imread(backend)[..., ::-1],
                                      expected)


def test_nothing_without_an_isp(tmp_path):
    runner = _runner(tmp_path, None, ISPVisualizationHook())
    runner.train()
    assert runner.val_loop.evaluator.metrics[0].seen == [6, 6]
    assert not (tmp_path / 'work' / 'isp_vis').exists()

