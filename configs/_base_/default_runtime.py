_base_ = 'mmdet::_base_/default_runtime.py'
custom_imports = dict(imports=['genisp_mmdet'], allow_failed_imports=False)
# Reliability (docs/robustness.md), in default_hooks so that configs that
# replace custom_hooks keep them:
# - checkpoints and the last_checkpoint pointer are written atomically, old
#   ones deleted only after the new one is on disk (a kill never leaves a
#   truncated file for --resume);
# - training stops at the first NaN/Inf in the ISP, the loss or the
#   weights, naming the iteration, before anything of it is saved;
# - RAW files skipped by LoadRawImageFromFile(skip_bad_files=True) are
#   counted over workers and ranks, summarised each epoch, and training
#   stops when more than max_bad_fraction of the training set is bad.
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(
        type='AtomicCheckpointHook',
        interval=1,
        max_keep_ckpts=2,
        save_best='coco/bbox_mAP',
        rule='greater'),
    non_finite=dict(type='NonFiniteCheckHook'),
    bad_raw_files=dict(type='BadRawFileHook', max_bad_fraction=0.05))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
