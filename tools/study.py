"""The study on the embedded synthetic benchmark.

    python tools/study.py demo        # make demo: small data, short training,
                                      # GenISP vs raw_naive vs rawpy_isp
    python tools/study.py reproduce   # make reproduce: the whole study,
                                      # regenerates results/
    python tools/study.py pretrain    # make pretrain: retrain the shipped
                                      # detectors on the well-lit scenes
    python tools/study.py long        # make reproduce-long: GenISP with its
                                      # config's 12-epoch schedule
    python tools/study.py report      # rebuild results/ from finished rows

Every stage is a command of this repository (tools/make_synthetic_raw.py,
tools/train.py, tools/test.py) run in a subprocess, with its log under the
work directory. Finished stages are skipped, so an interrupted run continues
where it stopped (training itself resumes from its last checkpoint). Every
result row records the command that produced it, the commit and the date.
"""
import argparse
import datetime
import glob
import hashlib
import json
import os
import os.path as osp
import shlex
import subprocess
import sys
import threading
import time
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)
from genisp_mmdet.utils.provenance import commit_id, cpu_model  # noqa: E402
PY = sys.executable
CAMERA_A, CAMERA_B, CAMERA_C = 'SonyRX100M7', 'NikonD750', 'Canon5DIVGRBG'
DETECTORS = ('retinanet', 'fcos', 'faster-rcnn')
DETECTOR_NAMES = dict(retinanet='RetinaNet', fcos='FCOS',
                      **{'faster-rcnn': 'Faster R-CNN'})
# Configs of the methods; {det} is the detector.
METHOD_CONFIGS = {
    'genisp': 'configs/genisp_{det}_raw.py',
    'genisp_no_wb': 'configs/ablations/genisp-no-wb_{det}_raw.py',
    'genisp_no_cc': 'configs/ablations/genisp-no-cc_{det}_raw.py',
    'genisp_no_enhance': 'configs/ablations/genisp-no-enhance_{det}_raw.py',
    'genisp_no_cst': 'configs/ablations/genisp-no-cst_{det}_raw.py',
    'raw_naive': 'configs/baselines/raw-naive_{det}_raw.py',
    'rawpy_isp': 'configs/baselines/rawpy-isp_{det}_raw.py',
    'classic_isp': 'configs/baselines/classic-isp_{det}_raw.py',
    'well_lit_srgb': 'configs/baselines/well-lit_{det}_srgb.py',
}
TRAINED = ('genisp', 'genisp_no_wb', 'genisp_no_cc', 'genisp_no_enhance',
           'genisp_no_cst')
FIXED = ('raw_naive', 'rawpy_isp', 'classic_isp')
README_START = '<!-- synthetic-benchmark:start -->'
README_END = '<!-- synthetic-benchmark:end -->'
DETECTORS_START = '<!-- shipped-detectors:start -->'
DETECTORS_END = '<!-- shipped-detectors:end -->'
DEMO_START = '<!-- demo-output:start -->'
DEMO_END = '<!-- demo-output:end -->'


@dataclass
class Plan:
    """What one study run generates, trains and evaluates."""
    name: str
    data_root: str
    work_root: str
    counts: Dict[str, int]
    cameras: List[str]
    train: List[str]
    epochs: int
    milestones: List[int]
    rows: List[dict] = field(default_factory=list)
    exposures: List[float] = field(default_factory=list)
    # cameras whose test scenes are also captured with camera A's photons
    # per pixel (split ``test-photonsA``)
    equal_photons: List[str] = field(default_factory=list)


def log(msg: str) -> None:
    print(f'[{datetime.datetime.now():%H:%M:%S}] {msg}', flush=True)


# How many training or evaluation commands run at once (--jobs); each gets
# an equal share of the cores as its torch threads.
JOBS = 1


