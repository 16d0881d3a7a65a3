# Variant (exploratory): the default GenISP with ConvWB and ConvCC replaced
# by the fixed map that puts the luminance Y in all three channels (a grey
# image; grey=True). After the study's 4 epochs the default's colour stages
# compose to a mean map whose largest singular value is about 14 times the
# second, with an input direction that is mostly Y and an output direction
# that is nearly grey: close to this map, reached only at ConvCC's bound.
# If this variant scores as the default does, what the trained colour
# stages contribute is a grey image.
# Trained the same way as
# configs/genisp/genisp_retinanet_r18-slim_fpn_12e_synthetic-raw.py.
_base_ = '../genisp_retinanet_r18-slim_fpn_12e_synthetic-raw.py'
model = dict(data_preprocessor=dict(isp=dict(wb=False, cc=False, grey=True)))
