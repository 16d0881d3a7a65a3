# GenISP in front of a frozen COCO RetinaNet R50-FPN, trained on RAW-NOD's
# Sony RX100 VII subset (the paper's main setting): Adam, lr 1e-2, x0.1 steps,
# 15 epochs, batch 8, images at most 1333x800. Data: docs/raw_nod.md.
#
#   python tools/train.py configs/genisp/genisp_retinanet_r50_fpn_15e_raw-nod-sony.py
#   python tools/test.py configs/genisp/genisp_retinanet_r50_fpn_15e_raw-nod-sony.py \
#       work_dirs/genisp_retinanet_r50_fpn_15e_raw-nod-sony/epoch_15.pth
_base_ = [
    'mmdet::_base_/models/retinanet_r50_fpn.py',
    '../_base_/datasets/raw-nod_sony.py',
    '../_base_/schedules/genisp_adam.py',
    '../_base_/default_runtime.py',
    '../_base_/models/genisp.py'
]
detector = _base_.model
# All detector weights come from load_from; no ImageNet download.
detector.backbone.init_cfg = None
model = dict(
    detector,
    _delete_=True,
    type='FrozenDetector',
    detector=detector.type,
    data_preprocessor=dict(
        type='GenISPDataPreprocessor',
        isp=_base_.isp,
        data_preprocessor=detector.data_preprocessor))
# Step decay at the same fractions of training as mmdet's 1x schedule
# (8 and 11 of 12 epochs); the paper gives no step epochs.
max_epochs = 15
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_epochs,
        by_epoch=True,
        milestones=[10, 14],
        gamma=0.1)
]
custom_hooks = [
    dict(type='ISPVisualizationHook', num_images=4),
    dict(type='GlobalStagesHook', num_images=64)
]
env_cfg = dict(dist_cfg=dict(backend='nccl'))
load_from = 'https://download.openmmlab.com/mmdetection/v2.0/retinanet/retinanet_r50_fpn_1x_coco/retinanet_r50_fpn_1x_coco_20200130-c2398f9e.pth'  # noqa
