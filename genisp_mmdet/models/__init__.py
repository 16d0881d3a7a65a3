from . import isps  # noqa: F401  (registers the ISPs)
from .data_preprocessors import GenISPDataPreprocessor
from .detectors import FrozenDetector, frozen_class

__all__ = ['GenISPDataPreprocessor', 'FrozenDetector', 'frozen_class']
