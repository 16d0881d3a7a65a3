# Variant (exploratory): the default GenISP with ConvCC's matrix in the
# paper's direct form at the identity's scale (cc_cfg parametrization='unit':
# M = sqrt(3) (I + A) / ||I + A||_F). After the study's 4 epochs the
# default's ConvCC (M = expm(A), det M = 1) sits at several times its bound,
# on a matrix whose rows are alike (largest singular value 9 times the
# second: nearly a projection onto one colour direction, which det M = 1
# reaches only at an infinite log-norm). This form reaches such matrices at
# a finite output, has no bound to saturate on and no scale to drift along:
# it measures whether ConvCC then trains, and whether it acts per image.
# Trained the same way as
# configs/genisp/genisp_retinanet_r18-slim_fpn_12e_synthetic-raw.py.
_base_ = '../genisp_retinanet_r18-slim_fpn_12e_synthetic-raw.py'
model = dict(
    data_preprocessor=dict(isp=dict(cc_cfg=dict(parametrization='unit'))))
