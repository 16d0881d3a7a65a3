"""BadRawFileHook on real Runners over tiny DNG data sets with unreadable
files: where it finds the RAW loaders, what it counts (distinct files,
every skip), the per-epoch summary, the limit (inclusive), when it checks
(``check_interval``, epoch end before the checkpoint), and what it says
when there is nothing to count."""
import glob
import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from mmdet.registry import DATASETS

from genisp_mmdet.datasets.transforms import LoadRawImageFromFile
from genisp_mmdet.engine.hooks import BadRawFileHook, TooManyBadFilesError
from genisp_mmdet.engine.hooks.bad_raw_file_hook import raw_loaders
from ..helpers import make_raw_dataset
from .toy import ImageList, ToyModel, loader, log_text, make_runner

META_KEYS = ('img_id', 'img_path', 'ori_shape', 'img_shape', 'raw_scale')


def _dataset_cfg(root, skip=True):
    return dict(
        type='CocoDataset', data_root=str(root),
        ann_file='annotations/tiny_train.json',
        data_prefix=dict(img='raw_images/'),
        pipeline=[
            dict(type='LoadRawImageFromFile', mode='xyz',
                 skip_bad_files=skip),
            dict(type='PackDetInputs', meta_keys=META_KEYS)
        ])


def _data(root, num_images, noise=(), missing=()):
    """``num_images`` small DNGs listed for training; those at the indices
    ``noise`` are overwritten with random bytes, those at ``missing``
    deleted. Returns the paths of the bad ones."""
    make_raw_dataset(str(root), num_images=num_images, width=64, height=56,
                     splits=('train', ))
    paths = [str(root / 'raw_images' / f'train_{i:03d}.dng')
             for i in range(num_images)]
    for i in noise:
        with open(paths[i], 'wb') as f:
            f.write(np.random.default_rng(i).bytes(2048))
    for i in missing:
        os.remove(paths[i])
    return [paths[i] for i in (*noise, *missing)]


def _runner(tmp_path, hook, batch_size=2, skip=True, max_epochs=1,
            checkpoint=None):
    return make_runner(
        tmp_path / 'work', ToyModel(),
        loader(_dataset_cfg(tmp_path / 'data', skip), batch_size=batch_size),
        max_epochs=max_epochs,
        default_hooks=dict(bad_raw_files=hook, checkpoint=checkpoint))


@pytest.mark.parametrize('fraction', [-0.01, 1.01])
def test_max_bad_fraction_must_be_a_fraction(fraction):
    with pytest.raises(ValueError, match='max_bad_fraction must be in'):
        BadRawFileHook(max_bad_fraction=fraction)


def test_finds_the_raw_loaders_through_dataset_wrappers(tmp_path):
    _data(tmp_path / 'data', 2)
    raw = dict(_dataset_cfg(tmp_path / 'data'), lazy_init=True)
    srgb = dict(raw, pipeline=[dict(type='LoadImageFromFile')])
    init_default_scope('mmdet')
    wrapped = DATASETS.build(dict(
        type='ConcatDataset', lazy_init=True, datasets=[
            dict(type='RepeatDataset', times=2, dataset=raw), srgb, raw]))
    found = list(raw_loaders(wrapped))
    assert [id(t) for t in found] == [
        id(wrapped.datasets[0].dataset.pipeline.transforms[0]),
        id(wrapped.datasets[2].pipeline.transforms[0])]
    assert all(isinstance(t, LoadRawImageFromFile) for t in found)


def test_counts_distinct_files_and_every_skip_with_a_summary_per_epoch(
        tmp_path):
    """6 files, one random bytes, one missing; 2 epochs. Each epoch meets
    both (and may draw them again as replacements): the summary counts the
    epoch's skips, the files new in it, and 2 distinct files in all."""
    bad = _data(tmp_path / 'data', 6, noise=[2], missing=[4])
    hook = BadRawFileHook(max_bad_fraction=0.5, check_interval=0)
    runner = _runner(tmp_path, hook, max_epochs=2)
    with pytest.warns(UserWarning, match='skipping unreadable RAW file'):
        runner.train()
    folder = os.path.join(runner.log_dir, 'bad_raw_files')
    assert hook.folder == folder
    assert set(hook.bad_files) == set(bad)
    assert 'Unsupported file format' in hook.bad_files[bad[0]]
    assert hook.bad_files[bad[1]] == 'file not found'
    records = [json.loads(line)
               for log in glob.glob(os.path.join(folder, 'rank0_pid*.jsonl'))
               for line in Path(log).read_text().splitlines()]
    assert hook.num_skips == len(records) >= 4

    log = log_text(runner)
    skips = []
    for epoch, new in ((1, 2), (2, 0)):
        summary = re.search(
            rf'Epoch {epoch}: skipped (\d+) sample\(s\) with unreadable RAW '
            rf'files \({new} file\(s\) new this epoch\); 2 of 6 training '
            r'files \(33.33%\) are bad in this run, limit 50.00%. Records: '
            + re.escape(folder) + '\n' + re.escape(
                '\n'.join(f'  {p}: {hook.bad_files[p]}' for p in sorted(bad))),
            log)
        assert summary, log[-3000:]
        skips.append(int(summary.group(1)))
    assert min(skips) >= 2 and sum(skips) == hook.num_skips


