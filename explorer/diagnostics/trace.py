"""A depth sweep as a :class:`~explorer.trace.Trace`, so the views can animate it layer by layer.

Kind ``"oversmooth"``; one step per layer 0..L. Each step's ``states`` are that layer's node
features, or their first two principal components when the graph is big (more than
:data:`STATE_LIMIT` numbers per layer), so a view can colour the graph "by the features at a
chosen depth". ``extras`` holds the layer's metrics (and ``"pca": True`` when projected). No
messages are recorded (``edges`` is empty): the GNN pages show the messages of single layers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from explorer.errors import ModelError
from explorer.graph import Graph
from explorer.trace import Step, Trace
from explorer.diagnostics.sweep import SweepResult

__all__ = ["sweep_to_trace", "pca2", "STATE_LIMIT"]

#: per-layer feature entries (N x width) above which states are projected to 2 dimensions
STATE_LIMIT = 100_000


def pca2(x: np.ndarray) -> np.ndarray:
    """The first two principal-component scores of the rows of ``x`` (float64, ``[N, 2]``).

    Signs are fixed so that each component's largest loading is positive; missing components
    (fewer than two columns or rank < 2) are zero.

    Shapes:
        x: [N, F] -> [N, 2].
    """
    x = np.asarray(x, dtype=np.float64)
    xc = x - x.mean(axis=0, keepdims=True) if x.size else x
    out = np.zeros((x.shape[0], 2))
    if x.shape[0] == 0 or x.shape[1] == 0:
        return out
    w, v = np.linalg.eigh(xc.T @ xc)
    v = v[:, ::-1][:, :2]
    v = v * np.where(v[np.abs(v).argmax(axis=0), range(v.shape[1])] < 0, -1.0, 1.0)
    scores = xc @ v
    out[:, :scores.shape[1]] = scores
    return out


def _note(d: dict[str, Any]) -> str:
    k = d["layer"]
    where = "input features" if k == 0 else f"after layer {k}"
    if d.get("overflow"):
        return f"{where}: the features overflowed (inf or NaN), so no metric is shown."
    return (f"{where}: Dirichlet energy {d['dirichlet_energy']:.3g} (sqrt {d['survey_measure']:.3g}), "
            f"feature norm {d['feature_norm']:.3g}, MAD {d['mad']:.3g}, "
            f"effective rank {d['effective_rank']:.3g}.")


def sweep_to_trace(result: SweepResult, graph: Graph) -> Trace:
    """Turn a sweep run with ``keep_features=True`` into a Trace (kind ``"oversmooth"``).

    Args:
        result: the sweep (its ``features`` must be kept).
        graph: the graph it ran on.

    Returns:
        A Trace with ``len(result.layers)`` steps; ``result`` holds ``{"device", "layers"}``.

    Raises:
        ModelError: when the sweep did not keep its features, or they do not match the graph.

    Shapes:
        steps[k].states: [N, width_k] or [N, 2] (PCA); None for an overflowed layer.
    """
    if result.features is None:
        raise ModelError("this sweep did not keep its features; run depth_sweep(..., keep_features=True)")
    if result.features and result.features[0].shape[0] != graph.n_nodes:
        raise ModelError(f"the sweep's features have {result.features[0].shape[0]} rows but the graph "
                         f"has {graph.n_nodes} nodes; pass the graph the sweep ran on")
    steps = []
    for d, f in zip(result.layers, result.features):
        big = f.size > STATE_LIMIT
        states = None
        if not d.get("overflow") and np.isfinite(f).all():
            states = pca2(f) if big else np.asarray(f, dtype=np.float64)
        extras = {k: v for k, v in d.items()}
        extras["pca"] = bool(big)
        steps.append(Step(edges=np.zeros(0, np.int64), messages=None, aggregates=None, states=states,
                          extras=extras, note=_note(d), label=f"layer {d['layer']}"))
    params = dict(result.params)
    params.setdefault("seed", None)
    return Trace(kind="oversmooth", graph=graph, params=params, steps=tuple(steps),
                 result=result.to_json_dict())
