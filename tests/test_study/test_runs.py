"""The study's commands over a work directory: the committed study put
back from results/ rebuilds the same results/ and README blocks."""
import json
import shutil

from genisp_mmdet.study import Workspace, markdown, runs
from genisp_mmdet.study.plans import reproduce_plan
from genisp_mmdet.study.stages import load_probes, load_rows, val_curve

from ..conftest import REPO


def _block(path, name):
    with open(path) as f:
        text = f.read()
    start, end = markdown.markers(name)
    return text[text.index(start):text.index(end)]


def test_the_committed_study_restored_rebuilds_its_results(tmp_path):
    shutil.copytree(f'{REPO}/results', tmp_path / 'results')
    shutil.copy(f'{REPO}/README.md', tmp_path / 'README.md')
    ws = Workspace(root=str(tmp_path))
    written = runs.restore(ws)
    plan = reproduce_plan([0, 1, 2])
    with open(f'{REPO}/results/synthetic_benchmark.json') as f:
        main = json.load(f)
    with open(f'{REPO}/results/light_sweeps.json') as f:
        sweeps = json.load(f)
    assert written['rows'] == len(main) + len(sweeps) > 0
    assert written['curves'] > 0 and written['probes'] > 0
    assert len(load_rows(ws, plan)) == written['rows']
    assert val_curve(ws, plan, 'genisp', 0)
    assert len(load_probes(ws, plan)) == written['probes']
    # restoring twice writes nothing: what the work directory holds is kept
    assert sum(runs.restore(ws).values()) == 0

    runs.reproduce_report(ws)
    for name in ('synthetic_benchmark.json', 'light_sweeps.json',
                 'global_stages.json', 'reproduce_run.json',
                 'synthetic_benchmark.md', 'val_curves.json'):
        with open(tmp_path / 'results' / name) as a, \
                open(f'{REPO}/results/{name}') as b:
            assert a.read() == b.read(), name
    for block in ('synthetic-benchmark', 'global-stages'):
        assert (_block(tmp_path / 'README.md', block) ==
                _block(f'{REPO}/README.md', block)), block
