"""From a parsed networkx graph to a validated :class:`~explorer.graph.Graph`.

Attributes the explorer understands (any other is ignored, with a warning):

    nodes   x          features: a list of numbers, or a string "[1, 0]" / "1 0"   Graph.x
            y          an integer class (-1 = unlabelled); text classes numbered   Graph.y
            pos        two numbers (a list or a string)                            Graph.pos
            label      display text                                                Graph.labels
            role       what the node is (atom symbol, "variable"/"factor")         Graph.roles
    edges   edge_attr  features, like x                                            Graph.edge_attr
            weight     one finite number                                           Graph.edge_weight

Parallel edges are merged into one (the first one's attributes are kept); self-loops are kept.
Both are reported in ``graph.meta["warnings"]``.
"""

from __future__ import annotations

import math
import re
from typing import Any, Sequence

import networkx as nx
import numpy as np

from explorer.errors import InputFormatError
from explorer.graph import Graph
from explorer.io.limits import Limits, check_size, shown

__all__ = ["parse_vector", "graph_from_networkx", "merged_warning"]

_NODE_KEYS = {"x", "y", "pos", "label", "role"}
_EDGE_KEYS = {"edge_attr", "weight", "id", "key"}
_SPLIT = re.compile(r"[\s,;]+")


def parse_vector(value: Any) -> list[float]:
    """A flat list of floats from a list, a number, or a string like ``"[1, 0]"``/``"1 0"``.

    Raises:
        ValueError: the value is nested or holds something that is not a number.

    Example:
        >>> parse_vector("[1, 0.5]"), parse_vector("1 0"), parse_vector(3)
        ([1.0, 0.5], [1.0, 0.0], [3.0])
    """
    if isinstance(value, str):
        body = value.strip().strip("[]()").strip()
        items: Sequence[Any] = [t for t in _SPLIT.split(body) if t] if body else []
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        items = [value]
    out = []
    for v in items:
        if isinstance(v, (bool, list, tuple, dict)) or v is None:
            raise ValueError(f"{v!r} is not a number")
        try:
            out.append(float(v))  # raises ValueError for text
        except OverflowError:  # an integer too large for a float (e.g. 10**400)
            raise ValueError(f"{v!r:.40} is too large for a float") from None
    return out


class _Names:
    """Names of nodes or edges for messages, made only when an error needs one."""

    def __init__(self, fn):
        self._fn = fn

    def __getitem__(self, i: int) -> str:
        return self._fn(i)


def merged_warning(count: int, fmt: str, directed: bool) -> str:
    """The sentence reporting ``count`` parallel edges merged into one."""
    return (f"{count} parallel edge(s) were merged: each pair of nodes keeps one edge, with the "
            "attributes of the first one in the file."
            + (" The edge list was read as undirected, so 'u v' and 'v u' are the same edge; if "
               "the file is directed, add a first line '# directed'."
               if fmt == "edge list" and not directed else ""))


def _matrix(name: str, owners: "_Names", values: list[Any], source: str | None,
            what: str, budget: list) -> np.ndarray:
    """Stack per-node (or per-edge) vectors, naming the first owner that breaks the rules.

    ``budget`` is ``[values used so far, limits]``: the total against
    ``Limits.max_feature_values`` is checked from the first row, before the others are parsed.
    """
    rows = []
    for i, v in enumerate(values):
        try:
            row = parse_vector(v)
        except (ValueError, TypeError):
            raise InputFormatError(f"expected '{name}' of {owners[i]} to be a list of numbers, "
                                   f"found {shown(v)}; write it as numbers, e.g. [1, 0]",
                                   path=source) from None
        if not all(math.isfinite(t) for t in row):
            raise InputFormatError(f"expected finite numbers in '{name}' of {owners[i]}, found "
                                   f"{shown(v)} (NaN or inf); replace the missing values",
                                   path=source)
        if rows and len(row) != len(rows[0]):
            raise InputFormatError(f"expected every '{name}' to have {len(rows[0])} values (as "
                                   f"{owners[0]} does), found {len(row)} at {owners[i]}; give all "
                                   f"{what} the same number of features", path=source)
        if not rows:  # the declared total, from the first row, before parsing the others
            check_size("max_feature_values", budget[0] + len(row) * len(values), budget[1],
                       source, context=f"(with '{name}' of all {what} given "
                                       f"{len(row)} values each)")
        rows.append(row)
    budget[0] += len(rows[0]) * len(rows) if rows else 0
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), -1)


