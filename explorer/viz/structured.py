"""Layouts read from a graph's structure: lattice, layered (top-down), line and tidy tree.

``compute_layout(graph, "auto")`` asks :func:`structured_layout` first and falls back to a force
layout only when no structure is found. Tried in order:

    lattice    a grid model: node ids naming cells, or a graph (for a factor graph: its variables,
               joined when they share a factor) isomorphic to an a x b grid. Variables sit on
               integer (column, -row); a factor sits at the mean of its variables (a unary factor
               a third of a cell up and right of its variable).
    layered    a Bayesian network's factor graph (every factor labelled ``P(child|parents)``) or a
               directed acyclic graph (up to :data:`DAG_MAX` nodes): parents above children, rank = longest path from a root;
               a CPD factor sits on the row between its child and the child's parents (a prior
               ``P(X)`` on the row above X). Rows are ordered by barycentre sweeps to cut crossings.
    line       a path (chain): one row, in path order; a layered drawing one node wide is turned on
               its side for the same reason (a chain reads left to right).
    tree       a connected acyclic graph: a tidy tree rooted at its centre (or at the root of a
               directed tree); leaves one unit apart in depth-first order, parents centred over
               their children.

Everything is deterministic (no randomness at all), so the seed does not matter here. Positions
are returned unscaled; :func:`~explorer.viz.layout.compute_layout` scales them.
"""

from __future__ import annotations

import re
from collections import deque
from typing import Callable

import numpy as np

from explorer.graph import Graph

__all__ = ["structured_layout", "bn_parents", "variable_pairs", "line_order", "tree_layout",
           "layered_layout", "ASPECT"]

#: a directed acyclic graph is drawn in layers up to this many nodes (beyond, rows get too wide)
DAG_MAX = 200
#: width / height the layered and tree drawings aim for (a 16:9 screen, less the margins)
ASPECT = 1.7
_CPD = re.compile(r"^P\((?P<child>[^|()]+?)(?:\|(?P<parents>[^()]*))?\)$")


def _roles(graph: Graph) -> np.ndarray:
    if graph.roles is None:
        return np.zeros(graph.n_nodes, dtype=bool)
    return np.array([str(r).lower() == "factor" for r in graph.roles], dtype=bool)


def _adjacency(graph: Graph) -> list[list[int]]:
    adj: list[set[int]] = [set() for _ in range(graph.n_nodes)]
    for s, r in zip(graph.senders.tolist(), graph.receivers.tolist()):
        if s != r:
            adj[s].add(r)
            adj[r].add(s)
    return [sorted(a) for a in adj]


def variable_pairs(graph: Graph) -> tuple[np.ndarray, np.ndarray]:
    """The variables of a factor graph and the pairs of them that share a factor.

    Returns:
        ``(variables [V], pairs [P, 2])``: node indices of the variables, and pairs as positions
        into ``variables`` (``i < j``).
    """
    fac = _roles(graph)
    var = np.flatnonzero(~fac)
    where = np.full(graph.n_nodes, -1)
    where[var] = np.arange(var.size)
    adj = _adjacency(graph)
    pairs = set()
    for f in np.flatnonzero(fac):
        vs = sorted(where[v] for v in adj[f] if where[v] >= 0)
        pairs.update((a, b) for i, a in enumerate(vs) for b in vs[i + 1:])
    arr = np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)
    return var, arr


def bn_parents(graph: Graph) -> dict[int, tuple[int, list[int]]] | None:
    """``{factor node: (child node, [parent nodes])}`` when every factor of ``graph`` is a CPD.

    A factor counts as a CPD when its label reads ``P(child)`` or ``P(child|p1,p2,...)`` with
    every name a variable of the graph joined to the factor (as :meth:`FactorGraph.to_graph`
    labels a Bayesian network). ``None`` when any factor is not, or there are no factors.
    """
    fac = _roles(graph)
    if not fac.any() or graph.labels is None:
        return None
    labels = graph.display_labels
    adj = _adjacency(graph)
    out = {}
    for f in np.flatnonzero(fac):
        m = _CPD.match(str(labels[f]).replace(" ", ""))
        if not m:
            return None
        names = [m["child"]] + ([p for p in m["parents"].split(",") if p] if m["parents"] else [])
        near = {str(labels[v]): v for v in adj[f]}
        if any(n not in near for n in names) or len(names) != len(adj[f]):
            return None
        out[int(f)] = (int(near[names[0]]), [int(near[p]) for p in names[1:]])
    return out


