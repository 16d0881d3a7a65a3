# Detector pretraining from scratch on the well-lit synthetic scenes.
max_epochs = 4
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=2)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-3, weight_decay=0.05),
    clip_grad=dict(max_norm=10, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=300),
    # no `end`: mmengine's runner ends it at train_cfg.max_epochs, so a
    # config (or --cfg-options) that changes max_epochs keeps the cosine
    # shape over the new length
    dict(
        type='CosineAnnealingLR',
        eta_min=2e-5,
        begin=0,
        by_epoch=True,
        convert_to_iter_based=True)
]
auto_scale_lr = dict(enable=False, base_batch_size=8)
