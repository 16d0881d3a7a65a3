"""Write the synthetic benchmark: well-lit sRGB scenes and low-light DNGs.

Layout under ``out`` (mirrors RAW-NOD: one folder per camera, annotation
files per camera and split)::

    srgb_pretrain/images/000000.png       well-lit scenes for detector
                                          pretraining (the stand-in for COCO)
    annotations/srgb_pretrain_train.json  COCO, file_name relative to
    annotations/srgb_pretrain_val.json      srgb_pretrain/images
    <Camera>/raw_images/<split>_000000.dng     simulated low-light capture
    <Camera>/srgb_images/<split>_000000.png    the well-lit scene it shows
    annotations/<Camera>/<Camera>_<split>.json       file_name: the .dng,
                                                     relative to raw_images
    annotations/<Camera>/<Camera>_<split>_srgb.json  the same images and
                                                     boxes, file_name: the
                                                     .png in srgb_images

Splits and seeds. Every image is a pure function of ``(seed, split,
index)``: its scene, illuminant, exposure and ISO come from generators
seeded with ``SeedSequence([seed, split code, index, purpose])`` and never
depend on the camera, so image ``test_000042`` shows the same scene under
the same light and exposure on every camera and only the sensor (colour
response, levels, noise) differs; only the noise realisation also depends
on the camera. The split code keeps the splits' scenes apart, in
particular ``srgb_pretrain``'s from the RAW splits'. Output does not depend
on the number of worker processes.

In ``srgb_pretrain``, every tenth image (``index % 10 == 9``) is a
validation image, so a larger run extends a smaller one without moving
images between train and val.
"""
from __future__ import annotations

import json
import multiprocessing
import os
from dataclasses import asdict, dataclass
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, \
    Tuple

import cv2
import numpy as np

from .scenes import CATEGORIES, Scene, SceneConfig, render_scene

PRETRAIN = 'srgb_pretrain'
RAW_SPLITS = ('train', 'val', 'test')
SPLITS = (PRETRAIN, ) + RAW_SPLITS
# Fixed codes, so that adding a split never changes another split's images.
_SPLIT_CODE = {PRETRAIN: 0, 'train': 1, 'val': 2, 'test': 3}
_SCENE, _CAPTURE, _NOISE = 0, 1, 2  # purposes of per-image generators
PRETRAIN_VAL_EVERY = 10


def image_rng(seed: int, split: str, index: int, purpose: int,
              *extra: int) -> np.random.Generator:
    """The generator of one image's scene, capture settings or noise."""
    return np.random.default_rng(
        np.random.SeedSequence(
            [int(seed), _SPLIT_CODE[split],
             int(index), purpose, *map(int, extra)]))


def render(seed: int, split: str, index: int,
           scene_cfg: SceneConfig) -> Scene:
    """The scene of image ``index`` of ``split`` (camera independent)."""
    return render_scene(image_rng(seed, split, index, _SCENE), scene_cfg)


def coco_annotations(scene: Scene, image_id: int) -> List[Dict[str, Any]]:
    """COCO annotation dicts of a scene, without ``id`` (assigned when the
    split is assembled, so ids run from 1 in image order)."""
    return [{
        'image_id': image_id,
        'category_id': inst.category_id,
        'bbox': list(inst.bbox),
        'area': inst.area,
        'iscrowd': 0,
        'visible': inst.visible,
    } for inst in scene.instances]


def write_png(path: str, rgb: np.ndarray) -> None:
    """Write an ``(H, W, 3)`` uint8 RGB image as PNG."""
    if not cv2.imwrite(path, np.ascontiguousarray(rgb[..., ::-1])):
        raise OSError(f'{path}: cannot write PNG')


