"""mmdet glue: evaluation metrics (registered in mmdet's METRICS)."""
from .metrics import RawCocoMetric

__all__ = ['RawCocoMetric']
