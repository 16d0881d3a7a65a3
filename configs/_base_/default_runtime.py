_base_ = 'mmdet::_base_/default_runtime.py'
custom_imports = dict(imports=['genisp_mmdet'], allow_failed_imports=False)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(
        type='CheckpointHook',
        interval=1,
        max_keep_ckpts=2,
        save_best='coco/bbox_mAP',
        rule='greater'))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