def _pretrain_job(job: Tuple[str, int, int, SceneConfig]
                  ) -> Tuple[Dict[str, Any], List[Dict[str, Any]]]:
    out, seed, index, scene_cfg = job
    scene = render(seed, PRETRAIN, index, scene_cfg)
    name = f'{index:06d}.png'
    write_png(os.path.join(out, PRETRAIN, 'images', name), scene.image)
    image = {
        'id': index + 1,
        'file_name': name,
        'width': scene_cfg.width,
        'height': scene_cfg.height,
    }
    return image, coco_annotations(scene, index + 1)


def coco_json(images: Sequence[Dict[str, Any]],
              annotations: Iterable[Dict[str, Any]],
              info: Dict[str, Any]) -> Dict[str, Any]:
    """Assemble a COCO dict; annotation ids run from 1 in the given order."""
    anns = [dict(ann, id=k) for k, ann in enumerate(annotations, start=1)]
    return {
        'info': info,
        'licenses': [],
        'images': list(images),
        'annotations': anns,
        'categories': [dict(c) for c in CATEGORIES],
    }


def dump_json(path: str, data: Dict[str, Any]) -> None:
    """Write JSON deterministically (fixed key order, no whitespace)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(data, f, separators=(',', ':'))


def _init_worker() -> None:
    # One process per core: OpenCV's own threads would only compete.
    cv2.setNumThreads(1)


def run_jobs(fn, jobs: Sequence[Any], workers: int, desc: str,
             progress: bool = True) -> Iterator[Any]:
    """``map(fn, jobs)`` in order, over ``workers`` processes, with a
    progress bar. Results come back in job order whatever the number of
    workers, which keeps the output deterministic."""
    from tqdm import tqdm
    bar = tqdm(total=len(jobs), desc=desc, unit='img', disable=not progress,
               smoothing=0.05)
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            yield fn(job)
            bar.update()
    else:
        ctx = multiprocessing.get_context('spawn' if os.name == 'nt' else
                                          'fork')
        with ctx.Pool(workers, initializer=_init_worker) as pool:
            chunk = max(1, min(8, len(jobs) // (4 * workers)))
            for result in pool.imap(fn, jobs, chunksize=chunk):
                yield result
                bar.update()
    bar.close()


def generate_pretrain(out: str,
                      num_images: int,
                      seed: int = 0,
                      scene_cfg: Optional[SceneConfig] = None,
                      workers: int = 2,
                      progress: bool = True) -> Dict[str, str]:
    """Write the well-lit sRGB pretraining split.

    Args:
        out: output root.
        num_images: images in total (train and val, see the module
            docstring for the split rule).
        seed: data-set seed.
        scene_cfg: scene size and content.
        workers: processes.
        progress: show a progress bar.

    Returns:
        Paths of the written annotation files by subset (``train``, ``val``).
    """
    scene_cfg = scene_cfg or SceneConfig()
    os.makedirs(os.path.join(out, PRETRAIN, 'images'), exist_ok=True)
    jobs = [(out, seed, i, scene_cfg) for i in range(num_images)]
    subsets: Dict[str, Tuple[list, list]] = {'train': ([], []), 'val': ([],
                                                                       [])}
    for (image, anns) in run_jobs(_pretrain_job, jobs, workers, PRETRAIN,
                                  progress):
        is_val = (image['id'] - 1) % PRETRAIN_VAL_EVERY == \
            PRETRAIN_VAL_EVERY - 1
        images, all_anns = subsets['val' if is_val else 'train']
        images.append(image)
        all_anns.extend(anns)
    paths = {}
    for subset, (images, anns) in subsets.items():
        info = {
            'description': 'genisp-mmdet synthetic well-lit sRGB scenes for '
            'detector pretraining',
            'split': f'{PRETRAIN}_{subset}',
            'seed': seed,
            'scene_config': asdict(scene_cfg),
        }
        path = os.path.join(out, 'annotations',
                            f'{PRETRAIN}_{subset}.json')
        dump_json(path, coco_json(images, anns, info))
        paths[subset] = path
    return paths
