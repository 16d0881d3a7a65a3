# classic_isp baseline: the packed XYZ image -> linear sRGB, gray-world white
# balance, auto exposure, sRGB gamma, in front of the COCO FCOS.
# No training:
#
#   python tools/test.py configs/baselines/classic-isp_fcos_r50-caffe_fpn_gn-head_raw-nod-sony.py
_base_ = '../genisp/genisp_fcos_r50-caffe_fpn_gn-head_raw-nod-sony.py'
model = dict(
    data_preprocessor=dict(
        isp=dict(_delete_=True, type='ClassicISP'), isp_checkpoint=None))
