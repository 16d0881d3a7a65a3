"""The study on the embedded synthetic benchmark (genisp_mmdet.study).

    python tools/study.py demo        # make demo: small data, short training,
                                      # GenISP vs raw_naive vs rawpy_isp
    python tools/study.py demo --seeds 0 1 2 --jobs 2 --update-readme
                                      # the demo's recipe over 3 seeds, in
                                      # README.md's demo block
    python tools/study.py reproduce   # make reproduce: the whole study,
                                      # one training seed, regenerates
                                      # results/
    python tools/study.py reproduce --seeds 0 1 2
                                      # make reproduce-seeds: the same
                                      # with three seeds (resumable)
    python tools/study.py long        # make reproduce-long: GenISP with its
                                      # config's 12-epoch schedule
    python tools/study.py same-machine --methods genisp_grey --seeds 0 1 2
                                      # the default and a variant trained
                                      # on this machine, compared there
    python tools/study.py noise-free --seeds 0 1 2
                                      # the exposure sweep with and
                                      # without the sensor's noise
    python tools/study.py pretrain    # make pretrain: retrain the shipped
                                      # detectors on the well-lit scenes
    python tools/study.py report      # rebuild results/ from finished rows
    python tools/study.py restore     # put results/' rows into an empty
                                      # work directory, so that a piece run
                                      # here joins them in the report

Finished stages are skipped: an interrupted run continues where it stopped,
and --methods/--splits/--cameras/--detectors run the study in pieces. Every
row records its command, commit and date.
"""
import argparse
import os
import shlex
import sys
import time

from genisp_mmdet.study import CommandFailed, Workspace, plans, runs
from genisp_mmdet.study.pretrain import ManifestMismatch, stage_pretrain
from genisp_mmdet.study.shell import log


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('command',
                   choices=['demo', 'reproduce', 'long', 'same-machine',
                            'noise-free', 'pretrain', 'report', 'restore'])
    p.add_argument('--detectors', nargs='+', default=list(plans.DETECTORS),
                   help='pretrain: which detectors; reproduce: only the rows '
                   'of these detectors')
    p.add_argument('--num-images', nargs=3, type=int,
                   metavar=('TRAIN', 'VAL', 'TEST'),
                   help="demo/reproduce: images per RAW split instead of the "
                   "plan's (use a new --work-root)")
    p.add_argument('--seeds', type=int, nargs='+', default=[0],
                   help='demo/reproduce: training seeds of every trained '
                   'variant (same data and work directory: finished seeds '
                   'are kept)')
    p.add_argument('--epochs', type=int,
                   help="demo/reproduce: GenISP training epochs; pretrain: "
                   "detector epochs (default: the config's)")
    p.add_argument('--jobs', type=int, default=1,
                   help='training and evaluation commands run at once, the '
                   'cores shared between them (2 on 2 cores hides start-up '
                   'time)')
    p.add_argument('--methods', nargs='+', metavar='METHOD',
                   help='reproduce: only the rows of these methods (and '
                   'their trainings): a piece of the study; same-machine: '
                   'the variants trained beside the default; noise-free: '
                   'the trained variants (default: genisp)')
    p.add_argument('--splits', nargs='+', metavar='SPLIT',
                   help='reproduce: only the rows on these test splits '
                   '(test, test-photonsA, test-ambient0.1, ...)')
    p.add_argument('--cameras', nargs='+', metavar='CAMERA',
                   help='reproduce: only the rows on these test cameras')
    p.add_argument('--data-root', help='where the data is generated')
    p.add_argument('--work-root', help='where runs and rows go')
    p.add_argument('--update-readme', action='store_true',
                   help='demo: write its table, time, memory and figure to '
                   'results/ and README.md (reproduce always does)')
    return p.parse_args(argv)


def make_plan(args, ws: Workspace) -> plans.Plan:
    if args.command == 'demo':
        plan = plans.demo_plan(args.seeds)
    elif args.command == 'long':
        from mmengine.config import Config
        cfg = Config.fromfile(ws.path(plans.method_config('genisp')),
                              import_custom_modules=False)
        plan = plans.long_plan(cfg.train_cfg.max_epochs,
                               cfg.param_scheduler[1].milestones)
    elif args.command == 'same-machine':
        if not args.methods:
            raise SystemExit('same-machine needs --methods: the variants to '
                             'train beside the default')
        plan = plans.same_machine_plan(args.methods, args.seeds)
    elif args.command == 'noise-free':
        plan = plans.noise_free_plan(args.methods or ['genisp'], args.seeds)
    else:
        plan = plans.reproduce_plan(args.seeds).only(
            args.methods, args.splits, args.cameras,
            None if set(args.detectors) == set(plans.DETECTORS) else
            args.detectors)
    if args.num_images:
        plan.sizes = dict(zip(('train', 'val', 'test'), args.num_images))
    if args.epochs:
        plan = plan.with_epochs(args.epochs)
    plan.data_root = args.data_root or plan.data_root
    plan.work_root = args.work_root or plan.work_root
    return plan


def main(argv=None):
    args = parse_args(argv)
    ws = Workspace(jobs=args.jobs)
    os.chdir(ws.root)  # configs name their checkpoints from the repository
    start = time.time()
    shown = ' '.join(['python tools/study.py',
                      *map(shlex.quote, argv or sys.argv[1:])])
    try:
        if args.command == 'pretrain':
            stage_pretrain(ws, args.detectors, args.epochs)
        elif args.command == 'restore':
            runs.restore(ws)
        elif args.command == 'report':
            runs.reproduce_report(ws, seeds=args.seeds)
        elif args.command == 'demo':
            runs.demo(ws, make_plan(args, ws), args.update_readme, shown)
        elif args.command == 'long':
            runs.long(ws, make_plan(args, ws))
        elif args.command in ('same-machine', 'noise-free'):
            runs.side_run(ws, make_plan(args, ws), command=shown)
        else:  # the whole study, or a piece of it (its command recorded)
            plan = make_plan(args, ws)
            full = plans.reproduce_plan(args.seeds)
            runs.reproduce(ws, plan, command=None if
                           len(plan.rows) == len(full.rows) else shown)
    except (CommandFailed, ManifestMismatch) as e:
        sys.exit(str(e))
    log(f'{args.command} finished in {(time.time() - start) / 60:.1f} min')


if __name__ == '__main__':
    main()
