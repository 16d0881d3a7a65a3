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
from .plans import (CAMERA_A, CAMERA_D, FIXED, MAIN, NOISE_FREE_EXPOSURES,
                    UNSEEN_CAMERAS, VARIANTS, WELL_LIT, Plan, variant_sets)
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


def trained_on(invocations: Sequence[dict]) -> Dict[Tuple[str, int], str]:
    """The CPU each training ran on, by ``(method, seed)``, from a run
    record's invocations (what each trained, and where): the last that
    trained it, since a finished training is never run again unless its
    work was removed, and then the later run replaced it. (Only finished
    invocations are recorded: a training interrupted and resumed counts
    where it finished.)"""
    out: Dict[Tuple[str, int], str] = {}
    for inv in invocations:
        for name in inv.get('trained', []):
            method, seed = name.rsplit('-seed', 1)
            out[(method, int(seed))] = inv['cpu']
    return out


def with_machines(rows: Sequence[dict],
                  invocations: Sequence[dict]) -> List[dict]:
    """The rows, each trained one whose training the record names with
    ``trained_on``: the CPU its model trained on."""
    where = trained_on(invocations)
    return [dict(r, trained_on=where[(r['method'], r['seed'])])
            if (r['method'], r.get('seed')) in where else r for r in rows]


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

    @staticmethod
    def _key(method: str, det: str = 'RetinaNet', camera: str = CAMERA_A,
             split: str = 'test') -> Key:
        return method, det, 'srgb' if method == WELL_LIT else camera, split

    def rows(self, *args, **kwargs) -> List[dict]:
        """The rows of a method (``det``, ``camera``, ``split`` as
        :class:`Key`; the well-lit rows on their sRGB scenes), one per
        seed."""
        return self.groups.get(self._key(*args, **kwargs), [])

    def values(self, *args, **kwargs) -> List[float]:
        """The APs of :meth:`rows`."""
        return [r['AP'] for r in self.rows(*args, **kwargs)]

    def by_seed(self, *args, **kwargs) -> Dict[Optional[int], float]:
        """AP by training seed (None for a fixed ISP); arguments as
        :meth:`values`."""
        return {r.get('seed'): r['AP']
                for r in self.groups.get(self._key(*args, **kwargs), [])}

    def ap(self, *args, **kwargs) -> Optional[float]:
        v = self.values(*args, **kwargs)
        return mean_std(v)[0] if v else None

    def best_fixed(self, *args, **kwargs) -> Optional[float]:
        found = [a for a in (self.ap(m, *args, **kwargs) for m in FIXED)
                 if a is not None]
        return max(found) if found else None


def difference(a: Sequence[float], b: Sequence[float],
               b_fixed: bool = False, note: str = '') -> str:
    """``mean(a) - mean(b)`` in AP points, and whether it is a finding: a
    difference is established only when it exceeds twice the larger of the
    two spreads over training seeds. Both sides are trained variants unless
    ``b_fixed`` (a fixed ISP: one value, no spread); a trained side with a
    single seed has no spread to compare with, and nothing is established
    until it has one. ``note`` is added to the verdict."""
    ma, sa = mean_std(a)
    mb, sb = mean_std(b)
    d = 100 * (ma - mb)
    spreads = [100 * x for x in (sa, sb) if x is not None]
    if sa is None or (sb is None and not b_fixed):
        return f'{d:+.1f} (one seed: not established{note})'
    bound = 2 * max(spreads)
    verdict = 'established' if abs(d) > bound else 'not established'
    return (f'{d:+.1f} ({verdict}: twice the larger spread is {bound:.1f}'
            f'{note})')


def short_cpu(cpu: str) -> str:
    """'Intel(R) Xeon(R) Processor' -> 'Intel Xeon'."""
    return ' '.join(w for w in cpu.replace('(R)', '').split()
                    if w != 'Processor')


def kinds_of(rows: Sequence[dict]) -> str:
    """The kinds of CPU the rows' models trained on, for a line."""
    return ' + '.join(sorted({short_cpu(r.get('trained_on') or 'unrecorded')
                              for r in rows}))


