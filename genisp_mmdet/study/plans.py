"""The study's plans, as data: what each run generates, trains and
evaluates.

A row of a results table is a :class:`Row`: a method (a config), a
detector, a :class:`EvalSet` (the test scenes as one camera captured them
under some light) and, for trained methods, the training seed. A
:class:`Plan` lists the data sizes, the trainings and the rows;
:mod:`.stages` turns each into commands of this repository, and
:mod:`.report` turns finished rows into tables.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional, Sequence, Tuple

from ..synthetic import layout

CAMERA_A, CAMERA_B, CAMERA_C, CAMERA_D = ('SonyRX100M7', 'NikonD750',
                                          'Canon5DIVGRBG', 'Canon1DsGBRG')
UNSEEN_CAMERAS = (CAMERA_B, CAMERA_C, CAMERA_D)
DETECTORS = {'retinanet': 'RetinaNet', 'fcos': 'FCOS',
             'faster-rcnn': 'Faster R-CNN'}
# The config of each method; {det} is the detector.
_GENISP = 'configs/genisp/{name}_{det}_r18-slim_fpn_12e_synthetic-raw.py'
_ABLATION = ('configs/genisp/ablations/{name}_{det}_r18-slim_fpn_12e_'
             'synthetic-raw.py')
_VARIANT = ('configs/genisp/variants/{name}_{det}_r18-slim_fpn_12e_'
            'synthetic-raw.py')
_BASELINE = 'configs/baselines/{name}_{det}_r18-slim_fpn_synthetic-{kind}.py'
METHOD_CONFIGS = {
    'genisp': _GENISP.format(name='genisp', det='{det}'),
    'genisp_paper': _GENISP.format(name='genisp-paper', det='{det}'),
    'genisp_no_wb': _ABLATION.format(name='genisp-no-wb', det='{det}'),
    'genisp_no_cc': _ABLATION.format(name='genisp-no-cc', det='{det}'),
    'genisp_no_enhance': _ABLATION.format(name='genisp-no-enhance',
                                          det='{det}'),
    'genisp_no_cst': _ABLATION.format(name='genisp-no-cst', det='{det}'),
    'genisp_no_tone': _ABLATION.format(name='genisp-no-tone', det='{det}'),
    'genisp_no_normalize': _ABLATION.format(name='genisp-no-normalize',
                                            det='{det}'),
    'genisp_cc_unbounded': _VARIANT.format(name='genisp-cc-unbounded',
                                           det='{det}'),
    'genisp_cc_unit': _VARIANT.format(name='genisp-cc-unit', det='{det}'),
    'genisp_tone_gain': _VARIANT.format(name='genisp-tone-gain', det='{det}'),
    'genisp_tone_gain6': _VARIANT.format(name='genisp-tone-gain6',
                                         det='{det}'),
    'genisp_grey': _VARIANT.format(name='genisp-grey', det='{det}'),
    'raw_naive': _BASELINE.format(name='raw-naive', det='{det}', kind='raw'),
    'rawpy_isp': _BASELINE.format(name='rawpy-isp', det='{det}', kind='raw'),
    'classic_isp': _BASELINE.format(name='classic-isp', det='{det}',
                                    kind='raw'),
    'well_lit_srgb': _BASELINE.format(name='well-lit', det='{det}',
                                      kind='srgb'),
}
# The default GenISP, the paper's, and the ablations of the default: of its
# stages, and of its improvements over the paper (genisp_paper ->
# genisp_no_normalize: log parametrisations and the encoders' learning
# rate; -> genisp_no_tone: median exposure normalisation; -> genisp: the
# log tone curve), and exploratory variants of the default (ConvCC
# without its bound; ConvCC in the paper's direct form at the identity's
# scale; a trained gain before the tone curve, starting at 1 or at 6; a
# fixed grey map, luminance in every channel, in place of both colour
# stages).
TRAINED = ('genisp', 'genisp_paper', 'genisp_no_wb', 'genisp_no_cc',
           'genisp_no_enhance', 'genisp_no_cst', 'genisp_no_tone',
           'genisp_no_normalize', 'genisp_cc_unbounded', 'genisp_cc_unit',
           'genisp_tone_gain', 'genisp_tone_gain6', 'genisp_grey')
ABLATIONS = ('genisp_no_wb', 'genisp_no_cc', 'genisp_no_enhance',
             'genisp_no_cst')
IMPROVEMENTS = ('genisp_no_normalize', 'genisp_no_tone')
VARIANTS = ('genisp_cc_unbounded', 'genisp_cc_unit', 'genisp_tone_gain',
            'genisp_tone_gain6', 'genisp_grey')
FIXED = ('raw_naive', 'rawpy_isp', 'classic_isp')
WELL_LIT = 'well_lit_srgb'


def method_config(method: str, det: str = 'retinanet') -> str:
    return METHOD_CONFIGS[method].format(det=det)


@dataclass(frozen=True)
class EvalSet:
    """The test scenes as one camera captures them.

    Attributes:
        camera: the camera's name.
        tag: '' for the test split itself; otherwise the name of the same
            scenes and draws under other capture settings
            (``test-<tag>``).
        exposure, ambient: fixed values of the two light axes
            (:class:`~genisp_mmdet.synthetic.Capture`), None where the
            split keeps the capture ranges' own draws.
        axis: what the set varies, for reports: ``'exposure'``,
            ``'ambient'`` or ``'photons'`` (equal photons per pixel to
            camera A); None for the test split.
        noise: False for noise-free captures of the same scenes and light
            (a control: what the light level costs without the noise it
            brings).
    """
    camera: str
    tag: str = ''
    exposure: Optional[float] = None
    ambient: Optional[float] = None
    axis: Optional[str] = None
    noise: bool = True

    @property
    def split(self) -> str:
        return layout.split_name('test', self.tag)


def exposure_set(camera: str, exposure: float,
                 noise: bool = True) -> EvalSet:
    """The test scenes with every light (lamps included) scaled: the
    camera's exposure (``noise=False``: the same captures without shot or
    read noise, ``test-exposure<e>-nonoise``)."""
    tag = f'exposure{exposure:g}' + ('' if noise else '-nonoise')
    return EvalSet(camera, tag, exposure=exposure, axis='exposure',
                   noise=noise)


def ambient_set(camera: str, ambient: float) -> EvalSet:
    """The test scenes with the surroundings at ``ambient`` and the lamps
    as bright: the scene's light."""
    return EvalSet(camera, f'ambient{ambient:g}', ambient=ambient,
                   axis='ambient')


