# A RetinaNet sized for a 2-core CPU at ~320x240: ResNet-18 at half width
# (base_channels 32), FPN with 64 channels, 2 stacked head convolutions,
# 3 classes (person, bicycle, car), anchors one octave smaller than COCO's
# for the small packed images. Trained from scratch on the well-lit
# synthetic scenes (configs/detectors/).
_base_ = 'mmdet::_base_/models/retinanet_r50_fpn.py'
model = dict(
    backbone=dict(
        depth=18,
        base_channels=32,
        frozen_stages=-1,
        norm_eval=False,
        init_cfg=None),
    neck=dict(in_channels=[32, 64, 128, 256], out_channels=64),
    bbox_head=dict(
        num_classes=3,
        in_channels=64,
        feat_channels=64,
        stacked_convs=2,
        anchor_generator=dict(octave_base_scale=2)))
