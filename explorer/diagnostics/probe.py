"""Why over-smoothing matters: how well classes can still be read from each layer's features.

:func:`accuracy_vs_depth` runs a depth sweep (random, seeded weights) on a graph with classes
(by default a contextual SBM) and fits, at every layer, a *linear probe*: ridge regression of
one-hot classes on the features (plus a bias) on a seeded training split, scored by accuracy on
the other nodes. A probe is cheap and says how much class information is left in the features;
it is not the accuracy of a trained deep GNN (training deep stacks is another matter).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from explorer.errors import ModelError
from explorer.graph import Graph
from explorer.diagnostics.sweep import depth_sweep
from explorer.diagnostics.synthetic import csbm

__all__ = ["accuracy_vs_depth", "linear_probe_accuracy", "probe_split", "layer_accuracies"]


def linear_probe_accuracy(x: np.ndarray, y: np.ndarray, train: np.ndarray, ridge: float = 1e-3) -> float:
    """Test accuracy of a ridge-regression classifier (one-hot targets, bias column).

    Args:
        x: ``[N, F]`` features (standardised here per column on the training rows).
        y: ``[N]`` int classes.
        train: ``[N]`` bool, the training rows; the others are scored.
        ridge: L2 penalty (relative to the number of training rows).

    Returns:
        The fraction of non-training rows classified correctly (0.0 with none; NaN-free:
        non-finite features score the majority class).

    Shapes:
        x: [N, F]; y, train: [N].
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y).astype(np.int64)
    test = ~train
    if not test.any():
        return 0.0
    classes = np.unique(y[train])
    if not np.isfinite(x).all() or classes.size < 2:
        majority = np.bincount(y[train]).argmax() if train.any() else 0
        return float(np.mean(y[test] == majority))
    mu, sd = x[train].mean(0), x[train].std(0)
    z = (x - mu) / np.where(sd > 0, sd, 1.0)
    z = np.hstack([z, np.ones((len(z), 1))])
    t = (y[train][:, None] == classes[None, :]).astype(np.float64)
    a = z[train]
    w = np.linalg.solve(a.T @ a + ridge * len(a) * np.eye(a.shape[1]), a.T @ t)
    pred = classes[np.argmax(z[test] @ w, axis=1)]
    return float(np.mean(pred == y[test]))


def probe_split(n_nodes: int, seed: int, train_fraction: float = 0.5) -> np.ndarray:
    """The probe's seeded training rows: ``[N]`` bool (the other rows are scored)."""
    if not 0.0 < train_fraction < 1.0:
        raise ModelError(f"train_fraction must be in (0, 1) (got {train_fraction})")
    return np.random.default_rng(seed + 2).random(n_nodes) < train_fraction


def layer_accuracies(features: Any, y: np.ndarray, seed: int, train_fraction: float = 0.5,
                     ridge: float = 1e-3) -> list[float]:
    """The linear-probe accuracy of every layer's features (a sweep's ``features``), one split."""
    train = probe_split(len(y), seed, train_fraction)
    return [linear_probe_accuracy(f, y, train, ridge) for f in features]


def accuracy_vs_depth(graph: Graph | None = None, *, layer: str = "gcn", depth: int = 32,
                      hidden: int = 32, remedy: str = "none", device: str = "auto", seed: int = 0,
                      train_fraction: float = 0.5, ridge: float = 1e-3,
                      **csbm_options: Any) -> list[dict[str, Any]]:
    """Linear-probe accuracy and feature metrics at every layer 0..depth.

    Args:
        graph: a graph with classes ``y`` (default: ``csbm(**csbm_options, seed=seed)``).
        layer, depth, hidden, remedy, device, seed: as :func:`depth_sweep`.
        train_fraction: share of nodes the probe trains on (seeded split).
        ridge: the probe's L2 penalty.
        **csbm_options: passed to :func:`csbm` when ``graph`` is None (n, classes, p_in, ...).

    Returns:
        ``[{"layer": k, "accuracy": float, "dirichlet_energy": ..., "mad": ..., ...}, ...]``.

    Raises:
        ModelError: a graph without classes, or a train fraction outside (0, 1).
    """
    if graph is None:
        graph = csbm(seed=seed, **csbm_options)
    if graph.y is None:
        raise ModelError("accuracy_vs_depth needs node classes y; use csbm(...) or a graph with labels")
    if not 0.0 < train_fraction < 1.0:
        raise ModelError(f"train_fraction must be in (0, 1) (got {train_fraction})")
    res = depth_sweep(graph, layer=layer, depth=depth, hidden=hidden, remedy=remedy, device=device,
                      seed=seed, keep_features=True)
    acc = layer_accuracies(res.features, graph.y, seed, train_fraction, ridge)
    return [{**d, "accuracy": a} for d, a in zip(res.layers, acc)]
