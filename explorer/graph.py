"""`Graph`: the one immutable graph type every engine, view and reader shares.

Edge convention (everywhere in the project, as PyG's ``flow="source_to_target"``): message ``e``
travels from ``senders[e]`` to ``receivers[e]``. An undirected graph stores **both** directions
of every edge, as two directed edges that are each other's *twin*; a self-loop is its own twin.

Derive new graphs with :func:`dataclasses.replace` (or the ``with_*`` helpers); never mutate.

Example:
    >>> g = Graph.from_edges(3, [(0, 1), (1, 2)])          # undirected path 0 - 1 - 2
    >>> g.n_edges, g.senders.tolist(), g.receivers.tolist()
    (4, [0, 1, 1, 2], [1, 0, 2, 1])
    >>> g.twin.tolist()
    [1, 0, 3, 2]
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from dataclasses import dataclass, field
from typing import Any, Hashable, Iterable, Sequence

import numpy as np

from explorer.errors import ModelError

__all__ = ["Graph"]


def _frozen(a: np.ndarray | None, dtype: Any = None) -> np.ndarray | None:
    if a is None:
        return None
    a = np.array(a, dtype=dtype, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class Graph:
    """An immutable graph with optional features, labels, roles and positions.

    Fields (N = ``n_nodes``, E = ``n_edges``, the number of *directed* edges stored):

    Attributes:
        n_nodes: N, the number of nodes; nodes are the integers ``0 .. N-1``.
        senders: ``[E]`` int64, the node each edge's message leaves from.
        receivers: ``[E]`` int64, the node each edge's message arrives at.
        directed: ``False`` means every edge is stored in both directions (see :attr:`twin`).
        node_ids: ``[N]`` the original ids (from a file, kept for display and output order);
            ``None`` means the ids are ``0 .. N-1``.
        labels: ``[N]`` display labels; ``None`` means ``str(node_ids[i])``.
        x: ``[N, F]`` float node features, or ``None`` when the graph has none.
        edge_attr: ``[E, D]`` float edge features (aligned with ``senders``), or ``None``.
        edge_weight: ``[E]`` float scalar edge weights, or ``None`` (all 1).
        y: ``[N]`` int node labels (classes), or ``None``.
        roles: ``[N]`` strings naming what each node is (``"variable"``/``"factor"`` in a factor
            graph, an atom symbol in a molecule), or ``None``.
        pos: ``[N, 2]`` float positions from the file, or ``None`` (a layout is computed).
        name: a short name for titles.
        meta: free-form plain data (reader warnings under ``"warnings"``, source file, ...).
    """

    n_nodes: int
    senders: np.ndarray
    receivers: np.ndarray
    directed: bool = False
    node_ids: tuple[Hashable, ...] | None = None
    labels: tuple[str, ...] | None = None
    x: np.ndarray | None = None
    edge_attr: np.ndarray | None = None
    edge_weight: np.ndarray | None = None
    y: np.ndarray | None = None
    roles: tuple[str, ...] | None = None
    pos: np.ndarray | None = None
    name: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        set_ = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731 (frozen dataclass)
        n = int(self.n_nodes)
        if n < 0:
            raise ModelError(f"n_nodes must be >= 0 (got {n})")
        set_("n_nodes", n)
        s = _frozen(np.asarray(self.senders).reshape(-1), np.int64)
        r = _frozen(np.asarray(self.receivers).reshape(-1), np.int64)
        if s.shape != r.shape:
            raise ModelError(f"senders and receivers must have the same length (got {s.size} and {r.size})")
        for nm, a in (("senders", s), ("receivers", r)):
            if a.size and (a.min() < 0 or a.max() >= n):
                bad = int(a[(a < 0) | (a >= n)][0])
                raise ModelError(f"{nm} holds node {bad}, outside the valid range [0, {n - 1}]")
        set_("senders", s)
        set_("receivers", r)
        e = s.size
        for nm, rows, dtype in (("x", n, np.float64), ("edge_attr", e, np.float64),
                                ("edge_weight", e, np.float64), ("y", n, None), ("pos", n, np.float64)):
            a = getattr(self, nm)
            if a is None:
                continue
            a = _frozen(a, dtype)
            if nm in ("x", "edge_attr") and a.ndim == 1:
                a = _frozen(a.reshape(-1, 1))
            if a.shape[0] != rows:
                what = "nodes" if rows == n else "edges"
                raise ModelError(f"{nm} has {a.shape[0]} rows but the graph has {rows} {what}")
            set_(nm, a)
        for nm in ("node_ids", "labels", "roles"):
            v = getattr(self, nm)
            if v is not None:
                v = tuple(v)
                if len(v) != n:
                    raise ModelError(f"{nm} has {len(v)} entries but the graph has {n} nodes")
                set_(nm, v)
        if self.labels is not None:
            set_("labels", tuple(str(v) for v in self.labels))

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_edges(cls, n_nodes: int, edges: Iterable[Sequence[int]], *, directed: bool = False,
                   **fields: Any) -> "Graph":
        """Build a graph from ``(u, v)`` pairs; an undirected graph stores ``u->v`` then ``v->u``.

        Per-edge ``edge_attr``/``edge_weight`` given here are per *pair* and are duplicated for
        both directions when ``directed`` is False. A self-loop ``(u, u)`` is stored once.
        """
        pairs = np.asarray(list(edges), dtype=np.int64).reshape(-1, 2)
        if directed:
            return cls(n_nodes, pairs[:, 0], pairs[:, 1], directed=True, **fields)
        loop = pairs[:, 0] == pairs[:, 1]
        reps = np.where(loop, 1, 2)
        order = np.repeat(np.arange(len(pairs)), reps)
        flip = np.zeros(order.size, dtype=bool)
        flip[1:] = order[1:] == order[:-1]
        s = np.where(flip, pairs[order, 1], pairs[order, 0])
        r = np.where(flip, pairs[order, 0], pairs[order, 1])
        for k in ("edge_attr", "edge_weight"):
            if fields.get(k) is not None:
                fields[k] = np.asarray(fields[k])[order]
        return cls(n_nodes, s, r, directed=False, **fields)

    # ------------------------------------------------------------------ derived views
    @property
    def n_edges(self) -> int:
        """E, the number of stored directed edges (twice the undirected count, loops once)."""
        return int(self.senders.size)

    @property
    def edge_index(self) -> np.ndarray:
        """``[2, E]`` int64, PyG's layout: row 0 senders (source j), row 1 receivers (target i)."""
        return np.stack([self.senders, self.receivers])

    @functools.cached_property  # built once: callers index it per node (``ids[i]`` in a loop)
    def ids(self) -> tuple[Hashable, ...]:
        """``[N]`` the original node ids (``0 .. N-1`` when the file gave none)."""
        return self.node_ids if self.node_ids is not None else tuple(range(self.n_nodes))

    @functools.cached_property  # built once, as ``ids``: O(N) per call made loops O(N^2)
    def display_labels(self) -> tuple[str, ...]:
        """``[N]`` the labels to print next to nodes."""
        return self.labels if self.labels is not None else tuple(str(i) for i in self.ids)

    @property
    def twin(self) -> np.ndarray:
        """``[E]`` for each edge ``u->v`` the id of an edge ``v->u``, or -1 if there is none."""
        n = max(self.n_nodes, 1)
        key = self.senders * n + self.receivers
        rev = self.receivers * n + self.senders
        order = np.argsort(key, kind="stable")
        pos = np.searchsorted(key[order], rev)
        pos = np.clip(pos, 0, max(key.size - 1, 0))
        found = key.size > 0
        out = np.full(key.size, -1, dtype=np.int64)
        if found:
            hit = key[order][pos] == rev
            out[hit] = order[pos[hit]]
        return out

    def in_degree(self) -> np.ndarray:
        """``[N]`` number of edges arriving at each node (an undirected edge counts once)."""
        return np.bincount(self.receivers, minlength=self.n_nodes)

    def out_degree(self) -> np.ndarray:
        """``[N]`` number of edges leaving each node."""
        return np.bincount(self.senders, minlength=self.n_nodes)

    def undirected_pairs(self) -> np.ndarray:
        """``[M, 2]`` the distinct unordered pairs ``u <= v`` joined by an edge (loops included)."""
        if self.n_edges == 0:
            return np.zeros((0, 2), dtype=np.int64)
        lo = np.minimum(self.senders, self.receivers)
        hi = np.maximum(self.senders, self.receivers)
        return np.unique(np.stack([lo, hi], 1), axis=0)

    def neighbors(self, node: int) -> np.ndarray:
        """The senders of the edges arriving at ``node`` (in edge order, repeats kept)."""
        return self.senders[self.receivers == node]

    def content_hash(self) -> str:
        """A stable hex digest of everything that affects computation (for caching)."""
        h = hashlib.sha1()
        h.update(f"{self.n_nodes}|{self.directed}".encode())
        for a in (self.senders, self.receivers, self.x, self.edge_attr, self.edge_weight, self.y):
            h.update(b"|" if a is None else np.ascontiguousarray(a).tobytes() + str(a.shape).encode())
        h.update(repr((self.node_ids, self.roles)).encode())
        return h.hexdigest()

    def with_features(self, x: np.ndarray | None) -> "Graph":
        """A copy with node features ``x`` ``[N, F]`` replaced."""
        return dataclasses.replace(self, x=x)

    def summary(self) -> dict[str, Any]:
        """Sizes and degree statistics as plain data (for the CLI and the Graphs page)."""
        deg = self.in_degree() if self.directed else np.bincount(self.senders, minlength=self.n_nodes)
        return {
            "name": self.name,
            "nodes": self.n_nodes,
            "edges": self.n_edges if self.directed else int(self.undirected_pairs().shape[0]),
            "directed": self.directed,
            "node_features": 0 if self.x is None else int(self.x.shape[1]),
            "edge_features": 0 if self.edge_attr is None else int(self.edge_attr.shape[1]),
            "has_labels": self.y is not None,
            "degree_min": int(deg.min()) if deg.size else 0,
            "degree_max": int(deg.max()) if deg.size else 0,
            "degree_mean": float(deg.mean()) if deg.size else 0.0,
            "self_loops": int(np.sum(self.senders == self.receivers)),
            "warnings": list(self.meta.get("warnings", [])),
        }

    # ------------------------------------------------------------------ networkx
    def to_networkx(self):
        """A ``networkx.DiGraph`` (directed) or ``Graph`` with attributes ``x``, ``y``, ``role``,
        ``label``, ``pos`` on nodes and ``edge_attr``, ``weight`` on edges; nodes keyed by id."""
        import networkx as nx

        G = nx.DiGraph() if self.directed else nx.Graph()
        ids = self.ids
        for i, nid in enumerate(ids):
            attrs: dict[str, Any] = {"label": self.display_labels[i]}
            if self.x is not None:
                attrs["x"] = self.x[i].tolist()
            if self.y is not None:
                attrs["y"] = self.y[i].item()
            if self.roles is not None:
                attrs["role"] = self.roles[i]
            if self.pos is not None:
                attrs["pos"] = self.pos[i].tolist()
            G.add_node(nid, **attrs)
        for e in range(self.n_edges):
            attrs = {}
            if self.edge_attr is not None:
                attrs["edge_attr"] = self.edge_attr[e].tolist()
            if self.edge_weight is not None:
                attrs["weight"] = float(self.edge_weight[e])
            G.add_edge(ids[self.senders[e]], ids[self.receivers[e]], **attrs)
        return G

    @classmethod
    def from_networkx(cls, G, *, name: str = "") -> "Graph":
        """Build from a networkx graph; node attributes ``x``, ``y``, ``role``, ``label``, ``pos``
        and edge attributes ``edge_attr``, ``weight`` are picked up when every node/edge has them.
        Node order is ``G.nodes`` order; an undirected graph gets both directions per edge."""
        ids = list(G.nodes)
        index = {nid: i for i, nid in enumerate(ids)}
        nd = [G.nodes[v] for v in ids]

        def node_field(key: str):
            if nd and all(key in d for d in nd):
                return [d[key] for d in nd]
            return None

        edges = list(G.edges(data=True))
        pairs = [(index[u], index[v]) for u, v, _ in edges]

        def edge_field(key: str):
            if edges and all(key in d for _, _, d in edges):
                return [d[key] for _, _, d in edges]
            return None

        labels = node_field("label")
        return cls.from_edges(
            len(ids), pairs, directed=G.is_directed(), node_ids=tuple(ids),
            labels=tuple(map(str, labels)) if labels else None,
            x=node_field("x"), y=node_field("y"), roles=node_field("role"), pos=node_field("pos"),
            edge_attr=edge_field("edge_attr"), edge_weight=edge_field("weight"), name=name,
        )
