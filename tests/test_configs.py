"""Every shipped config builds: its model, its data pipelines, and an LR
schedule that ends with training."""
import glob
import os

import pytest
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmdet.registry import MODELS

import genisp_mmdet  # noqa: F401
from .helpers import REPO

CONFIGS = sorted(
    os.path.relpath(p, REPO)
    for p in glob.glob(os.path.join(REPO, 'configs', '**', '*.py'),
                       recursive=True) if '_base_' not in p)


def test_configs_are_found_in_mmdets_layout():
    assert 'configs/genisp_retinanet_raw.py' in CONFIGS  # the short name
    top = {c.split('/')[1] for c in CONFIGS if c.count('/') > 1}
    assert top == {'genisp', 'baselines', 'detectors'}
    assert len(CONFIGS) >= 40
    assert os.path.isfile(os.path.join(REPO, 'configs', 'genisp',
                                       'metafile.yml'))
    assert os.path.isfile(os.path.join(REPO, 'configs', 'genisp',
                                       'README.md'))


@pytest.mark.parametrize('config', CONFIGS)
def test_config_builds(config):
    cfg = Config.fromfile(os.path.join(REPO, config))
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    pre = cfg.model.get('data_preprocessor', {})
    if pre.get('isp_checkpoint'):
        # a checkpoint of a training run the user has made; not shipped
        pre['isp_checkpoint'] = None
    model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) > 0
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(loader):
            Compose(cfg[loader].dataset.pipeline)
    if cfg.get('train_cfg') and cfg.get('param_scheduler'):
        _check_epoch_schedules(cfg, config)


def _check_epoch_schedules(cfg, config):
    """An epoch-based LR schedule ends with training: its ``end`` is unset
    (mmengine's runner then uses train_cfg.max_epochs) or equals it, and
    its steps fall inside training."""
    max_epochs = cfg.train_cfg.max_epochs
    for s in cfg.param_scheduler:
        if not s.get('by_epoch', True):
            continue
        assert s.get('end', max_epochs) == max_epochs, (config, s)
        assert s.get('T_max', max_epochs) == max_epochs, (config, s)
        assert all(0 < m < max_epochs for m in s.get('milestones', [])), (
            config, s)


def _cfg(path):
    return Config.fromfile(os.path.join(REPO, path))


def _loader_modes(cfg):
    return {name: cfg[name].dataset.pipeline[0].get('mode')
            for name in ('train_dataloader', 'val_dataloader',
                         'test_dataloader')}


MAIN = 'configs/genisp/genisp_retinanet_r18-slim_fpn_12e_synthetic-raw.py'


