# GenISP in front of a frozen RetinaNet, on low-light RAW (DNG) images.
# The default data is the embedded synthetic benchmark (camera A,
# Sony RX100 VII-like); the detector is the slim RetinaNet pretrained on the
# well-lit synthetic scenes (configs/detectors/), frozen, with its own data
# preprocessor run unchanged after the ISP.
#
#   python tools/train.py configs/genisp/genisp_retinanet_r18-slim_fpn_12e_synthetic-raw.py
#   python tools/test.py configs/genisp/genisp_retinanet_r18-slim_fpn_12e_synthetic-raw.py \
#       work_dirs/genisp_retinanet_r18-slim_fpn_12e_synthetic-raw/best_coco_bbox_mAP_epoch_*.pth
_base_ = [
    '../_base_/models/retinanet_r18-slim_fpn.py',
    '../_base_/datasets/synthetic_raw.py',
    '../_base_/schedules/genisp_adam.py', '../_base_/default_runtime.py',
    '../_base_/models/genisp.py'
]
detector = _base_.model
model = dict(
    detector,
    _delete_=True,
    type='FrozenDetector',
    detector=detector.type,
    data_preprocessor=dict(
        type='GenISPDataPreprocessor',
        isp=_base_.isp,
        data_preprocessor=detector.data_preprocessor))
custom_hooks = [
    dict(type='ISPVisualizationHook', num_images=4),
    dict(type='GlobalStagesHook', num_images=64)
]
load_from = 'checkpoints/retinanet_r18-slim_fpn_synthetic-srgb.pth'
