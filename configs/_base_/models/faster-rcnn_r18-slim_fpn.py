# A Faster R-CNN sized like configs/_base_/models/retinanet_r18-slim_fpn.py:
# ResNet-18 at half width, FPN 64, RPN and a 2-fc box head of 256 units,
# 3 classes.
_base_ = 'mmdet::_base_/models/faster-rcnn_r50_fpn.py'
model = dict(
    backbone=dict(
        depth=18,
        base_channels=32,
        frozen_stages=-1,
        norm_eval=False,
        init_cfg=None),
    neck=dict(in_channels=[32, 64, 128, 256], out_channels=64),
    rpn_head=dict(in_channels=64, feat_channels=64),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=64),
        bbox_head=dict(in_channels=64, fc_out_channels=256, num_classes=3)),
    # fewer training proposals and RoIs than mmdet's R50 defaults (2000 /
    # 1000 proposals, 512 RoIs per image): 3.5 -> 2.1 s per training step here
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=1000, max_per_img=500),
        rcnn=dict(sampler=dict(num=256))),
    test_cfg=dict(rpn=dict(nms_pre=500, max_per_img=300)))
