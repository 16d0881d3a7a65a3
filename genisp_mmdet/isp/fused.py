"""Draft"""
from __future__ import annotations

import logging
from typing import Callable, Dict, Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

logger = logging.getLogger(__name__)


# --------------------------------------------------------------- kernels
def norm_act_forward(y: Tensor, eps: float, slope: float):
    var, mean = torch.var_mean(y, dim=(2, 3), keepdim=True, correction=0)
    rstd = torch.rsqrt(var + eps)
    z = F.leaky_relu((y - mean) * rstd, slope)
    return z, rstd


def _input_grad(gz: Tensor, z: Tensor, rstd: Tensor, slope: float) -> Tensor:
    pos = z > 0
    g_hat = torch.where(pos, gz, gz * slope)
    y_hat = torch.where(pos, z, z * (1.0 / slope))
    s1 = g_hat.mean(dim=(2, 3), keepdim=True)
    s2 = (gz * z).mean(dim=(2, 3), keepdim=True)
    return rstd * (g_hat - s1 - y_hat * s2)


def norm_act_backward(gz: Tensor, z: Tensor, rstd: Tensor, slope: float):
    return _input_grad(gz, z, rstd, slope)


def norm_act_pointwise_forward(y: Tensor, weight: Tensor, bias: Tensor,
                               eps: float, slope: float):
    z, rstd = norm_act_forward(y, eps, slope)
    n, c, h, w = z.shape
    out = torch.baddbmm(bias.view(1, -1, 1), weight.expand(n, -1, -1),
                        z.view(n, c, h * w)).view(n, -1, h, w)
    return out, z, rstd


def norm_act_pointwise_backward(g: Tensor, z: Tensor, rstd: Tensor,
                                weight: Tensor, slope: float):
    n, c, h, w = z.shape
    gz = (weight.t()[None, :, :, None, None] * g[:, None]).sum(2)
    g_y = _input_grad(gz, z, rstd, slope)
    g_w = torch.bmm(g.view(n, -1, h * w),
                    z.view(n, c, h * w).transpose(1, 2)).sum(0)
    g_b = g.sum(dim=(0, 2, 3))
    return g_y, g_w, g_b
