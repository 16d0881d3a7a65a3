"""Simulated cameras: CFA layout, levels, colour matrix and noise.

Each :class:`Camera` carries what a DNG needs (Bayer pattern, black and
white levels, the XYZ -> camera ``ColorMatrix1`` for D65) and a noise model.
The numbers and their sources:

* ``SonyRX100M7`` (Sony DSC-RX100M7, the RAW-NOD Sony camera): matrix
  ``{10315, -4390, -937, -4859, 12734, 2365, -734, 1537, 5997} / 10000`` and
  black level 800 from LibRaw's ``adobe_coeff`` table
  (``src/tables/colordata.cpp``, entry ``"DSC-RX100M7", -800, 0``; a
  negative black there is LibRaw's default when the file gives none; the
  matrices in that table are Adobe DNG Converter's unless marked). The
  table leaves the maximum to the file; we use the 14-bit full scale
  16383. RGGB, 1.0" sensor, 20.1 MP on 13.2 x 8.8 mm: 2.40 um pixels.
* ``NikonD750`` (Nikon D750, the RAW-NOD Nikon camera): matrix
  ``{9020, -2890, -715, -4535, 12436, 2348, -934, 1919, 7086} / 10000`` and
  black level 600 from the same table (``"D750", -600, 0``); white level
  15520, the saturation of 14-bit D750 NEFs as commonly reported (not in
  LibRaw's table, which reads it from the file). RGGB, 24.3 MP on
  35.9 x 24.0 mm: 5.95 um pixels.
* ``Canon5DIVGRBG``: the Canon EOS 5D Mark IV's matrix
  ``{6446, -366, -864, -4436, 12204, 2513, -952, 2496, 6348} / 10000`` from
  the same table (``"EOS 5D Mark IV"``), black level 512 and 14-bit white
  16383 as in its CR2 files, 30.4 MP on 36 x 24 mm: 5.33 um pixels. Its
  GRBG layout is our choice, not taken from the real camera: it is the
  sensor with a different Bayer layout, so that an ISP trained on RGGB
  cameras is tested on a layout it has not seen.

* ``Canon1DsGBRG`` (camera D, colour-distant): the Canon EOS-1Ds's matrix
  ``{3925, 4060, -1739, -8973, 16552, 2545, -3287, 3945, 8243} / 10000``
  from the same table (``"EOS-1Ds", 0, 0xe20``: an Adobe matrix; maximum
  3616, the 12-bit saturation LibRaw uses), black level 128 as in Canon's
  12-bit CR2 files (not in LibRaw's table), 11.1 MP on 36 x 24 mm: 8.8 um
  pixels. Of the 721 Bayer RGB entries of that table (LibRaw commit
  158e635; Foveon, X-Trans, EXR and CMY sensors left out), its matrix is
  the farthest from camera A's by :func:`matrix_distance` (2.46, against
  0.66 for camera B and 1.38 for camera C): the camera on which the
  colour-space transform to XYZ should matter. Its GBRG layout is our
  choice, as camera C's GRBG is.

Noise (:meth:`Camera.noise`) follows Brooks et al., "Unprocessing Images
for Learned Raw Denoising", CVPR 2019: on black-subtracted values ``x``
normalised to [0, 1], ``x_noisy ~ N(x, shot * x + read)`` (heteroscedastic
Gaussian: photon shot noise plus read noise, both as variances), with
their relation between the two, ``log(read) = 2.18 log(shot) + 1.20 +
N(0, 0.26)``. Brooks et al. sample ``log(shot)`` uniformly in
``[log(1e-4), log(1.2e-2)]``; we tie ``shot`` to ISO instead. Shot-noise
variance in normalised units is ``1 / (electrons at saturation)``, which
grows linearly with ISO (the analogue gain) and, for the same
technology, inversely with pixel area; so

    shot = SHOT_AT_ISO100_REF * (ISO / 100) * (REF_PIXEL_UM / pixel_um)^2

with the reference (a 5.95 um full-frame pixel, the D750) reaching Brooks
et al.'s upper end, 1.2e-2, at ISO 51200 (the D750's highest extended
ISO): ``SHOT_AT_ISO100_REF = 1.2e-2 / 512``. Their range [1e-4, 1.2e-2]
then spans ISO 427-51200 on the D750, 342-41100 on the 5D IV and
69-8300 on the RX100 VII; values beyond 1.2e-2 (the small-pixel RX100 VII
above ISO 8300) extrapolate their log-linear read-noise relation.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Dict, Sequence, Tuple

import numpy as np

# Brooks et al. 2019, Sec. 3.5 / their unprocess code: the sampled range
# of the shot-noise variance and the read-vs-shot line in log space.
BROOKS_SHOT_RANGE = (1e-4, 1.2e-2)
BROOKS_READ_SLOPE = 2.18
BROOKS_READ_INTERCEPT = 1.20
BROOKS_READ_STD = 0.26

REF_PIXEL_UM = 5.95
SHOT_AT_ISO100_REF = BROOKS_SHOT_RANGE[1] / 512


def quantise_matrix(values: Sequence[float],
                    denominator: int = 10000) -> np.ndarray:
    """The 3x3 matrix exactly as ``write_dng`` stores it (rationals with
    denominator <= 10000), so that unprocessing uses the file's matrix."""
    q = [
        float(Fraction(float(v)).limit_denominator(denominator))
        for v in values
    ]
    return np.array(q, dtype=np.float64).reshape(3, 3)


