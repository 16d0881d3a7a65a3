"""Checkpoint loading that never runs code from a checkpoint file.

torch >= 2.6 loads with ``weights_only=True`` by default: its unpickler
accepts tensors and plain containers only and refuses any other global,
so a crafted checkpoint cannot run a command. mmengine's own checkpoints
also hold a few harmless non-tensor objects (the message hub's
``HistoryBuffer`` with its statistics methods, numpy arrays and scalars,
``collections.Counter``), and mmengine 0.10.7 fails to resume from them
under that default. Here exactly those types are added to torch's
allow-list, with ``getattr`` replaced by one that only returns
HistoryBuffer's statistics methods; safety is never switched off.
"""
from __future__ import annotations

import collections
from typing import Dict, List

import numpy as np
import torch


def safe_globals() -> List[object]:
    """The exact non-tensor types found in mmengine/mmdet checkpoints."""
    from mmengine.logging.history_buffer import HistoryBuffer
    types: List[object] = [
        HistoryBuffer,
        np.ndarray,
        np.dtype,
        np.core.multiarray._reconstruct
        if hasattr(np, 'core') else np._core.multiarray._reconstruct,
        _numpy_scalar(),
        collections.OrderedDict,
        collections.Counter,  # MultiStepLR's milestones
        # HistoryBuffer pickles its statistics methods as
        # getattr(HistoryBuffer, 'mean'): a getattr restricted to that.
        (_history_buffer_getattr, 'builtins.getattr'),
    ]
    # numpy >= 1.25 pickles dtypes by their class (numpy.dtypes.Float64DType)
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        types += [
            getattr(dtypes, name) for name in dir(dtypes)
            if name.endswith('DType')
        ]
    return types


def _history_buffer_getattr(obj, name):
    """``getattr`` for unpickling, limited to HistoryBuffer's own
    statistics methods; anything else is refused."""
    import pickle

    from mmengine.logging.history_buffer import HistoryBuffer
    if obj is HistoryBuffer and name in ('min', 'max', 'mean', 'current'):
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'refusing getattr({obj!r}, {name!r}) while loading a checkpoint')


def _numpy_scalar():
    try:
        from numpy._core.multiarray import scalar
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import scalar
    return scalar


def register_safe_globals() -> None:
    """Allow-list :func:`safe_globals` in torch's weights-only unpickler."""
    torch.serialization.add_safe_globals(safe_globals())


def load_checkpoint_safely(path: str, map_location='cpu') -> dict:
    """``torch.load`` with ``weights_only=True`` and the allow-list.

    Raises:
        pickle.UnpicklingError: the file holds anything else (e.g. a
            pickled callable), which is refused without being run.
    """
    register_safe_globals()
    return torch.load(path, map_location=map_location, weights_only=True)


def load_isp_state_dict(path: str,
                        prefix: str = 'data_preprocessor.isp.'
                        ) -> Dict[str, torch.Tensor]:
    """The ISP's weights from a full-model checkpoint (or, with
    ``prefix=''``, a bare ISP one).

    Args:
        path: checkpoint file (mmengine's ``{'state_dict': ...}`` or a
            plain state dict).
        prefix: key prefix of the ISP inside the model ('' for an ISP's
            own state dict).

    Raises:
        KeyError: no key starts with ``prefix``.
    """
    ckpt = load_checkpoint_safely(path)
    state = ckpt.get('state_dict', ckpt)
    isp = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
    if not isp:
        raise KeyError(f'{path}: no weights under {prefix!r} '
                       f'(first keys: {list(state)[:5]})')
    return isp


def checkpoint_isp_config(path: str) -> Dict:
    """The ISP config a checkpoint was trained with, from the config text
    mmengine saves in its meta information (``model.data_preprocessor.isp``);
    an empty dict where the checkpoint carries none."""
    from mmengine.config import Config
    ckpt = load_checkpoint_safely(path)
    text = (ckpt.get('meta') or {}).get('cfg') if isinstance(ckpt,
                                                             dict) else None
    if not text:
        return {}
    cfg = Config.fromstring(text, file_format='.py')
    pre = cfg.get('model', {}).get('data_preprocessor', {})
    return pre.get('isp', {}).to_dict() if pre.get('isp') else {}
