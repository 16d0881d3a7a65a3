"""From finished rows to results/: tables (mean and spread over training
seeds), the goal lines, the run records and the README blocks."""
from __future__ import annotations

import os
import os.path as osp
import resource
import statistics
from typing import Dict, List, Optional, Sequence, Tuple

from ..utils.provenance import commit_id, cpu_model
from . import figures, markdown
from .plans import CAMERA_A, CAMERA_B, CAMERA_C, FIXED, WELL_LIT, Plan
from .shell import Workspace, log, now, write_json
from .stages import load_rows, val_curve

Key = Tuple[str, str, str, str]  # method, detector, test camera, split


def key_of(r: dict) -> Key:
    return r['method'], r['detector'], r['test_camera'], r['split']


def group(rows: Sequence[dict]) -> Dict[Key, List[dict]]:
    """Rows by (method, detector, test camera, split), seeds together, in
    first-seen order."""
    out: Dict[Key, List[dict]] = {}
    for r in rows:
        out.setdefault(key_of(r), []).append(r)
    return out


def mean_std(values: Sequence[float]) -> Tuple[float, Optional[float]]:
    """Mean and sample standard deviation (None for a single value)."""
    if len(values) == 1:
        return values[0], None
    return statistics.fmean(values), statistics.stdev(values)


def cell(values: Sequence[float]) -> str:
    m, s = mean_std(values)
    return f'{m:.3f}' if s is None else f'{m:.3f} ± {s:.3f}'


def results_table(rows: Sequence[dict]) -> str:
    """One line per (method, detector, test camera, split): AP, AP50, AP75
    as mean ± std over the training seeds (one value for fixed ISPs)."""
    lines = []
    for (method, det, cam, split), rs in group(rows).items():
        seeds = len(rs) if rs[0].get('seed') is not None else '-'
        note = '' if split == 'test' else f' ({split})'
        lines.append([method, det, rs[0]['train_camera'] or '-',
                      f'{cam}{note}', seeds] +
                     [cell([r[k] for r in rs]) for k in ('AP', 'AP50',
                                                         'AP75')])
    return markdown.table(['method', 'detector', 'train camera',
                           'test camera', 'seeds', 'AP', 'AP50', 'AP75'],
                          lines)


class Lookup:
    """Mean AP (and its spread) of grouped rows by method, detector,
    camera and split."""

    def __init__(self, rows: Sequence[dict]):
        self.groups = group(rows)

    def values(self, method: str, det: str = 'RetinaNet',
               camera: str = CAMERA_A, split: str = 'test') -> List[float]:
        cam = 'srgb' if method == WELL_LIT else camera
        return [r['AP'] for r in self.groups.get((method, det, cam, split),
                                                 [])]

    def ap(self, *args, **kwargs) -> Optional[float]:
        v = self.values(*args, **kwargs)
        return mean_std(v)[0] if v else None

    def best_fixed(self, *args, **kwargs) -> Optional[float]:
        found = [a for a in (self.ap(m, *args, **kwargs) for m in FIXED)
                 if a is not None]
        return max(found) if found else None


def goals(rows: Sequence[dict]) -> List[str]:
    """The study's goals, as measured (never tuned for)."""
    q = Lookup(rows)
    out = []
    well, gen, rawpy = q.ap(WELL_LIT), q.ap('genisp'), q.ap('rawpy_isp')
    fixed = q.best_fixed()
    if well and rawpy is not None:
        out.append(f'LibRaw default keeps {rawpy / well:.0%} of the well-lit '
                   f'AP (difficulty rule: at most 60%)')
    if well and gen is not None:
        out.append(f'GenISP reaches {gen / well:.0%} of the well-lit AP '
                   '(goal: at least 85%)')
    if gen is not None and fixed is not None:
        out.append(f'GenISP - best fixed ISP: {100 * (gen - fixed):+.1f}'
                   ' AP points (goal: at least +5)')
    for split in ('test', 'test-photonsA'):
        for cam in (CAMERA_B, CAMERA_C):
            g = q.ap('genisp', camera=cam, split=split)
            if g is None or gen is None:
                continue
            where = cam if split == 'test' else (
                f'{cam} with camera A\'s photons per pixel ({split})')
            msg = (f'unseen camera {where}: GenISP {100 * (g - gen):+.1f} '
                   'AP points against camera A (goal: no worse than -2)')
            f = q.best_fixed(camera=cam, split=split)
            if f is not None:
                msg += (f'; GenISP - best fixed ISP on {cam} '
                        f'{100 * (g - f):+.1f}')
            out.append(msg)
    for det in ('FCOS', 'Faster R-CNN'):
        g, f = q.ap('genisp', det), q.best_fixed(det)
        if g is not None and f is not None:
            out.append(f'unseen detector {det}: GenISP - best fixed ISP '
                       f'{100 * (g - f):+.1f} AP points (goal: > 0)')
    return out


