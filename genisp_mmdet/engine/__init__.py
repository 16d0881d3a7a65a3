from .hooks import ISPVisualizationHook
from .optimizers import TrainableOptimWrapperConstructor

__all__ = ['ISPVisualizationHook', 'TrainableOptimWrapperConstructor']
