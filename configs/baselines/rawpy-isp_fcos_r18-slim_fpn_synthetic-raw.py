# rawpy_isp: LibRaw's default processing (AHD demosaicing, daylight white
# balance, auto brightness, sRGB gamma) in front of the same frozen
# FCOS. No training: python tools/test.py CONFIG
_base_ = '../genisp/genisp_fcos_r18-slim_fpn_12e_synthetic-raw.py'
model = dict(
    data_preprocessor=dict(isp=dict(_delete_=True, type='IdentityISP')))
val_dataloader = dict(dataset=dict(pipeline=_base_.rawpy_test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=_base_.rawpy_test_pipeline))