def compare(a: Sequence[dict], b: Sequence[dict]) -> str:
    """:func:`difference` of two trained variants' rows, like with like:
    the same recipe trained on two kinds of CPU can differ by more than
    its spread over seeds, so where the models of either side trained on
    more than one kind (``trained_on``, :func:`with_machines`) only the
    seeds of the kind both sides have most of are compared, and where
    they share no kind nothing is established."""
    kinds_a = {r.get('trained_on') for r in a}
    kinds_b = {r.get('trained_on') for r in b}
    ap = lambda rows: [r['AP'] for r in rows]  # noqa: E731
    if len(kinds_a | kinds_b) <= 1:
        return difference(ap(a), ap(b))
    shared = kinds_a & kinds_b - {None}
    if not shared:
        d = 100 * (mean_std(ap(a))[0] - mean_std(ap(b))[0])
        return (f'{d:+.1f} (not established: trained on different kinds of '
                f'CPU, {kinds_of(a)} / {kinds_of(b)})')

    def on(rows, kind):
        return [r for r in rows if r.get('trained_on') == kind]

    kind = max(sorted(shared), key=lambda k: min(len(on(a, k)), len(on(b, k))))
    ra, rb = on(a, kind), on(b, kind)
    return difference(ap(ra), ap(rb), note=(
        f'; the seeds trained on {short_cpu(kind)} only, {len(ra)} and '
        f'{len(rb)}'))


def ap_ratio(q: 'Lookup', method: str, lo_split: str,
             hi_split: str) -> Optional[str]:
    """A method's mean AP on camera A's ``lo_split`` over that on
    ``hi_split``, with the ratio of each seed where there are several;
    None where either is missing (or the second is 0)."""
    lo_seeds = q.by_seed(method, split=lo_split)
    hi_seeds = q.by_seed(method, split=hi_split)
    a, b = list(lo_seeds.values()), list(hi_seeds.values())
    if not (a and b and mean_std(b)[0] > 0):
        return None
    both = [s for s in lo_seeds if s in hi_seeds and hi_seeds[s] > 0]
    per_seed = (' (per seed: ' + ', '.join(
        f'{lo_seeds[s] / hi_seeds[s]:.0%}' for s in both) + ')'
        if len(both) > 1 else '')
    return f'{mean_std(a)[0] / mean_std(b)[0]:.0%}{per_seed}'


