"""Unprocessing: a well-lit sRGB image -> the Bayer mosaic a camera would
record of the same scene in low light.

The inverse of a simple ISP, after Brooks et al., "Unprocessing Images
for Learned Raw Denoising", CVPR 2019, with the camera's own colour matrix
in place of their random one::

    sRGB (8 bit)  --sRGB decoding-->        linear sRGB (D65)
                  --SRGB_TO_XYZ-->          CIE XYZ under D65
                  --Bradford D65 -> L-->    XYZ of the scene under light L
                  --xyz_to_cam-->           camera RGB (white balance not
                                            undone by a gain: the camera
                                            simply sees the scene under L)
                  --x gain x exposure-->    low-light exposure
                  --CFA sampling-->         mosaic by the camera's pattern
                  --noise-->                shot + read noise (Brooks et al.)
                  --levels-->               DN = black + x (white - black),
                                            rounded, clipped to [0, white]

``gain`` makes exposure 1 a well-exposed frame: the brightest sRGB colour
just reaches the white level in its largest camera channel, so nothing
clips at exposure 1 and the round trip through LibRaw is exact up to
quantisation.

Two axes of light, named apart:

* ``exposure`` is the camera's: the light that reaches the sensor, for
  everything in the scene, light sources included. Photons per pixel (and
  so the shot noise per unit of signal) scale with it.
* ``ambient`` is the scene's: the surroundings darken while light sources
  (the scene's ``emission``) keep their brightness, as street lamps and lit
  windows do at night. A pixel's radiance is scaled by ``ambient + (1 -
  ambient) * emission``.

A pixel's signal is therefore ``exposure * (ambient + (1 - ambient) *
emission) * gain * (camera RGB of its colour)``. Without an emission map
(e.g. a COCO source image) the two axes multiply and cannot be told apart.

The DNG's AsShotNeutral is the camera's response to the light itself,
``xyz_to_cam @ XYZ(L)``, normalised to green = 1: what a camera's auto
white balance would record if it estimated L perfectly.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Dict, Optional, Tuple

import numpy as np

from ..raw.color import SRGB_DECODE_LUT_8BIT, SRGB_TO_XYZ, blackbody_xy
from .cameras import Camera, NoiseParams

D65_WHITE = SRGB_TO_XYZ.sum(axis=1)  # XYZ of sRGB white, Y = 1
BRADFORD = np.array([[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367],
                     [0.0389, -0.0685, 1.0296]])
_SRGB_DECODE = SRGB_DECODE_LUT_8BIT


def daylight_xy(temperature_k: float) -> Tuple[float, float]:
    """CIE daylight locus (CIE 15:2004), 4000 K - 25000 K."""
    t = float(temperature_k)
    if not 4000 <= t <= 25000:
        raise ValueError(f'daylight locus defined for 4000-25000 K, got {t}')
    if t <= 7000:
        x = -4.6070e9 / t**3 + 2.9678e6 / t**2 + 0.09911e3 / t + 0.244063
    else:
        x = -2.0064e9 / t**3 + 1.9018e6 / t**2 + 0.24748e3 / t + 0.237040
    return x, -3.0 * x * x + 2.870 * x - 0.275


def illuminant_white(temperature_k: float) -> np.ndarray:
    """XYZ (Y = 1) of a light of colour temperature ``temperature_k``.

    Street lights (sodium, warm LED, incandescent: up to 4000 K) lie near
    the Planckian locus, daylight (5000 K and up) on the CIE daylight locus;
    between the two the chromaticity is blended linearly, so the white moves
    continuously and 6504 K is D65.
    """
    t = float(temperature_k)
    w = min(1.0, max(0.0, (t - 4000.0) / 1000.0))
    x, y = blackbody_xy(min(t, 5000.0))
    if w > 0:
        dx, dy = daylight_xy(max(t, 4000.0))
        x, y = (1 - w) * x + w * dx, (1 - w) * y + w * dy
    return np.array([x / y, 1.0, (1 - x - y) / y])


def bradford(src_white: np.ndarray, dst_white: np.ndarray) -> np.ndarray:
    """``(3, 3)`` Bradford chromatic adaptation from one white to another."""
    src = BRADFORD @ np.asarray(src_white, np.float64)
    dst = BRADFORD @ np.asarray(dst_white, np.float64)
    return np.linalg.inv(BRADFORD) @ np.diag(dst / src) @ BRADFORD


def srgb_to_camera_matrix(camera: Camera,
                          white_xyz: np.ndarray) -> np.ndarray:
    """``(3, 3)``: linear sRGB (D65) -> camera RGB of the scene under a
    light whose XYZ is ``white_xyz``."""
    return camera.xyz_to_cam @ bradford(D65_WHITE, white_xyz) @ SRGB_TO_XYZ


def exposure_gain(matrix: np.ndarray) -> float:
    """Gain that maps the brightest linear-sRGB colour (each camera channel
    at its largest over [0, 1]^3) to at most 1: the well-exposed frame."""
    return float(1.0 / np.clip(matrix, 0, None).sum(axis=1).max())


@dataclass(frozen=True)
class Capture:
    """The settings of one simulated shot.

    Attributes:
        temperature_k: colour temperature of the light; None for exactly
            D65 (the sRGB white, no chromatic adaptation).
        exposure: the camera's light, everything included, relative to a
            well-exposed frame (1 = white just saturates; 0.01 = 100 times
            fewer photons).
        iso: sets the noise through the camera's shot-noise gain (the
            sampled values are integers).
        read_z: N(0, 1) draw of the read-noise scatter.
        noise: False for a noise-free capture.
        ambient: the scene's light on everything but its light sources,
            relative to them (1 = no difference; 0.1 = surroundings 10
            times darker than in daylight while lamps stay as bright).
    """
    temperature_k: Optional[float]
    exposure: float
    iso: float
    read_z: float = 0.0
    noise: bool = True
    ambient: float = 1.0

    @property
    def white_xyz(self) -> np.ndarray:
        if self.temperature_k is None:
            return D65_WHITE
        return illuminant_white(self.temperature_k)

    def noise_params(self, camera: Camera) -> Optional[NoiseParams]:
        return camera.noise(self.iso, self.read_z) if self.noise else None


@dataclass(frozen=True)
class CaptureRanges:
    """Ranges the capture settings are sampled from (each log-uniform,
    except temperature: uniform in mired, 1e6 / K, as perceived).

    The defaults (:data:`NIGHT`) are a night street: lamps and lit windows
    exposed as in a well-exposed frame (``exposure`` 1), surroundings 2 to
    5 times darker (``ambient`` 0.2-0.5). A non-emissive surface brightened
    to a normal exposure has shot-noise variance ``shot(ISO) / (exposure *
    ambient)``, which depends only on the photons it sends. For camera A
    (Sony RX100 VII-like, 2.4 um pixels) that spans 1.2e-3 to 2.3e-2, the
    noisy half of Brooks et al.'s range of real low-light captures ([1e-4,
    1.2e-2]) and up to twice its upper end, i.e. about 8 to 160
    photoelectrons at mid-grey; the larger pixels of cameras B and C
    collect 5-6 times more. docs/synthetic_data.md gives the measurements
    behind this choice."""
    exposure: Tuple[float, float] = (1.0, 1.0)
    iso: Tuple[float, float] = (400, 3200)
    temperature: Tuple[float, float] = (2500, 6500)
    noise: bool = True
    ambient: Tuple[float, float] = (0.2, 0.5)

    def __post_init__(self):
        for name in ('exposure', 'ambient', 'iso', 'temperature'):
            lo, hi = getattr(self, name)
            if not 0 < lo <= hi:
                raise ValueError(f'{name} range must satisfy 0 < min <= '
                                 f'max, got {(lo, hi)}')
        for name in ('exposure', 'ambient'):
            if getattr(self, name)[1] > 1:
                raise ValueError(f'{name} above 1 would clip the '
                                 f'well-exposed frame: {getattr(self, name)}')
        lo, hi = self.temperature
        if lo < 1667 or hi > 25000:
            raise ValueError('temperature must lie in 1667-25000 K, got '
                             f'{self.temperature}')

    def sample(self, rng: np.random.Generator) -> Capture:
        """One capture; the draws are made in a fixed order and always all
        made, so the result depends only on ``rng`` and the ranges. The
        exposure draw comes last, so that data sets written before the two
        axes were told apart (when ``ambient`` was drawn as "exposure") are
        reproduced exactly by the default ``exposure`` range (1, 1)."""
        u = rng.random(3)
        read_z = float(rng.standard_normal())
        u_exposure = float(rng.random())

        def log_uniform(lo, hi, v):
            return math.exp(math.log(lo) + v * (math.log(hi) - math.log(lo)))

        mired_lo, mired_hi = 1e6 / self.temperature[1], 1e6 / self.temperature[
            0]
        temperature = 1e6 / (mired_lo + u[0] * (mired_hi - mired_lo))
        return Capture(temperature_k=round(temperature, 1),
                       exposure=float(log_uniform(*self.exposure,
                                                  u_exposure)),
                       iso=int(round(log_uniform(*self.iso, u[2]))),
                       read_z=read_z,
                       noise=self.noise,
                       ambient=float(log_uniform(*self.ambient, u[1])))


NIGHT = CaptureRanges()
WELL_LIT = CaptureRanges(exposure=(1.0, 1.0), ambient=(1.0, 1.0),
                         iso=(100, 100), temperature=(6504, 6504),
                         noise=False)


@dataclass
class RawCapture:
    """A simulated RAW frame.

    Attributes:
        mosaic: ``(H, W)`` uint16 digital numbers, black level included.
        as_shot_neutral: ``(3,)`` camera RGB of the light, green = 1.
        xyz_scale: a noise-free, unclipped, non-emissive pixel loads
            (mode ``'xyz'``) as ``xyz_scale`` times the XYZ of its sRGB
            colour adapted to the light (``gain * exposure * ambient``).
        noise: the noise parameters used (None if noise-free).
    """
    mosaic: np.ndarray
    as_shot_neutral: np.ndarray
    xyz_scale: float
    noise: Optional[NoiseParams]

    def metadata(self) -> Dict[str, object]:
        """JSON-ready fields describing the capture."""
        return {
            'as_shot_neutral': [round(float(v), 6)
                                for v in self.as_shot_neutral],
            'xyz_scale': round(float(self.xyz_scale), 8),
            'shot_noise': None if self.noise is None else float(
                f'{self.noise.shot:.6g}'),
            'read_noise': None if self.noise is None else float(
                f'{self.noise.read:.6g}'),
        }


def unprocess(srgb: np.ndarray,
              camera: Camera,
              capture: Capture,
              rng: Optional[np.random.Generator] = None,
              emission: Optional[np.ndarray] = None) -> RawCapture:
    """Simulate the camera's RAW frame of an sRGB image.

    Args:
        srgb: ``(H, W, 3)`` uint8 sRGB, RGB order, H and W even.
        camera: the simulated camera.
        capture: light, exposure, ISO, noise switch.
        rng: generator of the noise realisation (required if noisy).
        emission: optional ``(H, W)`` float32 in [0, 1], the fraction of
            each pixel's radiance from light sources.

    Returns:
        A :class:`RawCapture` whose mosaic has the same ``(H, W)``.
    """
    h, w = srgb.shape[:2]
    if srgb.dtype != np.uint8 or srgb.ndim != 3 or srgb.shape[2] != 3:
        raise ValueError(f'expected (H, W, 3) uint8 sRGB, got {srgb.dtype} '
                         f'{srgb.shape}')
    if h % 2 or w % 2:
        raise ValueError(f'image size must be even, got {w}x{h}')
    white = capture.white_xyz
    matrix = srgb_to_camera_matrix(camera, white)
    gain = exposure_gain(matrix)
    e, a = capture.exposure, capture.ambient
    lin = _SRGB_DECODE[srgb]  # (H, W, 3) float32 linear sRGB
    if emission is not None:
        # Light sources keep their radiance; the rest dims by the ambient.
        lin *= (a + (1 - a) * emission.astype(np.float32))[..., None]
        scale = gain * e
    else:
        scale = gain * e * a
    channel = {'R': 0, 'G': 1, 'B': 2}
    rows = (matrix * scale).astype(np.float32)
    x = np.empty((h, w), np.float32)
    for k, c in enumerate(camera.pattern):
        dy, dx = divmod(k, 2)
        x[dy::2, dx::2] = lin[dy::2, dx::2] @ rows[channel[c]]
    noise = capture.noise_params(camera)
    if noise is not None:
        if rng is None:
            raise ValueError('a noisy capture needs an rng')
        var = np.maximum(x, 0) * np.float32(noise.shot) + np.float32(
            noise.read)
        x += np.sqrt(var) * rng.standard_normal((h, w), dtype=np.float32)
    span = camera.white_level - camera.black_level
    dn = np.rint(x * np.float32(span) + np.float32(camera.black_level))
    mosaic = np.clip(dn, 0, camera.white_level).astype(np.uint16)
    neutral = camera.xyz_to_cam @ white
    return RawCapture(mosaic, neutral / neutral[1], gain * e * a, noise)


def capture_metadata(capture: Capture) -> Dict[str, object]:
    """JSON-ready capture settings (recorded per image)."""
    d = asdict(capture)
    d['exposure'] = float(f'{capture.exposure:.6g}')
    d['ambient'] = float(f'{capture.ambient:.6g}')
    d['read_z'] = float(f'{capture.read_z:.6g}')
    return d