def line_order(n: int, adj: list[list[int]]) -> list[int] | None:
    """Nodes of a path graph from one end to the other (the end with the smaller id first)."""
    if n < 2 or any(len(a) > 2 for a in adj) or sum(len(a) for a in adj) != 2 * (n - 1):
        return None
    ends = [i for i in range(n) if len(adj[i]) == 1]
    if len(ends) != 2:
        return None
    order, prev = [ends[0]], -1
    while len(order) < n:
        nxt = [v for v in adj[order[-1]] if v != prev]
        if not nxt:
            return None
        prev = order[-1]
        order.append(nxt[0])
    return order


def _center(n: int, adj: list[list[int]]) -> int:
    """A centre of a tree (leaves peeled off layer by layer; the smaller id on a tie)."""
    deg = [len(a) for a in adj]
    left, layer = n, [i for i in range(n) if deg[i] <= 1]
    while left > 2:
        left -= len(layer)
        nxt = []
        for u in layer:
            for v in adj[u]:
                deg[v] -= 1
                if deg[v] == 1:
                    nxt.append(v)
        layer = nxt
    return min(layer)


def tree_layout(n: int, adj: list[list[int]], root: int) -> np.ndarray:
    """Tidy tree: depth down the y axis, leaves one unit apart, parents over their children's middle."""
    xy = np.zeros((n, 2))
    children: list[list[int]] = [[] for _ in range(n)]
    depth = np.zeros(n, dtype=int)
    seen, queue = {root}, deque([root])
    while queue:
        u = queue.popleft()
        for v in adj[u]:
            if v not in seen:
                seen.add(v)
                children[u].append(v)
                depth[v] = depth[u] + 1
                queue.append(v)
    nxt = 0.0
    stack = [(root, False)]
    while stack:  # post-order without recursion: children placed before their parent
        u, done = stack.pop()
        if done or not children[u]:
            if children[u]:
                xy[u, 0] = (xy[children[u][0], 0] + xy[children[u][-1], 0]) / 2
            else:
                xy[u, 0], nxt = nxt, nxt + 1.0
            continue
        stack.append((u, True))
        stack.extend((v, False) for v in reversed(children[u]))
    levels = depth.max() if n else 0
    sy = max(1.0, (nxt - 1) / (ASPECT * max(levels, 1)))
    xy[:, 1] = -depth * sy
    return xy


def layered_layout(n: int, adj: list[list[int]], rank: np.ndarray, sweeps: int = 8) -> np.ndarray:
    """Nodes on rows by ``rank`` (0 on top), ordered in each row by barycentre sweeps.

    Shapes:
        rank ``[n]`` non-negative ints -> ``[n, 2]``.
    """
    rows = [list(np.flatnonzero(rank == r)) for r in range(int(rank.max()) + 1)]
    x = np.zeros(n)
    for row in rows:
        x[row] = np.arange(len(row)) - (len(row) - 1) / 2
    for it in range(sweeps):
        order = rows if it % 2 == 0 else rows[::-1]
        for row in order:
            bary = [np.mean([x[v] for v in adj[u]]) if adj[u] else x[u] for u in row]
            row.sort(key=lambda u, b=dict(zip(row, bary)): (b[u], u))
            x[row] = np.arange(len(row)) - (len(row) - 1) / 2
    width = max(len(r) for r in rows)
    sx = max(1.0, ASPECT * (len(rows) - 1) / max(width - 1, 1))
    return np.stack([x * sx, -rank.astype(float)], 1)


def _longest_path_rank(n: int, parents: list[list[int]]) -> np.ndarray | None:
    rank = np.full(n, -1)
    indeg = np.array([len(p) for p in parents])
    kids: list[list[int]] = [[] for _ in range(n)]
    for c, ps in enumerate(parents):
        for p in ps:
            kids[p].append(c)
    queue = deque(i for i in range(n) if indeg[i] == 0)
    rank[list(queue)] = 0
    done = 0
    while queue:
        u = queue.popleft()
        done += 1
        for c in kids[u]:
            rank[c] = max(rank[c], rank[u] + 1)
            indeg[c] -= 1
            if indeg[c] == 0:
                queue.append(c)
    return rank if done == n else None  # None: a cycle


