"""What the metrics need to know about a graph, prepared once and reused for every layer.

:class:`MetricContext` holds the cleaned edge lists (self-loops dropped, duplicates removed) as
torch tensors on the metrics' device, the plan of node pairs for the all-pairs metrics (every
pair up to :data:`EXACT_PAIRS_LIMIT` nodes, a seeded sample beyond) and the hop table MADGap
uses. A depth sweep builds it once; :func:`~explorer.diagnostics.metrics.all_metrics` builds one
on the fly when given a plain graph.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Union

import numpy as np
import torch

from explorer.errors import ModelError
from explorer.graph import Graph
from explorer.diagnostics.hops import HopTable, hop_table

__all__ = ["MetricContext", "EXACT_PAIRS_LIMIT", "SAMPLE_PAIRS", "GraphLike", "edge_arrays"]

#: graphs with at most this many nodes get every pair (chunked, exact) in MAD and MADGap
EXACT_PAIRS_LIMIT = 2000
#: beyond it, about this many (anchor, partner) pairs are sampled, seeded
SAMPLE_PAIRS = 1 << 18

GraphLike = Union[Graph, np.ndarray, torch.Tensor, "MetricContext"]


def edge_arrays(graph_or_edge_index: GraphLike) -> tuple[np.ndarray, np.ndarray, int | None]:
    """``(senders, receivers, n_nodes or None)`` from a Graph or a ``[2, E]`` edge index."""
    if isinstance(graph_or_edge_index, Graph):
        g = graph_or_edge_index
        return g.senders, g.receivers, g.n_nodes
    ei = graph_or_edge_index
    if isinstance(ei, torch.Tensor):
        ei = ei.detach().cpu().numpy()
    ei = np.asarray(ei)
    if ei.ndim != 2 or ei.shape[0] != 2:
        raise ModelError(f"expected 'edge_index' of shape [2, E], found shape {tuple(ei.shape)}")
    return ei[0].astype(np.int64), ei[1].astype(np.int64), None


def _unique_pairs(s: np.ndarray, r: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    keep = s != r
    key = np.unique(s[keep] * max(n, 1) + r[keep])
    return key // max(n, 1), key % max(n, 1)


@dataclass
class MetricContext:
    """Prepared graph data for the metrics (N = ``n_nodes``).

    Attributes:
        n_nodes: N.
        directed_s, directed_r: ``[E']`` the distinct loop-free directed edges (torch, device).
        pair_u, pair_v: ``[M]`` the distinct undirected loop-free pairs ``u < v`` of the
            symmetrised graph (torch, device).
        symmetric: True when every directed edge has its reverse (then E' = 2M).
        aug_degree: ``[N]`` float64 ``1 + d_i`` in the symmetrised graph (Cai & Wang's D̃).
        anchors, partners: ``[R]``, ``[C]`` int64 numpy node ids of the all-pairs plan.
        exact: True when the plan is every pair (R = C = N).
        seed, near, far: the plan's seed and MADGap thresholds.
        diameter: ``None`` when ``near``/``far`` are the thresholds asked for; the graph's
            diameter (over the plan's pairs) when they were scaled to it because no pair is
            ``far`` hops apart (``build(..., adapt=True)``, see
            :func:`~explorer.diagnostics.hops.adaptive_thresholds`).
    """

    n_nodes: int
    directed_s: torch.Tensor
    directed_r: torch.Tensor
    pair_u: torch.Tensor
    pair_v: torch.Tensor
    symmetric: bool
    aug_degree: torch.Tensor
    anchors: np.ndarray
    partners: np.ndarray
    exact: bool
    seed: int
    near: int
    far: int
    diameter: int | None = None
    _hops: HopTable | None = None
    _classes: torch.Tensor | None = None
    _senders: np.ndarray | None = None
    _receivers: np.ndarray | None = None

    @classmethod
    def build(cls, graph_or_edge_index: GraphLike, n_nodes: int | None = None, *,
              device: torch.device | str = "cpu", exact_pairs_limit: int = EXACT_PAIRS_LIMIT,
              sample_pairs: int = SAMPLE_PAIRS, seed: int = 0, near: int = 3, far: int = 8,
              adapt: bool = False) -> "MetricContext":
        """Clean the edges, choose the pair plan (exact or seeded sample).

        Args:
            graph_or_edge_index: a Graph or a ``[2, E]`` edge index (numpy or torch).
            n_nodes: N (default: the Graph's, or 1 + the largest node id in the edge index).
            device: where the edge tensors live (that of the features).
            exact_pairs_limit: N up to which MAD/MADGap use every pair.
            sample_pairs: beyond it, the number of sampled pairs (sqrt of it anchors times as
                many partners, each drawn without replacement).
            seed: seed of the sample.
            near, far: MADGap thresholds (the hop table is capped at ``far``).
            adapt: when no pair of the plan is ``far`` hops apart (nor unreachable), scale
                ``near``/``far`` to the graph's diameter so MADGap has a value (the hop table is
                computed here, once); see :func:`~explorer.diagnostics.hops.adaptive_thresholds`.

        Raises:
            ModelError: for edges naming nodes outside ``[0, N)`` or ``near >= far``.
        """
        if isinstance(graph_or_edge_index, MetricContext):
            return graph_or_edge_index
        s, r, n_graph = edge_arrays(graph_or_edge_index)
        n = int(n_nodes if n_nodes is not None else (n_graph if n_graph is not None else
                                                       (int(max(s.max(), r.max())) + 1 if s.size else 0)))
        if s.size and (min(s.min(), r.min()) < 0 or max(s.max(), r.max()) >= n):
            raise ModelError(f"edge_index names node {int(max(s.max(), r.max()))}, outside the valid range "
                             f"[0, {n - 1}] for {n} feature rows; pass features with one row per node")
        if not 0 <= near < far:
            raise ModelError(f"MADGap needs 0 <= near < far (got near={near}, far={far})")
        ds, dr = _unique_pairs(s, r, n)
        lo, hi = np.minimum(ds, dr), np.maximum(ds, dr)
        pu, pv = _unique_pairs(lo, hi, n)
        symmetric = ds.size == 2 * pu.size
        deg = np.bincount(np.concatenate([pu, pv]), minlength=n).astype(np.float64) + 1.0
        if n <= exact_pairs_limit:
            anchors = partners = np.arange(n, dtype=np.int64)
            exact = True
        else:
            side = min(n, max(2, int(math.isqrt(max(int(sample_pairs), 4)))))
            rng = np.random.default_rng(seed)
            anchors = np.sort(rng.choice(n, size=side, replace=False))
            partners = np.sort(rng.choice(n, size=side, replace=False))
            exact = False
        dev = torch.device(device)
        t = lambda a: torch.as_tensor(a, dtype=torch.int64).to(dev)  # noqa: E731
        ctx = cls(n, t(ds), t(dr), t(pu), t(pv), bool(symmetric),
                  torch.as_tensor(deg).to(dev), anchors, partners, exact, int(seed), int(near),
                  int(far), None, None, None, s, r)
        if adapt:
            from explorer.diagnostics.hops import adaptive_thresholds

            ctx.near, ctx.far, ctx.diameter = adaptive_thresholds(ctx.hops, int(near), int(far))
        return ctx

    def hop_thresholds(self) -> dict[str, int | bool | None]:
        """MADGap's thresholds as reported with the metrics: ``{"near", "far", "adapted",
        "diameter"}`` (near pairs: 1..near hops; remote: at least far hops or unreachable)."""
        return {"near": self.near, "far": self.far, "adapted": self.diameter is not None,
                "diameter": self.diameter}

    @property
    def hops(self) -> HopTable:
        """The hop table for the pair plan (computed on first use)."""
        if self._hops is None:
            self._hops = hop_table(self._senders, self._receivers, self.n_nodes,
                                   rows=self.anchors, cols=self.partners, cap=self.far)
        return self._hops

    @property
    def classes(self) -> torch.Tensor:
        """``[R, C]`` MADGap pair keys (see :func:`~explorer.diagnostics.pairs.pair_classes`)."""
        if self._classes is None:
            from explorer.diagnostics.pairs import pair_classes
            self._classes = pair_classes(self.hops, self.near, self.far, self.directed_s.device)
        return self._classes

    @property
    def pairs_sampled(self) -> int | None:
        """Number of (anchor, partner) pairs in a sampled plan; ``None`` when exact."""
        return None if self.exact else int(self.anchors.size * self.partners.size)

    def to(self, device: torch.device | str) -> "MetricContext":
        """The same context with its tensors on ``device``."""
        dev = torch.device(device)
        if self.directed_s.device == dev:
            return self
        return MetricContext(self.n_nodes, self.directed_s.to(dev), self.directed_r.to(dev),
                             self.pair_u.to(dev), self.pair_v.to(dev), self.symmetric,
                             self.aug_degree.to(dev), self.anchors, self.partners, self.exact,
                             self.seed, self.near, self.far, self.diameter, self._hops, None,
                             self._senders, self._receivers)
