"""Bounded hop distances for MADGap, by a bit-parallel breadth-first search in numpy.

MADGap only needs to know whether a pair is *near* (at most ``near`` hops, default 3) or *far*
(at least ``far`` hops, default 8). So distances are computed up to a cap (``far``): values
``0 .. cap-1`` are exact and the value ``cap`` means "``cap`` hops or more, **or unreachable**".
Pairs in different connected components therefore count as far (their distance is infinite).

**Adapted thresholds.** Chen et al.'s remote pairs (8+ hops) do not exist on a small graph
(karate's diameter is 5), so MADGap would never have a value there. :func:`adaptive_thresholds`
keeps ``(near, far)`` when some measured pair is ``far`` hops apart (or unreachable) and
otherwise scales them to the graph's diameter D (the largest hop count among the measured pairs):
remote = at least ``max(2, ceil(D / 2) + 1)`` hops (the far half of the graph), near = 1 to
``max(1, min(near, far - 2))`` hops, so one hop count between the two sets belongs to neither
where the graph allows it, as 4..7 hops do in the paper's setting.

Distances are taken on the *undirected* version of the graph (an edge in either direction joins
two nodes), as Chen et al. measure "hops" on the graph's topology.

The search runs from up to thousands of source rows at once: bit k of word ``k // 64`` of a
node's bitset says "source k has reached this node". One BFS step is a gather of the senders'
bitsets and an OR-reduction per receiver (``np.bitwise_or.reduceat``), so a step costs
O(E * R / 64) word operations for R sources (no Python loop over edges or sources).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explorer.errors import ModelError

__all__ = ["HopTable", "hop_table", "as_hop_table", "adaptive_thresholds"]

_WORDS_PER_BLOCK = 1 << 22   # gathered uint64 words per chunk (32 MB)


@dataclass(frozen=True)
class HopTable:
    """Capped hop distances between ``rows`` (sources) and ``cols`` (targets).

    Attributes:
        rows: ``[R]`` int64 node ids of the sources.
        cols: ``[C]`` int64 node ids of the targets.
        dist: ``[R, C]`` int16; ``dist[a, b]`` = hops from ``rows[a]`` to ``cols[b]`` when below
            ``cap``, else ``cap`` ("at least cap hops, or unreachable").
        cap: the cap (MADGap's ``far`` threshold must not exceed it).
    """

    rows: np.ndarray
    cols: np.ndarray
    dist: np.ndarray
    cap: int


def _symmetric_csr(senders: np.ndarray, receivers: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Loop-free, duplicate-free symmetric edges sorted by receiver: (src, receiving nodes, starts)."""
    s = np.concatenate([senders, receivers]).astype(np.int64)
    r = np.concatenate([receivers, senders]).astype(np.int64)
    keep = s != r
    key = np.unique(r[keep] * max(n, 1) + s[keep])          # sorted by receiver, then sender
    r, s = key // max(n, 1), key % max(n, 1)
    nodes, starts = np.unique(r, return_index=True)
    return s, nodes, starts


def hop_table(senders: np.ndarray, receivers: np.ndarray, n_nodes: int, *,
              rows: np.ndarray | None = None, cols: np.ndarray | None = None, cap: int = 8) -> HopTable:
    """Hop distances (capped at ``cap``) from every node in ``rows`` to every node in ``cols``.

    Args:
        senders: ``[E]`` edge sources; receivers: ``[E]`` edge targets (direction ignored).
        n_nodes: N.
        rows: ``[R]`` source nodes (default: all N).
        cols: ``[C]`` target nodes (default: all N).
        cap: distances at or beyond ``cap`` (and unreachable pairs) are stored as ``cap``.

    Returns:
        A :class:`HopTable`.

    Raises:
        ModelError: when ``cap`` is not in [1, 127].

    Shapes:
        senders, receivers: [E]; rows: [R]; cols: [C]; result dist: [R, C].

    Complexity: ``cap - 1`` steps of O(E * R / 64) word operations; memory O(N * R / 64 + R * C).
    """
    if not 1 <= int(cap) <= 127:
        raise ModelError(f"hop cap must be in [1, 127] (got {cap}); MADGap's far threshold is the cap")
    n = int(n_nodes)
    rows = np.arange(n, dtype=np.int64) if rows is None else np.asarray(rows, np.int64).reshape(-1)
    cols = np.arange(n, dtype=np.int64) if cols is None else np.asarray(cols, np.int64).reshape(-1)
    R, C = rows.size, cols.size
    dist = np.full((R, C), cap, dtype=np.int16)
    dist[rows[:, None] == cols[None, :]] = 0
    if R == 0 or C == 0 or n == 0:
        return HopTable(rows, cols, dist, int(cap))
    W = (R + 63) // 64
    bit = np.zeros((R, W), dtype=np.uint64)
    bit[np.arange(R), np.arange(R) // 64] = np.left_shift(np.uint64(1), (np.arange(R) % 64).astype(np.uint64))
    visited = np.zeros((n, W), dtype=np.uint64)
    np.bitwise_or.at(visited, rows, bit)
    frontier = visited.copy()
    src, nodes, starts = _symmetric_csr(np.asarray(senders), np.asarray(receivers), n)
    step_words = max(1, _WORDS_PER_BLOCK // max(src.size, 1))
    for t in range(1, int(cap)):
        if src.size == 0 or not frontier.any():
            break
        nxt = np.zeros_like(visited)
        for w0 in range(0, W, step_words):                     # chunk over words, not edges
            g = frontier[src, w0:w0 + step_words]
            nxt[nodes, w0:w0 + step_words] = np.bitwise_or.reduceat(g, starts, axis=0)
        new = nxt & ~visited
        visited |= new
        frontier = new
        hit = np.unpackbits(new[cols].astype("<u8").view(np.uint8), axis=1, bitorder="little")[:, :R]
        dist[hit.T.astype(bool)] = t
    return HopTable(rows, cols, dist, int(cap))


def as_hop_table(hops: "HopTable | np.ndarray", far: int) -> HopTable:
    """Accept a :class:`HopTable` or a dense ``[N, N]`` matrix of hop distances.

    In a dense matrix, ``inf``, ``nan`` and negative entries mean unreachable (counted as far).

    Raises:
        ModelError: for a non-square matrix, or a table whose cap is below ``far``.
    """
    if isinstance(hops, HopTable):
        if hops.cap < far:
            raise ModelError(f"the hop table is capped at {hops.cap} hops but MADGap's far threshold is "
                             f"{far}; rebuild it with hop_table(..., cap={far})")
        return hops
    d = np.asarray(hops, dtype=np.float64)
    if d.ndim != 2 or d.shape[0] != d.shape[1]:
        raise ModelError(f"expected hop distances as an [N, N] matrix, found shape {d.shape}")
    bad = ~np.isfinite(d) | (d < 0)
    capped = np.where(bad, far, np.minimum(np.where(bad, 0, d), far)).astype(np.int16)
    idx = np.arange(d.shape[0], dtype=np.int64)
    return HopTable(idx, idx.copy(), capped, int(far))


def adaptive_thresholds(hops: HopTable, near: int = 3, far: int = 8) -> tuple[int, int, int | None]:
    """MADGap's ``(near, far)`` for this graph, and the diameter they were scaled to.

    ``(near, far, None)`` when some pair of the table is at least ``far`` hops apart or
    unreachable (the thresholds as given, Chen et al.'s 3 and 8 by default). Otherwise, with D the
    largest hop count in the table (every distance is exact then, since all are below the cap):
    ``far' = max(2, ceil(D / 2) + 1)`` and ``near' = max(1, min(near, far' - 2))``, returned as
    ``(near', far', D)``. A graph of diameter 1 (complete) gets ``far' = 2`` and still no remote
    pair: MADGap has no value there, as it should.

    >>> import numpy as np
    >>> t = hop_table(np.arange(5), np.arange(1, 6), 6)         # the path 0-1-2-3-4-5, D = 5
    >>> adaptive_thresholds(t)
    (2, 4, 5)

    Raises:
        ModelError: for ``near >= far`` or a table capped below ``far``.
    """
    if not 0 <= int(near) < int(far):
        raise ModelError(f"MADGap needs 0 <= near < far (got near={near}, far={far})")
    t = as_hop_table(hops, int(far))
    d = t.dist
    if (d >= int(far)).any():
        return int(near), int(far), None
    diameter = int(d.max()) if d.size else 0
    new_far = max(2, -(-diameter // 2) + 1)
    return max(1, min(int(near), new_far - 2)), new_far, diameter
