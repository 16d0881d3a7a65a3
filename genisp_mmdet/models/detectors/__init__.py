from .frozen import FrozenDetector, FrozenDetectorMixin, frozen_class

__all__ = ['FrozenDetector', 'FrozenDetectorMixin', 'frozen_class']
