"""Speed and memory of genisp-mmdet on this machine, as ratios
(``tools/benchmark.py`` is the command line over this module).

Examples::

    # everything, written where docs/benchmark.md reads it (make benchmark)
    python tools/benchmark.py --json results/benchmark.json

    # the same figures at reduced sizes, in under two minutes on 2 cores
    python tools/benchmark.py --quick --json /tmp/benchmark_quick.json

    # ISP and detector figures on a GPU (fp32, then mixed precision)
    python tools/benchmark.py --device cuda --det-batch 8 --json gpu.json
    python tools/benchmark.py --device cuda --det-batch 8 --amp --json amp.json

Figures (goal in brackets), each a ratio of two timings of one run, so that
a busy machine changes them little:

* ``loader_speedup_cold`` (>= 8): images/s of ``LoadRawImageFromFile``
  (mode ``xyz``, no cache) over ``rawpy.postprocess()`` with LibRaw's
  defaults, on the same generated 20-megapixel DNGs (RAW-NOD's Sony size:
  a 5496x3672 mosaic annotated on its centred 5472x3648 area);
* ``loader_speedup_cached`` (>= 30): the same with the decoded-array cache
  warm;
* ``isp_speedup_vs_reference`` (>= 1 at each size): ``GenISP.forward``
  against the plain per-image definition (:func:`genisp_reference`),
  forward + backward, at 320x240 batch 8, 640x480 batch 4 and 1333x800
  batch 2, outputs checked equal (the eager shallow-ConvNet path beside);
* ``isp_time_share_over_mac_share`` (<= 1.25 at each size): GenISP's share
  of a frozen detector's train step (RetinaNet R50-FPN at 1333x800, batch
  2; the slim RetinaNet of the synthetic configs at 320x240, batch 8;
  random weights) over its share of the step's forward arithmetic;
* ``isp_eval_overhead`` (<= 1.5): mmengine's time per test iteration of
  ``tools/test.py`` with GenISP over that of the ``rawpy_isp`` baseline
  (same detector, dataloader, threads and test images);
* ``isp_peak_memory_gb_per_image`` (<= 1.5): peak memory one GenISP
  forward + backward adds for one 1333x800 image (fresh process);
* ``data_wait_fraction`` (<= 0.10): mmengine's ``data_time`` over its
  iteration ``time`` while ``tools/train.py`` trains
  the main GenISP config with its own dataloader settings, on
  generated synthetic data (first iteration, which starts the workers,
  excluded);
* ``demo_peak_rss_gb`` (<= 4): peak resident memory, summed over the
  process tree (dataloader workers included, sampled from /proc), of
  ``make demo``'s training and testing (``tools/study.py demo`` in folders
  under the work directory). ``--quick`` measures a short train and test of
  the demo's config and dataloader settings instead, and says so.

Beside the loader figures: the physical floors (reading the file's bytes
and copying the decoded array once; reading the cache entry) and LibRaw's
own unpacking time (the part of a cold load no change here can remove).
Beside each detector step: GenISP's shares of time and arithmetic and
where its time goes, by operator family.

In-process timings are the best of their rounds after a warm-up (other work
on the machine only ever adds time); the data wait comes from mmengine's own
per-iteration log. Generated data and runs go to a temporary folder
(``--work-dir`` to keep them). Every result records the machine (CPU,
cores, torch threads), the command, the date, the commit and the run's
length. ``make demo`` needs the shipped detector checkpoints; where they
are absent, the full run measures the demo's training and testing as
``--quick`` does, at the demo's data sizes, and says so.
"""
from __future__ import annotations

import glob
import json
import math
import os
import os.path as osp
import textwrap
import time
from dataclasses import asdict, dataclass
from typing import Dict, List, Optional, Tuple

from ..synthetic import generate_raw_split, layout
from ..utils.benchmark import (GB, MacCounter, TreeMemorySampler,
                               load_average, machine_info, per_item, sig,
                               sync)
from ..utils.provenance import commit_id
from . import markdown
from .plans import CAMERA_A, method_config
from .pretrain import missing_checkpoints
from .shell import Workspace, log, now, read_scalars

TRAIN_CONFIG = method_config('genisp')
DETECTOR_CONFIG = 'configs/genisp/genisp_retinanet_r50_fpn_15e_raw-nod-sony.py'
CAMERA = CAMERA_A


# name -> (comparison, goal, unit, one line). A figure measured at several
# sizes is a dict {'WxH': value} with a verdict per size.
GOALS = {
    'loader_speedup_cold': ('>=', 8.0, 'x', 'LoadRawImageFromFile (xyz, no '
                            'cache) images/s over rawpy.postprocess()'),
    'loader_speedup_cached': ('>=', 30.0, 'x', 'the same, decoded-array '
                              'cache warm'),
    'isp_speedup_vs_reference': ('>=', 1.0, 'x', 'GenISP.forward over the '
                                 'per-image layer-by-layer definition, '
                                 'fwd+bwd'),
    'isp_time_share_over_mac_share': ('<=', 1.25, '', "GenISP's share of a "
                                      'frozen detector\'s train step over '
                                      'its share of the forward MACs'),
    'isp_eval_overhead': ('<=', 1.5, 'x', 'tools/test.py time per batch, '
                          'GenISP row over the rawpy_isp row'),
    'isp_peak_memory_gb_per_image': ('<=', 1.5, 'GB', 'peak memory GenISP '
                                     'fwd+bwd adds, per 1333x800 image'),
    'data_wait_fraction': ('<=', 0.10, '', "mmengine's data_time over "
                           'iteration time while training'),
    'demo_peak_rss_gb': ('<=', 4.0, 'GB', "peak RSS of make demo's train "
                         'and test (process tree)'),
}


def size_key(h: int, w: int) -> str:
    return f'{w}x{h}'


@dataclass
class Settings:
    """Sizes and repetitions of one benchmark run."""
    name: str = 'full'
    raw_size: Tuple[int, int] = (5496, 3672)  # (w, h) of the DNG mosaic
    annotated_size: Tuple[int, int] = (5472, 3648)  # (w, h), centred
    loader_files: int = 4
    loader_rounds: int = 3
    postprocess_rounds: int = 1
    # (h, w, batch): GenISP against its reference at each
    isp_sizes: Tuple[Tuple[int, int, int], ...] = (
        (240, 320, 8), (480, 640, 4), (800, 1333, 2))
    isp_rounds: int = 3
    isp_resize: int = 256  # GenISP's thumbnail side (its default)
    # (config, h, w, batch): frozen detectors' train steps
    det_runs: Tuple[Tuple[str, int, int, int], ...] = (
        (DETECTOR_CONFIG, 800, 1333, 2), (TRAIN_CONFIG, 240, 320, 8))
    det_steps: int = 2
    memory_size: Tuple[int, int] = (800, 1333)  # (h, w), one image
    # the demo's splits (genisp_mmdet/synthetic/layout.py)
    train_images: int = layout.SPLIT_SIZES['demo']['train']
    val_images: int = layout.SPLIT_SIZES['demo']['val']
    test_images: int = layout.SPLIT_SIZES['demo']['test']
    train_batch: Optional[int] = None  # None: the config's
    validate: bool = True  # run the config's validation after the epoch
    test_run: bool = True  # without demo: also a short tools/test.py run
    demo: bool = True  # full: run tools/study.py demo itself


