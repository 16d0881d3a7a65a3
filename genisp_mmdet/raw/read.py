"""Read the Bayer mosaic of a RAW file's annotated area with LibRaw.

``read_raw(path) -> RawFrame``: the uint16 mosaic of the annotated area,
starting on a CFA tile, with its pattern, black and white levels and the
camera -> XYZ matrix chosen from what the file carries. Packing and
normalisation are :mod:`genisp_mmdet.raw.packing`'s.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import numpy as np

from .color import cam_to_xyz_from_cam_to_srgb, cam_to_xyz_from_xyz_to_cam

BAYER_PATTERNS = ('RGGB', 'GRBG', 'GBRG', 'BGGR')


class RawDecodeError(ValueError):
    """A RAW file cannot be decoded into a Bayer frame; names file and reason."""

    def __init__(self, path, reason: str):
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f'{self.path}: {reason}')


@dataclass
class RawFrame:
    """The annotated area of one Bayer RAW file, undeveloped.

    Attributes:
        path: the file.
        mosaic: ``(H, W)`` uint16 digital numbers, H and W even, the
            top-left pixel at a CFA tile origin: a view of LibRaw's
            buffer, which it keeps alive (no copy of the mosaic).
        pattern: colours of ``mosaic[:2, :2]`` row-major, e.g. ``'GRBG'``.
        black_level: ``(2, 2)`` black level of each tile position.
        white_level: ``(2, 2)`` saturation level of each tile position.
        cam_to_xyz: ``(3, 3)`` camera RGB -> CIE XYZ, or None if the file
            carries no colour matrix.
        matrix_source: where ``cam_to_xyz`` came from: ``'rgb_xyz_matrix'``,
            ``'dng_color_matrix'``, ``'color_matrix'`` or ``'none'``.
        crop: ``(left, top, width, height)`` of the mosaic inside LibRaw's
            visible area, in sensor orientation.
        offset: sub-tile offset ``(dx, dy)`` in full-resolution pixels
            between the requested annotated origin and ``crop``'s origin
            (0 unless that origin is odd).
        visible_size: ``(width, height)`` of LibRaw's visible area.
        flip: LibRaw's orientation code (0, 3, 5 or 6).
    """
    path: str
    mosaic: np.ndarray
    pattern: str
    black_level: np.ndarray
    white_level: np.ndarray
    cam_to_xyz: Optional[np.ndarray]
    matrix_source: str
    crop: Tuple[int, int, int, int]
    offset: Tuple[int, int] = (0, 0)
    visible_size: Tuple[int, int] = (0, 0)
    flip: int = 0


def _dng_cam_to_xyz(path: str) -> Optional[np.ndarray]:
    """Camera -> XYZ from a DNG's ColorMatrix1/2 (prefers the D65 one)."""
    import tifffile
    try:
        with tifffile.TiffFile(path) as tif:
            tags = tif.pages[0].tags
            found = {}
            for idx, (cm_code, ill_code) in enumerate(((50721, 50778),
                                                       (50722, 50779))):
                if cm_code not in tags:
                    continue
                v = np.asarray(tags[cm_code].value, dtype=np.float64)
                if v.size != 18:  # 3x3 rationals; 4-colour DNGs have 24
                    continue
                m = (v[0::2] / v[1::2]).reshape(3, 3)
                ill = tags[ill_code].value if ill_code in tags else 0
                found[idx] = (m, ill)
    except Exception:  # not a TIFF-based file, or unreadable tags
        return None
    if not found:
        return None
    d65 = [m for m, ill in found.values() if ill == 21]
    m = d65[0] if d65 else found[max(found)][0]
    return cam_to_xyz_from_xyz_to_cam(m)


