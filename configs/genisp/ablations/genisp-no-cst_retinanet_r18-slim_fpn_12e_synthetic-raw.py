# Ablation: GenISP on camera RGB (no colour-space transform to XYZ),
# trained the same way as configs/genisp/genisp_retinanet_r18-slim_fpn_12e_synthetic-raw.py. The transform
# is what should let one ISP serve several sensors.
_base_ = '../genisp_retinanet_r18-slim_fpn_12e_synthetic-raw.py'
train_dataloader = dict(
    dataset=dict(pipeline=_base_.camera_rgb_train_pipeline))
val_dataloader = dict(
    dataset=dict(pipeline=_base_.camera_rgb_test_pipeline))
test_dataloader = dict(
    dataset=dict(pipeline=_base_.camera_rgb_test_pipeline))
