"""The static graph view: nodes, edges, arrows, factor squares, a selected node, a colour bar.

Edges are ONE line trace with ``None`` separators (never one trace per edge), so a 1,000-node
graph is a handful of traces. Above :data:`~explorer.viz._common.WEBGL_THRESHOLD` nodes every
trace but the labels is WebGL (``scattergl``); a trace view keeps its animated traces in SVG up
to :data:`~explorer.viz._common.SVG_ANIMATED` nodes. :func:`trace_figure` in :mod:`explorer.viz.trace_view` builds on
the same pieces and animates only the node colours and the message markers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from explorer.viz._common import (BASE_LAYOUT, EDGE_COLOR, FACTOR_COLOR, HIGHLIGHT, LABEL_THRESHOLD,
                                  DENSE, SCALE, check_node, fmt, fmt_vec, node_size, use_webgl)
from explorer.viz.colors import is_factor
from explorer.viz.labels import Frame, LabelPlan, plan_node_labels
from explorer.viz._common import styled  # the base layout, cheaply (see there)

__all__ = ["graph_figure", "node_hover", "edge_lines", "ARROW_AT", "plot_area", "plan_labels",
           "label_trace", "colorbar", "bars_below", "PLAN_WIDTH", "LABEL_MAX", "BAR_ROW", "BARS_PX"]

#: figure width (px) the labels are planned for when the caller does not say (a projector at
#: 1280 x 720 with the graph as the hero); a wider figure only gives the labels more room
PLAN_WIDTH = 1280
#: up to this many nodes the labels are placed (beyond, hover only)
LABEL_MAX = 400
#: room (px) vertical colour bars take beside the plot, and the height of the row under it that
#: horizontal ones take: a figure puts its bars where they cost the graph least (:func:`bars_below`)
BARS_PX, BAR_ROW = 100, 56


def bars_below(pos: Any, area: tuple[float, float]) -> bool:
    """Whether colour bars cost the graph less in a row under the plot than in a column beside it.

    An equal-aspect graph is bound by the width or by the height of the plot ``area`` (px): a
    wide layout (a chain, a layered network) has height to spare, a square one (a grid, karate
    on a wide screen) width; the bars go where the room is.
    """
    p = np.asarray(pos, dtype=float).reshape(-1, 2)
    span = np.maximum(np.ptp(p, 0), 1e-9) if len(p) > 1 else np.ones(2)
    w, h = area
    return min(w / span[0], (h - BAR_ROW) / span[1]) > min((w - BARS_PX) / span[0], h / span[1])


def colorbar(title: str, *, below: bool, slot: int = 0, of: int = 1, **kw: Any) -> dict[str, Any]:
    """A thin colour bar: flat in the row under the plot (``below``; two share it, left and
    right) or upright beside it (two share its height, top and bottom). ``slot`` of ``of``."""
    if below:
        left = of == 2 and slot == 0
        return dict(title=dict(text=title, side="top", font=dict(size=12)), orientation="h",
                    x=0.0 if left else 1.0, xanchor="left" if left else "right", y=0.0, yanchor="top",
                    ypad=6, len=0.46 if of == 2 else 0.5, thickness=8, tickfont=dict(size=10),
                    outlinewidth=0, **kw)
    where = {} if of == 1 else dict(y=1.0, yanchor="top") if slot == 0 else dict(y=0.0, yanchor="bottom")
    return dict(title=dict(text=title, side="right"), thickness=12, len=0.8 if of == 1 else 0.46, **where, **kw)


#: text halos (CSS text-shadow) for labels inside and beside a node
HALO_DARK, HALO_LIGHT = "0px 0px 2px #000, 0px 0px 2px #000", "0px 0px 3px #fff, 0px 0px 3px #fff"
#: the ring around an observed variable
EVIDENCE_COLOR = "#222222"
#: label font size in px (node labels; factor labels one px smaller)
LABEL_FONT = 14

#: where along an edge (0 = sender, 1 = receiver) the direction arrow sits
ARROW_AT = 0.78


def _check_pos(graph: Any, pos: Any) -> np.ndarray:
    from explorer.errors import TraceError

    p = np.asarray(pos, dtype=float)
    if p.shape != (graph.n_nodes, 2):
        raise TraceError(f"expected positions of shape [{graph.n_nodes}, 2] (one x, y per node), "
                         f"found {list(p.shape)}; compute them with explorer.viz.layout.compute_layout")
    return p


def _scatter(webgl: bool, **kw: Any) -> go.Scatter | go.Scattergl:
    return go.Scattergl(**kw) if webgl else go.Scatter(**kw)


def node_hover(graph: Any, *, max_features: int = 6) -> list[str]:
    """``[N]`` hover text per node: id, label, role and the features rounded."""
    out = []
    labels, ids = graph.display_labels, graph.ids
    for i in range(graph.n_nodes):
        parts = [f"<b>{labels[i]}</b> (node {i}, id {ids[i]})"]
        if graph.roles is not None:
            parts.append(f"role: {graph.roles[i]}")
        if graph.x is not None:
            parts.append("x = " + fmt_vec(graph.x[i], max_len=max_features, digits=3))
        if graph.y is not None:
            parts.append(f"y = {graph.y[i]}")
        out.append("<br>".join(parts))
    return out


def edge_lines(graph: Any, pos: np.ndarray, edges: np.ndarray | None = None) -> tuple[list, list]:
    """x and y lists for one line trace: each distinct pair once, separated by ``None``."""
    if edges is None:
        pairs = graph.undirected_pairs()
    else:
        s, r = graph.senders[edges], graph.receivers[edges]
        pairs = np.unique(np.stack([np.minimum(s, r), np.maximum(s, r)], 1), axis=0) if len(edges) else \
            np.zeros((0, 2), dtype=np.int64)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]] if len(pairs) else pairs
    xs = np.full(3 * len(pairs), np.nan)
    ys = np.full(3 * len(pairs), np.nan)
    xs[0::3], xs[1::3] = pos[pairs[:, 0], 0], pos[pairs[:, 1], 0]
    ys[0::3], ys[1::3] = pos[pairs[:, 0], 1], pos[pairs[:, 1], 1]
    conv = lambda a: [None if np.isnan(v) else round(float(v), 4) for v in a]  # noqa: E731
    return conv(xs), conv(ys)


def _arrows(graph: Any, pos: np.ndarray, webgl: bool, size: float) -> go.Scatter | go.Scattergl:
    keep = graph.senders != graph.receivers
    s, r = graph.senders[keep], graph.receivers[keep]
    if not graph.directed:
        s, r = s[:0], r[:0]
    d = pos[r] - pos[s]
    at = pos[s] + ARROW_AT * d
    angle = np.degrees(np.arctan2(d[:, 0], d[:, 1]))  # clockwise from "up", as Plotly's marker.angle
    return _scatter(webgl, x=np.round(at[:, 0], 4), y=np.round(at[:, 1], 4), mode="markers",
                    marker=dict(symbol="arrow", size=max(7.0, size * 0.55), angle=np.round(angle, 1),
                                color="rgba(90,90,90,0.85)", line=dict(width=0)),
                    hoverinfo="skip", showlegend=False, name="direction")


def plot_area(width: float, height: float, margin: dict[str, float], bars_px: float = 0.0) -> tuple[float, float]:
    """The plot area ``(W, H)`` in px of a figure ``width x height`` with ``margin`` (l, r, t, b)
    and colour bars taking ``bars_px`` on the right."""
    return (max(width - margin.get("l", 0) - margin.get("r", 0) - bars_px, 50.0),
            max(height - margin.get("t", 0) - margin.get("b", 0), 50.0))


def _marker_px(graph: Any, pos: np.ndarray, area: tuple[float, float]) -> float:
    """Node marker diameter: :func:`node_size`, grown up to 24 px while nodes stay apart."""
    base = node_size(graph.n_nodes)
    n = graph.n_nodes
    if n < 2 or n > LABEL_MAX or base >= 24:
        return base
    span = np.maximum(np.ptp(pos, 0), 1e-9)
    s = 0.8 * min(area[0] / span[0], area[1] / span[1])
    d = np.sqrt(((pos[:, None] - pos[None]) ** 2).sum(-1))
    np.fill_diagonal(d, np.inf)
    return float(np.clip(0.6 * d.min() * s, base, 24.0))


def plan_labels(graph: Any, pos: np.ndarray, *, size: float, area: tuple[float, float],
                texts: list[str] | None = None, avoid: np.ndarray | None = None) -> LabelPlan:
    """Node labels placed for a plot area of ``area`` px (see :mod:`explorer.viz.labels`).

    Variables come first, factors after them with one px less font (and none above
    :data:`~explorer.viz._common.LABEL_THRESHOLD` nodes); above :data:`LABEL_MAX` nodes none.
    """
    n = graph.n_nodes
    texts = list(graph.display_labels) if texts is None else list(texts)
    fac = is_factor(graph)
    if n > LABEL_MAX:
        texts = [""] * n
    elif n > LABEL_THRESHOLD:
        texts = ["" if f else t for t, f in zip(texts, fac)]
    diam = np.where(fac, size * 0.75, size)
    order = list(np.flatnonzero(~fac)) + list(np.flatnonzero(fac))
    pairs = graph.undirected_pairs()
    return plan_node_labels(pos, texts, marker_px=diam, area=area, font=LABEL_FONT if n <= LABEL_THRESHOLD else 12,
                            order=order, edges=pairs if n <= 120 else None, rounds=4 if n <= 120 else 2,
                            avoid=avoid, inside=n <= DENSE)


def label_trace(plan: LabelPlan, hover: list[str], *, font: float) -> go.Scatter:
    """The placed labels as one text trace (dropped ones absent; full text on the node's hover).

    Always SVG, even over a WebGL graph: at most :data:`LABEL_MAX` labels, and only SVG text
    takes the white halo that keeps dark text readable on a dark node.
    """
    keep = np.flatnonzero(~np.isnan(plan.x))
    return go.Scatter(x=np.round(plan.x[keep], 5), y=np.round(plan.y[keep], 5), mode="text",
                      text=[plan.text[i] for i in keep], textposition="middle center",
                      # inside a node: white with a dark halo (reads on yellow and on purple);
                      # beside it: dark with a white halo (reads over edges and arrows)
                      textfont=dict(size=font, color=["white" if plan.inside[i] else "#111" for i in keep],
                                    shadow=[HALO_DARK if plan.inside[i] else HALO_LIGHT for i in keep]),
                      hovertext=[hover[i] for i in keep], hovertemplate="%{hovertext}<extra></extra>",
                      customdata=keep, showlegend=False, name="labels")


def base_traces(graph: Any, pos: np.ndarray, *, selected: int | None = None,
                highlight_edges: np.ndarray | None = None, width: int | None = None,
                height: int | None = None, margin: dict[str, float] | None = None, bars_px: float = 0.0,
                label_text: list[str] | None = None, evidence: Any = (),
                avoid: np.ndarray | None = None) -> dict[str, Any]:
    """The static pieces every graph view shares, keyed by role.

    Args:
        width, height: the figure size the labels are planned for (default :data:`PLAN_WIDTH`
            and the height :func:`frame_layout` gives).
        margin, bars_px: the figure's margins and the colour bars' width (px).
        label_text: the node labels to draw (default: the display labels).
        evidence: observed nodes, drawn with a thick dark ring (their label says the state).
        avoid: ``[k, 2]`` points labels must not cover (a trace view's message arrows).

    Returns:
        ``{"edges", "arrows", "highlight", "factors", "ring", "labels", "evidence"}`` traces plus
        ``"webgl"`` (bool), ``"size"`` (node marker size in px) and ``"plan"`` (the
        :class:`~explorer.viz.labels.LabelPlan`: label boxes and the axis ranges that hold them).
    """
    n = graph.n_nodes
    webgl = use_webgl(n)
    h = height or default_height(n)
    area = plot_area(width or PLAN_WIDTH, h, margin or BASE_LAYOUT["margin"], bars_px)
    size = _marker_px(graph, pos, area)
    xe, ye = edge_lines(graph, pos)
    width = 1.2 if n <= WEBGL_LINES else 0.6
    out: dict[str, Any] = {"webgl": webgl, "size": size}
    hover = node_hover(graph)
    out["plan"] = plan_labels(graph, pos, size=size, area=area, texts=label_text, avoid=avoid)
    font = LABEL_FONT if n <= LABEL_THRESHOLD else 12
    out["labels"] = label_trace(out["plan"], hover, font=font)
    out["edges"] = _scatter(webgl, x=xe, y=ye, mode="lines", line=dict(color=EDGE_COLOR, width=width),
                            hoverinfo="skip", showlegend=False, name="edges")
    out["arrows"] = _arrows(graph, pos, webgl, size)
    hx, hy = edge_lines(graph, pos, highlight_edges) if highlight_edges is not None else ([], [])
    out["highlight"] = _scatter(webgl, x=hx, y=hy, mode="lines", line=dict(color=HIGHLIGHT, width=3),
                                hoverinfo="skip", showlegend=False, name="incoming edges")
    fac = is_factor(graph)
    idx = np.flatnonzero(fac)
    out["factors"] = _scatter(
        webgl, x=pos[idx, 0], y=pos[idx, 1], mode="markers",
        text=[graph.display_labels[i] for i in idx],
        hovertext=[hover[i] for i in idx], hovertemplate="%{hovertext}<extra></extra>",
        marker=dict(symbol="square", size=size * 0.75, color=FACTOR_COLOR, line=dict(width=1, color="#444")),
        showlegend=bool(idx.size), name="factor", customdata=idx)
    ev = np.asarray(list(evidence), dtype=np.int64)
    out["evidence"] = _scatter(webgl, x=pos[ev, 0], y=pos[ev, 1], mode="markers", name="observed (evidence)",
                                 marker=dict(symbol="circle-open", size=size + 9, color=EVIDENCE_COLOR,
                                             line=dict(width=4, color=EVIDENCE_COLOR)),
                                 hoverinfo="skip", showlegend=bool(ev.size))
    if selected is not None:
        sel = check_node(graph, selected)
        out["ring"] = _scatter(webgl, x=[pos[sel, 0]], y=[pos[sel, 1]], mode="markers",
                               marker=dict(symbol="circle-open", size=size * 1.6, color=HIGHLIGHT,
                                           line=dict(width=3, color=HIGHLIGHT)),
                               hoverinfo="skip", showlegend=False, name="selected")
    else:
        out["ring"] = _scatter(webgl, x=[], y=[], mode="markers", hoverinfo="skip", showlegend=False,
                               name="selected",  # styled: the browser may fill it (the player)
                               marker=dict(symbol="circle-open", size=size * 1.6, color=HIGHLIGHT,
                                           line=dict(width=3, color=HIGHLIGHT)))
    return out


WEBGL_LINES = 300


def node_trace(graph: Any, pos: np.ndarray, values: np.ndarray | None, *, webgl: bool, size: float,
               title: str, cmin: float | None = None, cmax: float | None = None,
               colorscale: Any = SCALE, tickvals: list | None = None, ticktext: list | None = None,
               hovertext: list[str] | None = None, bar: dict[str, Any] | None = None) -> go.Scatter | go.Scattergl:
    """The non-factor nodes as one marker trace coloured by ``values`` (``[N]``, NaN = grey);
    ``bar``: where its colour bar goes (:func:`colorbar`'s ``below``, ``slot``, ``of``)."""
    fac = is_factor(graph)
    idx = np.flatnonzero(~fac)
    n = graph.n_nodes
    hover = hovertext if hovertext is not None else node_hover(graph)
    marker: dict[str, Any] = dict(size=size, line=dict(width=0.8 if n <= WEBGL_LINES else 0, color="#333"))
    if values is None:
        marker["color"] = "#4c78a8"
        template = "%{hovertext}<extra></extra>"
    else:
        v = np.asarray(values, dtype=float)[idx]
        marker.update(color=v, colorscale=colorscale, cmin=cmin, cmax=cmax, showscale=True,
                      colorbar=colorbar(title, tickvals=tickvals, ticktext=ticktext, **(bar or {"below": False})))
        template = "%{hovertext}<br>" + title + ": %{marker.color:.4g}<extra></extra>"
    text = [graph.display_labels[i] for i in idx]  # drawn by the labels trace; kept for hover
    return _scatter(webgl, x=pos[idx, 0], y=pos[idx, 1], mode="markers", text=text,
                    hovertext=[hover[i] for i in idx], hovertemplate=template, customdata=idx,
                    marker=marker, showlegend=False, name="nodes")


def default_height(n: int) -> int:
    """Figure height in px when the caller gives none."""
    return 520 if n <= LABEL_THRESHOLD else 680


def frame_layout(pos: np.ndarray, *, title: str | None, height: int | None, n: int,
                 plan: LabelPlan | None = None) -> dict[str, Any]:
    """Layout with fixed, equal-aspect axes (so an animation never rescales) and no grid.

    With a label ``plan`` the ranges are the plan's (room for every label); else the nodes'
    bounding box padded by 8%.
    """
    if plan is not None:
        xr, yr = plan.xrange, plan.yrange
    else:
        lo, hi = (pos.min(0), pos.max(0)) if len(pos) else (np.zeros(2), np.ones(2))
        pad = np.maximum((hi - lo) * 0.08, 0.1)
        xr, yr = (lo[0] - pad[0], hi[0] + pad[0]), (lo[1] - pad[1], hi[1] + pad[1])
    ax = dict(visible=False, showgrid=False, zeroline=False)
    return dict(BASE_LAYOUT, title=dict(text=title or "", x=0.02),
                height=height or default_height(n),
                xaxis=dict(ax, range=[float(xr[0]), float(xr[1])]),
                yaxis=dict(ax, range=[float(yr[0]), float(yr[1])], scaleanchor="x", scaleratio=1),
                legend=dict(orientation="h", x=0, y=-0.02, yanchor="top"),
                dragmode="pan", uirevision="graph")


def graph_figure(graph: Any, pos: Any, *, color: Any = None, color_title: str | None = None,
                 title: str | None = None, selected: int | None = None,
                 height: int | None = None, width: int | None = None) -> go.Figure:
    """A graph drawn with Plotly: edges, direction arrows, nodes (factors as squares), labels.

    Args:
        graph: the :class:`~explorer.graph.Graph`.
        pos: ``[N, 2]`` node positions (e.g. from ``compute_layout``).
        color: ``[N]`` numbers to colour the nodes by, or ``None`` for one colour.
        color_title: what ``color`` means, written on the colour bar.
        title: the figure title.
        selected: a node to ring, with its incoming edges highlighted.
        height: figure height in pixels (default depends on size).
        width: the width (px) labels are planned for (default :data:`PLAN_WIDTH`); the figure
            itself follows its container.

    Returns:
        A ``go.Figure``; traces are WebGL above 300 nodes.

    Raises:
        TraceError: when ``pos`` or ``color`` has the wrong shape, or ``selected`` is out of range.

    Shapes:
        pos ``[N, 2]``, color ``[N]``.
    """
    p = _check_pos(graph, pos)
    if color is not None:
        color = np.asarray(color, dtype=float).reshape(-1)
        if color.size != graph.n_nodes:
            from explorer.errors import TraceError
            raise TraceError(f"expected one colour value per node ({graph.n_nodes}), found {color.size}")
    inc = np.flatnonzero(graph.receivers == selected) if selected is not None else None
    margin = dict(BASE_LAYOUT["margin"], b=40 if is_factor(graph).any() else 10)
    below = color is not None and bars_below(p, plot_area(width or PLAN_WIDTH, height or default_height(graph.n_nodes),
                                                          margin))
    margin["b"] += BAR_ROW if below else 0
    base = base_traces(graph, p, selected=selected, highlight_edges=inc, width=width, height=height,
                       margin=margin, bars_px=BARS_PX if color is not None and not below else 0.0)
    finite = color[np.isfinite(color)] if color is not None else np.zeros(0)
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    nodes = node_trace(graph, p, color, webgl=base["webgl"], size=base["size"],
                       title=color_title or "value", cmin=lo, cmax=hi if hi > lo else lo + 1,
                       bar={"below": below})
    fig = go.Figure([base["edges"], base["arrows"], base["highlight"], nodes, base["factors"], base["ring"],
                     base["labels"]])
    default = f"{graph.name or 'graph'}: {graph.n_nodes} nodes, {fmt(graph.summary()['edges'])} edges"
    styled(fig, **dict(frame_layout(p, title=title or default, height=height, n=graph.n_nodes,
                                          plan=base["plan"]), margin=margin))
    return fig
