"""Evaluate a checkpoint (mmdet's test.py, over mmengine's Runner).

    python tools/test.py CONFIG CHECKPOINT
    python tools/test.py CONFIG CHECKPOINT --metrics-json out.json

Prints the COCO metrics computed by pycocotools (AP, AP50, AP75, APs,
APm, APl) through mmdet's CocoMetric. ``--metrics-json`` also writes them
to a file.
"""
import argparse
import json
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS
from genisp_mmdet.utils import prepare_cpu_distributed
from mmengine.runner import Runner


def parse_args():
    parser = argparse.ArgumentParser(description='Test (and evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument(
        'checkpoint', nargs='?', default=None,
        help='checkpoint file; may be omitted for models without learned '
        'weights beyond the config\'s load_from (fixed-ISP baselines)')
    parser.add_argument('--work-dir', help='where to save logs')
    parser.add_argument(
        '--out', help='dump predictions to a pickle file (.pkl)')
    parser.add_argument(
        '--metrics-json', help='write the evaluation metrics to this file')
    parser.add_argument(
        '--show-dir', help='save images with predictions drawn, in '
        '<work_dir>/<timestamp>/<show_dir>')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, key=value (mmengine syntax)')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.checkpoint is not None:
        cfg.load_from = args.checkpoint
    if args.show_dir:
        vis_hook = cfg.default_hooks.get('visualization')
        if vis_hook is None:
            raise RuntimeError('--show-dir needs default_hooks.visualization')
        vis_hook['draw'] = True
        vis_hook['test_out_dir'] = args.show_dir
    if args.out is not None:
        if not args.out.endswith(('.pkl', '.pickle')):
            raise ValueError('--out must be a .pkl file')
        cfg.test_evaluator = [cfg.test_evaluator] if isinstance(
            cfg.test_evaluator, dict) else list(cfg.test_evaluator)
        cfg.test_evaluator.append(
            dict(type='DumpDetResults', out_file_path=args.out))
    prepare_cpu_distributed(cfg)  # gloo without CUDA; no-op on GPUs
    runner = (Runner.from_cfg(cfg)
              if 'runner_type' not in cfg else RUNNERS.build(cfg))
    metrics = runner.test()
    if args.metrics_json and runner.rank == 0:
        os.makedirs(osp.dirname(osp.abspath(args.metrics_json)), exist_ok=True)
        with open(args.metrics_json, 'w') as f:
            json.dump({k: float(v) for k, v in metrics.items()}, f, indent=2)


if __name__ == '__main__':
    main()