def equal_photons_set(camera: str) -> EvalSet:
    """The test scenes with the camera's exposure scaled so that its pixels
    collect as many photons as camera A's (by the ratio of pixel areas:
    shot noise per unit of signal then matches camera A's; read noise stays
    the sensor's own). Everything dims, lamps included."""
    from ..synthetic import CAMERAS, NIGHT
    ratio = (CAMERAS[CAMERA_A].pixel_um / CAMERAS[camera].pixel_um)**2
    lo, hi = NIGHT.exposure
    if lo != hi:
        raise ValueError('equal photons need a fixed default exposure, got '
                         f'{NIGHT.exposure}')
    return EvalSet(camera, 'photonsA', exposure=lo * ratio, axis='photons')


@dataclass(frozen=True)
class Row:
    """One line of a results table."""
    method: str
    det: str
    test: EvalSet
    seed: Optional[int] = None  # training seed (trained methods only)

    @property
    def trained(self) -> bool:
        return self.method in TRAINED

    @property
    def detector(self) -> str:
        return DETECTORS[self.det]

    @property
    def test_camera(self) -> str:
        return 'srgb' if self.method == WELL_LIT else self.test.camera

    @property
    def id(self) -> str:
        seed = f'__seed{self.seed}' if self.seed is not None else ''
        return (f'{self.method}__{self.det}__{self.test_camera}__'
                f'{self.test.split}{seed}')


