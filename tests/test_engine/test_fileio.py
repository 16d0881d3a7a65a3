"""genisp_mmdet.engine.fileio: atomic_write replaces the target in one step
(never writes into it), cleans up after a failed write, keeps the umask's
permissions; stale_partial_files finds what killed writes left; the
``atomic_local`` backend reaches mmengine's file I/O."""
import os

import pytest
from mmengine import fileio

import genisp_mmdet  # noqa: F401
from genisp_mmdet.engine.fileio import (AtomicLocalBackend, atomic_write,
                                        stale_partial_files)
from .toy import file_with_hard_link


def test_atomic_write_replaces_the_file_without_writing_into_it(tmp_path):
    target = tmp_path / 'epoch_1.pth'
    link = file_with_hard_link(target, b'previous version')
    data = os.urandom(3_000_000)
    atomic_write(data, target)
    assert target.read_bytes() == data
    assert link.read_bytes() == b'previous version'
    assert stale_partial_files(tmp_path) == []
    assert sorted(os.listdir(tmp_path)) == ['epoch_1.pth', 'epoch_1.pth.link']


def test_atomic_write_creates_missing_folders(tmp_path):
    target = tmp_path / 'a' / 'b' / 'ckpt.pth'
    atomic_write(b'x', str(target))
    assert target.read_bytes() == b'x'


def test_atomic_write_keeps_the_umask_permissions(tmp_path):
    """0o666 less the umask, as ``open`` gives (``mkstemp`` gives 0o600,
    unreadable for the group that shares a work directory)."""
    old = os.umask(0o027)
    try:
        atomic_write(b'x', tmp_path / 'f')
    finally:
        os.umask(old)
    assert (tmp_path / 'f').stat().st_mode & 0o777 == 0o640


def test_failed_write_leaves_previous_file_and_no_temporary(tmp_path):
    target = tmp_path / 'last_checkpoint'
    target.write_bytes(b'epoch_1.pth')
    with pytest.raises(TypeError):
        atomic_write('not bytes', target)
    assert target.read_bytes() == b'epoch_1.pth'
    assert stale_partial_files(tmp_path) == []

    # The rename itself fails: a folder holds the name.
    (tmp_path / 'epoch_2.pth').mkdir()
    with pytest.raises(IsADirectoryError):
        atomic_write(b'data', tmp_path / 'epoch_2.pth')
    assert (tmp_path / 'epoch_2.pth').is_dir()
    assert sorted(os.listdir(tmp_path)) == ['epoch_2.pth', 'last_checkpoint']


def test_stale_partial_files_lists_only_hidden_partial_files(tmp_path):
    names = ['.epoch_2.pth.0123456789ab.partial', '.a.partial',
             'epoch_1.pth', 'visible.partial', '.epoch_3.pth.partial.bak']
    for name in names:
        (tmp_path / name).write_bytes(b'')
    (tmp_path / 'sub').mkdir()
    (tmp_path / 'sub' / '.x.partial').write_bytes(b'')
    assert stale_partial_files(tmp_path) == [
        str(tmp_path / '.a.partial'),
        str(tmp_path / '.epoch_2.pth.0123456789ab.partial')
    ]
    assert stale_partial_files(tmp_path / 'absent') == []


def test_atomic_local_backend_through_mmengine_fileio(tmp_path):
    args = dict(backend='atomic_local')
    path = tmp_path / 'ckpt.bin'
    assert isinstance(fileio.get_file_backend(path, backend_args=args),
                      AtomicLocalBackend)
    link = file_with_hard_link(path, b'old')
    fileio.put(b'new bytes', path, backend_args=args)
    assert fileio.get(path, backend_args=args) == b'new bytes'
    assert link.read_bytes() == b'old'

    text = tmp_path / 'pointer'
    text_link = file_with_hard_link(text, b'old')
    fileio.put_text('caf\u00e9', text, backend_args=args)
    assert text.read_bytes() == 'caf\u00e9'.encode('utf-8')
    assert text_link.read_bytes() == b'old'
    AtomicLocalBackend().put_text('caf\u00e9', text, encoding='latin-1')
    assert text.read_bytes() == b'caf\xe9'
    assert stale_partial_files(tmp_path) == []
