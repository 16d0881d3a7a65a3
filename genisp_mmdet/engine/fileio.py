"""mmdet glue: a local file backend whose writes are atomic.

mmengine saves checkpoints with ``LocalBackend.put``, which opens the
target with ``'wb'`` and writes into it: a process killed during that write
(``kill -9``, an out-of-memory kill, a Slurm time limit, a node failure)
leaves a truncated ``epoch_N.pth`` under the final name. Here the bytes go
to a hidden temporary file in the same folder, are flushed to disk
(``fsync``), and only then take the final name with ``os.replace``, which
is atomic on POSIX file systems: a reader sees either the previous file or
the complete new one, never a part.

Select it by name wherever mmengine takes ``backend_args``, e.g.::

    default_hooks = dict(checkpoint=dict(
        type='CheckpointHook', backend_args=dict(backend='atomic_local')))

(:class:`~genisp_mmdet.engine.hooks.AtomicCheckpointHook` does this by
default.)
"""
from __future__ import annotations

import glob
import os
import os.path as osp
import uuid
from pathlib import Path
from typing import List, Union

from mmengine.fileio import LocalBackend, register_backend

ATOMIC_BACKEND = 'atomic_local'
# Temporary files are hidden and end with this suffix, so that a folder
# listing never mistakes one for a checkpoint and stale ones can be found.
PARTIAL_SUFFIX = '.partial'


def atomic_write(data: bytes, filepath: Union[str, Path]) -> None:
    """Write ``data`` to ``filepath`` so that the file is either absent (or
    its previous version) or complete, whatever happens to the process.

    The temporary file ``.<name>.<random>.partial`` lives in the target's
    folder (``os.replace`` is only atomic within one file system) and is
    created with the default permissions (umask applies, unlike
    ``tempfile.mkstemp``'s 0600). The folder is fsynced after the rename so
    that the new name itself survives a power loss.
    """
    filepath = os.fspath(filepath)
    folder = osp.dirname(osp.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    tmp = osp.join(folder, f'.{osp.basename(filepath)}.'
                   f'{uuid.uuid4().hex[:12]}{PARTIAL_SUFFIX}')
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, 'wb') as f:
            view = memoryview(data)
            while view:  # os-level writes may be partial for large buffers
                view = view[f.write(view):]
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        if osp.exists(tmp):
            os.unlink(tmp)
        raise
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:  # some file systems do not open folders
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def stale_partial_files(folder: Union[str, Path]) -> List[str]:
    """Temporary files left in ``folder`` by writes that never finished
    (the writing process was killed)."""
    pattern = osp.join(os.fspath(folder), f'.*{PARTIAL_SUFFIX}')
    return sorted(glob.glob(pattern))


@register_backend(ATOMIC_BACKEND, force=True)
class AtomicLocalBackend(LocalBackend):
    """:class:`mmengine.fileio.LocalBackend` with atomic ``put`` and
    ``put_text`` (see :func:`atomic_write`); reading, listing and removing
    are unchanged."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        atomic_write(obj, filepath)

    def put_text(self,
                 obj: str,
                 filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        atomic_write(obj.encode(encoding), filepath)
