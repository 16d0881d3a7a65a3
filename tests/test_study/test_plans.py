"""The study's plans: every row the study needs, seeds, light axes, the
configs they name."""
import os.path as osp

import pytest

from genisp_mmdet.study import plans
from genisp_mmdet.study.plans import (CAMERA_A, CAMERA_B, CAMERA_C, CAMERA_D, Row,
                                      EvalSet)

from ..conftest import REPO


def _ids(plan):
    return {(r.method, r.det, r.test_camera, r.test.split) for r in plan.rows}


def test_reproduce_plan_has_every_row_the_study_needs():
    plan = plans.reproduce_plan()
    assert len({r.id for r in plan.rows}) == len(plan.rows), 'duplicate rows'
    ids = _ids(plan)
    for det in plans.DETECTORS:
        assert ('well_lit_srgb', det, 'srgb', 'test') in ids
    for cam in plan.cameras:
        for m in plans.FIXED + ('genisp', 'genisp_no_cst'):
            assert (m, 'retinanet', cam, 'test') in ids
    for m in ('genisp_no_wb', 'genisp_no_cc', 'genisp_no_enhance'):
        assert (m, 'retinanet', CAMERA_A, 'test') in ids
    # each improvement over the paper ablated where it should act
    for m in ('genisp_paper', ) + plans.IMPROVEMENTS + ('genisp', ):
        for split in ('test', 'test-ambient0.1', 'test-ambient0.5'):
            assert (m, 'retinanet', CAMERA_A, split) in ids
    for det in ('fcos', 'faster-rcnn'):
        for m in plans.FIXED + ('genisp', ):
            assert (m, det, CAMERA_A, 'test') in ids
    # an exploratory variant of the default where the default is compared
    for m in plans.VARIANTS:
        for cam, split in ((CAMERA_A, 'test'), (CAMERA_D, 'test'),
                           (CAMERA_D, 'test-photonsA')):
            assert (m, 'retinanet', cam, split) in ids
    assert {m for m, _ in plan.trainings} == set(plans.TRAINED)
    # every trained row has a training run of its seed
    for r in plan.rows:
        assert (r.seed is not None) == r.trained
        if r.trained:
            assert (r.method, r.seed) in plan.trainings


def test_every_config_a_plan_names_exists():
    for plan in (plans.demo_plan(), plans.reproduce_plan()):
        for r in plan.rows:
            assert osp.isfile(osp.join(REPO, plans.method_config(
                r.method, r.det))), r.id
        for method, _ in plan.trainings:
            assert osp.isfile(osp.join(REPO, plans.method_config(method)))


def test_light_axes_are_named_apart():
    plan = plans.reproduce_plan()
    by_axis = {}
    for t in plan.test_sets:
        by_axis.setdefault(t.axis, []).append(t)
    exposure, ambient = by_axis['exposure'], by_axis['ambient']
    assert all(t.ambient is None and t.exposure is not None
               for t in exposure)
    assert all(t.exposure is None and t.ambient is not None for t in ambient)
    assert {t.split for t in exposure} >= {'test-exposure0.5',
                                           'test-exposure0.1'}
    assert {t.split for t in ambient} >= {'test-ambient0.5',
                                          'test-ambient0.1'}
    ids = _ids(plan)
    for t in exposure + ambient:
        assert ('genisp', 'retinanet', CAMERA_A, t.split) in ids


def test_equal_photons_scale_the_exposure_by_pixel_area():
    from genisp_mmdet.synthetic import CAMERAS, NIGHT
    t = plans.equal_photons_set(CAMERA_B)
    area = (CAMERAS[CAMERA_A].pixel_um / CAMERAS[CAMERA_B].pixel_um)**2
    assert area < 0.2  # camera B's pixels are much larger
    assert t.exposure == pytest.approx(NIGHT.exposure[0] * area)
    assert t.ambient is None  # the scene's own lamps-to-surroundings ratio
    # shot-noise variance per unit of signal, shot(ISO) / exposure, is then
    # camera A's at the same ISO
    assert CAMERAS[CAMERA_B].shot_noise(800) / t.exposure == pytest.approx(
        CAMERAS[CAMERA_A].shot_noise(800) / NIGHT.exposure[0])
    ids = _ids(plans.reproduce_plan())
    for cam in (CAMERA_B, CAMERA_C):
        for m in plans.FIXED + ('genisp', 'genisp_no_cst'):
            assert (m, 'retinanet', cam, 'test-photonsA') in ids


def test_row_ids_carry_the_seed_of_trained_rows():
    a = EvalSet(CAMERA_A)
    assert Row('genisp', 'retinanet', a, 2).id == \
        'genisp__retinanet__SonyRX100M7__test__seed2'
    assert Row('rawpy_isp', 'fcos', a).id == \
        'rawpy_isp__fcos__SonyRX100M7__test'
    assert Row('well_lit_srgb', 'fcos', a).test_camera == 'srgb'
    rows = plans.rows_for(('genisp', 'classic_isp'), 'retinanet', a,
                          seeds=(0, 1, 2))
    assert [(r.method, r.seed) for r in rows] == [
        ('genisp', 0), ('genisp', 1), ('genisp', 2), ('classic_isp', None)]


