# classic_isp: XYZ -> sRGB, gray-world white balance, auto exposure, sRGB
# gamma, in front of the same frozen FCOS. No training:
# python tools/test.py CONFIG
_base_ = '../genisp/genisp_fcos_r18-slim_fpn_12e_synthetic-raw.py'
model = dict(
    data_preprocessor=dict(isp=dict(_delete_=True, type='ClassicISP')))
