"""High-level helpers over mmdet's APIs (imports mmdet)."""
from .det_inferencer import RawDetInferencer, RawInferencerLoader
from .inference import (IspDetection, IspDetector, detection_from_sample,
                        draw_detections, isp_to_uint8, predict_with_isp)

__all__ = [
    'IspDetection', 'IspDetector', 'RawDetInferencer', 'RawInferencerLoader',
    'detection_from_sample', 'draw_detections', 'isp_to_uint8',
    'predict_with_isp'
]
