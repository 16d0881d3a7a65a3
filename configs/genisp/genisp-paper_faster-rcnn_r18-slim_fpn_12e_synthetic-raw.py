# The paper's GenISP (genisp-paper_retinanet_r18-slim_fpn_12e_synthetic-raw.py)
# in front of the frozen slim faster-rcnn: the unseen-detector rows of the study
# load a RetinaNet-trained genisp_paper ISP into it (isp_checkpoint).
_base_ = './genisp_faster-rcnn_r18-slim_fpn_12e_synthetic-raw.py'
model = dict(data_preprocessor=dict(isp=dict(_base_.paper_isp, _delete_=True)))
optim_wrapper = dict(paramwise_cfg=dict(_delete_=True))
