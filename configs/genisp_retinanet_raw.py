# The short name of the main config: GenISP in front of the frozen slim
# RetinaNet on the embedded synthetic benchmark.
#
#   python tools/train.py configs/genisp_retinanet_raw.py
_base_ = './genisp/genisp_retinanet_r18-slim_fpn_12e_synthetic-raw.py'
