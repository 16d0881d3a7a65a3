r"""Check a RAW-NOD download against its annotations; optionally fill the cache.

The cache is the decoded-array cache that training reads (docs/raw_nod.md).

Examples::

    # check: every annotated image present, readable by LibRaw, and at
    # least as large as its annotated size
    python tools/prepare_raw_nod.py --data-root data/RAW-NOD --workers 8

    # also decode every image into the cache (same keys as
    # LoadRawImageFromFile(cache_dir=...) in the configs)
    python tools/prepare_raw_nod.py --data-root data/RAW-NOD \
        --cache-dir data/RAW-NOD/cache --workers 8

    # only see which files are missing (no decoding)
    python tools/prepare_raw_nod.py --data-root data/RAW-NOD --no-decode

Image paths are resolved exactly as ``RawNODDataset`` resolves them, and
cache keys depend on the absolute path: run this from the directory you
train from, with the ``data_root`` of your config.

Exit status: 0 if every annotated image is present and decodes, 1 if not.
"""
import argparse
import glob
import json
import os
import os.path as osp
import sys
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from genisp_mmdet.raw import (RawDecodeError, load_raw_image,  # noqa: E402
                              read_raw)


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog=__doc__.split('\n', 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--data-root', default='data/RAW-NOD',
                   help='the RAW-NOD folder (default %(default)s)')
    p.add_argument('--ann-file', nargs='+',
                   help='annotation files, relative to --data-root or '
                   'absolute (default: annotations/*/raw_*.json; the '
                   'rawpy_*.json files annotate rendered JPEGs, not RAW '
                   'files)')
    p.add_argument('--cache-dir',
                   help='decode every image into this cache (the '
                   'cache_dir of LoadRawImageFromFile, mode xyz: the final '
                   'float32 image, about 60 MB per Sony file)')
    p.add_argument('--workers', type=int, default=1,
                   help='parallel decoding processes (default %(default)s)')
    p.add_argument('--no-decode', action='store_true',
                   help='only check that the files exist')
    p.add_argument('--report',
                   help='write every finding (missing, unreadable, size '
                   'mismatches) to this JSON file')
    p.add_argument('--max-list', type=int, default=50,
                   help='names printed per finding (default %(default)s)')
    p.add_argument('--no-progress', action='store_true')
    return p.parse_args(argv)


def find_ann_files(data_root, given=None):
    if given:
        return [f if osp.isabs(f) else osp.join(data_root, f) for f in given]
    return sorted(glob.glob(osp.join(data_root, 'annotations', '*',
                                     'raw_*.json')))


def annotated_images(data_root, ann_files):
    """``{img_path: (width, height)}`` over all files, and each file's
    annotation summary (also logged); paths as :class:`RawNODDataset`
    builds them."""
    from mmengine.registry import init_default_scope

    from genisp_mmdet.datasets import RawNODDataset
    init_default_scope('mmdet')
    images, lines = {}, []
    for ann in ann_files:
        ds = RawNODDataset(ann_file=osp.abspath(ann), data_root=data_root,
                           test_mode=True, pipeline=[])
        lines.append(ds.annotation_report.summary())
        for i in range(len(ds)):
            info = ds.get_data_info(i)
            images[info['img_path']] = (int(info['width']),
                                        int(info['height']))
    return images, lines


def check_one(path, size, cache_dir):
    """Decode one file as training will; ``(path, None, geometry)`` or
    ``(path, reason, None)``. Geometry: ``(visible_wh, annotated_wh)``."""
    try:
        if cache_dir:
            meta = load_raw_image(path, mode='xyz', annotated_size=size,
                                  cache_dir=cache_dir).meta
            visible = tuple(meta['visible_size'])
        else:
            visible = read_raw(path, annotated_size=size).visible_size
    except RawDecodeError as e:
        return path, e.reason, None
    except Exception as e:  # a checker reports, it does not stop
        return path, f'{type(e).__name__}: {e}', None
    return path, None, (tuple(visible), tuple(size))


def _progress(total, disable):
    from tqdm import tqdm
    return tqdm(total=total, desc='decode', unit='img', disable=disable)


def run(args):
    ann_files = find_ann_files(args.data_root, args.ann_file)
    if not ann_files:
        print(f'no annotation files under '
              f'{osp.join(args.data_root, "annotations")}/*/raw_*.json; '
              'see docs/raw_nod.md for the layout')
        return 1
    for f in ann_files:
        if not osp.isfile(f):
            print(f'annotation file not found: {f}')
            return 1
    try:
        images, lines = annotated_images(args.data_root, ann_files)
    except ValueError as e:  # unsafe paths, malformed files
        print(f'annotation error: {e}')
        return 1
    missing = sorted(p for p in images if not osp.isfile(p))
    present = [p for p in images if osp.isfile(p)]
    print(f'{len(images)} annotated images: {len(present)} present, '
          f'{len(missing)} missing')
    findings = dict(missing=missing, unreadable={}, size_mismatch={},
                    geometry={})
    if not args.no_decode and present:
        jobs = [(p, images[p], args.cache_dir) for p in present]
        bar = _progress(len(jobs), args.no_progress)
        geometry = Counter()
        if args.workers > 1:
            with ProcessPoolExecutor(args.workers) as pool:
                futures = [pool.submit(check_one, *j) for j in jobs]
                results = []
                for fut in as_completed(futures):
                    results.append(fut.result())
                    bar.update()
        else:
            results = []
            for j in jobs:
                results.append(check_one(*j))
                bar.update()
        bar.close()
        for path, reason, geo in sorted(results, key=lambda r: r[0]):
            if reason is None:
                geometry[geo] += 1
            elif 'annotated size' in reason:
                findings['size_mismatch'][path] = reason
            else:
                findings['unreadable'][path] = reason
        for (visible, annotated), n in sorted(geometry.items()):
            how = ('the whole visible area' if visible == annotated else
                   'a centred crop of the visible area')
            print(f'{n} files: annotated {annotated[0]}x{annotated[1]} = '
                  f'{how} ({visible[0]}x{visible[1]})')
            findings['geometry'][
                f'{annotated[0]}x{annotated[1]} in '
                f'{visible[0]}x{visible[1]}'] = n
        if args.cache_dir:
            print(f'cache: {sum(geometry.values())} images in '
                  f'{args.cache_dir}')

    for name, items in (('missing', findings['missing']),
                        ('unreadable', findings['unreadable']),
                        ('size mismatch (JSON larger than the file)',
                         findings['size_mismatch'])):
        if not items:
            continue
        print(f'{len(items)} {name}:')
        for p in list(items)[:args.max_list]:
            reason = items[p] if isinstance(items, dict) else ''
            print(f'  {p}' + (f': {reason}' if reason else ''))
        if len(items) > args.max_list:
            print(f'  ... and {len(items) - args.max_list} more' +
                  (f' (all in {args.report})' if args.report else
                   ' (--report FILE lists all)'))
    if args.report:
        os.makedirs(osp.dirname(osp.abspath(args.report)), exist_ok=True)
        with open(args.report, 'w') as f:
            json.dump(dict(ann_files=ann_files, annotations=lines,
                           images=len(images),
                           **findings), f, indent=1)
    bad = (len(findings['missing']) + len(findings['unreadable']) +
           len(findings['size_mismatch']))
    print('OK' if not bad else f'{bad} problem(s) found')
    return 1 if bad else 0


def main(argv=None):
    return run(parse_args(argv))


if __name__ == '__main__':
    sys.exit(main())
