"""Two processes (gloo, torchrun, tools/train.py as is): the ISP's
gradients are all-reduced and its weights stay identical on both ranks,
the detector stays frozen, and bad-file counts are merged across ranks."""
import os
import socket
import subprocess
import sys

import pytest
import torch

import genisp_mmdet  # noqa: F401
from genisp_mmdet.utils import load_checkpoint_safely
from ..helpers import REPO, make_raw_dataset
from ..helpers import DETECTORS, detector_checkpoint
from .common import ENV, fast_config, isp_state

STEPS = 4  # 2 epochs of 2 iterations per rank

def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture(scope='module')
def dist_run(tmp_path_factory):
    root = tmp_path_factory.mktemp('dist')
    make_raw_dataset(str(root / 'data'), num_images=8, splits=('train', ))
    # Without shuffling, rank 1 gets indices 1, 3, 5, 7: only rank 1 meets
    # the bad file, so rank 0 can only report it through the merge.
    bad = root / 'data' / 'raw_images' / 'train_003.dng'
    bad.write_bytes(b'not a raw file')
    det = detector_checkpoint(DETECTORS['retinanet'], root / 'det.pth')
    cfg = fast_config(
        root / 'cfg.py', root / 'data', load_from=str(root / 'det.pth'),
        max_epochs=2, extra=f'''
train_dataloader['sampler'] = dict(type='DefaultSampler', shuffle=False)
custom_hooks = [dict(type='RecordISPHook', out_dir={str(root / 'rec')!r})]
default_hooks = dict(bad_raw_files=dict(max_bad_fraction=0.2),
                     checkpoint=dict(interval=2))
''')
    proc = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--nnodes', '1',
         '--nproc_per_node', '2', '--master_addr', '127.0.0.1',
         '--master_port', str(_free_port()),
         os.path.join(REPO, 'tools', 'train.py'), str(cfg),
         '--launcher', 'pytorch', '--work-dir', str(root / 'work')],
        cwd=REPO, env=ENV, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return root, det, str(bad), proc.stdout + proc.stderr


def _rec(root, rank, name):
    return torch.load(root / 'rec' / f'rank{rank}_{name}.pt',
                      weights_only=True)


def test_isp_gradients_and_weights_identical_on_both_ranks(dist_run):
    root, _, _, _ = dist_run
    for step in range(STEPS):
        r0, r1 = _rec(root, 0, f'iter{step}'), _rec(root, 1, f'iter{step}')
        # Different images and losses on each rank: the local gradients
        # differ, so equal gradients at the optimiser mean an all-reduce.
        assert not set(r0['images']) & set(r1['images'])
        assert r0['loss'] != r1['loss']
        assert r0['grads'].keys() == r1['grads'].keys() and r0['grads']
        for k, g in r0['grads'].items():
            assert torch.equal(g, r1['grads'][k]), (step, k)
            assert torch.isfinite(g).all()
        for k, w in r0['weights'].items():
            assert torch.equal(w, r1['weights'][k]), (step, k)
    first, last = _rec(root, 0, 'iter0'), _rec(root, 0, f'iter{STEPS - 1}')
    assert any(not torch.equal(w, last['weights'][k])
               for k, w in first['weights'].items())
    ckpt = load_checkpoint_safely(str(root / 'work' / 'epoch_2.pth'))
    assert ckpt['meta']['iter'] == STEPS
    for k, w in last['weights'].items():
        assert torch.equal(ckpt['state_dict']['data_preprocessor.isp.' + k],
                           w)


def test_detector_stays_frozen_on_both_ranks(dist_run):
    root, det, _, _ = dist_run
    for rank in (0, 1):
        final = _rec(root, rank, 'final')
        assert set(final) - set(isp_state(dict(state_dict=final))) == set(det)
        for k, v in det.items():
            assert torch.equal(final[k], v), (rank, k)


def test_bad_files_merged_across_ranks(dist_run):
    _, _, bad, out = dist_run
    assert ('1 of 8 training files (12.50%) are bad in this run' in out), \
        out[-3000:]
    assert bad in out
