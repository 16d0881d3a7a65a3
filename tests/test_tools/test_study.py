"""tools/study.py: the plans, the goals it reports and the README block."""
import json
import os.path as osp
import sys
import time

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


def test_long_plan_trains_genisp_with_the_config_schedule_on_study_data():
    long, study_plan = study.long_plan(), study.reproduce_plan()
    # the schedule of configs/_base_/schedules/genisp_adam.py
    assert (long.epochs, long.milestones) == (12, [8, 11])
    assert (long.data_root, long.counts, long.cameras) == (
        study_plan.data_root, study_plan.counts, study_plan.cameras)
    assert long.work_root != study_plan.work_root
    assert long.train == ['genisp'] and long.exposures == []
    assert [(r['method'], r['test_camera'], r['split'])
            for r in long.rows] == [('genisp', study.CAMERA_A, 'test')]
    cmd = study.shown(study.train_command(long, 'genisp'))
    assert cmd.startswith('python tools/train.py configs/genisp_retinanet_raw')
    assert 'train_cfg.max_epochs=12' in cmd
    assert "'param_scheduler.1.milestones=[8,11]'" in cmd


def test_long_line_reports_share_of_well_lit_and_curve():
    long = dict(AP=0.264, epochs=12, milestones=[8, 11],
                val_curve=[0.17, 0.2115, 0.302], run=dict(minutes=33.5))
    line = study.long_line(long, 0.33)
    assert 'test AP 0.264 = 80% of the well-lit AP' in line
    assert '12 epochs, x0.1 after epochs 8, 11' in line
    assert '33.5 min' in line
    assert line.endswith('0.170 -> 0.211 -> 0.302')
    assert 'well-lit' not in study.long_line(long, None)


def test_equal_photon_rows_scale_exposure_by_pixel_area():
    from genisp_mmdet.synthetic import CAMERAS, NIGHT
    plan = study.reproduce_plan()
    A, B = study.CAMERA_A, study.CAMERA_B
    lo, hi = study.equal_photon_exposure(B)
    area = (CAMERAS[A].pixel_um / CAMERAS[B].pixel_um)**2
    assert area < 0.2  # camera B's pixels are much larger
    assert (lo, hi) == pytest.approx(
        (NIGHT.exposure[0] * area, NIGHT.exposure[1] * area))
    # shot-noise variance per unit of signal, shot(ISO) / exposure, is then
    # camera A's at the same ISO
    assert CAMERAS[B].shot_noise(800) / lo == pytest.approx(
        CAMERAS[A].shot_noise(800) / NIGHT.exposure[0])
    ids = {(r['method'], r['test_camera'], r['split']) for r in plan.rows}
    for cam in (B, study.CAMERA_C):
        for m in study.FIXED + ('genisp', 'genisp_no_cst'):
            assert (m, cam, study.EQUAL_PHOTONS) in ids


def test_goals_keep_the_equal_photon_split_apart():
    A, B = study.CAMERA_A, study.CAMERA_B
    eq = study.EQUAL_PHOTONS
    rows = [
        _row('genisp', 'RetinaNet', A, 0.20, A),
        _row('genisp_no_cst', 'RetinaNet', A, 0.22, A),
        dict(_row('genisp', 'RetinaNet', B, 0.10, A), split=eq),
        dict(_row('genisp_no_cst', 'RetinaNet', B, 0.05, A), split=eq),
        dict(_row('classic_isp', 'RetinaNet', B, 0.04), split=eq),
        _row('genisp', 'RetinaNet', B, 0.25, A),
    ]
    text = '\n'.join(study.goals(rows))
    assert (f'unseen camera {B}: GenISP +5.0 AP points against camera A '
            '(goal: no worse than -2)') in text
    assert (f"unseen camera {B} with camera A's photons per pixel ({eq}): "
            'GenISP -10.0 AP points against camera A; genisp_no_cst -17.0; '
            f'GenISP - best fixed ISP on {B} +6.0') in text
    assert f'| {B} ({eq}) | 0.100 |' in study.markdown_table(rows)


def test_record_run_reports_every_invocation(tmp_path, monkeypatch):
    monkeypatch.setattr(study, 'REPO', str(tmp_path))
    plan = study.reproduce_plan()
    plan.work_root = str(tmp_path / 'work')
    (tmp_path / 'work').mkdir()
    results = str(tmp_path / 'results')
    (tmp_path / 'results').mkdir()
    study.record_run(plan, results, dict(trained=list(study.TRAINED)), 80.0)
    study.record_run(plan, results, dict(trained=[]), 6.5)
    with open(f'{results}/reproduce_run.json') as f:
        record = json.load(f)
    assert record['minutes'] == 86.5
    assert [r['trained'] for r in record['invocations']] == [
        list(study.TRAINED), []
    ]
    head = study.readme_block(plan, results, 'TABLE', [])
    assert '2 invocations, 80.0 + 6.5 = 86.5 minutes' in head
    # a fresh work directory starts a fresh record
    plan.work_root = str(tmp_path / 'work2')
    (tmp_path / 'work2').mkdir()
    study.record_run(plan, results, {}, 90.0)
    assert '): 90.0 minutes (' in study.readme_block(plan, results, 'T', [])


def test_run_all_does_not_start_queued_tasks_after_a_failure(monkeypatch):
    monkeypatch.setattr(study, 'JOBS', 2)
    started = []

    def fail():
        raise SystemExit('failed: first task')

    def later(i):
        started.append(i)
        time.sleep(0.2)

    with pytest.raises(SystemExit, match='first task'):
        study.run_all([fail] + [lambda i=i: later(i) for i in range(6)])
    assert len(started) <= 2, started


def test_rows_without_training_run_beside_it(monkeypatch, tmp_path):
    """With two jobs and one training, the fixed-ISP rows take the free
    job at once; the trained variant's rows wait for its training."""
    monkeypatch.setattr(study, 'JOBS', 2)
    plan = study.demo_plan()
    plan.work_root = str(tmp_path)
    events = []

    def fake_train(plan, method):
        events.append(('train start', method, time.monotonic()))
        time.sleep(0.5)
        events.append(('train end', method, time.monotonic()))

    def fake_evaluate(plan, r, label):
        events.append(('row', r['method'], time.monotonic()))
        time.sleep(0.05)

    monkeypatch.setattr(study, 'train', fake_train)
    monkeypatch.setattr(study, 'evaluate', fake_evaluate)
    did = study.stage_train_evaluate(plan)
    assert did == dict(trained=['genisp'], rows_evaluated=len(plan.rows))
    t = {(e[0], e[1]): e[2] for e in events}
    end = t[('train end', 'genisp')]
    fixed = [e[2] for e in events if e[0] == 'row' and e[1] != 'genisp']
    assert len(fixed) == len(plan.rows) - 1
    assert max(fixed) < end  # all ran while GenISP trained
    assert t[('row', 'genisp')] >= end
