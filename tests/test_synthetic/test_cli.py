"""tools/make_synthetic_raw.py: camera list and a small run."""
import importlib.util
import json
import os

import pytest

from genisp_mmdet.synthetic import CAMERAS

_TOOL = os.path.join(os.path.dirname(__file__), '..', '..', 'tools',
                     'make_synthetic_raw.py')


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location('make_synthetic_raw',
                                                  _TOOL)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_list_cameras(tool, capsys):
    tool.main(['--list-cameras'])
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[0] for line in lines] == list(CAMERAS)


def test_small_run(tool, tmp_path, capsys):
    tool.main([
        '--out', str(tmp_path), '--split', 'srgb_pretrain', 'val',
        '--num-images', '2', '--camera', 'NikonD750', '--width', '64',
        '--height', '48', '--exposure', '0.05', '0.05', '--no-noise',
        '--no-progress', '--workers', '1'
    ])
    printed = capsys.readouterr().out.split()
    assert len(printed) == 3 and all(os.path.isfile(p) for p in printed)
    data = json.load(open(tmp_path / 'annotations' / 'NikonD750' /
                          'NikonD750_val.json'))
    assert [im['exposure'] for im in data['images']] == [0.05, 0.05]
    assert all(im['shot_noise'] is None for im in data['images'])
    assert len(os.listdir(tmp_path / 'NikonD750' / 'raw_images')) == 2


@pytest.mark.parametrize('argv', [
    ['--out', 'x'],
    ['--num-images', '2'],
    ['--out', 'x', '--source', 'a.json', '--image-root', '.', '--split',
     'srgb_pretrain'],
])
def test_bad_arguments(tool, argv):
    with pytest.raises(SystemExit):
        tool.parse_args(argv)
