"""Charts beside the graph view: BP convergence, beliefs, attention, training, WL, VE cost.

Each reads recorded numbers (Trace steps and extras, result dicts) and draws them; none
recomputes an algorithm.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explorer.errors import TraceError
from explorer.viz._common import BASE_LAYOUT, HIGHLIGHT, PALETTE, as_matrix, as_rows, check_node, check_step, fmt
from explorer.viz.colors import last_states, node_values
from explorer.viz._common import styled  # the base layout, cheaply (see there)

__all__ = ["convergence_figure", "belief_bars", "attention_figure", "loss_figure",
           "wl_histogram_figure", "elimination_cost_figure", "exact_vector", "depth_cursor_figure",
           "CURSOR_METRICS"]


def _layout(fig: go.Figure, title: str, height: int = 360, **kw: Any) -> go.Figure:
    styled(fig, **dict(BASE_LAYOUT, title=dict(text=title, x=0.02), height=height,
                             margin=dict(l=60, r=20, t=60, b=50), **kw))
    return fig


def _extra_series(trace: Any, key: str) -> np.ndarray:
    out = []
    for s in trace.steps:
        v = s.extras.get(key)
        out.append(np.nan if v is None else float(v))
    return np.array(out)


def exact_vector(exact: Any, trace: Any, node: int) -> np.ndarray | None:
    """The exact marginal of ``node`` from ``exact``: a ``{VAR: {STATE: p}}`` dict (as the
    engines' ``result["marginals"]``), a ``{VAR: [p, ...]}`` dict or a list indexed by node."""
    if exact is None:
        return None
    if isinstance(exact, Mapping):
        lab = trace.graph.display_labels[node]
        v = exact.get(lab, exact.get(str(trace.graph.ids[node])))
        if v is None:
            return None
        return np.array(list(v.values()), dtype=float) if isinstance(v, Mapping) else np.asarray(v, float)
    rows = as_rows(exact)
    return rows[node] if node < len(rows) else None


def convergence_figure(trace: Any, exact: Any = None) -> go.Figure:
    """Largest residual per step (log y); BP-vs-exact error; Bethe log Z; oscillations marked.

    Args:
        trace: a BP Trace whose steps record ``extras["residual"]`` (and optionally
            ``"bethe_log_z"``, ``"oscillating"``).
        exact: exact marginals (see :func:`exact_vector`); adds the largest |belief - exact|
            over all variables per step.

    Returns:
        Two stacked panels sharing the step axis: residual and error (log scale) above, the
        Bethe log Z estimate (= -F_Bethe) below when recorded.
    """
    if not trace.steps:
        raise TraceError("expected a Trace with at least one step, found none; run BP first")
    x = np.arange(1, len(trace.steps) + 1)
    res = _extra_series(trace, "residual")
    bethe = _extra_series(trace, "bethe_log_z")
    has_bethe = bool(np.isfinite(bethe).any())
    fig = make_subplots(rows=2 if has_bethe else 1, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        row_heights=[0.65, 0.35] if has_bethe else None)
    pos = lambda a: np.where(a > 0, a, np.nan)  # noqa: E731  (log axis: 0 cannot be drawn)
    fig.add_trace(go.Scatter(x=x, y=pos(res), mode="lines+markers", name="largest belief change"), 1, 1)
    if exact is not None:
        roles = trace.graph.roles or ("variable",) * trace.graph.n_nodes
        err = []
        for k in range(len(trace.steps)):
            rows = as_rows(last_states(trace, k))
            e = 0.0
            for i, b in enumerate(rows):
                ev = exact_vector(exact, trace, i) if str(roles[i]).lower() != "factor" else None
                if ev is not None and ev.size == b.size:
                    e = max(e, float(np.abs(b - ev).max()))
            err.append(e)
        fig.add_trace(go.Scatter(x=x, y=pos(np.array(err)), mode="lines+markers",
                                 name="max |BP − exact|"), 1, 1)
    osc = np.array([bool(s.extras.get("oscillating")) for s in trace.steps])
    if osc.any():
        fig.add_trace(go.Scatter(x=x[osc], y=pos(res)[osc], mode="markers", name="oscillating",
                                 marker=dict(symbol="x", size=11, color=HIGHLIGHT)), 1, 1)
    fig.update_yaxes(type="log", title_text="change / error", exponentformat="power", row=1, col=1)
    if has_bethe:
        fig.add_trace(go.Scatter(x=x, y=bethe, mode="lines+markers", name="Bethe log Z (= −F)",
                                 line=dict(color=PALETTE[2])), 2, 1)
        fig.update_yaxes(title_text="log Z", row=2, col=1)
    fig.update_xaxes(title_text="step", row=2 if has_bethe else 1, col=1)
    tol = trace.params.get("tol")
    if tol:
        fig.add_hline(y=float(tol), line=dict(dash="dot", color="#888"), annotation_text=f"tol {fmt(tol)}",
                      row=1, col=1)
    return _layout(fig, "Convergence", height=460 if has_bethe else 340,
                   legend=dict(orientation="h", y=1.02, yanchor="bottom", x=1, xanchor="right"))


def belief_bars(trace: Any, step: int, node: int, exact: Any = None,
                state_names: Sequence[str] | None = None) -> go.Figure:
    """The belief of one variable at ``step`` as bars, beside its exact marginal when given."""
    k = check_step(trace, step)
    i = check_node(trace.graph, node)
    rows = as_rows(last_states(trace, k))
    if not rows:
        raise TraceError(f"step {k} records no beliefs")
    b = rows[i]
    if state_names is None:  # the model's own state names (yes/no), as on the graph's glyphs
        from explorer.viz.colors import state_names as _names

        per_node = _names(trace)
        known = per_node[i] if i < len(per_node) else None
        state_names = known if known is not None and len(known) == b.size else None
    names = list(state_names) if state_names is not None else [str(s) for s in range(b.size)]
    fig = go.Figure(go.Bar(x=names, y=b, name=f"BP ({trace.steps[k].label or f'step {k}'})",
                           marker_color=PALETTE[0], text=[fmt(v, 3) for v in b], textposition="outside"))
    ev = exact_vector(exact, trace, i)
    if ev is not None:
        fig.add_trace(go.Bar(x=names, y=ev, name="exact", marker_color=PALETTE[1],
                             text=[fmt(v, 3) for v in ev], textposition="outside"))
    top = max(1.0, float(np.nanmax(b)) * 1.15)
    return _layout(fig, f"Belief of {trace.graph.display_labels[i]}", barmode="group",
                   yaxis=dict(range=[0, top], title="probability"), xaxis=dict(title="state"),
                   legend=dict(orientation="h", y=1.02, yanchor="bottom", x=1, xanchor="right"))


def attention_figure(trace: Any, step: int, node: int) -> go.Figure:
    """GAT attention α_ji per head for the messages arriving at ``node`` (self-loop included).

    Raises:
        TraceError: when the step records no ``extras["attention"]``.
    """
    k = check_step(trace, step)
    i = check_node(trace.graph, node)
    st = trace.steps[k]
    if "attention" not in st.extras:
        raise TraceError(f"step {k} ({trace.kind}) records no attention; attention exists for GAT layers")
    g = trace.graph
    att = np.asarray(st.extras["attention"], dtype=float)
    att = att.reshape(att.shape[0], -1)
    into = np.flatnonzero(g.receivers[st.edges] == i)
    names = [g.display_labels[g.senders[st.edges[j]]] for j in into]
    vals = [att[j] for j in into]
    if st.extras.get("self_loop_attention") is not None:
        names.append(f"{g.display_labels[i]} (self)")
        vals.append(np.asarray(st.extras["self_loop_attention"], dtype=float).reshape(g.n_nodes, -1)[i])
    vals_m = np.array(vals).reshape(len(vals), -1) if vals else np.zeros((0, att.shape[1]))
    fig = go.Figure()
    for h in range(vals_m.shape[1]):
        fig.add_trace(go.Bar(x=names, y=vals_m[:, h], name=f"head {h + 1}", marker_color=PALETTE[h % len(PALETTE)],
                             text=[fmt(v, 3) for v in vals_m[:, h]] if len(names) <= 12 else None,
                             textposition="outside"))
    return _layout(fig, f"Attention into {g.display_labels[i]} ({st.label or f'step {k}'}); each head sums to 1",
                   barmode="group", yaxis=dict(range=[0, min(1.05, float(vals_m.max(initial=0.1)) * 1.3)],
                                               title="α (sender → node)"),
                   xaxis=dict(title="sender", type="category"),
                   legend=dict(orientation="h", y=1.02, yanchor="bottom", x=1, xanchor="right"))


def loss_figure(history: Any) -> go.Figure:
    """Loss (left axis) and accuracy (right axis, 0-1) per epoch.

    Args:
        history: a list of per-epoch dicts with ``loss`` and any ``*acc*`` keys (``epoch``
            optional), or a dict of lists ``{"loss": [...], "train_acc": [...], ...}``.
    """
    if isinstance(history, Mapping):
        n = max((len(v) for v in history.values() if isinstance(v, (list, tuple, np.ndarray))), default=0)
        rows = [{k: v[e] for k, v in history.items() if isinstance(v, (list, tuple, np.ndarray)) and e < len(v)}
                for e in range(n)]
    else:
        rows = [dict(r) for r in history]
    epochs = [r.get("epoch", e + 1) for e, r in enumerate(rows)]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Scatter(x=epochs, y=[r.get("loss") for r in rows], name="loss", mode="lines",
                             line=dict(color=PALETTE[3], width=2.5)), secondary_y=False)
    keys = [k for k in (rows[0] if rows else {}) if "acc" in k]
    for j, key in enumerate(keys):
        fig.add_trace(go.Scatter(x=epochs, y=[r.get(key) for r in rows], name=key.replace("_", " "),
                                 mode="lines", line=dict(color=PALETTE[j % 3], dash="solid" if j == 0 else "dash")),
                      secondary_y=True)
    fig.update_yaxes(title_text="loss", secondary_y=False, rangemode="tozero")
    fig.update_yaxes(title_text="accuracy", range=[0, 1.02], secondary_y=True, showgrid=False)
    fig.update_xaxes(title_text="epoch")
    return _layout(fig, "Training", legend=dict(orientation="h", y=1.02, yanchor="bottom", x=1, xanchor="right"))


