"""genisp-mmdet: GenISP (Morawski et al., CVPRW 2022) for mmdetection 3.x.

Importing the package registers its parts in mmdet's registries, e.g. from a
config: ``custom_imports = dict(imports=['genisp_mmdet'],
allow_failed_imports=False)``. The pure parts, :mod:`genisp_mmdet.raw`
(numpy/rawpy), :mod:`genisp_mmdet.isp` (torch) and
:mod:`genisp_mmdet.synthetic` (numpy/OpenCV), import no mmdet code.
"""
from .version import __version__
from .utils.checkpoint import register_safe_globals
from . import datasets, engine, models  # noqa: E402,F401  (registration)

register_safe_globals()

__all__ = ['__version__', 'datasets', 'engine', 'models']