SETTINGS = {
    'full': Settings(),
    'quick': Settings(name='quick', loader_files=2, loader_rounds=2,
                      isp_rounds=2,
                      isp_sizes=((240, 320, 8), (400, 667, 2)),
                      det_runs=((DETECTOR_CONFIG, 400, 667, 2),
                                (TRAIN_CONFIG, 240, 320, 8)),
                      det_steps=1, memory_size=(400, 667),
                      train_images=24, val_images=8, test_images=8,
                      demo=False),
}


def make_dngs(folder: str, n: int, raw_size: Tuple[int, int]) -> List[str]:
    """``n`` low-light DNGs of camera A at ``raw_size`` (the synthetic
    scenes upscaled to the sensor, then captured), through the generator."""
    ann = generate_raw_split(folder, 'test', n, [CAMERA], progress=False,
                             sensor_size=raw_size)[CAMERA]
    with open(ann) as f:
        names = [im['file_name'] for im in json.load(f)['images']]
    return [osp.join(folder, layout.image_folder(CAMERA), name)
            for name in names]


def bench_loader(s: Settings, work: str) -> dict:
    """Loader images/s against rawpy.postprocess(), with the floor."""
    import rawpy

    import numpy as np

    from ..datasets.transforms import LoadRawImageFromFile
    paths = make_dngs(osp.join(work, 'dng'), s.loader_files, s.raw_size)
    aw, ah = s.annotated_size

    def results(p):
        return dict(img_path=p, width=aw, height=ah)

    cold = LoadRawImageFromFile(mode='xyz')
    cached = LoadRawImageFromFile(mode='xyz',
                                  cache_dir=osp.join(work, 'cache'))

    def postprocess(p):
        with rawpy.imread(p) as raw:
            return raw.postprocess()

    def libraw_unpack(p):
        with rawpy.imread(p) as raw:
            raw.unpack()

    def read_bytes(p):
        with open(p, 'rb') as f:
            return f.read()

    for p in paths:  # files in the page cache, cache entries written
        read_bytes(p)
        cached(results(p))
    decoded = {p: cold(results(p))['img'] for p in paths}
    entries = sorted(glob.glob(osp.join(work, 'cache', '*', '*.npy')))
    entry_of = {}
    for p in paths:  # the entry written for each file: same array
        entry_of[p] = next(e for e in entries if np.array_equal(
            np.load(e, mmap_mode='r'), decoded[p]))

    # Rounds interleave the methods, so that a burst of load elsewhere
    # hits all of them; each figure is the best of its rounds (other work
    # on the machine only ever adds time).
    # rawpy.postprocess takes seconds per image: fewer rounds for it.
    t: Dict[str, List[float]] = {}
    for r in range(s.loader_rounds):
        log(f'  loader round {r + 1}/{s.loader_rounds}')
        for name, fn, rounds in (
                ('rawpy_postprocess', postprocess, s.postprocess_rounds),
                ('loader_cold', lambda p: cold(results(p)), None),
                ('loader_cached', lambda p: cached(results(p)), None),
                ('libraw_unpack', libraw_unpack, None),
                ('read_bytes', read_bytes, None),
                ('read_cache_entry', lambda p: read_bytes(entry_of[p]), None),
                ('copy_decoded', lambda p: decoded[p].copy(), None)):
            if rounds is None or r < rounds:
                t.setdefault(name, []).append(per_item(fn, paths))
    sec = {k: min(v) for k, v in t.items()}
    floor = sec['read_bytes'] + sec['copy_decoded']
    img = decoded[paths[0]]
    entry = entry_of[paths[0]]
    return dict(
        files=len(paths),
        raw_size=list(s.raw_size),
        annotated_size=list(s.annotated_size),
        file_mb=round(os.path.getsize(paths[0]) / 2**20, 1),
        decoded_shape=list(img.shape),
        decoded_mb=round(img.nbytes / 2**20, 1),
        cache_entry_mb=round(os.path.getsize(entry) / 2**20, 1),
        rounds=s.loader_rounds,
        seconds_per_image={k: sig(v) for k, v in sec.items()},
        images_per_s={k: sig(1 / v) for k, v in sec.items()},
        floor_cold_s=sig(floor),
        floor_cached_s=sec['read_cache_entry'],
        cold_over_floor=sig(sec['loader_cold'] / floor),
        cached_over_floor=sig(sec['loader_cached'] /
                              sec['read_cache_entry']),
        libraw_share_of_cold=sig(sec['libraw_unpack'] / sec['loader_cold']),
        speedup_cold=sec['rawpy_postprocess'] / sec['loader_cold'],
        speedup_cached=sec['rawpy_postprocess'] / sec['loader_cached'])



def isp_step_seconds(fn, images, weights, params, device: str) -> float:
    """Seconds of one forward + backward of ``fn(images)`` (a list of
    outputs) against fixed output gradients ``weights``."""
    for p in params:
        p.grad = None
    sync(device)
    start = time.perf_counter()
    outs = fn(images)
    sum((o * w).sum() for o, w in zip(outs, weights)).backward()
    sync(device)
    return time.perf_counter() - start


def _isp_batch(h: int, w: int, n: int, device: str, seed: int = 0):
    import torch
    g = torch.Generator().manual_seed(seed)
    images = [(torch.rand(3, h, w, generator=g) * 0.05).to(device)
              for _ in range(n)]
    weights = [torch.randn(3, h, w, generator=g).to(device)
               for _ in range(n)]
    return images, weights