def _hist(trace: Any) -> np.ndarray:
    c = node_values(trace, len(trace.steps) - 1, "color").astype(int)
    return c


def wl_histogram_figure(trace_a: Any, trace_b: Any, *, names: Sequence[str] = ("graph A", "graph B"),
                        equivalent: bool | None = None) -> go.Figure:
    """Colour histograms of two WL runs after their last round, side by side per colour id.

    Args:
        trace_a, trace_b: WL Traces. Colour ids mean the same in both only when the two graphs
            were refined with one shared colour table.
        names: legend names of the two graphs.
        equivalent: the verdict of a joint refinement (e.g. ``explorer.nn.wl.wl_equivalent``);
            when ``None`` the title compares the sorted colour-class sizes only, which is
            necessary for 1-WL equivalence but not sufficient.
    """
    ca, cb = _hist(trace_a), _hist(trace_b)
    colours = np.union1d(ca, cb)
    fig = go.Figure()
    for c, nm, col in ((ca, names[0], PALETTE[0]), (cb, names[1], PALETTE[1])):
        counts = [int((c == k).sum()) for k in colours]
        fig.add_trace(go.Bar(x=[str(k) for k in colours], y=counts, name=nm, marker_color=col,
                             text=counts, textposition="outside"))
    if equivalent is None:
        sizes = lambda c: sorted(np.unique(c, return_counts=True)[1].tolist())  # noqa: E731
        verdict = ("same colour-class sizes" if sizes(ca) == sizes(cb)
                   else "colour-class sizes differ: 1-WL tells them apart")
    else:
        verdict = "1-WL cannot tell them apart" if equivalent else "1-WL tells them apart"
    top = max(1, max((int((c == k).sum()) for c in (ca, cb) for k in colours), default=1))
    return _layout(fig, f"WL colours after the last round — {verdict}", barmode="group",
                   xaxis=dict(title="colour", type="category"), yaxis=dict(title="nodes", range=[0, top * 1.2]),
                   legend=dict(orientation="h", y=1.02, yanchor="bottom", x=1, xanchor="right"))


