# Low-light RAW (DNG) images of the synthetic benchmark, one camera, in the
# layout of genisp_mmdet/synthetic/layout.py. Generate with
# tools/make_synthetic_raw.py. Camera A (the one GenISP is trained on) is
# the Sony RX100 VII-like camera; to test on another camera or split,
# override test_dataloader.dataset.ann_file / data_prefix and
# test_evaluator.ann_file (genisp_mmdet.synthetic.dataloader_options writes
# those --cfg-options).
dataset_type = 'RawCocoDataset'
data_root = 'data/synthetic/'
camera = 'SonyRX100M7'
metainfo = dict(
    classes=('person', 'bicycle', 'car'),
    palette=[(220, 20, 60), (119, 11, 32), (0, 0, 142)])
backend_args = None
image_scale = (320, 240)
raw_mode = 'xyz'
meta_keys = ('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor',
             'flip', 'flip_direction', 'raw_scale')


def _annotations(split, suffix=''):
    return f'annotations/{camera}/{camera}_{split}{suffix}.json'


train_pipeline = [
    dict(type='LoadRawImageFromFile', mode=raw_mode, skip_bad_files=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs', meta_keys=meta_keys)
]
test_pipeline = [
    dict(type='LoadRawImageFromFile', mode=raw_mode),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=meta_keys)
]
# Workers are not persistent: training and validation alternate, and idle
# persistent workers of the other loader would hold their memory (measured
# by tools/benchmark.py: demo_peak_rss_gb); starting two workers costs
# about a second per epoch.
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        ann_file=_annotations('train'),
        data_prefix=dict(img=f'{camera}/raw_images/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=4),
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        ann_file=_annotations('val'),
        data_prefix=dict(img=f'{camera}/raw_images/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = dict(
    val_dataloader,
    dataset=dict(val_dataloader['dataset'], ann_file=_annotations('test')))
val_evaluator = dict(
    type='RawCocoMetric',
    ann_file=data_root + _annotations('val'),
    metric='bbox',
    format_only=False,
    backend_args=backend_args)
test_evaluator = dict(val_evaluator, ann_file=data_root + _annotations('test'))

# Pipelines of the other rows of a comparison, referenced by
# configs/baselines/ and configs/genisp/ablations/ as _base_.<name>.
rawpy_test_pipeline = [
    dict(type='LoadRawImageFromFile', mode='rawpy'),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=meta_keys)
]
camera_rgb_train_pipeline = [
    dict(type='LoadRawImageFromFile', mode='camera_rgb', skip_bad_files=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs', meta_keys=meta_keys)
]
camera_rgb_test_pipeline = [
    dict(type='LoadRawImageFromFile', mode='camera_rgb'),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=meta_keys)
]
# The well-lit sRGB reference of the same test scenes (the upper bound),
# with its annotation file and image folder.
srgb_test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=meta_keys)
]
srgb_test_ann_file = _annotations('test', '_srgb')
srgb_image_prefix = f'{camera}/srgb_images/'
