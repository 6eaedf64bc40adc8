"""The over-smoothing panel beside an animated graph, shared by the Over-smoothing and Neural pages.

It draws, for the layer the graph shows, a 2-D PCA scatter of the node states (on axes fixed
across layers, so the points are seen falling together) and the metrics against depth with a
cursor at that layer. It runs inside the player's panel fragment as the panel's lead
(``player.play(..., lead=...)``: first under the step line, the node's formula and messages
folded below it), so the scatter and the first metric charts stand beside the graph at
1280 x 720 and follow every step the chart takes; a click on a layer of the metric charts moves
the graph and the panel to that layer (``player.seek``). A layer no step shows (a neural run's
input features, layer 0) is shown on the scatter and the cursor while the graph stands at its
first step, with a caption that says so.

Per step only two small figures change (the scatter and the cursor charts); they are cached per
(runs, layer, lecture mode) in the cache's ``steps`` store, so a step already seen re-sends a
kept figure instead of rebuilding it.

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
from explorer.ui import components, player
from explorer.ui.cache import cached
from explorer.ui.state import View, lecture_mode
from explorer.viz.charts import _CURSOR_LINEAR as _LINEAR, depth_cursor_figure
from explorer.viz.panels import METRIC_LABELS
from explorer.viz.pca_view import pca_scatter

__all__ = ["Depth", "from_sweeps", "from_trace", "draw", "SWEEP_METRICS", "TRACE_METRICS",
           "step_for_click", "layer_for_click", "madgap_caption"]

#: the panels of the Over-smoothing page (accuracy added on a graph with classes)
SWEEP_METRICS = ("dirichlet_energy", "feature_norm", "mad", "mad_gap", "effective_rank",
                 "numerical_rank", "mean_cosine_similarity")
#: the panels beside a neural stack (its detail panel is already long: the essentials only)
TRACE_METRICS = ("dirichlet_energy", "feature_norm", "mad_gap", "numerical_rank",
                 "mean_cosine_similarity")
#: height of one metric panel (px)
PANEL_PX = 140
#: height of the PCA scatter (px): compact, so the first metric panels fit beside the graph
PCA_PX = 250
#: lecture mode: the charts' type grows by this much (px), with the rest of the page
LECTURE_FONT = 4
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
        cache_key: names the runs drawn (their cache keys, the animated one, the seed): the
            per-step figures are cached under it.
        hops: MADGap's hop thresholds (``{"near", "far", "adapted", "diameter"}``).
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
    cache_key: str = ""
    hops: Mapping[str, Any] | None = None


def _notes(hops: Mapping[str, Any] | None) -> dict[str, str]:
    hops = hops or {"far": 8}
    return {"mad_gap": f"no value: no two nodes are {hops.get('far', '?')}+ hops apart on this graph"}


def madgap_caption(hops: Mapping[str, Any] | None) -> str:
    """What MADGap's near and remote pairs are on this graph (under the charts and in the hover).

    >>> madgap_caption({"near": 2, "far": 4, "adapted": True, "diameter": 5})[:60]
    'MADGap = MAD of remote pairs (at least 4 hops apart) − MAD o'
    """
    hops = hops or {"near": 3, "far": 8}
    near, far = hops.get("near", 3), hops.get("far", 8)
    text = (f"MADGap = MAD of remote pairs (at least {far} hops apart) − MAD of near pairs "
            f"({'1' if near == 1 else f'1–{near}'} hop{'s' if near > 1 else ''}).")
    if hops.get("adapted"):
        text += (f" Chen et al. call 8+ hops remote and 1–3 near; no two nodes here are 8 hops "
                 f"apart (diameter {hops.get('diameter')}), so remote is the far half of the graph "
                 "(⌈diameter/2⌉ + 1 hops or more) and near keeps a hop between the two sets.")
    return text


def _hover_name(hops: Mapping[str, Any] | None) -> str:
    hops = hops or {"near": 3, "far": 8}
    return f"MADGap (remote ≥ {hops.get('far')} hops, near ≤ {hops.get('near')})"


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
    hops = sweeps[shown].params.get("mad_gap_hops")
    ckey = "|".join(["sweeps", *(keys[n] for n in sweeps), "shown", keys[shown], str(seed)])
    return Depth(runs, pca, layers, list(range(len(layers))), metrics, _notes(hops),
                 graph.display_labels, y, key, ckey, hops)


@cached("runs")
def _trace_numbers(_trace: Any, tkey: str, seed: int) -> dict[str, Any]:
    """Metrics, PCA and probe accuracies of every layer a recorded run shows (once per run)."""
    from explorer.diagnostics.context import MetricContext
    from explorer.diagnostics.trace import trace_layers, trace_metrics

    tl = trace_layers(_trace)
    g = _trace.graph
    y = g.y
    ctx = MetricContext.build(g, g.n_nodes, seed=0, adapt=True)   # MADGap on small graphs too
    return {"rows": trace_metrics(tl, ctx), "pca": layer_pca(tl.features),
            "layers": tl.layers, "steps": tl.steps, "hops": ctx.hop_thresholds(),
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
    return Depth({name: rows}, d["pca"], d["layers"], d["steps"], metrics, _notes(d["hops"]),
                 trace.graph.display_labels, trace.graph.y, key, f"trace|{tkey}|{seed}", d["hops"])


def layer_for_click(selection: Any) -> int | None:
    """The layer of the first point clicked on the metric charts, or None."""
    points = ((selection or {}).get("selection") or {}).get("points") or []
    if not points or points[0].get("x") is None:
        return None
    return int(round(float(points[0]["x"])))


def step_for_click(depth: Depth, selection: Any) -> int | None:
    """The step to show for a click on the metric charts (its first point's layer), or None.

    ``selection`` is the chart's widget state (``{"selection": {"points": [{"x": layer, ...}]}}``).
    """
    layer = layer_for_click(selection)
    return depth.steps[depth.layers.index(layer)] if layer in depth.layers else None


def _held_key(depth: Depth) -> str:
    return f"_mpe_layer_held.{depth.key}"


def _clicked(view: View, depth: Depth, chart_key: str) -> None:
    """Chart callback: the clicked layer becomes the step of the graph and the panel. A layer
    no step shows (the input features) is held for the scatter and the cursor while the graph
    goes to its first step (never a silent no-op)."""
    selection = st.session_state.get(chart_key)
    step = step_for_click(depth, selection)
    if step is not None:
        st.session_state.pop(_held_key(depth), None)
        player.seek(view, step)
        return
    layer = layer_for_click(selection)
    first = next((s for s in depth.steps if s is not None), None)
    if layer in depth.layers and first is not None:
        st.session_state[_held_key(depth)] = (layer, first)
        player.seek(view, first)


def _lecture_fonts(fig: Any) -> None:
    """Enlarge a panel chart's type for lecture mode (with the page's)."""
    size = (fig.layout.font.size or 12) + LECTURE_FONT
    fig.update_layout(font=dict(size=size))
    if fig.layout.title and fig.layout.title.font and fig.layout.title.font.size:
        fig.update_layout(title_font_size=fig.layout.title.font.size + LECTURE_FONT)
    fig.update_annotations(font_size=size)
    fig.update_xaxes(tickfont_size=size - 1, title_font_size=size)   # the theme sets its own
    fig.update_yaxes(tickfont_size=size - 1, title_font_size=size)
    fig.update_layout(legend_font_size=size)


def _empty(depth: Depth) -> list[str]:
    """The metrics with no value at any layer of any run (a caption says why instead of a chart)."""
    return [m for m in depth.metrics
            if all(r.get(m) is None for rows in depth.runs.values() for r in rows)]


@cached("steps")
def _pca_figure(_depth: Depth, dkey: str, row: int, lecture: bool) -> Any:
    """The scatter of layer row ``row`` (built once per run, layer and mode; read-only)."""
    fig = pca_scatter(_depth.pca, row, labels=_depth.labels, classes=_depth.classes,
                      height=PCA_PX + (20 if lecture else 0))
    fig.update_layout(margin=dict(l=45, r=10, t=30, b=35), legend=dict(y=-0.3))
    if lecture:
        _lecture_fonts(fig)
    return fig


@cached("steps")
def _cursor_base(_depth: Depth, dkey: str, lecture: bool) -> dict[str, Any]:
    """The metric charts of a run as a plain figure dict, the cursor at the first layer: built
    once per run and mode (~0.1 s of plotly calls); every layer's figure is this with its
    cursor moved (:func:`_cursor_figure`)."""
    depth, row = _depth, 0
    empty = _empty(depth)
    shown = [m for m in depth.metrics if m not in empty] or depth.metrics[:1]
    panel = PANEL_PX + (10 if lecture else 0)
    fig = depth_cursor_figure(depth.runs, depth.layers[row], shown, cols=1, notes=depth.notes,
                              height=panel * len(shown) + 40 + 30 + 30 * len(depth.runs),
                              hover_names={"mad_gap": _hover_name(depth.hops)})
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
    if max(depth.layers) - min(depth.layers) <= 8:   # a shallow run: a tick per layer, never "0.5"
        fig.update_xaxes(tick0=0, dtick=1)
    if lecture:
        _lecture_fonts(fig)
    return fig.to_dict()


@cached("steps")
def _cursor_figure(_depth: Depth, dkey: str, row: int, lecture: bool) -> Any:
    """The metric charts with the cursor at layer row ``row``: the run's base figure with its
    cursor lines and ``meta.cursor`` moved (a few ms, where building it costs ~0.1 s). Cached
    per run, layer and mode; read-only (it shares the base's traces)."""
    import plotly.graph_objects as go

    base = (_cursor_base if dkey else _cursor_base.__wrapped__)(_depth, dkey, lecture)
    x = int(_depth.layers[row])
    layout = dict(base["layout"], shapes=[dict(s, x0=x, x1=x) for s in base["layout"]["shapes"]],
                  meta=dict(base["layout"].get("meta") or {}, cursor=x))
    return go.Figure({"data": base["data"], "layout": layout}, _validate=False)


def draw(view: View, depth: Depth, step: int, *, heading: str = "The collapse by depth") -> None:
    """The PCA scatter and the metric charts at the layer ``step`` shows (inside the panel):
    a short heading, the scatter, the charts, then the captions (so the charts come first)."""
    layer = depth.layers[depth.steps.index(step)] if step in depth.steps else None
    row = len(depth.layers) - 1 if layer is None else depth.layers.index(layer)
    ss = st.session_state
    held = ss.get(_held_key(depth))
    if held is not None and held[1] == step and held[0] in depth.layers:
        row = depth.layers.index(held[0])        # a clicked layer no step shows (input features)
    elif held is not None:
        ss.pop(_held_key(depth), None)           # the graph moved on: the cursor follows it again
        held = None
    lecture = lecture_mode()
    pca_fig, cursor_fig = ((_pca_figure, _cursor_figure) if depth.cache_key else  # unnamed: unkept
                           (_pca_figure.__wrapped__, _cursor_figure.__wrapped__))
    st.markdown(f"**{heading}** · cursor at layer {depth.layers[row]}")
    if held is not None:
        st.caption(f"Layer {depth.layers[row]} is the input features: no step of the graph shows "
                   f"them, so the scatter and the cursor stand at layer {depth.layers[row]} while "
                   f"the graph shows its first step (layer {depth.layers[depth.steps.index(step)]}).")
    elif layer is None:
        st.caption("This step has no node states (a readout); the charts stand at the last layer.")
    components.figure(pca_fig(depth, depth.cache_key, row, lecture), key=f"{depth.key}.pca",
                      config={"displayModeBar": False})
    chart_key = f"{depth.key}.metrics"
    components.figure(cursor_fig(depth, depth.cache_key, row, lecture), key=chart_key,
                      on_select=lambda: _clicked(view, depth, chart_key),
                      config={"displayModeBar": False})
    empty = _empty(depth)
    for m in empty:
        st.caption(f"**{METRIC_LABELS.get(m, m)}**: {depth.notes.get(m, 'no value at any layer')}.")
    hint = "Click a layer on a chart to show it on the graph."
    if None in depth.steps:
        hint += " Layer 0 is the input features (the graph's first step is layer 1)."
    st.caption(hint)
    st.caption("The scatter: the nodes on the layer's top-2 principal axes, on one scale for every "
               "layer; smoothing shows as the points falling together (the feature norm says how "
               "much of that is the vectors shrinking).")
    if "mad_gap" in depth.metrics and "mad_gap" not in empty:
        st.caption(madgap_caption(depth.hops))
    if "accuracy" in depth.metrics:
        st.caption(PROBE_NOTE)