def _present(name: str, owners: "_Names", dicts: list[dict], source: str | None,
             what: str) -> bool:
    """True when every node/edge has ``name``; False when none has it; otherwise an error."""
    has = [name in d for d in dicts]
    if not any(has):
        return False
    if not all(has):
        missing = owners[has.index(False)]
        raise InputFormatError(f"expected every {what[:-1]} to have '{name}' once any does, found "
                               f"{missing} without it; add it there or remove it everywhere",
                               path=source)
    return True


def _labels_y(owners: "_Names", values: list[Any], source: str | None, warn: list[str]):
    out, classes = [], {}
    if all(isinstance(v, str) and not re.fullmatch(r"\s*[+-]?\d+\s*", v) for v in values):
        for v in values:
            out.append(classes.setdefault(v, len(classes)))
        warn.append("The labels y were text; they were numbered in order of first appearance: "
                    + ", ".join(f"{k!r} -> {i}" for k, i in classes.items()) + ".")
        return np.asarray(out, dtype=np.int64), list(classes)
    for i, v in enumerate(values):
        try:
            f = float(v)
        except (TypeError, ValueError, OverflowError):
            f = math.nan
        if not (math.isfinite(f) and f == int(f) and abs(f) < 2 ** 31):
            raise InputFormatError(f"expected 'y' of {owners[i]} to be an integer class (-1 for "
                                   f"unlabelled), found {shown(v)}", path=source)
        out.append(int(f))
    return np.asarray(out, dtype=np.int64), None


def _id_length(v: Any) -> int:
    """Characters of an id (digits of an integer, the sum over a tuple's items)."""
    if isinstance(v, int) and not isinstance(v, bool):
        return len(str(abs(v))) if v.bit_length() < 14_000 else int(v.bit_length() * 0.30103)
    if isinstance(v, tuple):
        return sum(_id_length(x) for x in v)
    return len(str(v)) if isinstance(v, (str, float)) else 0


def _intify_ids(ids: list) -> list:
    if ids and all(isinstance(i, str) and re.fullmatch(r"[+-]?[0-9]+", i) for i in ids):
        as_int = [int(i) for i in ids]
        if len(set(as_int)) == len(as_int):
            return as_int
    return ids


