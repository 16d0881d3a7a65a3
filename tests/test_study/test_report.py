"""From rows to the results table and the goal lines: seeds grouped as
mean and spread, the measured gaps."""
import json
import os

import pytest

from genisp_mmdet.study import plans, report
from genisp_mmdet.study.plans import CAMERA_A, CAMERA_B
from genisp_mmdet.study.shell import Workspace


def _row(method, detector, camera, ap, train=None, split='test', seed=None):
    return dict(method=method, detector=detector, train_camera=train,
                test_camera=camera, split=split, AP=ap, AP50=ap * 2,
                AP75=ap / 2, seed=seed, axis=None)


def test_goals_report_the_measured_gaps():
    A, B = CAMERA_A, CAMERA_B
    rows = [
        _row('well_lit_srgb', 'RetinaNet', 'srgb', 0.40),
        _row('raw_naive', 'RetinaNet', A, 0.01),
        _row('rawpy_isp', 'RetinaNet', A, 0.08),
        _row('classic_isp', 'RetinaNet', A, 0.10),
        _row('genisp', 'RetinaNet', A, 0.20, A, seed=0),
        _row('genisp', 'RetinaNet', B, 0.17, A, seed=0),
        _row('classic_isp', 'RetinaNet', B, 0.15),
        _row('genisp', 'RetinaNet', B, 0.10, A, 'test-photonsA', 0),
        _row('classic_isp', 'RetinaNet', B, 0.04, split='test-photonsA'),
        _row('rawpy_isp', 'FCOS', A, 0.05),
        _row('genisp', 'FCOS', A, 0.04, A, seed=0),
    ]
    text = '\n'.join(report.goals(rows))
    assert 'LibRaw default keeps 20% of the well-lit AP' in text
    assert 'genisp reaches 50% of the well-lit AP' in text
    assert (f'best fixed ISP on {A}, exceeded by: genisp +10.0 (one seed: '
            'not established) (goal: at least +5)') in text
    assert (f"{B} with camera A's photons per pixel (exposure scaled by the "
            'pixel areas; goal: within 2 of camera A), against camera A: '
            'genisp -10.0') in text
    assert f'{B} at the same capture settings' in text
    assert ('unseen detector FCOS, best fixed ISP exceeded by: genisp -1.0'
            in text)


def test_the_fixed_isp_goal_gives_the_worst_seed_too():
    rows = [_row('classic_isp', 'RetinaNet', CAMERA_A, 0.10)] + [
        _row('genisp', 'RetinaNet', CAMERA_A, ap, CAMERA_A, seed=s)
        for s, ap in enumerate((0.20, 0.22, 0.24))]
    assert (f'best fixed ISP on {CAMERA_A}, exceeded by: genisp +12.0 '
            '(established: twice the larger spread is 4.0), each of its 3 '
            'seeds at least +10.0 (goal: at least +5)'
            ) in report.goals(rows)


def test_a_difference_is_established_only_beyond_twice_the_spread():
    a = [0.30, 0.31, 0.32]  # std 0.01
    assert report.difference(a, [0.20], b_fixed=True) == (
        '+11.0 (established: twice the larger spread is 2.0)')
    # A trained variant with one seed has no spread yet: whatever the
    # other side's, nothing is established.
    assert report.difference(a, [0.20]) == (
        '+11.0 (one seed: not established)')
    assert report.difference([0.20], a) == (
        '-11.0 (one seed: not established)')
    assert report.difference(a, [0.30, 0.29, 0.31]).endswith(
        '(not established: twice the larger spread is 2.0)')
    assert report.difference([0.3], [0.2]) == (
        '+10.0 (one seed: not established)')


def test_an_exploratory_variant_is_compared_with_the_default():
    rows = [_row(m, 'RetinaNet', plans.CAMERA_D, ap, CAMERA_A, split, 0)
            for m, split, ap in (('genisp', 'test', 0.25),
                                 ('genisp_cc_unbounded', 'test', 0.27),
                                 ('genisp', 'test-photonsA', 0.24))]
    text = '\n'.join(report.goals(rows))
    assert (f'genisp_cc_unbounded minus genisp on {plans.CAMERA_D} test: '
            '+2.0 (one seed: not established)') in text
    assert 'test-photonsA: ' not in text  # no variant row there


