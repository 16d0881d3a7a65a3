"""Do a GenISP's global stages act on content, or are they constants?
Per-image records of what the exposure normalisation, ConvWB and ConvCC
predict, and summaries over images (plain torch and numpy).

Summaries (:func:`summarize`):

* ``saturated``: share of squashing arguments beyond twice their bound
  (where tanh's slope is below 0.07: little gradient reaches the encoder);
* ``gain_log_std``: spread of the log-gains over images (0 = a constant);
* ``matrix_entry_std_max``: the largest spread of a colour-matrix entry;
* ``matrix_unit_entry_std_max``: the same with each matrix's scale removed
  (``M sqrt(3) / ||M||_F``, the identity's scale): what an instance norm
  after the matrix sees of it, in any parametrisation;
* ``matrix_scale_log_std``: spread of ``log ||M||_F`` over images (the part
  an instance norm undoes where nothing comes between);
* ``matrix_mean_sv_ratio``: the largest singular value of the mean matrix
  over the second (1 for a rotation, large for a projection onto one
  colour direction: output channels that all carry the same mix of the
  inputs, a grey image; ``det M = 1`` forms reach that only at an
  infinite log-norm; None for a mean matrix of rank 1);
* ``top_input``: the input colour (X, Y, Z) that the stages' mean map,
  mean matrix times mean gains, amplifies most (its first right singular
  vector, largest entry positive): ``(0, 1, 0)`` where the map keeps the
  luminance Y and drops the chromaticity;
* ``illuminant_correlation``: correlation, over images, of the predicted
  blue-red balance ``log(g_Z / g_X)`` with the one that would map the
  scene's white to D65's (von Kries in XYZ), where the white is known;
* ``white_residual``: spread of the chromaticity of the scene white after
  the stages' per-pixel map, over its spread after the stages' mean map
  (1 = no per-image colour constancy, 0 = perfect);
* ``white_gain``: how much the global stages' mean map (mean gains, mean
  matrix, and a learned tone gain where there is one) brightens D65
  white, ``||M diag(g) w|| / ||w||`` (1 = level kept; the exposure
  normalisation before them is not counted): the level the tone curve
  sees, relative to its knee;
* ``gain_response_5x_darker``: the gains on the same images 5 times darker,
  over the gains on them as they are (1 = blind to brightness).
"""
from __future__ import annotations

import math
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from torch import Tensor

# XYZ of D65 white, Y = 1 (the white a colour-constant ISP maps a scene's
# light to)
D65 = np.array([0.95047, 1.0, 1.08883])


def stage_records(isp, images: Sequence[Tensor],
                  whites: Optional[Sequence[Sequence[float]]] = None
                  ) -> List[dict]:
    """Per-image records of a GenISP's global stages.

    Args:
        isp: a :class:`~genisp_mmdet.isp.GenISP`.
        images: ``(3, H, W)`` float ISP inputs.
        whites: XYZ of each image's scene illuminant (Y = 1), if known.
    """
    records = []
    for i, img in enumerate(images):
        x = img.float()[None]
        with torch.no_grad():
            st = isp.global_stages(x)
            dark = isp.global_stages(x / 5)
        rec: Dict[str, object] = dict(thumb_mean=float(st.thumb.mean()))
        if getattr(isp, 'tone_log_gain', None) is not None:
            rec['tone_gain'] = float(torch.exp(isp.tone_log_gain))
        if whites is not None:
            rec['white'] = [float(v) for v in whites[i]]
        squash = []
        for stage, out in ((isp.conv_wb, st.wb_out), (isp.conv_cc,
                                                      st.cc_out)):
            if stage is not None:
                squash += [float(v) / b for values, b in
                           stage.squash_inputs(out) for v in
                           values.flatten()]
        rec['squash'] = squash
        if st.gains is not None:
            rec['gains'] = st.gains[0].tolist()
            rec['gains_dark'] = dark.gains[0].tolist()
        if st.matrix is not None:
            rec['matrix'] = st.matrix[0].tolist()
        pm = st.pixel_map()
        if pm is not None:
            rec['pixel_map'] = pm[0].tolist()
        records.append(rec)
    return records


def _corr(a: np.ndarray, b: np.ndarray) -> Optional[float]:
    if len(a) < 3 or np.std(a) < 1e-12 or np.std(b) < 1e-12:
        return None
    return float(np.corrcoef(a, b)[0, 1])


def _log_chroma(v: np.ndarray) -> np.ndarray:
    """``(N, 3)`` positive tristimulus -> ``(N, 2)`` log(X/Y), log(Z/Y)."""
    v = np.clip(v, 1e-9, None)
    return np.stack([np.log(v[:, 0] / v[:, 1]), np.log(v[:, 2] / v[:, 1])],
                    1)