def _bn(graph: Graph, cpds: dict[int, tuple[int, list[int]]], adj: list[list[int]]) -> np.ndarray:
    n = graph.n_nodes
    parents: list[list[int]] = [[] for _ in range(n)]
    for f, (child, ps) in cpds.items():
        parents[child] = ps
    vrank = _longest_path_rank(n, parents)
    if vrank is None:
        return None
    rank = np.zeros(n, dtype=int)
    has_prior = any(not ps for _, ps in cpds.values())
    for v in range(n):
        if v not in cpds:
            rank[v] = 2 * vrank[v] + has_prior
    for f, (child, _) in cpds.items():
        rank[f] = rank[child] - 1
    return layered_layout(n, adj, rank)


def _lattice(graph: Graph, adj: list[list[int]]) -> np.ndarray | None:
    from explorer.viz.layout import lattice_coordinates

    fac = _roles(graph)
    if not fac.any():
        rc = lattice_coordinates(graph)
        return None if rc is None else np.stack([rc[:, 1], -rc[:, 0]], 1)
    var, pairs = variable_pairs(graph)
    if var.size < 4 or not pairs.size:
        return None
    vg = Graph.from_edges(var.size, pairs.tolist(), node_ids=[graph.ids[v] for v in var])
    rc = lattice_coordinates(vg)
    if rc is None:
        return None
    xy = np.zeros((graph.n_nodes, 2))
    xy[var] = np.stack([rc[:, 1], -rc[:, 0]], 1)
    for f in np.flatnonzero(fac):
        xy[f] = xy[adj[f]].mean(0) + ((1 / 3, 1 / 3) if len(adj[f]) == 1 else (0.0, 0.0))
    return xy


def structured_layout(graph: Graph) -> np.ndarray | None:
    """``[N, 2]`` unscaled positions from the graph's structure, or ``None`` for a general graph.

    See the module docstring for the order in which lattice, layered, line and tree are tried.
    Complexity: O(N + E) except the grid match (VF2++ against an a x b grid, up to 2,500 nodes).
    """
    n = graph.n_nodes
    if n < 3:
        return None
    adj = _adjacency(graph)
    tries: list[Callable[[], np.ndarray | None]] = [lambda: _lattice(graph, adj)]
    cpds = bn_parents(graph)
    if cpds is not None:
        tries.append(lambda: _bn(graph, cpds, adj))
    elif graph.directed and not _roles(graph).any() and n <= DAG_MAX:
        def dag() -> np.ndarray | None:
            parents: list[list[int]] = [[] for _ in range(n)]
            for s, r in zip(graph.senders.tolist(), graph.receivers.tolist()):
                if s != r and s not in parents[r]:
                    parents[r].append(s)
            rank = _longest_path_rank(n, parents)
            return None if rank is None or line_order(n, adj) is not None else layered_layout(n, adj, rank)
        tries.append(dag)
    for attempt in tries:
        xy = attempt()
        if xy is not None:
            return _sideways_if_one_wide(xy)
    order = line_order(n, adj)
    if order is not None:
        xy = np.zeros((n, 2))
        xy[order, 0] = np.arange(n)
        return xy
    if sum(len(a) for a in adj) == 2 * (n - 1) and _connected(adj):
        root = _directed_root(graph) if graph.directed else None
        return tree_layout(n, adj, _center(n, adj) if root is None else root)
    return None


def _sideways_if_one_wide(xy: np.ndarray) -> np.ndarray:
    """A layered drawing one node wide (a chain) is turned to read left to right."""
    if np.ptp(xy[:, 0]) == 0 and np.ptp(xy[:, 1]) > 0:
        return np.stack([-xy[:, 1], np.zeros(len(xy))], 1)
    return xy


def _connected(adj: list[list[int]]) -> bool:
    seen, stack = {0}, [0]
    while stack:
        for v in adj[stack.pop()]:
            if v not in seen:
                seen.add(v)
                stack.append(v)
    return len(seen) == len(adj)


def _directed_root(graph: Graph) -> int | None:
    indeg = np.bincount(graph.receivers[graph.senders != graph.receivers], minlength=graph.n_nodes)
    roots = np.flatnonzero(indeg == 0)
    return int(roots[0]) if roots.size == 1 else None
