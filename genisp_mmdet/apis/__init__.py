"""High-level helpers over mmdet's APIs (imports mmdet)."""
from .inference import IspDetection, IspDetector, draw_detections, isp_to_uint8

__all__ = ['IspDetection', 'IspDetector', 'draw_detections', 'isp_to_uint8']
