"""Node positions for drawing: seeded, scaled to [-1, 1], computed once per graph and cached.

    auto          file positions if the graph has them; else the graph's structure when it has
                  one (:mod:`explorer.viz.structured`: a lattice for grid models, top-down
                  layers for Bayesian networks and their factor graphs, a line for a chain, a
                  tidy tree for a tree); else kamada_kawai up to 300 nodes, spring above
    spring        Fruchterman-Reingold forces; above 500 nodes (per component) it starts from
                  pivot MDS and samples the repulsion for a few iterations, so that 50,000
                  nodes take seconds, not minutes
    kamada_kawai  the Kamada-Kawai energy (springs as long as graph distances, stiffness 1/d^2),
                  minimised by stress majorization; above 500 nodes approximated by pivot MDS
    spectral      the normalized Laplacian's 2nd and 3rd eigenvectors (exact up to 500
                  nodes, then 100 rounds of block power iteration)
    circular      node order around a circle, node 0 at the top, clockwise
    grid          lattice coordinates: from ids like (r, c) or "r0c1", from file positions, or
                  found by matching an a x b grid graph; otherwise row-major in node order
    file          ``graph.pos`` as given

Disconnected graphs: every component is laid out on its own and the components are packed side
by side, largest first, each with room in proportion to the square root of its size. Only
numpy is needed (networkx only to match grid graphs); direction and self-loops are ignored.

Example:
    >>> from explorer.graph import Graph
    >>> xy = compute_layout(Graph.from_edges(3, [(0, 1), (1, 2)]), "circular")
    >>> xy.shape, float(abs(xy).max())
    ((3, 2), 1.0)
"""

from __future__ import annotations

import re
from collections import OrderedDict

import numpy as np

from explorer.errors import ModelError
from explorer.graph import Graph
from explorer.viz.structured import structured_layout

__all__ = ["LAYOUTS", "compute_layout", "clear_layout_cache", "lattice_coordinates"]

LAYOUTS: tuple[str, ...] = ("auto", "spring", "kamada_kawai", "spectral", "circular", "grid", "file")
SMALL = 300    # "auto" uses kamada_kawai up to this many nodes
STRUCTURED = 5000  # "auto" looks for a lattice, layers, a line or a tree up to this many nodes
DENSE = 500    # exact (n x n) spring and kamada_kawai up to this many nodes in a component
_CACHE: "OrderedDict[tuple, np.ndarray]" = OrderedDict()
_CACHE_SIZE = 32
_ID_RC = re.compile(r"^\(?\s*(-?\d+)\s*,\s*(-?\d+)\s*\)?$|^r(-?\d+)c(-?\d+)$", re.I)


def compute_layout(graph: Graph, method: str = "auto", seed: int = 0) -> np.ndarray:
    """Positions for every node, cached by (graph content, file positions, method, seed).

    Args:
        graph: the graph to draw.
        method: one of :data:`LAYOUTS`.
        seed: seed of the random start (spring, pivot choice); same seed, same picture.

    Returns:
        ``[N, 2]`` float64, read-only, centred with ``max |coordinate| == 1`` (0 nodes:
        ``[0, 2]``; 1 node: the origin). The same array object is returned on a cache hit.

    Raises:
        ModelError: unknown ``method``, or ``"file"`` for a graph without positions.
    """
    if method not in LAYOUTS:
        raise ModelError(f"unknown layout {method!r}; expected one of {', '.join(LAYOUTS)}")
    pos_key = None if graph.pos is None else graph.pos.tobytes()
    key = (graph.content_hash(), pos_key, method, int(seed))
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    xy = _scale(_compute(graph, method, int(seed)))
    xy.setflags(write=False)
    _CACHE[key] = xy
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return xy


def clear_layout_cache() -> None:
    """Forget every cached layout."""
    _CACHE.clear()


