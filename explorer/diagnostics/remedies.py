"""Remedies against over-smoothing (REFERENCE.md 1e): PairNorm, GCNII, DropEdge, residuals.

* :class:`PairNorm` — Zhao & Akoglu 2020 in PyG's convention: centre the rows, then scale them
  so that the mean squared row norm is ``scale**2``: ``s * x_c / sqrt(eps + mean_i ||x_c,i||^2)``
  with ``eps = 1e-5`` inside the square root (``scale_individually=True``: ``s * x_c /
  (eps + ||x_c,i||)``, eps outside the norm). Applied after a layer, before its activation.
* :class:`GCN2Conv` — Chen et al. 2020 (GCNII) as PyG's ``GCN2Conv(channels, alpha, theta,
  layer)``: ``out = ((1-a) P h + a h0) ((1-b) I + b W)``, ``b = ln(theta / layer + 1)``, no bias,
  no activation; P = D̃^-1/2 (A+I) D̃^-1/2 with PyG's self-loop rule. The weight is named
  ``weight1`` as in PyG (shared weights).
* :func:`drop_edge` — Rong et al. 2020 in PyG's ``dropout_edge`` form: each *directed* edge is
  kept independently with probability ``1 - p`` (so the number dropped is random); no rescaling.
  The next GCN layer re-normalises on the thinned graph by itself.
* Residual connections — ``h + act(conv(h))`` (the "ResGCN" of over-smoothing papers); built
  into :class:`~explorer.diagnostics.sweep.DeepStack`.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from explorer.errors import ModelError
from explorer.nn.ops import glorot_, remaining_self_loops, scatter

__all__ = ["PairNorm", "GCN2Conv", "drop_edge", "gcn_propagate", "REMEDIES"]

REMEDIES = ("none", "residual", "pairnorm", "gcnii", "dropedge")


class PairNorm(nn.Module):
    """PairNorm with PyG's defaults (``scale=1``, ``eps=1e-5``); no parameters.

    Shapes:
        x ``[N, F]`` -> ``[N, F]``.
    """

    def __init__(self, scale: float = 1.0, scale_individually: bool = False, eps: float = 1e-5):
        super().__init__()
        self.scale, self.scale_individually, self.eps = float(scale), bool(scale_individually), float(eps)

    def forward(self, x: Tensor) -> Tensor:
        xc = x - x.mean(dim=0, keepdim=True)
        if self.scale_individually:
            return self.scale * xc / (self.eps + xc.norm(dim=1, keepdim=True))
        return self.scale * xc / (self.eps + xc.pow(2).sum(dim=1).mean()).sqrt()


def gcn_propagate(x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
    """``P x`` with GCN's symmetric normalisation ``D̃^-1/2 (A + I) D̃^-1/2`` (PyG's rule:
    self-loops replaced by one loop per node, existing loop weights kept; degrees are weighted
    in-degrees).

    Shapes:
        x ``[N, F]``, edge_index ``[2, E]``, edge_weight ``[E]`` -> ``[N, F]``.
    """
    n = x.shape[0]
    ei, _, w = remaining_self_loops(edge_index, n, edge_weight, 1.0)
    if w is None:
        w = x.new_ones(ei.shape[1])
    deg = scatter(w, ei[1], n)
    dis = deg.pow(-0.5)
    dis.masked_fill_(dis == float("inf"), 0.0)
    coef = dis[ei[0]] * w * dis[ei[1]]
    return scatter(coef.view(-1, 1) * x[ei[0]], ei[1], n)


class GCN2Conv(nn.Module):
    """GCNII's layer (initial residual and identity mapping), PyG's ``GCN2Conv`` semantics.

    Args:
        channels: feature width C (input and output).
        alpha: strength of the initial residual (paper: 0.1).
        theta: lambda of the identity mapping (paper: 0.5); ``None`` gives beta = 1, as PyG.
        layer: the 1-based layer index l; ``None`` gives beta = 1, as PyG.

    Shapes:
        x ``[N, C]``, x_0 ``[N, C]``, edge_index ``[2, E]`` -> ``[N, C]``.
    """

    def __init__(self, channels: int, alpha: float, theta: float | None = None, layer: int | None = None):
        super().__init__()
        self.channels, self.alpha = int(channels), float(alpha)
        self.beta = 1.0 if theta is None or layer is None else math.log(theta / layer + 1.0)
        self.weight1 = nn.Parameter(torch.empty(channels, channels))
        glorot_(self.weight1)

    def forward(self, x: Tensor, x_0: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        h = (1.0 - self.alpha) * gcn_propagate(x, edge_index, edge_weight) + self.alpha * x_0[: x.shape[0]]
        return torch.addmm(h, h, self.weight1, beta=1.0 - self.beta, alpha=self.beta)


def drop_edge(edge_index: Tensor, p: float, generator: torch.Generator,
              edge_weight: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
    """Keep each directed edge independently with probability ``1 - p`` (PyG's ``dropout_edge``).

    Args:
        edge_index: ``[2, E]``.
        p: drop probability in [0, 1).
        generator: the seeded torch generator (on the CPU; the mask is moved to the edges' device).
        edge_weight: ``[E]`` or ``None``; the kept edges keep their weights.

    Returns:
        ``(edge_index [2, E_kept], edge_weight [E_kept] or None)``.

    Raises:
        ModelError: ``p`` outside [0, 1).
    """
    if not 0.0 <= p < 1.0:
        raise ModelError(f"DropEdge needs 0 <= p < 1 (got p={p}); p is the chance of dropping each edge")
    keep = (torch.rand(edge_index.shape[1], generator=generator) >= p).to(edge_index.device)
    return edge_index[:, keep], (None if edge_weight is None else edge_weight[keep])
