"""A matrix exponential from matrix products only, for exported graphs.

``torch.linalg.matrix_exp`` chooses its approximant at run time from the
norm of its input; ONNX has no such operator, and the TorchScript-based
ONNX exporter refuses it. :func:`bounded_matrix_exp` computes the same
function with a fixed number of products, chosen from a known bound on the
input's norm, as :class:`~genisp_mmdet.isp.genisp.ConvCC` guarantees
(``||A||_F <= max_log_norm``, 2 by default): scaling and squaring,

    expm(A) = T(A / 2^s) ^ (2^s),    T(X) = sum_{k=0..degree} X^k / k!,

with ``s`` the least number of squarings that brings ``||A / 2^s||`` to
at most ``theta``. For ``theta = 0.5`` and ``degree = 10`` the truncated
tail of the Taylor series is at most
``theta^11 / 11! / (1 - theta / 12) = 1.3e-11`` relative to
``||expm(X)|| >= exp(-theta)``, and the ``s`` squarings multiply that by
about ``2^s`` (4 for a bound of 2: 1.5e-11 measured in float64), far below
float32 rounding (6e-8); in float32 what remains is the rounding of
``degree + s`` products of small matrices (4e-7 relative, measured, against
float64; ``torch.linalg.matrix_exp`` in float32: 5e-7).
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

THETA = 0.5
DEGREE = 10


def num_squarings(max_norm: float, theta: float = THETA) -> int:
    """The least ``s >= 0`` with ``max_norm / 2^s <= theta``.

    Raises:
        ValueError: ``max_norm`` is not a finite number >= 0, or
            ``theta`` not > 0.
    """
    if not (isinstance(max_norm, (int, float)) and math.isfinite(max_norm)
            and max_norm >= 0):
        raise ValueError(f'max_norm must be a finite number >= 0, got '
                         f'{max_norm!r}')
    if not theta > 0:
        raise ValueError(f'theta must be > 0, got {theta!r}')
    if max_norm <= theta:
        return 0
    return math.ceil(math.log2(max_norm / theta))


def bounded_matrix_exp(a: Tensor, max_norm: float, theta: float = THETA,
                       degree: int = DEGREE) -> Tensor:
    """``torch.linalg.matrix_exp(a)`` for inputs of known bounded norm, as
    a fixed sequence of matrix products (traceable into any graph format).

    Accurate to the rounding of ``a``'s dtype where ``||a||_2 <= max_norm``
    (the Frobenius norm bounds the spectral one, so ``||a||_F <= max_norm``
    suffices); outside that bound the error grows without any warning
    (nothing in the computation depends on the values).

    Args:
        a: ``(..., n, n)`` float32 or float64.
        max_norm: the bound on each matrix's norm; sets the number of
            squarings (:func:`num_squarings`).
        theta: the norm after scaling that the Taylor polynomial serves.
        degree: the degree of the Taylor polynomial (>= 1).

    Returns:
        ``(..., n, n)``, the dtype of ``a``.
    """
    if a.dim() < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f'expected (..., n, n) matrices, got shape '
                         f'{tuple(a.shape)}')
    if degree < 1:
        raise ValueError(f'degree must be >= 1, got {degree!r}')
    s = num_squarings(max_norm, theta)
    x = a * (0.5 ** s)
    eye = torch.eye(a.shape[-1], dtype=a.dtype, device=a.device)
    # Horner: I + X (I + X/2 (I + X/3 (... (I + X/degree))))
    e = eye + x / degree
    for k in range(degree - 1, 0, -1):
        e = eye + torch.matmul(x, e) / k
    for _ in range(s):
        e = torch.matmul(e, e)
    return e
