# well_lit_srgb: the frozen FCOS on the well-lit sRGB images of the same
# test scenes (the upper bound). python tools/test.py CONFIG
_base_ = '../genisp/genisp_fcos_r18-slim_fpn_12e_synthetic-raw.py'
model = dict(
    data_preprocessor=dict(
        isp=dict(_delete_=True, type='IdentityISP'),
        input_scale=255,
        input_bgr_to_rgb=True))
test_dataloader = dict(
    dataset=dict(
        ann_file=_base_.srgb_test_ann_file,
        data_prefix=dict(img=_base_.srgb_image_prefix),
        pipeline=_base_.srgb_test_pipeline))
test_evaluator = dict(ann_file=_base_.data_root + _base_.srgb_test_ann_file)