@dataclass
class Plan:
    """What one study run generates, trains and evaluates.

    Attributes:
        name: ``demo``, ``reproduce``, ``long``, ...
        data_root, work_root: repository-relative folders.
        sizes: images per RAW split and camera.
        cameras: cameras of the test split; train and val are camera A's
            only (every ISP is trained on camera A).
        trainings: ``(method, seed)`` of every training run.
        epochs, milestones: the GenISP training schedule.
        test_sets: test sets beyond each camera's test split.
        rows: the rows to evaluate.
    """
    name: str
    data_root: str
    work_root: str
    sizes: Dict[str, int]
    cameras: List[str]
    trainings: List[Tuple[str, int]]
    epochs: int
    milestones: List[int]
    test_sets: List[EvalSet] = field(default_factory=list)
    rows: List[Row] = field(default_factory=list)

    @property
    def results_name(self) -> str:
        return 'synthetic_benchmark' if self.name == 'reproduce' else self.name

    def split_cameras(self, split: str) -> List[str]:
        """The cameras a RAW split is generated for."""
        return self.cameras if split == 'test' else [CAMERA_A]

    def seeds(self) -> List[int]:
        return sorted({s for _, s in self.trainings})

    def only(self, methods: Optional[Sequence[str]] = None,
             splits: Optional[Sequence[str]] = None,
             cameras: Optional[Sequence[str]] = None,
             detectors: Optional[Sequence[str]] = None) -> 'Plan':
        """The part of the plan whose rows have one of ``methods``, test
        ``splits``, test ``cameras`` and ``detectors`` (None: any), with
        the trainings and the data those rows need (camera A's train and
        val splits always): a long study run in pieces, each piece a run of
        its own in the same work directory (the well-lit rows, on the sRGB
        scenes, pass any camera filter)."""
        rows = [r for r in self.rows
                if (methods is None or r.method in methods)
                and (splits is None or r.test.split in splits)
                and (cameras is None or r.method == WELL_LIT
                     or r.test_camera in cameras)
                and (detectors is None or r.det in detectors)]
        needed = {(r.method, r.seed) for r in rows if r.trained}
        tested = {r.test for r in rows if r.method != WELL_LIT}
        return replace(
            self, rows=rows,
            trainings=[t for t in self.trainings if t in needed],
            cameras=[c for c in self.cameras if c == CAMERA_A or any(
                t.camera == c and not t.tag for t in tested)],
            test_sets=[t for t in self.test_sets if t in tested])

    def with_epochs(self, epochs: int) -> 'Plan':
        """The plan with a shorter or longer schedule (milestones past the
        end dropped)."""
        return replace(self, epochs=epochs, milestones=[
            m for m in self.milestones if m < epochs] or [epochs])


def rows_for(methods: Sequence[str], det: str, test: EvalSet,
             seeds: Sequence[int] = (0, )) -> List[Row]:
    """Rows of ``methods`` on a test set: one per seed for trained ones."""
    out = []
    for m in methods:
        if m in TRAINED:
            out += [Row(m, det, test, s) for s in seeds]
        else:
            out.append(Row(m, det, test))
    return out


def demo_plan(seeds: Sequence[int] = (0, )) -> Plan:
    """``make demo``: camera A only, 3 epochs, GenISP against the packed
    RAW image and LibRaw's default processing."""
    a = EvalSet(CAMERA_A)
    return Plan(
        name='demo',
        data_root='data/synthetic_demo',
        work_root='work_dirs/demo',
        sizes={s: layout.SPLIT_SIZES['demo'][s] for s in layout.RAW_SPLITS},
        cameras=[CAMERA_A],
        trainings=[('genisp', s) for s in seeds],
        epochs=3,
        milestones=[3],
        rows=rows_for((WELL_LIT, 'raw_naive', 'rawpy_isp', 'genisp'),
                      'retinanet', a, seeds))


# Light sweeps on camera A. Exposure 1 is the test split itself (the
# night default); ambient is drawn from 0.2-0.5 there, so every ambient
# level is a split of its own.
EXPOSURES = (0.5, 0.2, 0.1, 0.05)
AMBIENTS = (0.03, 0.1, 0.2, 0.35, 0.5, 1.0)
# The methods on every camera and light of the study.
MAIN = ('genisp', 'genisp_paper')


def variant_sets() -> List[EvalSet]:
    """Where the exploratory variants are compared with the default: camera
    A, the colour-distant camera D, and D at A's photons."""
    return [EvalSet(CAMERA_A), EvalSet(CAMERA_D), equal_photons_set(CAMERA_D)]


def reproduce_plan(seeds: Sequence[int] = (0, )) -> Plan:
    """``make reproduce`` (seed 0) and ``make reproduce-seeds`` (seeds 0,
    1, 2, the same data and work directory): four cameras, three
    detectors, the default GenISP, the paper's and the ablations of the
    default, equal photons, the two light sweeps."""
    cameras = [CAMERA_A, *UNSEEN_CAMERAS]
    photons = [equal_photons_set(c) for c in UNSEEN_CAMERAS]
    exposure = [exposure_set(CAMERA_A, e) for e in EXPOSURES]
    ambient = [ambient_set(CAMERA_A, a) for a in AMBIENTS]
    plan = Plan(
        name='reproduce',
        data_root='data/synthetic',
        work_root='work_dirs/study',
        sizes={s: layout.SPLIT_SIZES['study'][s] for s in layout.RAW_SPLITS},
        cameras=cameras,
        trainings=[(m, s) for s in seeds for m in TRAINED],
        epochs=4,
        milestones=[3],
        test_sets=photons + exposure + ambient)
    rows = [Row(WELL_LIT, d, EvalSet(CAMERA_A)) for d in DETECTORS]
    for cam in cameras:
        rows += rows_for(FIXED + MAIN + ('genisp_no_cst', ), 'retinanet',
                         EvalSet(cam), seeds)
    rows += rows_for(('genisp_no_wb', 'genisp_no_cc', 'genisp_no_enhance'),
                     'retinanet', EvalSet(CAMERA_A), seeds)
    for t in (EvalSet(CAMERA_A), ambient_set(CAMERA_A, 0.1),
              ambient_set(CAMERA_A, 0.5)):
        rows += rows_for(IMPROVEMENTS, 'retinanet', t, seeds)
    for t in variant_sets():
        rows += rows_for(VARIANTS, 'retinanet', t, seeds)
    for det in ('fcos', 'faster-rcnn'):
        rows += rows_for(FIXED + MAIN, det, EvalSet(CAMERA_A), seeds)
    for t in photons:
        rows += rows_for(FIXED + MAIN + ('genisp_no_cst', ), 'retinanet', t,
                         seeds)
    for t in exposure + ambient:
        rows += rows_for(FIXED + MAIN, 'retinanet', t, seeds)
    plan.rows = rows
    return plan