def goals(rows: Sequence[dict], epochs: int = 4) -> List[str]:
    """The study's goals and comparisons, as measured (never tuned for);
    AP differences in points, means over training seeds."""
    q = Lookup(rows)
    out = []
    well, rawpy = q.ap(WELL_LIT), q.ap('rawpy_isp')
    if well and rawpy is not None:
        out.append(f'LibRaw default keeps {rawpy / well:.0%} of the well-lit '
                   f'AP (difficulty rule: at most 60%)')
    for m in MAIN:
        if well and q.ap(m) is not None:
            out.append(f'{m} reaches {q.ap(m) / well:.0%} of the well-lit AP '
                       f'in {epochs} epochs of training')
    for cam in (CAMERA_A, ) + UNSEEN_CAMERAS:
        f = q.best_fixed(camera=cam)
        parts = [f'{m} {difference(v, [f], True)}' + (
            f', each of its {len(v)} seeds at least {100 * (min(v) - f):+.1f}'
            if len(v) > 1 else '')
                 for m in MAIN for v in [q.values(m, camera=cam)]
                 if v and f is not None]
        if parts:
            out.append(f'best fixed ISP on {cam}, exceeded by: ' +
                       '; '.join(parts) + ' (goal: at least +5)')
    for split, what in (('test-photonsA', "with camera A's photons per "
                         'pixel (exposure scaled by the pixel areas; goal: '
                         'within 2 of camera A)'),
                        ('test', 'at the same capture settings (its larger '
                         'pixels collect more light)')):
        for cam in UNSEEN_CAMERAS:
            parts = [f'{m} {difference(q.values(m, camera=cam, split=split), q.values(m))}'
                     for m in MAIN + ('genisp_no_cst', )
                     if q.values(m, camera=cam, split=split)
                     and q.values(m)]
            if parts:
                out.append(f'{cam} {what}, against camera A: ' +
                           '; '.join(parts))
    for axis, lo, hi, goal in (('exposure', 0.1, 0.5, 0.9),
                               ('ambient', 0.1, 0.5, 0.7)):
        parts = [f'{m} {r}' for m in MAIN + FIXED for r in [ap_ratio(
            q, m, f'test-{axis}{lo:g}', f'test-{axis}{hi:g}')] if r]
        if parts:
            out.append(f'{axis} {lo:g} against {axis} {hi:g} (AP ratio; '
                       f'goal for genisp: at least {goal:.0%}): ' +
                       ', '.join(parts))
    # colour stages: what removing each costs, and the XYZ transform on
    # the colour-distant camera
    for m, stage in (('genisp_no_wb', 'ConvWB'), ('genisp_no_cc', 'ConvCC'),
                     ('genisp_no_enhance', 'the shallow ConvNet'),
                     ('genisp_no_cst', 'the XYZ transform')):
        if q.values(m) and q.values('genisp'):
            out.append(f'removing {stage} ({m}), camera A: '
                       f'{compare(q.rows(m), q.rows("genisp"))}')
    # the improvements over the paper, one at a time
    chain = ('genisp_paper', 'genisp_no_normalize', 'genisp_no_tone',
             'genisp')
    what = ('log parametrisations and the encoders\' learning rate',
            'median exposure normalisation', 'the log tone curve')
    for split in ('test', 'test-ambient0.1'):
        for before, after, name in zip(chain, chain[1:], what):
            a, b = q.rows(after, split=split), q.rows(before, split=split)
            if a and b:
                out.append(f'adding {name} ({before} -> {after}), camera A '
                           f'{split}: {compare(a, b)}')

    def loss_on_d(m):  # camera D's AP minus camera A's, seed by seed
        on_a = {r['seed']: r['AP'] for r in q.rows(m)}
        return [dict(r, AP=r['AP'] - on_a[r['seed']])
                for r in q.rows(m, camera=CAMERA_D) if r['seed'] in on_a]

    if loss_on_d('genisp') and loss_on_d('genisp_no_cst'):
        out.append(f'camera D against camera A, genisp_no_cst minus genisp '
                   f'(goal: at most -3): '
                   f'{compare(loss_on_d("genisp_no_cst"), loss_on_d("genisp"))}')
    for cam in (CAMERA_A, ) + UNSEEN_CAMERAS:
        if q.values('genisp', camera=cam) and q.values('genisp_paper',
                                                       camera=cam):
            out.append(f'genisp - genisp_paper on {cam}: ' + compare(
                q.rows('genisp', camera=cam), q.rows('genisp_paper',
                                                     camera=cam)))
    out += against_default(q, VARIANTS)  # exploratory variants
    for det in ('FCOS', 'Faster R-CNN'):
        f = q.best_fixed(det)
        parts = [f'{m} {difference(q.values(m, det), [f], True)}' for m in MAIN
                 if q.values(m, det) and f is not None]
        if parts:
            out.append(f'unseen detector {det}, best fixed ISP exceeded by: '
                       + '; '.join(parts) + ' (goal: > 0)')
    return out


def commands_of(record: dict, command: str) -> str:
    """The commands of a side run's invocations (``record``), quoted and
    joined; ``python tools/study.py <command>`` where one kept none."""
    return ', '.join(f'`{c}`' for c in sorted(
        {i.get('command', f'python tools/study.py {command}')
         for i in record['invocations']}))