def bench_isp_reference(s: Settings, device: str) -> dict:
    """GenISP.forward (its default shallow-ConvNet path, and eager) against
    genisp_reference, fwd + bwd, at each of ``s.isp_sizes``."""
    import torch

    from ..isp import GenISP
    from ..isp.fused import default_kernels, resolve_path, using_path
    from ..isp.genisp import genisp_reference
    torch.manual_seed(0)
    isp = GenISP(resize=s.isp_resize).to(device)
    with torch.no_grad():  # away from the identity start
        for p in isp.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    params = list(isp.parameters())
    out = {}
    for h, w, n in s.isp_sizes:
        images, weights = _isp_batch(h, w, n, device)
        with torch.no_grad():
            fast = torch.stack(isp(images))
            ref = torch.stack(genisp_reference(isp, images))
        max_diff = (fast - ref).abs().max().item()
        equal = bool(torch.allclose(fast, ref, rtol=1e-4, atol=1e-5))

        def eager(x):
            with using_path('eager'):
                return isp(x)

        fns = (('genisp', isp), ('genisp_eager', eager),
               ('reference', lambda x: genisp_reference(isp, x)))
        t: Dict[str, List[float]] = {k: [] for k, _ in fns}
        for r in range(s.isp_rounds + 1):  # the first round warms up
            for name, fn in fns:
                sec = isp_step_seconds(fn, images, weights, params, device)
                if r:
                    t[name].append(sec)
        sec = {k: min(v) for k, v in t.items()}  # best of rounds
        out[size_key(h, w)] = dict(
            batch=n, size_hw=[h, w],
            shallow_path=resolve_path(None, torch.stack(images[:1])),
            seconds_fwd_bwd={k: sig(v) for k, v in sec.items()},
            outputs_equal=equal, max_abs_difference=max_diff,
            speedup_eager_vs_reference=sig(sec['reference'] /
                                           sec['genisp_eager']),
            speedup=sec['reference'] / sec['genisp'])
    kernels = default_kernels()
    return dict(rounds=s.isp_rounds, device=device,
                tolerance=dict(rtol=1e-4, atol=1e-5),
                compile_seconds=sig(kernels.compile_seconds),
                compile_failure=kernels.failure, sizes=out)


# Operator families of GenISP's time (torch.profiler self times).
OP_FAMILIES = (('convolution', ('convolution', )),
               ('matrix_product', ('bmm', 'mm', 'matmul')),
               ('instance_norm', ('batch_norm', 'instance_norm')),
               ('leaky_relu', ('leaky_relu', )),
               ('fused_norm_and_leaky_relu', ('genisp_fused::', 'CompiledFxGraph')))


def isp_time_breakdown(isp, images, weights, params) -> dict:
    """Where one GenISP forward + backward spends its time on CPU, by
    operator family, next to the cost of copying its largest activation
    (the 64-channel full-resolution tensor of the shallow ConvNet) once."""
    import torch
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        isp_step_seconds(isp, images, weights, params, 'cpu')
    seconds = {name: 0.0 for name, _ in OP_FAMILIES}
    seconds['other'] = 0.0
    for event in prof.key_averages():
        family = next((name for name, keys in OP_FAMILIES
                       if any(k in event.key for k in keys)), 'other')
        seconds[family] += event.self_cpu_time_total / 1e6
    total = sum(seconds.values())
    n = len(images)
    h, w = images[0].shape[-2:]
    activation = torch.empty(n, 64, h, w)
    copies = []
    for _ in range(3):
        start = time.perf_counter()
        activation.clone()
        copies.append(time.perf_counter() - start)
    copy_s = min(copies)
    memory_bound = (seconds['instance_norm'] + seconds['leaky_relu'] +
                    seconds['fused_norm_and_leaky_relu'])
    return dict(
        profiled_s=sig(total),
        seconds={k: sig(v) for k, v in seconds.items()},
        share={k: sig(v / total, 3) for k, v in seconds.items()},
        activation_gb=sig(activation.numel() * 4 / GB, 3),
        activation_copy_s=sig(copy_s),
        norm_and_activation_in_copies=sig(memory_bound / copy_s, 3))



def _detector_batch(h: int, w: int, n: int, num_classes: int, seed: int):
    import torch
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    g = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for i in range(n):
        inputs.append(torch.rand(3, h, w, generator=g) * 0.05)
        sample = DetDataSample(metainfo=dict(
            img_id=i, img_path=f'benchmark_{i}.dng', img_shape=(h, w),
            ori_shape=(2 * h, 2 * w), scale_factor=(1.0, 1.0),
            raw_scale=(0.5, 0.5)))
        xy = torch.rand(8, 2, generator=g) * torch.tensor([w * 0.8, h * 0.8])
        wh = 16 + torch.rand(8, 2, generator=g) * torch.tensor([w, h]) * 0.2
        inst = InstanceData()
        inst.bboxes = torch.cat([xy, xy + wh], 1)
        inst.labels = torch.randint(0, num_classes, (8, ), generator=g)
        sample.gt_instances = inst
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def bench_detectors(ws: Workspace, s: Settings, device: str,
                    amp: bool) -> dict:
    """:func:`bench_detector` for each of ``s.det_runs``, by size."""
    return {size_key(h, w): bench_detector(ws, config, h, w, n, s.det_steps,
                                           device, amp)
            for config, h, w, n in s.det_runs}


