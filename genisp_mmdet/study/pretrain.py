"""The shipped detectors: pretraining on the well-lit synthetic scenes, the
fp16 export, and ``checkpoints/manifest.json`` (verified before every
study command)."""
from __future__ import annotations

import hashlib
import json
import os
import os.path as osp
from typing import Optional, Sequence

from ..synthetic import layout
from ..utils.provenance import commit_id
from . import markdown
from .shell import Workspace, cfg_options, log, now, write_json

PRETRAIN_CONFIG = 'configs/detectors/{det}_r18-slim_fpn_synthetic-srgb.py'
SHIPPED = 'checkpoints/{det}_r18-slim_fpn_synthetic-srgb.pth'
MANIFEST = 'checkpoints/manifest.json'
PRETRAIN_DATA = 'data/synthetic'


class ManifestMismatch(RuntimeError):
    """A shipped checkpoint is absent or differs from the manifest."""


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h.hexdigest()


def read_manifest(ws: Workspace) -> dict:
    path = ws.path(MANIFEST)
    if not osp.isfile(path):
        return {}
    with open(path) as f:
        return json.load(f)


def verify_checkpoints(ws: Workspace) -> None:
    """The shipped detector checkpoints exist and match the manifest.

    Raises:
        ManifestMismatch: naming the file and what is wrong.
    """
    manifest = read_manifest(ws)
    if not manifest:
        raise ManifestMismatch(f'{ws.path(MANIFEST)} is absent or empty')
    for name, info in manifest.items():
        path = ws.path('checkpoints', name)
        if not osp.isfile(path):
            raise ManifestMismatch(f'{path} is absent; run `make pretrain` '
                                   'or restore it')
        sha = sha256(path)
        if sha != info['sha256']:
            raise ManifestMismatch(
                f'{path}: sha256 {sha} does not match the manifest '
                f'({info["sha256"]}); run `make pretrain` or restore it')


def missing_checkpoints(ws: Workspace) -> list:
    """What the study needs and does not find: the manifest, or the
    checkpoints it lists."""
    manifest = read_manifest(ws)
    if not manifest:
        return [MANIFEST]
    return [f'checkpoints/{n}' for n in manifest
            if not osp.isfile(ws.path('checkpoints', n))]


def detectors_table(ws: Workspace) -> str:
    """The shipped detectors, from the manifest, as Markdown."""
    rows = []
    for name, info in sorted(read_manifest(ws).items()):
        rows.append([
            f'[`{name}`](checkpoints/{name})', f'`{info["config"]}`',
            info.get('epochs', '?'), f'{info["size_bytes"] / 2**20:.1f} MB',
            f'{info["well_lit_val_AP"]:.3f}',
            f'{info["well_lit_val_AP50"]:.3f}', f'`{info["sha256"][:12]}`'
        ])
    return markdown.table(['checkpoint', 'pretraining config', 'epochs',
                           'size', 'well-lit val AP', 'AP50', 'sha256'], rows)


def export_detector(src: str, dst: str, config: str) -> Optional[int]:
    """Weights only, fp16, with the classes: the shipped checkpoint.
    Returns the epoch it was saved at."""
    import torch

    from ..utils import load_checkpoint_safely
    ckpt = load_checkpoint_safely(src)
    state = {k: (v.half() if v.is_floating_point() else v)
             for k, v in ckpt['state_dict'].items()}
    meta = dict(dataset_meta=ckpt['meta'].get('dataset_meta'),
                config=config, epoch=ckpt['meta'].get('epoch'))
    os.makedirs(osp.dirname(dst), exist_ok=True)
    torch.save({'state_dict': state, 'meta': meta}, dst)
    return meta['epoch']


def stage_pretrain(ws: Workspace, detectors: Sequence[str],
                   epochs: Optional[int] = None) -> None:
    """Pretrain each detector on the well-lit scenes, export it to
    ``checkpoints/``, evaluate the export, and rewrite the manifest and the
    README's table of shipped detectors."""
    work = 'work_dirs/pretrain'
    val = layout.pretrain_annotation_path(PRETRAIN_DATA, 'val')
    if not osp.exists(ws.path(val)):
        ws.run(ws.tool('make_synthetic_raw.py', '--out', PRETRAIN_DATA,
                       '--split', layout.PRETRAIN, '--num-images',
                       str(layout.SPLIT_SIZES['study'][layout.PRETRAIN])),
               f'{work}/logs/data.log')
    manifest = read_manifest(ws)
    options = {} if not epochs else {
        'train_cfg.max_epochs': epochs,
        'train_cfg.val_interval': min(2, epochs),
    }
    for det in detectors:
        config = PRETRAIN_CONFIG.format(det=det)
        work_dir = f'{work}/{det}'
        train_cmd = ws.tool('train.py', config, '--work-dir', work_dir,
                            '--resume') + cfg_options(options)
        ws.run(train_cmd, f'{work}/logs/train_{det}.log')
        with open(ws.path(work_dir, 'last_checkpoint')) as f:
            last = f.read().strip()
        dst = ws.path(SHIPPED.format(det=det))
        epoch = export_detector(last, dst, config)
        metrics = f'{work_dir}/shipped_metrics.json'
        cmd = ws.tool('test.py', config, dst, '--work-dir', work_dir,
                      '--metrics-json', metrics)
        ws.run(cmd, f'{work}/logs/test_{det}.log')
        with open(ws.path(metrics)) as f:
            m = json.load(f)
        manifest[osp.basename(dst)] = dict(
            config=config,
            sha256=sha256(dst),
            size_bytes=osp.getsize(dst),
            well_lit_val_AP=round(m['coco/bbox_mAP'], 4),
            well_lit_val_AP50=round(m['coco/bbox_mAP_50'], 4),
            evaluated_on=val,
            epochs=epoch,
            train_command=ws.shown(train_cmd),
            command=ws.shown(cmd),
            commit=commit_id(ws.root),
            date=now())
        write_json(ws.path(MANIFEST), manifest)
        log(f'{dst}: well-lit val AP {m["coco/bbox_mAP"]:.3f}')
    markdown.splice(ws.path('README.md'), 'shipped-detectors',
                    detectors_table(ws))
