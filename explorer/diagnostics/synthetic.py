"""Synthetic graphs for the over-smoothing demos: a contextual SBM and large random graphs.

Both generators are vectorised numpy (no Python loop over edges or node pairs), seeded, and
return an undirected :class:`~explorer.graph.Graph` that stores both directions of every edge
(``u->v`` immediately followed by ``v->u``) and no self-loops.

Example:
    >>> g = csbm(n=200, classes=2, p_in=0.05, p_out=0.005, signal=1.0, feature_dim=8, seed=0)
    >>> g.x.shape, sorted(set(g.y.tolist()))
    ((200, 8), [0, 1])
"""

from __future__ import annotations

import numpy as np

from explorer.errors import ModelError
from explorer.graph import Graph

__all__ = ["csbm", "random_graph"]


def _tri_unrank(k: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Map linear indices ``k`` in ``[0, n(n-1)/2)`` to pairs ``i < j`` (row-major upper triangle)."""
    k = k.astype(np.int64)
    total = n * (n - 1) // 2
    # Count from the end: k' = total-1-k indexes a lower triangle of size n-1, where row r has r+1 items.
    kr = total - 1 - k
    r = np.floor((np.sqrt(8.0 * kr + 1.0) - 1.0) / 2.0).astype(np.int64)
    # Guard against floating rounding at row boundaries.
    r = np.where(r * (r + 1) // 2 > kr, r - 1, r)
    r = np.where((r + 1) * (r + 2) // 2 <= kr, r + 1, r)
    i = n - 2 - r
    j = n - 1 - (kr - r * (r + 1) // 2)
    return i, j


def _sample_block(rng: np.random.Generator, a: np.ndarray, b: np.ndarray | None, p: float
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Bernoulli(p) edges among the pairs of node set ``a`` (``b is None``) or between ``a`` and ``b``."""
    if b is None:
        n_pairs = a.size * (a.size - 1) // 2
    else:
        n_pairs = a.size * b.size
    if n_pairs == 0 or p <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    m = int(rng.binomial(n_pairs, min(p, 1.0)))
    idx = rng.choice(n_pairs, size=m, replace=False)
    if b is None:
        i, j = _tri_unrank(idx, a.size)
        return a[i], a[j]
    return a[idx // b.size], b[idx % b.size]


def _interleave(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s = np.empty(2 * u.size, np.int64)
    r = np.empty(2 * u.size, np.int64)
    s[0::2], s[1::2] = u, v
    r[0::2], r[1::2] = v, u
    return s, r


def csbm(n: int = 400, classes: int = 2, p_in: float = 0.05, p_out: float = 0.005,
         signal: float = 1.0, feature_dim: int = 16, seed: int = 0) -> Graph:
    """Contextual stochastic block model (Deshpande et al. 2018; Wu et al. 2023 for over-smoothing).

    Nodes are split into ``classes`` balanced, contiguous blocks (node ``i`` has class
    ``i * classes // n``). Each unordered pair of distinct nodes is joined independently with
    probability ``p_in`` when both lie in the same class and ``p_out`` otherwise. Features are
    ``x_i = signal * mu[y_i] + z_i`` with ``z_i ~ N(0, I)``; the class means ``mu`` are unit
    vectors: ``+u`` and ``-u`` for two classes, orthonormal random directions for more.

    Args:
        n: number of nodes (>= classes).
        classes: number of classes (>= 1; at most ``feature_dim`` when more than 2).
        p_in: edge probability within a class, in [0, 1].
        p_out: edge probability across classes, in [0, 1].
        signal: distance of each class mean from the origin, in units of the noise std
            (0 = features carry no class information).
        feature_dim: feature dimension d.
        seed: seed of the numpy generator (same seed, same graph and features).

    Returns:
        An undirected :class:`Graph` with ``x`` ``[n, d]`` float64, ``y`` ``[n]`` int64 and
        ``meta["generator"]`` recording the parameters.

    Raises:
        ModelError: for sizes or probabilities outside the ranges above.

    Complexity: O(n + |E|) time and memory (edges are drawn per block by rank, not by pair).
    """
    n, classes, feature_dim = int(n), int(classes), int(feature_dim)
    if classes < 1 or n < classes:
        raise ModelError(f"csbm needs classes >= 1 and n >= classes (got n={n}, classes={classes})")
    if feature_dim < 1 or (classes > 2 and classes > feature_dim):
        raise ModelError(f"csbm needs feature_dim >= 1 and >= classes when classes > 2 "
                         f"(got feature_dim={feature_dim}, classes={classes}); raise feature_dim")
    for nm, p in (("p_in", p_in), ("p_out", p_out)):
        if not 0.0 <= float(p) <= 1.0:
            raise ModelError(f"csbm needs {nm} in [0, 1] (got {p})")
    rng = np.random.default_rng(seed)
    y = (np.arange(n, dtype=np.int64) * classes) // n
    blocks = [np.flatnonzero(y == c) for c in range(classes)]
    us, vs = [], []
    for a in range(classes):
        for b in range(a, classes):
            u, v = _sample_block(rng, blocks[a], None if a == b else blocks[b], p_in if a == b else p_out)
            us.append(u)
            vs.append(v)
    u, v = np.concatenate(us), np.concatenate(vs)
    order = np.lexsort((v, u))
    s, r = _interleave(u[order], v[order])
    if classes <= 2:
        d = rng.standard_normal(feature_dim)
        d /= np.linalg.norm(d)
        means = np.stack([d, -d])[:classes]
    else:
        q, _ = np.linalg.qr(rng.standard_normal((feature_dim, classes)))
        means = q.T
    x = float(signal) * means[y] + rng.standard_normal((n, feature_dim))
    meta = {"generator": {"name": "csbm", "n": n, "classes": classes, "p_in": float(p_in),
                          "p_out": float(p_out), "signal": float(signal),
                          "feature_dim": feature_dim, "seed": seed}}
    return Graph(n, s, r, directed=False, x=x, y=y, name=f"csbm-{n}", meta=meta)


def random_graph(n_nodes: int, n_edges: int, *, seed: int = 0, feature_dim: int = 16) -> Graph:
    """A uniform random simple graph with exactly ``n_edges`` undirected edges (G(n, m)).

    Args:
        n_nodes: N, the number of nodes.
        n_edges: M, the number of distinct undirected edges (no self-loops); at most N(N-1)/2.
            The graph stores 2M directed edges.
        seed: seed of the numpy generator.
        feature_dim: F; features are i.i.d. N(0, 1), ``x`` ``[N, F]`` float64.

    Returns:
        An undirected :class:`Graph` (no labels ``y``).

    Raises:
        ModelError: when ``n_edges`` exceeds the number of node pairs.

    Complexity: O(N F + M log M), vectorised; suitable for 10^5 - 10^6 edges.
    """
    n, m = int(n_nodes), int(n_edges)
    max_m = n * (n - 1) // 2
    if n < 0 or m < 0 or m > max_m:
        raise ModelError(f"random_graph needs 0 <= n_edges <= n_nodes*(n_nodes-1)/2 = {max_m} "
                         f"(got n_nodes={n}, n_edges={m})")
    rng = np.random.default_rng(seed)
    if m > max_m // 4:
        idx = rng.choice(max_m, size=m, replace=False)   # dense: sample ranks directly
        u, v = _tri_unrank(np.sort(idx), n)
    else:
        keys = np.zeros(0, np.int64)
        while keys.size < m:
            want = int((m - keys.size) * 1.1) + 16
            a = rng.integers(0, n, want)
            b = rng.integers(0, n, want)
            ok = a != b
            lo, hi = np.minimum(a, b)[ok], np.maximum(a, b)[ok]
            keys = np.unique(np.concatenate([keys, lo * n + hi]))
        keys = np.sort(rng.choice(keys, size=m, replace=False))
        u, v = keys // max(n, 1), keys % max(n, 1)
    s, r = _interleave(u, v)
    x = rng.standard_normal((n, int(feature_dim)))
    meta = {"generator": {"name": "random_graph", "n_nodes": n, "n_edges": m, "seed": seed,
                          "feature_dim": int(feature_dim)}}
    return Graph(n, s, r, directed=False, x=x, name=f"random-{n}-{m}", meta=meta)
