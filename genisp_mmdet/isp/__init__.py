"""ISPs in plain PyTorch (no mmdet import): GenISP and the fixed baselines."""
from .color import linear_to_srgb
from .fixed import ClassicISP, IdentityISP, LinearISP
from .genisp import (ConvCC, ConvWB, GenISP, ImageToParameter,
                     ShallowConvNet, apply_color_matrix)

__all__ = [
    'GenISP', 'ConvWB', 'ConvCC', 'ShallowConvNet', 'ImageToParameter',
    'apply_color_matrix', 'IdentityISP', 'LinearISP', 'ClassicISP',
    'linear_to_srgb'
]
