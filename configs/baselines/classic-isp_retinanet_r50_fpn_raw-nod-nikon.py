# classic-isp_retinanet_r50_fpn_raw-nod-sony.py on the Nikon D750 test split.
#
#   python tools/test.py configs/baselines/classic-isp_retinanet_r50_fpn_raw-nod-nikon.py
_base_ = './classic-isp_retinanet_r50_fpn_raw-nod-sony.py'
test_dataloader = dict(
    dataset=dict(ann_file=_base_.raw_nod_ann_files['nikon_test']))
# The Nikon files flag no boxes: no difficulty breakdown.
test_evaluator = dict(
    ann_file=_base_.raw_nod_data_root + _base_.raw_nod_ann_files['nikon_test'],
    difficulty_flags=None)