def elimination_cost_figure(costs: Any) -> go.Figure:
    """Counted operations: naive enumeration against elimination (log y).

    Args:
        costs: ``{"naive": n, "elimination": m, ...}`` (any number of named counts), the chain
            demo's dict (``{"naive": {"multiplications", "additions", ...}, "elimination": {...}}``,
            drawn as grouped bars per operation), or a list of ``{"n": vars, "naive": ..., "elimination": ...}`` rows to
            draw cost against chain length.
    """
    fig = go.Figure()
    if isinstance(costs, Mapping) and any(isinstance(v, Mapping) for v in costs.values()):
        methods = [k for k in ("naive", "elimination") if isinstance(costs.get(k), Mapping)]
        ops = ("multiplications", "additions")
        for j, m in enumerate(methods):
            vals = [float(costs[m].get(o, 0)) for o in ops]
            fig.add_trace(go.Bar(x=list(ops), y=vals, name=m, marker_color=PALETTE[j],
                                 text=[fmt(v) for v in vals], textposition="outside"))
        top = max([float(costs[m].get(o, 1)) for m in methods for o in ops] + [10])
        fig.update_yaxes(type="log", title_text="operations counted", range=[0, np.log10(top) + 0.6])
        return _layout(fig, "Cost: naive sum vs elimination", barmode="group",
                       legend=dict(orientation="h", y=1.02, yanchor="bottom", x=1, xanchor="right"))
    if isinstance(costs, Mapping):
        names = [str(k) for k in costs]
        vals = [float(v) for v in costs.values()]
        fig.add_trace(go.Bar(x=names, y=vals, marker_color=[PALETTE[i % len(PALETTE)] for i in range(len(vals))],
                             text=[fmt(v) for v in vals], textposition="outside"))
        fig.update_yaxes(type="log", title_text="operations counted", range=[0, np.log10(max(vals + [10])) + 0.6])
        return _layout(fig, "Cost: naive sum vs elimination", showlegend=False)
    rows = [dict(r) for r in costs]
    xs = [r.get("n") for r in rows]
    for j, key in enumerate(k for k in rows[0] if k != "n"):
        fig.add_trace(go.Scatter(x=xs, y=[r[key] for r in rows], name=key, mode="lines+markers",
                                 line=dict(color=PALETTE[j % len(PALETTE)])))
    fig.update_yaxes(type="log", title_text="operations counted", exponentformat="power")
    fig.update_xaxes(title_text="number of variables")
    return _layout(fig, "Cost against size", legend=dict(orientation="h", y=1.02, yanchor="bottom", x=1, xanchor="right"))