def bench_detector(ws: Workspace, config: str, h: int, w: int, n: int,
                   steps: int, device: str, amp: bool) -> dict:
    """GenISP fwd+bwd within one train step of a frozen detector (the
    config's, GenISP in front), its share of the step's time and of the
    forward multiply-accumulates."""
    import torch
    from mmengine.config import Config
    from mmengine.optim import AmpOptimWrapper, OptimWrapper
    from mmengine.registry import init_default_scope

    from mmdet.registry import MODELS

    from .. import models  # noqa: F401  (registers the modules)
    from ..isp.genisp import genisp_reference
    init_default_scope('mmdet')
    cfg = Config.fromfile(ws.path(config))
    torch.manual_seed(0)
    # PyTorch's default initialisation: the timing does not depend on the
    # weights, and no pretrained checkpoint is needed.
    model = MODELS.build(cfg.model).to(device)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optim = torch.optim.Adam(params, lr=1e-4)
    wrapper = (AmpOptimWrapper(optimizer=optim) if amp else
               OptimWrapper(optimizer=optim))
    num_classes = model.bbox_head.num_classes

    def step():
        data = _detector_batch(h, w, n, num_classes, 0)
        sync(device)
        start = time.perf_counter()
        model.train_step(data, wrapper)
        sync(device)
        return time.perf_counter() - start

    isp = model.data_preprocessor.isp
    data = _detector_batch(h, w, n, num_classes, 0)
    images = [x.to(device) for x in data['inputs']]
    g = torch.Generator().manual_seed(1)
    weights = [torch.randn(x.shape, generator=g).to(device) for x in images]
    # Warm-up (oneDNN/cuDNN primitives, allocator), counting the
    # detector's forward arithmetic; GenISP's from its plain definition,
    # which calls every layer as a module.
    counter = MacCounter(model, dict(detector=''),
                         exclude='data_preprocessor')
    step()
    macs = counter.remove()
    counter = MacCounter(isp, dict(genisp=''))
    with torch.no_grad():
        genisp_reference(isp, images)
    macs.update(counter.remove())
    step_times = [step() for _ in range(steps)]
    t_isp, t_ref = [], []
    for r in range(steps + 1):  # the first warms up
        a = isp_step_seconds(isp, images, weights, params, device)
        b = isp_step_seconds(lambda x: genisp_reference(isp, x), images,
                             weights, params, device)
        if r:
            t_isp.append(a)
            t_ref.append(b)
    # Best of the rounds: other work on the machine only ever adds time.
    step_s, isp_s, ref_s = min(step_times), min(t_isp), min(t_ref)
    breakdown = (isp_time_breakdown(isp, images, weights, params)
                 if device == 'cpu' else None)
    mac_share = macs['genisp'] / (macs['genisp'] + macs['detector'])
    return dict(
        config=config,
        detector=(f'{cfg.model.detector}, {cfg.model.backbone.type}-'
                  f'{cfg.model.backbone.get("depth", "")} '
                  f'{cfg.model.neck.type} (FrozenDetector, PyTorch default '
                  'initialisation)'),
        size_hw=[h, w],
        batch=n,
        steps=steps,
        device=device,
        amp=amp,
        seconds=dict(train_step=sig(step_s), genisp_fwd_bwd=sig(isp_s),
                     reference_genisp_fwd_bwd=sig(ref_s)),
        fraction_of_step=sig(isp_s / step_s),
        # The step as it would be with the reference ISP in it.
        reference_fraction_of_detector_step=sig(
            ref_s / (step_s - isp_s + ref_s)),
        forward_gmac={k: sig(v / 1e9) for k, v in macs.items()},
        arithmetic_fraction_forward=sig(mac_share),
        genisp_breakdown=breakdown,
        share_over_mac_share=isp_s / step_s / mac_share)


_PEAK_CHILD = '''
import json, sys, time, torch
from genisp_mmdet.isp import GenISP
from genisp_mmdet.isp.fused import using_path
args = json.loads(sys.argv[1])
torch.set_num_threads(args["threads"])
torch.manual_seed(0)
isp = GenISP(enhance_cfg=dict(checkpoint=args["checkpoint"]))
n, (h, w) = args["batch"], args["size_hw"]
images = [torch.rand(3, h, w) * 0.05 for _ in range(n)]
weights = [torch.randn(3, h, w) for _ in range(n)]
params = list(isp.parameters())

def step():
    for p in params:
        p.grad = None
    start = time.perf_counter()
    outs = isp(images)
    sum((o * w).sum() for o, w in zip(outs, weights)).backward()
    return time.perf_counter() - start

def vm(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024

with using_path(args["path"]):
    step()  # warm-up (compiles)
    for p in params:
        p.grad = None
    base = vm("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # the peak (VmHWM) restarts from the current RSS
    seconds = step()
    peak = vm("VmHWM")
print(json.dumps(dict(peak_extra_bytes=peak - base, seconds=seconds)))
'''


def peak_memory(size_hw: Tuple[int, int] = (800, 1333), batch: int = 1,
                path: str = 'auto', checkpoint: bool = False,
                threads: Optional[int] = None) -> dict:
    """Peak resident memory that one GenISP forward + backward adds, in a
    fresh process (torch's CPU allocations are invisible to tracemalloc):
    the resident-set high-water mark of the timed step (reset through
    ``/proc/self/clear_refs`` after an untimed warm-up step) minus the
    resident size before it. Linux only.

    Returns:
        ``peak_gb`` (the step's extra peak), ``peak_gb_per_image``, the
        step's ``seconds`` and the settings.
    """
    import subprocess
    import sys

    import torch

    from ..isp.fused import ENV_PATH
    args = dict(size_hw=list(size_hw), batch=batch, path=path,
                checkpoint=checkpoint,
                threads=threads or torch.get_num_threads())
    env = dict(os.environ)
    env.pop(ENV_PATH, None)
    out = subprocess.run([sys.executable, '-c', _PEAK_CHILD,
                          json.dumps(args)], capture_output=True, text=True,
                         env=env)
    if out.returncode:
        raise RuntimeError(f'peak memory measurement failed: '
                           f'{out.stderr[-2000:]}')
    res = json.loads(out.stdout.strip().splitlines()[-1])
    gb = res['peak_extra_bytes'] / GB
    return dict(args, peak_gb=sig(gb), peak_gb_per_image=gb / batch,
                seconds=sig(res['seconds']))


def bench_memory(s: Settings) -> dict:
    """GenISP fwd+bwd peak memory per image at ``s.memory_size``: the
    default (fused where it compiles), eager, and with gradient
    checkpointing of the shallow ConvNet."""
    runs = dict(default=peak_memory(s.memory_size, path='auto'),
                eager=peak_memory(s.memory_size, path='eager'),
                checkpoint=peak_memory(s.memory_size, path='auto',
                                       checkpoint=True))
    return dict(size_hw=list(s.memory_size), runs=runs,
                per_image=runs['default']['peak_gb_per_image'])


def bench_eval_overhead(ws: Workspace, root: str, work: str) -> dict:
    """tools/test.py on ``root``'s test split with the trained GenISP
    checkpoint and with the rawpy_isp baseline (same detector config,
    dataloader and threads): mmengine's mean time per test iteration of
    each, and their ratio."""
    from .plans import method_config
    ckpts = sorted(glob.glob(osp.join(work, 'train', 'epoch_*.pth')))
    if not ckpts:
        raise FileNotFoundError(f'no checkpoint in {work}/train')
    runs = {}
    for name, config, ckpt in (('genisp', TRAIN_CONFIG, [ckpts[-1]]),
                               ('rawpy_isp', method_config('rawpy_isp'),
                                [])):
        out_json = osp.join(work, 'eval', name, 'metrics.json')
        cmd = ws.tool('test.py', config, *ckpt, '--work-dir',
                      osp.join(work, 'eval', name), '--metrics-json',
                      out_json, '--cfg-options')
        cmd += _split_options(root, 'test', 'test_dataloader',
                              'test_evaluator')
        if not ckpt and pretrained_detector(ws, config) is None:
            cmd.append('load_from=None')  # timing only
        wall, _ = ws.run(cmd, osp.join(work, 'logs', f'eval_{name}.log'))
        m = _test_epoch_times(osp.join(work, 'eval', name))
        runs[name] = dict(command=ws.shown(cmd), wall_s=round(wall, 1),
                          time_per_iteration_s=sig(m['time']),
                          data_time_per_iteration_s=sig(m['data_time']))
    return dict(runs=runs, test_images=_count_images(root),
                overhead=runs['genisp']['time_per_iteration_s'] /
                runs['rawpy_isp']['time_per_iteration_s'])


