"""Generate the synthetic low-light RAW benchmark (see docs/synthetic_data.md).

Example::

    python tools/make_synthetic_raw.py --out data/synthetic \
        --split srgb_pretrain --num-images 3600 --seed 0
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from genisp_mmdet.synthetic import SceneConfig, generate_pretrain  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--out', required=True, help='output root folder')
    p.add_argument('--split', nargs='+', default=['srgb_pretrain'],
                   choices=['srgb_pretrain'])
    p.add_argument('--num-images', type=int, required=True)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--width', type=int, default=640)
    p.add_argument('--height', type=int, default=480)
    p.add_argument('--workers', type=int, default=2)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = SceneConfig(width=args.width, height=args.height)
    for path in generate_pretrain(args.out, args.num_images, args.seed, cfg,
                                  args.workers).values():
        print(path)


if __name__ == '__main__':
    main()
