# Unseen detector: the GenISP trained with RetinaNet on Sony
# (genisp_retinanet_r50_fpn_15e_raw-nod-sony.py) in front of a COCO FCOS it
# has never seen, without retraining. Test only; the ISP's weights come from
# the RetinaNet run's checkpoint, the detector's from load_from:
#
#   python tools/test.py configs/raw_nod/genisp_fcos_r50-caffe_fpn_gn-head_raw-nod-sony.py
#
# (no CHECKPOINT argument: it would replace load_from.)
_base_ = [
    './_base_/fcos_r50-caffe_fpn_gn-head.py',
    './_base_/raw-nod_sony.py',
    '../_base_/default_runtime.py',
]
model = dict(
    type='FrozenDetector',
    detector='FCOS',
    data_preprocessor=dict(
        _delete_=True,
        type='GenISPDataPreprocessor',
        isp=dict(type='GenISP'),
        isp_checkpoint='work_dirs/genisp_retinanet_r50_fpn_15e_raw-nod-sony/'
        'epoch_15.pth',
        isp_checkpoint_prefix='data_preprocessor.isp.',
        # This FCOS was trained on BGR images (caffe style, no std): the
        # ISP's RGB output is flipped.
        mean=[102.9801, 115.9465, 122.7717],
        std=[1.0, 1.0, 1.0],
        rgb_to_bgr=True,
        pad_size_divisor=32),
    backbone=dict(init_cfg=None))
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
env_cfg = dict(dist_cfg=dict(backend='nccl'))
load_from = 'https://download.openmmlab.com/mmdetection/v2.0/fcos/fcos_r50_caffe_fpn_gn-head_1x_coco/fcos_r50_caffe_fpn_gn-head_1x_coco-821213aa.pth'  # noqa