def test_light_sweeps_are_reported_as_ratios():
    rows = [_row('genisp', 'RetinaNet', CAMERA_A, ap, CAMERA_A,
                 f'test-{axis}{level:g}', 0)
            for axis, level, ap in (('exposure', 0.5, 0.2),
                                    ('exposure', 0.1, 0.19),
                                    ('ambient', 0.5, 0.2),
                                    ('ambient', 0.1, 0.1))]
    text = '\n'.join(report.goals(rows))
    assert ('exposure 0.1 against exposure 0.5 (AP ratio; goal for genisp: '
            'at least 90%): genisp 95%') in text
    assert 'ambient 0.1 against ambient 0.5' in text and 'genisp 50%' in text
    assert 'per seed' not in text  # one seed: the ratio is its own


def test_light_sweep_ratios_are_given_per_seed():
    """With several seeds, each seed's own ratio beside the ratio of the
    means (a goal can hold on the mean and miss on a seed)."""
    rows = [_row('genisp', 'RetinaNet', CAMERA_A, ap, CAMERA_A,
                 f'test-ambient{level:g}', seed)
            for seed, (lo, hi) in enumerate(((0.15, 0.2), (0.12, 0.2),
                                             (0.18, 0.2)))
            for level, ap in ((0.1, lo), (0.5, hi))]
    text = '\n'.join(report.goals(rows))
    assert 'genisp 75% (per seed: 75%, 60%, 90%)' in text


def test_table_shows_mean_and_spread_over_seeds():
    rows = [_row('genisp', 'RetinaNet', CAMERA_A, ap, CAMERA_A, seed=s)
            for s, ap in enumerate((0.20, 0.22, 0.24))]
    rows.append(_row('rawpy_isp', 'RetinaNet', CAMERA_A, 0.05))
    table = report.results_table(rows)
    assert table.count('\n') == 3  # header, rule, one line per group
    assert ('| genisp | RetinaNet | SonyRX100M7 | SonyRX100M7 | 3 | '
            '0.220 ± 0.020 |') in table
    assert '| rawpy_isp | RetinaNet | - | SonyRX100M7 | - | 0.050 |' in table
    assert report.Lookup(rows).ap('genisp') == pytest.approx(0.22)


def test_record_run_reports_every_invocation(tmp_path):
    ws = Workspace(root=str(tmp_path))
    plan = plans.reproduce_plan()
    plan.work_root = 'work'
    report.record_run(ws, plan, 'results', dict(trained=['a']), 80.0)
    record = report.record_run(ws, plan, 'results', dict(trained=[]), 6.5)
    assert record['minutes'] == 86.5
    with open(tmp_path / 'results' / 'reproduce_run.json') as f:
        assert json.load(f) == record
    assert [r['trained'] for r in record['invocations']] == [['a'], []]
    head = report.measured_line(record, 'make reproduce', 'x.json')
    assert '2 invocations, 80.0 + 6.5 = 86.5 minutes' in head
    assert head.startswith('Measured by `make reproduce` (commit ')
    # Pieces of the study, each with its own command: none is named as
    # if it had run the whole.
    pieces = dict(record, invocations=[
        dict(record['invocations'][0], command='piece one'),
        dict(record['invocations'][1], command='piece two')])
    head = report.measured_line(pieces, 'make reproduce', 'x.json')
    assert 'piece one' not in head and 'piece two' not in head
    assert '`make reproduce` in 2 pieces' in head
    # pieces run on two kinds of machine: both are named
    mixed = dict(pieces, invocations=[
        dict(pieces['invocations'][0], cpu='CPU one', cores=2),
        dict(pieces['invocations'][1], cpu='CPU two', cores=2)])
    assert '2 cores, CPU one and 2 cores, CPU two' in report.measured_line(
        mixed, 'make reproduce', 'x.json')
    # The results file is rebuilt from the work directory's history.
    os.remove(tmp_path / 'results' / 'reproduce_run.json')
    assert report.write_run_record(ws, plan, 'results') == record
    # a fresh work directory starts a fresh record
    plan.work_root = 'work2'
    record = report.record_run(ws, plan, 'results', {}, 90.0)
    assert '): 90.0 minutes, ' in report.measured_line(record, 'm', 'x')


