"""On CPU, the same config and seed give bit-identical ISP weights
after N iterations (shuffled sampling and random flips included); another
seed gives other weights."""
import torch

import genisp_mmdet  # noqa: F401
from ..helpers import make_raw_dataset
from .common import fast_config, run_in_process

N = 3  # iterations: 6 images, batch 2, one epoch


def _isp_after_n(cfg, work, seed):
    runner = run_in_process(cfg, work, f'seed{seed}_{work.name}',
                            **{'randomness.seed': seed})
    assert runner.iter == N
    return {k: v.clone() for k, v in
            runner.model.data_preprocessor.isp.state_dict().items()}


def test_same_seed_same_isp_weights(tmp_path):
    make_raw_dataset(str(tmp_path / 'data'), num_images=6, splits=('train', ))
    cfg = fast_config(tmp_path / 'cfg.py', tmp_path / 'data', extra='''
train_pipeline.insert(3, dict(type='RandomFlip', prob=0.5))
default_hooks = dict(checkpoint=None)
''')
    a = _isp_after_n(cfg, tmp_path / 'a', seed=0)
    b = _isp_after_n(cfg, tmp_path / 'b', seed=0)
    c = _isp_after_n(cfg, tmp_path / 'c', seed=1)
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    assert any(not torch.equal(a[k], c[k]) for k in a)
