# GenISP in front of a frozen Faster R-CNN, on low-light RAW (DNG) images.
# The default data is the embedded synthetic benchmark (camera A,
# Sony RX100 VII-like); the detector is the slim Faster R-CNN pretrained on the
# well-lit synthetic scenes (configs/detectors/), frozen.
#
#   python tools/train.py configs/genisp_faster-rcnn_raw.py
#   python tools/test.py configs/genisp_faster-rcnn_raw.py work_dirs/genisp_faster-rcnn_raw/best_coco_bbox_mAP_epoch_*.pth
_base_ = [
    './_base_/models/faster-rcnn_r18-slim_fpn.py',
    './_base_/datasets/synthetic_raw.py',
    './_base_/schedules/genisp_adam.py', './_base_/default_runtime.py'
]
model = dict(
    type='FrozenDetector',
    detector='FasterRCNN',
    data_preprocessor=dict(
        _delete_=True,
        type='GenISPDataPreprocessor',
        isp=dict(type='GenISP'),
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        pad_size_divisor=32))
custom_hooks = [dict(type='ISPVisualizationHook', num_images=4)]
load_from = 'checkpoints/faster-rcnn_r18-slim_fpn_synthetic-srgb.pth'
