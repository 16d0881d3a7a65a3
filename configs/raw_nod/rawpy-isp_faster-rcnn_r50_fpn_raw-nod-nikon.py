# rawpy-isp_faster-rcnn_r50_fpn_raw-nod-sony.py on the Nikon D750 test split.
#
#   python tools/test.py configs/raw_nod/rawpy-isp_faster-rcnn_r50_fpn_raw-nod-nikon.py
_base_ = './rawpy-isp_faster-rcnn_r50_fpn_raw-nod-sony.py'
test_dataloader = dict(
    dataset=dict(ann_file='annotations/Nikon/raw_new_Nikon750_test.json'))
test_evaluator = dict(
    ann_file='data/RAW-NOD/annotations/Nikon/raw_new_Nikon750_test.json')
