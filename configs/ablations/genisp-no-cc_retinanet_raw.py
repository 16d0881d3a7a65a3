# Ablation: GenISP without its ConvCC (colour correction), trained the
# same way as configs/genisp_retinanet_raw.py.
_base_ = '../genisp_retinanet_raw.py'
model = dict(data_preprocessor=dict(isp=dict(cc=False)))