def graph_from_networkx(G: nx.Graph, *, source: str | None, fmt: str, limits: Limits,
                        warnings: list[str] | None = None) -> Graph:
    """Check a freshly parsed networkx graph and convert it (see the module docstring).

    Args:
        G: any networkx graph class (multigraphs are merged).
        source: the file name, for messages and ``meta["source"]``.
        fmt: the format name, stored in ``meta["format"]``.
        limits: size limits to enforce.
        warnings: sentences the parser already produced.

    Returns:
        The graph; ``meta`` holds ``source``, ``format`` and ``warnings`` (and ``classes`` when
        text labels were numbered).

    Raises:
        InputFormatError: empty graph, too large, or attributes that break the rules above.
    """
    warn = list(warnings or [])
    n = G.number_of_nodes()
    if n == 0:
        raise InputFormatError(f"expected at least one node, found an empty {fmt} graph; check "
                               "the file holds the graph you meant", path=source)
    check_size("max_nodes", n, limits, source)
    check_size("max_edges", G.number_of_edges(), limits, source)
    raw_ids = list(G.nodes)
    for v in raw_ids:
        if isinstance(v, (dict, list, set)) or v is None:
            raise InputFormatError(f"expected node ids that are strings or numbers, found "
                                   f"{shown(v)}; give every node a plain id", path=source)
        if _id_length(v) > limits.max_id_length:
            check_size("max_id_length", _id_length(v), limits, source,
                       context=f"in the node id {shown(v)}")
    ids = _intify_ids(raw_ids)
    index = {nid: i for i, nid in enumerate(raw_ids)}
    owners = _Names(lambda i: f"node {ids[i]!r}")
    nd = [G.nodes[v] for v in raw_ids]

    edges, seen, merged = [], set(), 0
    for u, v, d in G.edges(data=True):
        key = (index[u], index[v]) if G.is_directed() else tuple(sorted((index[u], index[v])))
        if key in seen:
            merged += 1
            continue
        seen.add(key)
        edges.append((index[u], index[v], d))
    if merged:
        warn.append(merged_warning(merged, fmt, G.is_directed()))
    loops = [ids[u] for u, v, _ in edges if u == v]
    if loops:
        warn.append(f"{len(loops)} self-loop(s) (for example at node {loops[0]!r}) were kept; "
                    "layers that add self-loops themselves (GCN) will count these twice.")
    eowners = _Names(lambda e: f"edge ({ids[edges[e][0]]!r}, {ids[edges[e][1]]!r})")
    ed = [d for _, _, d in edges]

    fields: dict[str, Any] = {}
    meta: dict[str, Any] = {"source": source, "format": fmt}
    budget = [0, limits]
    if _present("x", owners, nd, source, "nodes"):
        fields["x"] = _matrix("x", owners, [d["x"] for d in nd], source, "nodes", budget)
    if _present("y", owners, nd, source, "nodes"):
        fields["y"], classes = _labels_y(owners, [d["y"] for d in nd], source, warn)
        if classes:
            meta["classes"] = classes
    if any("pos" in d for d in nd):
        if all("pos" in d for d in nd):
            pos = _matrix("pos", owners, [d["pos"] for d in nd], source, "nodes", budget)
            if pos.shape[1] != 2:
                raise InputFormatError(f"expected 'pos' to hold 2 numbers (x, y), found "
                                       f"{pos.shape[1]}; write positions as [x, y]", path=source)
            fields["pos"] = pos
        else:
            warn.append("Only some nodes have 'pos', so the file positions were ignored and a "
                        "layout is computed instead.")
    for key, field in (("label", "labels"), ("role", "roles")):
        if any(key in d for d in nd):
            fields[field] = tuple(str(d.get(key, ids[i])) for i, d in enumerate(nd))
    if _present("edge_attr", eowners, ed, source, "edges"):
        fields["edge_attr"] = _matrix("edge_attr", eowners, [d["edge_attr"] for d in ed],
                                      source, "edges", budget)
    if any("weight" in d for d in ed):
        w = _matrix("weight", eowners, [d.get("weight", 1.0) for d in ed], source, "edges", budget)
        if w.shape[1] != 1:
            raise InputFormatError(f"expected 'weight' to be one number per edge, found "
                                   f"{w.shape[1]}; use 'edge_attr' for feature vectors",
                                   path=source)
        fields["edge_weight"] = w[:, 0]
    ignored_n = sorted({k for d in nd for k in d} - _NODE_KEYS)
    ignored_e = sorted({k for d in ed for k in d} - _EDGE_KEYS - {"edge_attr", "weight"})
    if ignored_n or ignored_e:
        parts = ([f"node attributes {ignored_n}"] if ignored_n else []) + (
            [f"edge attributes {ignored_e}"] if ignored_e else [])
        warn.append(f"Ignored {' and '.join(parts)}; the explorer reads x, y, pos, label and role "
                    "on nodes and edge_attr and weight on edges.")
    meta["warnings"] = warn
    name = G.graph.get("name", "") if isinstance(G.graph, dict) else ""
    name = (str(name) if isinstance(name, (str, int, float)) else "")[:200] or (source or "")
    return Graph.from_edges(n, [(u, v) for u, v, _ in edges], directed=G.is_directed(),
                            node_ids=tuple(ids), name=name, meta=meta, **fields)