def same_machine_plan(methods: Sequence[str],
                      seeds: Sequence[int] = (0, 1, 2)) -> Plan:
    """The default GenISP and the trained ``methods`` on the sets where the
    exploratory variants are compared with it (:func:`variant_sets`),
    trained and evaluated by one invocation, so on one kind of CPU: the
    same recipe trained on two kinds of CPU can differ by more than its
    spread over seeds, so a comparison of rows trained on different
    machines (as the pieces of ``make reproduce`` may be) establishes
    nothing. Its own work directory; the study's data."""
    unknown = [m for m in methods if m not in TRAINED]
    if unknown:
        raise ValueError(f'not trained variants: {unknown} (choose from '
                         f'{TRAINED})')
    trained = ('genisp', ) + tuple(m for m in methods if m != 'genisp')
    sets = variant_sets()
    plan = reproduce_plan(seeds).only(
        trained, sorted({t.split for t in sets}),
        sorted({t.camera for t in sets}), ['retinanet'])
    keep = set(sets)
    return replace(plan, name='same_machine',
                   work_root='work_dirs/study_same_machine',
                   rows=[r for r in plan.rows if r.test in keep],
                   trainings=[(m, s) for s in seeds for m in trained])


# The noise-free control of the exposure sweep (camera A).
NOISE_FREE_EXPOSURES = (0.5, 0.1, 0.05)


def noise_free_sets() -> List[EvalSet]:
    """Camera A's exposure sweep with its noise and without."""
    return [exposure_set(CAMERA_A, e, noise) for noise in (True, False)
            for e in NOISE_FREE_EXPOSURES]


def noise_free_plan(methods: Sequence[str] = ('genisp', ),
                    seeds: Sequence[int] = (0, 1, 2)) -> Plan:
    """The trained ``methods`` and the fixed ISPs on camera A's test scenes
    at exposures 0.5, 0.1 and 0.05, with the sensor's noise and without
    (:func:`noise_free_sets`): whether what an ISP loses at a lower
    exposure is the noise of fewer photons or the darker image itself.
    Trained and evaluated in one work directory, so the noisy and
    noise-free rows are of the same models; the study's data."""
    unknown = [m for m in methods if m not in TRAINED]
    if unknown:
        raise ValueError(f'not trained variants: {unknown} (choose from '
                         f'{TRAINED})')
    sets = noise_free_sets()
    plan = reproduce_plan()  # same data root, sizes, cameras and schedule
    return replace(plan, name='noise_free',
                   work_root='work_dirs/study_noise_free',
                   cameras=[CAMERA_A],
                   trainings=[(m, s) for s in seeds for m in methods],
                   test_sets=sets,
                   rows=[r for t in sets for r in rows_for(
                       FIXED + tuple(methods), 'retinanet', t, seeds)])


def long_plan(epochs: int, milestones: Sequence[int]) -> Plan:
    """The default GenISP alone with its config's own schedule (``epochs``,
    ``milestones``), on the study's data: how far training length takes it
    (longer than ``make reproduce``'s 2 hours allow for every variant)."""
    plan = reproduce_plan()  # same data root, sizes and cameras
    plan.name = 'long'
    plan.work_root = 'work_dirs/study_long'
    plan.trainings = [('genisp', 0)]
    plan.epochs = epochs
    plan.milestones = list(milestones)
    plan.test_sets = []
    plan.rows = [Row('genisp', 'retinanet', EvalSet(CAMERA_A), 0)]
    return plan
