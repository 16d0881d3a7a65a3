from .fileio import AtomicLocalBackend, atomic_write
from .hooks import (AtomicCheckpointHook, BadRawFileHook, ISPVisualizationHook,
                    NonFiniteCheckHook, NonFiniteError, TooManyBadFilesError)
from .optimizers import TrainableOptimWrapperConstructor

__all__ = [
    'AtomicLocalBackend', 'atomic_write', 'AtomicCheckpointHook',
    'BadRawFileHook', 'ISPVisualizationHook', 'NonFiniteCheckHook',
    'NonFiniteError', 'TooManyBadFilesError',
    'TrainableOptimWrapperConstructor'
]
