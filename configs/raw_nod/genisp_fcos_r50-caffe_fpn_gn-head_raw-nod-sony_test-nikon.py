# genisp_fcos_r50-caffe_fpn_gn-head_raw-nod-sony.py tested on the Nikon D750 subset: an unseen
# detector and an unseen sensor.
#
#   python tools/test.py configs/raw_nod/genisp_fcos_r50-caffe_fpn_gn-head_raw-nod-sony_test-nikon.py
_base_ = './genisp_fcos_r50-caffe_fpn_gn-head_raw-nod-sony.py'
test_dataloader = dict(
    dataset=dict(ann_file='annotations/Nikon/raw_new_Nikon750_test.json'))
test_evaluator = dict(
    ann_file='data/RAW-NOD/annotations/Nikon/raw_new_Nikon750_test.json')
