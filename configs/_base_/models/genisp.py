# The default GenISP, every setting spelled out (the class's defaults,
# genisp_mmdet/isp/genisp.py): exposure normalisation by the median
# luminance, colour-only log parametrisations of ConvWB and ConvCC, a log
# tone curve before the shallow ConvNet. The paper's form is in
# configs/genisp/genisp-paper_*. Configs put it in front of a detector as
# data_preprocessor=dict(type='GenISPDataPreprocessor', isp=_base_.isp, ...).
isp = dict(
    type='GenISP',
    normalize='median',
    tone='log',
    wb_cfg=dict(parametrization='log'),
    cc_cfg=dict(parametrization='log'))
# The paper's form (genisp_paper): direct gains and matrix, the image as it
# is (no normalisation, no tone curve); its configs also drop the encoders'
# learning-rate multiplier. Used as isp=dict(_base_.paper_isp, _delete_=True).
paper_isp = dict(
    type='GenISP',
    normalize=None,
    tone=None,
    wb_cfg=dict(parametrization='direct'),
    cc_cfg=dict(parametrization='direct'))
