# The GenISP trained on Sony (genisp_retinanet_r50_fpn_15e_raw-nod-sony.py),
# tested on the Nikon D750 subset: a sensor it has not seen.
#
#   python tools/test.py configs/genisp/genisp_retinanet_r50_fpn_15e_raw-nod-sony_test-nikon.py \
#       work_dirs/genisp_retinanet_r50_fpn_15e_raw-nod-sony/epoch_15.pth
_base_ = './genisp_retinanet_r50_fpn_15e_raw-nod-sony.py'
test_dataloader = dict(
    dataset=dict(ann_file=_base_.raw_nod_ann_files['nikon_test']))
# The Nikon files flag no boxes: no difficulty breakdown.
test_evaluator = dict(
    ann_file=_base_.raw_nod_data_root + _base_.raw_nod_ann_files['nikon_test'],
    difficulty_flags=None)
