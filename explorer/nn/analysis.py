"""Checks a student can run on any model: permutation equivariance and invariance.

A message-passing layer never looks at node numbers, only at who sends to whom, so renumbering
the nodes must renumber the outputs the same way (equivariance), and a sum/mean/max/attention
readout must not change at all (invariance). :func:`permutation_check` verifies both on the
real model with the real weights.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from explorer.errors import ModelError
from explorer.graph import Graph
from explorer.nn.features import default_features

__all__ = ["permutation_check", "permute_graph"]


def permute_graph(graph: Graph, perm: np.ndarray) -> Graph:
    """Renumber nodes: node k of the result is node ``perm[k]`` of ``graph``; edges keep their
    order (each endpoint renamed) and every per-node field is reordered."""
    perm = np.asarray(perm, dtype=np.int64)
    n = graph.n_nodes
    if perm.shape != (n,) or not np.array_equal(np.sort(perm), np.arange(n)):
        raise ModelError(f"expected a permutation of 0..{n - 1}, found {perm.tolist()[:10]}...")
    inv = np.argsort(perm)
    pick = lambda a: None if a is None else np.asarray(a)[perm]  # noqa: E731
    tup = lambda a: None if a is None else tuple(a[i] for i in perm)  # noqa: E731
    return dataclasses.replace(graph, senders=inv[graph.senders], receivers=inv[graph.receivers],
                               x=pick(graph.x), y=pick(graph.y), pos=pick(graph.pos),
                               node_ids=tup(graph.ids), labels=tup(graph.display_labels),
                               roles=tup(graph.roles))


def permutation_check(graph: Graph, perm: np.ndarray | None = None, *, layer: str = "gcn", seed: int = 0,
                      features: str = "auto", readout: str = "sum", tol: float = 1e-5,
                      **stack_opts: Any) -> dict[str, Any]:
    """Run the same model (same seed, same weights) on ``graph`` and on a renumbered copy.

    Features are chosen once on the original graph and carried along with the nodes, so even
    ``identity`` or ``random`` features move with their node.

    Args:
        graph: the graph.
        perm: node k of the copy is node ``perm[k]``; default a random permutation from ``seed``.
        layer, seed, features, readout, **stack_opts: as :func:`explorer.nn.run_stack`
            (SAGE ``fanout`` sampling is keyed by edge id, which a renumbering keeps).
        tol: the largest error still called equal (float32 sums in another order differ ~1e-7).

    Returns:
        ``{"perm", "node_max_error", "readout_max_error", "equivariant", "invariant",
        "output", "output_permuted", "readout", "readout_permuted"}``; errors compare
        ``output_permuted[k]`` with ``output[perm[k]]``.
    """
    from explorer.nn.run import run_stack

    rng = np.random.default_rng(seed)
    perm = rng.permutation(graph.n_nodes) if perm is None else np.asarray(perm, dtype=np.int64)
    x, _ = default_features(graph, features, seed)
    g0 = dataclasses.replace(graph, x=x)
    g1 = permute_graph(g0, perm)
    opts = dict(layer=layer, seed=seed, features="x", readout=readout, record=False, **stack_opts)
    t0, t1 = run_stack(g0, **opts), run_stack(g1, **opts)
    out0, out1 = t0.result["output"], t1.result["output"]
    node_err = float(np.abs(out1 - out0[perm]).max()) if out0.size else 0.0
    r0, r1 = t0.result["readout"], t1.result["readout"]
    ro_err = float(np.abs(r1 - r0).max()) if r0 is not None else 0.0
    return {"perm": perm, "node_max_error": node_err, "readout_max_error": ro_err,
            "equivariant": node_err <= tol, "invariant": ro_err <= tol,
            "output": out0, "output_permuted": out1, "readout": r0, "readout_permuted": r1}