def _test_epoch_times(work_dir: str) -> Dict[str, float]:
    """mmengine's mean ``time`` and ``data_time`` per test iteration, from
    the summary line of the newest log in ``work_dir``."""
    import re
    logs = sorted(glob.glob(osp.join(work_dir, '*', '*.log')))
    if not logs:
        raise FileNotFoundError(f'no log in {work_dir}')
    with open(logs[-1]) as f:
        line = [x for x in f if 'Epoch(test)' in x][-1]
    return {k: float(re.search(rf'\b{k}: ([0-9.]+)', line).group(1))
            for k in ('time', 'data_time')}


def _count_images(root: str) -> int:
    with open(osp.join(root, layout.annotation_file(CAMERA, 'test'))) as f:
        return len(json.load(f)['images'])


def dataloader_settings(ws: Workspace, config: str) -> dict:
    from mmengine.config import Config
    d = Config.fromfile(ws.path(config)).train_dataloader
    return dict(batch_size=d.batch_size, num_workers=d.num_workers,
                persistent_workers=d.get('persistent_workers', False))


def pretrained_detector(ws: Workspace, config: str) -> Optional[str]:
    """The config's ``load_from`` if that file exists, else None."""
    from mmengine.config import Config
    load_from = Config.fromfile(ws.path(config)).get('load_from')
    if load_from and osp.isfile(ws.path(load_from)):
        return load_from
    return None


def _split_options(root: str, split: str, loader: str,
                   evaluator: Optional[str] = None) -> List[str]:
    opts = layout.dataloader_options(root, CAMERA, split, loader, evaluator)
    return [f'{k}={v}' for k, v in opts.items()]


def bench_training(ws: Workspace, s: Settings, root: str, work: str) -> dict:
    """Train the default config for one epoch on ``root``'s train split;
    data_time / time per iteration from mmengine's own log."""
    train_dir = osp.join(work, 'train')
    cmd = ws.tool('train.py', TRAIN_CONFIG, '--work-dir', train_dir,
                  '--cfg-options')
    cmd += _split_options(root, 'train', 'train_dataloader')
    cmd += _split_options(root, 'val', 'val_dataloader', 'val_evaluator')
    cmd += ['train_cfg.max_epochs=1', 'default_hooks.logger.interval=1',
            'log_processor.window_size=1']
    detector = pretrained_detector(ws, TRAIN_CONFIG)
    if detector is None:  # timing only: a random detector costs the same
        cmd.append('load_from=None')
    if s.train_batch:
        cmd.append(f'train_dataloader.batch_size={s.train_batch}')
    if not s.validate:
        cmd += ['val_cfg=None', 'val_dataloader=None', 'val_evaluator=None']
    wall, peaks = ws.run(cmd, osp.join(work, 'logs', 'train.log'),
                         TreeMemorySampler.watching(('tools/train.py', )))
    # Training iterations carry a loss; validation summaries do not.
    rows = [r for r in read_scalars(train_dir)
            if 'loss' in r and 'data_time' in r]
    if len(rows) < 2:
        raise RuntimeError(f'{len(rows)} logged iterations; need >= 2')
    data = [r['data_time'] for r in rows]
    total = [r['time'] for r in rows]
    loader = dataloader_settings(ws, TRAIN_CONFIG)
    if s.train_batch:
        loader['batch_size'] = s.train_batch
    return dict(
        config=TRAIN_CONFIG,
        command=ws.shown(cmd),
        dataloader=loader,
        detector_weights=detector or 'random initialisation (no checkpoint)',
        train_images=s.train_images,
        iterations=len(rows),
        data_time_s=[sig(v) for v in data],
        time_s=[sig(v) for v in total],
        fraction_including_first=sig(sum(data) / sum(total)),
        wall_s=round(wall, 1),
        memory=peaks,
        fraction=sum(data[1:]) / sum(total[1:]))


def bench_test_run(ws: Workspace, root: str, work: str) -> dict:
    """tools/test.py of the trained checkpoint on ``root``'s test split."""
    ckpts = sorted(glob.glob(osp.join(work, 'train', 'epoch_*.pth')))
    if not ckpts:
        raise FileNotFoundError(f'no checkpoint in {work}/train')
    cmd = ws.tool('test.py', TRAIN_CONFIG, ckpts[-1], '--work-dir',
                  osp.join(work, 'test'), '--cfg-options')
    cmd += _split_options(root, 'test', 'test_dataloader', 'test_evaluator')
    wall, peaks = ws.run(cmd, osp.join(work, 'logs', 'test.log'),
                         TreeMemorySampler.watching(('tools/test.py', )))
    return dict(command=ws.shown(cmd), wall_s=round(wall, 1), memory=peaks)


def bench_demo(ws: Workspace, root: str, work: str) -> dict:
    """``make demo`` (tools/study.py demo) in folders under ``work``."""
    stages = ('tools/train.py', 'tools/test.py', 'make_synthetic_raw.py')
    cmd = ws.tool('study.py', 'demo', '--data-root', root, '--work-root',
                  osp.join(work, 'demo'))
    wall, peaks = ws.run(cmd, osp.join(work, 'logs', 'demo.log'),
                         TreeMemorySampler.watching(stages))
    return dict(command=ws.shown(cmd), wall_s=round(wall, 1), memory=peaks)



def finite(x) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


def values(figure) -> list:
    """A figure's values: one, or one per size."""
    return list(figure.values()) if isinstance(figure, dict) else [figure]


def verdict(name: str, value: float) -> Optional[bool]:
    op, goal = GOALS[name][:2]
    if op is None:
        return None
    return value >= goal if op == '>=' else value <= goal


def verdicts(name: str, figure):
    """``verdict`` of a figure, per size where it has sizes."""
    if isinstance(figure, dict):
        return {k: verdict(name, v) for k, v in figure.items()}
    return verdict(name, figure)


def _with_unit(value: float, unit: str) -> str:
    return f'{value:.3g}' + {'x': 'x', '': ''}.get(unit, f' {unit}')


def _cases(result: dict):
    """``(name, size, value, holds)`` of every figure with a goal (a figure
    measured at several sizes once per size, ``size`` None otherwise)."""
    for name in GOALS:
        figure, holds = result[name], result['goals'][name]['holds']
        if isinstance(figure, dict):
            for size, value in figure.items():
                yield name, size, value, holds[size]
        else:
            yield name, None, figure, holds


