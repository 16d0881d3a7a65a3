# GenISP as the paper writes it (genisp_paper): ConvWB predicts the three
# gains directly (1 + output), ConvCC the matrix directly (I + output), on
# the image as it is (no exposure normalisation, no tone curve), every ISP
# parameter at the optimiser's learning rate. Trained the same way as
# genisp_retinanet_r18-slim_fpn_12e_synthetic-raw.py; the comparisons of
# the study run it beside the default.
_base_ = './genisp_retinanet_r18-slim_fpn_12e_synthetic-raw.py'
model = dict(data_preprocessor=dict(isp=dict(_base_.paper_isp, _delete_=True)))
optim_wrapper = dict(paramwise_cfg=dict(_delete_=True))