def _select_matrix(raw, path: str) -> Tuple[Optional[np.ndarray], str]:
    """Camera -> XYZ ``(3, 3)`` float64 of an open LibRaw image and its
    source (``RawFrame.matrix_source``): LibRaw's ``rgb_xyz_matrix``, else
    a DNG's ColorMatrix, else derived from ``color_matrix``, else None.

    Raises:
        ValueError: the chosen matrix is zero or singular.
    """
    xyz_to_cam = np.asarray(raw.rgb_xyz_matrix, dtype=np.float64)[:3]
    if np.any(xyz_to_cam):
        return cam_to_xyz_from_xyz_to_cam(xyz_to_cam), 'rgb_xyz_matrix'
    if path.lower().endswith('.dng'):
        m = _dng_cam_to_xyz(path)
        if m is not None:
            return m, 'dng_color_matrix'
    cm = np.asarray(raw.color_matrix, dtype=np.float64)
    if cm.shape == (3, 4) and np.any(cm):
        desc = raw.color_desc.decode()
        cam_to_srgb = cm[:, :3].copy()
        if len(desc) == 4 and desc[3] == 'G':
            cam_to_srgb[:, 1] += cm[:, 3]
        wb = np.asarray(raw.daylight_whitebalance, dtype=np.float64)[:3]
        return cam_to_xyz_from_cam_to_srgb(cam_to_srgb, wb), 'color_matrix'
    return None, 'none'