def test_long_plan_trains_genisp_alone_on_the_study_data():
    long, study = plans.long_plan(12, [8, 11]), plans.reproduce_plan()
    assert (long.epochs, long.milestones) == (12, [8, 11])
    assert (long.data_root, long.sizes, long.cameras) == (
        study.data_root, study.sizes, study.cameras)
    assert long.work_root != study.work_root
    assert long.trainings == [('genisp', 0)] and long.test_sets == []


def test_demo_plan_uses_the_demo_sizes():
    from genisp_mmdet.synthetic import SPLIT_SIZES
    plan = plans.demo_plan()
    assert plan.sizes == {s: SPLIT_SIZES['demo'][s]
                          for s in ('train', 'val', 'test')}
    assert plan.with_epochs(2).milestones == [2]
    assert plan.with_epochs(5).milestones == [3]


def test_a_piece_of_the_study_keeps_its_rows_and_their_trainings():
    full = plans.reproduce_plan()
    piece = full.only(plans.FIXED + plans.MAIN + (plans.WELL_LIT, ),
                      ['test', 'test-ambient0.1'], [CAMERA_A], ['retinanet'])
    assert {(r.method, r.test_camera, r.test.split) for r in piece.rows} == {
        (m, CAMERA_A, s) for m in plans.FIXED + plans.MAIN
        for s in ('test', 'test-ambient0.1')} | {
            (plans.WELL_LIT, 'srgb', 'test')}
    assert all(r.det == 'retinanet' for r in piece.rows)
    assert sorted(piece.trainings) == [('genisp', 0), ('genisp_paper', 0)]
    # the same rows as in the whole plan: its pieces fill one work directory
    assert {r.id for r in piece.rows} <= {r.id for r in full.rows}
    assert full.only() == full
    # ...and generates only the data they need
    assert piece.cameras == [CAMERA_A]
    assert [t.split for t in piece.test_sets] == ['test-ambient0.1']


def test_a_piece_on_an_unseen_camera_generates_its_test_sets_only():
    piece = plans.reproduce_plan().only(['genisp_no_cst'], None,
                                        [plans.CAMERA_D])
    assert piece.cameras == [CAMERA_A, plans.CAMERA_D]
    assert [(t.camera, t.split) for t in piece.test_sets] == [
        (plans.CAMERA_D, 'test-photonsA')]
    assert piece.trainings == [('genisp_no_cst', 0)]


def test_same_machine_plan_trains_the_default_beside_the_variants():
    plan = plans.same_machine_plan(['genisp_grey'], seeds=(0, 1, 2))
    study = plans.reproduce_plan()
    assert plan.data_root == study.data_root
    assert plan.work_root not in (study.work_root, plans.long_plan(
        12, [8]).work_root)
    assert sorted(plan.trainings) == sorted(
        (m, s) for m in ('genisp', 'genisp_grey') for s in (0, 1, 2))
    sets = plans.variant_sets()
    assert {r.test for r in plan.rows} == set(sets)
    assert len(plan.rows) == 2 * 3 * len(sets)
    assert {r.det for r in plan.rows} == {'retinanet'}
    # only the data those rows need: camera D's equal-photon set, and the
    # test split of the cameras named
    assert plan.test_sets == [s for s in sets if s.tag]
    assert sorted(plan.cameras) == sorted({s.camera for s in sets})
    with pytest.raises(ValueError, match='raw_naive'):
        plans.same_machine_plan(['raw_naive'])


def test_noise_free_plan_has_each_exposure_with_its_noise_and_without():
    plan = plans.noise_free_plan(seeds=(0, 1, 2))
    study = plans.reproduce_plan()
    assert (plan.data_root, plan.sizes, plan.epochs) == (
        study.data_root, study.sizes, study.epochs)
    assert plan.work_root != study.work_root
    assert plan.trainings == [('genisp', s) for s in (0, 1, 2)]
    noisy = {t.exposure: t for t in plan.test_sets if t.noise}
    clean = {t.exposure: t for t in plan.test_sets if not t.noise}
    assert sorted(noisy) == sorted(clean) == sorted(
        plans.NOISE_FREE_EXPOSURES)
    for e in plans.NOISE_FREE_EXPOSURES:
        # the noisy set is the study's own exposure split (the same data)
        assert noisy[e] == plans.exposure_set(CAMERA_A, e)
        assert noisy[e] in study.test_sets
        assert clean[e].split == f'test-exposure{e:g}-nonoise'
        assert (clean[e].camera, clean[e].axis) == (CAMERA_A, 'exposure')
    # every method on every set, the trained one once per seed
    assert len(plan.rows) == len(plan.test_sets) * (len(plans.FIXED) + 3)
    assert {r.method for r in plan.rows} == set(plans.FIXED) | {'genisp'}
    assert plan.cameras == [CAMERA_A]
    with pytest.raises(ValueError, match='classic_isp'):
        plans.noise_free_plan(['classic_isp'])
