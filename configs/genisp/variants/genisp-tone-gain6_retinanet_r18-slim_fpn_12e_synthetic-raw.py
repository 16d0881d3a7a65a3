# Variant (exploratory): genisp-tone-gain with its trained gain starting at
# 6, about the brightening of D65 white that the default's global stages
# (8.0) and the variants that free ConvCC (5.8, 6.2) reach after 4 epochs:
# if the colour stages saturate because they are the only place the level
# before the tone curve can be raised, they should not once that level
# starts where the loss pulls it.
_base_ = './genisp-tone-gain_retinanet_r18-slim_fpn_12e_synthetic-raw.py'
model = dict(data_preprocessor=dict(isp=dict(tone_gain_init=6.0)))
