"""mmdet glue: count the RAW files a training run skips, and stop when too
many are bad."""
from __future__ import annotations

import os
import os.path as osp
from typing import Dict, Iterator, List, Optional

from mmengine.dist import all_gather_object
from mmengine.hooks import Hook
from mmengine.runner import IterBasedTrainLoop
from mmdet.registry import HOOKS

from ...datasets.transforms.loading import LoadRawImageFromFile, SkipLogReader


class TooManyBadFilesError(RuntimeError):
    """More than the allowed fraction of the training files is unreadable."""


def raw_loaders(dataset) -> Iterator[LoadRawImageFromFile]:
    """The :class:`LoadRawImageFromFile` transforms in a dataset's pipeline,
    looking through mmengine/mmdet dataset wrappers (``ConcatDataset``,
    ``RepeatDataset``, ``ClassBalancedDataset``, ``MultiImageMixDataset``)."""
    for inner in getattr(dataset, 'datasets', None) or []:
        yield from raw_loaders(inner)
    inner = getattr(dataset, 'dataset', None)
    if inner is not None:
        yield from raw_loaders(inner)
    pipeline = getattr(dataset, 'pipeline', None)
    for t in getattr(pipeline, 'transforms', None) or []:
        if isinstance(t, LoadRawImageFromFile):
            yield t


def distinct_samples(dataset) -> int:
    """Samples of a training set without repetition: a RepeatDataset or
    ClassBalancedDataset lists each file several times, and the share of
    bad files is over the files, not over their repeats."""
    if hasattr(dataset, 'datasets'):  # ConcatDataset
        return sum(distinct_samples(d) for d in dataset.datasets)
    if hasattr(dataset, 'dataset'):  # RepeatDataset, ClassBalancedDataset
        return distinct_samples(dataset.dataset)
    return len(dataset)


