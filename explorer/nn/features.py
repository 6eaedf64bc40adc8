"""Node features for graphs that have none, and the check that refuses bad ones.

A GNN needs a feature vector per node. When the graph carries ``x`` it is used as is; when it
does not, :func:`default_features` builds one of the documented defaults and returns a notice
sentence that the UI and CLI show to the user, so nobody mistakes made-up inputs for data.
"""

from __future__ import annotations

import numpy as np

from explorer.errors import ModelError, TooLargeError
from explorer.graph import Graph

__all__ = ["default_features", "check_features", "FEATURE_KINDS", "IDENTITY_LIMIT", "DEGREE_CAP"]

FEATURE_KINDS = ("auto", "x", "constant", "degree", "identity", "random")
IDENTITY_LIMIT = 2000   #: identity features are refused above this many nodes ([N, N] floats)
DEGREE_CAP = 64         #: one-hot degree: degrees >= DEGREE_CAP - 1 share the last column
RANDOM_DIM = 16         #: width of the seeded random features


def check_features(x: np.ndarray, graph: Graph) -> np.ndarray:
    """Return ``x`` as float64 ``[N, F]`` or raise :class:`ModelError` naming the bad node.

    Raises:
        ModelError: wrong number of rows, or a NaN/inf entry (the message names the node).
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x.reshape(-1, 1)
    if x.ndim != 2 or x.shape[0] != graph.n_nodes:
        raise ModelError(f"expected node features of shape [{graph.n_nodes}, F], found {list(x.shape)}")
    bad = ~np.isfinite(x)
    if bad.any():
        i, f = np.argwhere(bad)[0]
        raise ModelError(f"node {graph.display_labels[i]!r} (index {i}) has a non-finite feature "
                         f"x[{i}, {f}] = {x[i, f]}; fix the file or choose features='degree'")
    return x


def default_features(graph: Graph, kind: str = "auto", seed: int = 0) -> tuple[np.ndarray, str]:
    """Pick the node features a GNN run uses.

    Args:
        graph: the graph.
        kind: ``"auto"`` (``graph.x`` when present, else one-hot degree), ``"x"`` (``graph.x``,
            required), ``"constant"`` (a single 1 per node: only structure can tell nodes
            apart), ``"degree"`` (one-hot in-degree, capped at :data:`DEGREE_CAP` columns),
            ``"identity"`` (one-hot node index, up to :data:`IDENTITY_LIMIT` nodes; not
            transferable between graphs) or ``"random"`` (standard normal ``[N, 16]`` from
            ``seed``).
        seed: seed for ``"random"``.

    Returns:
        ``(x, notice)``: ``x`` float64 ``[N, F]``; ``notice`` is ``""`` when the graph's own
        features are used, otherwise one sentence saying what was made up and why.

    Raises:
        ModelError: an unknown kind, ``"x"`` on a graph without features, NaN/inf features.
        TooLargeError: ``"identity"`` on more than :data:`IDENTITY_LIMIT` nodes.

    Shapes:
        x ``[N, F]``: F = graph's F, 1, min(max degree + 1, 64), N or 16.
    """
    n = graph.n_nodes
    if kind not in FEATURE_KINDS:
        raise ModelError(f"expected features in {FEATURE_KINDS}, found {kind!r}")
    if kind in ("auto", "x") and graph.x is not None:
        return check_features(graph.x, graph), ""
    if kind == "x":
        raise ModelError("features='x' asks for the graph's node attribute x, but this graph has "
                         "none; choose constant, degree, identity or random")
    if kind == "auto":
        x, _ = default_features(graph, "degree", seed)
        return x, (f"This graph has no node features x, so each node gets a one-hot encoding of "
                   f"its in-degree ({x.shape[1]} columns); pick another default with features=...")
    if kind == "constant":
        return np.ones((n, 1)), "Using a constant feature 1 for every node (features='constant')."
    if kind == "degree":
        deg = np.minimum(graph.in_degree(), DEGREE_CAP - 1)
        width = int(deg.max()) + 1 if n else 1
        x = np.zeros((n, width))
        x[np.arange(n), deg] = 1.0
        return x, f"Using one-hot in-degree features, {width} columns (features='degree')."
    if kind == "identity":
        if n > IDENTITY_LIMIT:
            raise TooLargeError(f"identity features need an [N, N] matrix and N={n} passes the limit "
                                f"{IDENTITY_LIMIT}; use features='degree' or 'random'",
                                size=n, limit=IDENTITY_LIMIT)
        return np.eye(n), "Using one-hot node identities, N columns (features='identity')."
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, RANDOM_DIM)),
            f"Using random N(0, 1) features, {RANDOM_DIM} columns, seed {seed} (features='random').")