def curve_text(curve: Sequence[float]) -> str:
    return ' -> '.join(f'{a:.3f}' for a in curve)


def peak_child_rss_gb() -> float:
    """Largest peak resident memory of any finished child process (the
    training or testing run, its dataloader workers counted separately),
    in GB."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1e6


def run_info(ws: Workspace, minutes: float) -> dict:
    """Time, memory and provenance of a study run."""
    return dict(minutes=round(minutes, 1),
                peak_process_rss_gb=round(peak_child_rss_gb(), 2),
                cpu=cpu_model(), cores=os.cpu_count(),
                commit=commit_id(ws.root), date=now())


def record_run(ws: Workspace, plan: Plan, results_dir: str, did: dict,
               minutes: float) -> dict:
    """Keep what this invocation ran and how long it took in
    ``<work_root>/invocations.jsonl`` (stages an earlier invocation
    finished are skipped, not timed again) and write
    ``results/<plan>_run.json`` with every invocation and their sum."""
    import json
    info = dict(run_info(ws, minutes), **did, sizes=plan.sizes,
                epochs=plan.epochs)
    history = ws.path(plan.work_root, 'invocations.jsonl')
    os.makedirs(osp.dirname(history), exist_ok=True)
    with open(history, 'a') as f:
        f.write(json.dumps(info) + '\n')
    with open(history) as f:
        invocations = [json.loads(line) for line in f if line.strip()]
    record = dict(minutes=round(sum(i['minutes'] for i in invocations), 1),
                  invocations=invocations)
    write_json(ws.path(results_dir, f'{plan.name}_run.json'), record)
    return record


def measured_line(record: dict, command: str, link: str) -> str:
    """The first line of a README block: what ran, where and how long."""
    runs = record['invocations']
    last = runs[-1]
    took = (f'{record["minutes"]} minutes' if len(runs) == 1 else
            f'{len(runs)} invocations, ' +
            ' + '.join(str(r['minutes']) for r in runs) +
            f' = {record["minutes"]} minutes')
    return (f'Measured by `{command}` (commit {last["commit"]}, '
            f'{last["date"][:10]}, {last["cores"]} cores, {last["cpu"]}): '
            f'{took}, largest process peak RSS '
            f'{max(r["peak_process_rss_gb"] for r in runs)} GB ([{link}]'
            f'({link}) says which stages each ran).')


def report_lines(ws: Workspace, plan: Plan, rows: Sequence[dict]) -> List[str]:
    lines = goals(rows)
    for method, seed in plan.trainings:
        curve = val_curve(ws, plan, method, seed)
        if curve:
            lines.append(f'{method} (seed {seed}): camera A val AP by epoch ' +
                         curve_text(curve))
    return lines


def stage_report(ws: Workspace, plan: Plan, results_dir: str,
                 readme_block: Optional[str] = None,
                 command: Optional[str] = None,
                 extra_lines: Sequence[str] = ()) -> str:
    """Write ``<results_dir>/<name>.json``/``.md``, the figures, and (with
    ``readme_block``) the README block of that name, headed by the run
    record of ``command``; returns the Markdown."""
    rows = load_rows(ws, plan)
    main = [r for r in rows if r.get('axis') in (None, 'photons')]
    sweeps = [r for r in rows if r.get('axis') in ('exposure', 'ambient')]
    table = results_table(main)
    lines = report_lines(ws, plan, rows) + list(extra_lines)
    out = ws.path(results_dir)
    os.makedirs(out, exist_ok=True)
    name = plan.results_name
    write_json(f'{out}/{name}.json', main)
    rel = osp.relpath(out, ws.root)
    figure_md = [f'![examples]({rel}/{name}_examples.png)']
    if sweeps:
        write_json(f'{out}/light_sweeps.json', sweeps)
        figures.light_sweeps(sweeps, Lookup(main).ap(WELL_LIT),
                             f'{out}/light_sweeps.png')
        figure_md.append(f'![AP against light]({rel}/light_sweeps.png) '
                         f'([{rel}/light_sweeps.json]'
                         f'({rel}/light_sweeps.json))')
    figures.examples(ws, plan, f'{out}/{name}_examples.png')
    text = (table + '\n\n' + '\n'.join(f'- {g}' for g in lines) + '\n\n' +
            '\n\n'.join(figure_md))
    with open(f'{out}/{name}.md', 'w') as f:
        f.write(text + '\n')
    if readme_block:
        run_json = f'{out}/{plan.name}_run.json'
        head = ''
        if osp.exists(run_json):
            import json
            with open(run_json) as f:
                head = measured_line(
                    json.load(f), command or f'make {plan.name}',
                    f'{rel}/{plan.name}_run.json') + '\n\n'
        markdown.splice(ws.path('README.md'), readme_block, head + text)
        log(f'README.md block {readme_block} updated')
    print('\n' + text + '\n')
    return text
