"""The shipped detectors match their manifest; a changed file is named."""
import json

import pytest

from genisp_mmdet.study import pretrain
from genisp_mmdet.study.shell import Workspace

from ..conftest import REPO


def test_shipped_checkpoints_match_the_manifest():
    ws = Workspace(root=REPO)
    manifest = pretrain.read_manifest(ws)
    assert manifest, 'no shipped detector'
    total = sum(info['size_bytes'] for info in manifest.values())
    assert total <= 25 * 2**20, f'shipped detectors take {total} bytes'
    pretrain.verify_checkpoints(ws)  # raises naming the file on a mismatch
    for info in manifest.values():
        assert 0 < info['well_lit_val_AP'] <= 1
    assert pretrain.missing_checkpoints(ws) == []
    assert pretrain.detectors_table(ws).count('\n') == len(manifest) + 1


def test_verify_checkpoints_names_a_changed_or_missing_file(tmp_path):
    ws = Workspace(root=str(tmp_path))
    (tmp_path / 'checkpoints').mkdir()
    (tmp_path / 'checkpoints' / 'det.pth').write_bytes(b'changed')
    (tmp_path / 'checkpoints' / 'manifest.json').write_text(
        json.dumps({'det.pth': {'sha256': '0' * 64}}))
    with pytest.raises(pretrain.ManifestMismatch, match='det.pth: sha256'):
        pretrain.verify_checkpoints(ws)
    (tmp_path / 'checkpoints' / 'det.pth').unlink()
    with pytest.raises(pretrain.ManifestMismatch, match='det.pth is absent'):
        pretrain.verify_checkpoints(ws)
    assert pretrain.missing_checkpoints(ws) == ['checkpoints/det.pth']
