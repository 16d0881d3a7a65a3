"""RAW decoding, packing and colour maths: plain numpy and rawpy, no torch."""
from .bayer import (BAYER_PATTERNS, MODES, PACK_SCALE, RawDecodeError,
                    RawFrame, develop, pack_planes, read_raw,
                    rotate_to_display)
from .color import SRGB_TO_XYZ, XYZ_TO_SRGB, linear_to_srgb, srgb_to_linear
from .dng import write_dng

__all__ = [
    'BAYER_PATTERNS', 'MODES', 'PACK_SCALE', 'RawDecodeError', 'RawFrame',
    'develop', 'pack_planes', 'read_raw', 'rotate_to_display', 'SRGB_TO_XYZ',
    'XYZ_TO_SRGB', 'linear_to_srgb', 'srgb_to_linear', 'write_dng'
]