def test_global_stages_table_has_a_heading_for_every_column():
    grey = dict(saturated=None, gain_mean=None, gain_log_std=None,
                matrix_mean=[[0, 1, 0]] * 3, matrix_mean_sv_ratio=None,
                top_input=[0.0, 1.0, 0.0], white_gain=1.0)
    default = dict(saturated=0.25, gain_mean=[0.3, 2.5, 1.7],
                   matrix_mean=[[1, 0, 0], [0, 1, 0], [0, 0, 1]],
                   matrix_mean_sv_ratio=8.7, top_input=[0.05, 0.93, 0.36])
    text = report.global_stages_table(
        [dict(method='genisp_grey', seed=0, summary=grey),
         dict(method='genisp', seed=0, summary=default)])
    header, rule, *lines = text.strip().splitlines()
    widths = {line.count('|') for line in (header, rule, *lines)}
    assert len(widths) == 1, text
    cells = [c.strip() for c in lines[0].strip('|').split('|')]
    heads = [c.strip() for c in header.strip('|').split('|')]
    row = dict(zip(heads, cells))
    assert row['CC σ1/σ2'] == 'rank 1'
    assert row['input amplified most (X, Y, Z)'] == '(0, 1, 0)'
    assert dict(zip(heads, [c.strip() for c in lines[1].strip('|').split(
        '|')]))['CC σ1/σ2'] == '8.7'


XEON, EPYC = 'Intel(R) Xeon(R) Processor', 'AMD EPYC'


def test_the_machine_of_each_training_comes_from_the_run_record():
    invocations = [dict(cpu=EPYC, trained=['genisp-seed1', 'genisp_paper-seed1']),
                   dict(cpu=XEON, trained=[]),
                   # a later run trains it again only once its work was
                   # removed: it replaced the earlier one
                   dict(cpu=XEON, trained=['genisp-seed1'])]
    assert report.trained_on(invocations) == {('genisp', 1): XEON,
                                              ('genisp_paper', 1): EPYC}
    rows = [_row('genisp', 'RetinaNet', CAMERA_A, 0.2, CAMERA_A, seed=1),
            _row('genisp', 'RetinaNet', CAMERA_A, 0.2, CAMERA_A, seed=2),
            _row('classic_isp', 'RetinaNet', CAMERA_A, 0.1)]
    out = report.with_machines(rows, invocations)
    assert out[0]['trained_on'] == XEON
    assert 'trained_on' not in out[1] and 'trained_on' not in out[2]
    assert report.short_cpu(XEON) == 'Intel Xeon'


def _trained(method, aps, cpus, camera=CAMERA_A, split='test'):
    return [dict(_row(method, 'RetinaNet', camera, ap, CAMERA_A, split, s),
                 trained_on=cpu) for s, (ap, cpu) in enumerate(zip(aps, cpus))]


def test_variants_trained_on_different_machines_are_compared_like_with_like():
    a = _trained('genisp_grey', [0.30, 0.31, 0.32], [EPYC] * 3)
    b = _trained('genisp', [0.20, 0.21, 0.22], [XEON] * 3)
    # a gap of 10 points, far beyond the spread, but no kind of CPU in
    # common: nothing established
    assert report.compare(a, b) == (
        '+10.0 (not established: trained on different kinds of CPU, '
        'AMD EPYC / Intel Xeon)')
    # one kind on both sides: the plain difference
    same = _trained('genisp', [0.20, 0.21, 0.22], [EPYC] * 3)
    assert report.compare(a, same) == report.difference(
        [0.30, 0.31, 0.32], [0.20, 0.21, 0.22])
    # mixed: only the seeds of the kind both have most of
    mixed = _trained('genisp_no_tone', [0.50, 0.21, 0.23], [EPYC, XEON, XEON])
    assert report.compare(mixed, b) == (
        '+1.0 (not established: twice the larger spread is 2.8; the seeds '
        'trained on Intel Xeon only, 2 and 3)')


def test_goals_compare_only_models_trained_on_one_kind_of_cpu():
    rows = (_trained('genisp', [0.25, 0.26, 0.27], [XEON] * 3) +
            _trained('genisp_no_wb', [0.35, 0.36, 0.37], [EPYC] * 3))
    line, = [g for g in report.goals(rows) if 'removing ConvWB' in g]
    assert 'not established: trained on different kinds of CPU' in line


