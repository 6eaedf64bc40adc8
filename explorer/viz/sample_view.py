"""A drawing budget: above it, draw a connected, labelled sample of the graph instead of all of it.

A browser draws a Plotly graph of a few thousand nodes in about a second; the app's upload
limits (:mod:`explorer.io.limits`: 50,000 nodes, 500,000 edges) are set by what the *engines*
compute in seconds, which is far more than a page can draw. Above :data:`DRAW_NODES` nodes or
:data:`DRAW_EDGES` stored edges, pages draw a sample chosen here, and say so with its note:

- with a selected node: its k-hop neighbourhood, breadth first (level by level, in node order
  within a level), cut where the next node would break the node or edge budget;
- without one: the same from the node of highest degree (ties broken by ``seed``), then, while
  budget is left and that component is exhausted, from the highest-degree node not yet drawn.

Every prefix of a breadth-first order is connected, so each piece of the sample is connected
(one piece when the first component fills the budget). The sample is the *induced* subgraph:
every edge between two drawn nodes is drawn. Its nodes keep their original ids and labels
(hover and labels show the uploaded ids), features, classes, roles and file positions, and
:attr:`DrawSample.nodes` / :attr:`DrawSample.edges` map it back to the whole graph, so numbers
computed on the whole graph are shown for the drawn nodes by indexing with them.

Example:
    >>> from explorer.graph import Graph
    >>> path = Graph.from_edges(6, [(i, i + 1) for i in range(5)])
    >>> s = draw_sample(path, selected=2, max_nodes=3)
    >>> s.nodes.tolist(), s.graph.display_labels
    ([1, 2, 3], ('1', '2', '3'))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explorer.errors import ModelError
from explorer.graph import Graph

__all__ = ["DRAW_NODES", "DRAW_EDGES", "DrawSample", "over_budget", "draw_sample",
           "induced_subgraph", "bfs_order"]

#: Nodes a page draws in about a second (Plotly in the browser, plus the layout here)
DRAW_NODES = 2000
#: Stored (directed) edges a page draws in about a second; an undirected edge counts twice
DRAW_EDGES = 20000


@dataclass(frozen=True)
class DrawSample:
    """What to draw of a graph.

    Attributes:
        graph: the graph to draw (the whole graph when under the budget).
        nodes: ``[k]`` increasing indices in the whole graph of the drawn nodes
            (``graph`` node ``i`` is whole-graph node ``nodes[i]``).
        edges: ``[e]`` indices in the whole graph's ``senders``/``receivers`` of the drawn
            edges, in the drawn graph's edge order.
        note: one sentence for the page ("Drawing 2,000 of 48,213 nodes: ..."), or ``None``
            when the whole graph is drawn.
        n_total: nodes in the whole graph.
    """

    graph: Graph
    nodes: np.ndarray
    edges: np.ndarray
    note: str | None
    n_total: int

    @property
    def sampled(self) -> bool:
        """True when only part of the graph is drawn."""
        return self.note is not None

    def local(self, node: int | None) -> int | None:
        """The drawn index of whole-graph node ``node``, or ``None`` when it is not drawn."""
        if node is None or node < 0:
            return None
        i = int(np.searchsorted(self.nodes, node))
        return i if i < self.nodes.size and int(self.nodes[i]) == node else None


def over_budget(graph: Graph, max_nodes: int = DRAW_NODES, max_edges: int = DRAW_EDGES) -> bool:
    """True when ``graph`` has more nodes or stored edges than a page draws in about a second."""
    return graph.n_nodes > max_nodes or graph.n_edges > max_edges


def _adjacency(graph: Graph) -> tuple[np.ndarray, np.ndarray]:
    """Neighbour lists, both directions, as CSR (indptr ``[N+1]``, indices); a list may repeat
    a neighbour (the search drops repeats per level, which is cheaper than a sort here)."""
    n = graph.n_nodes
    s = np.concatenate([graph.senders, graph.receivers])
    r = np.concatenate([graph.receivers, graph.senders])
    order = np.argsort(s, kind="stable")
    indptr = np.concatenate([[0], np.cumsum(np.bincount(s, minlength=n))]).astype(np.int64)
    return indptr, r[order]


def bfs_order(graph: Graph, sources: list[int] | np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """Breadth-first order from each source in turn, at most ``limit`` nodes in all.

    Edges are followed in both directions. Within a level nodes come in increasing order. A
    source already reached is skipped; the next source starts after the previous one's
    component is exhausted.

    Returns:
        ``(order, hops)``: ``[<= limit]`` node indices and each one's hop distance from the
        source whose search reached it.
    """
    indptr, indices = _adjacency(graph)
    seen = np.zeros(graph.n_nodes, dtype=bool)
    order: list[np.ndarray] = []
    hops: list[np.ndarray] = []
    count = 0
    for source in sources:
        if count >= limit:
            break
        if seen[source]:
            continue
        frontier, d = np.array([int(source)], dtype=np.int64), 0
        seen[source] = True
        while frontier.size and count < limit:
            frontier = frontier[: limit - count]
            order.append(frontier)
            hops.append(np.full(frontier.size, d))
            count += frontier.size
            lens = indptr[frontier + 1] - indptr[frontier]
            starts = np.repeat(indptr[frontier] - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens)
            nb = indices[starts + np.arange(lens.sum())]
            nb = nb[~seen[nb]]
            mark = np.zeros(0, dtype=np.int64)
            if nb.size:  # distinct, increasing: a mask over the nodes is cheaper than a sort
                hit = np.zeros(graph.n_nodes, dtype=bool)
                hit[nb] = True
                mark = np.flatnonzero(hit)
            nb = mark
            seen[nb] = True
            frontier, d = nb, d + 1
    if not order:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(order), np.concatenate(hops)


def induced_subgraph(graph: Graph, nodes: np.ndarray) -> tuple[Graph, np.ndarray]:
    """The graph on ``nodes`` (increasing indices) with every edge between two of them.

    Node ids, labels, features, classes, roles and file positions come along; returns the
    subgraph and the whole-graph index of each of its edges.
    """
    nodes = np.asarray(nodes, dtype=np.int64)
    if nodes.size and np.any(np.diff(nodes) <= 0):
        raise ModelError("induced_subgraph needs increasing node indices; sort them first")
    new = np.full(graph.n_nodes, -1, dtype=np.int64)
    new[nodes] = np.arange(nodes.size)
    edges = np.flatnonzero((new[graph.senders] >= 0) & (new[graph.receivers] >= 0))
    ids = graph.ids
    pick = lambda a: None if a is None else a[nodes]  # noqa: E731
    tup = lambda t: None if t is None else tuple(t[i] for i in nodes)  # noqa: E731
    sub = Graph(
        nodes.size, new[graph.senders[edges]], new[graph.receivers[edges]],
        directed=graph.directed, node_ids=tuple(ids[i] for i in nodes),
        labels=tup(graph.labels), x=pick(graph.x),
        edge_attr=None if graph.edge_attr is None else graph.edge_attr[edges],
        edge_weight=None if graph.edge_weight is None else graph.edge_weight[edges],
        y=pick(graph.y), roles=tup(graph.roles), pos=pick(graph.pos), name=graph.name,
        meta={"sample_of": graph.name})
    return sub, edges


def _prefix(graph: Graph, order: np.ndarray, max_nodes: int, max_edges: int) -> int:
    """The longest prefix of ``order`` within both budgets (its induced stored edges counted)."""
    rank = np.full(graph.n_nodes, order.size, dtype=np.int64)
    rank[order] = np.arange(order.size)
    enters = np.maximum(rank[graph.senders], rank[graph.receivers])  # prefix length - 1
    per = np.bincount(enters[enters < order.size], minlength=order.size)
    fits = np.flatnonzero(np.cumsum(per) <= max_edges)
    # cumsum is increasing, so the fitting prefixes are 1 .. fits[-1] + 1 (the first node
    # alone always fits unless its self-loops exceed the budget)
    return min(max_nodes, int(fits[-1]) + 1 if fits.size else 1, order.size)


def _edge_count(graph: Graph) -> int:
    """Edges as the summary counts them: an undirected edge once (it is stored both ways)."""
    if graph.directed:
        return graph.n_edges
    return int((graph.n_edges + np.count_nonzero(graph.senders == graph.receivers)) // 2)


def draw_sample(graph: Graph, selected: int | None = None, *, max_nodes: int = DRAW_NODES,
                max_edges: int = DRAW_EDGES, seed: int = 0) -> DrawSample:
    """What to draw of ``graph``: all of it within the budget, else a connected sample.

    Args:
        graph: the whole graph.
        selected: a whole-graph node whose neighbourhood to draw, or ``None``/-1.
        max_nodes, max_edges: the drawing budget (stored edges: an undirected edge counts 2).
        seed: breaks ties between nodes of equal degree when nothing is selected.

    Returns:
        a :class:`DrawSample`; its ``note`` says what is drawn when it is not everything.

    Raises:
        ModelError: a budget below 1, or ``selected`` outside the graph.
    """
    if max_nodes < 1 or max_edges < 0:
        raise ModelError(f"the drawing budget must be at least 1 node and 0 edges (got "
                         f"{max_nodes} nodes, {max_edges} edges); raise it")
    n = graph.n_nodes
    if selected is not None and selected >= 0 and selected >= n:
        raise ModelError(f"node {selected} is not in the graph (it has {n} nodes, 0 .. {n - 1}); "
                         "pick another node")
    if not over_budget(graph, max_nodes, max_edges):
        return DrawSample(graph, np.arange(n), np.arange(graph.n_edges), None, n)
    # the degree the Graphs page shows: neighbours of an undirected node (it stores each edge
    # both ways), in- plus out-degree of a directed one
    deg = graph.out_degree() if not graph.directed else graph.in_degree() + graph.out_degree()
    if selected is not None and selected >= 0:
        sources = np.array([int(selected)])
    else:
        tie = np.random.default_rng(seed).permutation(n)
        sources = np.lexsort((tie, -deg))  # highest degree first, seeded among equals
    order, hops = bfs_order(graph, sources, max_nodes)
    k = _prefix(graph, order, max_nodes, max_edges)
    nodes = np.sort(order[:k])
    sub, edges = induced_subgraph(graph, nodes)
    first = graph.display_labels[int(order[0])]
    zeros = np.flatnonzero(hops[:k] == 0)  # where each source's search starts
    starts = zeros.size
    radius = int(hops[: zeros[1] if starts > 1 else k].max())
    if selected is not None and selected >= 0:
        what = f"the neighbourhood of node {first} up to {radius} hops"
    else:
        what = (f"the neighbourhood of node {first}, the node of highest degree "
                f"({int(deg[order[0]])}), up to {radius} hops")
        if starts > 1:
            what += f", then of {starts - 1:,} more nodes of high degree in other components"
    shown_edges, all_edges = _edge_count(sub), _edge_count(graph)
    note = (f"Drawing {k:,} of {n:,} nodes and {shown_edges:,} of {all_edges:,} edges: {what}. "
            f"The page draws at most {max_nodes:,} nodes and {max_edges:,} stored edges; "
            "select a node to draw its neighbourhood.")
    return DrawSample(sub, nodes, edges, note, n)
