"""Over-smoothing metrics of a node-feature matrix X on a graph (REFERENCE.md section 1).

Every function accepts a torch tensor on any device (computed there) or a numpy array, and
computes in float64. Which definition each number is:

=============================  ==================================================================
``dirichlet_energy``           Rusch, Bronstein & Mishra 2023: E = (1/N) sum_i sum_{j in N(i)}
                               ||x_i - x_j||^2 (each undirected edge counted from both ends,
                               duplicate edges once, self-loops ignored) = (2/N) tr(X^T L X).
                               The survey's measure is sqrt(E) (:func:`survey_measure`).
``dirichlet_energy_normalized`` Cai & Wang 2020: tr(X^T Δ̃ X), Δ̃ = I - D̃^-1/2 (A+I) D̃^-1/2 on the
                               symmetrised graph. Not zero for constant X unless degrees are equal.
``mad``, ``mad_gap``           Chen et al. 2020, paper formula (see :mod:`.pairs`).
``effective_rank``             Roy & Vetterli 2007: exp(entropy of sigma / sum sigma).
``numerical_rank``             ||X||_F^2 / ||X||_2^2.
``feature_norm``               ||X||_F, shown beside every energy (an energy -> 0 may be X -> 0).
``mean_cosine_similarity``     mean of cos(x_i, x_j) over pairs i != j of non-zero rows.
=============================  ==================================================================

Edge weights are ignored: the metrics see the graph's topology only.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from explorer.errors import ModelError
from explorer.diagnostics.context import EXACT_PAIRS_LIMIT, SAMPLE_PAIRS, GraphLike, MetricContext
from explorer.diagnostics.hops import HopTable, as_hop_table
from explorer.diagnostics.pairs import mad, mad_gap, mean_cosine_similarity, pair_metrics, unit_rows

__all__ = ["dirichlet_energy", "survey_measure", "dirichlet_energy_normalized", "mad", "mad_gap",
           "effective_rank", "numerical_rank", "feature_norm", "mean_cosine_similarity",
           "all_metrics", "METRIC_KEYS"]

#: the metric keys of one layer, in the order of the CLI's JSON
METRIC_KEYS = ("dirichlet_energy", "dirichlet_energy_normalized", "mad", "mad_gap",
               "effective_rank", "numerical_rank", "feature_norm", "mean_cosine_similarity")

_EDGE_CHUNK = 4096   # edges per chunk: the gathered rows stay in cache (about 20x faster)
_GRAM_MIN = 1 << 18  # N*F from which singular values come from the F x F Gram matrix


def _tensor(x: Any) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        return x.detach()
    return torch.from_numpy(np.array(x, dtype=np.float64))   # a copy: read-only arrays are fine


def _f64(x: Any) -> torch.Tensor:
    t = _tensor(x)
    if t.ndim == 1:
        t = t.reshape(-1, 1)
    if t.ndim != 2:
        raise ModelError(f"expected node features of shape [N, F], found shape {tuple(t.shape)}")
    return t.to(torch.float64)


def _sq_diff_sum(x: torch.Tensor, s: torch.Tensor, r: torch.Tensor) -> float:
    """sum_e ||x[s_e] - x[r_e]||^2, chunked over edges with reused buffers."""
    m = int(s.numel())
    if m == 0:
        return 0.0
    c = min(_EDGE_CHUNK, m)
    a = torch.empty((c, x.shape[1]), dtype=x.dtype, device=x.device)
    b = torch.empty_like(a)
    total = torch.zeros((), dtype=x.dtype, device=x.device)
    for k in range(0, m, c):
        k1 = min(k + c, m)
        aa, bb = a[:k1 - k], b[:k1 - k]
        torch.index_select(x, 0, s[k:k1], out=aa)
        torch.index_select(x, 0, r[k:k1], out=bb)
        aa.sub_(bb)
        total += torch.einsum("ij,ij->", aa, aa)
    return float(total)


def _context(x: torch.Tensor, graph: GraphLike, n_nodes: int | None = None) -> MetricContext:
    n = x.shape[0] if n_nodes is None else n_nodes
    ctx = MetricContext.build(graph, n, device=x.device)
    if ctx.n_nodes != x.shape[0]:
        raise ModelError(f"the graph has {ctx.n_nodes} nodes but the features have {x.shape[0]} rows")
    return ctx.to(x.device)


def dirichlet_energy(x: Any, edge_index: GraphLike, n_nodes: int | None = None) -> float:
    """Rusch et al.'s unnormalised Dirichlet energy E (not its square root).

    Args:
        x: ``[N, F]`` node features.
        edge_index: ``[2, E]`` edges (numpy or torch; row 0 senders, row 1 receivers), a Graph,
            or a :class:`MetricContext`. Duplicates count once; self-loops are ignored.
        n_nodes: N (default: the number of rows of x).

    Returns:
        ``(1/N) sum over distinct directed edges j->i of ||x_i - x_j||^2``; for an undirected
        graph (both directions stored) this is ``(2/N) tr(X^T L X)``, L = D - A.

    Example:
        >>> dirichlet_energy(np.array([[0.0], [1.0]]), np.array([[0, 1], [1, 0]]))
        1.0
    """
    x = _f64(x)
    ctx = _context(x, edge_index, n_nodes)
    if ctx.n_nodes == 0:
        return 0.0
    if ctx.symmetric:       # half the work: each undirected pair once, times two
        return 2.0 * _sq_diff_sum(x, ctx.pair_u, ctx.pair_v) / ctx.n_nodes
    return _sq_diff_sum(x, ctx.directed_s, ctx.directed_r) / ctx.n_nodes


def survey_measure(x: Any, edge_index: GraphLike, n_nodes: int | None = None) -> float:
    """The survey's node-similarity measure mu(X) = sqrt(E) (Rusch et al. 2023)."""
    return math.sqrt(dirichlet_energy(x, edge_index, n_nodes))


