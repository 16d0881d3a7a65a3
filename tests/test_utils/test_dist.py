"""prepare_cpu_distributed: nothing for non-distributed launchers (or with
CUDA); with ``launcher='pytorch'`` and no CUDA, two real processes get a
gloo group (also when the config asks for nccl, once even when called
twice) and a DDP wrapper config without device ids that works on CPU
modules; a wrapper the config sets is kept."""
import json
import os
import socket
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

from genisp_mmdet.utils import prepare_cpu_distributed
from ..helpers import REPO

# One rank: prepare twice, build the wrapper from the config, one backward
# pass with rank-dependent inputs (all-reduced gradients are the mean).
RANK = '''
import json, torch, torch.distributed as dist
from mmengine.config import Config
from mmengine.registry import MODEL_WRAPPERS
import mmengine.model  # registers MMDistributedDataParallel
from genisp_mmdet.utils import prepare_cpu_distributed

cfg = Config(dict(launcher='pytorch',
                  env_cfg=dict(dist_cfg=dict(backend='nccl'))))
first = prepare_cpu_distributed(cfg)
custom = Config(dict(launcher='pytorch', model_wrapper_cfg=dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)))
second = prepare_cpu_distributed(custom)
model = torch.nn.Linear(2, 1)
ddp = MODEL_WRAPPERS.build(cfg.model_wrapper_cfg,
                           default_args=dict(module=model))
x = torch.full((1, 2), float(dist.get_rank() + 1))
ddp(x).sum().backward()
print(json.dumps(dict(
    first=first, second=second, backend=dist.get_backend(),
    world=dist.get_world_size(), wrapper=cfg.model_wrapper_cfg.to_dict(),
    custom=custom.model_wrapper_cfg.to_dict(),
    grad=model.weight.grad.tolist())))
'''


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_nothing_to_do_without_the_pytorch_launcher():
    for launcher in ({}, dict(launcher='none'), dict(launcher='slurm')):
        cfg = Config(launcher)
        assert prepare_cpu_distributed(cfg) is False
        assert 'model_wrapper_cfg' not in cfg


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_nothing_to_do_with_cuda():
    cfg = Config(dict(launcher='pytorch'))
    assert prepare_cpu_distributed(cfg) is False
    assert 'model_wrapper_cfg' not in cfg


def test_two_cpu_processes_get_gloo_and_a_cpu_wrapper():
    env = dict(os.environ, MASTER_ADDR='127.0.0.1',
               MASTER_PORT=str(_free_port()), WORLD_SIZE='2',
               CUDA_VISIBLE_DEVICES='', OMP_NUM_THREADS='1',
               PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
    procs = [
        subprocess.Popen([sys.executable, '-c', RANK], cwd=REPO,
                         env=dict(env, RANK=str(r), LOCAL_RANK=str(r)),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True) for r in range(2)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    for res in results:
        assert res['first'] is True and res['second'] is True
        assert res['backend'] == 'gloo' and res['world'] == 2
        assert res['wrapper'] == dict(type='MMDistributedDataParallel',
                                      device_ids=None,
                                      broadcast_buffers=False)
        assert res['custom'] == dict(type='MMDistributedDataParallel',
                                     find_unused_parameters=True)
        assert res['grad'] == [[1.5, 1.5]]  # mean of rank inputs 1 and 2
