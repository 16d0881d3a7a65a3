"""tools/study.py: the plans, the goals it reports and the README block."""
import json
import os.path as osp
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(REPO, 'tools'))
import study  # noqa: E402


def _row(method, detector, camera, ap, train=None):
    return dict(method=method, detector=detector, train_camera=train,
                test_camera=camera, AP=ap, AP50=ap * 2, AP75=ap / 2,
                exposure=None)


def test_reproduce_plan_has_every_row_the_study_needs():
    plan = study.reproduce_plan()
    ids = {(r['method'], r['det'], r['test_camera'], r['split'])
           for r in plan.rows}
    assert len(ids) == len(plan.rows), 'duplicate rows'
    for det in study.DETECTORS:
        assert ('well_lit_srgb', det, 'srgb', 'test') in ids
    for cam in plan.cameras:
        for m in study.FIXED + ('genisp', 'genisp_no_cst'):
            assert (m, 'retinanet', cam, 'test') in ids
    for m in ('genisp_no_wb', 'genisp_no_cc', 'genisp_no_enhance'):
        assert (m, 'retinanet', study.CAMERA_A, 'test') in ids
    for det in ('fcos', 'faster-rcnn'):
        for m in study.FIXED + ('genisp', ):
            assert (m, det, study.CAMERA_A, 'test') in ids
    assert set(plan.train) == set(study.TRAINED)
    # trained rows name camera A as their training camera, fixed ones none
    for r in plan.rows:
        assert (r['train_camera'] == study.CAMERA_A) == (
            r['method'] in study.TRAINED)


def test_unseen_detector_row_takes_the_isp_from_the_retinanet_run(tmp_path):
    plan = study.reproduce_plan()
    plan.work_root = str(tmp_path)
    run_dir = tmp_path / 'train' / 'genisp'
    run_dir.mkdir(parents=True)
    (run_dir / 'best_coco_bbox_mAP_epoch_3.pth').write_bytes(b'')
    r = next(r for r in plan.rows
             if (r['method'], r['det']) == ('genisp', 'fcos'))
    cmd = study.row_command(plan, r, 'm.json')
    assert cmd[2] == 'configs/genisp_fcos_raw.py'
    assert ('model.data_preprocessor.isp_checkpoint='
            f'{run_dir}/best_coco_bbox_mAP_epoch_3.pth') in cmd
    # the detector's own weights come from its config (load_from), not from
    # a checkpoint argument
    assert cmd[3] == '--work-dir'


def test_goals_report_the_measured_gaps():
    A, B = study.CAMERA_A, study.CAMERA_B
    rows = [
        _row('well_lit_srgb', 'RetinaNet', 'srgb', 0.40),
        _row('raw_naive', 'RetinaNet', A, 0.01),
        _row('rawpy_isp', 'RetinaNet', A, 0.08),
        _row('classic_isp', 'RetinaNet', A, 0.10),
        _row('genisp', 'RetinaNet', A, 0.20, A),
        _row('genisp', 'RetinaNet', B, 0.17, A),
        _row('genisp_no_cst', 'RetinaNet', A, 0.19, A),
        _row('genisp_no_cst', 'RetinaNet', B, 0.12, A),
        _row('classic_isp', 'RetinaNet', B, 0.15),
        _row('rawpy_isp', 'FCOS', A, 0.05),
        _row('genisp', 'FCOS', A, 0.04, A),
    ]
    text = '\n'.join(study.goals(rows))
    assert 'LibRaw default keeps 20% of the well-lit AP' in text
    assert 'GenISP reaches 50% of the well-lit AP' in text
    assert 'GenISP - best fixed ISP: +10.0 AP points' in text
    assert (f'unseen camera {B}: GenISP -3.0 AP points against camera A '
            '(goal: no worse than -2); genisp_no_cst -7.0; '
            f'GenISP - best fixed ISP on {B} +2.0') in text
    assert 'unseen detector FCOS: GenISP - best fixed ISP -1.0' in text
    table = study.markdown_table(rows)
    assert table.count('\n') == len(rows) + 1
    assert '| genisp | FCOS | SonyRX100M7 | SonyRX100M7 | 0.040 |' in table


def test_val_curve_reads_every_resumed_run(tmp_path):
    plan = study.demo_plan()
    plan.work_root = str(tmp_path)
    for stamp, epochs in (('20260101_000000', (1, 2)),
                          ('20260101_010000', (3, ))):
        d = tmp_path / 'train' / 'genisp' / stamp / 'vis_data'
        d.mkdir(parents=True)
        with open(d / 'scalars.json', 'w') as f:
            for e in epochs:
                f.write(json.dumps(dict(loss=1.0, step=e * 10)) + '\n')
                f.write(json.dumps({'coco/bbox_mAP': e / 10, 'step': e}) +
                        '\n')
    assert study.val_curve(plan, 'genisp') == [0.1, 0.2, 0.3]


def test_update_readme_replaces_only_between_markers(tmp_path, monkeypatch):
    readme = tmp_path / 'README.md'
    readme.write_text(f'head\n{study.README_START}\nold\n{study.README_END}'
                      '\ntail\n')
    monkeypatch.setattr(study, 'REPO', str(tmp_path))
    study.update_readme('new table')
    assert readme.read_text() == (f'head\n{study.README_START}\nnew table\n'
                                  f'{study.README_END}\ntail\n')


def test_shipped_checkpoints_match_the_manifest():
    with open(osp.join(REPO, 'checkpoints', 'manifest.json')) as f:
        manifest = json.load(f)
    assert manifest, 'no shipped detector'
    total = sum(info['size_bytes'] for info in manifest.values())
    assert total <= 25 * 2**20, f'shipped detectors take {total} bytes'
    study.verify_checkpoints()  # exits naming the file on a mismatch
    for info in manifest.values():
        assert 0 < info['well_lit_val_AP'] <= 1


def test_verify_checkpoints_names_a_changed_file(tmp_path, monkeypatch):
    (tmp_path / 'checkpoints').mkdir()
    (tmp_path / 'checkpoints' / 'det.pth').write_bytes(b'changed')
    (tmp_path / 'checkpoints' / 'manifest.json').write_text(
        json.dumps({'det.pth': {'sha256': '0' * 64}}))
    monkeypatch.setattr(study, 'REPO', str(tmp_path))
    with pytest.raises(SystemExit, match='det.pth: sha256'):
        study.verify_checkpoints()


def test_run_all_keeps_order_and_stops_on_a_failure(monkeypatch, tmp_path):
    monkeypatch.setattr(study, 'JOBS', 2)
    assert study.run_all([lambda i=i: i * i for i in range(5)]) == [
        0, 1, 4, 9, 16]
    log = tmp_path / 'fail.log'
    with pytest.raises(SystemExit, match='failed'):
        study.run_all([
            lambda: study.run([sys.executable, '-c', 'pass'],
                              str(tmp_path / 'ok.log')),
            lambda: study.run([sys.executable, '-c', 'raise SystemExit(3)'],
                              str(log)),
        ])
    # each job's torch threads: an equal share of the cores
    monkeypatch.setattr(study.os, 'cpu_count', lambda: 2)
    study.run([sys.executable, '-c',
               'import os; print(os.environ["OMP_NUM_THREADS"])'],
              str(log))
    assert log.read_text() == '1\n'
