"""GlobalStagesHook: after each validation, the summaries of the ISP's
global stages go into the validation metrics, with the scene light where
the annotation file records it."""
import json

import pytest
import torch

from genisp_mmdet.engine.hooks import GlobalStagesHook
from genisp_mmdet.isp import GenISP
from genisp_mmdet.isp.diagnostics import stage_records, summarize
from .toy import ImageList, ToyModel, isp_preprocessor, loader, make_runner


def _images(n=6):
    g = torch.Generator().manual_seed(0)
    return [torch.rand(3, 24, 32, generator=g) * (0.01 + 0.01 * i)
            for i in range(n)]


def _scalars(runner):
    path = f'{runner.log_dir}/vis_data/scalars.json'
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def test_summaries_are_logged_by_epoch(tmp_path):
    torch.manual_seed(0)
    isp = GenISP(enhance=False, resize=32)
    data = ImageList(_images())
    runner = make_runner(
        tmp_path, ToyModel(isp_preprocessor(isp)), loader(data),
        val=loader(data), max_epochs=2,
        custom_hooks=[GlobalStagesHook(num_images=4)])
    runner.train()
    vals = [r for r in _scalars(runner) if 'isp/saturated' in r]
    assert len(vals) == 2  # one per validation
    for r in vals:
        assert 0.0 <= r['isp/saturated'] <= 1.0
        assert {'isp/gain_log_std_x', 'isp/gain_log_std_z',
                'isp/matrix_entry_std_max'} <= set(r)
        # no illuminant in this data set: no correlation logged
        assert 'isp/illuminant_correlation' not in r
    # the last validation's figures are those of the trained ISP on the
    # first num_images validation images
    s = summarize(stage_records(isp, _images()[:4]))
    assert vals[-1]['isp/saturated'] == pytest.approx(s['saturated'])
    assert vals[-1]['isp/matrix_entry_std_max'] == pytest.approx(
        s['matrix_entry_std_max'], rel=1e-4, abs=1e-8)
    assert vals[-1]['isp/gain_log_std_x'] == pytest.approx(
        s['gain_log_std'][0], rel=1e-3, abs=1e-4)


def test_without_global_stages_nothing_is_logged(tmp_path):
    data = ImageList(_images(2))
    runner = make_runner(tmp_path, ToyModel(isp_preprocessor()),
                         loader(data), val=loader(data),
                         custom_hooks=[GlobalStagesHook()])
    runner.train()
    assert not any('isp/saturated' in r for r in _scalars(runner))