def goals_table(result: dict) -> str:
    """The figures, their goals and verdicts as a Markdown table (a figure
    measured at several sizes has a row per size)."""
    rows = []
    for name, size, value, h in _cases(result):
        op, goal, unit, _ = GOALS[name]
        rows.append([f'`{name}`' + (f' ({size})' if size else ''),
                     _with_unit(value, unit),
                     f'{op} {_with_unit(goal, unit)}' if op else 'reported',
                     '-' if h is None else 'yes' if h else 'no'])
    return markdown.table(['figure', 'value', 'goal', 'holds'], rows)


def missed_goals(r: dict) -> str:
    """Each goal the run misses, with the figures of the same run that
    say why (the generated block ``benchmark-missed`` of
    docs/benchmark.md); a goal without an analysis here is listed as
    missed."""
    d = r['details']
    why = {'isp_time_share_over_mac_share': _why_time_share,
           'isp_eval_overhead': _why_eval_overhead,
           'loader_speedup_cold': _why_loader,
           'demo_peak_rss_gb': _why_demo_rss}
    bullets, close = [], []
    for name, size, value, holds in _cases(r):
        op, goal, unit, _ = GOALS[name]
        figure = (f'`{name}`' + (f' at {size}' if size else '') +
                  f' ({_with_unit(value, unit)}, goal '
                  f'{_with_unit(goal, unit)})')
        if holds is False:
            text = why[name](d, size) if name in why else 'missed.'
            bullets.append(textwrap.fill(f'{figure}: {text}', 76,
                                         initial_indent='* ',
                                         subsequent_indent='  ',
                                         break_on_hyphens=False))
        elif op and holds and abs(value - goal) < 0.1 * goal:
            close.append(figure)
    out = bullets or ['Every goal holds in this run.']
    if close:
        out += ['', textwrap.fill('Held by less than 10% of the goal: ' +
                                  ', '.join(close) + '.', 76)]
    return '\n'.join(out)


def _why_time_share(d: dict, size: str) -> str:
    det = d['detector'][size]
    gmac = det['forward_gmac']
    conv = det['genisp_breakdown']['share']['convolution']
    conv_of_step = conv * det['fraction_of_step']
    return (
        f"GenISP is {det['arithmetic_fraction_forward']:.2g} of the step's "
        f"forward arithmetic ({gmac['genisp']:.4g} of "
        f"{gmac['genisp'] + gmac['detector']:.4g} GMAC) and "
        f"{det['fraction_of_step']:.2g} of its time. Its convolutions are "
        f'{conv:.0%} of its time, and they alone are {conv_of_step:.2g} of '
        f"the step, {conv_of_step / det['arithmetic_fraction_forward']:.2g} "
        "times GenISP's arithmetic share: full-resolution convolutions with "
        '3 and 16 input channels have a low arithmetic intensity, and oneDNN '
        'runs them several times slower per multiply-accumulate than the '
        "detector's 64-2048-channel convolutions. No fusion around them can "
        'bring the ratio under that; a faster convolution for few channels '
        '(a GPU, or a kernel written for it) would.')


def _why_eval_overhead(d: dict, size: Optional[str]) -> str:
    det = d['detector']['320x240']
    gmac = det['forward_gmac']
    floor = (gmac['genisp'] + gmac['detector']) / gmac['detector']
    return (
        f"at 320x240 GenISP's forward arithmetic is {gmac['genisp']:.4g} "
        f"GMAC per batch of {det['batch']} against the slim detector's "
        f"{gmac['detector']:.4g}: the ISP alone is "
        f"{gmac['genisp'] / gmac['detector']:.2g} times the detector. At "
        'equal speed per multiply-accumulate a GenISP row would take '
        f"{floor:.2g} times the detector's compute of a fixed-ISP row (the "
        'fixed-ISP row also waits for `rawpy` and COCO evaluation, which '
        'lowers the measured ratio). The goal cannot be met without '
        "changing the method's definition (the encoders' thumbnail size, "
        "or the shallow ConvNet's width), which the default keeps as the "
        'paper gives them; a smaller thumbnail would first need its AP '
        'measured by the study.')


def _why_loader(d: dict, size: Optional[str]) -> str:
    lo = d['loader']
    sec = lo['seconds_per_image']
    return (
        f"LibRaw's open + unpack is {lo['libraw_share_of_cold']:.0%} of a "
        f"cold load here, and a cold load is {lo['cold_over_floor']:.3g} "
        'times the floor (reading the file and copying the result once). '
        "If everything but LibRaw's unpacking took no time, the ratio would "
        f"be {sec['rawpy_postprocess'] / sec['libraw_unpack']:.3g}x.")


def _why_demo_rss(d: dict, size: Optional[str]) -> str:
    mem = d['demo']['memory']
    stage = max(mem['peak_rss_gb'], key=mem['peak_rss_gb'].get)
    return (
        f"the peak is `{stage}`'s process tree, "
        f"{mem['peak_processes'][stage]} processes (the trainer and the "
        'processes it starts), whose RSS sum counts the pages they share '
        '(the torch libraries) once per process; '
        f"its PSS, which counts them once, is {mem['peak_pss_gb'][stage]:.3g}"
        ' GB.')


def _ms(seconds: float) -> str:
    return f'{seconds * 1000:.4g} ms' if seconds < 1 else f'{seconds:.4g} s'


