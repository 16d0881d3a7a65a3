# Unseen detector: the GenISP trained with RetinaNet on Sony
# (genisp_retinanet_r50_fpn_15e_raw-nod-sony.py) in front of a COCO Faster
# R-CNN it has never seen, without retraining. Test only; the ISP's weights
# come from the RetinaNet run's checkpoint, the detector's from load_from:
#
#   python tools/test.py configs/raw_nod/genisp_faster-rcnn_r50_fpn_raw-nod-sony.py
#
# (no CHECKPOINT argument: it would replace load_from.)
_base_ = [
    'mmdet::_base_/models/faster-rcnn_r50_fpn.py',
    './_base_/raw-nod_sony.py',
    '../_base_/default_runtime.py',
]
model = dict(
    type='FrozenDetector',
    detector='FasterRCNN',
    data_preprocessor=dict(
        _delete_=True,
        type='GenISPDataPreprocessor',
        isp=dict(type='GenISP'),
        isp_checkpoint='work_dirs/genisp_retinanet_r50_fpn_15e_raw-nod-sony/'
        'epoch_15.pth',
        isp_checkpoint_prefix='data_preprocessor.isp.',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        pad_size_divisor=32),
    backbone=dict(init_cfg=None))
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
env_cfg = dict(dist_cfg=dict(backend='nccl'))
load_from = 'https://download.openmmlab.com/mmdetection/v2.0/faster_rcnn/faster_rcnn_r50_fpn_1x_coco/faster_rcnn_r50_fpn_1x_coco_20200130-047c8118.pth'  # noqa
