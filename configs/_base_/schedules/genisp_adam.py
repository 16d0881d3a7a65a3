# GenISP training: Adam, lr 1e-2, x0.1 steps (the paper's setting, in
# epochs scaled to the synthetic benchmark); only the ISP's parameters
# reach the optimiser. ConvWB's and ConvCC's encoders train at a tenth of
# it (not the paper's: at 1e-2 Adam moves their outputs by O(1) per step
# and they end on their bounds; genisp_paper configs drop it).
max_epochs = 12
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=2)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    constructor='TrainableOptimWrapperConstructor',
    optimizer=dict(type='Adam', lr=1e-2),
    paramwise_cfg=dict(custom_keys={
        'conv_wb': dict(lr_mult=0.1),
        'conv_cc': dict(lr_mult=0.1)
    }),
    clip_grad=dict(max_norm=10, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    # no `end`: mmengine's runner ends it at train_cfg.max_epochs
    dict(
        type='MultiStepLR',
        begin=0,
        by_epoch=True,
        milestones=[8, 11],
        gamma=0.1)
]
auto_scale_lr = dict(enable=False, base_batch_size=8)
