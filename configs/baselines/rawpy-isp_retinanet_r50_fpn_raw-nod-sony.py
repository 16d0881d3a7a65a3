# rawpy_isp baseline: LibRaw's default processing (AHD demosaicing, daylight
# white balance, auto brightness, sRGB gamma) at full resolution, then the
# same resize, in front of the COCO RetinaNet. No training:
#
#   python tools/test.py configs/baselines/rawpy-isp_retinanet_r50_fpn_raw-nod-sony.py
_base_ = '../genisp/genisp_retinanet_r50_fpn_15e_raw-nod-sony.py'
model = dict(
    data_preprocessor=dict(isp=dict(_delete_=True, type='IdentityISP')))
val_dataloader = dict(
    dataset=dict(pipeline=_base_.raw_nod_rawpy_test_pipeline))
test_dataloader = dict(
    dataset=dict(pipeline=_base_.raw_nod_rawpy_test_pipeline))
