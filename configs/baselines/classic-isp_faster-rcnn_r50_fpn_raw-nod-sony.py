# classic_isp baseline: the packed XYZ image -> linear sRGB, gray-world white
# balance, auto exposure, sRGB gamma, in front of the COCO Faster R-CNN.
# No training:
#
#   python tools/test.py configs/baselines/classic-isp_faster-rcnn_r50_fpn_raw-nod-sony.py
_base_ = '../genisp/genisp_faster-rcnn_r50_fpn_raw-nod-sony.py'
model = dict(
    data_preprocessor=dict(
        isp=dict(_delete_=True, type='ClassicISP'), isp_checkpoint=None))
