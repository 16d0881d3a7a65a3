"""AtomicCheckpointHook on a real Runner: the atomic backend is the default
for local folders (explicit backend arguments are kept), the checkpoint and
``last_checkpoint`` are replaced rather than written into, an old
checkpoint is deleted after the next save succeeds and never when it
fails (the pointer stays on the previous checkpoint), and the
temporary files of interrupted saves are removed (only those) with a
warning. mmengine's CheckpointHook, for contrast, writes in place and
deletes the old checkpoint before saving."""
import os

import pytest
import torch
from mmengine.fileio import LocalBackend

from genisp_mmdet.engine.fileio import AtomicLocalBackend
from genisp_mmdet.engine.hooks import AtomicCheckpointHook
from genisp_mmdet.utils import load_checkpoint_safely
from .toy import (ImageList, ToyModel, file_with_hard_link, loader, log_text,
                  make_runner)


def _runner(work_dir, hook, max_epochs=1):
    """4 images, batch 2: 2 iterations an epoch, a checkpoint each epoch."""
    images = [torch.rand(3, 8, 8) for _ in range(4)]
    return make_runner(work_dir, ToyModel(), loader(ImageList(images)),
                       max_epochs=max_epochs,
                       default_hooks=dict(checkpoint=hook))


@pytest.mark.parametrize('atomic', [True, False])
def test_checkpoint_and_pointer_are_replaced_not_written_into(
        tmp_path, atomic):
    work = tmp_path / 'work'
    work.mkdir()
    ckpt_link = file_with_hard_link(work / 'epoch_1.pth', b'old checkpoint')
    pointer_link = file_with_hard_link(work / 'last_checkpoint',
                                       b'old pointer')
    hook = dict(type='AtomicCheckpointHook' if atomic else 'CheckpointHook',
                interval=1)
    runner = _runner(work, hook)
    runner.train()
    assert load_checkpoint_safely(str(work / 'epoch_1.pth'))['meta'][
        'iter'] == 2
    assert (work / 'last_checkpoint').read_text() == str(work / 'epoch_1.pth')
    ckpt_hook = next(h for h in runner.hooks
                     if type(h).__name__.endswith('CheckpointHook'))
    if atomic:
        assert ckpt_hook.backend_args == dict(backend='atomic_local')
        assert isinstance(ckpt_hook.file_backend, AtomicLocalBackend)
        assert ckpt_link.read_bytes() == b'old checkpoint'
        assert pointer_link.read_bytes() == b'old pointer'
        assert not [n for n in os.listdir(work) if n.endswith('.partial')]
    else:
        assert ckpt_link.read_bytes() != b'old checkpoint'
        assert pointer_link.read_text() == str(work / 'epoch_1.pth')


def test_explicit_backend_args_are_kept(tmp_path):
    hook = AtomicCheckpointHook(interval=1, backend_args=dict(backend='local'))
    runner = _runner(tmp_path / 'work', hook)
    hook.before_train(runner)
    assert hook.backend_args == dict(backend='local')
    assert type(hook.file_backend) is LocalBackend


@pytest.mark.parametrize('atomic', [True, False])
def test_old_checkpoint_deleted_only_after_a_successful_save(tmp_path,
                                                             atomic):
    """max_keep_ckpts=1, 3 epochs; the save of epoch 3 fails (a folder
    holds the name epoch_3.pth). epoch_1.pth goes once epoch_2.pth is
    saved; epoch_2.pth must survive the failed save and stay the pointer's
    target. mmengine's hook deletes first and is left with none."""
    work = tmp_path / 'work'
    (work / 'epoch_3.pth').mkdir(parents=True)
    hook = dict(type='AtomicCheckpointHook' if atomic else 'CheckpointHook',
                interval=1, max_keep_ckpts=1)
    runner = _runner(work, hook, max_epochs=3)
    with pytest.raises(IsADirectoryError):
        runner.train()
    assert runner.epoch == 2  # the failure was the save of epoch 3
    assert not (work / 'epoch_1.pth').exists()
    if atomic:
        assert load_checkpoint_safely(str(work / 'epoch_2.pth'))['meta'][
            'epoch'] == 2
        assert (work / 'last_checkpoint').read_text() == str(
            work / 'epoch_2.pth')
        assert not [n for n in os.listdir(work) if n.endswith('.partial')]
    else:
        assert not (work / 'epoch_2.pth').exists()


def test_stale_partial_files_removed_from_the_checkpoint_folder(tmp_path):
    """With ``out_dir`` the checkpoints go to ``<out_dir>/<work_dir name>``:
    that folder's hidden ``.partial`` files are removed, each with a
    warning naming it; other files stay."""
    work = tmp_path / 'work'
    ckpt_dir = tmp_path / 'ckpts' / 'work'
    ckpt_dir.mkdir(parents=True)
    stale = [ckpt_dir / '.epoch_3.pth.0123456789ab.partial',
             ckpt_dir / '.last_checkpoint.ba9876543210.partial']
    kept = [ckpt_dir / 'epoch_2.pth', ckpt_dir / 'notes.partial',
            ckpt_dir / '.hidden']
    for path in stale + kept:
        path.write_bytes(b'x')
    hook = AtomicCheckpointHook(interval=1, out_dir=str(tmp_path / 'ckpts'))
    runner = _runner(work, hook)
    hook.before_train(runner)
    assert hook.out_dir == str(ckpt_dir)
    assert not any(p.exists() for p in stale)
    assert all(p.exists() for p in kept)
    log = log_text(runner)
    for path in stale:
        assert (f'removing {path}: part of a checkpoint whose save was '
                'interrupted') in log
