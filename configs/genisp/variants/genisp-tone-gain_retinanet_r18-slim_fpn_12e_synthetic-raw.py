# Variant (exploratory): the default GenISP with one trained gain before its
# log tone curve (tone_gain='learned': log(1 + k x / target_mean), k =
# exp(tone_log_gain) starts at 1 and trains at the ISP's learning rate).
# After the study's 4 epochs the default's global stages brighten D65 white
# 8 times before the curve (1.0-1.2 in the variants without the curve), and
# with colour-only gains and det M = 1 they can do so only by making ConvCC's
# matrix anisotropic, which drives it onto its bound: this measures whether
# ConvCC stops saturating once the curve's level has a parameter of its own.
# Trained the same way as
# configs/genisp/genisp_retinanet_r18-slim_fpn_12e_synthetic-raw.py.
_base_ = '../genisp_retinanet_r18-slim_fpn_12e_synthetic-raw.py'
model = dict(data_preprocessor=dict(isp=dict(tone_gain='learned')))