def dirichlet_energy_normalized(x: Any, edge_index: GraphLike) -> float:
    """Cai & Wang's energy tr(X^T Δ̃ X) = sum over undirected edges {i,j} of
    ``||x_i / sqrt(1+d_i) - x_j / sqrt(1+d_j)||^2`` (d = degree in the symmetrised, loop-free,
    duplicate-free graph).

    Example:
        >>> round(dirichlet_energy_normalized(np.array([[1.0], [1.0], [1.0]]),
        ...                                   np.array([[0, 1], [1, 2]])), 6)   # path 0-1-2
        0.033674
    """
    x = _f64(x)
    ctx = _context(x, edge_index)
    y = x / ctx.aug_degree.sqrt()[:, None]
    return _sq_diff_sum(y, ctx.pair_u, ctx.pair_v)


def _singular_values(x: torch.Tensor) -> torch.Tensor:
    """Singular values of x / max|x| (scale-free ranks), descending, float64.

    Tall large matrices use the eigenvalues of the F x F Gram matrix (sigma = sqrt(lambda), 20x
    faster than an SVD of the N x F matrix). Eigenvalues within rounding of zero (below
    ``4 F eps lambda_max``) are set to 0, so this route resolves sigma_k / sigma_1 down to about
    ``1e-7 sqrt(F)``; smaller singular values change neither rank by more than ~1e-5.
    """
    m = x.abs().max()
    if m == 0 or x.numel() == 0:
        return torch.zeros(0, dtype=torch.float64, device=x.device)
    y = x / m
    n, f = y.shape
    if n >= 2 * f and n * f >= _GRAM_MIN:
        lam = torch.linalg.eigvalsh(y.T @ y).flip(0)
        lam = torch.where(lam > 4 * f * torch.finfo(lam.dtype).eps * lam[0], lam, torch.zeros_like(lam))
        return lam.sqrt()
    return torch.linalg.svdvals(y)


def _ranks(x: torch.Tensor) -> tuple[float, float]:
    sv = _singular_values(x)
    if sv.numel() == 0 or float(sv[0]) == 0.0:
        return 0.0, 0.0
    p = sv / sv.sum()
    p = p[p > 0]
    erank = math.exp(float(-(p * p.log()).sum()))
    numrank = float((sv * sv).sum() / (sv[0] * sv[0]))
    return erank, numrank


