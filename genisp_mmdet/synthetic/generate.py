"""Write the synthetic benchmark: well-lit sRGB scenes and low-light DNGs,
in the layout of :mod:`.layout`.

Every RAW image entry also carries ``srgb_file_name`` and its capture
settings (``illuminant_k``, ``exposure``, ``ambient``, ``iso``,
``shot_noise``, ``read_noise``, ``as_shot_neutral``, ``xyz_scale``,
``noise``).

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
import shutil
import zlib
from dataclasses import asdict, dataclass
from typing import (Any, Callable, Dict, Iterable, Iterator, List, Optional,
                    Sequence, Tuple)

import cv2
import numpy as np

from ..raw.dng import write_dng
from .cameras import Camera, get_camera
from .layout import (PRETRAIN, RAW_SPLITS, annotation_path,
                     pretrain_annotation_path, pretrain_image_folder,
                     split_name)
from .scenes import CATEGORIES, Instance, Scene, SceneConfig, render_scene
from .unprocess import NIGHT, CaptureRanges, capture_metadata, unprocess

# Fixed codes, so that adding a split never changes another split's images.
_SPLIT_CODE = {PRETRAIN: 0, 'train': 1, 'val': 2, 'test': 3}
_SCENE, _CAPTURE, _NOISE = 0, 1, 2  # purposes of per-image generators
PRETRAIN_VAL_EVERY = 10
_CATEGORY_BY_NAME = {c['name']: c['id'] for c in CATEGORIES}


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


def coco_annotations(instances: Sequence[Instance],
                     image_id: int) -> List[Dict[str, Any]]:
    """COCO annotation dicts, without ``id`` (assigned when the split is
    assembled, so ids run from 1 in image order)."""
    return [{
        'image_id': image_id,
        'category_id': inst.category_id,
        'bbox': list(inst.bbox),
        'area': inst.area,
        'iscrowd': 0,
        'visible': inst.visible,
    } for inst in instances]


def write_png(path: str, rgb: np.ndarray) -> None:
    """Write an ``(H, W, 3)`` uint8 RGB image as PNG."""
    if not cv2.imwrite(path, np.ascontiguousarray(rgb[..., ::-1])):
        raise OSError(f'{path}: cannot write PNG')


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


def _mp_context() -> multiprocessing.context.BaseContext:
    """Worker processes must not be plain forks of the caller: a fork of a
    process whose OpenCV thread pool has run deadlocks in the child's first
    parallel OpenCV call. A fork server starts clean, imports this module
    once, and forks workers from itself (fast); where there is none, spawn.
    """
    if 'forkserver' not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context('spawn')
    ctx = multiprocessing.get_context('forkserver')
    ctx.set_forkserver_preload([__name__])
    return ctx


def run_jobs(fn: Callable, jobs: Sequence[Any], workers: int, desc: str,
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
        with _mp_context().Pool(workers, initializer=_init_worker) as pool:
            chunk = max(1, min(8, len(jobs) // (4 * workers)))
            for result in pool.imap(fn, jobs, chunksize=chunk):
                yield result
                bar.update()
    bar.close()


# --------------------------------------------------------------------------
# Well-lit pretraining split


def _pretrain_job(job: Tuple[str, int, int, SceneConfig]
                  ) -> Tuple[Dict[str, Any], List[Dict[str, Any]]]:
    out, seed, index, scene_cfg = job
    scene = render(seed, PRETRAIN, index, scene_cfg)
    name = f'{index:06d}.png'
    write_png(os.path.join(pretrain_image_folder(out), name), scene.image)
    image = {
        'id': index + 1,
        'file_name': name,
        'width': scene_cfg.width,
        'height': scene_cfg.height,
    }
    return image, coco_annotations(scene.instances, index + 1)


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
    os.makedirs(pretrain_image_folder(out), exist_ok=True)
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
        path = pretrain_annotation_path(out, subset)
        dump_json(path, coco_json(images, anns, info))
        paths[subset] = path
    return paths


# --------------------------------------------------------------------------
# Sources of well-lit images for the RAW splits


@dataclass(frozen=True)
class SourceImage:
    """One image of a COCO-format sRGB data set, with the boxes of the
    three classes (in the source's pixels)."""
    path: str
    source_id: Any
    instances: Tuple[Tuple[int, Tuple[float, float, float, float], float,
                           int], ...]  # (category, bbox, area, iscrowd)


def load_coco_source(json_path: str, image_root: str) -> List[SourceImage]:
    """Read a COCO-format data set as a source for RAW splits.

    Boxes of categories named ``person``, ``bicycle`` and ``car`` are kept
    (mapped to ids 1, 2, 3 whatever the source's ids); other categories are
    dropped. Images are taken in order of their id.
    """
    with open(json_path) as f:
        data = json.load(f)
    keep = {
        c['id']: _CATEGORY_BY_NAME[c['name']]
        for c in data.get('categories', []) if c['name'] in _CATEGORY_BY_NAME
    }
    if not keep:
        raise ValueError(f'{json_path}: none of the categories '
                         f'{sorted(_CATEGORY_BY_NAME)} is present')
    by_image: Dict[Any, list] = {}
    for ann in data.get('annotations', []):
        if ann['category_id'] in keep:
            x, y, w, h = (float(v) for v in ann['bbox'])
            by_image.setdefault(ann['image_id'], []).append(
                (keep[ann['category_id']], (x, y, w, h),
                 float(ann.get('area', w * h)), int(ann.get('iscrowd', 0))))
    # Ids may be integers or strings (RAW-NOD uses file stems): sort by type
    # name first so that mixed ids still sort.
    images = sorted(data['images'], key=lambda im: (str(type(im['id'])),
                                                    im['id']))
    return [
        SourceImage(os.path.join(image_root, im['file_name']), im['id'],
                    tuple(by_image.get(im['id'], ()))) for im in images
    ]


def _read_source(src: SourceImage) -> Tuple[np.ndarray, list]:
    """The source image cropped to even size (a mosaic needs whole 2x2
    tiles), RGB uint8, and its boxes clipped to the crop."""
    bgr = cv2.imread(src.path, cv2.IMREAD_COLOR)
    if bgr is None:
        raise OSError(f'{src.path}: cannot read image')
    h, w = bgr.shape[0] // 2 * 2, bgr.shape[1] // 2 * 2
    rgb = np.ascontiguousarray(bgr[:h, :w, ::-1])
    anns = []
    for cat, (x, y, bw, bh), area, crowd in src.instances:
        x0, y0 = max(0.0, x), max(0.0, y)
        x1, y1 = min(float(w), x + bw), min(float(h), y + bh)
        if x1 - x0 >= 1 and y1 - y0 >= 1:
            kept = (x1 - x0) * (y1 - y0) / (bw * bh)  # share of the box kept
            anns.append({
                'category_id': cat,
                'bbox': [x0, y0, x1 - x0, y1 - y0],
                'area': area * kept,
                'iscrowd': crowd,
            })
    return rgb, anns


# --------------------------------------------------------------------------
# Low-light RAW splits


def _to_sensor_size(srgb: np.ndarray, emission: Optional[np.ndarray],
                    anns: List[Dict[str, Any]], size: Tuple[int, int]):
    """A scene upscaled (bilinear) to a sensor's ``(width, height)``, with
    its emission map and boxes: full-size files (e.g. 20 megapixels, for
    timing a loader) from a scene rendered at its own size."""
    w, h = (int(v) for v in size)
    if w % 2 or h % 2:
        raise ValueError(f'sensor size must be even, got {w}x{h}')
    sx, sy = w / srgb.shape[1], h / srgb.shape[0]
    srgb = cv2.resize(srgb, (w, h), interpolation=cv2.INTER_LINEAR)
    if emission is not None:
        emission = cv2.resize(emission, (w, h),
                              interpolation=cv2.INTER_LINEAR)
    scaled = []
    for ann in anns:
        x, y, bw, bh = ann['bbox']
        scaled.append(dict(ann, bbox=[x * sx, y * sy, bw * sx, bh * sy],
                           area=ann['area'] * sx * sy))
    return srgb, emission, scaled


@dataclass(frozen=True)
class _RawJob:
    out: str
    seed: int
    split: str
    name: str  # split name in file names (split, or split-tag)
    index: int
    scene_cfg: SceneConfig
    cameras: Tuple[Camera, ...]
    ranges: CaptureRanges
    source: Optional[SourceImage]
    sensor_size: Optional[Tuple[int, int]] = None


def camera_code(camera: Camera) -> int:
    """A stable integer for a camera (seeds its noise realisations)."""
    return zlib.crc32(camera.name.encode())


def _raw_job(job: _RawJob) -> Tuple[Dict[str, Any], List[Dict[str, Any]],
                                    Dict[str, Dict[str, Any]]]:
    """Render (or read) one scene, capture it with every camera, write the
    DNGs and sRGB references; return the image entry, its annotations and
    each camera's capture fields."""
    image_id = job.index + 1
    if job.source is None:
        scene = render(job.seed, job.split, job.index, job.scene_cfg)
        srgb, emission = scene.image, scene.emission
        anns = coco_annotations(scene.instances, image_id)
        extra: Dict[str, Any] = {}
    else:
        srgb, anns = _read_source(job.source)
        for ann in anns:
            ann['image_id'] = image_id
        emission = None
        extra = {'source_id': job.source.source_id,
                 'source_file': job.source.path}
    if job.sensor_size is not None:
        srgb, emission, anns = _to_sensor_size(srgb, emission, anns,
                                               job.sensor_size)
    stem = f'{job.name}_{job.index:06d}'
    capture = job.ranges.sample(
        image_rng(job.seed, job.split, job.index, _CAPTURE))
    settings = capture_metadata(capture)
    per_camera = {}
    first_png = None
    for cam in job.cameras:
        png = os.path.join(job.out, cam.name, 'srgb_images', stem + '.png')
        if first_png is None:
            write_png(png, srgb)
            first_png = png
        else:  # the same scene for every camera: copy, don't re-encode
            shutil.copyfile(first_png, png)
        rng = image_rng(job.seed, job.split, job.index, _NOISE,
                        camera_code(cam))
        raw = unprocess(srgb, cam, capture, rng, emission)
        write_dng(os.path.join(job.out, cam.name, 'raw_images',
                               stem + '.dng'),
                  raw.mosaic,
                  cam.pattern,
                  cam.black_level,
                  cam.white_level,
                  cam.xyz_to_cam,
                  as_shot_neutral=raw.as_shot_neutral,
                  make=cam.make,
                  model=cam.dng_model,
                  iso=int(min(round(capture.iso), 65535)))
        per_camera[cam.name] = {
            'illuminant_k': settings['temperature_k'],
            'exposure': settings['exposure'],
            'ambient': settings['ambient'],
            'iso': settings['iso'],
            'noise': settings['noise'],
            'read_z': settings['read_z'],
            **raw.metadata(),
        }
    h, w = srgb.shape[:2]
    image = {
        'id': image_id,
        'file_name': stem + '.dng',
        'srgb_file_name': stem + '.png',
        'width': w,
        'height': h,
        **extra,
    }
    return image, anns, per_camera


def generate_raw_split(out: str,
                       split: str,
                       num_images: Optional[int],
                       cameras: Sequence[str],
                       seed: int = 0,
                       scene_cfg: Optional[SceneConfig] = None,
                       ranges: CaptureRanges = NIGHT,
                       workers: int = 2,
                       progress: bool = True,
                       tag: str = '',
                       source: Optional[Sequence[SourceImage]] = None,
                       sensor_size: Optional[Tuple[int, int]] = None
                       ) -> Dict[str, str]:
    """Write one RAW split for several cameras.

    Args:
        out: output root.
        split: ``train``, ``val`` or ``test`` (selects the scene seeds).
        num_images: images per camera (None: all of ``source``).
        cameras: camera names (see :data:`.cameras.CAMERAS`).
        seed: data-set seed.
        scene_cfg: size and content of procedural scenes.
        ranges: capture-setting ranges (default: :data:`.unprocess.NIGHT`).
        workers: processes.
        progress: show a progress bar.
        tag: if given, files and annotation names use ``<split>-<tag>``
            (the same scenes and draws as ``split``: e.g. the test scenes
            at one fixed exposure).
        source: well-lit images to use instead of procedural scenes
            (:func:`load_coco_source`).
        sensor_size: ``(width, height)`` of the written mosaics if not the
            scene's: scenes are upscaled to it before capture, boxes with
            them.

    Returns:
        Paths of the written annotation files by camera.
    """
    if split not in RAW_SPLITS:
        raise ValueError(f'RAW split must be one of {RAW_SPLITS}, got '
                         f'{split!r}')
    scene_cfg = scene_cfg or SceneConfig()
    cams = tuple(get_camera(c) for c in cameras)
    if source is not None:
        source = list(source)
        num_images = len(source) if num_images is None else min(
            num_images, len(source))
    if not num_images:
        raise ValueError('num_images must be positive')
    name = split_name(split, tag)
    for cam in cams:
        for sub in ('raw_images', 'srgb_images'):
            os.makedirs(os.path.join(out, cam.name, sub), exist_ok=True)
    jobs = [
        _RawJob(out, seed, split, name, i, scene_cfg, cams, ranges,
                None if source is None else source[i],
                None if sensor_size is None else tuple(sensor_size))
        for i in range(num_images)
    ]
    images: List[Dict[str, Any]] = []
    anns: List[Dict[str, Any]] = []
    captures: List[Dict[str, Dict[str, Any]]] = []
    for image, image_anns, per_camera in run_jobs(_raw_job, jobs, workers,
                                                  name, progress):
        images.append(image)
        anns.extend(image_anns)
        captures.append(per_camera)
    paths = {}
    for cam in cams:
        cam_images = [dict(im, camera=cam.name, **cap[cam.name])
                      for im, cap in zip(images, captures)]
        info = {
            'description': 'genisp-mmdet synthetic low-light RAW '
            f'({cam.description})',
            'camera': cam.name,
            'split': name,
            'seed': seed,
            'source': 'procedural' if source is None else 'coco',
            'capture_ranges': asdict(ranges),
            'scene_config': asdict(scene_cfg) if source is None else None,
        }
        path = annotation_path(out, cam.name, name)
        dump_json(path, coco_json(cam_images, anns, info))
        srgb_images = [dict(im, file_name=im['srgb_file_name'])
                       for im in cam_images]
        dump_json(annotation_path(out, cam.name, name, srgb=True),
                  coco_json(srgb_images, anns, info))
        paths[cam.name] = path
    return paths
