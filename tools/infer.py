"""Run a trained ISP + detector on RAW files from your own camera.

    python tools/infer.py photo1.ARW photo2.NEF --config CONFIG \\
        --checkpoint CKPT --out DIR

For each file writes, in DIR:
  <name>_isp.png        the ISP's output (what the detector sees)
  <name>_det.png        the same with the detections drawn
  <name>.json           detections in full-resolution pixel coordinates of
                        the file's (cropped, display-oriented) image
"""
import argparse
import json
import os
import os.path as osp

import numpy as np
import torch
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from tqdm import tqdm


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
    return parser.parse_args()


def build_pipeline(cfg: Config) -> Compose:
    """The config's test pipeline without annotation loading."""
    steps = [
        t for t in cfg.test_dataloader.dataset.pipeline
        if t['type'] != 'LoadAnnotations'
    ]
    return Compose(steps)


def to_uint8(img: torch.Tensor) -> np.ndarray:
    """ISP output ``(3, H, W)``, nominally [0, 1] -> ``(H, W, 3)`` RGB."""
    return (img.detach().clamp(0, 1).permute(1, 2, 0).cpu().numpy() *
            255).round().astype(np.uint8)


def main():
    args = parse_args()
    from mmdet.apis import init_detector
    from mmdet.registry import VISUALIZERS

    device = args.device or ('cuda:0' if torch.cuda.is_available() else 'cpu')
    cfg = Config.fromfile(args.config)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    model = init_detector(cfg, args.checkpoint, device=device)
    classes = model.dataset_meta['classes']
    pipeline = build_pipeline(cfg)
    visualizer = VISUALIZERS.build(
        dict(type='DetLocalVisualizer', name='genisp_infer'))
    visualizer.dataset_meta = model.dataset_meta
    os.makedirs(args.out, exist_ok=True)

    for path in tqdm(args.files, desc='infer'):
        batch = pseudo_collate([pipeline(dict(img_path=path, img_id=0))])
        with torch.no_grad():
            isp_out = model.data_preprocessor.develop(batch['inputs'])[0]
            result = model.test_step(batch)[0]
        stem = osp.splitext(osp.basename(path))[0]
        image = to_uint8(isp_out)
        import cv2
        cv2.imwrite(osp.join(args.out, f'{stem}_isp.png'), image[..., ::-1])

        pred = result.pred_instances
        keep = pred.scores >= args.score_thr
        pred = pred[keep]
        # Predictions are in full-resolution pixels; the ISP image is at the
        # detector's input size: scale_factor (raw packing folded in) maps
        # one to the other.
        sx, sy = result.metainfo['scale_factor']
        drawn = pred.clone()
        drawn.bboxes = pred.bboxes * pred.bboxes.new_tensor([sx, sy, sx, sy])
        sample = result.clone()
        sample.pred_instances = drawn
        visualizer.add_datasample(
            stem, image, sample, draw_gt=False, show=False,
            pred_score_thr=args.score_thr,
            out_file=osp.join(args.out, f'{stem}_det.png'))

        h, w = result.metainfo['ori_shape']
        detections = [
            dict(bbox=[round(float(v), 2) for v in box],
                 score=round(float(score), 4), label=int(label),
                 category=classes[int(label)])
            for box, score, label in zip(pred.bboxes.tolist(),
                                         pred.scores.tolist(),
                                         pred.labels.tolist())
        ]
        with open(osp.join(args.out, f'{stem}.json'), 'w') as f:
            json.dump(
                dict(file=osp.abspath(path), width=int(w), height=int(h),
                     bbox_format='xyxy, full-resolution pixels',
                     detections=detections), f, indent=2)


if __name__ == '__main__':
    main()