def same_machine_lines(rows: Sequence[dict], record: dict,
                       study: Sequence[dict] = ()) -> List[str]:
    """The comparisons of ``python tools/study.py same-machine``
    (:func:`.plans.same_machine_plan`): each variant it trained against the
    default trained beside it, where the exploratory variants are compared
    (``rows`` with ``trained_on``; ``record`` its run record); and, where
    the study's rows (``study``) trained its default on another kind of
    CPU, how far the same recipe moved between the two kinds."""
    q = Lookup(rows)
    out = []
    theirs = Lookup(study)
    for t in variant_sets():
        a = q.rows('genisp', camera=t.camera, split=t.split)
        b = theirs.rows('genisp', camera=t.camera, split=t.split)
        if a and b and kinds_of(a) != kinds_of(b):
            out.append(
                f'genisp trained on {kinds_of(a)} (`python '
                f'tools/study.py same-machine`) minus genisp trained on '
                f'{kinds_of(b)} (the table), {t.camera} {t.split}: '
                + difference([r['AP'] for r in a], [r['AP'] for r in b]))
    where = (f'trained side by side on {kinds_of(rows)} by '
             + commands_of(record, 'same-machine'))
    return against_default(q, [m for m in dict.fromkeys(
        r['method'] for r in rows) if m != 'genisp'], f', {where}') + out


def noise_free_lines(rows: Sequence[dict], record: dict,
                     study: Sequence[dict] = ()) -> List[str]:
    """The lines of ``python tools/study.py noise-free``
    (:func:`.plans.noise_free_plan`; ``rows`` with ``trained_on``,
    ``record`` its run record): each method's AP at a lower exposure
    against exposure 0.5, with the sensor's noise and without, and what
    the noise costs at each exposure (the same models and scenes, the
    noise-free AP minus the noisy). ``study`` is unused: the control
    compares its own rows only."""
    q = Lookup(rows)
    present = dict.fromkeys(r['method'] for r in rows)
    methods = ([m for m in present if m not in FIXED] +
               [m for m in FIXED if m in present])
    trained = [r for r in rows if r.get('seed') is not None]
    where = (f'{commands_of(record, "noise-free")}; trained on '
             f'{kinds_of(trained)}') if trained else ''
    hi = NOISE_FREE_EXPOSURES[0]
    out = []
    for lo in NOISE_FREE_EXPOSURES[1:]:
        parts = []
        for m in methods:
            ratios = [ap_ratio(q, m, f'test-exposure{lo:g}{tail}',
                               f'test-exposure{hi:g}{tail}')
                      for tail in ('', '-nonoise')]
            if all(ratios):
                parts.append(f'{m} {ratios[0]} with the noise, {ratios[1]} '
                             'without')
        if parts:
            out.append(f'exposure {lo:g} against exposure {hi:g}, with the '
                       f'sensor\'s noise and without (AP ratio; {where}): '
                       + '; '.join(parts))
    for e in NOISE_FREE_EXPOSURES:
        parts = []
        for m in methods:
            clean = q.rows(m, split=f'test-exposure{e:g}-nonoise')
            noisy = q.rows(m, split=f'test-exposure{e:g}')
            if not (clean and noisy):
                continue
            if clean[0].get('seed') is None:  # a fixed ISP: one value each
                d = 100 * (clean[0]['AP'] - noisy[0]['AP'])
                parts.append(f'{m} {d:+.1f} ({clean[0]["AP"]:.3f} against '
                             f'{noisy[0]["AP"]:.3f})')
            else:
                a, b = [r['AP'] for r in clean], [r['AP'] for r in noisy]
                parts.append(f'{m} {difference(a, b)} ({cell(a)} against '
                             f'{cell(b)})')
        if parts:
            out.append(f'what the noise costs at exposure {e:g}, camera A '
                       '(noise-free minus noisy AP, the same models and '
                       'scenes): ' + '; '.join(parts))
    return out


def against_default(q: Lookup, methods: Sequence[str],
                    where: str = '') -> List[str]:
    """Each of ``methods`` minus the default GenISP on the sets where the
    exploratory variants are compared (:func:`.plans.variant_sets`)."""
    out = []
    for m in methods:
        for t in variant_sets():
            a = q.rows(m, camera=t.camera, split=t.split)
            b = q.rows('genisp', camera=t.camera, split=t.split)
            if a and b:
                out.append(f'{m} minus genisp on {t.camera} {t.split}'
                           f'{where}: {compare(a, b)}')
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
    info = dict(run_info(ws, minutes), **did, sizes=plan.sizes,
                epochs=plan.epochs)
    append_invocations(ws, plan, [info])
    return write_run_record(ws, plan, results_dir)


