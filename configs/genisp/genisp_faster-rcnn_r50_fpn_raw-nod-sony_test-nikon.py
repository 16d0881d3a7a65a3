# genisp_faster-rcnn_r50_fpn_raw-nod-sony.py tested on the Nikon D750 subset: an unseen
# detector and an unseen sensor.
#
#   python tools/test.py configs/genisp/genisp_faster-rcnn_r50_fpn_raw-nod-sony_test-nikon.py
_base_ = './genisp_faster-rcnn_r50_fpn_raw-nod-sony.py'
test_dataloader = dict(
    dataset=dict(ann_file=_base_.raw_nod_ann_files['nikon_test']))
# The Nikon files flag no boxes: no difficulty breakdown.
test_evaluator = dict(
    ann_file=_base_.raw_nod_data_root + _base_.raw_nod_ann_files['nikon_test'],
    difficulty_flags=None)
