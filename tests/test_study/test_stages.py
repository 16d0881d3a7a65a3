"""The study's stages: the commands a row and a training become, the
schedule of trainings and rows, the validation curve."""
import json
import time

from genisp_mmdet.study import plans, stages
from genisp_mmdet.study.plans import CAMERA_A, Row, EvalSet
from genisp_mmdet.study.shell import Workspace

from ..conftest import REPO


def _fake_best(tmp_path, plan, method, seed):
    run = tmp_path / stages.train_dir(plan, method, seed)
    run.mkdir(parents=True)
    (run / 'best_coco_bbox_mAP_epoch_3.pth').write_bytes(b'')
    return f'{stages.train_dir(plan, method, seed)}/' \
        'best_coco_bbox_mAP_epoch_3.pth'


def test_unseen_detector_row_takes_the_isp_from_the_retinanet_run(tmp_path):
    ws = Workspace(root=str(tmp_path))
    plan = plans.reproduce_plan()
    best = _fake_best(tmp_path, plan, 'genisp', 1)
    cmd = stages.row_command(ws, plan, Row('genisp', 'fcos',
                                           EvalSet(CAMERA_A), 1), 'm.json')
    assert cmd[2] == plans.method_config('genisp', 'fcos')
    assert f'model.data_preprocessor.isp_checkpoint={best}' in cmd
    # the detector's own weights come from its config (load_from), not
    # from a checkpoint argument
    assert cmd[3] == '--work-dir'
    retina = stages.row_command(ws, plan, Row('genisp', 'retinanet',
                                              EvalSet(CAMERA_A), 1), 'm.json')
    assert retina[3] == best


def test_row_command_points_the_test_loader_at_its_split(tmp_path):
    ws = Workspace(root=str(tmp_path))
    plan = plans.reproduce_plan()
    t = plans.ambient_set(CAMERA_A, 0.1)
    cmd = ws.shown(stages.row_command(ws, plan, Row('rawpy_isp', 'retinanet',
                                                    t), 'm.json'))
    assert ('test_dataloader.dataset.ann_file=annotations/SonyRX100M7/'
            'SonyRX100M7_test-ambient0.1.json') in cmd
    assert ('test_evaluator.ann_file=data/synthetic/annotations/SonyRX100M7/'
            'SonyRX100M7_test-ambient0.1.json') in cmd
    well = ws.shown(stages.row_command(
        ws, plan, Row('well_lit_srgb', 'fcos', EvalSet(CAMERA_A)), 'm'))
    assert 'SonyRX100M7_test_srgb.json' in well and 'srgb_images/' in well


def test_train_command_sets_schedule_and_seed():
    ws = Workspace(root=REPO)
    plan = plans.long_plan(12, [8, 11])
    cmd = ws.shown(stages.train_command(ws, plan, 'genisp', 0))
    assert cmd.startswith(f'python tools/train.py '
                          f'{plans.method_config("genisp")}')
    assert 'train_cfg.max_epochs=12' in cmd
    assert "'param_scheduler.1.milestones=[8,11]'" in cmd
    assert 'randomness.seed' not in cmd  # the configs' own seed is 0
    assert 'randomness.seed=2' in ws.shown(
        stages.train_command(ws, plan, 'genisp', 2))


def test_val_curve_reads_every_resumed_run(tmp_path):
    ws = Workspace(root=str(tmp_path))
    plan = plans.demo_plan()
    for stamp, epochs in (('20260101_000000', (1, 2)),
                          ('20260101_010000', (3, ))):
        d = tmp_path / stages.train_dir(plan, 'genisp', 0) / stamp / \
            'vis_data'
        d.mkdir(parents=True)
        with open(d / 'scalars.json', 'w') as f:
            for e in epochs:
                f.write(json.dumps(dict(loss=1.0, step=e * 10)) + '\n')
                f.write(json.dumps({'coco/bbox_mAP': e / 10, 'step': e}) +
                        '\n')
    assert stages.val_curve(ws, plan, 'genisp') == [0.1, 0.2, 0.3]