def append_invocations(ws: Workspace, plan: Plan,
                       invocations: Sequence[dict]) -> None:
    """Add invocations to ``<work_root>/invocations.jsonl``."""
    import json
    history = ws.path(plan.work_root, 'invocations.jsonl')
    os.makedirs(osp.dirname(history), exist_ok=True)
    with open(history, 'a') as f:
        f.writelines(json.dumps(i) + '\n' for i in invocations)


def read_invocations(ws: Workspace, plan: Plan) -> List[dict]:
    """Every invocation recorded in ``<work_root>/invocations.jsonl``."""
    import json
    history = ws.path(plan.work_root, 'invocations.jsonl')
    if not osp.exists(history):
        return []
    with open(history) as f:
        return [json.loads(line) for line in f if line.strip()]


def rows_with_machines(ws: Workspace, plan: Plan) -> List[dict]:
    """The plan's finished rows, with the CPU each model trained on."""
    return with_machines(load_rows(ws, plan), read_invocations(ws, plan))


def write_run_record(ws: Workspace, plan: Plan,
                     results_dir: str) -> Optional[dict]:
    """``results/<plan>_run.json`` from every invocation recorded in
    ``<work_root>/invocations.jsonl`` (None where none is)."""
    invocations = read_invocations(ws, plan)
    if not invocations:
        return None
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
    commands = {r.get('command', command) for r in runs}
    what = (f'`{commands.pop()}`' if len(commands) == 1 else
            f'`{command}` in {len(runs)} pieces')
    commits = sorted({r['commit'] for r in runs})
    # pieces may have run on different machines: name each kind
    machines = ' and '.join(sorted({f'{r["cores"]} cores, {r["cpu"]}'
                                    for r in runs}))
    return (f'Measured by {what} (commit{"s" if len(commits) > 1 else ""} '
            f'{", ".join(commits)}, {last["date"][:10]}, {machines}): '
            f'{took}, largest process peak RSS '
            f'{max(r["peak_process_rss_gb"] for r in runs)} GB ([{link}]'
            f'({link}) says which stages and command each ran).')


def report_lines(ws: Workspace, plan: Plan, rows: Sequence[dict]) -> List[str]:
    lines = goals(rows, plan.epochs)
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
    rows = rows_with_machines(ws, plan)
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


def global_stages_table(probes: Sequence[dict]) -> str:
    """What each trained variant's global stages predict on camera A's test
    split (:mod:`genisp_mmdet.isp.diagnostics`), one line per variant."""
    def vec(v):
        return '-' if v is None else '(' + ', '.join(f'{x:.2g}' for x in v) + ')'

    def num(v, fmt='.2f'):
        return '-' if v is None else format(v, fmt)

    rows = []
    for p in probes:
        sm = p['summary']
        rows.append([f'{p["method"]} (seed {p["seed"]})',
                     num(sm.get('saturated'), '.0%'),
                     vec(sm.get('gain_mean')), vec(sm.get('gain_log_std')),
                     num(sm.get('matrix_entry_std_max'), '.3f'),
                     num(sm.get('matrix_unit_entry_std_max'), '.4f'),
                     num(sm.get('matrix_scale_log_std'), '.3f'),
                     ('rank 1' if sm.get('matrix_mean') is not None and
                      sm.get('matrix_mean_sv_ratio') is None else
                      num(sm.get('matrix_mean_sv_ratio'), '.1f')),
                     vec(sm.get('top_input')),
                     num(sm.get('white_gain'), '.2f'),
                     num(sm.get('illuminant_correlation')),
                     num(sm.get('white_residual')),
                     vec(sm.get('gain_response_5x_darker'))])
    return markdown.table(
        ['variant', 'saturated', 'mean gains', 'log-gain spread',
         'largest CC entry spread', 'the same, scale removed',
         'CC log-scale spread', 'CC σ1/σ2',
         'input amplified most (X, Y, Z)', 'white gain',
         'corr. with the light',
         'white residual', 'gains at 5x darker / as is'], rows)
