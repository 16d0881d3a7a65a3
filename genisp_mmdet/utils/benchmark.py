"""Measuring tools of ``tools/benchmark.py`` (as mmdet keeps its own in
``mmdet/utils/benchmark.py``): timers, a multiply-accumulate counter, a
process-tree memory sampler, and what the machine is."""
from __future__ import annotations

import os
import platform
import threading
import time
from typing import Callable, Dict, List, Optional, Sequence

from .provenance import cpu_model

GB = 1024**3


def sig(x: float, digits: int = 4) -> float:
    """``x`` rounded to ``digits`` significant digits (timings span
    microseconds to minutes)."""
    return float(f'{x:.{digits}g}')


def per_item(fn: Callable[[object], object], items: Sequence) -> float:
    """Mean seconds of ``fn(item)`` over ``items``."""
    start = time.perf_counter()
    for x in items:
        fn(x)
    return (time.perf_counter() - start) / len(items)


def best_of(rounds: int, fn: Callable[[], float], warmup: int = 1) -> float:
    """The smallest of ``rounds`` timings ``fn()`` (seconds) after
    ``warmup`` untimed calls: other work on the machine only ever adds
    time."""
    for _ in range(warmup):
        fn()
    return min(fn() for _ in range(rounds))


def sync(device: str) -> None:
    """Wait for the device's queued work (timings on a GPU)."""
    import torch
    if device == 'cuda':
        torch.cuda.synchronize()


def load_average() -> List[float]:
    return [round(v, 2) for v in os.getloadavg()]


def _meminfo(key: str) -> int:
    with open('/proc/meminfo') as f:
        for line in f:
            if line.startswith(key + ':'):
                return int(line.split()[1]) * 1024
    return 0


def machine_info(device: str) -> dict:
    """CPU, cores, torch threads, memory, GPU and library versions."""
    import cv2
    import numpy as np
    import rawpy
    import torch
    info = dict(
        cpu=cpu_model(),
        logical_cores=os.cpu_count(),
        usable_cores=len(os.sched_getaffinity(0)),
        torch_threads=torch.get_num_threads(),
        opencv_threads=cv2.getNumThreads(),
        memory_gb=round(_meminfo('MemTotal') / GB, 1),
        python=platform.python_version(),
        torch=torch.__version__,
        numpy=np.__version__,
        opencv=cv2.__version__,
        rawpy=rawpy.__version__,
        libraw='.'.join(map(str, rawpy.libraw_version)),
        device=device,
        gpu=(torch.cuda.get_device_name() if device == 'cuda' else None))
    for name in ('mmengine', 'mmcv', 'mmdet'):
        try:
            info[name] = __import__(name).__version__
        except ImportError:
            info[name] = None
    return info


class MacCounter:
    """Counts the multiply-accumulates of every ``Conv2d`` and ``Linear``
    forward call in a model (forward hooks), by name prefix, leaving out
    modules under ``exclude``.

    Args:
        model: the module.
        groups: group name -> module-name prefix ('' for all).
        exclude: a module-name prefix not counted.
    """

    def __init__(self, model, groups: Dict[str, str],
                 exclude: Optional[str] = None):
        from torch import nn
        self.macs = {name: 0 for name in groups}
        self.handles = []
        for mod_name, mod in model.named_modules():
            if not isinstance(mod, (nn.Conv2d, nn.Linear)) or (
                    exclude and mod_name.startswith(exclude)):
                continue
            group = next((g for g, prefix in groups.items()
                          if mod_name.startswith(prefix)), None)
            if group is not None:
                self.handles.append(mod.register_forward_hook(
                    lambda m, i, o, g=group: self._count(g, m, o)))

    def _count(self, group: str, module, output) -> None:
        from torch import nn
        if isinstance(module, nn.Conv2d):
            k = module.kernel_size[0] * module.kernel_size[1]
            self.macs[group] += (output.numel() * k * module.in_channels //
                                 module.groups)
        else:
            self.macs[group] += output.numel() * module.in_features

    def remove(self) -> Dict[str, int]:
        """Stop counting; the counts by group."""
        for h in self.handles:
            h.remove()
        return self.macs


def _children_map() -> Dict[int, List[int]]:
    children: Dict[int, List[int]] = {}
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open(f'/proc/{name}/stat') as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(')') + 2:].split()[1])
        children.setdefault(ppid, []).append(int(name))
    return children


def process_tree(root: int) -> List[int]:
    """``root`` and all its descendants."""
    children = _children_map()
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += children.get(pid, [])
    return out


def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ''


class TreeMemorySampler(threading.Thread):
    """Samples the resident memory (RSS, and PSS, which splits shared
    pages between processes) of a process tree from /proc, grouped by
    stage: the first of ``stages`` found in a command line of the tree.
    Start it with :meth:`start`; :meth:`stop` returns the peaks.

    Args:
        root: pid of the tree's root.
        stages: substrings of command lines naming a stage.
        interval: seconds between RSS samples; PSS every 5th sample.
    """

    def __init__(self, root: int, stages: Sequence[str] = (),
                 interval: float = 0.2):
        super().__init__(daemon=True)
        self.root = root
        self.stages = stages
        self.interval = interval
        self.peak_rss: Dict[str, int] = {}
        self.peak_pss: Dict[str, int] = {}
        self.peak_processes: Dict[str, int] = {}
        self.samples = 0
        self._halt = threading.Event()
        self._page = os.sysconf('SC_PAGE_SIZE')

    @classmethod
    def watching(cls, stages: Sequence[str] = ()):
        """A monitor for :meth:`Workspace.run`: samples the started
        command's tree."""

        def start(pid: int) -> 'TreeMemorySampler':
            sampler = cls(pid, stages)
            sampler.start()
            return sampler

        return start

    def stage_of(self, pids: Sequence[int]) -> str:
        cmdlines = [_read(f'/proc/{p}/cmdline').replace('\0', ' ')
                    for p in pids]
        for stage in self.stages:
            if any(stage in c for c in cmdlines):
                return stage
        return 'other'

    def sample(self) -> None:
        pids = process_tree(self.root)
        stage = self.stage_of(pids)
        rss = 0
        for p in pids:
            statm = _read(f'/proc/{p}/statm').split()
            if len(statm) > 1:
                rss += int(statm[1]) * self._page
        self.peak_rss[stage] = max(self.peak_rss.get(stage, 0), rss)
        self.peak_processes[stage] = max(self.peak_processes.get(stage, 0),
                                         len(pids))
        if self.samples % 5 == 0:
            pss = 0
            for p in pids:
                for line in _read(f'/proc/{p}/smaps_rollup').splitlines():
                    if line.startswith('Pss:'):
                        pss += int(line.split()[1]) * 1024
            self.peak_pss[stage] = max(self.peak_pss.get(stage, 0), pss)
        self.samples += 1

    def run(self) -> None:
        while not self._halt.is_set():
            self.sample()
            self._halt.wait(self.interval)

    def stop(self) -> dict:
        self._halt.set()
        self.join()
        return dict(peak_rss_gb={k: round(v / GB, 3)
                                 for k, v in self.peak_rss.items()},
                    peak_pss_gb={k: round(v / GB, 3)
                                 for k, v in self.peak_pss.items()},
                    peak_processes=self.peak_processes,
                    samples=self.samples,
                    interval_s=self.interval)
