"""All-pairs cosine metrics: MAD, MADGap (Chen et al. 2020) and the mean cosine similarity.

MAD follows the paper's formula (REFERENCE.md 1b), not the authors' rounded code:

1. ``D_ij = 1 - cos(x_i, x_j)`` for the pairs in the plan (every pair i != j up to
   :data:`~explorer.diagnostics.context.EXACT_PAIRS_LIMIT` nodes, a seeded sample beyond);
2. each row is averaged over its **non-zero** entries (``D_ij > ZERO_TOL``; a pair of parallel
   rows has distance 0 and drops out of the count);
3. MAD is the mean of the row averages that are non-zero. No rounding.

Rule for all-zero rows: a zero vector has no direction, so its cosine is undefined. Zero rows are
left out of every pair (as if absent). When fewer than two non-zero rows remain there is nothing
left to tell apart: MAD is 0.0 and the mean cosine similarity is 1.0 (never NaN).

The N x N distance matrix is never built: rows are processed in chunks of
``CHUNK_ELEMS / C`` anchors against the C partners, so memory stays O(CHUNK_ELEMS).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from explorer.diagnostics.context import MetricContext
from explorer.diagnostics.hops import HopTable, as_hop_table

__all__ = ["mad", "mad_gap", "mean_cosine_similarity", "pair_metrics", "unit_rows", "ZERO_TOL", "CHUNK_ELEMS"]

#: cosine distances at or below this count as zero (float64 rounding of parallel rows is ~1e-16)
ZERO_TOL = 1e-12
#: entries of the [chunk, C] distance block computed at once
CHUNK_ELEMS = 1 << 21


def unit_rows(x: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Rows scaled to unit length in float64 (zero rows stay zero) and the ``[N]`` non-zero mask."""
    x = torch.as_tensor(x).detach().to(torch.float64)
    if x.ndim == 1:
        x = x.reshape(-1, 1)
    nrm = torch.linalg.vector_norm(x, dim=1, keepdim=True)
    if not bool(torch.isfinite(nrm).all()):              # |x| > 1e154: rescale rows first
        scale = x.abs().amax(dim=1, keepdim=True)
        x = x / torch.where(scale > 0, scale, torch.ones_like(scale))
        nrm = torch.linalg.vector_norm(x, dim=1, keepdim=True)
    valid = nrm.reshape(-1) > 0
    return x / torch.where(nrm > 0, nrm, torch.ones_like(nrm)), valid


def _nonzero_mean(row_sum: torch.Tensor, row_cnt: torch.Tensor) -> float:
    """Chen et al.'s two-level average: per row over non-zero entries, then over non-zero rows."""
    avg = torch.where(row_cnt > 0, row_sum / row_cnt.clamp(min=1), torch.zeros_like(row_sum))
    k = int((avg > 0).sum())
    return float(avg.sum() / k) if k else 0.0