def run(cmd: List[str], log_path: str) -> None:
    """Run a command of this repository, its output to ``log_path``."""
    os.makedirs(osp.dirname(log_path), exist_ok=True)
    start = time.time()
    log(f'$ {shlex.join(cmd)}')
    env = dict(os.environ)
    if JOBS > 1:
        env['OMP_NUM_THREADS'] = str(max(1, (os.cpu_count() or 1) // JOBS))
    with open(log_path, 'w') as f:
        proc = subprocess.run(cmd, cwd=REPO, stdout=f, env=env,
                              stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        with open(log_path) as f:
            tail = f.read()[-4000:]
        sys.exit(f'{tail}\nfailed ({proc.returncode}): {shlex.join(cmd)}\n'
                 f'full log: {log_path}')
    log(f'  done in {time.time() - start:.0f} s (log: '
        f'{osp.relpath(log_path, REPO)})')


def shown(cmd: List[str]) -> str:
    """A command as results record it: ``python`` and repository-relative
    paths instead of this machine's."""
    return shlex.join(['python'] + [
        osp.relpath(c, REPO) if c.startswith(REPO) else c for c in cmd[1:]])


def run_all(tasks: List[Callable[[], object]]) -> List[object]:
    """Call the tasks in order, ``JOBS`` at a time, and return their
    results; the first failure stops the study: the tasks already running
    finish, the others do not start."""
    if JOBS <= 1:
        return [t() for t in tasks]
    pool = ThreadPoolExecutor(JOBS)
    futures = [pool.submit(t) for t in tasks]
    wait(futures, return_when=FIRST_EXCEPTION)
    pool.shutdown(wait=True, cancel_futures=True)
    for f in futures:
        if not f.cancelled() and f.exception() is not None:
            raise f.exception()
    return [f.result() for f in futures]


def cfg_options(options: Dict[str, object]) -> List[str]:
    if not options:
        return []
    return ['--cfg-options'] + [f'{k}={v}' for k, v in options.items()]


def data_options(root: str, camera: str, split: str, prefix: str,
                 evaluator: Optional[str] = None,
                 srgb: bool = False) -> Dict[str, str]:
    """Point one dataloader (``prefix``) and its evaluator at a split."""
    suffix = '_srgb' if srgb else ''
    ann = f'annotations/{camera}/{camera}_{split}{suffix}.json'
    images = f'{camera}/{"srgb" if srgb else "raw"}_images/'
    opts = {
        f'{prefix}.dataset.data_root': root,
        f'{prefix}.dataset.ann_file': ann,
        f'{prefix}.dataset.data_prefix.img': images,
    }
    if evaluator:
        opts[f'{evaluator}.ann_file'] = osp.join(root, ann)
    return opts


# ----------------------------------------------------------------- data
def stage_data(plan: Plan) -> None:
    gen = [PY, 'tools/make_synthetic_raw.py', '--out', plan.data_root]
    for split, n in plan.counts.items():
        last = f'{plan.data_root}/annotations/{plan.cameras[-1]}/' \
               f'{plan.cameras[-1]}_{split}.json'
        if osp.exists(last):
            continue
        run(gen + ['--split', split, '--num-images', str(n), '--camera'] +
            plan.cameras, f'{plan.work_root}/logs/data_{split}.log')
    for cam, tag, (lo, hi) in extra_test_sets(plan):
        if osp.exists(f'{plan.data_root}/annotations/{cam}/'
                      f'{cam}_test-{tag}.json'):
            continue
        run(gen + ['--split', 'test', '--num-images',
                   str(plan.counts['test']), '--camera', cam, '--exposure',
                   f'{lo:.6g}', f'{hi:.6g}', '--tag', tag],
            f'{plan.work_root}/logs/data_test-{tag}_{cam}.log')


PHOTONS_TAG = 'photonsA'
EQUAL_PHOTONS = f'test-{PHOTONS_TAG}'


def extra_test_sets(plan: Plan):
    """The test scenes again under other capture settings, as (camera,
    tag, exposure range): camera A at each fixed exposure of the sweep, and
    cameras B and C with camera A's photons per pixel."""
    for e in plan.exposures:
        yield CAMERA_A, f'e{e:g}', (e, e)
    for cam in plan.equal_photons:
        yield cam, PHOTONS_TAG, equal_photon_exposure(cam)


def equal_photon_exposure(camera: str):
    """The night exposure range scaled so that ``camera``'s pixels collect
    as many photons as camera A's: by the ratio of pixel areas (shot noise
    per unit of signal then matches camera A's; read noise stays the
    sensor's own). Same scenes and draws as the test split."""
    from genisp_mmdet.synthetic import CAMERAS, NIGHT
    ratio = (CAMERAS[CAMERA_A].pixel_um / CAMERAS[camera].pixel_um)**2
    return tuple(e * ratio for e in NIGHT.exposure)


# ---------------------------------------------------------------- train
def train_dir(plan: Plan, method: str) -> str:
    return f'{plan.work_root}/train/{method}'


def best_checkpoint(plan: Plan, method: str) -> str:
    found = sorted(glob.glob(f'{train_dir(plan, method)}/best_*.pth'))
    if not found:
        raise FileNotFoundError(f'no best checkpoint of {method} in '
                                f'{train_dir(plan, method)}')
    return found[-1]


def train_options(plan: Plan) -> Dict[str, object]:
    opts = {}
    opts.update(data_options(plan.data_root, CAMERA_A, 'train',
                             'train_dataloader'))
    # model selection on camera A's val split only
    opts.update(data_options(plan.data_root, CAMERA_A, 'val',
                             'val_dataloader', 'val_evaluator'))
    opts['train_cfg.max_epochs'] = plan.epochs
    opts['train_cfg.val_interval'] = 1
    opts['param_scheduler.1.milestones'] = '[' + ','.join(
        map(str, plan.milestones)) + ']'
    return opts


def train_command(plan: Plan, method: str) -> List[str]:
    config = METHOD_CONFIGS[method].format(det='retinanet')
    return [PY, 'tools/train.py', config, '--work-dir',
            train_dir(plan, method), '--resume'] + cfg_options(
                train_options(plan))


def train(plan: Plan, method: str) -> None:
    run(train_command(plan, method),
        f'{plan.work_root}/logs/train_{method}.log')
    best_checkpoint(plan, method)
    open(f'{train_dir(plan, method)}/done', 'w').close()


def val_curve(plan: Plan, method: str) -> List[float]:
    """Camera A val AP after each epoch of a training run (from mmengine's
    scalars.json, over every resumed run of the work directory)."""
    by_epoch = {}
    for path in sorted(glob.glob(
            f'{train_dir(plan, method)}/*/vis_data/scalars.json')):
        with open(path) as f:
            for line in f:
                rec = json.loads(line)
                if 'coco/bbox_mAP' in rec:
                    by_epoch[rec['step']] = rec['coco/bbox_mAP']
    return [by_epoch[k] for k in sorted(by_epoch)]


# ------------------------------------------------------------- evaluate
def row(method: str, detector: str, test_camera: str, split: str = 'test',
        exposure: Optional[float] = None) -> dict:
    trained = method in TRAINED
    return dict(
        id=f'{method}__{detector}__{test_camera}__{split}',
        method=method,
        detector=DETECTOR_NAMES[detector],
        det=detector,
        train_camera=CAMERA_A if trained else None,
        test_camera='srgb' if method == 'well_lit_srgb' else test_camera,
        split=split,
        exposure=exposure)


def row_command(plan: Plan, r: dict, out_json: str) -> List[str]:
    method, det = r['method'], r['det']
    config = METHOD_CONFIGS[method].format(det=det)
    ckpt = []
    opts = {}
    if method in TRAINED:
        if det == 'retinanet':
            ckpt = [best_checkpoint(plan, method)]
        else:  # unseen detector: its own weights, the ISP from RetinaNet's
            config = METHOD_CONFIGS['genisp'].format(det=det)
            opts['model.data_preprocessor.isp_checkpoint'] = best_checkpoint(
                plan, method)
    camera = CAMERA_A if method == 'well_lit_srgb' else r['test_camera']
    opts.update(data_options(plan.data_root, camera, r['split'],
                             'test_dataloader', 'test_evaluator',
                             srgb=method == 'well_lit_srgb'))
    return [PY, 'tools/test.py', config] + ckpt + [
        '--work-dir', f'{plan.work_root}/eval/{r["id"]}', '--metrics-json',
        out_json
    ] + cfg_options(opts)


def row_path(plan: Plan, r: dict) -> str:
    return f'{plan.work_root}/rows/{r["id"]}.json'


def evaluate(plan: Plan, r: dict, label: str) -> None:
    """Run one row through tools/test.py and write its result."""
    metrics_json = f'{plan.work_root}/eval/{r["id"]}/metrics.json'
    cmd = row_command(plan, r, metrics_json)
    log(f'{label}: {r["id"]}')
    run(cmd, f'{plan.work_root}/logs/eval_{r["id"]}.log')
    with open(metrics_json) as f:
        m = json.load(f)
    result = {k: r[k] for k in ('method', 'detector', 'train_camera',
                                'test_camera')}
    result.update(
        AP=round(m['coco/bbox_mAP'], 4),
        AP50=round(m['coco/bbox_mAP_50'], 4),
        AP75=round(m['coco/bbox_mAP_75'], 4),
        split=r['split'],
        exposure=r['exposure'],
        command=shown(cmd),
        commit=commit_id(REPO),
        date=datetime.datetime.now().isoformat(timespec='seconds'))
    os.makedirs(osp.dirname(row_path(plan, r)), exist_ok=True)
    with open(row_path(plan, r) + '.tmp', 'w') as f:
        json.dump(result, f, indent=2)
    os.replace(row_path(plan, r) + '.tmp', row_path(plan, r))


def stage_train_evaluate(plan: Plan) -> dict:
    """Train the plan's variants and evaluate its rows, ``JOBS`` at a time.
    The trainings go first; rows that need none (fixed ISPs, well-lit) take
    any job a training leaves free, and the rows of a trained variant wait
    for its training. Finished trainings and rows are skipped."""
    trains = [m for m in plan.train
              if not osp.exists(f'{train_dir(plan, m)}/done')]
    rows = [r for r in plan.rows if not osp.exists(row_path(plan, r))]
    log(f'{len(plan.rows) - len(rows)} of {len(plan.rows)} rows done')
    rows.sort(key=lambda r: r['method'] in TRAINED)  # stable
    finished = {m: threading.Event() for m in trains}

    def training(method: str) -> None:
        try:
            train(plan, method)
        finally:
            finished[method].set()

    def evaluation(i: int, r: dict) -> None:
        # submitted after every training, so the training waited for has
        # already started: no job waits on one that cannot start
        if r['method'] in finished:
            finished[r['method']].wait()
        evaluate(plan, r, f'row {i}/{len(rows)}')

    run_all([lambda m=m: training(m) for m in trains] +
            [lambda i=i, r=r: evaluation(i, r)
             for i, r in enumerate(rows, 1)])
    return dict(trained=trains, rows_evaluated=len(rows))


def load_rows(plan: Plan) -> List[dict]:
    rows = []
    for r in plan.rows:
        if osp.exists(row_path(plan, r)):
            with open(row_path(plan, r)) as f:
                rows.append(json.load(f))
    return rows


# --------------------------------------------------------------- report
def markdown_table(rows: List[dict]) -> str:
    lines = [
        '| method | detector | train camera | test camera | AP | AP50 | AP75 |',
        '|---|---|---|---|---|---|---|'
    ]
    for r in rows:
        lines.append(
            f"| {r['method']} | {r['detector']} | {r['train_camera'] or '-'} "
            f"| {r['test_camera']}{split_note(r)} | {r['AP']:.3f} "
            f"| {r['AP50']:.3f} "
            f"| {r['AP75']:.3f} |")
    return '\n'.join(lines)


def split_note(r: dict) -> str:
    split = r.get('split', 'test')
    return '' if split == 'test' else f' ({split})'


def find(rows, method, detector='RetinaNet', camera=CAMERA_A, split='test'):
    for r in rows:
        if (r['method'], r['detector']) == (method, detector) and (
                r['test_camera'] in (camera, 'srgb')) and r.get(
                    'split', 'test') == split:
            return r['AP']
    return None


def goals(rows: List[dict]) -> List[str]:
    """The study's goals, as measured (never tuned for)."""
    out = []
    well = find(rows, 'well_lit_srgb')
    gen = find(rows, 'genisp')
    fixed = [a for a in (find(rows, m) for m in FIXED) if a is not None]
    rawpy = find(rows, 'rawpy_isp')
    if well and rawpy is not None:
        out.append(f'LibRaw default keeps {rawpy / well:.0%} of the well-lit '
                   f'AP (difficulty rule: at most 60%)')
    if well and gen is not None:
        out.append(f'GenISP reaches {gen / well:.0%} of the well-lit AP '
                   '(goal: at least 85%)')
    if gen is not None and fixed:
        out.append(f'GenISP - best fixed ISP: {100 * (gen - max(fixed)):+.1f}'
                   ' AP points (goal: at least +5)')
    n0 = find(rows, 'genisp_no_cst')
    for split in ('test', EQUAL_PHOTONS):
        for cam in (CAMERA_B, CAMERA_C):
            g = find(rows, 'genisp', camera=cam, split=split)
            if g is None or gen is None:
                continue
            where = cam if split == 'test' else (
                f'{cam} with camera A\'s photons per pixel ({split})')
            msg = (f'unseen camera {where}: GenISP {100 * (g - gen):+.1f} '
                   'AP points against camera A')
            if split == 'test':
                msg += ' (goal: no worse than -2)'
            n = find(rows, 'genisp_no_cst', camera=cam, split=split)
            if n is not None and n0 is not None:
                msg += f'; genisp_no_cst {100 * (n - n0):+.1f}'
            f = [a for a in (find(rows, m, camera=cam, split=split)
                             for m in FIXED) if a is not None]
            if f:  # the cameras differ in photons: compare on the camera too
                msg += (f'; GenISP - best fixed ISP on {cam} '
                        f'{100 * (g - max(f)):+.1f}')
            out.append(msg)
    for det in ('FCOS', 'Faster R-CNN'):
        g = find(rows, 'genisp', det)
        f = [a for a in (find(rows, m, det) for m in FIXED) if a is not None]
        if g is not None and f:
            out.append(f'unseen detector {det}: GenISP - best fixed ISP '
                       f'{100 * (g - max(f)):+.1f} AP points (goal: > 0)')
    return out


def update_readme(table: str, start: str = README_START,
                  end: str = README_END) -> None:
    """Replace what README.md holds between the markers ``start`` and
    ``end``."""
    path = osp.join(REPO, 'README.md')
    with open(path) as f:
        text = f.read()
    if start not in text or end not in text:
        log(f'README.md has no {start} marker; nothing inserted')
        return
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    with open(path, 'w') as f:
        f.write(f'{head}{start}\n{table}\n{end}{tail}')


def peak_child_rss_gb() -> float:
    """Largest peak resident memory of any finished child process (the
    training or testing run, with its dataloader workers counted
    separately), in GB."""
    import resource
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1e6


def run_info(minutes: float) -> dict:
    """Time, memory and provenance of a study run."""
    return dict(minutes=round(minutes, 1),
                peak_process_rss_gb=round(peak_child_rss_gb(), 2),
                cpu=cpu_model(), cores=os.cpu_count(),
                commit=commit_id(REPO),
                date=datetime.datetime.now().isoformat(timespec='seconds'))


def publish_demo(plan: Plan, minutes: float) -> None:
    """Put a finished demo's table, time and memory in README.md and its
    figure in results/ (``tools/study.py demo --update-readme``)."""
    import shutil
    with open(f'{plan.work_root}/demo.md') as f:
        table = f.read().strip()
    os.makedirs(osp.join(REPO, 'results'), exist_ok=True)
    shutil.copy(f'{plan.work_root}/demo_examples.png',
                osp.join(REPO, 'results', 'demo_examples.png'))
    info = run_info(minutes)
    with open(osp.join(REPO, 'results', 'demo_run.json'), 'w') as f:
        json.dump(info, f, indent=2)
    update_readme(
        f'Measured by `python tools/study.py demo --update-readme` '
        f'(commit {info["commit"]}, {info["date"][:10]}, {info["cores"]} '
        f'cores, {info["cpu"]}): {info["minutes"]} minutes from data '
        f'generation to the figure, largest process peak RSS '
        f'{info["peak_process_rss_gb"]} GB '
        '([results/demo_run.json](results/demo_run.json)).\n\n' + table +
        '\n\n![demo](results/demo_examples.png)', DEMO_START, DEMO_END)
    log('README.md demo section and results/demo_examples.png updated')


def record_run(plan: Plan, results_dir: str, did: dict,
               minutes: float) -> None:
    """What each invocation of ``reproduce`` that built this work directory
    ran and how long it took (stages an earlier invocation finished are
    skipped, not timed again): kept in ``<work_root>/invocations.jsonl``
    and written to ``results/reproduce_run.json`` with their sum."""
    info = dict(run_info(minutes), **did, counts=plan.counts,
                epochs=plan.epochs)
    history = f'{plan.work_root}/invocations.jsonl'
    with open(history, 'a') as f:
        f.write(json.dumps(info) + '\n')
    with open(history) as f:
        invocations = [json.loads(line) for line in f if line.strip()]
    record = dict(minutes=round(sum(i['minutes'] for i in invocations), 1),
                  invocations=invocations)
    path = f'{results_dir}/{plan.name}_run.json'
    with open(path, 'w') as f:
        json.dump(record, f, indent=2)
    log(f'wrote {osp.relpath(path, REPO)}')


def figure_examples(plan: Plan, out_path: str, indices=(3, 11, 27)) -> None:
    """A few test images as LibRaw default, classic ISP, GenISP output and
    well-lit reference, with RetinaNet's detections drawn by mmdet."""
    import cv2
    import numpy as np
    from genisp_mmdet.apis import IspDetector, draw_detections

    columns = [
        ('LibRaw default (rawpy_isp)', METHOD_CONFIGS['rawpy_isp'], None,
         'raw'),
        ('classic ISP', METHOD_CONFIGS['classic_isp'], None, 'raw'),
        ('GenISP', METHOD_CONFIGS['genisp'], best_checkpoint(plan, 'genisp'),
         'raw'),
        ('well-lit sRGB', METHOD_CONFIGS['well_lit_srgb'], None, 'srgb'),
    ]
    with open(f'{plan.data_root}/annotations/{CAMERA_A}/{CAMERA_A}_'
              'test.json') as f:
        images = json.load(f)['images']
    tiles = []
    for label, config, ckpt, kind in columns:
        det = IspDetector(
            config.format(det='retinanet'), ckpt,
            cfg_options=data_options(plan.data_root, CAMERA_A, 'test',
                                     'test_dataloader', 'test_evaluator',
                                     srgb=kind == 'srgb'))
        column = []
        for i in indices:
            info = images[i % len(images)]
            stem = osp.splitext(info['file_name'])[0]
            path = (f'{plan.data_root}/{CAMERA_A}/raw_images/{stem}.dng'
                    if kind == 'raw' else
                    f'{plan.data_root}/{CAMERA_A}/srgb_images/{stem}.png')
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
    log(f'wrote {osp.relpath(out_path, REPO)}')


def figure_exposure(rows: List[dict], well: Optional[float],
                    out_path: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4))
    for method in ('genisp', ) + FIXED:
        pts = sorted((r['exposure'], r['AP']) for r in rows
                     if r['method'] == method and r['exposure'] is not None)
        if pts:
            ax.plot(*zip(*pts), marker='o', label=method)
    if well is not None:
        ax.axhline(well, color='gray', linestyle='--', label='well_lit_srgb')
    ax.set_xscale('log')
    ax.set_xlabel('exposure (fraction of a well-exposed frame)')
    ax.set_ylabel('COCO AP (RetinaNet, camera A)')
    ax.set_title('Detection AP as light falls')
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out_path, dpi=120)
    log(f'wrote {osp.relpath(out_path, REPO)}')


def curve_text(curve: List[float]) -> str:
    return ' -> '.join(f'{a:.3f}' for a in curve)


LONG_JSON = 'genisp_long_schedule.json'


def long_line(long: dict, well: Optional[float]) -> str:
    """The reproduce report's line on the longer GenISP run."""
    share = f' = {long["AP"] / well:.0%} of the well-lit AP' if well else ''
    return (f'genisp with its config\'s schedule ({long["epochs"]} epochs, '
            f'x0.1 after epochs {", ".join(map(str, long["milestones"]))}; '
            f'`make reproduce-long`, {long["run"]["minutes"]} min): test AP '
            f'{long["AP"]:.3f}{share}; camera A val AP by epoch ' +
            curve_text(long['val_curve']))


def report_long(plan: Plan, results_dir: str, did: dict,
                minutes: float) -> None:
    """Write the longer GenISP run's row, validation curve and commands to
    ``results/genisp_long_schedule.json``; then, where ``make reproduce``
    has finished, rebuild its report (and the README block) with it."""
    rows = load_rows(plan)
    if not rows:
        sys.exit(f'no finished row in {plan.work_root}/rows')
    info = dict(rows[0], epochs=plan.epochs, milestones=plan.milestones,
                val_curve=val_curve(plan, 'genisp'),
                train_command=shown(train_command(plan, 'genisp')),
                run=dict(run_info(minutes), **did))
    os.makedirs(results_dir, exist_ok=True)
    with open(f'{results_dir}/{LONG_JSON}', 'w') as f:
        json.dump(info, f, indent=2)
    log(f'wrote {osp.relpath(results_dir, REPO)}/{LONG_JSON}')
    study = reproduce_plan()
    if len(load_rows(study)) == len(study.rows):
        stage_report(study, results_dir, readme=True)
    else:
        log('make reproduce has not finished: run `python tools/study.py '
            'report` after it to put this run in its report')


def report_name(plan: Plan) -> str:
    return 'synthetic_benchmark' if plan.name == 'reproduce' else 'demo'


def readme_block(plan: Plan, results_dir: str, table: str,
                 lines: List[str]) -> str:
    rel = osp.relpath(results_dir, REPO)
    name = report_name(plan)
    head = ''
    run_json = f'{results_dir}/{plan.name}_run.json'
    if osp.exists(run_json):
        with open(run_json) as f:
            record = json.load(f)
        runs = record['invocations']
        last = runs[-1]
        took = (f'{record["minutes"]} minutes' if len(runs) == 1 else
                f'{len(runs)} invocations, ' + ' + '.join(
                    str(r['minutes']) for r in runs) +
                f' = {record["minutes"]} minutes')
        head = (f'Measured by `make reproduce` (commit {last["commit"]}, '
                f'{last["date"][:10]}, {last["cores"]} cores, '
                f'{last["cpu"]}): {took} '
                f'([{rel}/{plan.name}_run.json]({rel}/{plan.name}_run.json) '
                'says which stages each ran).\n\n')
    figures = (f'\n\n![examples]({rel}/{name}_examples.png)\n\n'
               f'![AP against exposure]({rel}/ap_vs_exposure.png) '
               f'([{rel}/ap_vs_exposure.json]({rel}/ap_vs_exposure.json))')
    return (head + table + '\n\n' + '\n'.join(f'- {g}' for g in lines) +
            figures)


def stage_report(plan: Plan, results_dir: str, readme: bool) -> None:
    rows = load_rows(plan)
    main = [r for r in rows if r['exposure'] is None]
    exposure = [r for r in rows if r['exposure'] is not None]
    table = markdown_table(main)
    lines = goals(main)
    for method in plan.train:
        curve = val_curve(plan, method)
        if curve:
            lines.append(f'{method}: camera A val AP by epoch ' +
                         curve_text(curve))
    if plan.name == 'reproduce' and osp.exists(f'{results_dir}/{LONG_JSON}'):
        with open(f'{results_dir}/{LONG_JSON}') as f:
            lines.append(long_line(json.load(f), find(main, 'well_lit_srgb')))
    os.makedirs(results_dir, exist_ok=True)
    name = report_name(plan)
    with open(f'{results_dir}/{name}.json', 'w') as f:
        json.dump(main, f, indent=2)
    if exposure:
        with open(f'{results_dir}/ap_vs_exposure.json', 'w') as f:
            json.dump(exposure, f, indent=2)
        figure_exposure(exposure, find(main, 'well_lit_srgb'),
                        f'{results_dir}/ap_vs_exposure.png')
    with open(f'{results_dir}/{name}.md', 'w') as f:
        f.write(table + '\n\n' + '\n'.join(f'- {g}' for g in lines) + '\n')
    figure_examples(plan, f'{results_dir}/{name}_examples.png')
    if readme:
        update_readme(readme_block(plan, results_dir, table, lines))
    print('\n' + table + '\n')
    for g in lines:
        print(f'- {g}')
    print(f'\nresults: {osp.relpath(results_dir, REPO)}/{name}.json, '
          f'{name}.md, {name}_examples.png')


# ---------------------------------------------------------------- plans
def demo_plan() -> Plan:
    plan = Plan(
        name='demo',
        data_root='data/synthetic_demo',
        work_root='work_dirs/demo',
        counts=dict(train=160, val=40, test=100),
        cameras=[CAMERA_A],
        train=['genisp'],
        epochs=3,
        milestones=[3])
    plan.rows = [row(m, 'retinanet', CAMERA_A)
                 for m in ('well_lit_srgb', 'raw_naive', 'rawpy_isp',
                           'genisp')]
    return plan


def reproduce_plan() -> Plan:
    plan = Plan(
        name='reproduce',
        data_root='data/synthetic',
        work_root='work_dirs/study',
        counts=dict(train=500, val=100, test=250),
        cameras=[CAMERA_A, CAMERA_B, CAMERA_C],
        train=list(TRAINED),
        epochs=4,
        milestones=[3],
        exposures=[0.03, 0.1, 0.2, 0.35, 0.5, 1.0],
        equal_photons=[CAMERA_B, CAMERA_C])
    rows = [row('well_lit_srgb', d, 'srgb') for d in DETECTORS]
    for cam in plan.cameras:
        rows += [row(m, 'retinanet', cam) for m in FIXED + ('genisp',
                                                           'genisp_no_cst')]
    rows += [row(m, 'retinanet', CAMERA_A)
             for m in ('genisp_no_wb', 'genisp_no_cc', 'genisp_no_enhance')]
    for det in ('fcos', 'faster-rcnn'):
        rows += [row(m, det, CAMERA_A) for m in FIXED + ('genisp', )]
    for cam in plan.equal_photons:
        rows += [row(m, 'retinanet', cam, EQUAL_PHOTONS)
                 for m in FIXED + ('genisp', 'genisp_no_cst')]
    for e in plan.exposures:
        rows += [row(m, 'retinanet', CAMERA_A, f'test-e{e:g}', e)
                 for m in FIXED + ('genisp', )]
    plan.rows = rows
    return plan


def long_plan() -> Plan:
    """GenISP alone with its config's own schedule, on the study's data:
    how far training length takes it (longer than ``make reproduce``'s 2
    hours allow for five variants)."""
    from mmengine.config import Config
    cfg = Config.fromfile(
        osp.join(REPO, METHOD_CONFIGS['genisp'].format(det='retinanet')),
        import_custom_modules=False)
    plan = reproduce_plan()  # same data root, counts and cameras
    plan.name = 'long'
    plan.work_root = 'work_dirs/study_long'
    plan.train = ['genisp']
    plan.epochs = cfg.train_cfg.max_epochs
    plan.milestones = list(cfg.param_scheduler[1].milestones)
    plan.exposures = []
    plan.equal_photons = []
    plan.rows = [row('genisp', 'retinanet', CAMERA_A)]
    return plan


# ------------------------------------------------------------- pretrain
PRETRAIN_CONFIG = 'configs/detectors/{det}_r18-slim_fpn_synthetic-srgb.py'
SHIPPED = 'checkpoints/{det}_r18-slim_fpn_synthetic-srgb.pth'


def export_detector(src: str, dst: str, config: str) -> Optional[int]:
    """Weights only, fp16, with the classes: the shipped checkpoint.
    Returns the epoch it was saved at."""
    import torch

    from genisp_mmdet.utils import load_checkpoint_safely
    ckpt = load_checkpoint_safely(src)
    state = {k: (v.half() if v.is_floating_point() else v)
             for k, v in ckpt['state_dict'].items()}
    meta = dict(dataset_meta=ckpt['meta'].get('dataset_meta'),
                config=config, epoch=ckpt['meta'].get('epoch'))
    os.makedirs(osp.dirname(dst), exist_ok=True)
    torch.save({'state_dict': state, 'meta': meta}, dst)
    return meta['epoch']


def pretrain_options(epochs: Optional[int]) -> Dict[str, object]:
    """A shorter (or longer) cosine schedule than the config's."""
    if not epochs:
        return {}
    return {
        'train_cfg.max_epochs': epochs,
        'train_cfg.val_interval': min(2, epochs),
    }


def stage_pretrain(detectors, epochs: Optional[int] = None) -> None:
    work = 'work_dirs/pretrain'
    if not osp.exists('data/synthetic/annotations/srgb_pretrain_val.json'):
        run([PY, 'tools/make_synthetic_raw.py', '--out', 'data/synthetic',
             '--split', 'srgb_pretrain', '--num-images', '3600'],
            f'{work}/logs/data.log')
    manifest_path = osp.join(REPO, 'checkpoints', 'manifest.json')
    manifest = {}
    if osp.exists(manifest_path):
        with open(manifest_path) as f:
            manifest = json.load(f)
    for det in detectors:
        config = PRETRAIN_CONFIG.format(det=det)
        work_dir = f'{work}/{det}'
        train_cmd = [PY, 'tools/train.py', config, '--work-dir', work_dir,
                     '--resume'] + cfg_options(pretrain_options(epochs))
        run(train_cmd, f'{work}/logs/train_{det}.log')
        with open(f'{work_dir}/last_checkpoint') as f:
            last = f.read().strip()
        dst = SHIPPED.format(det=det)
        epoch = export_detector(last, dst, config)
        metrics = f'{work_dir}/shipped_metrics.json'
        cmd = [PY, 'tools/test.py', config, dst, '--work-dir', work_dir,
               '--metrics-json', metrics]
        run(cmd, f'{work}/logs/test_{det}.log')
        with open(metrics) as f:
            m = json.load(f)
        with open(dst, 'rb') as f:
            sha = hashlib.sha256(f.read()).hexdigest()
        manifest[osp.basename(dst)] = dict(
            config=config,
            sha256=sha,
            size_bytes=osp.getsize(dst),
            well_lit_val_AP=round(m['coco/bbox_mAP'], 4),
            well_lit_val_AP50=round(m['coco/bbox_mAP_50'], 4),
            evaluated_on='data/synthetic/annotations/srgb_pretrain_val.json',
            epochs=epoch,
            train_command=shown(train_cmd),
            command=shown(cmd),
            commit=commit_id(REPO),
            date=datetime.datetime.now().isoformat(timespec='seconds'))
        with open(manifest_path, 'w') as f:
            json.dump(manifest, f, indent=2)
        log(f'{dst}: well-lit val AP {m["coco/bbox_mAP"]:.3f}')
    update_readme(detectors_table(), DETECTORS_START, DETECTORS_END)


def detectors_table() -> str:
    """The shipped detectors, from checkpoints/manifest.json."""
    with open(osp.join(REPO, 'checkpoints', 'manifest.json')) as f:
        manifest = json.load(f)
    lines = [
        '| checkpoint | pretraining config | epochs | size | well-lit val '
        'AP | AP50 | sha256 |', '|---|---|---|---|---|---|---|'
    ]
    for name, info in sorted(manifest.items()):
        lines.append(
            f"| [`{name}`](checkpoints/{name}) | `{info['config']}` | "
            f"{info.get('epochs', '?')} | "
            f"{info['size_bytes'] / 2**20:.1f} MB | "
            f"{info['well_lit_val_AP']:.3f} | "
            f"{info['well_lit_val_AP50']:.3f} | `{info['sha256'][:12]}` |")
    return '\n'.join(lines)


def verify_checkpoints() -> None:
    """The shipped detector checkpoints exist and match the manifest."""
    with open(osp.join(REPO, 'checkpoints', 'manifest.json')) as f:
        manifest = json.load(f)
    for name, info in manifest.items():
        path = osp.join(REPO, 'checkpoints', name)
        with open(path, 'rb') as f:
            sha = hashlib.sha256(f.read()).hexdigest()
        if sha != info['sha256']:
            sys.exit(f'{path}: sha256 {sha} does not match the manifest '
                     f'({info["sha256"]}); run `make pretrain` or restore it')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('command',
                        choices=['demo', 'reproduce', 'long', 'pretrain',
                                 'report'])
    parser.add_argument('--detectors', nargs='+', default=list(DETECTORS),
                        help='pretrain: which detectors')
    parser.add_argument('--num-images', nargs=3, type=int,
                        metavar=('TRAIN', 'VAL', 'TEST'),
                        help='demo/reproduce: images per RAW split instead '
                        'of the plan\'s (use a new --work-root)')
    parser.add_argument('--epochs', type=int,
                        help='demo/reproduce: GenISP training epochs; '
                        'pretrain: detector epochs (default: the config\'s)')
    parser.add_argument(
        '--jobs', type=int, default=1,
        help='demo/reproduce: training and evaluation commands run at once, '
        'the cores shared between them (2 on 2 cores hides start-up time)')
    parser.add_argument('--data-root', help='where the data is generated')
    parser.add_argument('--work-root', help='where runs and rows go')
    parser.add_argument(
        '--update-readme', action='store_true',
        help='demo: also put its table, time and memory in README.md and '
        'its figure in results/ (reproduce always updates both)')
    args = parser.parse_args()
    os.chdir(REPO)
    global JOBS
    JOBS = args.jobs
    start = time.time()
    if args.command == 'pretrain':
        stage_pretrain(args.detectors, args.epochs)
    else:
        verify_checkpoints()
        plan = dict(demo=demo_plan, long=long_plan).get(
            args.command, reproduce_plan)()
        if args.num_images:
            plan.counts = dict(zip(('train', 'val', 'test'), args.num_images))
        if args.epochs:
            plan.epochs = args.epochs
            plan.milestones = [m for m in plan.milestones if m < args.epochs
                               ] or [args.epochs]
        plan.data_root = args.data_root or plan.data_root
        plan.work_root = args.work_root or plan.work_root
        did = {}
        if args.command != 'report':
            t = time.time()
            stage_data(plan)
            did['data_minutes'] = round((time.time() - t) / 60, 1)
            t = time.time()
            did.update(stage_train_evaluate(plan))
            did['train_evaluate_minutes'] = round((time.time() - t) / 60, 1)
        results = 'results' if plan.name != 'demo' else plan.work_root
        if args.command == 'long':
            report_long(plan, results, did, (time.time() - start) / 60)
        else:
            if args.command == 'reproduce':
                record_run(plan, results, did, (time.time() - start) / 60)
            stage_report(plan, results, readme=plan.name == 'reproduce')
        if plan.name == 'demo' and args.update_readme:
            publish_demo(plan, (time.time() - start) / 60)
    log(f'{args.command} finished in {(time.time() - start) / 60:.1f} min')


if __name__ == '__main__':
    main()
