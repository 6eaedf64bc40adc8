"""Receptive fields and computation trees: what L rounds of message passing let a node read.

After k rounds node i has heard from every node with a path of at most k edges *into* i (edges
followed from sender to receiver): its k-hop **receptive field** (:func:`hop_distances`,
:func:`receptive_field`). Unrolling the rounds gives its **computation tree**
(:func:`computation_tree`): the root is i, the children of a tree node for graph node v are the
senders of v's incoming edges, one child per edge, down to depth L. A node reachable by several
walks appears several times, which is why the tree grows like the number of walks: level d holds
``1^T (A^T)^d e_i`` nodes (:func:`tree_level_sizes`, with ``A[i, j]`` = edges ``j -> i``), and
two nodes with equal trees get equal outputs from every sum/mean/max GNN — the link to 1-WL.

With ``self_loops=True`` each tree node also has itself as a child (the self term that GCN, GIN
and SAGE layers read), i.e. A is replaced by A + I.

Example:
    >>> g = Graph.from_edges(3, [(0, 1), (1, 2)])
    >>> hop_distances(g, 0).tolist()
    [0, 1, 2]
    >>> tree_level_sizes(g, 1, 2).tolist()
    [1, 2, 2]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explorer.errors import ModelError, TooLargeError
from explorer.graph import Graph

__all__ = ["hop_distances", "receptive_field", "tree_level_sizes", "computation_tree",
           "ComputationTree", "TREE_LIMIT", "MAX_DEPTH", "MASK_ROUNDS"]

TREE_LIMIT = 5000  #: computation trees with more nodes are refused (they grow like walk counts)
MAX_DEPTH = 12     #: deepest tree (and walk count) computed


def _check(graph: Graph, node: int, depth: int | None = None) -> int:
    if not 0 <= int(node) < graph.n_nodes:
        raise ModelError(f"expected a node in [0, {graph.n_nodes - 1}], found {node}")
    if depth is not None and not 0 <= int(depth) <= MAX_DEPTH:
        raise ModelError(f"expected a depth in [0, {MAX_DEPTH}], found {depth}; use fewer layers")
    return int(node)


#: rounds :func:`hop_distances` runs as one pass over all edges each, before it sorts the edges
#: by receiver and follows only the edges into the frontier (covers every depth up to MAX_DEPTH)
MASK_ROUNDS = 16


def hop_distances(graph: Graph, node: int, max_hops: int | None = None) -> np.ndarray:
    """``[N]`` the fewest edges on a path from each node *to* ``node`` (-1: none within reach).

    Breadth-first search against edge direction (for an undirected graph: plain distance), by
    frontiers, vectorised: the first :data:`MASK_ROUNDS` rounds each take the senders of every
    edge whose receiver is in the frontier (one pass over the E edges, no sort); a search that
    goes on sorts the edges by receiver once and then follows only the edges into the frontier.
    ``max_hops`` stops the search early. Cost: ``O(min(rounds, MASK_ROUNDS) * E)``, plus
    ``O(E log E)`` only past :data:`MASK_ROUNDS` rounds; no Python loop over nodes or edges.

    Example:
        >>> g = Graph.from_edges(4, [(0, 1), (1, 2), (3, 2)], directed=True)
        >>> hop_distances(g, 2).tolist()
        [2, 1, 0, 1]
        >>> hop_distances(g, 2, max_hops=1).tolist()
        [-1, 1, 0, 1]
    """
    node = _check(graph, node)
    n, s, r = graph.n_nodes, graph.senders, graph.receivers
    dist = np.full(n, -1, dtype=np.int64)
    dist[node] = 0
    frontier = np.array([node], dtype=np.int64)
    in_frontier = np.zeros(n, dtype=bool)
    into = ptr = None
    d = 0
    while frontier.size and (max_hops is None or d < max_hops):
        d += 1
        if d <= MASK_ROUNDS:
            in_frontier[frontier] = True
            cand = s[in_frontier[r]]              # senders of the edges into the frontier
            in_frontier[frontier] = False
        else:
            if into is None:                      # senders grouped by receiver, once
                order = np.argsort(r, kind="stable")
                into = s[order]
                ptr = np.zeros(n + 1, dtype=np.int64)
                np.cumsum(np.bincount(r, minlength=n), out=ptr[1:])
            lo, lens = ptr[frontier], ptr[frontier + 1] - ptr[frontier]
            idx = np.arange(int(lens.sum())) + np.repeat(lo - (np.cumsum(lens) - lens), lens)
            cand = into[idx]
        frontier = np.unique(cand[dist[cand] < 0])
        dist[frontier] = d
    return dist


def receptive_field(graph: Graph, node: int, k: int) -> np.ndarray:
    """The sorted nodes ``node`` has heard from after ``k`` rounds (itself included)."""
    dist = hop_distances(graph, node, k)
    return np.flatnonzero(dist >= 0)


def tree_level_sizes(graph: Graph, node: int, depth: int, *, self_loops: bool = False) -> np.ndarray:
    """``[depth + 1]`` int: how many tree nodes each level of the computation tree holds.

    Level d counts the walks of length d that end at ``node``: ``1^T (A^T)^d e_node``, computed
    by pushing a count vector backwards along the edges d times (O(depth * E)).
    """
    node = _check(graph, node, depth)
    w = np.zeros(graph.n_nodes, dtype=object)  # Python ints: walk counts never overflow
    w[node] = 1
    sizes = [1]
    for _ in range(int(depth)):
        nxt = np.zeros(graph.n_nodes, dtype=object)
        np.add.at(nxt, graph.senders, w[graph.receivers])
        if self_loops:
            nxt = nxt + w
        w = nxt
        sizes.append(int(w.sum()))
    return np.array(sizes, dtype=object)


@dataclass(frozen=True)
class ComputationTree:
    """The unrolled neighbourhood of ``root``, level by level (parents before children).

    Attributes:
        root: the graph node at the top.
        nodes: ``[T]`` the graph node each tree node stands for.
        parent: ``[T]`` index of the parent tree node (-1 for the root).
        depth: ``[T]`` level of each tree node (root 0).
        edge: ``[T]`` the graph edge that carries the child's message to its parent (-1 for the
            root and for self-loop children).
    """

    root: int
    nodes: np.ndarray
    parent: np.ndarray
    depth: np.ndarray
    edge: np.ndarray

    @property
    def size(self) -> int:
        """T, the number of tree nodes."""
        return int(self.nodes.size)


def computation_tree(graph: Graph, node: int, depth: int, *, self_loops: bool = False,
                     limit: int = TREE_LIMIT) -> ComputationTree:
    """Unroll ``depth`` rounds of message passing into ``node``.

    Raises:
        ModelError: a node or depth out of range.
        TooLargeError: the tree would have more than ``limit`` nodes (counted before building).
    """
    node = _check(graph, node, depth)
    total = int(sum(tree_level_sizes(graph, node, depth, self_loops=self_loops)))
    if total > limit:
        raise TooLargeError(f"the computation tree of node {graph.display_labels[node]} with depth "
                            f"{depth} has {total} nodes, more than the limit {limit}; choose fewer "
                            "layers or a node with fewer neighbours", size=total, limit=limit)
    order = np.argsort(graph.receivers, kind="stable")
    bounds = np.searchsorted(graph.receivers[order], np.arange(graph.n_nodes + 1))
    nodes, parent, level, edge = [node], [-1], [0], [-1]
    start = 0
    for d in range(1, int(depth) + 1):
        end = len(nodes)
        for t in range(start, end):
            v = nodes[t]
            if self_loops:
                nodes.append(v), parent.append(t), level.append(d), edge.append(-1)
            for e in order[bounds[v]:bounds[v + 1]]:
                nodes.append(int(graph.senders[e])), parent.append(t), level.append(d), edge.append(int(e))
        start = end
    as_arr = lambda a: np.array(a, dtype=np.int64)  # noqa: E731
    return ComputationTree(node, as_arr(nodes), as_arr(parent), as_arr(level), as_arr(edge))