def effective_rank(x: Any) -> float:
    """Roy & Vetterli's effective rank: exp(H(p)), p_k = sigma_k / sum_j sigma_j (natural log).

    In [1, rank X]; 0.0 for an all-zero X (documented rule).

    Example:
        >>> round(effective_rank(np.diag([1.0, 1.0, 0.0])), 6)
        2.0
    """
    return _ranks(_f64(x))[0]


def numerical_rank(x: Any) -> float:
    """The numerical (stable) rank ||X||_F^2 / ||X||_2^2 = sum sigma_k^2 / sigma_1^2; 0.0 for X = 0."""
    return _ranks(_f64(x))[1]


def feature_norm(x: Any) -> float:
    """The Frobenius norm ||X||_F."""
    return float(torch.linalg.vector_norm(_f64(x)))


def all_metrics(x: Any, graph_or_edge_index: GraphLike, *, hops: HopTable | np.ndarray | None = None,
                near: int = 3, far: int = 8, exact_pairs_limit: int = EXACT_PAIRS_LIMIT,
                sample_pairs: int = SAMPLE_PAIRS, seed: int = 0) -> dict[str, Any]:
    """Every metric of one feature matrix, keyed as in the ``oversmooth`` JSON.

    Args:
        x: ``[N, F]`` node features (torch on any device, or numpy).
        graph_or_edge_index: a Graph, a ``[2, E]`` edge index, or a prepared
            :class:`MetricContext` (a depth sweep builds one and reuses it for every layer).
        hops: hop distances for MADGap (default: computed for the pair plan, capped at ``far``).
        near, far: MADGap thresholds (a given MetricContext keeps its own).
        exact_pairs_limit: N up to which MAD and MADGap use every pair (chunked, exact).
        sample_pairs: beyond it, about this many seeded (anchor, partner) pairs.
        seed: seed of the pair sample.

    Returns:
        A dict with the keys of :data:`METRIC_KEYS` plus ``"survey_measure"`` (sqrt E),
        ``"pairs_sampled"`` (int, or ``None`` when every pair was used) and ``"overflow"``
        (True when X or a metric is not finite; those metrics are then ``None``, never NaN).

    Shapes:
        x: [N, F].
    """
    xt = _tensor(x)
    ctx = MetricContext.build(graph_or_edge_index, xt.shape[0], device=xt.device,
                              exact_pairs_limit=exact_pairs_limit, sample_pairs=sample_pairs,
                              seed=seed, near=near, far=far).to(xt.device)
    near, far = ctx.near, ctx.far        # a prepared context keeps its own thresholds
    out: dict[str, Any] = {k: None for k in METRIC_KEYS}
    out.update(survey_measure=None, pairs_sampled=ctx.pairs_sampled, overflow=False)
    x64 = _f64(xt)
    if x64.numel() and not bool(torch.isfinite(x64).all()):
        out["overflow"] = True
        return out
    unit = unit_rows(x64)
    if hops is None:
        pm = pair_metrics(x64, ctx.anchors, ctx.partners, near=near, far=far, unit=unit,
                          classes=ctx.classes)
        anchors, partners = ctx.anchors, ctx.partners
    else:
        table = as_hop_table(hops, far)
        anchors, partners = table.rows, table.cols
        pm = pair_metrics(x64, anchors, partners, hops=table, near=near, far=far, unit=unit)
    if hops is not None and not (np.array_equal(anchors, ctx.anchors) and np.array_equal(partners, ctx.partners)):
        pm["mad"] = pair_metrics(x64, ctx.anchors, ctx.partners, unit=unit)["mad"]
    erank, numrank = _ranks(x64)
    energy = dirichlet_energy(x64, ctx)
    out.update(dirichlet_energy=energy, dirichlet_energy_normalized=dirichlet_energy_normalized(x64, ctx),
               mad=pm["mad"], mad_gap=pm["mad_gap"], effective_rank=erank, numerical_rank=numrank,
               feature_norm=feature_norm(x64), mean_cosine_similarity=mean_cosine_similarity(x64, unit=unit),
               survey_measure=math.sqrt(energy) if math.isfinite(energy) else None)
    for k, v in list(out.items()):
        if isinstance(v, float) and not math.isfinite(v):
            out[k] = None
            out["overflow"] = True
    return out