def test_same_machine_lines_compare_each_variant_with_the_default_beside_it():
    d = plans.CAMERA_D
    rows = (_trained('genisp', [0.25, 0.26, 0.27], [EPYC] * 3) +
            _trained('genisp_grey', [0.20, 0.21, 0.22], [EPYC] * 3) +
            _trained('genisp', [0.27, 0.28, 0.29], [EPYC] * 3, d) +
            _trained('genisp_grey', [0.27, 0.28, 0.29], [EPYC] * 3, d))
    record = dict(invocations=[dict(cpu=EPYC, command='python tools/study.py '
                                    'same-machine --methods genisp_grey')])
    lines = report.same_machine_lines(rows, record)
    assert lines == [
        f'genisp_grey minus genisp on {CAMERA_A} test, trained side by side '
        'on AMD EPYC by `python tools/study.py same-machine --methods '
        'genisp_grey`: -5.0 (established: twice the larger spread is 2.0)',
        f'genisp_grey minus genisp on {d} test, trained side by side on AMD '
        'EPYC by `python tools/study.py same-machine --methods genisp_grey`: '
        '+0.0 (not established: twice the larger spread is 2.0)']


def test_same_machine_lines_say_how_far_the_default_moved_between_machines():
    mine = _trained('genisp', [0.25, 0.26, 0.27], [EPYC] * 3)
    study = _trained('genisp', [0.27, 0.28, 0.29], [XEON] * 3)
    record = dict(invocations=[dict(cpu=EPYC)])
    lines = report.same_machine_lines(mine, record, study)
    assert lines == [
        'genisp trained on AMD EPYC (`python tools/study.py same-machine`) '
        f'minus genisp trained on Intel Xeon (the table), {CAMERA_A} test: '
        '-2.0 (not established: twice the larger spread is 2.0)']
    # the study's default trained on the same kind: nothing to say
    assert report.same_machine_lines(mine, record, mine) == []


def test_noise_free_lines_give_the_ratios_and_the_cost_of_the_noise():
    def split(e, noise):
        return f'test-exposure{e:g}' + ('' if noise else '-nonoise')

    rows = []
    for noise, aps in ((True, {0.5: [0.24, 0.25, 0.26], 0.1: [0.06] * 3}),
                       (False, {0.5: [0.25, 0.26, 0.27],
                                0.1: [0.24, 0.25, 0.26]})):
        for e, v in aps.items():
            rows += _trained('genisp', v, [EPYC] * 3, split=split(e, noise))
    rows += [_row('rawpy_isp', 'RetinaNet', CAMERA_A, ap, split=split(e, n))
             for e, n, ap in ((0.5, True, 0.02), (0.1, True, 0.002),
                              (0.5, False, 0.04), (0.1, False, 0.01))]
    record = dict(invocations=[dict(cpu=EPYC, command='python tools/study.py '
                                    'noise-free --seeds 0 1 2')])
    lines = report.noise_free_lines(rows, record)
    assert lines[0] == (
        'exposure 0.1 against exposure 0.5, with the sensor\'s noise and '
        'without (AP ratio; `python tools/study.py noise-free --seeds 0 1 '
        '2`; trained on AMD EPYC): genisp 24% (per seed: 25%, 24%, 23%) '
        'with the noise, 96% (per seed: 96%, 96%, 96%) without; rawpy_isp '
        '10% with the noise, 25% without')
    # the noise costs GenISP 19 points at exposure 0.1, beyond its spread;
    # a fixed ISP's two values are given as they are
    cost = [g for g in lines if g.startswith('what the noise costs at '
                                             'exposure 0.1,')]
    assert cost == [
        'what the noise costs at exposure 0.1, camera A (noise-free minus '
        'noisy AP, the same models and scenes): genisp +19.0 (established: '
        'twice the larger spread is 2.0) (0.250 ± 0.010 against 0.060 ± '
        '0.000); rawpy_isp +0.8 (0.010 against 0.002)']
    # nothing at exposure 0.05, which has no rows
    assert not any('0.05' in g for g in lines)
