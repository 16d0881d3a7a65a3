from .raw_coco import (AnnotationReport, RawCocoDataset, load_coco_annotations,
                       normalize_coco)
from .raw_nod import RawNODDataset
from .transforms import LoadRawImageFromFile

__all__ = [
    'LoadRawImageFromFile', 'RawCocoDataset', 'RawNODDataset',
    'AnnotationReport', 'load_coco_annotations', 'normalize_coco'
]
