"""Run a trained ISP + detector on RAW files from your own camera.

    python tools/infer.py photo1.ARW photo2.NEF --config CONFIG \\
        --checkpoint CKPT --out DIR

For each file writes, in DIR:
  <name>_isp.png        the ISP's output (what the detector sees), resized
                        from the detector's input size to the resolution the
                        config's loader decodes at (for GenISP's packed
                        Bayer input half the file's image in each axis), or
                        to --size W H, or to --scale times the file's image
  <name>_det.png        the same with the detections drawn, in its pixels
  <name>.json           detections in full-resolution pixel coordinates of
                        the file's image (its crop, in display orientation),
                        whatever the PNGs' size
"""
import argparse
import json
import os
import os.path as osp

import cv2
import torch
from tqdm import tqdm

from genisp_mmdet.apis import IspDetector, draw_detections


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('files', nargs='+', help='RAW files')
    parser.add_argument('--config', required=True, help='model config')
    parser.add_argument('--checkpoint', required=True, help='checkpoint')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--score-thr', type=float, default=0.3,
                        help='draw and save detections above this score')
    parser.add_argument('--device', default=None,
                        help='cpu, cuda:0, ... (default: cuda:0 if available)')
    size = parser.add_mutually_exclusive_group()
    size.add_argument('--size', nargs=2, type=int, metavar=('W', 'H'),
                      help='size of the PNGs in pixels (default: the '
                      'decoded resolution, for packed Bayer input half the '
                      'file\'s image)')
    size.add_argument('--scale', type=float,
                      help='size of the PNGs as a fraction of the file\'s '
                      'image (1: full resolution)')
    args = parser.parse_args()
    if args.size is not None and min(args.size) < 1:
        parser.error(f'--size must be positive, got {args.size}')
    if args.scale is not None and not args.scale > 0:
        parser.error(f'--scale must be positive, got {args.scale}')
    return args


def main():
    args = parse_args()
    device = args.device or ('cuda:0' if torch.cuda.is_available() else 'cpu')
    detector = IspDetector(args.config, args.checkpoint, device=device)
    os.makedirs(args.out, exist_ok=True)
    for path in tqdm(args.files, desc='infer'):
        res = detector(path)
        stem = osp.splitext(osp.basename(path))[0]
        image, on_image = res.render(args.size, args.scale)
        cv2.imwrite(osp.join(args.out, f'{stem}_isp.png'), image[..., ::-1])
        drawn = draw_detections(image, on_image, detector.dataset_meta,
                                args.score_thr)
        cv2.imwrite(osp.join(args.out, f'{stem}_det.png'), drawn[..., ::-1])
        pred = res.pred[res.pred.scores >= args.score_thr]
        h, w = res.ori_shape
        detections = [
            dict(bbox=[round(float(v), 2) for v in box],
                 score=round(float(score), 4), label=int(label),
                 category=detector.dataset_meta['classes'][int(label)])
            for box, score, label in zip(pred.bboxes.tolist(),
                                         pred.scores.tolist(),
                                         pred.labels.tolist())
        ]
        with open(osp.join(args.out, f'{stem}.json'), 'w') as f:
            json.dump(
                dict(file=osp.abspath(path), width=int(w), height=int(h),
                     bbox_format='x1, y1, x2, y2 in full-resolution pixels',
                     detections=detections), f, indent=2)


if __name__ == '__main__':
    main()
