# rawpy-isp_fcos_r50-caffe_fpn_gn-head_raw-nod-sony.py on the Nikon D750 test split.
#
#   python tools/test.py configs/baselines/rawpy-isp_fcos_r50-caffe_fpn_gn-head_raw-nod-nikon.py
_base_ = './rawpy-isp_fcos_r50-caffe_fpn_gn-head_raw-nod-sony.py'
test_dataloader = dict(
    dataset=dict(ann_file=_base_.raw_nod_ann_files['nikon_test']))
# The Nikon files flag no boxes: no difficulty breakdown.
test_evaluator = dict(
    ann_file=_base_.raw_nod_data_root + _base_.raw_nod_ann_files['nikon_test'],
    difficulty_flags=None)
