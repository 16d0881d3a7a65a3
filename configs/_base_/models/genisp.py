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