def summarize(records: Sequence[dict]) -> dict:
    """Summaries of per-image records (see the module docstring)."""
    out: Dict[str, object] = dict(images=len(records))
    sat = [s for r in records for s in r.get('squash', [])]
    if sat:
        out['saturated'] = float(np.mean([abs(s) > 2 for s in sat]))
        out['squash_max'] = float(np.max(np.abs(sat)))
    known = bool(records) and all('white' in r for r in records)
    whites = np.array([r['white'] for r in records]) if known else None
    if records and records[0].get('gains') is not None:
        g = np.array([r['gains'] for r in records])
        logg = np.log(np.clip(g, 1e-12, None))
        out['gain_mean'] = g.mean(0).round(4).tolist()
        out['gain_log_std'] = logg.std(0).round(4).tolist()
        if known:
            ideal = np.log(D65[None] / whites)
            out['illuminant_correlation'] = _corr(
                logg[:, 2] - logg[:, 0], ideal[:, 2] - ideal[:, 0])
        dark = [r for r in records if r.get('gains_dark') is not None]
        if dark:
            ratio = np.array([r['gains_dark'] for r in dark]) / np.array(
                [r['gains'] for r in dark])
            out['gain_response_5x_darker'] = ratio.mean(0).round(3).tolist()
    if records and records[0].get('tone_gain') is not None:
        out['tone_gain'] = float(np.mean([r['tone_gain'] for r in records]))
    if records and records[0].get('matrix') is not None:
        m = np.array([r['matrix'] for r in records])
        out['matrix_mean'] = m.mean(0).round(4).tolist()
        out['matrix_entry_std_max'] = float(m.std(0).max())
        norm = np.linalg.norm(m.reshape(len(m), -1), axis=1)
        unit = m * (math.sqrt(3) / np.clip(norm, 1e-12, None))[:, None, None]
        out['matrix_unit_entry_std_max'] = float(unit.std(0).max())
        out['matrix_scale_log_std'] = float(
            np.log(np.clip(norm, 1e-12, None)).std())
    if known and records[0].get('pixel_map') is not None:
        maps = np.array([r['pixel_map'] for r in records])
        per_image = _log_chroma(np.einsum('nij,nj->ni', maps, whites))
        mean_map = np.einsum('ij,nj->ni', maps.mean(0), whites)
        constant = _log_chroma(mean_map)
        spread = per_image.std(0).sum()
        base = constant.std(0).sum()
        out['white_residual'] = float(spread / base) if base > 0 else None
    return complete(out)


def complete(summary: dict) -> dict:
    """Add the summaries computed from others (``matrix_mean_sv_ratio``
    from ``matrix_mean``, ``white_gain`` from the mean gains, matrix and
    tone gain) where they are missing, in place: stored summaries without
    their records follow today's definitions. Returns ``summary``."""
    mean = summary.get('matrix_mean')
    if 'white_gain' not in summary and (
            mean is not None or summary.get('gain_mean') is not None):
        m = np.array(mean if mean is not None else np.eye(3), dtype=float)
        g = np.array(summary.get('gain_mean') or np.ones(3), dtype=float)
        white = m @ (g * D65) * summary.get('tone_gain', 1.0)
        summary['white_gain'] = float(np.linalg.norm(white) /
                                      np.linalg.norm(D65))
    if mean is not None and 'matrix_mean_sv_ratio' not in summary:
        sv = np.linalg.svd(np.array(mean, dtype=float), compute_uv=False)
        summary['matrix_mean_sv_ratio'] = (float(sv[0] / sv[1])
                                           if sv[1] > 1e-9 * sv[0] else None)
    if 'top_input' not in summary and (
            mean is not None or summary.get('gain_mean') is not None):
        m = np.array(mean if mean is not None else np.eye(3), dtype=float)
        g = np.array(summary.get('gain_mean') or np.ones(3), dtype=float)
        v = np.linalg.svd(m * g[None, :])[2][0]
        v = v if v[np.argmax(np.abs(v))] > 0 else -v
        summary['top_input'] = [round(float(x), 3) + 0.0 for x in v]
    return summary


def fmt(summary: dict) -> str:
    """One line for a report."""
    parts = []
    for key in ('saturated', 'gain_log_std', 'matrix_entry_std_max',
                'illuminant_correlation', 'white_residual',
                'gain_response_5x_darker'):
        v = summary.get(key)
        if v is None:
            continue
        if isinstance(v, list):
            v = '(' + ', '.join(f'{x:.3g}' for x in v) + ')'
        elif isinstance(v, float) and math.isfinite(v):
            v = f'{v:.3g}'
        parts.append(f'{key} {v}')
    return '; '.join(parts)
