# Ablation: the default GenISP without its log tone curve (the shallow
# ConvNet sees the exposure-normalised linear image), trained the same way
# as configs/genisp/genisp_retinanet_r18-slim_fpn_12e_synthetic-raw.py.
_base_ = '../genisp_retinanet_r18-slim_fpn_12e_synthetic-raw.py'
model = dict(data_preprocessor=dict(isp=dict(tone=None)))
