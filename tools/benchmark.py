r"""Speed and memory of genisp-mmdet on this machine, as ratios
(genisp_mmdet.study.benchmark; the figures and goals are listed there).

Examples::

    # everything, written where the README and docs/benchmark.md read it
    python tools/benchmark.py --json results/benchmark.json \
        --update-doc README.md --update-doc docs/benchmark.md

    # the same figures at reduced sizes, in under two minutes on 2 cores
    python tools/benchmark.py --quick --json /tmp/benchmark_quick.json

    # ISP and detector figures on a GPU (fp32, then mixed precision)
    python tools/benchmark.py --device cuda --det-batch 8 --json gpu.json
    python tools/benchmark.py --device cuda --det-batch 8 --amp --json amp.json

    # measure nothing: the report of a results file
    python tools/benchmark.py --render results/benchmark.json
"""
import argparse
import json
import os
import os.path as osp
import shlex
import sys
import tempfile
from dataclasses import replace

from genisp_mmdet.study import Workspace
from genisp_mmdet.study import benchmark as bench
from genisp_mmdet.study.markdown import markers, splice
from genisp_mmdet.study.shell import log, write_json


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog=__doc__.split('\n', 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--quick', action='store_true',
                   help='reduced sizes and repetitions (under 2 minutes on '
                   '2 cores); demo memory from a short train + test')
    p.add_argument('--json', metavar='OUT', help='write the results here')
    p.add_argument('--device', default='cpu', choices=['cpu', 'cuda'],
                   help='device of the ISP and detector figures (training '
                   'runs use what tools/train.py picks)')
    p.add_argument('--amp', action='store_true',
                   help='mixed precision for the detector step (cuda only; '
                   'the ISP stays fp32)')
    p.add_argument('--det-batch', type=int,
                   help='batch of the R50-FPN detector step (default 2)')
    p.add_argument('--det-size', type=int, nargs=2, metavar=('H', 'W'),
                   help='input size of the R50-FPN detector step (default '
                   '800 1333; --quick 400 667)')
    p.add_argument('--work-dir', help='keep generated data and runs here '
                   '(default: a temporary folder, removed at the end)')
    p.add_argument('--render', metavar='JSON',
                   help='measure nothing: print the Markdown report of a '
                   'results file')
    p.add_argument('--update-doc', metavar='MD', action='append', default=[],
                   help='also write the report into the "benchmark" block of '
                   'this file (repeatable)')
    args = p.parse_args(argv)
    if args.amp and args.device != 'cuda':
        p.error('--amp needs --device cuda')
    return args


def main(argv=None, settings=None) -> dict:
    args = parse_args(argv)
    if args.render:
        with open(args.render) as f:
            result = json.load(f)
    else:
        s = settings or bench.SETTINGS['quick' if args.quick else 'full']
        if args.det_batch or args.det_size:  # the paper-scale detector
            config, h, w, n = s.det_runs[0]
            h, w = args.det_size or (h, w)
            s = replace(s, det_runs=((config, h, w, args.det_batch or n),
                                     *s.det_runs[1:]))
        if args.device == 'cuda':
            import torch
            if not torch.cuda.is_available():
                sys.exit('--device cuda: no CUDA device is available')
        command = shlex.join(['python', 'tools/benchmark.py'] +
                             list(sys.argv[1:] if argv is None else argv))
        out_json = osp.abspath(args.json) if args.json else None
        ws = Workspace()
        with tempfile.TemporaryDirectory(prefix='genisp-benchmark-') as tmp:
            work = osp.abspath(args.work_dir) if args.work_dir else tmp
            os.makedirs(work, exist_ok=True)
            os.chdir(ws.root)  # configs name files from the repository
            result = bench.run_benchmark(ws, s, work, args.device, args.amp,
                                         command)
        print(bench.goals_table(result))
        if out_json:
            write_json(out_json, result)
            log(f'wrote {args.json}')
    report = bench.markdown_report(result)
    if args.render:
        print(report)
    for doc in args.update_doc:
        splice(doc, 'benchmark', report)
        with open(doc) as f:
            has_missed = markers('benchmark-missed')[0] in f.read()
        if has_missed:
            splice(doc, 'benchmark-missed', bench.missed_goals(result))
        log(f'updated {doc}')
    return result


if __name__ == '__main__':
    main()
