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

__all__ = ["mad", "mad_gap", "mean_cosine_similarity", "pair_metrics", "pair_classes", "unit_rows", "ZERO_TOL", "CHUNK_ELEMS"]

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


def pair_classes(hops: HopTable, near: int, far: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """``[R, C]`` int64 keys ``3 * row + class`` (class 1: 1..near hops, 2: >= far, 0: other).

    One ``bincount`` over these keys sums a distance block per (row, class) in a single pass;
    a sweep computes them once per graph. Self pairs (0 hops) are class 0.
    """
    d = torch.as_tensor(hops.dist, device=device)
    cls = torch.where((d >= 1) & (d <= near), 1, torch.where(d >= far, 2, 0)).to(torch.int64)
    return cls + 3 * torch.arange(d.shape[0], device=device, dtype=torch.int64)[:, None]


def pair_metrics(x: Any, anchors: np.ndarray, partners: np.ndarray, *, hops: HopTable | None = None,
                 near: int = 3, far: int = 8, chunk_elems: int = CHUNK_ELEMS,
                 unit: tuple[torch.Tensor, torch.Tensor] | None = None,
                 classes: torch.Tensor | None = None) -> dict[str, Any]:
    """Global MAD and (with ``hops``) MADGap over the pairs ``anchors x partners`` (i != j).

    Args:
        x: ``[N, F]`` features (torch on any device, or numpy).
        anchors: ``[R]`` node ids (the rows of the distance block).
        partners: ``[C]`` node ids (its columns).
        hops: capped hop distances with ``hops.rows == anchors`` and ``hops.cols == partners``.
        near, far: MADGap thresholds (near pairs: 1..near hops; far: >= far hops or unreachable).
        chunk_elems: entries computed per chunk.
        unit: ``unit_rows(x)`` when the caller already has it.
        classes: ``pair_classes(hops, near, far)`` when the caller already has it.

    Returns:
        ``{"mad": float, "mad_gap": float | None, "mad_near": ..., "mad_far": ...}``; the MADGap
        entries are ``None`` when ``hops`` is missing or a set has no pair of non-zero rows.

    Shapes:
        x: [N, F]; anchors: [R]; partners: [C]; hops.dist, classes: [R, C].

    How: per chunk of anchors, ``D = (1 - U_a U_p^T) * v_a v_p^T`` (v = non-zero-row mask, so
    pairs with a zero row become 0 and drop out like the self pairs, whose distance is ~1e-16),
    then ``D > ZERO_TOL`` and two bincounts give every per-row, per-class sum and count.
    """
    u, valid = unit_rows(x) if unit is None else unit
    dev = u.device
    a_idx = torch.as_tensor(np.asarray(anchors), dtype=torch.int64, device=dev)
    p_idx = torch.as_tensor(np.asarray(partners), dtype=torch.int64, device=dev)
    R = int(a_idx.numel())
    if classes is None and hops is not None:
        classes = pair_classes(hops, near, far, dev)
    up = u.index_select(0, p_idx)
    vf = valid.to(u.dtype)
    va, vp = vf.index_select(0, a_idx), vf.index_select(0, p_idx)
    all_valid = bool(valid.all())
    step = max(1, int(chunk_elems) // max(int(p_idx.numel()), 1))
    sums = torch.zeros(3 * R, dtype=u.dtype, device=dev)
    cnts = torch.zeros(3 * R, dtype=u.dtype, device=dev)
    n_pairs = torch.zeros(3, dtype=u.dtype, device=dev)
    for a0 in range(0, R, step):
        a1 = min(a0 + step, R)
        d = torch.mm(u.index_select(0, a_idx[a0:a1]), up.T).neg_().add_(1.0)
        if not all_valid:
            d.mul_(va[a0:a1, None]).mul_(vp[None, :])
        nz = (d > ZERO_TOL).to(d.dtype)
        d.mul_(nz)
        if classes is None:
            rows = slice(3 * a0, 3 * a1, 3)
            sums[rows] += d.sum(1)
            cnts[rows] += nz.sum(1)
            continue
        key = classes[a0:a1].reshape(-1)
        sums += torch.bincount(key, weights=d.reshape(-1), minlength=3 * R)
        cnts += torch.bincount(key, weights=nz.reshape(-1), minlength=3 * R)
        w = None if all_valid else (va[a0:a1, None] * vp[None, :]).reshape(-1)
        n_pairs += torch.bincount(key % 3, weights=w, minlength=3).to(u.dtype)
    s3, c3 = sums.view(R, 3), cnts.view(R, 3)
    out: dict[str, Any] = {"mad": _nonzero_mean(s3.sum(1), c3.sum(1)),
                           "mad_near": None, "mad_far": None, "mad_gap": None}
    if classes is not None:
        for key, col in (("near", 1), ("far", 2)):
            if float(n_pairs[col]) > 0:
                out[f"mad_{key}"] = _nonzero_mean(s3[:, col], c3[:, col])
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
