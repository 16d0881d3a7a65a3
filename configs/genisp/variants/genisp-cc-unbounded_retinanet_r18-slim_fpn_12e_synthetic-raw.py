# Variant (exploratory): the default GenISP with ConvCC's log-matrix not
# squashed (cc_cfg max_log_norm=None: M = expm(A), tr A = 0, as the encoder
# predicts it). After the study's 4 epochs the default's ConvCC argument
# sits at several times its bound of 2, where the tanh's gradient vanishes:
# this measures whether the bound, or the stage itself, makes ConvCC a
# constant. Trained the same way as
# configs/genisp/genisp_retinanet_r18-slim_fpn_12e_synthetic-raw.py.
_base_ = '../genisp_retinanet_r18-slim_fpn_12e_synthetic-raw.py'
model = dict(
    data_preprocessor=dict(isp=dict(cc_cfg=dict(max_log_norm=None))))
