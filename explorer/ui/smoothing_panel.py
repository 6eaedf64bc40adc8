"""The over-smoothing panel beside an animated graph, shared by the Over-smoothing and Neural pages.

It draws, for the layer the graph shows, a 2-D PCA scatter of the node states (on axes fixed
across layers, so the points are seen falling together) and the metrics against depth with a
cursor at that layer. It runs inside the player's panel fragment (``player.play(...,
extra=...)``), so the cursor follows every step the chart takes; a click on a layer of the
metric charts moves the graph and the panel to that layer (``player.seek``).

The numbers are the engine's: a depth sweep's own metrics on the Over-smoothing page, the
recorded Trace's states measured by :func:`explorer.diagnostics.trace.trace_metrics` on the
Neural page. Both are computed once per run (cached here), never per step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import streamlit as st

from explorer.diagnostics.pca import LayerPCA, layer_pca
from explorer.diagnostics.probe import layer_accuracies
from explorer.ui import player
from explorer.ui.cache import cached
from explorer.ui.state import View
from explorer.viz.charts import _CURSOR_LINEAR as _LINEAR, depth_cursor_figure
from explorer.viz.panels import METRIC_LABELS
from explorer.viz.pca_view import pca_scatter

__all__ = ["Depth", "from_sweeps", "from_trace", "draw", "SWEEP_METRICS", "TRACE_METRICS",
           "step_for_click"]

#: the panels of the Over-smoothing page (accuracy added on a graph with classes)
SWEEP_METRICS = ("dirichlet_energy", "feature_norm", "mad", "mad_gap", "effective_rank",
                 "numerical_rank", "mean_cosine_similarity")
#: the panels beside a neural stack (its detail panel is already long: the essentials only)
TRACE_METRICS = ("dirichlet_energy", "feature_norm", "mad_gap", "numerical_rank",
                 "mean_cosine_similarity")
#: height of one metric panel (px)
PANEL_PX = 140
PROBE_NOTE = ("Accuracy: a ridge linear probe on the layer's features (a seeded half of the nodes "
              "trains it, the rest are scored): how much class information is left, not a trained GNN.")


@dataclass
class Depth:
    """What the panel draws for one animated run.

    Attributes:
        runs: ``{name: [{"layer": k, metric: value, ...}, ...]}``, the animated run among them.
        pca: the animated run's :class:`LayerPCA`, one entry per row of its ``runs`` list.
        layers: the layer number of each of those rows; ``steps`` the trace step showing it
            (``None``: no step does, e.g. a neural run's input features).
        metrics: the panels; ``notes`` why a panel may be empty.
        labels, classes: node names and ``[N]`` classes (or None) for the scatter.
        key: the page's widget-key prefix ("smooth", "nn").
    """

    runs: dict[str, list[dict[str, Any]]]
    pca: LayerPCA
    layers: list[int]
    steps: list[int | None]
    metrics: list[str]
    notes: dict[str, str]
    labels: Sequence[str]
    classes: Any
    key: str


def _notes(params: Mapping[str, Any]) -> dict[str, str]:
    hops = params.get("mad_gap_hops") or {"far": 8}
    return {"mad_gap": f"no value: no two nodes are {hops.get('far', '?')}+ hops apart on this graph"}


@cached("runs")
def _sweep_pca(_sweep: Any, skey: str) -> LayerPCA:
    """The per-layer PCA of a sweep (``skey`` its cache key), once per run."""
    return layer_pca(_sweep.features)


@cached("runs")
def _sweep_probe(_sweep: Any, skey: str, seed: int, _y: Any) -> list[float]:
    """The linear-probe accuracy of every layer of a sweep on the classes ``_y``, once per run."""
    return layer_accuracies(_sweep.features, _y, seed)


def from_sweeps(sweeps: Mapping[str, Any], shown: str, keys: Mapping[str, str], graph: Any,
                seed: int, key: str) -> Depth:
    """The panel of the Over-smoothing page: every sweep's metrics, the ``shown`` one's PCA.

    ``keys[name]`` is each sweep's cache key; step k of the animated trace is layer k.
    """
    y = graph.y
    metrics = list(SWEEP_METRICS) + (["accuracy"] if y is not None else [])
    runs = {n: [dict(d) for d in sw.layers] for n, sw in sweeps.items()}
    if y is not None:
        for n, sw in sweeps.items():
            for d, a in zip(runs[n], _sweep_probe(sw, keys[n], seed, y)):
                d["accuracy"] = a
    pca = _sweep_pca(sweeps[shown], keys[shown])
    layers = [int(d["layer"]) for d in runs[shown]]
    return Depth(runs, pca, layers, list(range(len(layers))), metrics,
                 _notes(sweeps[shown].params), graph.display_labels, y, key)


@cached("runs")
def _trace_numbers(_trace: Any, tkey: str, seed: int) -> dict[str, Any]:
    """Metrics, PCA and probe accuracies of every layer a recorded run shows (once per run)."""
    from explorer.diagnostics.trace import trace_layers, trace_metrics

    tl = trace_layers(_trace)
    y = _trace.graph.y
    return {"rows": trace_metrics(tl, _trace.graph), "pca": layer_pca(tl.features),
            "layers": tl.layers, "steps": tl.steps,
            "accuracy": None if y is None else layer_accuracies(tl.features, y, seed)}


def from_trace(trace: Any, tkey: str, name: str, seed: int, key: str) -> Depth:
    """The panel beside a recorded neural run (``tkey`` its cache key, ``name`` its legend)."""
    d = _trace_numbers(trace, tkey, seed)
    rows = [dict(r) for r in d["rows"]]
    metrics = list(TRACE_METRICS)
    if d["accuracy"] is not None:
        metrics.append("accuracy")
        for r, a in zip(rows, d["accuracy"]):
            r["accuracy"] = a
    return Depth({name: rows}, d["pca"], d["layers"], d["steps"], metrics, _notes({}),
                 trace.graph.display_labels, trace.graph.y, key)


def step_for_click(depth: Depth, selection: Any) -> int | None:
    """The step to show for a click on the metric charts (its first point's layer), or None.

    ``selection`` is the chart's widget state (``{"selection": {"points": [{"x": layer, ...}]}}``).
    """
    points = ((selection or {}).get("selection") or {}).get("points") or []
    if not points or points[0].get("x") is None:
        return None
    layer = int(round(float(points[0]["x"])))
    return depth.steps[depth.layers.index(layer)] if layer in depth.layers else None


def _clicked(view: View, depth: Depth, chart_key: str) -> None:
    """Chart callback: the clicked layer becomes the step of the graph and the panel."""
    step = step_for_click(depth, st.session_state.get(chart_key))
    if step is not None:
        player.seek(view, step)


def draw(view: View, depth: Depth, step: int, *, heading: str = "The collapse by depth") -> None:
    """The PCA scatter and the metric charts at the layer ``step`` shows (inside the panel)."""
    layer = depth.layers[depth.steps.index(step)] if step in depth.steps else None
    row = len(depth.layers) - 1 if layer is None else depth.layers.index(layer)
    if layer is None:
        st.caption("This step has no node states (a readout); the charts stand at the last layer.")
    st.plotly_chart(pca_scatter(depth.pca, row, labels=depth.labels, classes=depth.classes),
                    key=f"{depth.key}.pca")
    st.caption("The nodes on the layer's top-2 principal axes, on one scale for every layer: "
               "smoothing shows as the points falling together (the feature norm says how much "
               "of that is the vectors shrinking).")
    st.markdown(f"**{heading}** · cursor at layer {depth.layers[row]}")
    empty = [m for m in depth.metrics
             if all(r.get(m) is None for rows in depth.runs.values() for r in rows)]
    shown = [m for m in depth.metrics if m not in empty] or depth.metrics[:1]
    fig = depth_cursor_figure(depth.runs, depth.layers[row], shown, cols=1, notes=depth.notes,
                              height=PANEL_PX * len(shown) + 40 + 30 + 30 * len(depth.runs))
    for p, m in enumerate(shown):      # a narrow column: decades only on a log axis that spans them
        v = [r[m] for rows in depth.runs.values() for r in rows if r.get(m) is not None and r[m] > 0]
        if m in _LINEAR or not v:
            continue
        decades = math.log10(max(v) / min(v))
        if decades >= 2.5:
            fig.update_yaxes(dtick=math.ceil(decades / 3), row=p + 1, col=1)
        else:                          # a short range: three round values, not plotly's minor labels
            ticks = sorted({float(f"{t:.2g}") for t in np.geomspace(min(v), max(v), 3)})
            fig.update_yaxes(tickvals=ticks, ticktext=[f"{t:g}" for t in ticks], row=p + 1, col=1)
    fig.update_yaxes(nticks=4)
    if len(depth.runs) == 1:           # one run: no legend, and no room kept for it
        fig.update_layout(showlegend=False, height=fig.layout.height - 30,
                          margin=dict(fig.layout.margin.to_plotly_json(), t=30))
    # a marker per layer to click; a clicked point keeps its look (no dimming of the others)
    fig.update_traces(mode="lines+markers", marker=dict(size=6), selected=dict(marker=dict(opacity=1)),
                      unselected=dict(marker=dict(opacity=1)))
    fig.update_layout(hovermode="closest", clickmode="event+select")
    chart_key = f"{depth.key}.metrics"
    st.plotly_chart(fig, key=chart_key, on_select=lambda: _clicked(view, depth, chart_key),
                    selection_mode="points", config={"displayModeBar": False})
    for m in empty:
        st.caption(f"**{METRIC_LABELS.get(m, m)}**: {depth.notes.get(m, 'no value at any layer')}.")
    hint = "Click a layer on a chart to show it on the graph."
    if None in depth.steps:
        hint += " Layer 0 is the input features (the first step is layer 1)."
    st.caption(hint)
    if "accuracy" in depth.metrics:
        st.caption(PROBE_NOTE)
