"""A depth sweep as a :class:`~explorer.trace.Trace`, and the per-layer diagnostics of any recorded run.

Kind ``"oversmooth"``; one step per layer 0..L. Each step's ``states`` are that layer's node
features, or their first two principal components when the graph is big (more than
:data:`STATE_LIMIT` numbers per layer), so a view can colour the graph "by the features at a
chosen depth". ``extras`` holds the layer's metrics (and ``"pca": True`` when projected). No
messages are recorded (``edges`` is empty): the GNN pages show the messages of single layers.

The other way round, :func:`trace_layers` reads the node states a recorded neural run passed
through (its input features, then each layer's output, exactly as the engine recorded them) and
:func:`trace_metrics` measures them with :func:`~explorer.diagnostics.metrics.all_metrics`, so the
over-smoothing charts beside an animated GNN show the numbers of the run being played.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from explorer.errors import ModelError
from explorer.graph import Graph
from explorer.trace import Step, Trace
from explorer.diagnostics.sweep import SweepResult

__all__ = ["sweep_to_trace", "pca2", "STATE_LIMIT", "TraceLayers", "trace_layers", "trace_metrics"]

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


@dataclass(frozen=True)
class TraceLayers:
    """The node states a recorded run passed through, one entry per layer.

    Attributes:
        layers: ``[L + 1]`` the layer number of each entry (0 = the input features).
        steps: the trace step that shows each entry, or ``None`` where no step does (a neural
            run's input features: its first step is the output of layer 1).
        features: ``[N, F_k]`` float64 node states per entry; ``None`` for a layer that
            overflowed (an over-smoothing trace records no states then).
    """

    layers: list[int]
    steps: list[int | None]
    features: list[np.ndarray | None]

    def step_of(self, layer: int) -> int | None:
        """The step showing ``layer`` (None: no step shows it, or no such layer)."""
        return self.steps[self.layers.index(layer)] if layer in self.layers else None

    def layer_of(self, step: int) -> int | None:
        """The layer shown at ``step`` (None for a step without node states, e.g. a readout)."""
        return self.layers[self.steps.index(step)] if step in self.steps else None


def trace_layers(trace: Trace) -> TraceLayers:
    """The per-layer node states of a recorded run, as the engine recorded them.

    Args:
        trace: an ``"oversmooth"`` trace (step k is layer k; its states must not be the 2-D
            projection of a big graph) or a neural stack's trace (``gcn``, ``sage``, ``gat``,
            ``gin``, ``mpnn``, ``gn``): layer 0 is ``trace.graph.x``, the features the run used,
            then step k is layer k + 1; steps without node states (a readout) are left out.

    Returns:
        A :class:`TraceLayers`.

    Raises:
        ModelError: an over-smoothing trace whose states were projected, a neural trace without
            input features, or states that are not ``[N, F]``.

    Shapes:
        features[k]: [N, F_k].
    """
    n = trace.graph.n_nodes
    layers: list[int] = []
    steps: list[int | None] = []
    feats: list[np.ndarray | None] = []
    if trace.kind == "oversmooth":
        if any(s.extras.get("pca") for s in trace.steps):
            raise ModelError("this over-smoothing trace keeps only 2 principal components per layer "
                             "(a big graph); use the sweep's own metrics (SweepResult.layers)")
        for k, s in enumerate(trace.steps):
            layers.append(int(s.extras.get("layer", k)))
            steps.append(k)
            feats.append(None if s.states is None else np.asarray(s.states, dtype=np.float64))
    else:
        if trace.graph.x is None:
            raise ModelError(f"a {trace.kind!r} trace whose graph has no input features x; record the "
                             "run with explorer.nn.run_stack, which stores the features it used")
        layers.append(0), steps.append(None), feats.append(np.asarray(trace.graph.x, dtype=np.float64))
        for k, s in enumerate(trace.steps):
            if s.states is None:
                continue
            layers.append(len(layers)), steps.append(k)
            feats.append(np.asarray(s.states, dtype=np.float64))
    for k, f in zip(layers, feats):
        if f is not None and (f.ndim != 2 or f.shape[0] != n):
            raise ModelError(f"layer {k}'s states have shape {list(f.shape)}; expected [{n}, F] "
                             "(one row per node)")
    return TraceLayers(layers, steps, feats)


def trace_metrics(trace: Trace | TraceLayers, graph: Any = None, *, near: int = 3,
                  far: int = 8, seed: int = 0, adapt_hops: bool = False) -> list[dict[str, Any]]:
    """:func:`~explorer.diagnostics.metrics.all_metrics` of every layer a recorded run shows.

    Args:
        trace: the run (or its :func:`trace_layers`, then ``graph`` is required).
        graph: the graph the metrics see (default ``trace.graph``), or a prepared
            :class:`~explorer.diagnostics.context.MetricContext` (which keeps its own
            thresholds: ``ctx.hop_thresholds()`` says which were used).
        near, far, seed, adapt_hops: MADGap's hop thresholds (scaled to the graph's diameter
            when ``adapt_hops`` and no pair is ``far`` hops apart) and the pair sample's seed, as
            in a sweep.

    Returns:
        ``[{"layer": k, "step": step or None, <METRIC_KEYS>, "survey_measure", ...}, ...]`` in
        layer order; an overflowed layer has ``"overflow": True`` and ``None`` metrics.

    Raises:
        ModelError: as :func:`trace_layers`.
    """
    from explorer.diagnostics.context import MetricContext
    from explorer.diagnostics.metrics import METRIC_KEYS, all_metrics

    tl = trace if isinstance(trace, TraceLayers) else trace_layers(trace)
    g = graph if graph is not None else trace.graph  # type: ignore[union-attr]
    ctx = MetricContext.build(g, g.n_nodes, seed=seed, near=near, far=far, adapt=adapt_hops)
    rows = []
    for k, step, f in zip(tl.layers, tl.steps, tl.features):
        if f is None:
            m: dict[str, Any] = {key: None for key in METRIC_KEYS}
            m.update(survey_measure=None, pairs_sampled=ctx.pairs_sampled, overflow=True)
        else:
            m = all_metrics(f, ctx)
        rows.append({"layer": k, "step": step, **m})
    return rows