def _compute(graph: Graph, method: str, seed: int) -> np.ndarray:
    n = graph.n_nodes
    if method == "file" and graph.pos is None:
        raise ModelError(f"layout 'file' needs positions in the file, found none in "
                         f"{graph.name or 'this graph'!r}; add a 'pos' attribute [x, y] to every "
                         "node, or pick another layout (auto, spring, ...)")
    if method == "auto":
        xy = structured_layout(graph) if graph.pos is None and n <= STRUCTURED else None
        if xy is not None:
            return xy
        method = "file" if graph.pos is not None else ("kamada_kawai" if n <= SMALL else "spring")
    if n <= 1 or method == "file":
        return np.zeros((n, 2)) if graph.pos is None else np.asarray(graph.pos, dtype=float)
    if method == "circular":
        a = np.pi / 2 - 2 * np.pi * np.arange(n) / n
        return np.stack([np.cos(a), np.sin(a)], 1)
    if method == "grid":
        rc = lattice_coordinates(graph)
        if rc is None:
            cols = int(np.ceil(np.sqrt(n)))
            rc = np.stack([np.arange(n) // cols, np.arange(n) % cols], 1)
        return np.stack([rc[:, 1], -rc[:, 0]], 1).astype(float)
    return _by_component(graph, _ALGORITHMS[method], np.random.default_rng(seed))


def lattice_coordinates(graph: Graph) -> np.ndarray | None:
    """``[N, 2]`` (row, column) of each node when the graph is a lattice, else ``None``.

    Tried in order: node ids that name a cell (``(r, c)``, ``"r,c"``, ``"r0c1"``), file
    positions, and a match with an ``a x b`` grid graph (up to 2,500 nodes).
    """
    rc = []
    for i in graph.ids:
        m = _ID_RC.match(str(i)) if not isinstance(i, tuple) else None
        if isinstance(i, tuple) and len(i) == 2 and all(isinstance(t, (int, np.integer)) for t in i):
            rc.append(i)
        elif m:
            rc.append(tuple(int(g) for g in m.groups() if g is not None))
        else:
            break
    else:
        return np.asarray(rc, dtype=float)
    if graph.pos is not None:
        return np.stack([-graph.pos[:, 1], graph.pos[:, 0]], 1)
    n, m = graph.n_nodes, len(_pairs(graph))
    for a in range(2, int(np.sqrt(n)) + 1):
        b = n // a
        if a * b == n and m == 2 * a * b - a - b and n <= 2500:
            import networkx as nx

            G = nx.Graph()
            G.add_nodes_from(range(n))
            G.add_edges_from(map(tuple, _pairs(graph)))
            match = nx.vf2pp_isomorphism(G, nx.grid_2d_graph(a, b))
            if match is not None:
                return np.asarray([match[i] for i in range(n)], dtype=float)
    return None


# ------------------------------------------------------------------------ graph helpers
def _pairs(graph: Graph) -> np.ndarray:
    """``[M, 2]`` distinct unordered pairs ``u < v`` (self-loops dropped)."""
    lo = np.minimum(graph.senders, graph.receivers)
    hi = np.maximum(graph.senders, graph.receivers)
    key = np.unique((lo * max(graph.n_nodes, 1) + hi)[lo != hi])
    return np.stack([key // max(graph.n_nodes, 1), key % max(graph.n_nodes, 1)], 1)


def _csr(n: int, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric adjacency as (indptr [n+1], indices [2M]) without scipy."""
    src = np.concatenate([pairs[:, 0], pairs[:, 1]])
    dst = np.concatenate([pairs[:, 1], pairs[:, 0]])
    order = np.argsort(src, kind="stable")
    indptr = np.concatenate([[0], np.cumsum(np.bincount(src, minlength=n))])
    return indptr, dst[order]


def _bfs(indptr: np.ndarray, indices: np.ndarray, source: int) -> np.ndarray:
    """``[n]`` hop distances from ``source`` (-1 where unreachable), one numpy pass per level."""
    dist = np.full(indptr.size - 1, -1, dtype=np.int64)
    dist[source] = 0
    frontier, d = np.array([source]), 0
    while frontier.size:
        d += 1
        starts, lens = indptr[frontier], indptr[frontier + 1] - indptr[frontier]
        offs = np.repeat(starts - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens)
        nb = indices[offs + np.arange(lens.sum())]
        nb = np.unique(nb[dist[nb] < 0])
        dist[nb] = d
        frontier = nb
    return dist


def _components(n: int, pairs: np.ndarray) -> list[np.ndarray]:
    lab = np.arange(n)
    while True:  # min-label propagation with pointer jumping
        new = lab.copy()
        np.minimum.at(new, pairs[:, 0], lab[pairs[:, 1]])
        np.minimum.at(new, pairs[:, 1], lab[pairs[:, 0]])
        new = new[new]
        if np.array_equal(new, lab):
            break
        lab = new
    order = np.argsort(lab, kind="stable")
    groups = np.split(order, np.flatnonzero(np.diff(lab[order])) + 1)
    return sorted(groups, key=len, reverse=True)


def _by_component(graph: Graph, algo, rng: np.random.Generator) -> np.ndarray:
    n, pairs = graph.n_nodes, _pairs(graph)
    comps = _components(n, pairs) if pairs.size else [np.array([i]) for i in range(n)]
    local = np.full(n, -1)
    out = np.zeros((n, 2))
    gap, cursor, row_top, row_h = 0.5, 0.0, 0.0, 0.0
    width = np.sqrt(sum(4 * len(c) for c in comps)) * 1.5
    for nodes in comps:
        k = nodes.size
        if k == 1:
            xy = np.zeros((1, 2))
        elif k == 2:
            xy = np.array([[-1.0, 0.0], [1.0, 0.0]])
        else:
            local[nodes] = np.arange(k)
            sub = pairs[(local[pairs[:, 0]] >= 0) & (local[pairs[:, 1]] >= 0)]
            xy = algo(k, _csr(k, local[sub]), local[sub], rng)
            local[nodes] = -1
        xy = xy - xy.mean(0)
        r = np.sqrt(k)
        xy = xy * (r / max(np.abs(xy).max(), 1e-12))
        if cursor > 0 and cursor + 2 * r > width:
            cursor, row_top, row_h = 0.0, row_top - row_h - gap, 0.0
        out[nodes] = xy + [cursor + r, row_top - r]
        cursor += 2 * r + gap
        row_h = max(row_h, 2 * r)
    return out


def _scale(xy: np.ndarray) -> np.ndarray:
    xy = np.asarray(xy, dtype=np.float64).copy()
    if xy.size == 0:
        return xy.reshape(0, 2)
    xy -= (xy.max(0) + xy.min(0)) / 2
    m = np.abs(xy).max()
    return xy / m if m > 0 else xy


# ------------------------------------------------------------------------ algorithms
def _pivot_mds(n, csr, pairs, rng):
    """Brandes & Pich's pivot MDS: BFS from ``k`` max-min pivots, then a 2-D SVD."""
    k = min(50 if n <= 10_000 else 20, n)
    piv, dmin = [int(rng.integers(n))], np.full(n, np.inf)
    cols = []
    for _ in range(k):
        d = _bfs(*csr, piv[-1]).astype(float)
        cols.append(d)
        dmin = np.minimum(dmin, d)
        piv.append(int(np.argmax(dmin)))
    D2 = np.stack(cols, 1) ** 2
    C = -0.5 * (D2 - D2.mean(0) - D2.mean(1, keepdims=True) + D2.mean())
    U, S, _ = np.linalg.svd(C, full_matrices=False)
    xy = U[:, :2] * S[:2]
    return xy + 1e-6 * rng.standard_normal((n, 2))


def _kamada_kawai(n, csr, pairs, rng):
    if n > DENSE:
        return _pivot_mds(n, csr, pairs, rng)
    D = np.stack([_bfs(*csr, s) for s in range(n)]).astype(float)
    W = np.where(D > 0, 1.0 / np.maximum(D, 1) ** 2, 0.0)
    Lw = np.diag(W.sum(1)) - W
    vals, vecs = np.linalg.eigh(Lw)  # Lw^+ (one zero eigenvalue: the graph is connected)
    Lp = (vecs[:, 1:] / vals[1:]) @ vecs[:, 1:].T
    X = _pivot_mds(n, csr, pairs, rng)
    WD = W * D
    for _ in range(100):  # stress majorization: X <- Lw^+ L_Z(X) X
        sq = (X * X).sum(1)
        dist = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2 * X @ X.T, 0.0))
        B = -WD / np.maximum(dist, 1e-9)
        np.fill_diagonal(B, 0.0)
        B[np.diag_indices(n)] = -B.sum(1)
        X_new = Lp @ (B @ X)
        if np.abs(X_new - X).max() < 1e-4 * np.abs(X_new).max():
            return X_new
        X = X_new
    return X


def _spring(n, csr, pairs, rng):
    big = n > DENSE
    X = _pivot_mds(n, csr, pairs, rng) if big else rng.random((n, 2))
    X = _scale(X)
    k, iters = 1.0 / np.sqrt(n), (10 if n > 10_000 else 30) if big else 50
    t = 0.1 if not big else 0.02
    for it in range(iters):
        if big:
            s = rng.choice(n, size=64 if n > 10_000 else 128, replace=False)
            delta = X[:, None] - X[None, s]
            d2 = np.maximum((delta ** 2).sum(-1), 1e-4)
            disp = (delta * (k * k / d2)[..., None]).sum(1) * (n / s.size)
        else:
            delta = X[:, None] - X[None]
            d2 = np.maximum((delta ** 2).sum(-1), 1e-4)
            disp = (delta * (k * k / d2)[..., None]).sum(1)
        e = X[pairs[:, 1]] - X[pairs[:, 0]]
        f = e * (np.sqrt((e ** 2).sum(1)) / k)[:, None]  # attraction d^2/k along each edge
        for c in range(2):
            disp[:, c] += np.bincount(pairs[:, 0], f[:, c], n) - np.bincount(pairs[:, 1], f[:, c], n)
        length = np.maximum(np.sqrt((disp ** 2).sum(1)), 1e-9)
        X = X + disp * (np.minimum(length, t) / length)[:, None]
        t -= t / (iters - it + 1)
    return X


def _spectral(n, csr, pairs, rng):
    deg = np.diff(csr[0]).astype(float)
    inv = 1.0 / np.sqrt(deg)
    if n <= DENSE:  # eigenvectors of the normalized Laplacian, mapped back by D^-1/2
        A = np.zeros((n, n))
        A[pairs[:, 0], pairs[:, 1]] = A[pairs[:, 1], pairs[:, 0]] = 1.0
        _, vecs = np.linalg.eigh(np.eye(n) - inv[:, None] * A * inv[None, :])
        return vecs[:, 1:3] * inv[:, None]
    top = np.sqrt(deg) / np.linalg.norm(np.sqrt(deg))
    V = rng.standard_normal((n, 2))
    for _ in range(100):  # power iteration on (I + D^-1/2 A D^-1/2) / 2, deflating sqrt(deg)
        Y = V * inv[:, None]
        AY = np.stack([np.bincount(pairs[:, 0], Y[pairs[:, 1], c], n)
                       + np.bincount(pairs[:, 1], Y[pairs[:, 0], c], n) for c in range(2)], 1)
        V = (V + AY * inv[:, None]) / 2
        V -= np.outer(top, top @ V)
        V, _ = np.linalg.qr(V)
    return V * inv[:, None]


_ALGORITHMS = {"spring": _spring, "kamada_kawai": _kamada_kawai, "spectral": _spectral}