@HOOKS.register_module()
class BadRawFileHook(Hook):
    """Counts the training samples that
    :class:`~genisp_mmdet.datasets.transforms.LoadRawImageFromFile`
    (``skip_bad_files=True``) skipped, summarises them at the end of every
    training epoch and stops the run when more than ``max_bad_fraction`` of
    the training set is unreadable.

    Skips happen inside dataloader worker processes, on every rank. Before
    training, this hook points each loader of the training pipeline at
    ``<log_dir>/bad_raw_files/`` (``skip_log_dir``; ``log_dir`` is the
    run's timestamped folder, so a resumed run counts afresh); each process
    appends one JSON line per skip to its own file there. The hook reads
    its rank's files, and the ranks merge their lists with
    ``all_gather_object``, so every rank takes the same decision at the same
    iteration. Works with ``num_workers`` 0 or more, persistent workers or
    not, one or several ranks (each rank's processes write to the folder of
    that rank's work directory; no shared file system is needed).

    One exception: mmengine's ``IterBasedTrainLoop`` starts its dataloader
    workers before any hook runs, so with ``num_workers > 0`` their skips
    are warned about but not counted (a warning at the start says so).

    Counted: distinct files (the dataset draws another sample for each
    skip, so one bad file can be skipped several times an epoch). The
    fraction is distinct bad files seen in this run over the training set's
    length.

    In test mode mmengine raises on a skipped sample; test pipelines do not
    set ``skip_bad_files``, so the loader raises
    :class:`~genisp_mmdet.raw.RawDecodeError` naming the file.

    Args:
        max_bad_fraction: stop (:class:`TooManyBadFilesError`) when the bad
            files are more than this fraction of the training set.
        check_interval: also check every this many training iterations, so
            that a broken data set stops a long epoch early; 0 checks only
            at the end of each epoch.
        folder_name: name of the folder under the run's ``log_dir``.
    """

    priority = 'NORMAL'

    def __init__(self,
                 max_bad_fraction: float = 0.05,
                 check_interval: int = 50,
                 folder_name: str = 'bad_raw_files') -> None:
        if not 0 <= max_bad_fraction <= 1:
            raise ValueError('max_bad_fraction must be in [0, 1], got '
                             f'{max_bad_fraction}')
        self.max_bad_fraction = max_bad_fraction
        self.check_interval = check_interval
        self.folder_name = folder_name
        self.folder: Optional[str] = None
        self._reader: Optional[SkipLogReader] = None
        # Merged over ranks at the last check: path -> reason, and the
        # number of skips (one bad file may be skipped several times).
        self.bad_files: Dict[str, str] = {}
        self.num_skips = 0
        self._local_files: Dict[str, str] = {}
        self._local_skips = 0
        self._skips_at_epoch_start = 0
        self._files_at_epoch_start = 0
        self._num_samples = 0

    def before_train(self, runner) -> None:
        dataset = runner.train_dataloader.dataset
        loaders: List[LoadRawImageFromFile] = list(raw_loaders(dataset))
        if not loaders:  # e.g. sRGB detector pretraining: nothing to count
            return
        self.folder = osp.join(runner.log_dir, self.folder_name)
        os.makedirs(self.folder, exist_ok=True)
        prefix = f'rank{runner.rank}'
        for t in loaders:
            t.skip_log_dir = self.folder
            t.skip_log_prefix = prefix
        self._reader = SkipLogReader(self.folder, prefix)
        self._num_samples = distinct_samples(dataset)
        if (isinstance(runner.train_loop, IterBasedTrainLoop)
                and runner.train_dataloader.num_workers > 0):
            # mmengine starts the workers of an iteration-based loop when
            # it builds the loop, before any hook: they hold a copy of the
            # dataset made before skip_log_dir was set.
            runner.logger.warning(
                'BadRawFileHook: with IterBasedTrainLoop and num_workers > 0 '
                'the workers start before this hook; skipped files are '
                'warned about but not counted')
        if not any(t.skip_bad_files for t in loaders):
            runner.logger.info(
                'BadRawFileHook: no LoadRawImageFromFile with '
                'skip_bad_files=True in the training pipeline; an unreadable '
                'file stops training with an error naming it')

    def before_train_epoch(self, runner) -> None:
        self._skips_at_epoch_start = self.num_skips
        self._files_at_epoch_start = len(self.bad_files)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        if self._reader is not None and self.check_interval > 0 and \
                self.every_n_train_iters(runner, self.check_interval):
            self._update()
            # mmengine advances runner.iter after this hook
            self._check(runner, runner.iter + 1)

    def after_train_epoch(self, runner) -> None:
        if self._reader is None:
            return
        self._update()
        skips = self.num_skips - self._skips_at_epoch_start
        new = len(self.bad_files) - self._files_at_epoch_start
        if skips:
            listed = '\n'.join(f'  {p}: {r}'
                               for p, r in sorted(self.bad_files.items())[:20])
            more = (f'\n  ... and {len(self.bad_files) - 20} more'
                    if len(self.bad_files) > 20 else '')
            runner.logger.warning(
                f'Epoch {runner.epoch + 1}: skipped {skips} sample(s) with '
                f'unreadable RAW files ({new} file(s) new this epoch); '
                f'{len(self.bad_files)} of {self._num_samples} training '
                f'files ({self._fraction():.2%}) are bad in this run, limit '
                f'{self.max_bad_fraction:.2%}. Records: {self.folder}\n'
                f'{listed}{more}')
        else:
            runner.logger.info(
                f'Epoch {runner.epoch + 1}: no unreadable RAW files skipped')
        self._check(runner, runner.iter)  # the epoch's last iteration

    def _fraction(self) -> float:
        return len(self.bad_files) / max(self._num_samples, 1)

    def _update(self) -> None:
        """Read this rank's new records and merge all ranks' (a collective:
        every rank calls it at the same iterations)."""
        for rec in self._reader.read_new():
            self._local_files.setdefault(rec['path'], rec['reason'])
            self._local_skips += 1
        merged: Dict[str, str] = {}
        skips = 0
        for files, n in all_gather_object(
            (self._local_files, self._local_skips)):
            for path, reason in files.items():
                merged.setdefault(path, reason)
            skips += n
        self.bad_files, self.num_skips = merged, skips

    def _check(self, runner, iteration: int) -> None:
        if self._fraction() <= self.max_bad_fraction:
            return
        listed = '\n'.join(f'  {p}: {r}'
                           for p, r in sorted(self.bad_files.items())[:20])
        msg = (f'{len(self.bad_files)} of {self._num_samples} training files '
               f'({self._fraction():.1%}) could not be read, more than '
               f'max_bad_fraction={self.max_bad_fraction} (iteration '
               f'{iteration}, epoch {runner.epoch + 1}); fix or remove '
               f'them, or raise BadRawFileHook.max_bad_fraction. Records: '
               f'{self.folder}\n{listed}')
        runner.logger.error(msg)
        raise TooManyBadFilesError(msg)
