# raw_naive: the packed XYZ image, only linearly scaled (mean 0.18), in
# front of the same frozen Faster R-CNN. No training: python tools/test.py CONFIG
_base_ = '../genisp/genisp_faster-rcnn_r18-slim_fpn_12e_synthetic-raw.py'
model = dict(data_preprocessor=dict(isp=dict(_delete_=True, type='LinearISP')))
