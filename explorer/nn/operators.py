"""The reference-operator view: one matrix R per graph so that a layer reads ``X' = R X Theta``.

Row i of R lists what node i takes from each node j, so ``(R X)_i = sum_j r_ij x_j``: R is
indexed [receiver, sender], i.e. ``R[i, j]`` is the weight of edge ``j -> i`` (for an
undirected graph R is symmetric). A GCN layer is exactly ``R X Theta + b`` with ``R`` =
``sym_norm``, and a mean-aggregating SAGE neighbour branch uses ``random_walk``.

Every operator here is a *reference operator* in Grattarola's sense: it is non-zero only where
A is, plus possibly the diagonal (:func:`sparsity_check` verifies it). That is why the product
``R X`` is message passing: :func:`message_form` computes the same ``R X Theta`` edge by edge
(message ``r_e (Theta^T x_j)`` on every edge ``j -> i``, plus one self term per node, summed at
the receiver) from degrees counted on the edge list, never reading R.

Example:
    >>> g = Graph.from_edges(3, [(0, 1), (0, 2)])
    >>> R = reference_operator(g, "adjacency")
    >>> operator_formula(R, 0)
    "x'_0 = 1·x_1 + 1·x_2"
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from explorer.seeding import seeded
from explorer.errors import ModelError, TooLargeError
from explorer.graph import Graph

__all__ = ["reference_operator", "operator_terms", "operator_formula", "sparsity_check", "message_form",
           "operator_layer",
           "OPERATORS", "OPERATOR_LATEX", "OPERATOR_NAMES", "DENSE_LIMIT"]

OPERATORS = ("adjacency", "adjacency_self_loops", "sym_norm", "random_walk", "laplacian",
             "normalized_laplacian")
DENSE_LIMIT = 5000  #: R is a dense [N, N] array; refused above this many nodes
#: a short human name per operator
OPERATOR_NAMES = {"adjacency": "adjacency A", "adjacency_self_loops": "A + I (self-loops)",
                  "random_walk": "random walk D⁻¹A", "sym_norm": "GCN: D̂⁻¹ᐟ² (A + I) D̂⁻¹ᐟ²",
                  "laplacian": "Laplacian L = D − A",
                  "normalized_laplacian": "normalised Laplacian I − D⁻¹ᐟ² A D⁻¹ᐟ²"}
#: each operator as a LaTeX formula (D = in-degree of A, D-hat = in-degree of A + I)
OPERATOR_LATEX = {"adjacency": r"R = A", "adjacency_self_loops": r"R = A + I",
                  "random_walk": r"R = D^{-1} A",
                  "sym_norm": r"R = \hat D^{-1/2} (A + I) \hat D^{-1/2}",
                  "laplacian": r"R = L = D - A",
                  "normalized_laplacian": r"R = I - D^{-1/2} A D^{-1/2}"}


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


def sparsity_check(graph: Graph, R: np.ndarray, tol: float = 0.0) -> dict:
    """Does ``R`` have the sparsity pattern of A, up to its diagonal?

    A reference operator may be non-zero at ``(i, j)`` only when an edge ``j -> i`` exists, or
    when ``i == j``. The adjacency pattern is read from the edge list (not from a matrix).

    Returns:
        ``{"ok", "outside", "missing", "diagonal", "edges"}``: ``ok`` is True when no entry is
        non-zero off the pattern; ``outside`` counts such entries, ``missing`` counts edges
        ``i != j`` whose entry is zero (a weight that cancels), ``diagonal`` counts non-zero
        diagonal entries, ``edges`` counts the distinct off-diagonal pattern cells.

    Example:
        >>> g = Graph.from_edges(3, [(0, 1), (1, 2)])
        >>> sparsity_check(g, reference_operator(g, "laplacian"))["ok"]
        True
    """
    R = np.asarray(R, dtype=float)
    n = graph.n_nodes
    if R.shape != (n, n):
        raise ModelError(f"expected R of shape [{n}, {n}] for this graph, found {list(R.shape)}")
    pattern = np.zeros((n, n), dtype=bool)
    pattern[graph.receivers, graph.senders] = True
    off = ~np.eye(n, dtype=bool)
    nz = np.abs(R) > tol
    return {"ok": bool(not (nz & ~pattern & off).any()), "outside": int((nz & ~pattern & off).sum()),
            "missing": int((~nz & pattern & off).sum()), "diagonal": int(np.diag(nz).sum()),
            "edges": int((pattern & off).sum())}


def message_form(graph: Graph, kind: str, H: np.ndarray) -> dict:
    """``R H`` computed as messages on the edge list (a second path to :func:`reference_operator`).

    Each edge ``e = j -> i`` sends ``coef[e] * H[j]``, each node adds ``self_coef[i] * H[i]``
    for itself, and the receiver sums: ``aggregates[i] = self_coef[i] H[i] + sum_e coef[e] H[j]``.
    Degrees are counted on the edges (``np.bincount``). Pass ``H = X Theta`` to get a layer.

    Returns:
        ``{"coef" [E], "self_coef" [N], "messages" [E, F], "aggregates" [N, F]}``.

    Raises:
        ModelError: unknown kind, or H without one row per node.
    """
    if kind not in OPERATORS:
        raise ModelError(f"expected an operator in {OPERATORS}, found {kind!r}")
    H = np.asarray(H, dtype=np.float64)
    H = H.reshape(-1, 1) if H.ndim == 1 else H
    n, s, r = graph.n_nodes, graph.senders, graph.receivers
    if H.shape[0] != n:
        raise ModelError(f"expected H with one row per node ({n}), found {H.shape[0]} rows")
    w = np.ones(graph.n_edges) if graph.edge_weight is None else graph.edge_weight.astype(np.float64)
    loop = s == r
    deg = np.bincount(r, weights=w, minlength=n)
    zero = np.zeros(n)
    if kind == "adjacency":
        coef, self_coef = w, zero
    elif kind in ("adjacency_self_loops", "sym_norm"):
        fill = np.ones(n)
        if graph.edge_weight is not None:  # PyG: an existing loop keeps its weight (the last one)
            for e in np.flatnonzero(loop):
                fill[s[e]] = w[e]
        coef = np.where(loop, 0.0, w)  # existing loops are replaced by the one self term
        self_coef = fill
        if kind == "sym_norm":
            dh = _inv_sqrt(np.bincount(r, weights=coef, minlength=n) + fill)
            coef, self_coef = coef * dh[r] * dh[s], fill * dh ** 2
    elif kind == "random_walk":
        inv = np.where(deg > 0, 1.0 / np.where(deg > 0, deg, 1.0), 0.0)
        coef, self_coef = w * inv[r], zero
    else:  # laplacian and its normalised form: self term D, edge terms -w
        coef, self_coef = -w, deg.copy()
        if kind == "normalized_laplacian":
            dis = _inv_sqrt(deg)
            coef, self_coef = coef * dis[r] * dis[s], deg * dis ** 2
    messages = coef[:, None] * H[s]
    agg = self_coef[:, None] * H
    np.add.at(agg, r, messages)
    return {"coef": coef, "self_coef": self_coef, "messages": messages, "aggregates": agg}


def operator_layer(graph: Graph, kind: str = "sym_norm", *, hidden: int = 3, seed: int = 0,
                   features: str = "auto") -> dict:
    """One linear layer ``X' = R X Theta`` with the chosen operator, in matrix and message form.

    Theta (and the bias b, returned but not added) are the weights of the 1-layer GCN that
    :func:`explorer.nn.run_stack` builds with the same ``seed``, so with ``kind="sym_norm"``
    ``Xp + bias`` is that GCN layer's output.

    Returns:
        ``{"R", "X", "Theta", "bias", "Xp", "messages", "notice"}``: ``Xp = R @ X @ Theta``
        (dense), ``messages`` the :func:`message_form` of ``X @ Theta``, ``notice`` the
        features notice.

    Shapes:
        R ``[N, N]``, X ``[N, F]``, Theta ``[F, H]``, bias ``[H]``, Xp ``[N, H]``.
    """
    from explorer.nn.features import check_features, default_features
    from explorer.nn.run import build_model

    x, notice = default_features(graph, features, seed)
    x = check_features(x, graph)
    with seeded(seed):  # the seed's weights even while other threads build models
        model = build_model("gcn", x.shape[1], layers=1, hidden=hidden)
    sd = {k: v.detach().double().numpy() for k, v in model.state_dict().items()}
    theta = sd["convs.0.lin.weight"].T
    R = reference_operator(graph, kind)
    return {"R": R, "X": x, "Theta": theta, "bias": sd.get("convs.0.bias", np.zeros(theta.shape[1])),
            "Xp": R @ x @ theta, "messages": message_form(graph, kind, x @ theta), "notice": notice}
