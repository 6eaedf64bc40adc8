"""Graph generators for teaching: the stochastic block model.

A stochastic block model (SBM) splits the nodes into blocks and joins every pair of nodes
independently, with probability ``p_in`` inside a block and ``p_out`` between blocks. With
``p_in`` well above ``p_out`` the blocks are communities, and a node's class (its block, stored
as ``y``) can be read off its neighbourhood: the setting where a few rounds of averaging help
and many rounds blur the communities together.

Example:
    >>> g = stochastic_block_model([5, 5], p_in=1.0, p_out=0.0, seed=0)   # two 5-cliques
    >>> g.n_nodes, len(g.undirected_pairs()), g.y.tolist()
    (10, 20, [0, 0, 0, 0, 0, 1, 1, 1, 1, 1])

Complexity: O(N + E) memory; each block pair draws its edge count from a binomial and then
that many distinct pairs, so no [N, N] matrix is ever built.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from explorer.errors import ModelError, TooLargeError
from explorer.graph import Graph
from explorer.io.limits import DEFAULT_LIMITS

__all__ = ["stochastic_block_model", "expected_edges"]


def _check(sizes: Sequence[int], p_in: float, p_out: float) -> np.ndarray:
    s = np.asarray(list(sizes), dtype=np.int64)
    if s.ndim != 1 or s.size == 0 or (s < 1).any():
        raise ModelError(f"expected one or more block sizes >= 1, found {list(sizes)}")
    for name, p in (("p_in", p_in), ("p_out", p_out)):
        if not 0.0 <= float(p) <= 1.0:
            raise ModelError(f"expected {name} in [0, 1], found {p}")
    return s


def expected_edges(sizes: Sequence[int], p_in: float, p_out: float) -> float:
    """The expected number of undirected edges: ``p_in * sum C(n_b, 2) + p_out * sum n_a n_b``."""
    s = _check(sizes, p_in, p_out).astype(float)
    inside = float((s * (s - 1) / 2).sum())
    between = float((s.sum() ** 2 - (s ** 2).sum()) / 2)
    return p_in * inside + p_out * between


def _pairs_inside(n: int, picks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-major index k of the strict upper triangle of an n x n matrix -> (i, j), i < j.

    >>> [t.tolist() for t in _pairs_inside(3, np.arange(3))]
    [[0, 0, 1], [1, 2, 2]]
    """
    rows = np.arange(n, dtype=np.int64)
    starts = rows * n - rows * (rows + 1) // 2  # index of (i, i + 1)
    i = np.searchsorted(starts, picks, side="right") - 1
    return i, picks - starts[i] + i + 1


def stochastic_block_model(sizes: Sequence[int], p_in: float, p_out: float, seed: int = 0, *,
                           name: str | None = None) -> Graph:
    """An undirected SBM with node labels ``y`` = block index (blocks are contiguous).

    Args:
        sizes: the number of nodes in each block.
        p_in: edge probability between two nodes of the same block.
        p_out: edge probability between nodes of different blocks.
        seed: seeds the draw; the same arguments give the same graph.
        name: the graph's name (default describes the parameters).

    Raises:
        ModelError: a block size < 1 or a probability outside [0, 1].
        TooLargeError: more nodes, or more expected edges, than the reader limits
            (:data:`explorer.io.limits.DEFAULT_LIMITS`).
    """
    s = _check(sizes, p_in, p_out)
    n = int(s.sum())
    lim = DEFAULT_LIMITS
    if n > lim.max_nodes:
        raise TooLargeError(f"an SBM with {n} nodes passes the limit of {lim.max_nodes}; use "
                            "smaller blocks", size=n, limit=lim.max_nodes)
    exp = expected_edges(s, p_in, p_out)
    if exp > lim.max_edges:
        raise TooLargeError(f"an SBM expecting {exp:.0f} edges passes the limit of {lim.max_edges}; "
                            "lower p_in or p_out", size=int(exp), limit=lim.max_edges)
    rng = np.random.default_rng(seed)
    offsets = np.concatenate([[0], np.cumsum(s)])
    src, dst = [], []
    for a in range(s.size):
        for b in range(a, s.size):
            na, nb = int(s[a]), int(s[b])
            pairs = na * (na - 1) // 2 if a == b else na * nb
            if pairs == 0:
                continue
            m = int(rng.binomial(pairs, p_in if a == b else p_out))
            picks = np.sort(rng.choice(pairs, size=m, replace=False)) if m else np.zeros(0, np.int64)
            if a == b:
                i, j = _pairs_inside(na, picks)
            else:
                i, j = picks // nb, picks % nb
            src.append(i + offsets[a])
            dst.append(j + offsets[b])
    edges = np.stack([np.concatenate(src), np.concatenate(dst)], 1) if src else np.zeros((0, 2), np.int64)
    y = np.repeat(np.arange(s.size), s)
    title = name or f"SBM {'+'.join(map(str, s.tolist()))}, p_in={p_in:g}, p_out={p_out:g}, seed {seed}"
    return Graph.from_edges(n, edges, y=y, name=title,
                            meta={"generator": "sbm", "sizes": s.tolist(), "p_in": float(p_in),
                                  "p_out": float(p_out), "seed": int(seed)})
