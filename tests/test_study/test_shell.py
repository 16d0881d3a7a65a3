"""Running commands: logs, failures, jobs at a time, thread shares; the
README block splicing and Markdown tables."""
import json
import sys
import time

import pytest

from genisp_mmdet.study import markdown
from genisp_mmdet.study.shell import (CommandFailed, Workspace, read_scalars,
                                      write_json)


def test_run_writes_the_log_and_names_the_failure(tmp_path):
    ws = Workspace(root=str(tmp_path))
    wall, _ = ws.run([sys.executable, '-c', 'print("hello")'], 'logs/ok.log')
    assert (tmp_path / 'logs' / 'ok.log').read_text() == 'hello\n'
    assert wall > 0
    with pytest.raises(CommandFailed, match=r'boom[\s\S]*failed \(3\)'):
        ws.run([sys.executable, '-c',
                'import sys; print("boom"); sys.exit(3)'], 'logs/bad.log')


def test_shown_commands_are_repository_relative(tmp_path):
    ws = Workspace(root=str(tmp_path))
    cmd = ws.tool('test.py', str(tmp_path / 'configs' / 'a.py'), 'x y')
    assert ws.shown(cmd) == "python tools/test.py configs/a.py 'x y'"


def test_run_all_keeps_order_and_stops_on_a_failure(tmp_path, monkeypatch):
    ws = Workspace(root=str(tmp_path), jobs=2)
    assert ws.run_all([lambda i=i: i * i for i in range(5)]) == [
        0, 1, 4, 9, 16]
    started = []

    def fail():
        raise CommandFailed('first task')

    def later(i):
        started.append(i)
        time.sleep(0.2)

    with pytest.raises(CommandFailed, match='first task'):
        ws.run_all([fail] + [lambda i=i: later(i) for i in range(6)])
    assert len(started) <= 2, started
    # each job's torch threads: an equal share of the cores
    monkeypatch.setattr('os.cpu_count', lambda: 2)
    ws.run([sys.executable, '-c',
            'import os; print(os.environ["OMP_NUM_THREADS"])'], 'threads.log')
    assert (tmp_path / 'threads.log').read_text() == '1\n'


def test_read_scalars_reads_every_resumed_run(tmp_path):
    for stamp, steps in (('20260101_000000', (1, 2)),
                         ('20260101_010000', (3, ))):
        d = tmp_path / stamp / 'vis_data'
        d.mkdir(parents=True)
        (d / 'scalars.json').write_text(''.join(
            json.dumps({'coco/bbox_mAP': s / 10, 'step': s}) + '\n'
            for s in steps))
    assert [r['step'] for r in read_scalars(str(tmp_path))] == [1, 2, 3]


def test_write_json_leaves_no_temporary_file(tmp_path):
    write_json(str(tmp_path / 'a' / 'b.json'), {'x': 1})
    assert json.loads((tmp_path / 'a' / 'b.json').read_text()) == {'x': 1}
    assert [p.name for p in (tmp_path / 'a').iterdir()] == ['b.json']


def test_splice_replaces_only_between_markers(tmp_path):
    start, end = markdown.markers('block')
    readme = tmp_path / 'README.md'
    readme.write_text(f'head\n{start}\nold\n{end}\ntail\n')
    markdown.splice(str(readme), 'block', 'new table\n')
    assert readme.read_text() == f'head\n{start}\nnew table\n{end}\ntail\n'
    with pytest.raises(ValueError, match='no <!-- other:start -->'):
        markdown.splice(str(readme), 'other', 'x')
    assert readme.read_text() == f'head\n{start}\nnew table\n{end}\ntail\n'


def test_table():
    assert markdown.table(['a', 'b'], [[1, 'x'], [2.5, None]]) == (
        '| a | b |\n|---|---|\n| 1 | x |\n| 2.5 | None |')
