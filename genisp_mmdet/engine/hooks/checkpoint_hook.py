"""mmdet glue: checkpoints that a kill at any moment cannot spoil."""
from __future__ import annotations

import os
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook
from mmdet.registry import HOOKS

from ..fileio import ATOMIC_BACKEND, atomic_write, stale_partial_files


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """:class:`mmengine.hooks.CheckpointHook` for runs that may be killed.

    What ``tools/train.py --resume`` relies on, and what can go wrong with
    the stock hook when the process dies in the middle of a save:

    1. The checkpoint file is written atomically (temporary file, fsync,
       ``os.replace``; :class:`~genisp_mmdet.engine.fileio.AtomicLocalBackend`,
       the default here when the checkpoint folder is local): never a
       truncated ``epoch_N.pth`` under its final name.
    2. ``<work_dir>/last_checkpoint``, the pointer that resume reads, is
       rewritten only after the checkpoint is complete, and atomically too
       (the stock hook truncates it first, so a kill in between leaves an
       empty pointer and resume then fails).
    3. With ``max_keep_ckpts``, old checkpoints are deleted only after the
       new one and the pointer are on disk (the stock hook deletes first:
       with ``max_keep_ckpts=1`` a kill during the save left no checkpoint
       at all and a pointer to a deleted file).
    4. Temporary files of saves that never finished are removed at the
       start of the next run.

    Arguments are :class:`~mmengine.hooks.CheckpointHook`'s. ``backend_args``
    given explicitly (e.g. for object storage) are used unchanged.
    """

    def before_train(self, runner) -> None:
        out_dir = self.out_dir if self.out_dir is not None else runner.work_dir
        if (self.backend_args is None and self.file_client_args is None
                and '://' not in str(out_dir)):
            self.backend_args = dict(backend=ATOMIC_BACKEND)
        super().before_train(runner)
        if is_main_process() and self.backend_args == dict(
                backend=ATOMIC_BACKEND):
            for path in stale_partial_files(self.out_dir):
                runner.logger.warning(
                    f'removing {path}: part of a checkpoint whose save was '
                    'interrupted')
                os.remove(path)

    def _save_checkpoint_with_step(self, runner, step, meta):
        # mmengine 0.10's CheckpointHook._save_checkpoint_with_step, with the
        # order changed to: save, update the pointer, then delete old files.
        to_remove = None
        if self.max_keep_ckpts > 0 and not (
                len(self.keep_ckpt_ids) > 0
                and self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                to_remove = self.keep_ckpt_ids.popleft()
            self.keep_ckpt_ids.append(step)
            # Recorded before saving so that the checkpoint itself lists
            # the checkpoints kept once it is written (mmengine's order).
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))

        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir,
                                                     ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir,
            ckpt_filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)

        if not is_main_process():
            return
        atomic_write(
            str(self.last_ckpt).encode(),
            osp.join(runner.work_dir, 'last_checkpoint'))
        if to_remove is not None:
            path = self.file_backend.join_path(
                self.out_dir, self.filename_tmpl.format(to_remove))
            if self.file_backend.isfile(path):
                self.file_backend.remove(path)
            elif self.file_backend.isdir(path):
                # checkpoints saved by DeepSpeed are folders
                self.file_backend.rmtree(path)
