"""genisp-mmdet: GenISP (Morawski et al., CVPRW 2022) for mmdetection 3.x.

Importing the package registers its parts in mmdet's registries, e.g. from a
config: ``custom_imports = dict(imports=['genisp_mmdet'],
allow_failed_imports=False)``. The pure parts, :mod:`genisp_mmdet.raw`
(numpy/rawpy), :mod:`genisp_mmdet.isp` (torch) and
:mod:`genisp_mmdet.synthetic` (numpy/OpenCV), import no OpenMMLab code and
work where mmdet is not installed; the registration then waits until it is.
"""
from .version import __version__

try:
    import mmdet  # noqa: F401
except ModuleNotFoundError as e:  # only the OpenMMLab stack may be absent
    if e.name not in ('mmdet', 'mmcv', 'mmengine'):
        raise
else:
    from .utils.checkpoint import register_safe_globals
    from . import datasets, engine, evaluation, models  # noqa: F401
    register_safe_globals()

__all__ = ['__version__']
