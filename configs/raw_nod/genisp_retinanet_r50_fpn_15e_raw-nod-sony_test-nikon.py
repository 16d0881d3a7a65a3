# The GenISP trained on Sony (genisp_retinanet_r50_fpn_15e_raw-nod-sony.py),
# tested on the Nikon D750 subset: a sensor it has not seen.
#
#   python tools/test.py configs/raw_nod/genisp_retinanet_r50_fpn_15e_raw-nod-sony_test-nikon.py \
#       work_dirs/genisp_retinanet_r50_fpn_15e_raw-nod-sony/epoch_15.pth
_base_ = './genisp_retinanet_r50_fpn_15e_raw-nod-sony.py'
test_dataloader = dict(
    dataset=dict(ann_file='annotations/Nikon/raw_new_Nikon750_test.json'))
test_evaluator = dict(
    ann_file='data/RAW-NOD/annotations/Nikon/raw_new_Nikon750_test.json')
