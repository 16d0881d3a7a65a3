from .bad_raw_file_hook import BadRawFileHook, TooManyBadFilesError
from .checkpoint_hook import AtomicCheckpointHook
from .global_stages_hook import GlobalStagesHook
from .isp_visualization_hook import ISPVisualizationHook, isp_grid
from .non_finite_check_hook import NonFiniteCheckHook, NonFiniteError

__all__ = [
    'AtomicCheckpointHook', 'BadRawFileHook', 'GlobalStagesHook', 'ISPVisualizationHook',
    'NonFiniteCheckHook', 'NonFiniteError', 'TooManyBadFilesError', 'isp_grid'
]
