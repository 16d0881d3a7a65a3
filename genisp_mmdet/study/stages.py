"""The study's stages: generate the data, train, evaluate rows.

Every stage is a command of this repository (``tools/make_synthetic_raw.py``,
``tools/train.py``, ``tools/test.py``) run through :class:`.Workspace`,
with its log under the plan's work directory. Finished stages are skipped,
so an interrupted run continues where it stopped (training itself resumes
from its last checkpoint). Every row records the command that produced it,
the commit and the date.
"""
from __future__ import annotations

import glob
import json
import os.path as osp
import threading
from typing import Dict, List, Sequence, Tuple

from ..synthetic import layout
from ..utils.provenance import commit_id
from .plans import CAMERA_A, WELL_LIT, Plan, Row, method_config
from .shell import Workspace, cfg_options, log, now, read_scalars, write_json


# ----------------------------------------------------------------- data
def stage_data(ws: Workspace, plan: Plan) -> None:
    """Generate the plan's RAW splits and extra test sets (skipping those
    whose last annotation file exists)."""
    gen = ws.tool('make_synthetic_raw.py', '--out', plan.data_root)
    for split, n in plan.sizes.items():
        cameras = plan.split_cameras(split)
        if all(osp.exists(ws.path(layout.annotation_path(
                plan.data_root, c, split))) for c in cameras):
            continue
        ws.run(gen + ['--split', split, '--num-images', str(n), '--camera'] +
               cameras, f'{plan.work_root}/logs/data_{split}.log')
    for t in plan.test_sets:
        if osp.exists(ws.path(layout.annotation_path(plan.data_root,
                                                     t.camera, t.split))):
            continue
        light = []
        for axis in ('exposure', 'ambient'):
            value = getattr(t, axis)
            if value is not None:
                light += [f'--{axis}', f'{value:.6g}', f'{value:.6g}']
        if not t.noise:
            light.append('--no-noise')
        ws.run(gen + ['--split', 'test', '--num-images',
                      str(plan.sizes['test']), '--camera', t.camera,
                      '--tag', t.tag] + light,
               f'{plan.work_root}/logs/data_{t.split}_{t.camera}.log')


# ---------------------------------------------------------------- train
def train_dir(plan: Plan, method: str, seed: int) -> str:
    return f'{plan.work_root}/train/{method}-seed{seed}'


def best_checkpoint(ws: Workspace, plan: Plan, method: str,
                    seed: int = 0) -> str:
    found = sorted(glob.glob(ws.path(train_dir(plan, method, seed),
                                     'best_*.pth')))
    if not found:
        raise FileNotFoundError(f'no best checkpoint of {method} (seed '
                                f'{seed}) in {train_dir(plan, method, seed)}')
    return osp.relpath(found[-1], ws.root)


def train_options(plan: Plan, seed: int) -> Dict[str, object]:
    opts = {}
    opts.update(layout.dataloader_options(plan.data_root, CAMERA_A, 'train',
                                          'train_dataloader'))
    # model selection on camera A's val split only
    opts.update(layout.dataloader_options(plan.data_root, CAMERA_A, 'val',
                                          'val_dataloader', 'val_evaluator'))
    opts['train_cfg.max_epochs'] = plan.epochs
    opts['train_cfg.val_interval'] = 1
    opts['param_scheduler.1.milestones'] = '[' + ','.join(
        map(str, plan.milestones)) + ']'
    if seed:  # the configs' own seed is 0
        opts['randomness.seed'] = seed
    return opts


def train_command(ws: Workspace, plan: Plan, method: str,
                  seed: int) -> List[str]:
    return ws.tool('train.py', method_config(method), '--work-dir',
                   train_dir(plan, method, seed), '--resume') + cfg_options(
                       train_options(plan, seed))


def train(ws: Workspace, plan: Plan, method: str, seed: int) -> None:
    ws.run(train_command(ws, plan, method, seed),
           f'{plan.work_root}/logs/train_{method}-seed{seed}.log')
    best_checkpoint(ws, plan, method, seed)
    open(ws.path(train_dir(plan, method, seed), 'done'), 'w').close()