def test_variants_change_only_what_they_name():
    main = _cfg(MAIN)
    assert _cfg('configs/genisp_retinanet_raw.py').model == main.model
    assert set(_loader_modes(main).values()) == {'xyz'}
    no_cst = _cfg('configs/genisp/ablations/genisp-no-cst_retinanet_'
                  'r18-slim_fpn_12e_synthetic-raw.py')
    assert set(_loader_modes(no_cst).values()) == {'camera_rgb'}
    assert no_cst.model == main.model
    isp = main.model.data_preprocessor.isp
    # the config spells out the class's defaults: dict(type='GenISP') in a
    # user's wrap builds the same ISP
    built = MODELS.build(isp)
    default = MODELS.build(dict(type='GenISP'))
    for attr in ('normalize', 'tone', 'resize'):
        assert getattr(built, attr) == getattr(default, attr), attr
    for stage in ('conv_wb', 'conv_cc'):
        assert getattr(built, stage).parametrization == getattr(
            default, stage).parametrization == 'log'
    for part, change in (('wb', dict(wb=False)), ('cc', dict(cc=False)),
                         ('enhance', dict(enhance=False)),
                         ('tone', dict(tone=None)),
                         ('normalize', dict(normalize=None, tone=None))):
        cfg = _cfg(f'configs/genisp/ablations/genisp-no-{part}_retinanet_'
                   'r18-slim_fpn_12e_synthetic-raw.py')
        assert cfg.model.data_preprocessor.isp == dict(isp, **change)
        assert cfg.optim_wrapper == main.optim_wrapper
    unbounded = _cfg('configs/genisp/variants/genisp-cc-unbounded_retinanet_'
                     'r18-slim_fpn_12e_synthetic-raw.py')
    assert unbounded.model.data_preprocessor.isp == dict(
        isp, cc_cfg=dict(isp.cc_cfg, max_log_norm=None))
    assert unbounded.optim_wrapper == main.optim_wrapper
    assert MODELS.build(unbounded.model.data_preprocessor.isp
                        ).conv_cc.max_log_norm is None
    unit = _cfg('configs/genisp/variants/genisp-cc-unit_retinanet_'
                'r18-slim_fpn_12e_synthetic-raw.py')
    assert unit.model.data_preprocessor.isp == dict(
        isp, cc_cfg=dict(isp.cc_cfg, parametrization='unit'))
    assert unit.optim_wrapper == main.optim_wrapper
    assert MODELS.build(unit.model.data_preprocessor.isp
                        ).conv_cc.parametrization == 'unit'
    gain = _cfg('configs/genisp/variants/genisp-tone-gain_retinanet_'
                'r18-slim_fpn_12e_synthetic-raw.py')
    assert gain.model.data_preprocessor.isp == dict(isp, tone_gain='learned')
    assert gain.optim_wrapper == main.optim_wrapper
    assert MODELS.build(gain.model.data_preprocessor.isp
                        ).tone_log_gain is not None
    gain6 = _cfg('configs/genisp/variants/genisp-tone-gain6_retinanet_'
                 'r18-slim_fpn_12e_synthetic-raw.py')
    assert gain6.model.data_preprocessor.isp == dict(
        isp, tone_gain='learned', tone_gain_init=6.0)
    assert gain6.optim_wrapper == main.optim_wrapper
    assert float(MODELS.build(gain6.model.data_preprocessor.isp
                              ).tone_log_gain.exp()) == pytest.approx(6.0)
    grey = _cfg('configs/genisp/variants/genisp-grey_retinanet_'
                'r18-slim_fpn_12e_synthetic-raw.py')
    assert grey.model.data_preprocessor.isp == dict(isp, wb=False, cc=False,
                                                    grey=True)
    assert grey.optim_wrapper == main.optim_wrapper
    built = MODELS.build(grey.model.data_preprocessor.isp)
    assert built.grey and built.conv_wb is None and built.conv_cc is None
    paper = _cfg('configs/genisp/genisp-paper_retinanet_r18-slim_fpn_12e_'
                 'synthetic-raw.py')
    assert paper.model.data_preprocessor.isp == dict(
        type='GenISP', normalize=None, tone=None,
        wb_cfg=dict(parametrization='direct'),
        cc_cfg=dict(parametrization='direct'))
    assert main.optim_wrapper.paramwise_cfg.custom_keys == {
        'conv_wb': dict(lr_mult=0.1), 'conv_cc': dict(lr_mult=0.1)}
    assert not paper.optim_wrapper.paramwise_cfg
    rawpy = _cfg('configs/baselines/rawpy-isp_fcos_r18-slim_fpn_'
                 'synthetic-raw.py')
    assert _loader_modes(rawpy)['test_dataloader'] == 'rawpy'
    assert rawpy.model.data_preprocessor.isp == dict(type='IdentityISP')
    assert rawpy.model.detector == 'FCOS'
    well_lit = _cfg('configs/baselines/well-lit_faster-rcnn_r18-slim_fpn_'
                    'synthetic-srgb.py')
    assert well_lit.test_dataloader.dataset.pipeline[0].type == \
        'LoadImageFromFile'
    assert well_lit.test_dataloader.dataset.ann_file.endswith(
        'SonyRX100M7_test_srgb.json')


@pytest.mark.parametrize('config', [c for c in CONFIGS
                                    if '/genisp/' in c or 'baselines' in c])
def test_detector_preprocessor_is_the_detectors_own(config):
    """Every ISP config wraps a detector whole: its data preprocessor is the
    detector's own, unchanged, inside GenISPDataPreprocessor."""
    cfg = _cfg(config)
    assert cfg.model.type == 'FrozenDetector'
    pre = cfg.model.data_preprocessor
    assert pre.type == 'GenISPDataPreprocessor'
    assert pre.data_preprocessor == cfg.detector.data_preprocessor


def test_synthetic_paths_follow_the_layout():
    """The data paths the configs spell out are those of the generator's
    layout (genisp_mmdet/synthetic/layout.py)."""
    from genisp_mmdet.synthetic import layout
    cfg = _cfg(MAIN)
    for loader, split in (('train_dataloader', 'train'),
                          ('val_dataloader', 'val'),
                          ('test_dataloader', 'test')):
        ds = cfg[loader].dataset
        opts = layout.dataloader_options(ds.data_root, cfg.camera, split,
                                         loader)
        assert ds.ann_file == opts[f'{loader}.dataset.ann_file']
        assert ds.data_prefix.img == opts[f'{loader}.dataset.data_prefix.img']
    for ev, split in (('val_evaluator', 'val'), ('test_evaluator', 'test')):
        assert cfg[ev].ann_file == layout.annotation_path(
            cfg.data_root, cfg.camera, split)
        assert cfg[ev].type == 'RawCocoMetric'
