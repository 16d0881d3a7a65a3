"""On-disk cache of decoded RAW arrays, so later epochs skip LibRaw.

An entry is keyed by the file's absolute path, size and modification time
and by the loader settings that change the decoded array; a changed file
or setting is a new key, never a stale hit. Entries are plain ``.npy``
arrays plus a small JSON sidecar, written atomically (temporary file, then
``os.replace``), so a killed process never leaves a half-written entry that
a later run would read.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from typing import Optional, Tuple

import numpy as np


def cache_key(path: str, settings: dict) -> str:
    """Hex key of ``path``'s current content identity and ``settings``."""
    st = os.stat(path)
    ident = json.dumps(
        {
            'path': os.path.abspath(path),
            'size': st.st_size,
            'mtime_ns': st.st_mtime_ns,
            'settings': settings
        },
        sort_keys=True,
        default=str)
    return hashlib.sha1(ident.encode()).hexdigest()


class ArrayCache:
    """A folder of ``<key>.npy`` arrays with ``<key>.json`` metadata.

    Args:
        root: the cache folder (created on first write).
    """

    def __init__(self, root: str):
        self.root = os.fspath(root)

    def _paths(self, key: str) -> Tuple[str, str]:
        sub = os.path.join(self.root, key[:2])
        return (os.path.join(sub, key + '.npy'),
                os.path.join(sub, key + '.json'))

    def get(self, key: str) -> Optional[Tuple[np.ndarray, dict]]:
        """The array and the metadata given to :meth:`put`, or None on a
        miss; an unreadable or inconsistent entry is a miss."""
        npy, meta = self._paths(key)
        try:
            with open(meta) as f:
                info = json.load(f)
            # np.load raises EOFError, not ValueError, on an empty file.
            arr = np.load(npy, allow_pickle=False)
        except (OSError, ValueError, EOFError):
            return None
        if not isinstance(info, dict):
            return None
        if list(arr.shape) != info.pop('shape', None):
            return None
        return arr, info

    def put(self, key: str, arr: np.ndarray, info: dict) -> None:
        """Store an entry atomically; the array is written first, so a
        metadata file always points at a complete array.

        Args:
            key: from :func:`cache_key`.
            arr: any array without Python objects.
            info: JSON-serialisable metadata; its key ``'shape'`` is the
                cache's own (the array's shape, checked on reading).
        """
        npy, meta = self._paths(key)
        # Serialised first: metadata JSON cannot hold fails before any write.
        text = json.dumps(dict(info, shape=list(arr.shape))).encode()
        os.makedirs(os.path.dirname(npy), exist_ok=True)
        _atomic_write(npy, lambda f: np.save(f, arr, allow_pickle=False))
        _atomic_write(meta, lambda f: f.write(text))


def _atomic_write(path: str, write) -> None:
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix='.tmp')
    try:
        with os.fdopen(fd, 'wb') as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