def val_curve(ws: Workspace, plan: Plan, method: str,
              seed: int = 0) -> List[float]:
    """Camera A val AP after each epoch of a training run (over every
    resumed run of the work directory)."""
    by_epoch = {
        r['step']: r['coco/bbox_mAP']
        for r in read_scalars(ws.path(train_dir(plan, method, seed)))
        if 'coco/bbox_mAP' in r
    }
    if not by_epoch and osp.exists(ws.path(curve_path(plan, method, seed))):
        with open(ws.path(curve_path(plan, method, seed))) as f:
            return json.load(f)  # restored from results/ (no logs here)
    return [by_epoch[k] for k in sorted(by_epoch)]


def curve_path(plan: Plan, method: str, seed: int) -> str:
    """Where a restored validation curve is kept (``study.py restore``)."""
    return f'{train_dir(plan, method, seed)}/val_curve.json'


# ------------------------------------------------------------- evaluate
def row_command(ws: Workspace, plan: Plan, r: Row,
                out_json: str) -> List[str]:
    config = method_config(r.method, r.det)
    ckpt = []
    opts = {}
    if r.trained:
        if r.det == 'retinanet':
            ckpt = [best_checkpoint(ws, plan, r.method, r.seed)]
        else:  # unseen detector: its own weights, the ISP from RetinaNet's
            opts['model.data_preprocessor.isp_checkpoint'] = best_checkpoint(
                ws, plan, r.method, r.seed)
    opts.update(layout.dataloader_options(
        plan.data_root, r.test.camera, r.test.split, 'test_dataloader',
        'test_evaluator', srgb=r.method == WELL_LIT))
    return ws.tool('test.py', config, *ckpt, '--work-dir',
                   f'{plan.work_root}/eval/{r.id}', '--metrics-json',
                   out_json) + cfg_options(opts)


def row_path(plan: Plan, r: Row) -> str:
    return f'{plan.work_root}/rows/{r.id}.json'


def evaluate(ws: Workspace, plan: Plan, r: Row, label: str) -> None:
    """Run one row through tools/test.py and write its result."""
    metrics_json = f'{plan.work_root}/eval/{r.id}/metrics.json'
    cmd = row_command(ws, plan, r, metrics_json)
    log(f'{label}: {r.id}')
    ws.run(cmd, f'{plan.work_root}/logs/eval_{r.id}.log')
    with open(ws.path(metrics_json)) as f:
        m = json.load(f)
    light = {axis: getattr(r.test, axis) for axis in ('exposure', 'ambient')}
    if r.test.axis == 'photons':
        light['photons_of'] = CAMERA_A
    result = dict(
        method=r.method,
        detector=r.detector,
        train_camera=CAMERA_A if r.trained else None,
        test_camera=r.test_camera,
        split=r.test.split,
        axis=r.test.axis,
        noise=r.test.noise,
        seed=r.seed,
        **light,
        AP=round(m['coco/bbox_mAP'], 4),
        AP50=round(m['coco/bbox_mAP_50'], 4),
        AP75=round(m['coco/bbox_mAP_75'], 4),
        command=ws.shown(cmd),
        commit=commit_id(ws.root),
        date=now())
    write_json(ws.path(row_path(plan, r)), result)


def pending_trainings(ws: Workspace, plan: Plan,
                      pending_rows: Sequence[Row]) -> List[Tuple[str, int]]:
    """The plan's trainings still to run: not finished, and wanted by a row
    not yet evaluated or a probe not yet written (a training whose rows
    and probe were restored from results/ is not run again)."""
    wanted = {(r.method, r.seed) for r in pending_rows if r.trained}
    return [(m, s) for m, s in plan.trainings
            if not osp.exists(ws.path(train_dir(plan, m, s), 'done'))
            and ((m, s) in wanted or needs_probe(ws, plan, m, s))]