#: the per-layer panels beside the animated over-smoothing graph (accuracy added when known)
CURSOR_METRICS = ("dirichlet_energy", "mad", "mad_gap", "effective_rank", "numerical_rank",
                  "mean_cosine_similarity")
#: metrics drawn on a linear axis (they can be zero or negative, or are shares)
_CURSOR_LINEAR = frozenset({"mad_gap", "mean_cosine_similarity", "accuracy"})


def depth_cursor_figure(runs: Mapping[str, Sequence[Mapping[str, Any]]], layer: int,
                        metrics: Sequence[str] = CURSOR_METRICS, *, cols: int = 2,
                        notes: Mapping[str, str] | None = None, height: int | None = None,
                        hover_names: Mapping[str, str] | None = None) -> go.Figure:
    """Each metric against depth, one line per run, with a vertical cursor at ``layer``.

    Args:
        runs: ``{name: [{"layer": k, metric: value, ...}, ...]}`` (a sweep's ``layers``, with
            ``"accuracy"`` added per layer when a probe ran).
        layer: where the cursor stands (the step the graph shows).
        metrics: the panels (``"accuracy"`` is labelled "linear-probe accuracy").
        cols: panels per row (1 for a narrow column).
        notes: ``{metric: text}`` written in a panel that has no value at any layer (why not);
            default "no value at any layer".
        height: figure height in pixels.
        hover_names: ``{metric: name}`` shown in the hover instead of the metric's key (e.g.
            MADGap with the hop thresholds it used).

    Returns:
        A figure whose cursor is one dashed ``line`` shape per panel at ``x = layer``; a
        ``None`` value leaves a gap; positive-only metrics on a log axis (values ≤ 0 left out).

    Raises:
        TraceError: when ``runs`` is empty.
    """
    from explorer.viz.panels import METRIC_LABELS

    if not runs:
        raise TraceError("expected at least one sweep to draw, found none")
    metrics = list(metrics)
    labels = {**METRIC_LABELS, "accuracy": "linear-probe accuracy"}
    cols = max(1, min(int(cols), len(metrics)))
    nrows = -(-len(metrics) // cols)
    fig = make_subplots(rows=nrows, cols=cols, subplot_titles=[labels.get(m, m) for m in metrics],
                        horizontal_spacing=0.14, vertical_spacing=min(0.5 / nrows, 0.12))
    for j, (name, rows) in enumerate(runs.items()):
        x = [int(r.get("layer", i)) for i, r in enumerate(rows)]
        for p, m in enumerate(metrics):
            y = np.array([np.nan if r.get(m) is None else float(r[m]) for r in rows])
            if m not in _CURSOR_LINEAR:
                y = np.where(y > 0, y, np.nan)
            fig.add_trace(go.Scatter(x=x, y=y, name=name, legendgroup=name, showlegend=p == 0,
                                     mode="lines", line=dict(color=PALETTE[j % len(PALETTE)], width=2),
                                     hovertemplate=f"{name}<br>layer %{{x}}<br>{(hover_names or {}).get(m, m)}: "
                                                   "%{y:.4g}<extra></extra>"),
                          row=p // cols + 1, col=p % cols + 1)
    cursor = []  # one dashed line per panel, as add_vline draws it (added at once: 10x cheaper)
    for p, m in enumerate(metrics):
        r, c = p // cols + 1, p % cols + 1
        ax = "" if p == 0 else str(p + 1)
        cursor.append(dict(type="line", xref=f"x{ax}", yref=f"y{ax} domain", x0=int(layer),
                           x1=int(layer), y0=0, y1=1, line=dict(color=HIGHLIGHT, width=2, dash="dash")))
        fig.update_yaxes(type="linear" if m in _CURSOR_LINEAR else "log", exponentformat="power",
                         row=r, col=c)
        if all(d.get(m) is None for rows in runs.values() for d in rows):
            fig.add_annotation(text=(notes or {}).get(m, "no value at any layer"), showarrow=False,
                               x=0.5, y=0.5, xref=f"x{ax} domain", yref=f"y{ax} domain",
                               font=dict(size=10, color="#666"))
        fig.update_xaxes(title_text="layer" if r == nrows else None, row=r, col=c)
    top = 30 + 30 * len(runs)                    # the legend (one run a line) above the panels
    height = height or 170 * nrows + 40 + top
    styled(fig, **dict(BASE_LAYOUT, height=height,
                             title=dict(text=""), meta=dict(cursor=int(layer)), shapes=cursor,
                             margin=dict(l=50, r=10, t=top, b=40), font=dict(size=11),
                             legend=dict(orientation="h", y=1 + 20 / max(height - top - 40, 1),
                                         yanchor="bottom", x=0)))
    fig.update_annotations(font_size=11)
    return fig
