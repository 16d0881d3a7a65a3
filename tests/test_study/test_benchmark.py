"""The benchmark at tiny sizes, through tools/benchmark.py: every figure is
written, finite, with the machine, command, date and commit; the memory
sampler sees a process tree; the MAC counter counts."""
import importlib.util
import json
import math
import os
import subprocess
import sys
import time

import pytest

from genisp_mmdet.study import benchmark as bench
from genisp_mmdet.study.markdown import markers
from genisp_mmdet.utils.benchmark import MacCounter, TreeMemorySampler

from ..conftest import REPO


def _tool():
    """tools/benchmark.py, the command line, as a module (it is a script,
    not part of the package)."""
    spec = importlib.util.spec_from_file_location(
        'benchmark_tool', os.path.join(REPO, 'tools', 'benchmark.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_figure_is_written_and_finite(tmp_path, monkeypatch):
    # One thread, here and in the training subprocess: at these sizes,
    # thread synchronisation on a busy machine would dominate.
    import torch
    monkeypatch.setenv('OMP_NUM_THREADS', '1')
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        _run_tiny(tmp_path)
    finally:
        torch.set_num_threads(threads)


def _run_tiny(tmp_path):
    tool = _tool()
    tiny = bench.Settings(
        name='tiny', raw_size=(96, 64), annotated_size=(92, 60),
        loader_files=1, loader_rounds=1, isp_sizes=((32, 48, 2), ),
        isp_rounds=1, isp_resize=32,
        det_runs=((bench.TRAIN_CONFIG, 64, 96, 1), ), det_steps=1,
        memory_size=(64, 96),
        train_images=2, test_images=1, train_batch=1, validate=False,
        test_run=False, demo=False)
    out = tmp_path / 'benchmark.json'
    tool.main(['--json', str(out), '--work-dir', str(tmp_path / 'work')],
              settings=tiny)
    result = json.loads(out.read_text())
    for key in bench.GOALS:
        for value in bench.values(result[key]):
            assert isinstance(value, float) and math.isfinite(value), key
        assert key in result['goals'], key
    # Per-size figures are keyed by their size, with a verdict each.
    assert set(result['isp_speedup_vs_reference']) == {'48x32'}
    assert set(result['isp_time_share_over_mac_share']) == {'96x64'}
    assert set(result['goals']['isp_speedup_vs_reference']['holds']) == {
        '48x32'}
    evaluation = result['details']['evaluation']
    assert evaluation['test_images'] == 1
    assert all(r['time_per_iteration_s'] > 0
               for r in evaluation['runs'].values())
    assert set(evaluation['runs']) == {'genisp', 'rawpy_isp'}
    memory = result['details']['memory']['runs']
    assert all(v['peak_gb'] > 0 for v in memory.values())
    assert result['settings']['name'] == 'tiny'
    for key in ('cpu', 'usable_cores', 'torch_threads'):
        assert result['machine'][key], key
    assert result['command'].startswith('python tools/benchmark.py')
    assert result['date'] and result['commit'] and result['wall_time_s'] > 0
    assert all(v['outputs_equal'] for v in
               result['details']['isp_reference']['sizes'].values())
    loader = result['details']['loader']['seconds_per_image']
    assert all(v > 0 for v in loader.values())
    assert result['details']['training']['iterations'] >= 2
    assert 'not make demo itself' in result['details']['demo']['source']
    assert 0 < result['demo_peak_rss_gb'] < 64
    report = bench.markdown_report(result)
    assert all(f'`{key}`' in report for key in bench.GOALS)


def test_memory_sampler_sums_the_process_tree():
    """A child that allocates ~200 MB inside a parent is counted."""
    code = ('import subprocess, sys; subprocess.run([sys.executable, "-c", '
            '"import time; b = bytearray(200 * 2**20); time.sleep(1.5)"])')
    proc = subprocess.Popen([sys.executable, '-c', code])
    sampler = TreeMemorySampler(proc.pid, stages=('bytearray', ),
                                     interval=0.05)
    sampler.start()
    proc.wait()
    time.sleep(0.1)
    peaks = sampler.stop()
    assert peaks['peak_rss_gb']['bytearray'] > 0.19
    assert peaks['peak_processes']['bytearray'] >= 2


def test_mac_counter_counts_convolutions_and_linear_layers():
    import torch
    from torch import nn
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.Flatten(),
                          nn.Linear(8 * 4 * 4, 5))
    counter = MacCounter(model, dict(all=''))
    model(torch.zeros(2, 3, 4, 4))
    assert counter.remove() == dict(all=2 * (8 * 16 * 27 + 5 * 128))


def test_peak_memory_sees_the_widest_activation():
    """One 256x256 image, eager: the step holds at least the 64-channel
    activation (16 MiB) at its peak."""
    res = bench.peak_memory((256, 256), batch=1, path='eager', threads=1)
    activation_gb = 64 * 256 * 256 * 4 / 1024**3
    assert activation_gb <= res['peak_gb'] < 2
    assert res['peak_gb_per_image'] == pytest.approx(res['peak_gb'],
                                                     rel=1e-3)


def test_committed_docs_are_the_committed_results_rendered(tmp_path):
    """docs/benchmark.md's generated blocks are what `tools/benchmark.py
    --render results/benchmark.json --update-doc` writes: no figure in
    them is typed in; each missed goal is listed with its analysis."""
    import shutil
    results = os.path.join(REPO, 'results', 'benchmark.json')
    for committed in ('docs/benchmark.md', 'README.md'):
        doc = tmp_path / os.path.basename(committed)
        shutil.copy(os.path.join(REPO, committed), doc)
        with open(doc) as f:
            assert markers('benchmark-missed')[0] in f.read(), committed
        _tool().main(['--render', results, '--update-doc', str(doc)])
        with open(os.path.join(REPO, committed)) as f:
            assert doc.read_text() == f.read(), committed
    with open(results) as f:
        result = json.load(f)
    missed = bench.missed_goals(result).split('Held by less than')[0]
    for name, verdict in result['goals'].items():
        cases = verdict['holds'].values() if isinstance(
            verdict['holds'], dict) else [verdict['holds']]
        assert (f'`{name}`' in missed) == (False in cases), name
    # a run where every goal holds says so
    held = json.loads(json.dumps(result))
    for verdict in held['goals'].values():
        verdict['holds'] = ({k: True for k in verdict['holds']} if isinstance(
            verdict['holds'], dict) else True)
    assert bench.missed_goals(held).startswith('Every goal holds')
