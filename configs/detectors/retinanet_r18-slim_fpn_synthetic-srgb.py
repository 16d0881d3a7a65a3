# Pretrain the slim retinanet on the well-lit synthetic scenes (the stand-in
# for COCO pretraining; no weights can be downloaded). The result is shipped
# as checkpoints/retinanet_r18-slim_fpn_synthetic-srgb.pth (tools/study.py pretrain).
_base_ = [
    '../_base_/models/retinanet_r18-slim_fpn.py',
    '../_base_/datasets/synthetic_srgb.py',
    '../_base_/schedules/detector_pretrain.py', '../_base_/default_runtime.py'
]
