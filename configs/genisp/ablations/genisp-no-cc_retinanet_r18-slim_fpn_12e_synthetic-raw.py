# Ablation: GenISP without its ConvCC (colour correction), trained the
# same way as configs/genisp/genisp_retinanet_r18-slim_fpn_12e_synthetic-raw.py.
_base_ = '../genisp_retinanet_r18-slim_fpn_12e_synthetic-raw.py'
model = dict(data_preprocessor=dict(isp=dict(cc=False)))
