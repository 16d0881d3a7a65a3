# RAW-NOD (github.com/igor-morawski/RAW-NOD): the data settings, defined
# once. Every name starts with raw_nod_ so that this file can be inherited
# beside a whole mmdet model-zoo config (whose COCO data keys it would
# otherwise collide with); ./raw-nod_sony.py puts them under mmdet's usual
# keys. Layout and data preparation: docs/raw_nod.md.
raw_nod_dataset_type = 'RawNODDataset'
raw_nod_data_root = 'data/RAW-NOD/'
# The paper's detector input: at most 1333x800, aspect ratio kept (RAW-NOD's
# 3:2 images become 1200x800).
raw_nod_image_scale = (1333, 800)
# Decoded arrays from tools/prepare_raw_nod.py --cache-dir; None decodes
# every RAW file at every epoch. Set with --cfg-options
# train_dataloader.dataset.pipeline.0.cache_dir=DIR (and val_/test_).
raw_nod_cache_dir = None
raw_nod_meta_keys = ('img_id', 'img_path', 'ori_shape', 'img_shape',
                     'scale_factor', 'flip', 'flip_direction', 'raw_scale')
raw_nod_ann_files = dict(
    sony_train='annotations/Sony/raw_new_Sony_RX100m7_train.json',
    sony_val='annotations/Sony/raw_new_Sony_RX100m7_val.json',
    # RAW-NOD has no raw_new_Sony_RX100m7_test.json; this is its Sony
    # test split (integer image ids, extra per-box difficulty flags).
    sony_test='annotations/Sony/raw_str_labeled_new_Sony_RX100m7_test.json',
    nikon_test='annotations/Nikon/raw_new_Nikon750_test.json')

raw_nod_train_pipeline = [
    dict(
        type='LoadRawImageFromFile',
        mode='xyz',
        cache_dir=raw_nod_cache_dir,
        skip_bad_files=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=raw_nod_image_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs', meta_keys=raw_nod_meta_keys)
]
raw_nod_test_pipeline = [
    dict(type='LoadRawImageFromFile', mode='xyz', cache_dir=raw_nod_cache_dir),
    dict(type='Resize', scale=raw_nod_image_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=raw_nod_meta_keys)
]
# The rawpy_isp baseline: LibRaw's default processing at full resolution.
raw_nod_rawpy_test_pipeline = [
    dict(type='LoadRawImageFromFile', mode='rawpy'),
    dict(type='Resize', scale=raw_nod_image_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=raw_nod_meta_keys)
]

raw_nod_train_dataloader = dict(
    # 8 images per GPU: the paper's batch of 8 on one GPU. On N GPUs set
    # train_dataloader.batch_size=8/N to keep the total at 8.
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type=raw_nod_dataset_type,
        data_root=raw_nod_data_root,
        ann_file=raw_nod_ann_files['sony_train'],
        filter_cfg=dict(filter_empty_gt=True, min_size=32),
        pipeline=raw_nod_train_pipeline))
raw_nod_val_dataloader = dict(
    batch_size=4,
    num_workers=8,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=raw_nod_dataset_type,
        data_root=raw_nod_data_root,
        ann_file=raw_nod_ann_files['sony_val'],
        test_mode=True,
        pipeline=raw_nod_test_pipeline))
raw_nod_test_dataloader = dict(
    raw_nod_val_dataloader,
    dataset=dict(
        raw_nod_val_dataloader['dataset'],
        ann_file=raw_nod_ann_files['sony_test']))

# COCO detectors (80 classes) on RAW-NOD: COCO's person, bicycle, car are
# labels 0, 1, 2, the same as RAW-NOD's; predictions of the other 77 COCO
# classes are dropped before evaluation. For a 3-class head set
# label_map=None.
raw_nod_val_evaluator = dict(
    type='RawCocoMetric',
    ann_file=raw_nod_data_root + raw_nod_ann_files['sony_val'],
    metric='bbox',
    classwise=True,
    label_map={0: 0, 1: 1, 2: 2},
    format_only=False)
# The Sony test file flags boxes (isextreme, isnoisy, ismotionblur, ...):
# AP per flag too (RawCocoMetric, docs/raw_nod.md).
raw_nod_test_evaluator = dict(
    raw_nod_val_evaluator,
    ann_file=raw_nod_data_root + raw_nod_ann_files['sony_test'],
    difficulty_flags='auto')