@dataclass(frozen=True)
class NoiseParams:
    """Noise of one capture, in normalised units (variances)."""
    shot: float
    read: float


@dataclass(frozen=True)
class Camera:
    """A simulated Bayer camera.

    Attributes:
        name: identifier used in folder and file names and on the CLI.
        description: one line for ``--list-cameras``.
        pattern: colours of the top-left 2x2 tile, row-major (``RGGB``...).
        black_level, white_level: digital numbers.
        xyz_to_cam_1e4: XYZ -> camera matrix (D65), row-major, in units of
            1/10000 as in LibRaw's and Adobe's tables.
        pixel_um: pixel pitch in micrometres (sets shot noise per ISO).
        make, model: written to the DNG. The make is not a real
            manufacturer's, so that no decoder applies that maker's quirks
            or tables to the synthetic file.
    """
    name: str
    description: str
    pattern: str
    black_level: int
    white_level: int
    xyz_to_cam_1e4: Tuple[int, ...]
    pixel_um: float
    make: str = 'genisp-mmdet'
    model: str = ''

    @property
    def xyz_to_cam(self) -> np.ndarray:
        """``(3, 3)`` float64 XYZ -> camera RGB, as stored in the DNG."""
        return quantise_matrix([v / 10000 for v in self.xyz_to_cam_1e4])

    @property
    def dng_model(self) -> str:
        """The DNG's model string (``model``, or ``<name> (synthetic)``)."""
        return self.model or f'{self.name} (synthetic)'

    def shot_noise(self, iso: float) -> float:
        """Shot-noise variance per unit of normalised signal at ``iso``."""
        return (SHOT_AT_ISO100_REF * (iso / 100) *
                (REF_PIXEL_UM / self.pixel_um)**2)

    def noise(self, iso: float, read_z: float) -> NoiseParams:
        """Noise parameters at ``iso``; ``read_z`` ~ N(0, 1) is the capture's
        draw of Brooks et al.'s read-noise scatter (drawn once per capture,
        shared by all cameras so that only the sensor differs)."""
        shot = self.shot_noise(iso)
        log_read = (BROOKS_READ_SLOPE * math.log(shot) +
                    BROOKS_READ_INTERCEPT + BROOKS_READ_STD * read_z)
        return NoiseParams(shot, math.exp(log_read))


CAMERAS: Dict[str, Camera] = {
    c.name: c
    for c in (
        Camera(
            name='SonyRX100M7',
            description='Sony DSC-RX100M7-like: RGGB, 14-bit, black 800, '
            '1.0" sensor with 2.40 um pixels (RAW-NOD Sony)',
            pattern='RGGB',
            black_level=800,
            white_level=16383,
            xyz_to_cam_1e4=(10315, -4390, -937, -4859, 12734, 2365, -734,
                            1537, 5997),
            pixel_um=2.40),
        Camera(
            name='NikonD750',
            description='Nikon D750-like: RGGB, 14-bit, black 600, white '
            '15520, full frame with 5.95 um pixels (RAW-NOD Nikon)',
            pattern='RGGB',
            black_level=600,
            white_level=15520,
            xyz_to_cam_1e4=(9020, -2890, -715, -4535, 12436, 2348, -934,
                            1919, 7086),
            pixel_um=5.95),
        Camera(
            name='Canon5DIVGRBG',
            description='Canon EOS 5D Mark IV matrix and levels on a GRBG '
            'layout: 14-bit, black 512, 5.33 um pixels (unseen sensor)',
            pattern='GRBG',
            black_level=512,
            white_level=16383,
            xyz_to_cam_1e4=(6446, -366, -864, -4436, 12204, 2513, -952, 2496,
                            6348),
            pixel_um=5.33),
        Camera(
            name='Canon1DsGBRG',
            description='Canon EOS-1Ds matrix and levels on a GBRG layout: '
            '12-bit, black 128, white 3616, 8.8 um pixels (colour-distant '
            'unseen sensor)',
            pattern='GBRG',
            black_level=128,
            white_level=3616,
            xyz_to_cam_1e4=(3925, 4060, -1739, -8973, 16552, 2545, -3287,
                            3945, 8243),
            pixel_um=8.8),
    )
}

D65_XYZ = (0.95047, 1.0, 1.08883)


def matrix_distance(a: np.ndarray, b: np.ndarray) -> float:
    """How differently two sensors see colour: the Frobenius distance of
    their XYZ -> camera matrices after normalising each to map D65 white to
    (1, 1, 1) (each row divided by its response to D65), so that
    differences of gain, which a white balance removes, do not count."""
    white = np.asarray(D65_XYZ)

    def normalised(m):
        m = np.asarray(m, np.float64).reshape(3, 3)
        return m / (m @ white)[:, None]

    return float(np.linalg.norm(normalised(a) - normalised(b)))


def get_camera(name: str) -> Camera:
    """Look a camera up by name (case-insensitive)."""
    for key, cam in CAMERAS.items():
        if key.lower() == name.lower():
            return cam
    raise KeyError(f'unknown camera {name!r}; available: '
                   f'{", ".join(CAMERAS)}')
