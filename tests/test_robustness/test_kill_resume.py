"""A training process killed with SIGKILL resumes with
``tools/train.py --resume`` to exactly the state of an uninterrupted run;
a kill during a checkpoint save never leaves a truncated checkpoint under
its final name."""
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from mmengine.runner.checkpoint import save_checkpoint

import genisp_mmdet  # noqa: F401
from genisp_mmdet.engine.fileio import stale_partial_files
from genisp_mmdet.utils import load_checkpoint_safely
from ..helpers import REPO
from .common import (ENV, assert_same_tensors, fast_config, isp_state,
                     run_in_process, train_tool)


def _wait_for(predicate, proc, timeout=180):
    start = time.time()
    while not predicate():
        assert proc.poll() is None, 'the training process ended early'
        assert time.time() - start < timeout, 'timed out'
        time.sleep(0.05)


def test_kill_9_then_resume_equals_uninterrupted_run(tiny4, tmp_path):
    """2 epochs of 2 iterations. The killed run is held before iteration 4
    (epoch 2 has already updated the weights once, epoch_1.pth is on disk)
    and killed with SIGKILL there; --resume restarts from epoch_1.pth and
    must end with the same weights, optimiser state, scheduler state and
    iteration count as a run that was never interrupted."""
    cfg = fast_config(
        tmp_path / 'cfg.py', tiny4 / 'data',
        load_from=str(tiny4 / 'det.pth'), max_epochs=2,
        extra="custom_hooks = [dict(type='HoldHook', at_iter=3)]\n")
    killed, straight = tmp_path / 'killed', tmp_path / 'straight'
    marker = tmp_path / 'holding'
    proc = subprocess.Popen(
        [sys.executable, 'tools/train.py', str(cfg), '--work-dir',
         str(killed)], cwd=REPO, env=dict(ENV, GENISP_TEST_HOLD=str(marker)),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # The uninterrupted run, in this process (one thread, as the
        # subprocesses), while the other one works towards its hold.
        run_in_process(cfg, straight, 'uninterrupted')
        _wait_for(marker.exists, proc)
        assert (killed / 'epoch_1.pth').is_file()
        assert not (killed / 'epoch_2.pth').exists()
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
    assert (killed / 'last_checkpoint').read_text() == str(
        killed / 'epoch_1.pth')

    out = train_tool(cfg, '--work-dir', killed, '--resume')
    assert 'resumed epoch: 1, iter: 2' in out.stdout + out.stderr

    a = load_checkpoint_safely(str(straight / 'epoch_2.pth'))
    b = load_checkpoint_safely(str(killed / 'epoch_2.pth'))
    assert a['meta']['iter'] == b['meta']['iter'] == 4
    assert a['meta']['epoch'] == b['meta']['epoch'] == 2
    assert_same_tensors(isp_state(a), isp_state(b))
    assert_same_tensors(a['state_dict'], b['state_dict'])
    assert a['optimizer']['param_groups'] == b['optimizer']['param_groups']
    assert a['optimizer']['state'].keys() == b['optimizer']['state'].keys()
    for pid, state in a['optimizer']['state'].items():
        assert_same_tensors(state, b['optimizer']['state'][pid])
    assert a['param_schedulers'] == b['param_schedulers']
    assert not any(torch.equal(v, b['state_dict'][k])
                   for k, v in isp_state(load_checkpoint_safely(
                       str(killed / 'epoch_1.pth'))).items()
                   if k.endswith('fc.weight'))


# A process that saves a ~200 MB checkpoint through a file backend.
SAVE_BIG = """
import sys, torch
if sys.argv[2] == 'atomic_local':
    import genisp_mmdet  # registers the backend
from mmengine.runner.checkpoint import save_checkpoint
big = dict(state_dict=dict(w=torch.zeros(50_000_000)), meta=dict(n=2))
save_checkpoint(big, sys.argv[1], backend_args=dict(backend=sys.argv[2]))
"""
BIG_SIZE = 200_000_000


def _kill_during_save(path, backend, writing):
    """Start a process saving a big checkpoint to ``path`` and SIGKILL it
    as soon as ``writing()`` says the write is under way; retries if the
    save finished first. Returns whether a kill landed mid-save."""
    for _ in range(3):
        proc = subprocess.Popen(
            [sys.executable, '-c', SAVE_BIG, str(path), backend], env=ENV,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while proc.poll() is None and not writing():
                time.sleep(0.0005)
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
            if proc.wait(timeout=60) == -signal.SIGKILL:
                return True
        finally:
            if proc.poll() is None:
                proc.kill()
    return False


@pytest.mark.parametrize('backend', ['atomic_local', 'local'])
def test_kill_during_checkpoint_save(tmp_path, backend):
    """atomic_local: the previous checkpoint stays whole under its name and
    the part written is a hidden temporary file (which the next run's
    AtomicCheckpointHook removes). mmengine's stock 'local' backend, for
    contrast: the same kill leaves a truncated file under the name."""
    path = tmp_path / 'epoch_1.pth'
    save_checkpoint(dict(state_dict=dict(w=torch.ones(3)), meta=dict(n=1)),
                    str(path), backend_args=dict(backend=backend))
    small = os.path.getsize(path)
    if backend == 'atomic_local':
        assert _kill_during_save(path, backend,
                                 lambda: stale_partial_files(tmp_path)), \
            'the save always finished before the kill'
        assert load_checkpoint_safely(str(path))['meta'] == dict(n=1)
        partial = stale_partial_files(tmp_path)
        assert len(partial) == 1 and os.path.getsize(partial[0]) < BIG_SIZE
        assert sorted(os.listdir(tmp_path)) == sorted(
            [path.name, os.path.basename(partial[0])])
    else:
        assert _kill_during_save(
            path, backend, lambda: os.path.getsize(path) != small), \
            'the save always finished before the kill'
        assert os.path.getsize(path) < BIG_SIZE
        with pytest.raises(Exception):
            load_checkpoint_safely(str(path))


def test_checkpoint_rotation_pointer_and_cleanup(tiny4, tmp_path):
    """AtomicCheckpointHook keeps mmengine's max_keep_ckpts behaviour
    (deleting after saving), points last_checkpoint at the newest file and
    removes temporary files of interrupted saves at the start of a run."""
    work = tmp_path / 'work'
    work.mkdir()
    stale = work / '.epoch_9.pth.0123456789ab.partial'
    stale.write_bytes(b'part of an interrupted save')
    cfg = fast_config(tmp_path / 'cfg.py', tiny4 / 'data', max_epochs=2)
    runner = run_in_process(
        cfg, work, 'rotation',
        **{'default_hooks.checkpoint.max_keep_ckpts': 1})
    assert not stale.exists()
    assert sorted(p.name for p in work.glob('*.pth')) == ['epoch_2.pth']
    assert (work / 'last_checkpoint').read_text() == str(work / 'epoch_2.pth')
    ckpt = load_checkpoint_safely(str(work / 'epoch_2.pth'))
    assert ckpt['message_hub']['runtime_info']['keep_ckpt_ids'] == [2]
    assert runner.message_hub.get_info('last_ckpt') == str(
        work / 'epoch_2.pth')
