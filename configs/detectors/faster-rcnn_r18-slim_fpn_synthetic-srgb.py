# Pretrain the slim faster-rcnn on the well-lit synthetic scenes (the stand-in
# for COCO pretraining; no weights can be downloaded). The result is shipped
# as checkpoints/faster-rcnn_r18-slim_fpn_synthetic-srgb.pth (tools/study.py pretrain).
_base_ = [
    '../_base_/models/faster-rcnn_r18-slim_fpn.py',
    '../_base_/datasets/synthetic_srgb.py',
    '../_base_/schedules/detector_pretrain.py', '../_base_/default_runtime.py'
]
# Two epochs, not four: a training step costs about 2-3 times RetinaNet's on
# a 2-core CPU. The same cosine schedule, compressed (it ends at
# max_epochs).
train_cfg = dict(max_epochs=2, val_interval=2)