def pair_metrics(x: Any, anchors: np.ndarray, partners: np.ndarray, *, hops: HopTable | None = None,
                 near: int = 3, far: int = 8, chunk_elems: int = CHUNK_ELEMS,
                 unit: tuple[torch.Tensor, torch.Tensor] | None = None) -> dict[str, Any]:
    """Global MAD and (with ``hops``) MADGap over the pairs ``anchors x partners`` (i != j).

    Args:
        x: ``[N, F]`` features (torch on any device, or numpy).
        anchors: ``[R]`` node ids (the rows of the distance block).
        partners: ``[C]`` node ids (its columns).
        hops: capped hop distances with ``hops.rows == anchors`` and ``hops.cols == partners``.
        near, far: MADGap thresholds (near pairs: 1..near hops; far: >= far hops or unreachable).
        chunk_elems: entries computed per chunk.
        unit: ``unit_rows(x)`` when the caller already has it.

    Returns:
        ``{"mad": float, "mad_gap": float | None, "mad_near": ..., "mad_far": ...}``; the MADGap
        entries are ``None`` when ``hops`` is missing or a set has no pair of non-zero rows.

    Shapes:
        x: [N, F]; anchors: [R]; partners: [C]; hops.dist: [R, C].
    """
    u, valid = unit_rows(x) if unit is None else unit
    dev = u.device
    a_idx = torch.as_tensor(np.asarray(anchors), dtype=torch.int64, device=dev)
    p_idx = torch.as_tensor(np.asarray(partners), dtype=torch.int64, device=dev)
    up, vp = u.index_select(0, p_idx), valid.index_select(0, p_idx)
    dist = None if hops is None else torch.as_tensor(hops.dist, device=dev)
    step = max(1, int(chunk_elems) // max(int(p_idx.numel()), 1))
    sums = {k: [] for k in ("all", "near", "far")}
    cnts = {k: [] for k in ("all", "near", "far")}
    n_pairs = {"near": 0, "far": 0}
    for a0 in range(0, int(a_idx.numel()), step):
        ai = a_idx[a0:a0 + step]
        d = 1.0 - u.index_select(0, ai) @ up.T
        ok = valid.index_select(0, ai)[:, None] & vp[None, :] & (ai[:, None] != p_idx[None, :])
        nz = ok & (d > ZERO_TOL)
        dz = torch.where(nz, d, torch.zeros_like(d))
        sums["all"].append(dz.sum(1))
        cnts["all"].append(nz.sum(1))
        if dist is not None:
            hd = dist[a0:a0 + step]
            for key, m in (("near", (hd >= 1) & (hd <= near)), ("far", hd >= far)):
                n_pairs[key] += int((ok & m).sum())
                sums[key].append(torch.where(m, dz, torch.zeros_like(dz)).sum(1))
                cnts[key].append((nz & m).sum(1))
    cat = lambda v: torch.cat(v) if v else torch.zeros(0, dtype=torch.float64, device=dev)  # noqa: E731
    out: dict[str, Any] = {"mad": _nonzero_mean(cat(sums["all"]), cat(cnts["all"])),
                           "mad_near": None, "mad_far": None, "mad_gap": None}
    if dist is not None:
        for key in ("near", "far"):
            if n_pairs[key]:
                out[f"mad_{key}"] = _nonzero_mean(cat(sums[key]), cat(cnts[key]))
        if out["mad_near"] is not None and out["mad_far"] is not None:
            out["mad_gap"] = out["mad_far"] - out["mad_near"]
    return out


def mad(x: Any, *, context: MetricContext | None = None, chunk_elems: int = CHUNK_ELEMS) -> float:
    """Global mean average (cosine) distance of Chen et al. 2020, with the non-zero rule.

    Exact over all pairs i != j (chunked) unless a sampled ``context`` is given.

    Args:
        x: ``[N, F]`` node features (torch on any device, or numpy).
        context: a :class:`MetricContext` whose pair plan to use (default: every pair).
        chunk_elems: distance entries computed per chunk.

    Returns:
        MAD in [0, 2]; 0.0 when all rows are parallel, or fewer than two rows are non-zero.

    Example:
        >>> mad(np.array([[1.0, 0.0], [0.0, 1.0]]))
        1.0
    """
    n = int(np.shape(x)[0])
    plan = (context.anchors, context.partners) if context is not None else (np.arange(n), np.arange(n))
    return pair_metrics(x, *plan, chunk_elems=chunk_elems)["mad"]


def mad_gap(x: Any, hops: HopTable | np.ndarray, near: int = 3, far: int = 8, *,
            chunk_elems: int = CHUNK_ELEMS) -> float | None:
    """MADGap = MAD over far pairs (>= ``far`` hops) minus MAD over near pairs (1..``near`` hops).

    Args:
        x: ``[N, F]`` node features.
        hops: a :class:`~explorer.diagnostics.hops.HopTable` (its rows x cols are the pairs
            used) or a dense ``[N, N]`` hop-distance matrix (``inf``/negative = unreachable).
            Unreachable pairs (other connected components) count as far.
        near, far: the thresholds (Chen et al. use 3 and 8).
        chunk_elems: distance entries computed per chunk.

    Returns:
        The gap, or ``None`` when there is no near pair or no far pair of non-zero rows.

    Raises:
        ModelError: for hops capped below ``far``, or a non-square dense matrix.
    """
    table = as_hop_table(hops, far)
    return pair_metrics(x, table.rows, table.cols, hops=table, near=near, far=far,
                        chunk_elems=chunk_elems)["mad_gap"]


def mean_cosine_similarity(x: Any, *, unit: tuple[torch.Tensor, torch.Tensor] | None = None) -> float:
    """Mean of ``cos(x_i, x_j)`` over ordered pairs i != j of non-zero rows; exact in O(N F).

    Uses ``sum_{i != j} u_i . u_j = ||sum_i u_i||^2 - n`` for unit rows u. Zero rows are left
    out; with fewer than two non-zero rows the result is 1.0 (see the module's rule).

    Example:
        >>> mean_cosine_similarity(np.array([[1.0, 0.0], [0.0, 2.0], [3.0, 0.0]]))
        0.3333333333333333
    """
    u, valid = unit_rows(x) if unit is None else unit
    k = int(valid.sum())
    if k < 2:
        return 1.0
    total = u.sum(0)
    return float(((total @ total) - k) / (k * (k - 1)))