def stage_train_evaluate(ws: Workspace, plan: Plan) -> dict:
    """Train the plan's variants and evaluate its rows, ``ws.jobs`` at a
    time. The trainings go first; rows that need none (fixed ISPs, well-lit)
    take any job a training leaves free, and the rows of a trained variant
    wait for its training. Finished trainings and rows are skipped."""
    rows = [r for r in plan.rows if not osp.exists(ws.path(row_path(plan, r)))]
    trains = pending_trainings(ws, plan, rows)
    log(f'{len(plan.rows) - len(rows)} of {len(plan.rows)} rows done')
    rows.sort(key=lambda r: r.trained)  # stable
    finished = {t: threading.Event() for t in trains}

    def training(method: str, seed: int) -> None:
        try:
            train(ws, plan, method, seed)
        finally:
            finished[(method, seed)].set()

    def evaluation(i: int, r: Row) -> None:
        # submitted after every training, so the training waited for has
        # already started: no job waits on one that cannot start
        if (r.method, r.seed) in finished:
            finished[(r.method, r.seed)].wait()
        evaluate(ws, plan, r, f'row {i}/{len(rows)}')

    ws.run_all([lambda t=t: training(*t) for t in trains] +
               [lambda i=i, r=r: evaluation(i, r)
                for i, r in enumerate(rows, 1)])
    return dict(trained=[f'{m}-seed{s}' for m, s in trains],
                rows_evaluated=len(rows))


def load_rows(ws: Workspace, plan: Plan) -> List[dict]:
    """The finished rows of a plan, in plan order."""
    rows = []
    for r in plan.rows:
        if osp.exists(ws.path(row_path(plan, r))):
            with open(ws.path(row_path(plan, r))) as f:
                rows.append(json.load(f))
    return rows



# ---------------------------------------------------------------- probe
def probe_path(plan: Plan, method: str, seed: int) -> str:
    return f'{plan.work_root}/probe/{method}-seed{seed}.json'


PROBE_SEED = 0


def needs_probe(ws: Workspace, plan: Plan, method: str, seed: int) -> bool:
    """``make reproduce`` probes each trained variant's seed-0 model once."""
    return (plan.name == 'reproduce' and seed == PROBE_SEED and
            not osp.exists(ws.path(probe_path(plan, method, seed))))


def stage_probe(ws: Workspace, plan: Plan) -> None:
    """What each trained variant's global stages predict on camera A's test
    split (:mod:`.probe`), kept per variant in the work directory."""
    from ..isp.diagnostics import summarize
    from .probe import probe
    for method, s in plan.trainings:
        out = ws.path(probe_path(plan, method, s))
        if not needs_probe(ws, plan, method, s):
            continue
        log(f'probe: {method} (seed {s})')
        records = probe(ws.path(method_config(method)),
                        ws.path(best_checkpoint(ws, plan, method, s)),
                        ws.path(plan.data_root), CAMERA_A, 'test',
                        cfg_options=layout.dataloader_options(
                            plan.data_root, CAMERA_A, 'test',
                            'test_dataloader'))
        write_json(out, dict(method=method, seed=s,
                             summary=summarize(records), records=records))


def load_probes(ws: Workspace, plan: Plan) -> List[dict]:
    out = []
    for method, s in plan.trainings:
        path = ws.path(probe_path(plan, method, s))
        if osp.exists(path):
            with open(path) as f:
                data = json.load(f)
            # summaries by today's definitions where the records are kept
            # (restored probes carry their summary only)
            from ..isp.diagnostics import complete, summarize
            records = data.pop('records', None)
            data['summary'] = (summarize(records) if records else
                               complete(data['summary']))
            out.append(data)
    return out


def stage_curves(ws: Workspace, plan: Plan, method: str, seed: int = 0
                 ) -> Dict[str, List[float]]:
    """Per epoch: camera A val AP and what GlobalStagesHook logged."""
    by_key: Dict[str, Dict[int, float]] = {}
    for r in read_scalars(ws.path(train_dir(plan, method, seed))):
        for k, v in r.items():
            if k == 'coco/bbox_mAP' or k.startswith('isp/'):
                by_key.setdefault(k, {})[r['step']] = v
    return {k: [v[e] for e in sorted(v)] for k, v in by_key.items()}
