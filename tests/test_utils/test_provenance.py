"""commit_id: the short HEAD of a real git repository, ``-dirty`` only for
changes (untracked files included) under genisp_mmdet/, configs/ or
tools/, ``unknown`` outside git or without git; cpu_model: the CPU's
name."""
import os
import subprocess

import pytest

from genisp_mmdet.utils.provenance import commit_id, cpu_model


def _git(repo, *args):
    return subprocess.run(
        ['git', '-c', 'user.name=t', '-c', 'user.email=t@example.org',
         *args], cwd=repo, check=True, capture_output=True,
        text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A repository with README.md and one file in each watched folder."""
    monkeypatch.setenv('GIT_CEILING_DIRECTORIES', str(tmp_path))
    root = tmp_path / 'repo'
    for name in ('README.md', 'genisp_mmdet/a.py', 'configs/c.py',
                 'tools/t.py'):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text('x\n')
    _git(root, 'init', '-q')
    _git(root, 'add', '-A')
    _git(root, 'commit', '-q', '-m', 'first')
    return root


def test_commit_id_is_the_short_head(repo):
    head = _git(repo, 'rev-parse', '--short', 'HEAD')
    assert len(head) >= 7
    assert commit_id(str(repo)) == head
    (repo / 'README.md').write_text('changed\n')  # outside the watched set
    (repo / 'notes.txt').write_text('new\n')
    assert commit_id(str(repo)) == head


@pytest.mark.parametrize('change', ['modified', 'untracked', 'deleted'])
def test_changes_in_package_configs_or_tools_mark_it_dirty(repo, change):
    head = _git(repo, 'rev-parse', '--short', 'HEAD')
    if change == 'modified':
        (repo / 'configs' / 'c.py').write_text('y\n')
    elif change == 'untracked':
        (repo / 'genisp_mmdet' / 'new.py').write_text('y\n')
    else:
        os.remove(repo / 'tools' / 't.py')
    assert commit_id(str(repo)) == head + '-dirty'


def test_commit_id_is_unknown_outside_git_or_without_it(tmp_path,
                                                         monkeypatch):
    monkeypatch.setenv('GIT_CEILING_DIRECTORIES', str(tmp_path))
    (tmp_path / 'plain').mkdir()
    assert commit_id(str(tmp_path / 'plain')) == 'unknown'
    assert commit_id(str(tmp_path / 'absent')) == 'unknown'
    monkeypatch.setenv('PATH', str(tmp_path / 'plain'))  # no git on PATH
    assert commit_id(str(tmp_path)) == 'unknown'


def test_cpu_model_names_the_cpu():
    name = cpu_model()
    assert name and name == name.strip()
    names = []
    if os.path.exists('/proc/cpuinfo'):
        with open('/proc/cpuinfo') as f:
            names = [line.split(':', 1)[1].strip() for line in f
                     if line.startswith('model name')]
    if names:
        assert name == names[0]
