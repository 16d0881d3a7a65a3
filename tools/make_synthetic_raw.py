r"""Generate the synthetic low-light RAW benchmark (docs/synthetic_data.md).

Examples::

    # everything the study uses (pretraining scenes + RAW train/val/test
    # for every camera), default 'night' capture settings
    python tools/make_synthetic_raw.py --out data/synthetic --preset study

    # well-lit scenes for detector pretraining only
    python tools/make_synthetic_raw.py --out data/synthetic \
        --split srgb_pretrain --num-images 3600 --seed 0

    # the test scenes again with 10 times fewer photons (everything dims)
    python tools/make_synthetic_raw.py --out data/synthetic --split test \
        --num-images 250 --exposure 0.1 0.1 --tag exposure0.1

    # the test scenes again with darker surroundings, lamps as bright
    python tools/make_synthetic_raw.py --out data/synthetic --split test \
        --num-images 250 --ambient 0.05 0.05 --tag ambient0.05

    # a COCO-format sRGB data set through one camera
    python tools/make_synthetic_raw.py --out data/mycoco_raw --split val \
        --source instances_val.json --image-root images/ --camera NikonD750
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from genisp_mmdet.synthetic import (CAMERAS, NIGHT, PRETRAIN,  # noqa: E402
                                    SPLIT_SIZES, SPLITS, CaptureRanges,
                                    SceneConfig, generate_pretrain,
                                    generate_raw_split, load_coco_source)


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog=__doc__.split('\n', 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--list-cameras', action='store_true',
                   help='print the cameras, one per line (name first), and '
                   'exit')
    p.add_argument('--out', help='output root folder')
    p.add_argument('--preset', choices=sorted(SPLIT_SIZES),
                   help='image counts for every split: ' + '; '.join(
                       f'{k}: ' + ', '.join(f'{s} {n}' for s, n in v.items())
                       for k, v in SPLIT_SIZES.items()))
    p.add_argument('--split', nargs='+', choices=SPLITS,
                   help='splits to write (default: all four)')
    p.add_argument('--num-images', type=int,
                   help='images per split (RAW splits: per camera); '
                   'overrides the preset')
    p.add_argument('--camera', nargs='+', default=list(CAMERAS),
                   help='cameras of the RAW splits (default: all)')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--width', type=int, default=640,
                   help='full-resolution width of procedural scenes')
    p.add_argument('--height', type=int, default=480)
    p.add_argument('--exposure', type=float, nargs=2, metavar=('MIN', 'MAX'),
                   default=NIGHT.exposure,
                   help="the camera's light relative to a well-exposed "
                   'frame, for everything in the scene, light sources '
                   'included; log-uniform (default %(default)s)')
    p.add_argument('--ambient', type=float, nargs=2, metavar=('MIN', 'MAX'),
                   default=NIGHT.ambient,
                   help="the scene's light on everything but its light "
                   'sources (lamps, lit windows), relative to them; '
                   'log-uniform (default %(default)s)')
    p.add_argument('--iso', type=float, nargs=2, metavar=('MIN', 'MAX'),
                   default=NIGHT.iso,
                   help='ISO, log-uniform (default %(default)s)')
    p.add_argument('--temperature', type=float, nargs=2,
                   metavar=('MIN', 'MAX'), default=NIGHT.temperature,
                   help='colour temperature of the light in K, uniform in '
                   'mired (default %(default)s)')
    p.add_argument('--no-noise', action='store_true',
                   help='noise-free captures')
    p.add_argument('--tag', default='',
                   help='name variant of a RAW split: files and annotations '
                   'use <split>-<tag>, scenes and draws stay those of '
                   '<split>')
    p.add_argument('--source', metavar='COCO_JSON',
                   help='use a COCO-format sRGB data set instead of '
                   'procedural scenes (RAW splits only)')
    p.add_argument('--image-root', help='image folder of --source')
    p.add_argument('--workers', type=int, default=2)
    p.add_argument('--no-progress', action='store_true')
    args = p.parse_args(argv)
    if args.list_cameras:
        return args
    if not args.out:
        p.error('--out is required')
    if not args.preset and not args.num_images and not args.source:
        p.error('give --preset, --num-images or --source')
    if args.source and not args.image_root:
        p.error('--source needs --image-root')
    if args.source and (not args.split or len(args.split) != 1
                        or args.split[0] == PRETRAIN):
        p.error('--source needs exactly one RAW --split (train, val, test)')
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.list_cameras:
        for cam in CAMERAS.values():
            print(f'{cam.name}\t{cam.pattern}\t{cam.description}')
        return
    splits = args.split or list(SPLITS)
    counts = dict(SPLIT_SIZES[args.preset]) if args.preset else {}
    if args.num_images:
        counts.update({s: args.num_images for s in splits})
    scene_cfg = SceneConfig(width=args.width, height=args.height)
    ranges = CaptureRanges(exposure=tuple(args.exposure),
                           ambient=tuple(args.ambient),
                           iso=tuple(args.iso),
                           temperature=tuple(args.temperature),
                           noise=not args.no_noise)
    source = (load_coco_source(args.source, args.image_root)
              if args.source else None)
    common = dict(seed=args.seed, scene_cfg=scene_cfg, workers=args.workers,
                  progress=not args.no_progress)
    for split in splits:
        if split == PRETRAIN:
            paths = generate_pretrain(args.out, counts[split], **common)
        else:
            paths = generate_raw_split(args.out, split, counts.get(split),
                                       args.camera, ranges=ranges,
                                       tag=args.tag, source=source, **common)
        for path in paths.values():
            print(path)


if __name__ == '__main__':
    main()
