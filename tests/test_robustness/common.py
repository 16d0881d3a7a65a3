"""Small, fast training setups for the robustness tests: tiny DNGs, the
slim RetinaNet at 64x48, a GenISP with 32x32 thumbnails, no validation."""
import os
import subprocess
import sys

import torch
from mmengine.config import Config
from mmengine.runner import Runner

from ..helpers import REPO, write_config

BASE = os.path.join(REPO, 'configs/genisp_retinanet_raw.py')
# The test process imports this package's probe hooks by module name.
ENV = dict(os.environ, PYTHONPATH=REPO + os.pathsep +
           os.environ.get('PYTHONPATH', ''), OMP_NUM_THREADS='1')

FAST = '''
custom_imports = dict(
    imports=['genisp_mmdet', 'tests.test_robustness.probe_hooks'],
    allow_failed_imports=False)
model = dict(data_preprocessor=dict(isp=dict(type='GenISP', resize=32)))
train_pipeline = [
    dict(type='LoadRawImageFromFile', mode='xyz', skip_bad_files=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(64, 48), keep_ratio=True),
    dict(type='PackDetInputs', meta_keys={{_base_.meta_keys}})
]
train_dataloader['dataset']['pipeline'] = train_pipeline
train_dataloader['sampler'] = dict(type='DefaultSampler', shuffle=True)
val_cfg = None
val_dataloader = None
val_evaluator = None
custom_hooks = []
'''


def fast_config(path, data_root, load_from=None, max_epochs=1, extra=''):
    """A config file for a few fast training iterations on ``data_root``
    (a :func:`~tests.helpers.make_raw_dataset` folder)."""
    return write_config(path, BASE, str(data_root), load_from=load_from,
                        max_epochs=max_epochs, extra=FAST + extra)


def run_in_process(config, work_dir, name, **options):
    """Build a real Runner from ``config`` in this process and train.

    Returns:
        the runner (after training, or raising what training raised).
    """
    cfg = Config.fromfile(str(config))
    cfg.work_dir = str(work_dir)
    # Runners of one process must not share logs and visualisers (global
    # instances keyed by these names).
    cfg.experiment_name = name
    cfg.visualizer.name = f'visualizer_{name}'
    cfg.merge_from_dict(options)
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


def train_tool(*args, check=True, timeout=300, env=None):
    """Run tools/train.py in a subprocess from the repository root.

    Returns:
        the finished ``Popen`` with ``stdout``/``stderr`` as text and
        ``pid``.
    """
    proc = subprocess.Popen(
        [sys.executable, os.path.join(REPO, 'tools/train.py'),
         *map(str, args)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env or ENV)
    try:
        proc.stdout, proc.stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    if check:
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def isp_state(ckpt):
    """The ISP's entries of a checkpoint's state dict."""
    return {k: v for k, v in ckpt['state_dict'].items()
            if k.startswith('data_preprocessor.isp.')}


def assert_same_tensors(a, b, atol=0.0):
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(b[k], a[k], rtol=0, atol=atol, msg=k)
