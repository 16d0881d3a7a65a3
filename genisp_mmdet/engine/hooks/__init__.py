from .isp_visualization_hook import ISPVisualizationHook, isp_grid

__all__ = ['ISPVisualizationHook', 'isp_grid']
