"""Train a model from a config (mmdet's train.py, over mmengine's Runner).

    python tools/train.py configs/genisp_retinanet_raw.py
    python tools/train.py CONFIG --resume            # continue in work_dir
    python tools/train.py CONFIG --cfg-options train_cfg.max_epochs=2

Every setting lives in the config; ``--cfg-options`` overrides any of it.
"""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS
from genisp_mmdet.utils import prepare_cpu_distributed
from mmengine.runner import Runner, find_latest_checkpoint


def parse_args():
    parser = argparse.ArgumentParser(description='Train a detector or ISP')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='where to save logs and models')
    parser.add_argument(
        '--amp', action='store_true',
        help='automatic mixed precision (the ISP itself stays fp32)')
    parser.add_argument(
        '--auto-scale-lr', action='store_true',
        help='scale the learning rate by the total batch size')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from this checkpoint, or without a path from the '
        'latest checkpoint in the work directory (starting from load_from '
        'when there is none yet)')
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


def build_cfg(args) -> Config:
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'
    if args.auto_scale_lr:
        if not cfg.get('auto_scale_lr', {}).get('base_batch_size'):
            raise RuntimeError('--auto-scale-lr needs auto_scale_lr.'
                               'base_batch_size in the config')
        cfg.auto_scale_lr.enable = True
    if args.resume == 'auto':
        # mmdet's train.py drops load_from here, so a first run with
        # --resume would start from random detector weights; keep it until
        # a checkpoint of this run exists.
        latest = find_latest_checkpoint(cfg.work_dir)
        if latest:
            cfg.resume = True
            cfg.load_from = latest
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    return cfg


def main():
    args = parse_args()
    cfg = build_cfg(args)
    prepare_cpu_distributed(cfg)  # gloo without CUDA; no-op on GPUs
    runner = (Runner.from_cfg(cfg)
              if 'runner_type' not in cfg else RUNNERS.build(cfg))
    runner.train()


if __name__ == '__main__':
    main()
