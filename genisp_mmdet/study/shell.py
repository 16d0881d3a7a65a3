"""Running this repository's commands: one helper for every stage of the
study and the benchmark.

A :class:`Workspace` is the repository the commands run in and how many
run at once; it is passed to every stage, never kept in module globals.
"""
from __future__ import annotations

import datetime
import json
import os
import os.path as osp
import shlex
import subprocess
import sys
import time
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple


def log(msg: str) -> None:
    print(f'[{datetime.datetime.now():%H:%M:%S}] {msg}', flush=True)


class CommandFailed(RuntimeError):
    """A command exited with an error; the message ends with the tail of its
    log and the log's path."""


def find_repository() -> str:
    """The repository this package is checked out in (the folder above
    ``genisp_mmdet`` that holds ``tools/train.py``)."""
    here = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    if not osp.isfile(osp.join(here, 'tools', 'train.py')):
        raise FileNotFoundError(
            f'{here} holds no tools/train.py: the study and the benchmark '
            'run from a checkout of the genisp-mmdet repository')
    return here


@dataclass
class Workspace:
    """Where commands run and how many at once.

    Attributes:
        root: the repository; relative paths (configs, data, work
            directories) are relative to it.
        jobs: commands run at once by :meth:`run_all`; each gets an equal
            share of the cores as its torch threads.
        python: the interpreter that runs the repository's tools.
    """
    root: str = field(default_factory=find_repository)
    jobs: int = 1
    python: str = sys.executable

    def path(self, *parts: str) -> str:
        return osp.join(self.root, *parts)

    def tool(self, name: str, *args: str) -> List[str]:
        """``python tools/<name> args...``, as a command list."""
        return [self.python, f'tools/{name}', *args]

    def shown(self, cmd: Sequence[str]) -> str:
        """A command as results record it: ``python`` and repository-relative
        paths instead of this machine's."""
        out = []
        for c in cmd:
            if c == self.python:
                c = 'python'
            elif c.startswith(self.root + os.sep):
                c = osp.relpath(c, self.root)
            out.append(c)
        return shlex.join(out)

    def run(self, cmd: Sequence[str], log_path: str,
            monitor: Optional[Callable[[int], object]] = None
            ) -> Tuple[float, object]:
        """Run a command in the repository, its output to ``log_path``.

        Args:
            cmd: the command.
            log_path: where stdout and stderr go (folders are created).
            monitor: called with the child's pid once it started; returns
                an object with ``stop()`` (e.g. a memory sampler), whose
                result is returned.

        Returns:
            wall seconds and the monitor's result (None without one).

        Raises:
            CommandFailed: the command exited with an error.
        """
        log_path = self.path(log_path)
        os.makedirs(osp.dirname(log_path), exist_ok=True)
        log(f'$ {self.shown(cmd)}')
        env = dict(os.environ)
        if self.jobs > 1:
            env['OMP_NUM_THREADS'] = str(
                max(1, (os.cpu_count() or 1) // self.jobs))
        start = time.perf_counter()
        with open(log_path, 'w') as f:
            proc = subprocess.Popen(list(cmd), cwd=self.root, stdout=f,
                                    stderr=subprocess.STDOUT, env=env)
            watcher = monitor(proc.pid) if monitor else None
            rc = proc.wait()
            watched = watcher.stop() if watcher is not None else None
        wall = time.perf_counter() - start
        if rc != 0:
            with open(log_path) as f:
                tail = f.read()[-4000:]
            raise CommandFailed(f'{tail}\nfailed ({rc}): {self.shown(cmd)}\n'
                                f'full log: {log_path}')
        log(f'  done in {wall:.0f} s (log: '
            f'{osp.relpath(log_path, self.root)})')
        return wall, watched

    def run_all(self, tasks: Sequence[Callable[[], object]]) -> List[object]:
        """Call the tasks in order, ``jobs`` at a time, and return their
        results; the first failure stops: the tasks already running finish,
        the others do not start, and the failure is raised."""
        if self.jobs <= 1:
            return [t() for t in tasks]
        pool = ThreadPoolExecutor(self.jobs)
        futures = [pool.submit(t) for t in tasks]
        wait(futures, return_when=FIRST_EXCEPTION)
        pool.shutdown(wait=True, cancel_futures=True)
        for f in futures:
            if not f.cancelled() and f.exception() is not None:
                raise f.exception()
        return [f.result() for f in futures]


def cfg_options(options: Dict[str, object]) -> List[str]:
    """``--cfg-options k=v ...`` for a tools/ command (none if empty)."""
    if not options:
        return []
    return ['--cfg-options'] + [f'{k}={v}' for k, v in options.items()]


def read_scalars(work_dir: str) -> List[dict]:
    """Every record of mmengine's ``scalars.json`` under a work directory,
    over all its runs (a resumed training has one folder per run), in run
    order."""
    import glob
    records = []
    for path in sorted(
            glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            records += [json.loads(line) for line in f if line.strip()]
    return records


def write_json(path: str, data) -> None:
    """Write JSON atomically (a killed run never leaves half a file)."""
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    with open(path + '.tmp', 'w') as f:
        json.dump(data, f, indent=2)
        f.write('\n')
    os.replace(path + '.tmp', path)


def now() -> str:
    return datetime.datetime.now().isoformat(timespec='seconds')
