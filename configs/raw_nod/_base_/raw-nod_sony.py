# RAW-NOD (github.com/igor-morawski/RAW-NOD), Sony RX100 VII subset: train
# on its train split, validate on val, test on test. Layout and data
# preparation: docs/raw_nod.md. Configs that test on the Nikon D750 subset
# override test_dataloader.dataset.ann_file and test_evaluator.ann_file.
dataset_type = 'RawNODDataset'
data_root = 'data/RAW-NOD/'
backend_args = None
# The paper's detector input: at most 1333x800, aspect ratio kept (RAW-NOD's
# 3:2 images become 1200x800).
image_scale = (1333, 800)
raw_mode = 'xyz'
# Decoded arrays from tools/prepare_raw_nod.py --cache-dir; None decodes
# every RAW file at every epoch. Set with --cfg-options
# train_dataloader.dataset.pipeline.0.cache_dir=DIR (and val_/test_).
raw_cache_dir = None
meta_keys = ('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor',
             'flip', 'flip_direction', 'raw_scale')

train_pipeline = [
    dict(
        type='LoadRawImageFromFile',
        mode=raw_mode,
        cache_dir=raw_cache_dir,
        skip_bad_files=True,
        backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs', meta_keys=meta_keys)
]
test_pipeline = [
    dict(
        type='LoadRawImageFromFile',
        mode=raw_mode,
        cache_dir=raw_cache_dir,
        backend_args=backend_args),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=meta_keys)
]
# The rawpy_isp baseline: LibRaw's default processing at full resolution,
# referenced by the baseline configs as {{_base_.rawpy_test_pipeline}}.
rawpy_test_pipeline = [
    dict(type='LoadRawImageFromFile', mode='rawpy', backend_args=backend_args),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=meta_keys)
]

train_dataloader = dict(
    # 8 images per GPU: the paper's batch of 8 on one GPU. On N GPUs set
    # train_dataloader.batch_size=8/N to keep the total at 8.
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/Sony/raw_new_Sony_RX100m7_train.json',
        filter_cfg=dict(filter_empty_gt=True, min_size=32),
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=4,
    num_workers=8,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/Sony/raw_new_Sony_RX100m7_val.json',
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = dict(
    batch_size=4,
    num_workers=8,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        # RAW-NOD has no raw_new_Sony_RX100m7_test.json; this is its Sony
        # test split (integer image ids, extra per-box flags).
        ann_file='annotations/Sony/raw_str_labeled_new_Sony_RX100m7_test.json',
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))

# COCO detectors (80 classes) on RAW-NOD: COCO's person, bicycle, car are
# labels 0, 1, 2, the same as RAW-NOD's; predictions of the other 77 COCO
# classes are dropped before evaluation. For a 3-class head set
# label_map=None.
coco_to_raw_nod = {0: 0, 1: 1, 2: 2}
val_evaluator = dict(
    type='RawCocoMetric',
    ann_file=data_root + 'annotations/Sony/raw_new_Sony_RX100m7_val.json',
    metric='bbox',
    classwise=True,
    label_map=coco_to_raw_nod,
    format_only=False,
    backend_args=backend_args)
test_evaluator = dict(
    type='RawCocoMetric',
    ann_file=data_root +
    'annotations/Sony/raw_str_labeled_new_Sony_RX100m7_test.json',
    metric='bbox',
    classwise=True,
    label_map=coco_to_raw_nod,
    format_only=False,
    backend_args=backend_args)
