"""RAW decoding, packing and colour maths: numpy, OpenCV and rawpy, no
torch.

* :mod:`.read`: LibRaw -> :class:`RawFrame` (mosaic, pattern, levels,
  camera -> XYZ matrix);
* :mod:`.packing`: frame -> packed, normalised image in display
  orientation;
* :mod:`.loader`: :func:`load_raw_image`, one file -> the image an ISP
  sees, in each mode, cached by :mod:`.cache`;
* :mod:`.color`: colour spaces and the sRGB curve;
* :mod:`.dng`: :func:`write_dng`.
"""
from .color import (SRGB_DECODE_LUT_8BIT, SRGB_TO_XYZ, XYZ_TO_SRGB,
                    linear_to_srgb, srgb_to_linear)
from .dng import write_dng
from .loader import MODES, RawImage, load_raw_image
from .packing import (PACK_SCALE, frame_planes, pack_planes,
                      planes_to_linear, rotate_to_display)
from .read import BAYER_PATTERNS, RawDecodeError, RawFrame, read_raw

__all__ = [
    'BAYER_PATTERNS', 'MODES', 'PACK_SCALE', 'RawDecodeError', 'RawFrame',
    'RawImage', 'frame_planes', 'load_raw_image', 'pack_planes',
    'planes_to_linear', 'read_raw', 'rotate_to_display',
    'SRGB_DECODE_LUT_8BIT', 'SRGB_TO_XYZ', 'XYZ_TO_SRGB', 'linear_to_srgb',
    'srgb_to_linear', 'write_dng'
]
