# well_lit_srgb: the frozen Faster R-CNN on the well-lit sRGB images of the same
# test scenes (the upper bound). python tools/test.py CONFIG
_base_ = '../genisp_faster-rcnn_raw.py'
model = dict(
    data_preprocessor=dict(
        isp=dict(_delete_=True, type='IdentityISP'),
        input_scale=255,
        input_bgr_to_rgb=True))
test_dataloader = dict(
    dataset=dict(
        ann_file='annotations/SonyRX100M7/SonyRX100M7_test_srgb.json',
        data_prefix=dict(img='SonyRX100M7/srgb_images/'),
        pipeline={{_base_.srgb_test_pipeline}}))
test_evaluator = dict(
    ann_file='data/synthetic/annotations/SonyRX100M7/SonyRX100M7_test_srgb.json')
