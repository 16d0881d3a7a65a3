"""The study's figures: example images through each ISP with the
detections drawn, and AP along the two axes of light."""
from __future__ import annotations

import json
import os
import os.path as osp
from typing import Optional, Sequence

from ..synthetic import layout
from .plans import CAMERA_A, FIXED, WELL_LIT, Plan, method_config
from .shell import Workspace, log


def examples(ws: Workspace, plan: Plan, out_path: str,
             indices: Sequence[int] = (3, 11, 27)) -> None:
    """A few test images as LibRaw default, classic ISP, GenISP output and
    well-lit reference, with RetinaNet's detections drawn by mmdet."""
    import cv2
    import numpy as np

    from ..apis import IspDetector, draw_detections
    from .stages import best_checkpoint
    try:
        genisp = best_checkpoint(ws, plan, 'genisp')
    except FileNotFoundError:
        if not osp.exists(out_path):
            raise
        log(f'kept {osp.relpath(out_path, ws.root)}: no GenISP checkpoint '
            'here (the work directory was restored from results/)')
        return
    columns = [
        ('LibRaw default (rawpy_isp)', 'rawpy_isp', None),
        ('classic ISP', 'classic_isp', None),
        ('GenISP', 'genisp', genisp),
        ('well-lit sRGB', WELL_LIT, None),
    ]
    with open(ws.path(layout.annotation_path(plan.data_root, CAMERA_A,
                                             'test'))) as f:
        images = json.load(f)['images']
    tiles = []
    for label, method, ckpt in columns:
        srgb = method == WELL_LIT
        det = IspDetector(
            ws.path(method_config(method)),
            ws.path(ckpt) if ckpt else None,
            cfg_options=layout.dataloader_options(
                plan.data_root, CAMERA_A, 'test', 'test_dataloader',
                'test_evaluator', srgb=srgb))
        column = []
        for i in indices:
            info = images[i % len(images)]
            name = info['srgb_file_name' if srgb else 'file_name']
            path = ws.path(plan.data_root,
                           layout.image_folder(CAMERA_A, srgb), name)
            res = det(path, info['width'], info['height'])
            img = draw_detections(res.isp_image, res.pred_on_image,
                                  det.dataset_meta, 0.3)
            column.append(cv2.resize(img, (320, 240)))
        head = np.full((28, 320, 3), 255, np.uint8)
        cv2.putText(head, label, (6, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.55,
                    (0, 0, 0), 1, cv2.LINE_AA)
        tiles.append(np.concatenate([head] + column, axis=0))
    grid = np.concatenate(
        [np.concatenate([t, np.full((t.shape[0], 4, 3), 255, np.uint8)], 1)
         for t in tiles], axis=1)
    os.makedirs(osp.dirname(out_path), exist_ok=True)
    cv2.imwrite(out_path, grid[..., ::-1])
    log(f'wrote {osp.relpath(out_path, ws.root)}')


AXIS_LABELS = {
    'exposure': ("exposure (the camera's light, lamps included; 1 = the "
                 'training data)'),
    'ambient': ('ambient (surroundings relative to the lamps, which stay '
                'as bright)'),
}


def light_sweeps(rows: Sequence[dict], well: Optional[float],
                 out_path: str) -> None:
    """AP of each method along the exposure axis and the ambient axis,
    mean over training seeds with their spread as error bars."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    from .report import mean_std
    axes = [a for a in AXIS_LABELS if any(r['axis'] == a for r in rows)]
    fig, plots = plt.subplots(1, len(axes), figsize=(6 * len(axes), 4),
                              squeeze=False)
    methods = sorted({r['method'] for r in rows},
                     key=lambda m: (m in FIXED, m))
    for ax, axis in zip(plots[0], axes):
        for method in methods:
            by_level = {}
            for r in rows:
                if r['axis'] == axis and r['method'] == method:
                    by_level.setdefault(r[axis], []).append(r['AP'])
            if not by_level:
                continue
            levels = sorted(by_level)
            stats = [mean_std(by_level[x]) for x in levels]
            ax.errorbar(levels, [m for m, _ in stats],
                        yerr=[s or 0.0 for _, s in stats], marker='o',
                        capsize=3, label=method)
        if well is not None:
            ax.axhline(well, color='gray', linestyle='--',
                       label=WELL_LIT)
        ax.set_xscale('log')
        ax.set_xlabel(AXIS_LABELS[axis])
        ax.set_ylabel('COCO AP (RetinaNet, camera A)')
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle('Detection AP as light falls')
    fig.tight_layout()
    fig.savefig(out_path, dpi=120)
    plt.close(fig)
    log(f'wrote {osp.relpath(out_path)}')
