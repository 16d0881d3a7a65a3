# Unseen detector: the GenISP trained with RetinaNet on Sony
# (genisp_retinanet_r50_fpn_15e_raw-nod-sony.py) in front of mmdet's own
# COCO FCOS config, whole, which it has never seen, without retraining. This
# FCOS was trained on BGR images (caffe style: bgr_to_rgb=False, BGR mean,
# no std); its own data preprocessor runs unchanged after the ISP, so it
# receives BGR. Test only; the ISP's weights come from the RetinaNet run's
# checkpoint, the detector's from load_from:
#
#   python tools/test.py configs/genisp/genisp_fcos_r50-caffe_fpn_gn-head_raw-nod-sony.py
#
# (no CHECKPOINT argument: it would replace load_from.)
_base_ = [
    'mmdet::fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.py',
    '../_base_/datasets/raw-nod.py',
    '../_base_/models/genisp.py'
]
custom_imports = dict(imports=['genisp_mmdet'], allow_failed_imports=False)
detector = _base_.model
detector.backbone.init_cfg = None
model = dict(
    detector,
    _delete_=True,
    type='FrozenDetector',
    detector=detector.type,
    data_preprocessor=dict(
        type='GenISPDataPreprocessor',
        isp=_base_.isp,
        isp_checkpoint='work_dirs/genisp_retinanet_r50_fpn_15e_raw-nod-sony/'
        'epoch_15.pth',
        data_preprocessor=detector.data_preprocessor))
# The zoo config's data is COCO's: test on RAW-NOD instead.
test_dataloader = dict(_delete_=True, **_base_.raw_nod_test_dataloader)
test_evaluator = dict(_delete_=True, **_base_.raw_nod_test_evaluator)
load_from = 'https://download.openmmlab.com/mmdetection/v2.0/fcos/fcos_r50_caffe_fpn_gn-head_1x_coco/fcos_r50_caffe_fpn_gn-head_1x_coco-821213aa.pth'  # noqa
