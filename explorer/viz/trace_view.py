"""The animated graph view of any Trace: one Plotly frame per step, Play/Pause and a step slider.

Only the traces in ANIMATED_TRACES change between frames (the nodes' colours, the message arrows,
the selected node's incoming messages, the message texts, the faded earlier messages and the edge
weights; see :mod:`explorer.viz.glyphs`); edges, labels and factor squares are drawn once, which keeps a 20-step
animation of a 1,000-node graph under about 2 MB of JSON. Colours use one range for all frames.
Node colours are sent as float64 (the recorded numbers, unrounded); marker geometry as float32.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from explorer.viz._common import (DENSE, HIGHLIGHT, MESSAGE_SCALE, as_rows, check_node, check_step, fmt,
                                  fmt_vec, use_webgl)
from explorer.viz.colors import color_spec, family, is_factor, last_states, state_label
from explorer.viz.glyphs import MAX_TEXTS_SENT, MESSAGE_FONT, labelled_step, edge_weights, evidence, message_arrows, step_overlay, weight_polygons
from explorer.viz.graph_view import (BAR_ROW, BARS_PX, PLAN_WIDTH, _check_pos, _scatter, bars_below, base_traces,
                                    colorbar, default_height, frame_layout, node_hover, node_trace, plot_area)
from explorer.viz.messages import message_values
from explorer.viz._common import styled  # the base layout, cheaply (see there)

__all__ = ["trace_figure", "ANIMATED_TRACES", "TRACE_NAMES", "HOVER_POINTS"]

#: the traces of a trace figure, in drawing order (messages under the nodes)
TRACE_NAMES = ("edges", "arrows", "highlight", "messages", "factors", "nodes", "selected_messages", "ring",
               "labels", "evidence", "message_text", "earlier_messages", "weights")
#: indices of the traces that frames update: message markers, nodes, the selected node's messages,
#: the message texts, the earlier (faded) messages and the edge weights (GAT attention; weights that
#: are the same in every step, like GCN's c_ji, stay out of the frames)
ANIMATED_TRACES = (3, 5, 6, 10, 11, 12)
#: message markers per step on a graph of more than DENSE nodes (the largest; the panel and the
#: CSV have them all): fewer SVG points to repaint on each step
DENSE_MARKERS = 800
#: per-point hover text is sent in frames only while (points x frames) stays under this
HOVER_POINTS = 4_000
#: pixels from the plot's bottom edge to the Play/Pause row and to the slider (its own row below);
#: both move down by :data:`~explorer.viz.graph_view.BAR_ROW` when the colour bars lie under the plot
BUTTONS_PAD, SLIDER_PAD = 6, 44
#: bottom margin that holds both rows (slider: current value, rail, tick labels)
CONTROLS_MARGIN = SLIDER_PAD + 86
#: the narrowest chart the slider's tick labels must fit in, and its room for colour bars (px)
MIN_WIDTH, BARS_WIDTH = 450, 110
#: rough width of one character of a slider tick label (px, 11 px font)
CHAR_PX = 5.5
#: the current step's label keeps this colour when the tick labels are hidden
TEXT_COLOR = "#2a3f5f"


def _as(webgl: bool, tr: Any) -> Any:
    """``tr`` as a WebGL or an SVG scatter trace (same attributes)."""
    if isinstance(tr, go.Scattergl) == webgl:
        return tr
    d = tr.to_plotly_json()
    d.pop("type", None)
    return go.Scattergl(**d) if webgl else go.Scatter(**d)


#: the browser gets each selected message's hover text with its vector while the run sends at
#: most this many messages in all (else "sender → receiver (edge e)" and the value)
SELECT_HOVER = 20_000


def _f4(values: Any) -> Any:
    """Float colours as float32 (sent as 4-byte typed arrays: half the bytes of every frame's
    colours; the hover prints them with 4 significant digits); anything else unchanged."""
    a = np.asarray(values)
    return a.astype(np.float32) if a.dtype.kind == "f" else values


def _b64(a: Any, dtype: str) -> dict[str, str]:
    """An array as a base64 typed array (``{"dtype": "f4"|"i4", "bdata"}``), as Plotly encodes them."""
    import base64

    arr = np.ascontiguousarray(np.asarray(a, dtype={"f4": np.float32, "i4": np.int32}[dtype]).reshape(-1))
    return {"dtype": dtype, "bdata": base64.b64encode(arr.tobytes()).decode("ascii")}


def selection_payload(trace: Any, pos: np.ndarray, mvals: dict[int, np.ndarray], *, size: float,
                      big: bool, scale: float, steps: list[int]) -> dict[str, Any]:
    """What the browser needs to select any node itself (JSON-ready; the player's ``select``).

    ``pos`` ``[N, 2]``, ``senders``/``receivers`` ``[E]`` (the ring and the incoming edges),
    ``ring`` (its marker size, px), every edge's message marker place ``edge_xy`` ``[E, 2]`` and
    ``angle`` ``[E]``, and per step the messages sent: ``edges`` (left out when the same as the
    step before), ``values`` (the marker colours :func:`trace_figure` uses, float32: the hover
    prints 4 digits), ``hover`` and ``text`` when small enough. Marker sizes follow
    ``size = a + b |value| / scale`` (``wl_size`` for WL). Arrays are base64 typed arrays. The
    selected node's messages at step k are the entries whose edge ends at it, drawn as
    :func:`trace_figure` draws them for ``selected``.
    """
    g = trace.graph
    lab = g.display_labels
    xy, ang = message_arrows(g, pos, np.arange(g.n_edges))
    total = sum(int(trace.steps[k].n_sent) for k in mvals)
    out_steps, prev = [], None
    for k in steps:
        st = trace.steps[k]
        e = np.asarray(st.edges, dtype=np.int64)
        item: dict[str, Any] = {"values": _b64(mvals[k], "f4")}
        if prev is None or not np.array_equal(prev, e):
            item["edges"] = _b64(e, "i4")
        prev = e
        if total <= SELECT_HOVER:
            rows = as_rows(st.messages)
            item["hover"] = [f"{lab[g.senders[ei]]} → {lab[g.receivers[ei]]} (edge {ei})<br>"
                             f"m = {fmt_vec(rows[j], max_len=8)}" for j, ei in enumerate(e.tolist())]
        if g.n_nodes <= 60 and not labelled_step(trace, k):
            item["text"] = [fmt(x, 3) for x in np.asarray(mvals[k], dtype=float)]
        out_steps.append(item)
    return {"n": int(g.n_nodes), "pos": _b64(pos, "f4"), "senders": _b64(g.senders, "i4"),
            "receivers": _b64(g.receivers, "i4"),
            "labels": None if total <= SELECT_HOVER else list(lab),
            "ring": float(size * 1.6), "edge_xy": _b64(xy, "f4"), "angle": _b64(ang, "f4"),
            "size_a": 2.0 if big else 8.0, "size_b": 5.0 if big else 7.0, "scale": float(scale),
            "wl_size": (4.0 if big else 9.0) if family(trace) == "wl" else None,
            "steps": out_steps, "max_text": 6}


def _texts_by_node(trace: Any, pos: np.ndarray, steps: list[int], plan: Any, size: float,
                   values: Any) -> Any:
    """``texts(node)``: the message texts of every step placed for ``node`` (messages into it
    first; in a crowded step only those), or None when no step's texts depend on the node."""
    g = trace.graph
    depends = g.n_nodes <= 120 and any(0 < trace.steps[k].n_sent <= MAX_TEXTS_SENT for k in steps)
    memo: dict[int, list[dict[str, Any]]] = {}

    def texts(node: int) -> list[dict[str, Any]] | None:
        if not depends:
            return None
        node = check_node(g, node)
        if node not in memo:
            memo[node] = [step_overlay(trace, pos, k, plan=plan, size=size, selected=node,
                                       values=values)[0] or dict(x=[], y=[], text=[]) for k in steps]
        return memo[node]
    return texts


def _pick(values: np.ndarray, limit: int) -> np.ndarray:
    """Indices of the ``limit`` largest |values| (NaN last), in their original order."""
    if values.size <= limit:
        return np.arange(values.size)
    key = np.nan_to_num(np.abs(values), nan=-1.0)
    return np.sort(np.argsort(-key, kind="stable")[:limit])


def _title(trace: Any, k: int, title: str | None) -> str:
    """Title plus the short step label; the (long) step note is left to the page around the chart.

    A note can run to 150 characters, which no fixed wrap width fits in a 450 px chart, and
    Plotly titles never wrap by themselves, so the figure shows only ``label (k/S)``.
    """
    st = trace.steps[k]
    head = title or f"{trace.kind} on {trace.graph.name or 'graph'}"
    label = st.label or f"step {k}"
    return f"{head}<br><sup>{label} ({k + 1}/{len(trace.steps)})</sup>"


def _controls(trace: Any, start: int, frame_ms: int, redraw: bool, under: int = 0) -> dict[str, Any]:
    def go_to(names: list | None, ms: int) -> dict[str, Any]:
        return dict(frame=dict(duration=ms, redraw=redraw), transition=dict(duration=0),
                    mode="immediate", fromcurrent=True)

    buttons = [dict(label="Play", method="animate", args=[None, go_to(None, frame_ms)]),
               dict(label="Pause", method="animate", args=[[None], go_to([None], 0)]),
               dict(label="Slow", method="animate", args=[None, go_to(None, frame_ms * 3)]),
               dict(label="Fast", method="animate", args=[None, go_to(None, max(frame_ms // 3, 30))])]
    steps = [dict(method="animate", label=s.label or str(k),
                  args=[[str(k)], dict(mode="immediate", frame=dict(duration=0, redraw=redraw),
                                       transition=dict(duration=0))])
             for k, s in enumerate(trace.steps)]
    # tick labels sit centred under their ticks: pad the rail by half a label so the end ones stay
    # inside the chart, and hide them all when they would run into each other in a narrow chart
    label_px = CHAR_PX * max(len(s["label"]) for s in steps)
    side = max(8.0, label_px / 2)
    rail = MIN_WIDTH - (0 if under else BARS_WIDTH) - 2 * side
    fits = len(steps) == 1 or rail / (len(steps) - 1) >= label_px + 6
    font = dict(size=11) if fits else dict(size=11, color="rgba(0,0,0,0)")
    side = side if fits else 12.0
    # two rows under the plot, so nothing overlaps at any width: the buttons, then the slider
    return dict(
        updatemenus=[dict(type="buttons", direction="left", showactive=False, x=0.0, y=0.0,
                          xanchor="left", yanchor="top", pad=dict(t=BUTTONS_PAD + under, r=4), buttons=buttons)],
        sliders=[dict(active=start, steps=steps, x=0.0, len=1.0, y=0.0, yanchor="top",
                      pad=dict(t=SLIDER_PAD + under, b=4, l=side, r=side), font=font,
                      currentvalue=dict(prefix="step: ", xanchor="right", font=dict(size=13, color=TEXT_COLOR)))],
    )


def trace_figure(trace: Any, pos: Any, *, color_by: str = "auto", feature: int = 0, state: int = 0,
                 selected: int | None = None, step: int | None = None, animate: bool = True,
                 show_messages: bool = True, max_message_markers: int | None = None, frame_ms: int = 700,
                 title: str | None = None, height: int | None = None, width: int | None = None,
                 selectable: bool = False) -> go.Figure:
    """The graph of ``trace`` coloured by the node states, with the messages of each step.

    Args:
        trace: a recorded run (:class:`~explorer.trace.Trace`).
        pos: ``[N, 2]`` node positions.
        color_by: a mode of :func:`~explorer.viz.colors.color_modes`, or ``"auto"`` (its first).
        feature: the feature shown by ``color_by="feature"``.
        state: the variable state shown by ``"belief"`` and by BP message markers.
        selected: a node whose incoming edges and messages are highlighted (ringed).
        step: the step shown first (default 0); also the slider's start.
        animate: add one frame per step with Play/Pause buttons and a step slider.
        show_messages: draw a marker per sent message, ``MESSAGE_AT`` along its edge, sized and
            coloured by its value (BP: the value at ``state``; otherwise the L2 norm).
        max_message_markers: per step, draw at most this many markers: the largest of the step,
            or, when every step sends the same edges, the same subset in every frame (largest on
            average), so frames need not resend positions; the selected node's are always drawn.
            Default: 2,000, or :data:`DENSE_MARKERS` on a graph of more than ``DENSE`` nodes
            (each SVG marker is repainted on every step).
        frame_ms: milliseconds per frame for Play (Slow = 3x, Fast = 1/3).
        title: the figure title (default: kind and graph name); the step label and number are
            added below it (the step note is left to the page, see :func:`_title`).
        height: figure height in pixels.
        selectable: the browser will select nodes itself (the player): the selection traces keep
            their style and legend while empty, and the figure carries ``fig._mpe_select`` (what
            the browser needs to ring any node and show its incoming edges and messages, see
            :func:`selection_payload`) and ``fig._mpe_texts(node)`` (the message texts of every
            step placed for that node, or None when they do not depend on it).

    Returns:
        A ``go.Figure`` with ``len(trace.steps)`` frames named ``"0" .. "S-1"`` (none if not
        ``animate``). Traces in :data:`TRACE_NAMES` order: 0 edges, 1 arrows, 2 selected's
        incoming edges, 3 messages, 4 factors, 5 nodes, 6 selected's messages, 7 selection
        ring; frames update 3, 5 and 6 (:data:`ANIMATED_TRACES`).

    Raises:
        TraceError: for an empty trace, a bad ``step``/``selected``/``pos``, or a colour mode
            that does not apply.

    Shapes:
        pos ``[N, 2]``; node colours per frame ``[N - n_factors]``; markers per frame
        ``[min(n_sent, max_message_markers)]``.
    """
    g = trace.graph
    if max_message_markers is None:
        max_message_markers = 2000 if g.n_nodes <= DENSE else DENSE_MARKERS
    p = _check_pos(g, pos)
    start = check_step(trace, 0 if step is None else step)
    sel = None if selected is None else check_node(g, selected)
    spec = color_spec(trace, color_by, feature=feature, state=state)
    var_idx = np.flatnonzero(~is_factor(g))
    ev = evidence(trace)
    n_bars = 2 if show_messages and family(trace) != "wl" else 1  # colour bars where they cost least
    below = bars_below(p, plot_area(width or PLAN_WIDTH, height or default_height(g.n_nodes), dict(t=100, b=10)))
    under = BAR_ROW if below else 0
    base = base_traces(g, p, selected=sel,
                       highlight_edges=np.flatnonzero(g.receivers == sel) if sel is not None else None,
                       width=width, height=height, bars_px=0 if below else BARS_PX + 10 * (n_bars - 1),
                       margin=dict(l=10, r=10, t=100, b=(CONTROLS_MARGIN if animate else 10) + under),
                       evidence=sorted(ev), avoid=message_arrows(g, p, np.arange(g.n_edges))[0] if show_messages else None,
                       label_text=[f"{lab} = {ev[i]}" if i in ev else lab for i, lab in enumerate(g.display_labels)])
    size = base["size"]
    # the traces frames change (and the ones a click restyles) stay SVG up to SVG_ANIMATED nodes:
    # a step is then an in-place update, even where the static edges are WebGL
    webgl = use_webgl(g.n_nodes, animated=True)
    for name in ("highlight", "factors", "evidence", "ring"):
        base[name] = _as(webgl, base[name])
    steps = range(len(trace.steps)) if animate else [start]

    # ---- node hover: static info plus the state vector while the text stays small
    static = node_hover(g)
    dynamic = len(var_idx) * len(steps) <= HOVER_POINTS

    def hover(k: int) -> list[str]:
        rows = as_rows(last_states(trace, k))
        if not dynamic or not rows:
            return [static[i] for i in var_idx]
        return [f"{static[i]}<br>state = {fmt_vec(rows[i])}" for i in var_idx]

    # ---- message markers: values of every step, one size/colour range for all frames
    mvals = {k: message_values(trace, k, state=state) for k in steps} if show_messages else {}
    allm = np.concatenate(list(mvals.values())) if mvals else np.zeros(0)
    finite = allm[np.isfinite(allm)]
    mlo = min(0.0, float(finite.min())) if finite.size else 0.0
    mhi = float(finite.max()) if finite.size else 1.0
    mhi = mhi if mhi > mlo else mlo + 1.0
    scale = max(abs(mlo), abs(mhi))
    big = g.n_nodes > DENSE
    mtitle = f"message m(x = {state_label(trace, state)})" if spec.mode in ("belief", "entropy", "map") else "message norm"
    n_markers = sum(min(v.size, max_message_markers) for v in mvals.values())
    msg_hover = n_markers <= HOVER_POINTS
    same_edges = all(np.array_equal(trace.steps[k].edges, trace.steps[start].edges) for k in mvals)
    fixed = None  # one subset of markers for every frame when every step sends the same edges
    if same_edges and mvals and mvals[start].size > max_message_markers:
        mean = np.nanmean(np.abs(np.stack(list(mvals.values()))), axis=0)
        fixed = _pick(mean, max_message_markers)

    def markers(k: int, only: np.ndarray | None) -> dict[str, Any]:
        st = trace.steps[k]
        vals = mvals.get(k, np.zeros(0))
        keep = only if only is not None else fixed if fixed is not None else _pick(vals, max_message_markers)
        e = st.edges[keep]
        xy, angle = message_arrows(g, p, e)
        xy = xy.astype(np.float32)
        v = vals[keep]
        sz = ((2.0 if big else 8.0) + (5.0 if big else 7.0) * np.abs(np.nan_to_num(v)) / scale).astype(np.float32)
        if family(trace) == "wl":
            sz = np.full(v.size, 4.0 if big else 9.0, dtype=np.float32)
        out: dict[str, Any] = dict(marker=dict(color=_f4(v), size=sz))
        if only is not None or not same_edges or k == start:
            out.update(x=xy[:, 0], y=xy[:, 1])
            out["marker"]["angle"] = angle
        if msg_hover or only is not None:
            rows = as_rows(st.messages)
            lab = g.display_labels
            out["hovertext"] = [f"{lab[g.senders[ei]]} → {lab[g.receivers[ei]]} (edge {ei})<br>"
                                f"m = {fmt_vec(rows[j], max_len=8)}" for j, ei in zip(keep, e)]
        if only is not None and g.n_nodes <= 60 and len(keep) <= 6 and not labelled_step(trace, k):
            out["text"] = [fmt(x, 3) for x in v]
        return out

    def sel_markers(k: int) -> dict[str, Any]:
        if sel is None or not show_messages:
            return dict(x=[], y=[])
        st = trace.steps[k]
        return markers(k, np.flatnonzero(g.receivers[st.edges] == sel))

    def nodes_update(k: int) -> dict[str, Any]:
        out: dict[str, Any] = dict(marker=dict(color=_f4(spec.values[k][var_idx])))
        if dynamic:
            out["hovertext"] = hover(k)
        return out

    nodes = node_trace(g, p, spec.values[start], webgl=webgl, size=size, title=spec.title,
                       cmin=spec.cmin, cmax=spec.cmax, colorscale=spec.colorscale,
                       tickvals=spec.tickvals, ticktext=spec.ticktext, hovertext=None,
                       bar=dict(below=below, slot=0, of=n_bars))
    nodes.update(**dict(nodes_update(start), hovertext=hover(start)))
    mtemplate = ("%{hovertext}<br>" if msg_hover else "") + mtitle + ": %{marker.color:.4g}<extra></extra>"
    wl = family(trace) == "wl"
    msg_marker = dict(colorscale=spec.colorscale if wl else MESSAGE_SCALE, cmin=spec.cmin if wl else mlo,
                      cmax=spec.cmax if wl else mhi, line=dict(width=0.5, color="#555"), opacity=0.75 if big else 1,
                      symbol="triangle-up", showscale=show_messages and bool(finite.size) and not wl,
                      colorbar=colorbar(mtitle, below=below, slot=1, of=n_bars))
    m0 = markers(start, None) if show_messages else dict(x=[], y=[])
    msgs = _scatter(webgl, mode="markers", name="messages", showlegend=show_messages,
                    hovertemplate=mtemplate, **m0)
    msgs.update(marker=msg_marker)
    sel_m = _scatter(webgl, mode="markers+text", name="messages into selected",
                     showlegend=sel is not None or (selectable and show_messages),
                     textposition="top center", textfont=dict(size=11, color=HIGHLIGHT),
                     hovertemplate="%{hovertext}<br>" + mtitle + ": %{marker.color:.4g}<extra></extra>",
                     **sel_markers(start))
    sel_m.update(marker=dict(msg_marker, showscale=False, symbol="triangle-up",
                             line=dict(width=2.5, color=HIGHLIGHT)))

    def message_value(k: int) -> np.ndarray:
        """Step ``k``'s message colours (also for a step not drawn as a frame: a still figure
        of a late step still fades the messages sent before it)."""
        if k not in mvals:
            mvals[k] = message_values(trace, k, state=state)
        return mvals[k]

    overlay = (lambda k: step_overlay(trace, p, k, plan=base["plan"], size=size, selected=sel,
                                      values=message_value)) if show_messages else (lambda k: ({}, {}))
    text0, early0 = overlay(start)
    mtext = _scatter(webgl, mode="text", name="message values", showlegend=False, hoverinfo="skip",
                     **(text0 or dict(x=[], y=[], textfont=dict(size=MESSAGE_FONT))))
    early = _scatter(webgl, mode="markers", name="earlier messages", showlegend=False,
                     hovertemplate="%{hovertext}<extra></extra>", **(early0 or dict(x=[], y=[])))
    early.update(marker=dict(msg_marker, showscale=False, opacity=0.35, line=dict(width=0), size=12,
                             **({"color": early0["marker"]["color"], "angle": early0["marker"]["angle"]}
                                if early0 else {})))
    wts = {k: edge_weights(trace, k) for k in steps}
    wmax = max((float(np.max(w[0])) for w in wts.values() if w is not None), default=0.0)
    wname = next((w[1] for w in wts.values() if w is not None), "")
    wmax = 0.0 if g.n_nodes > DENSE else wmax  # widths only on SVG graphs (the polygons would outweigh a big graph)
    polys = lambda k: weight_polygons(trace, p, k, frame=base["plan"].frame, size=size, wmax=wmax)  # noqa: E731
    still_band = polys(start)
    weights = _scatter(webgl, mode="lines", fill="toself", fillcolor="rgba(31,119,180,0.30)", line=dict(width=0),
                         hoverinfo="skip", name=f"edge width: {wname}", showlegend=wmax > 0, **still_band)
    fig = go.Figure([base["edges"], base["arrows"], base["highlight"], msgs, base["factors"], nodes,
                     sel_m, base["ring"], base["labels"], base["evidence"], mtext, early, weights])
    styled(fig, **frame_layout(p, title=_title(trace, start, title), height=height, n=g.n_nodes,
                                     plan=base["plan"]))
    fig.update_layout(margin=dict(l=10, r=10, t=100, b=(CONTROLS_MARGIN if animate else 10) + under),
                      legend=dict(orientation="h", x=1.0, xanchor="right", y=1.0, yanchor="bottom"))
    if selectable:
        fig._mpe_select = selection_payload(trace, p, mvals, size=size, big=big, scale=scale,
                                            steps=list(steps)) if show_messages else \
            selection_payload(trace, p, {}, size=size, big=big, scale=scale, steps=[])
        fig._mpe_texts = _texts_by_node(trace, p, list(steps), base["plan"], size, message_value) \
            if show_messages else (lambda node: None)
    if not animate:
        return fig
    cls = go.Scattergl if webgl else go.Scatter
    # the edge-width bands go into the frames only when they change: GCN's c_ji (and an
    # unweighted run's empty bands) are the same in every layer, and repeating them made a
    # 20-layer GCN figure on 300 nodes 4.5 MB instead of 1.1 MB
    band = {k: still_band if k == start else polys(k) for k in steps}
    moving = any(b != still_band for b in band.values())
    animated = list(ANIMATED_TRACES) if moving else list(ANIMATED_TRACES[:-1])
    frames = []
    for k in steps:
        text_k, early_k = overlay(k)
        data = [cls(**(markers(k, None) if show_messages else dict(x=[], y=[]))), cls(**nodes_update(k)),
                cls(**sel_markers(k)), cls(**(text_k or dict(x=[], y=[], text=[]))),
                cls(**(early_k or dict(x=[], y=[])))] + ([cls(**band[k])] if moving else [])
        frames.append(go.Frame(name=str(k), data=data, traces=animated,
                               layout=dict(title=dict(text=_title(trace, k, title)))))
    fig.frames = frames
    fig.update_layout(**_controls(trace, start, frame_ms, redraw=True, under=under))
    return fig
