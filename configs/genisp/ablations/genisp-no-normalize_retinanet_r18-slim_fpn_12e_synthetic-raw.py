# Ablation: the default GenISP without exposure normalisation (and so
# without the tone curve, which is set at the normalised level): the log
# parametrisations and the encoders' own learning rate alone. Between it
# and genisp-paper_* differ only the parametrisation and that learning
# rate; trained the same way as
# configs/genisp/genisp_retinanet_r18-slim_fpn_12e_synthetic-raw.py.
_base_ = '../genisp_retinanet_r18-slim_fpn_12e_synthetic-raw.py'
model = dict(data_preprocessor=dict(isp=dict(normalize=None, tone=None)))