@pytest.mark.parametrize('limit, stops', [(0.1, False), (0.0999, True)])
def test_the_limit_is_inclusive(tmp_path, limit, stops):
    """1 bad file of 10 is 10%: allowed at max_bad_fraction=0.1."""
    _data(tmp_path / 'data', 10, missing=[7])
    runner = _runner(tmp_path, BadRawFileHook(max_bad_fraction=limit),
                     batch_size=5)
    with pytest.warns(UserWarning):
        if stops:
            with pytest.raises(TooManyBadFilesError,
                               match=r'1 of 10 training files \(10.0%\)'):
                runner.train()
        else:
            runner.train()
            assert runner.iter == 2


@pytest.mark.parametrize('interval, iteration', [(1, 1), (3, 3), (0, None)])
def test_checks_every_check_interval_iterations_and_at_epoch_end(
        tmp_path, interval, iteration):
    """The first sample is missing, any bad file is too many, batch 1 over
    4 files. The stop comes at the first check after iteration 1; with
    check_interval=0 at the end of the epoch, before the epoch's
    checkpoint is written."""
    bad = _data(tmp_path / 'data', 4, missing=[0])
    runner = _runner(
        tmp_path, BadRawFileHook(max_bad_fraction=0, check_interval=interval),
        batch_size=1, checkpoint=dict(type='CheckpointHook'))
    with pytest.warns(UserWarning), \
            pytest.raises(TooManyBadFilesError) as err:
        runner.train()
    msg = str(err.value)
    assert msg.startswith(
        '1 of 4 training files (25.0%) could not be read, more than '
        'max_bad_fraction=0 (iteration ')
    assert f'\n  {bad[0]}: file not found' in msg
    if iteration is None:
        assert runner.iter == 4  # the whole epoch ran
        assert not glob.glob(str(tmp_path / 'work' / '*.pth'))
    else:
        assert f'(iteration {iteration}, epoch 1)' in msg
        assert runner.iter == iteration - 1
    assert msg in log_text(runner)


def test_the_epoch_end_stop_names_the_last_iteration(tmp_path):
    """4 iterations, stopped at the end of the epoch: iteration 4."""
    _data(tmp_path / 'data', 4, missing=[0])
    runner = _runner(
        tmp_path, BadRawFileHook(max_bad_fraction=0, check_interval=0),
        batch_size=1)
    with pytest.warns(UserWarning), pytest.raises(
            TooManyBadFilesError, match=r'\(iteration 4, epoch 1\)'):
        runner.train()


def test_the_summary_lists_twenty_files(tmp_path):
    bad = _data(tmp_path / 'data', 24, missing=range(21))
    runner = _runner(tmp_path, BadRawFileHook(max_bad_fraction=1),
                     batch_size=4)
    with pytest.warns(UserWarning):
        runner.train()
    log = log_text(runner)
    assert '21 of 24 training files (87.50%) are bad' in log
    listed = sorted(bad)
    for path in listed[:20]:
        assert f'\n  {path}: file not found' in log
    assert listed[20] not in log
    assert '\n  ... and 1 more' in log


def test_reports_when_nothing_is_skipped_or_nothing_can_be(tmp_path):
    """Good files and a loader without skip_bad_files: an info line at the
    start that a bad file would stop training, one per epoch that nothing
    was skipped."""
    _data(tmp_path / 'data', 4)
    hook = BadRawFileHook()
    runner = _runner(tmp_path, hook, skip=False, max_epochs=2)
    runner.train()
    log = log_text(runner)
    assert ('BadRawFileHook: no LoadRawImageFromFile with skip_bad_files=True '
            'in the training pipeline') in log
    assert 'Epoch 1: no unreadable RAW files skipped' in log
    assert 'Epoch 2: no unreadable RAW files skipped' in log
    assert 'IterBasedTrainLoop' not in log
    assert hook.bad_files == {} and hook.num_skips == 0


def test_does_nothing_without_a_raw_loader(tmp_path):
    images = [torch.rand(3, 8, 8) for _ in range(4)]
    hook = BadRawFileHook()
    runner = make_runner(tmp_path / 'work', ToyModel(),
                         loader(ImageList(images)),
                         default_hooks=dict(bad_raw_files=hook))
    runner.train()
    assert hook.folder is None
    assert not os.path.exists(os.path.join(runner.log_dir, 'bad_raw_files'))
    assert 'unreadable RAW' not in log_text(runner)


def test_warns_that_iteration_based_workers_are_not_counted(tmp_path):
    _data(tmp_path / 'data', 2)
    runner = make_runner(
        tmp_path / 'work', ToyModel(),
        loader(_dataset_cfg(tmp_path / 'data'), num_workers=1),
        default_hooks=dict(bad_raw_files=BadRawFileHook()),
        train_cfg=dict(by_epoch=False, max_iters=1))
    runner.train()
    assert ('BadRawFileHook: with IterBasedTrainLoop and num_workers > 0 the '
            'workers start before this hook') in log_text(runner)



def test_repeated_files_count_once(tmp_path):
    """Two bad files of ten, each listed three times by a RepeatDataset:
    20% of the files are bad, above a 10% limit, and training stops (it
    used to divide by the 30 repeated samples: 6.7%)."""
    _data(tmp_path / 'data', 10, missing=[3, 7])
    repeated = dict(type='RepeatDataset', times=3,
                    dataset=_dataset_cfg(tmp_path / 'data'))
    runner = make_runner(
        tmp_path / 'work', ToyModel(), loader(repeated, batch_size=2),
        default_hooks=dict(bad_raw_files=BadRawFileHook(
            max_bad_fraction=0.1, check_interval=0), checkpoint=None))
    with pytest.warns(UserWarning), pytest.raises(
            TooManyBadFilesError, match=r'2 of 10 training files \(20.0%\)'):
        runner.train()