def markdown_report(r: dict) -> str:
    """Every figure and the measurements behind it, as Markdown (the
    generated part of docs/benchmark.md)."""
    m, d = r['machine'], r['details']
    out = [goals_table(r), '']
    out += [
        f'Command: `{r["command"]}` ({r["settings"]["name"]} run, '
        f'{r["wall_time_s"] / 60:.1f} min; commit {r["commit"]}, '
        f'{r["date"]}).',
        '',
        f'Machine: {m["cpu"]}, {m["usable_cores"]} cores, '
        f'{m["torch_threads"]} torch threads, {m["memory_gb"]} GB; '
        f'device {m["device"]}' + (f' ({m["gpu"]})' if m['gpu'] else '') +
        f'; torch {m["torch"]}, mmdet {m["mmdet"]}, mmcv {m["mmcv"]}, '
        f'OpenCV {m["opencv"]}, rawpy {m["rawpy"]} (LibRaw {m["libraw"]}).',
        '',
        'Load average (1, 5, 15 min) at the start and end of each section: ' +
        '; '.join(f'{k} {v["start"][0]:g} -> {v["end"][0]:g}'
                  for k, v in r['load_average'].items()) + '.',
        '',
        'Section times: ' + ', '.join(f'{k} {v:g} s'
                                      for k, v in r['section_wall_s'].items())
        + '.', ''
    ]
    lo = d['loader']
    sec = lo['seconds_per_image']
    rows = [
        ('`rawpy.postprocess()` (LibRaw defaults)', 'rawpy_postprocess'),
        ('`LoadRawImageFromFile(mode="xyz")`, cold', 'loader_cold'),
        ('the same, cache warm', 'loader_cached'),
        ('LibRaw open + unpack only', 'libraw_unpack'),
        ("read the file's bytes", 'read_bytes'),
        ('copy the decoded array once', 'copy_decoded'),
        ("read the cache entry's bytes", 'read_cache_entry'),
    ]
    out += [
        f'### Loader: {lo["files"]} generated DNGs, '
        f'{lo["raw_size"][0]}x{lo["raw_size"][1]} mosaic, '
        f'{lo["annotated_size"][0]}x{lo["annotated_size"][1]} annotated',
        '', markdown.table(['step', 'per image', 'images/s'],
                           [[label, _ms(sec[k]),
                             f'{lo["images_per_s"][k]:.4g}']
                            for label, k in rows])
    ]
    out += [
        '',
        f'File {lo["file_mb"]} MB; decoded image {lo["decoded_shape"]} '
        f'float32, {lo["decoded_mb"]} MB; cache entry {lo["cache_entry_mb"]}'
        f' MB. Floors: reading the file and copying the decoded array once, '
        f'{_ms(lo["floor_cold_s"])}, for a cold load (which takes '
        f'{lo["cold_over_floor"]:.3g} times that); reading the cache '
        f'entry\'s bytes, {_ms(lo["floor_cached_s"])}, for a cached one '
        f'({lo["cached_over_floor"]:.3g} times that' +
        (': `np.load` reads straight into the array, where reading the '
         'bytes also allocates them' if lo['cached_over_floor'] < 1 else '')
        + f'). LibRaw\'s unpacking is '
        f'{lo["libraw_share_of_cold"]:.0%} of a cold load.', ''
    ]
    ir = d['isp_reference']
    rows = [[f'{v["size_hw"][1]}x{v["size_hw"][0]}', v['batch'],
             v['shallow_path'], _ms(v['seconds_fwd_bwd']['genisp']),
             _ms(v['seconds_fwd_bwd']['genisp_eager']),
             _ms(v['seconds_fwd_bwd']['reference']),
             f'{r["isp_speedup_vs_reference"][k]:.3g}x',
             f'{v["speedup_eager_vs_reference"]:.3g}x',
             'yes' if v['outputs_equal'] else 'NO',
             f'{v["max_abs_difference"]:.2g}']
            for k, v in ir['sizes'].items()]
    out += [
        '### GenISP against its per-image reference, forward + backward',
        '', markdown.table(
            ['size', 'batch', 'shallow path', '`GenISP.forward`',
             'the same, eager path', '`genisp_reference`', 'speedup',
             'speedup (eager)', 'outputs equal', 'largest difference'],
            rows), '',
        f'Outputs equal within rtol {ir["tolerance"]["rtol"]:g}, atol '
        f'{ir["tolerance"]["atol"]:g}. The eager path is the shallow '
        'ConvNet layer by layer (what `GenISP.forward` ran before the fused '
        'path); compiling the fused kernels took '
        f'{ir["compile_seconds"]:.3g} s once' +
        (f'; the compiler failed: {ir["compile_failure"][:200]}'
         if ir['compile_failure'] else '') + '.', ''
    ]
    for key, de in d['detector'].items():
        out += [
            f'### GenISP in a frozen detector\'s train step: '
            f'{de["detector"]}, {key}, batch {de["batch"]}, '
            f'{de["device"]}{", AMP" if de["amp"] else ""}', '',
            f'`{de["config"]}`. Train step '
            f'{_ms(de["seconds"]["train_step"])}; GenISP forward + backward '
            f'{_ms(de["seconds"]["genisp_fwd_bwd"])} (share of the step '
            f'{de["fraction_of_step"]:.3g}); the per-image reference '
            f'{_ms(de["seconds"]["reference_genisp_fwd_bwd"])} (share '
            f'{de["reference_fraction_of_detector_step"]:.3g}). Forward '
            'arithmetic (multiply-accumulates of every convolution and '
            f'linear layer): GenISP {de["forward_gmac"]["genisp"]:.4g} GMAC, '
            f'detector {de["forward_gmac"]["detector"]:.4g} GMAC, so GenISP '
            f'is {de["arithmetic_fraction_forward"]:.2g} of it: time share '
            'over arithmetic share '
            f'{r["isp_time_share_over_mac_share"][key]:.3g}.', ''
        ]
        bd = de.get('genisp_breakdown')
        if bd:
            out.append(markdown.table(
                ['GenISP operators (profiled fwd + bwd)', 'time', 'share'],
                [[k.replace('_', ' '), _ms(v), f'{bd["share"][k]:.0%}']
                 for k, v in bd['seconds'].items()]))
            # The profiled run's shares applied to the timed one.
            conv_share = bd['seconds']['convolution'] / bd['profiled_s']
            conv_fraction = (conv_share * de['seconds']['genisp_fwd_bwd'] /
                             de['seconds']['train_step'])
            out += [
                '',
                f'Its largest activation (64 channels, full resolution, '
                f'batch {de["batch"]}) is {bd["activation_gb"]:.3g} GB; '
                f'copying it once takes {_ms(bd["activation_copy_s"])}, so '
                'instance norm + LeakyReLU (eager or fused) cost as much as '
                f'{bd["norm_and_activation_in_copies"]:.3g} such copies. '
                f'GenISP\'s convolutions alone are {conv_fraction:.2g} of '
                'the step.', ''
            ]
    mem = d['memory']
    out += [
        f'### GenISP peak memory, forward + backward, one '
        f'{mem["size_hw"][1]}x{mem["size_hw"][0]} image', '',
        markdown.table(['shallow ConvNet', 'peak GB', 'seconds'],
                       [[k, f'{v["peak_gb"]:.3g}', f'{v["seconds"]:.3g}']
                        for k, v in mem['runs'].items()]), '',
        'Peak resident memory the step adds, in a fresh process (after a '
        'warm-up step); `checkpoint` is `enhance_cfg=dict(checkpoint=True)`.',
        ''
    ]
    ev = d['evaluation']
    out += [
        f'### Evaluation cost: tools/test.py on {ev["test_images"]} test '
        'images', '',
        markdown.table(['row', 'time per iteration', 'data time', 'wall'],
                       [[k, _ms(v['time_per_iteration_s']),
                         _ms(v['data_time_per_iteration_s']),
                         f'{v["wall_s"]:.4g} s']
                        for k, v in ev['runs'].items()]), '',
        f'Overhead (GenISP over rawpy_isp, per iteration): '
        f'{r["isp_eval_overhead"]:.3g}.', ''
    ]
    tr = d['training']
    dl = tr['dataloader']
    out += [
        f'### Data wait while training `{tr["config"]}`', '',
        f'{tr["iterations"]} iterations, batch {dl["batch_size"]}, '
        f'{dl["num_workers"]} workers (persistent: '
        f'{dl["persistent_workers"]}), detector: {tr["detector_weights"]}. '
        f'data_time {sum(tr["data_time_s"][1:]):.3g} s of '
        f'{sum(tr["time_s"][1:]):.4g} s after the first iteration '
        f'({r["data_wait_fraction"]:.2g}); '
        f'{tr["fraction_including_first"]:.2g} including the first, which '
        'starts the workers.', ''
    ]
    dm = d['demo']
    runs = ([dm] if 'memory' in dm else
            [d['training']] + ([d['test_run']] if 'test_run' in d else []))
    memory = []
    for run in runs:
        mem = run['memory']
        memory += [[f'`{stage}`', f'{rss:.3g} GB',
                    f'{mem["peak_pss_gb"].get(stage, float("nan")):.3g} GB',
                    mem['peak_processes'][stage]]
                   for stage, rss in mem['peak_rss_gb'].items()
                   if stage != 'other']
    out += ['### Memory', '', f'Source: {dm["source"]}.', '',
            markdown.table(['stage', 'peak RSS (sum over processes)',
                            'peak PSS', 'processes'], memory)]
    return '\n'.join(out) + '\n'


