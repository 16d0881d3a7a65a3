# rawpy_isp baseline: LibRaw's default processing (AHD demosaicing, daylight
# white balance, auto brightness, sRGB gamma) at full resolution, then the
# same resize, in front of the COCO FCOS. No training:
#
#   python tools/test.py configs/baselines/rawpy-isp_fcos_r50-caffe_fpn_gn-head_raw-nod-sony.py
_base_ = '../genisp/genisp_fcos_r50-caffe_fpn_gn-head_raw-nod-sony.py'
model = dict(
    data_preprocessor=dict(
        isp=dict(_delete_=True, type='IdentityISP'), isp_checkpoint=None))
test_dataloader = dict(
    dataset=dict(pipeline=_base_.raw_nod_rawpy_test_pipeline))
