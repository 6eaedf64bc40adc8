"""The reference-operator view: one matrix R per graph so that a layer reads ``X' = R X Theta``.

Row i of R lists what node i takes from each node j, so ``(R X)_i = sum_j r_ij x_j``: R is
indexed [receiver, sender], i.e. ``R[i, j]`` is the weight of edge ``j -> i`` (for an
undirected graph R is symmetric). A GCN layer is exactly ``R X Theta + b`` with ``R`` =
``sym_norm``, and a mean-aggregating SAGE neighbour branch uses ``random_walk``.

Example:
    >>> g = Graph.from_edges(3, [(0, 1), (0, 2)])
    >>> R = reference_operator(g, "adjacency")
    >>> operator_formula(R, 0)
    "x'_0 = 1·x_1 + 1·x_2"
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from explorer.errors import ModelError, TooLargeError
from explorer.graph import Graph

__all__ = ["reference_operator", "operator_terms", "operator_formula", "OPERATORS", "DENSE_LIMIT"]

OPERATORS = ("adjacency", "adjacency_self_loops", "sym_norm", "random_walk", "laplacian",
             "normalized_laplacian")
DENSE_LIMIT = 5000  #: R is a dense [N, N] array; refused above this many nodes


def _inv_sqrt(d: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        out = d ** -0.5
    out[~np.isfinite(out)] = 0.0
    return out


def reference_operator(graph: Graph, kind: str = "sym_norm") -> np.ndarray:
    """The dense reference operator R of ``graph``.

    Args:
        graph: the graph; ``edge_weight`` is used when present (duplicate edges add up).
        kind: ``"adjacency"`` A (existing loops kept); ``"adjacency_self_loops"`` A-hat (PyG's
            rule: every node gets one loop, an existing loop keeps its weight, else 1);
            ``"sym_norm"`` GCN's ``D^-1/2 A-hat D^-1/2`` with D the weighted in-degree of A-hat
            (PyG's convention, also for directed graphs); ``"random_walk"`` ``D^-1 A`` (mean over
            in-neighbours, rows of isolated nodes 0); ``"laplacian"`` ``D - A``;
            ``"normalized_laplacian"`` ``D^-1/2 (D - A) D^-1/2`` (networkx's convention: 0 rows
            for isolated nodes). D = in-degree (row sums of A) for the last three.

    Returns:
        ``[N, N]`` float64, ``R[i, j]`` = weight of the message ``j -> i``.

    Raises:
        ModelError: unknown kind. TooLargeError: more than :data:`DENSE_LIMIT` nodes.
    """
    if kind not in OPERATORS:
        raise ModelError(f"expected an operator in {OPERATORS}, found {kind!r}")
    n = graph.n_nodes
    if n > DENSE_LIMIT:
        raise TooLargeError(f"a dense reference operator for {n} nodes passes the limit of {DENSE_LIMIT}; "
                            "look at a subgraph instead", size=n, limit=DENSE_LIMIT)
    w = np.ones(graph.n_edges) if graph.edge_weight is None else graph.edge_weight.astype(np.float64)
    A = np.zeros((n, n))
    np.add.at(A, (graph.receivers, graph.senders), w)
    if kind == "adjacency":
        return A
    if kind in ("adjacency_self_loops", "sym_norm"):
        loop = graph.senders == graph.receivers
        diag = np.ones(n)
        if graph.edge_weight is not None:
            diag[graph.senders[loop]] = w[loop]
        A_hat = A.copy()
        np.fill_diagonal(A_hat, diag)
        if kind == "adjacency_self_loops":
            return A_hat
        dis = _inv_sqrt(A_hat.sum(1))
        return dis[:, None] * A_hat * dis[None, :]
    deg = A.sum(1)
    if kind == "random_walk":
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(deg[:, None] > 0, A / deg[:, None], 0.0)
    L = np.diag(deg) - A
    if kind == "laplacian":
        return L
    dis = _inv_sqrt(deg)
    return dis[:, None] * L * dis[None, :]


def operator_terms(R: np.ndarray, node: int, labels: Sequence[str] | None = None,
                   tol: float = 0.0) -> list[tuple[int, float]]:
    """The non-zero terms of row ``node``: ``[(j, r_ij), ...]`` in increasing j.

    ``labels`` is accepted so that callers can pass the same arguments as to
    :func:`operator_formula`; the returned pairs use node indices.
    """
    row = np.asarray(R)[int(node)]
    js = np.flatnonzero(np.abs(row) > tol)
    return [(int(j), float(row[j])) for j in js]


def operator_formula(R: np.ndarray, node: int, labels: Sequence[str] | None = None,
                     symbol: str = "x", digits: int = 3) -> str:
    """Row ``node`` as text, e.g. ``"x'_1 = 0.333·x_1 + 0.408·x_2"`` (labels replace indices)."""
    name = (lambda j: str(labels[j])) if labels is not None else str
    terms = operator_terms(R, node)
    body = " + ".join(f"{r:.{digits}g}·{symbol}_{name(j)}" for j, r in terms).replace("+ -", "- ")
    return f"{symbol}'_{name(int(node))} = {body or '0'}"
