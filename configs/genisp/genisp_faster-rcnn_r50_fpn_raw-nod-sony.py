# Unseen detector: the GenISP trained with RetinaNet on Sony
# (genisp_retinanet_r50_fpn_15e_raw-nod-sony.py) in front of mmdet's own
# COCO Faster R-CNN config, whole, which it has never seen, without
# retraining. Test only; the ISP's weights come from the RetinaNet run's
# checkpoint, the detector's from load_from:
#
#   python tools/test.py configs/genisp/genisp_faster-rcnn_r50_fpn_raw-nod-sony.py
#
# (no CHECKPOINT argument: it would replace load_from.)
_base_ = [
    'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py',
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
load_from = 'https://download.openmmlab.com/mmdetection/v2.0/faster_rcnn/faster_rcnn_r50_fpn_1x_coco/faster_rcnn_r50_fpn_1x_coco_20200130-047c8118.pth'  # noqa
