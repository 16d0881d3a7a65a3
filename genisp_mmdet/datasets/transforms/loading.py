"""mmdet glue: load a RAW file in a data pipeline."""
from __future__ import annotations

import json
import os
import os.path as osp
import warnings
from typing import Dict, List, Optional, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS

from ...raw.loader import MODES as LOADER_MODES
from ...raw.loader import load_raw_image
from ...raw.read import RawDecodeError


@TRANSFORMS.register_module()
class LoadRawImageFromFile(BaseTransform):
    """Load a Bayer RAW file (DNG, ARW, NEF, ...) through LibRaw.

    The image is the file's annotated area, packed to half resolution
    (modes ``xyz`` and ``camera_rgb``) or processed by LibRaw (``rawpy``),
    float32, 3 channels, about [0, 1]. Boxes already in ``results`` are
    mapped from annotated-area pixels to image pixels here, so every later
    transform (Resize, RandomFlip, ...) sees image and boxes in one frame.
    ``raw_scale`` records that mapping; :class:`GenISPDataPreprocessor`
    folds it into ``scale_factor`` so that mmdet's heads map predictions
    back to annotated-area pixels for evaluation. Put ``'raw_scale'`` in
    ``PackDetInputs``' ``meta_keys``.

    Required Keys:
        - img_path
        - width, height (optional): size the annotations refer to
        - instances (optional), gt_bboxes (optional)

    Modified Keys:
        - instances[*]['bbox'], gt_bboxes: annotated-area -> image pixels

    Added Keys:
        - img: ``(h, w, 3)`` float32
        - img_shape, ori_shape: ``(h, w)`` of the image, ``(H, W)`` of the
          annotated area
        - raw_scale: ``(sx, sy)`` image pixels per annotated pixel
        - raw_meta: decoding details (pattern, matrix source, crop)

    Args:
        mode: ``'xyz'`` (GenISP's input), ``'camera_rgb'`` (no colour-space
            transform, an ablation) or ``'rawpy'`` (LibRaw's default
            processing to sRGB, the fixed-ISP baseline).
        allow_identity_matrix: in ``xyz`` mode, accept files without a
            colour matrix (camera RGB used as XYZ, with a warning) instead
            of raising.
        use_annotated_size: crop to the ``width``/``height`` the dataset
            gives (RAW-NOD's Sony files are annotated on a 5472x3648 area
            inside LibRaw's 5496x3672); else the file's own crop.
        rawpy_params: ``rawpy.postprocess`` arguments for ``rawpy`` mode.
        cache_dir: cache decoded arrays here (keyed by path, size, mtime
            and these settings); None disables caching.
        skip_bad_files: on an unreadable file, warn and return None (the
            dataset then draws another sample, in training only; mmengine
            raises in test mode) instead of raising. Each skip is also
            recorded where :class:`~genisp_mmdet.engine.hooks.BadRawFileHook`
            counts it (``skip_log_dir``).
        backend_args: mmengine file backend arguments; non-local backends
            read the bytes through ``mmengine.fileio``.

    Attributes:
        skip_log_dir: folder where each skipped file is recorded as one
            JSON line ``{"path", "reason"}`` in ``<skip_log_prefix>_pid<pid>
            .jsonl``, one file per process, so that dataloader workers never
            share a file; None records nothing. Set by
            :class:`~genisp_mmdet.engine.hooks.BadRawFileHook` before the
            workers start (the attribute travels with the dataset into
            forked or spawned workers).
        skip_log_prefix: ``rank<r>``, set by the same hook.

    Errors: a file that cannot be decoded raises
    :class:`~genisp_mmdet.raw.RawDecodeError` (or is skipped) naming the
    file and the reason, also for LibRaw errors that surface late (a
    truncated file fails when LibRaw unpacks the data) and for a decoded
    image with non-finite values; never a silently wrong image.
    """

    skip_log_dir: Optional[str] = None
    skip_log_prefix: str = 'rank0'

    def __init__(self,
                 mode: str = 'xyz',
                 allow_identity_matrix: bool = False,
                 use_annotated_size: bool = True,
                 rawpy_params: Optional[dict] = None,
                 cache_dir: Optional[str] = None,
                 skip_bad_files: bool = False,
                 backend_args: Optional[dict] = None) -> None:
        if mode not in LOADER_MODES:
            raise ValueError(f'mode must be one of {LOADER_MODES}, '
                             f'got {mode!r}')
        self.mode = mode
        self.allow_identity_matrix = allow_identity_matrix
        self.use_annotated_size = use_annotated_size
        self.rawpy_params = rawpy_params
        self.cache_dir = cache_dir
        self.skip_bad_files = skip_bad_files
        self.backend_args = backend_args

    def _read_bytes(self, path: str) -> Optional[bytes]:
        if self.backend_args is None and '://' not in str(path):
            return None  # LibRaw reads local files itself
        from mmengine import fileio
        try:
            return fileio.get(path, backend_args=self.backend_args)
        except FileNotFoundError:
            raise RawDecodeError(path, 'file not found') from None

    def _load(self, path: str, size: Optional[Tuple[int, int]]):
        """:func:`load_raw_image`; LibRaw failures and non-finite images
        become :class:`RawDecodeError` naming the file, and any other error
        keeps its type with a note naming the file."""
        import rawpy
        try:
            raw = load_raw_image(
                path,
                mode=self.mode,
                annotated_size=size,
                allow_identity_matrix=self.allow_identity_matrix,
                rawpy_params=self.rawpy_params,
                cache_dir=self.cache_dir,
                raw_bytes=self._read_bytes(path))
        except rawpy.LibRawError as e:
            # LibRaw reads lazily: a truncated file opens fine and fails
            # only when its data is unpacked, outside read_raw's handlers.
            raise RawDecodeError(
                path, f'LibRaw cannot decode it ({type(e).__name__}: {e}); '
                'the file may be truncated or corrupted') from None
        except (RawDecodeError, OSError):
            raise
        except Exception as e:
            # Anything else is a bug rather than a bad file: keep its type
            # and traceback, but say which file triggered it.
            if hasattr(e, 'add_note'):  # Python >= 3.11
                e.add_note(f'while loading RAW file {path}')
            raise
        if not np.isfinite(raw.img).all():
            raise RawDecodeError(
                path, 'decoded image has non-finite values (bad black/white '
                'levels or colour matrix)')
        return raw

    def _record_skip(self, path: str, error: Exception) -> None:
        if self.skip_log_dir is None:
            return
        reason = getattr(error, 'reason', None) or str(error)
        line = json.dumps(dict(path=str(path), reason=reason)) + '\n'
        log = osp.join(self.skip_log_dir,
                       f'{self.skip_log_prefix}_pid{os.getpid()}.jsonl')
        # One short write per record on a file only this process writes to:
        # a reader sees whole lines, or a last line without its newline.
        try:
            with open(log, 'a') as f:
                f.write(line)
        except OSError as e:  # counting must not be what stops training
            warnings.warn(f'cannot record the skip of {path} in {log}: {e}')

    def transform(self, results: dict) -> Optional[dict]:
        path = results['img_path']
        size = None
        if self.use_annotated_size and results.get('width') and results.get(
                'height'):
            size = (int(results['width']), int(results['height']))
        try:
            raw = self._load(path, size)
        except (RawDecodeError, OSError) as e:
            if not self.skip_bad_files:
                raise
            warnings.warn(f'skipping unreadable RAW file: {e}')
            self._record_skip(path, e)
            return None
        sx, sy = raw.scale
        ox, oy = raw.offset
        affine = np.array([sx, sy, sx, sy], dtype=np.float32)
        shift = np.array([ox, oy, ox, oy], dtype=np.float32)
        for inst in results.get('instances', []) or []:
            if 'bbox' in inst:
                inst['bbox'] = (np.asarray(inst['bbox'], np.float32) * affine +
                                shift).tolist()
        if results.get('gt_bboxes') is not None:
            boxes = results['gt_bboxes']
            boxes.rescale_((sx, sy))
            boxes.translate_((ox, oy))
        results['img'] = raw.img
        results['img_shape'] = raw.img.shape[:2]
        results['ori_shape'] = raw.annotated_shape
        results['raw_scale'] = (sx, sy)
        results['raw_meta'] = raw.meta
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(mode={self.mode!r}, '
                f'allow_identity_matrix={self.allow_identity_matrix}, '
                f'use_annotated_size={self.use_annotated_size}, '
                f'rawpy_params={self.rawpy_params}, '
                f'cache_dir={self.cache_dir!r}, '
                f'skip_bad_files={self.skip_bad_files}, '
                f'backend_args={self.backend_args})')


class SkipLogReader:
    """Reads the skip records of :class:`LoadRawImageFromFile` in a folder
    incrementally (only lines added since the last call), for one rank.

    Args:
        folder: the transforms' ``skip_log_dir``.
        prefix: the transforms' ``skip_log_prefix``.
    """

    def __init__(self, folder: str, prefix: str) -> None:
        self.folder = folder
        self.prefix = prefix
        self._offsets: Dict[str, int] = {}

    def read_new(self) -> List[dict]:
        """Records ``{"path", "reason"}`` written since the last call, in
        no particular order across processes; a line still being written
        is left for the next call."""
        records = []
        try:
            names = sorted(os.listdir(self.folder))
        except FileNotFoundError:
            return records
        for name in names:
            if not (name.startswith(self.prefix + '_pid')
                    and name.endswith('.jsonl')):
                continue
            path = osp.join(self.folder, name)
            with open(path, 'rb') as f:
                f.seek(self._offsets.get(path, 0))
                data = f.read()
            complete = data[:data.rfind(b'\n') + 1]
            self._offsets[path] = self._offsets.get(path, 0) + len(complete)
            records += [
                json.loads(line) for line in complete.decode().splitlines()
                if line.strip()
            ]
        return records