def test_rows_without_training_run_beside_it(monkeypatch, tmp_path):
    """With two jobs and one training, the fixed-ISP rows take the free
    job at once; the trained variant's rows wait for its training."""
    ws = Workspace(root=str(tmp_path), jobs=2)
    plan = plans.demo_plan()
    events = []

    def fake_train(ws, plan, method, seed):
        events.append(('train start', method, time.monotonic()))
        time.sleep(0.5)
        events.append(('train end', method, time.monotonic()))

    def fake_evaluate(ws, plan, r, label):
        events.append(('row', r.method, time.monotonic()))
        time.sleep(0.05)

    monkeypatch.setattr(stages, 'train', fake_train)
    monkeypatch.setattr(stages, 'evaluate', fake_evaluate)
    did = stages.stage_train_evaluate(ws, plan)
    assert did == dict(trained=['genisp-seed0'],
                       rows_evaluated=len(plan.rows))
    t = {(e[0], e[1]): e[2] for e in events}
    end = t[('train end', 'genisp')]
    fixed = [e[2] for e in events if e[0] == 'row' and e[1] != 'genisp']
    assert len(fixed) == len(plan.rows) - 1
    assert max(fixed) < end  # all ran while GenISP trained
    assert t[('row', 'genisp')] >= end


def test_a_training_whose_rows_and_probe_are_done_is_not_run(tmp_path):
    """After ``restore`` a training's rows (and its seed-0 probe) exist but
    its checkpoint does not: a piece of the study over more seeds trains
    only what some pending row or probe needs."""
    ws = Workspace(root=str(tmp_path))
    plan = plans.reproduce_plan([0, 1]).only(methods=['genisp_no_tone'])
    assert stages.pending_trainings(ws, plan, plan.rows) == [
        ('genisp_no_tone', 0), ('genisp_no_tone', 1)]
    seed1 = [r for r in plan.rows if r.seed == 1]
    # seed 0's rows done, its probe not: it still trains (for the probe)
    assert stages.pending_trainings(ws, plan, seed1) == [
        ('genisp_no_tone', 0), ('genisp_no_tone', 1)]
    probe = tmp_path / stages.probe_path(plan, 'genisp_no_tone', 0)
    probe.parent.mkdir(parents=True)
    probe.write_text('{}')
    assert stages.pending_trainings(ws, plan, seed1) == [
        ('genisp_no_tone', 1)]
    # a finished training is never run again
    done = tmp_path / stages.train_dir(plan, 'genisp_no_tone', 1)
    done.mkdir(parents=True)
    (done / 'done').write_text('')
    assert stages.pending_trainings(ws, plan, seed1) == []


def test_noise_free_sets_are_generated_without_noise(monkeypatch, tmp_path):
    """The generator is asked for the same scenes and light, with
    ``--no-noise`` only where the set is the noise-free control."""
    ws = Workspace(root=str(tmp_path))
    plan = plans.noise_free_plan(seeds=(0, ))
    for split in plan.sizes:  # the train, val and test splits exist
        ann = tmp_path / stages.layout.annotation_path(plan.data_root,
                                                       CAMERA_A, split)
        ann.parent.mkdir(parents=True, exist_ok=True)
        ann.write_text('{}')
    commands = []
    monkeypatch.setattr(ws, 'run', lambda cmd, log: commands.append(cmd))
    stages.stage_data(ws, plan)
    by_tag = {c[c.index('--tag') + 1]: c for c in commands}
    assert sorted(by_tag) == sorted(t.tag for t in plan.test_sets)
    for tag, cmd in by_tag.items():
        e = float(tag.split('-')[0][len('exposure'):])
        assert cmd[cmd.index('--exposure') + 1:][:2] == [f'{e:g}'] * 2
        assert ('--no-noise' in cmd) == tag.endswith('-nonoise')
