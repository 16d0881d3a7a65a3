"""Multi-process training without GPUs (gloo), for tests and CPU clusters.

mmengine 0.10's ``--launcher pytorch`` assumes CUDA: it calls
``torch.cuda.set_device`` (which a CPU-only torch refuses) unless a process
group already exists, and wraps the model in DDP with
``device_ids=[LOCAL_RANK]`` (refused for CPU modules). On a machine without
CUDA, :func:`prepare_cpu_distributed` opens the gloo group first and gives
the config a DDP wrapper without device ids; with CUDA it does nothing, so
GPU runs take mmengine's own path unchanged.
"""
from __future__ import annotations

import torch
import torch.distributed as dist


def prepare_cpu_distributed(cfg) -> bool:
    """Open a gloo process group for ``cfg.launcher == 'pytorch'`` on a
    machine without CUDA (torchrun's environment variables give rank and
    world size) and default ``cfg.model_wrapper_cfg`` to a CPU DDP wrapper.

    Returns:
        True if it prepared a CPU run, False if nothing was needed.
    """
    if cfg.get('launcher', 'none') != 'pytorch' or torch.cuda.is_available():
        return False
    if not dist.is_initialized():
        backend = cfg.get('env_cfg', {}).get('dist_cfg', {}).get(
            'backend', 'gloo')
        dist.init_process_group(
            backend='gloo' if backend == 'nccl' else backend)
    if cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = dict(
            type='MMDistributedDataParallel',
            device_ids=None,
            broadcast_buffers=False)
    return True
