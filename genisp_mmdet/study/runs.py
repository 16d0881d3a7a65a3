"""What each study command does, from its plan to results/ and README.md
(``tools/study.py`` is the command line over these)."""
from __future__ import annotations

import json
import os.path as osp
import time
from typing import Optional

from . import plans
from .plans import Plan
from .pretrain import verify_checkpoints
from . import markdown
from .report import (append_invocations, curve_text, global_stages_table,
                     key_of, noise_free_lines, record_run,
                     rows_with_machines, run_info, same_machine_lines,
                     stage_report, write_run_record)
from .shell import Workspace, log, write_json
from .stages import (curve_path, load_probes, load_rows, probe_path,
                     row_path, stage_data, stage_probe, stage_train_evaluate,
                     train_command, val_curve)

LONG_JSON = 'genisp_long_schedule.json'
# The runs beside the study whose rows (results/<name>.json, with their run
# record results/<name>_run.json) join its report, and their lines.
SIDE_RUNS = dict(same_machine=same_machine_lines,
                 noise_free=noise_free_lines)
CURVES_JSON = 'val_curves.json'
README_BLOCKS = dict(demo='demo-output', reproduce='synthetic-benchmark')


def execute(ws: Workspace, plan: Plan) -> dict:
    """Generate, train and evaluate what the plan lists and is not done
    yet; returns what ran and the minutes of each part."""
    verify_checkpoints(ws)
    did = {}
    t = time.time()
    stage_data(ws, plan)
    did['data_minutes'] = round((time.time() - t) / 60, 1)
    t = time.time()
    did.update(stage_train_evaluate(ws, plan))
    did['train_evaluate_minutes'] = round((time.time() - t) / 60, 1)
    if plan.name == 'reproduce':
        t = time.time()
        stage_probe(ws, plan)
        did['probe_minutes'] = round((time.time() - t) / 60, 1)
    return did


def long_line(long: dict, well: Optional[float]) -> str:
    """The reproduce report's line on the longer GenISP run."""
    share = f' = {long["AP"] / well:.0%} of the well-lit AP' if well else ''
    return (f'genisp with its config\'s schedule ({long["epochs"]} epochs, '
            f'x0.1 after epochs {", ".join(map(str, long["milestones"]))}; '
            f'`make reproduce-long`, {long["run"]["minutes"]} min): test AP '
            f'{long["AP"]:.3f}{share}; camera A val AP by epoch ' +
            curve_text(long['val_curve']))


ALL_SEEDS = (0, 1, 2)


def reproduce_report(ws: Workspace, results_dir: str = 'results',
                     seeds=ALL_SEEDS, command: Optional[str] = None) -> None:
    """Rebuild results/ and the README blocks of ``make reproduce`` from
    its finished rows, over every seed that has finished (with the longer
    run's line where it has finished); says how many of the study's rows
    (seed 0) have finished when the study ran in pieces."""
    from .report import Lookup
    plan = plans.reproduce_plan(sorted(set(seeds) | set(ALL_SEEDS)))
    extra = []
    one_seed = plans.reproduce_plan()
    done = len(load_rows(ws, one_seed))
    if done < len(one_seed.rows):
        extra.append(f'{done} of the {len(one_seed.rows)} rows of `make '
                     'reproduce` have finished; the others are not in this '
                     'table (the study runs in pieces: `python '
                     'tools/study.py reproduce --methods/--splits/--cameras/'
                     '--detectors`)')
    write_run_record(ws, plan, results_dir)
    curves = [dict(method=m, seed=s, val_AP_by_epoch=val_curve(ws, plan, m, s))
              for m, s in plan.trainings]
    write_json(ws.path(results_dir, CURVES_JSON),
               [c for c in curves if c['val_AP_by_epoch']])
    long_json = ws.path(results_dir, LONG_JSON)
    if osp.exists(long_json):
        with open(long_json) as f:
            long = json.load(f)
        well = Lookup(load_rows(ws, plan)).ap(plans.WELL_LIT)
        extra.append(long_line(long, well))
    for name, lines in SIDE_RUNS.items():
        side = [ws.path(results_dir, f'{name}{s}.json') for s in ('', '_run')]
        if all(osp.exists(p) for p in side):
            with open(side[0]) as f, open(side[1]) as g:
                extra += lines(json.load(f), json.load(g),
                               rows_with_machines(ws, plan))
    stage_report(ws, plan, results_dir, README_BLOCKS['reproduce'],
                 command=command, extra_lines=extra)
    probes = load_probes(ws, plan)
    if probes:
        write_json(ws.path(results_dir, 'global_stages.json'), probes)
        markdown.splice(ws.path('README.md'), 'global-stages',
                        global_stages_table(probes))


def reproduce(ws: Workspace, plan: Plan, results_dir: str = 'results',
              command: Optional[str] = None) -> None:
    """``make reproduce`` (or a piece of it: a plan from
    :meth:`Plan.only`, its ``command`` kept in the run record)."""
    start = time.time()
    did = execute(ws, plan)
    did['rows_planned'] = len(plan.rows)
    if command:
        did['command'] = command
    record_run(ws, plan, results_dir, did, (time.time() - start) / 60)
    reproduce_report(ws, results_dir, plan.seeds())


