"""Bad RAW inputs give an error naming the file and the reason; in
training they are skipped, counted over worker processes, summarised each
epoch, and stop the run above ``max_bad_fraction``."""
import json
import re
import shutil
import warnings

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.runner import Runner

import genisp_mmdet  # noqa: F401
from genisp_mmdet.datasets.transforms import LoadRawImageFromFile
from genisp_mmdet.datasets.transforms.loading import SkipLogReader
from genisp_mmdet.engine.hooks import TooManyBadFilesError
from genisp_mmdet.raw import RawDecodeError, write_dng
from ..conftest import shared_file
from ..helpers import XYZ_TO_CAM, make_raw_dataset
from .common import fast_config, run_in_process, train_tool


def _truncated_dng(d):
    mosaic = np.random.default_rng(0).normal(300, 8, (120, 160))
    write_dng(d / 'ok.dng', mosaic.clip(0, 4095).astype(np.uint16), 'RGGB',
              64, 4095, XYZ_TO_CAM)
    data = (d / 'ok.dng').read_bytes()
    (d / 'truncated.dng').write_bytes(data[:len(data) * 2 // 3])
    return d / 'truncated.dng'


def _jpeg_as_arw(d):
    img = (np.random.default_rng(1).random((48, 64, 3)) * 255).astype(np.uint8)
    (d / 'photo.ARW').write_bytes(cv2.imencode('.jpg', img)[1].tobytes())
    return d / 'photo.ARW'


def _empty(d):
    (d / 'empty.dng').write_bytes(b'')
    return d / 'empty.dng'


def _random_nef(d):
    (d / 'noise.NEF').write_bytes(np.random.default_rng(2).bytes(20000))
    return d / 'noise.NEF'


def _coolscan(d):
    return shared_file('real-raw', 'Nikon_coolscan_uncompressed.nef')


def _no_colour_matrix(d):
    return shared_file('real-raw', 'RAW_KODAK_DC50.KDC')


def _missing(d):
    return d / 'listed_but_missing.dng'


# (make the file, a phrase of the reason)
BAD_INPUTS = {
    'truncated DNG': (_truncated_dng, 'truncated'),
    'JPEG renamed .ARW': (_jpeg_as_arw, 'Unsupported file format'),
    'empty file': (_empty, 'empty file'),
    'random bytes .NEF': (_random_nef, 'Unsupported file format'),
    'non-Bayer NEF (film scanner)': (_coolscan, 'not a Bayer mosaic'),
    'no colour matrix, no fallback': (_no_colour_matrix, 'no colour matrix'),
    'missing file': (_missing, 'file not found'),
}


@pytest.mark.parametrize('case', list(BAD_INPUTS))
def test_bad_input_names_file_and_reason(tmp_path, case):
    make, reason = BAD_INPUTS[case]
    path = str(make(tmp_path))
    load = LoadRawImageFromFile(mode='xyz')
    with pytest.raises(RawDecodeError) as err:
        load(dict(img_path=path))
    assert err.value.path == path
    assert str(err.value).startswith(path + ': ')
    assert reason in err.value.reason

    # Skipping: a warning naming the file, None (mmengine then draws another
    # sample), and one record where BadRawFileHook reads it.
    skip = LoadRawImageFromFile(mode='xyz', skip_bad_files=True)
    skip.skip_log_dir, skip.skip_log_prefix = str(tmp_path), 'rank3'
    with pytest.warns(UserWarning, match=re.escape(path)):
        assert skip(dict(img_path=path)) is None
    records = SkipLogReader(str(tmp_path), 'rank3').read_new()
    assert records == [dict(path=path, reason=err.value.reason)]


def test_skip_log_reader_is_incremental_and_ignores_partial_lines(tmp_path):
    log = tmp_path / 'rank0_pid1.jsonl'
    other_rank = tmp_path / 'rank1_pid1.jsonl'
    other_rank.write_text(json.dumps(dict(path='x', reason='r')) + '\n')
    reader = SkipLogReader(str(tmp_path), 'rank0')
    assert reader.read_new() == []
    log.write_text(json.dumps(dict(path='a', reason='r')) + '\n{"path": "b"')
    assert reader.read_new() == [dict(path='a', reason='r')]
    with open(log, 'a') as f:  # the writer finishes its line
        f.write(', "reason": "s"}\n')
    assert reader.read_new() == [dict(path='b', reason='s')]
    assert reader.read_new() == []


def _dataset_with_bad_files(root, num_images=10):
    """``num_images`` listed training images, of which one is random bytes
    and one is missing on disk."""
    make_raw_dataset(str(root), num_images=num_images, splits=('train', ))
    images = root / 'raw_images'
    noise = np.random.default_rng(0).bytes(4096)
    (images / 'train_003.dng').write_bytes(noise)
    (images / 'train_006.dng').unlink()
    shutil.copy(root / 'annotations/tiny_train.json',
                root / 'annotations/tiny_val.json')
    return [str(images / 'train_003.dng'), str(images / 'train_006.dng')]


@pytest.fixture(scope='module')
def bad_data(tmp_path_factory):
    root = tmp_path_factory.mktemp('bad_data')
    return root, _dataset_with_bad_files(root)


def test_training_skips_counts_over_workers_and_summarises(bad_data,
                                                           tmp_path):
    """tools/train.py with 2 persistent dataloader workers: 2 of 10 files
    are bad (20%, under a limit of 25%): the run completes, the epoch
    summary counts and names both files."""
    root, bad = bad_data
    cfg = fast_config(
        tmp_path / 'cfg.py', root, extra='''
train_dataloader.update(num_workers=2, persistent_workers=True)
default_hooks = dict(bad_raw_files=dict(max_bad_fraction=0.25))
''')
    proc = train_tool(cfg, '--work-dir', tmp_path / 'work')
    out = proc.stdout + proc.stderr
    summary = re.search(r'Epoch 1: skipped (\d+) sample\(s\) with unreadable '
                        r'RAW files \(2 file\(s\) new this epoch\); 2 of 10 '
                        r'training files \(20.00%\) are bad', out)
    assert summary, out[-3000:]
    assert int(summary.group(1)) >= 2  # each bad index at least once
    for path in bad:
        assert path in out
    assert (tmp_path / 'work' / 'epoch_1.pth').is_file()
    # The records were written by the dataloader's worker processes.
    logs = list((tmp_path / 'work').glob('*/bad_raw_files/rank0_pid*.jsonl'))
    pids = {int(p.name[len('rank0_pid'):-len('.jsonl')]) for p in logs}
    assert pids and proc.pid not in pids


def test_training_stops_above_max_bad_fraction(bad_data, tmp_path):
    """2 of 10 files bad with a limit of 10%: training stops with an error
    listing them, before the epoch's checkpoint is written."""
    root, bad = bad_data
    cfg = fast_config(tmp_path / 'cfg.py', root)
    with pytest.raises(TooManyBadFilesError) as err, warnings.catch_warnings():
        warnings.simplefilter('ignore')
        run_in_process(
            cfg, tmp_path / 'work', 'stop_bad',
            **{'default_hooks.bad_raw_files.max_bad_fraction': 0.1,
               'default_hooks.bad_raw_files.check_interval': 1})
    msg = str(err.value)
    assert 'of 10 training files' in msg
    assert 'max_bad_fraction=0.1' in msg
    assert all(p in msg for p in bad), msg
    assert not list((tmp_path / 'work').glob('*.pth'))


def test_test_mode_raises_naming_the_file(bad_data, tmp_path):
    """Evaluation never skips. The test pipeline raises RawDecodeError for
    the first bad file (the loader does not shuffle); with
    skip_bad_files=True mmengine raises on the None sample, and the warning
    just before names the file."""
    root, bad = bad_data
    cfg = Config.fromfile(str(fast_config(tmp_path / 'cfg.py', root)))
    cfg.work_dir = str(tmp_path / 'work')
    cfg.experiment_name = 'test_mode'
    cfg.visualizer.name = 'visualizer_test_mode'
    cfg.test_dataloader.dataset.ann_file = 'annotations/tiny_train.json'
    cfg.test_evaluator.ann_file = str(root / 'annotations/tiny_train.json')
    runner = Runner.from_cfg(cfg)
    with pytest.raises(RawDecodeError) as err:
        runner.test()
    assert err.value.path == bad[0]
    assert 'Unsupported file format' in err.value.reason

    loader = runner.test_dataloader.dataset.pipeline.transforms[0]
    assert isinstance(loader, LoadRawImageFromFile)
    loader.skip_bad_files = True
    with pytest.warns(UserWarning, match=re.escape(bad[0])), \
            pytest.raises(Exception, match='should not get `None`'):
        runner.test()