def run_benchmark(ws: Workspace, s: Settings, work: str,
                  device: str = 'cpu', amp: bool = False,
                  command: str = '') -> dict:
    """Run every section; returns the result dict (see the module doc)."""
    start = time.time()
    result: dict = {}
    details: dict = {}
    walls: dict = {}
    loads: dict = {}

    def section(name: str, fn):
        log(f'{name} ...')
        loads[name] = dict(start=load_average())
        t0 = time.time()
        out = fn()
        walls[name] = round(time.time() - t0, 1)
        loads[name]['end'] = load_average()
        log(f'{name}: done in {walls[name]:.0f} s')
        return out

    details['loader'] = section('loader', lambda: bench_loader(s, work))
    result['loader_speedup_cold'] = details['loader'].pop('speedup_cold')
    result['loader_speedup_cached'] = details['loader'].pop(
        'speedup_cached')
    details['isp_reference'] = section(
        'isp_reference', lambda: bench_isp_reference(s, device))
    result['isp_speedup_vs_reference'] = {
        k: v.pop('speedup')
        for k, v in details['isp_reference']['sizes'].items()}
    details['detector'] = section('detector',
                                  lambda: bench_detectors(ws, s, device, amp))
    result['isp_time_share_over_mac_share'] = {
        k: v.pop('share_over_mac_share')
        for k, v in details['detector'].items()}
    details['memory'] = section('memory', lambda: bench_memory(s))
    result['isp_peak_memory_gb_per_image'] = details['memory'].pop(
        'per_image')

    data_root = osp.join(work, 'data')
    missing = missing_checkpoints(ws) if s.demo else []
    if s.demo and not missing:
        details['demo'] = section('demo', lambda: bench_demo(ws, data_root,
                                                             work))
        peaks = details['demo']['memory']['peak_rss_gb']
        result['demo_peak_rss_gb'] = max(peaks.get('tools/train.py', 0),
                                         peaks.get('tools/test.py', 0))
        details['demo']['source'] = ('make demo: tools/study.py demo '
                                     '(data, training, testing)')
    else:
        section('data', lambda: [
            generate_raw_split(data_root, split, n, [CAMERA], progress=False)
            for split, n in (('train', s.train_images),
                             ('val', s.val_images),
                             ('test', s.test_images))])
    details['training'] = section('training',
                                  lambda: bench_training(ws, s, data_root, work))
    result['data_wait_fraction'] = details['training'].pop('fraction')
    if 'demo' not in details:
        train_peak = details['training']['memory']['peak_rss_gb']
        test_peak: Dict[str, float] = {}
        if s.test_run:
            details['test_run'] = section(
                'test_run', lambda: bench_test_run(ws, data_root, work))
            test_peak = details['test_run']['memory']['peak_rss_gb']
        result['demo_peak_rss_gb'] = max(
            train_peak.get('tools/train.py', 0),
            test_peak.get('tools/test.py', 0))
        what = (f'a one-epoch train ({s.train_images} images' +
                (f', validation on {s.val_images}' if s.validate else '') +
                ')' + (f' and a test ({s.test_images} images)'
                       if s.test_run else ''))
        why = (f'make demo cannot run here: {", ".join(missing)} absent; '
               if missing else '')
        details['demo'] = dict(
            source=(f'{s.name}: {why}not make demo itself but {what} of '
                    f"{TRAIN_CONFIG} with the demo's dataloader settings "
                    '(tools/study.py demo trains and tests this config '
                    'with them, for 3 epochs)'),
            train_peak_rss_gb=train_peak,
            test_peak_rss_gb=test_peak)

    details['evaluation'] = section(
        'evaluation', lambda: bench_eval_overhead(ws, data_root, work))
    result['isp_eval_overhead'] = details['evaluation'].pop('overhead')

    result['goals'] = {
        name: dict(goal=(f'{op} {goal:g}' if op else None),
                   holds=verdicts(name, result[name]), description=desc)
        for name, (op, goal, _, desc) in GOALS.items()
    }
    for name in GOALS:
        result[name] = ({k: sig(float(v)) for k, v in result[name].items()}
                        if isinstance(result[name], dict) else
                        sig(float(result[name])))
    result.update(
        details=details,
        settings=asdict(s),
        machine=machine_info(device),
        load_average=loads,
        section_wall_s=walls,
        timing=('in-process timings: best of their rounds after a warm-up; '
                "data wait: sums over iterations of mmengine's log; memory: "
                'peaks of /proc samples every 0.2 s'),
        wall_time_s=round(time.time() - start, 1),
        command=command,
        date=now(),
        commit=commit_id(ws.root))
    bad = [k for k in GOALS if not all(map(finite, values(result[k])))]
    if bad:
        raise RuntimeError(f'non-finite figures: {bad}')
    return result