def demo(ws: Workspace, plan: Plan, update_readme: bool = False,
         command: str = 'python tools/study.py demo --update-readme') -> None:
    """``make demo``: the report in the work directory; with
    ``update_readme`` in results/ instead, with its run record, and its
    block of README.md."""
    start = time.time()
    did = execute(ws, plan)
    if not update_readme:
        stage_report(ws, plan, plan.work_root)
        return
    minutes = (time.time() - start) / 60
    write_json(ws.path('results', 'demo_run.json'),
               dict(minutes=round(minutes, 1),
                    invocations=[dict(run_info(ws, minutes), **did)]))
    stage_report(ws, plan, 'results', README_BLOCKS['demo'],
                 command=command)


def long(ws: Workspace, plan: Plan, results_dir: str = 'results') -> None:
    """``make reproduce-long``: its row, validation curve and commands in
    results/genisp_long_schedule.json; then, where ``make reproduce`` has
    finished, its report again with this run's line."""
    start = time.time()
    did = execute(ws, plan)
    rows = load_rows(ws, plan)
    info = dict(rows[0], epochs=plan.epochs, milestones=plan.milestones,
                val_curve=val_curve(ws, plan, 'genisp'),
                train_command=ws.shown(train_command(ws, plan, 'genisp', 0)),
                run=dict(run_info(ws, (time.time() - start) / 60), **did))
    write_json(ws.path(results_dir, LONG_JSON), info)
    log(f'wrote {results_dir}/{LONG_JSON}')
    study = plans.reproduce_plan()
    if len(load_rows(ws, study)) == len(study.rows):
        reproduce_report(ws, results_dir)
    else:
        log('make reproduce has not finished: run `python tools/study.py '
            'report` after it to put this run in its report')


def side_run(ws: Workspace, plan: Plan, results_dir: str = 'results',
             command: Optional[str] = None) -> None:
    """A run beside the study, in a work directory of its own, on this
    machine: ``python tools/study.py same-machine --methods ...`` (the
    default and the named variants trained and evaluated side by side,
    :func:`.plans.same_machine_plan`) or ``python tools/study.py
    noise-free`` (the exposure sweep with and without the sensor's noise,
    :func:`.plans.noise_free_plan`). Its rows, with the CPU each model
    trained on, go to ``results/<plan>.json`` and its run record beside
    them; then, where ``make reproduce`` has finished, its report is
    rebuilt with this run's lines (:data:`SIDE_RUNS`)."""
    start = time.time()
    did = execute(ws, plan)
    if command:
        did['command'] = command
    record_run(ws, plan, results_dir, did, (time.time() - start) / 60)
    write_json(ws.path(results_dir, f'{plan.name}.json'),
               rows_with_machines(ws, plan))
    log(f'wrote {results_dir}/{plan.name}.json')
    study = plans.reproduce_plan()
    if len(load_rows(ws, study)) == len(study.rows):
        reproduce_report(ws, results_dir)


def restore(ws: Workspace, results_dir: str = 'results') -> dict:
    """Put the committed study back into an empty work directory: its rows,
    the global-stage probes, the validation curves and the invocation
    record, from results/ (what is already in the work directory is kept).
    A piece of the study run afterwards on this machine then joins the
    committed rows in the report; trained checkpoints are not restored, so
    the examples figure is kept as it is."""
    plan = plans.reproduce_plan(ALL_SEEDS)
    by_key = {(r.method, r.detector, r.test_camera, r.test.split, r.seed): r
              for r in plan.rows}
    written = dict(rows=0, probes=0, curves=0, invocations=0)

    def put(path, data, kind):
        if not osp.exists(ws.path(path)):
            write_json(ws.path(path), data)
            written[kind] += 1

    def read(name):
        path = ws.path(results_dir, name)
        if not osp.exists(path):
            return None
        with open(path) as f:
            return json.load(f)

    for name in (f'{plan.results_name}.json', 'light_sweeps.json'):
        for row in read(name) or []:
            key = key_of(row) + (row['seed'], )
            if key not in by_key:
                raise ValueError(f'{results_dir}/{name}: a row the study '
                                 f'does not plan: {key}')
            put(row_path(plan, by_key[key]), row, 'rows')
    for p in read('global_stages.json') or []:
        put(probe_path(plan, p['method'], p['seed']), p, 'probes')
    for c in read(CURVES_JSON) or []:
        put(curve_path(plan, c['method'], c['seed']), c['val_AP_by_epoch'],
            'curves')
    record = read(f'{plan.name}_run.json')
    if record and not osp.exists(ws.path(plan.work_root,
                                         'invocations.jsonl')):
        append_invocations(ws, plan, record['invocations'])
        written['invocations'] = len(record['invocations'])
    log('restored from ' + results_dir + ': ' +
        ', '.join(f'{v} {k}' for k, v in written.items()))
    return written