def _annotated_crop(path: str, sizes, visible: Tuple[int, int],
                    annotated_size: Optional[Sequence[int]]):
    """The annotated area ``(left, top, width, height)`` in visible coords.

    Order of preference: LibRaw's inset crop (DNG DefaultCrop, maker crops)
    when it matches ``annotated_size`` or none is given; else the
    ``annotated_size`` centred in the visible area (RAW-NOD's Sony files:
    5472x3648 annotated inside LibRaw's 5496x3672); else the visible area.
    """
    vw, vh = visible
    inset = None
    if getattr(sizes, 'crop_width', 0) and getattr(sizes, 'crop_height', 0):
        inset = (sizes.crop_left_margin, sizes.crop_top_margin,
                 sizes.crop_width, sizes.crop_height)
    if annotated_size is None:
        return inset or (0, 0, vw, vh)
    aw, ah = (int(v) for v in annotated_size)
    if sizes.flip in (5, 6):  # annotations are in display orientation
        aw, ah = ah, aw
    if inset is not None and (inset[2], inset[3]) == (aw, ah):
        return inset
    if (aw, ah) == (vw, vh):
        return (0, 0, vw, vh)
    if aw > vw or ah > vh:
        raise RawDecodeError(
            path, f'annotated size {aw}x{ah} is larger than the image '
            f'({vw}x{vh} visible pixels): annotation and file do not match')
    return ((vw - aw) // 2, (vh - ah) // 2, aw, ah)


def read_raw(path, annotated_size: Optional[Sequence[int]] = None,
             raw_bytes: Optional[bytes] = None) -> RawFrame:
    """Decode the Bayer mosaic of the annotated area of a RAW file.

    Args:
        path: RAW file (anything LibRaw reads: DNG, ARW, NEF, CR2, ...).
        annotated_size: ``(width, height)`` the annotations refer to, in
            display orientation; None for the file's own crop.
        raw_bytes: the file's content, if already read (e.g. through
            ``mmengine.fileio``); read from ``path`` otherwise.

    Raises:
        RawDecodeError: unreadable, not a RAW file, or not a Bayer mosaic
            (stacked/linear DNG, Foveon, X-Trans, CYGM, ...).
    """
    import rawpy
    path = os.fspath(path)
    if raw_bytes is None:
        if not os.path.isfile(path):
            raise RawDecodeError(path, 'file not found')
        if os.path.getsize(path) == 0:
            raise RawDecodeError(path, 'empty file (0 bytes)')
    try:
        if raw_bytes is not None:
            import io
            raw = rawpy.imread(io.BytesIO(raw_bytes))
        else:
            raw = rawpy.imread(path)
    except rawpy.LibRawError as e:
        raise RawDecodeError(
            path, f'LibRaw cannot read it ({type(e).__name__}: {e}); '
            'is it a RAW file, complete and not corrupted?') from None
    # The mosaic is returned as a view of LibRaw's buffer, not a copy: the
    # view keeps the RawPy object (and its buffer) alive until the frame
    # is dropped, so the image is closed here only on an error.
    try:
        return _frame_of(raw, path, annotated_size)
    except BaseException:
        raw.close()
        raise


def _frame_of(raw, path: str,
              annotated_size: Optional[Sequence[int]]) -> RawFrame:
    """The :class:`RawFrame` of an open LibRaw image (:func:`read_raw`)."""
    import rawpy
    try:
        # LibRaw may open a truncated or corrupted file and fail only
        # when its data is unpacked: unpack now, inside the handler.
        raw.unpack()
    except rawpy.LibRawError as e:
        raise RawDecodeError(
            path, f'LibRaw cannot unpack the image data '
            f'({type(e).__name__}: {e}); the file may be truncated or '
            'corrupted') from None
    if raw.raw_type != rawpy.RawType.Flat:
        raise RawDecodeError(
            path, f'not a Bayer mosaic: LibRaw reports raw_type '
            f'{raw.raw_type.name} (stacked/linear data, e.g. Foveon, '
            'film scanners or demosaiced DNGs)')
    pat = np.asarray(raw.raw_pattern)
    desc = raw.color_desc.decode()
    if pat.shape != (2, 2):
        raise RawDecodeError(
            path, f'not a 2x2 Bayer mosaic: CFA pattern is '
            f'{pat.shape[0]}x{pat.shape[1]} (e.g. Fuji X-Trans)')
    letters = ''.join(desc[i] for i in pat.reshape(-1))
    if sorted(letters) != ['B', 'G', 'G', 'R']:
        raise RawDecodeError(
            path, f'unsupported colour filter array {letters!r} '
            f'(colours {desc!r}); only R/G/G/B Bayer layouts are supported')
    sizes = raw.sizes
    visible = (sizes.width, sizes.height)
    left, top, width, height = _annotated_crop(path, sizes, visible,
                                                annotated_size)
    # Start on a CFA tile and cover the area with whole tiles.
    x0, y0 = left - left % 2, top - top % 2
    x1 = min(left + width + (left + width - x0) % 2, visible[0])
    y1 = min(top + height + (top + height - y0) % 2, visible[1])
    if x1 - x0 < 2 or y1 - y0 < 2:
        raise RawDecodeError(path, f'image too small: {visible}')
    try:
        mosaic = raw.raw_image_visible[y0:y1, x0:x1]
    except Exception as e:  # truncated data surfaces here
        raise RawDecodeError(
            path, f'LibRaw cannot unpack the image data '
            f'({type(e).__name__}: {e}); the file may be truncated'
        ) from None
    if (mosaic.shape[0] % 2) or (mosaic.shape[1] % 2):
        mosaic = mosaic[:mosaic.shape[0] // 2 * 2, :mosaic.shape[1] // 2 *
                        2]
    blacks = np.asarray(raw.black_level_per_channel, dtype=np.float64)
    whites = raw.camera_white_level_per_channel
    whites = (np.asarray(whites, dtype=np.float64) if whites is not None
              and np.any(whites) else np.full(4, float(raw.white_level)))
    black = blacks[pat]
    white = whites[pat]
    if np.any(white <= black):
        raise RawDecodeError(
            path, f'white level {white.tolist()} not above black level '
            f'{black.tolist()}')
    try:
        cam_to_xyz, source = _select_matrix(raw, path)
    except ValueError as e:
        raise RawDecodeError(path, f'bad colour matrix: {e}') from None
    return RawFrame(
        path=path,
        mosaic=mosaic,
        pattern=letters,
        black_level=black,
        white_level=white,
        cam_to_xyz=cam_to_xyz,
        matrix_source=source,
        crop=(x0, y0, mosaic.shape[1], mosaic.shape[0]),
        offset=(left - x0, top - y0),
        visible_size=visible,
        flip=int(sizes.flip),
    )
