# Pretrain the slim faster-rcnn on the well-lit synthetic scenes (the stand-in
# for COCO pretraining; no weights can be downloaded). The result is shipped
# as checkpoints/faster-rcnn_r18-slim_fpn_synthetic-srgb.pth (tools/study.py pretrain).
_base_ = [
    '../_base_/models/faster-rcnn_r18-slim_fpn.py',
    '../_base_/datasets/synthetic_srgb.py',
    '../_base_/schedules/detector_pretrain.py', '../_base_/default_runtime.py'
]
# Two epochs, not four: a training step costs about 2-3 times RetinaNet's on
# a 2-core CPU. The same cosine schedule, compressed.
max_epochs = 2
train_cfg = dict(max_epochs=max_epochs, val_interval=2)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=300),
    dict(
        type='CosineAnnealingLR',
        eta_min=2e-5,
        begin=0,
        end=max_epochs,
        T_max=max_epochs,
        by_epoch=True,
        convert_to_iter_based=True)
]
