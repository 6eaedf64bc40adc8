"""Figures and formulas for the graph-network block, the MPNN's edge network, and sampling.

Pure Plotly and strings (no streamlit). :func:`gn_figure` draws a graph with its edge features
(coloured midpoint markers, hover shows the numbers) and a **global node** ``u`` above it,
joined to every node by a dotted line; the objects the current sub-step acts on are
highlighted (edges for phi_e, the edges into the selected node for rho_e->v, nodes for phi_v,
everything flowing into u for the rho_->u steps, u itself for phi_u). :func:`sampling_figure`
draws the edges a GraphSAGE layer read in colour and the dropped ones in light grey.
:mod:`explorer.viz.gn_formulas` writes the matching formulas with the numbers.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import plotly.graph_objects as go

from explorer.errors import TraceError
from explorer.viz._common import BASE_LAYOUT, HIGHLIGHT, PALETTE, fmt
from explorer.viz._common import styled  # the base layout, cheaply (see there)

__all__ = ["gn_figure", "sampling_figure", "edge_categories", "global_position", "fmt_row"]

NODE_COLOR = "#9ecae1"
KEPT_COLOR = "#1f77b4"
DROPPED_COLOR = "rgba(140,140,140,0.55)"


def _pos(graph: Any, pos: Any) -> np.ndarray:
    p = np.asarray(pos, dtype=float)
    if p.shape != (graph.n_nodes, 2):
        raise TraceError(f"expected positions of shape [{graph.n_nodes}, 2], found {list(p.shape)}")
    return p


def global_position(pos: np.ndarray) -> np.ndarray:
    """Where the global node ``u`` is drawn: centred above the graph."""
    lo, hi = pos.min(0), pos.max(0)
    span = float(max((hi - lo).max(), 1.0))
    return np.array([(lo[0] + hi[0]) / 2, hi[1] + 0.28 * span])


def edge_categories(edge_attr: np.ndarray, max_kinds: int = 8) -> tuple[np.ndarray, list[str]] | None:
    """Edges grouped by their feature row when there are at most ``max_kinds`` distinct rows.

    Returns:
        ``(kind [E], names)`` with names like ``"e = (0, 0, 1)"``, or ``None`` when the features
        take more distinct values (then they are shown as numbers only).
    """
    rows, kind = np.unique(np.round(np.asarray(edge_attr, float), 6), axis=0, return_inverse=True)
    if len(rows) > max_kinds:
        return None
    return kind.reshape(-1), ["e = (" + ", ".join(fmt(v, 3) for v in r) + ")" for r in rows]


def _pairs(graph: Any) -> list[list[int]]:
    """Directed edges grouped by unordered node pair (both directions of an undirected edge)."""
    groups: dict[tuple[int, int], list[int]] = {}
    for k in range(graph.n_edges):
        s, r = int(graph.senders[k]), int(graph.receivers[k])
        groups.setdefault((min(s, r), max(s, r)), []).append(k)
    return [ks for (a, b), ks in groups.items() if a != b]


def _lines(segments: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[list, list]:
    xs: list = []
    ys: list = []
    for a, b in segments:
        xs += [float(a[0]), float(b[0]), None]
        ys += [float(a[1]), float(b[1]), None]
    return xs, ys


def _arrow(p: np.ndarray, s: int, r: int, color: str, width: float = 2.5) -> dict[str, Any]:
    return dict(x=float(p[r][0]), y=float(p[r][1]), ax=float(p[s][0]), ay=float(p[s][1]),
                xref="x", yref="y", axref="x", ayref="y", showarrow=True, arrowhead=2,
                arrowsize=1.2, arrowwidth=width, arrowcolor=color, standoff=13, startstandoff=13, text="")


def _row(a: np.ndarray | None, i: int) -> str:
    return "" if a is None else fmt_row(a[i])


def fmt_row(v: Any, max_len: int = 6) -> str:
    """A short ``(a, b, …)`` text of a vector for hover labels."""
    a = np.asarray(v, float).reshape(-1)
    items = [fmt(x, 3) for x in a[:max_len]] + (["…"] if a.size > max_len else [])
    return "(" + ", ".join(items) + ")"


def _framed(traces: list, points: np.ndarray, arrows: list, title: str | None, height: int,
            revision: str) -> go.Figure:
    """A figure of ``traces`` on fixed, equal-aspect axes around ``points`` (padded by 8%), with
    the ``arrows`` as annotations."""
    lo, hi = points.min(0), points.max(0)
    pad = np.maximum((hi - lo) * 0.08, 0.15)
    ax = dict(visible=False, showgrid=False, zeroline=False)
    fig = go.Figure(traces)
    styled(fig, **dict(BASE_LAYOUT, title=dict(text=title or "", x=0.02), height=height,
                             xaxis=dict(ax, range=[float(lo[0] - pad[0]), float(hi[0] + pad[0])]),
                             yaxis=dict(ax, range=[float(lo[1] - pad[1]), float(hi[1] + pad[1])],
                                        scaleanchor="x", scaleratio=1),
                             legend=dict(orientation="h", x=0, y=-0.02, yanchor="top"),
                             annotations=arrows, dragmode="pan", uirevision=revision))
    return fig


def gn_figure(graph: Any, pos: Any, substep: dict[str, Any] | None, *, node: int, edge: int | None,
              edge_attr: np.ndarray, node_in: np.ndarray | None = None, u: Any = None,
              title: str | None = None, height: int = 500) -> go.Figure:
    """The graph, its edge features and the global node, with one GN sub-step highlighted.

    Args:
        graph: the :class:`~explorer.graph.Graph`.
        pos: ``[N, 2]`` positions.
        substep: one dict of :func:`explorer.nn.gn_steps.gn_substeps` (its ``key`` chooses what
            is highlighted; its numbers go into the hover labels), or ``None``: the block's
            inputs only, nothing highlighted.
        node: the selected node (rho_e->v and phi_v highlight it).
        edge: the selected directed edge (phi_e highlights it), or ``None``.
        edge_attr: ``[E, D]`` the edge features the block read (drawn on the edges).
        node_in: ``[N, F]`` the node states the block read (hover), or ``None``.
        u: the global vector the block read (hover on the global node), or ``None``.

    Raises:
        TraceError: positions, node or edge out of range.
    """
    p = _pos(graph, pos)
    if not 0 <= node < graph.n_nodes or (edge is not None and not 0 <= edge < graph.n_edges):
        raise TraceError(f"expected node in [0, {graph.n_nodes - 1}] and edge in [0, {graph.n_edges - 1}], "
                         f"found node={node}, edge={edge}")
    key, out = (substep["key"], np.asarray(substep["output"])) if substep else (None, None)
    labels = list(graph.display_labels)
    g = global_position(p)
    pairs = _pairs(graph)
    mids = np.array([(p[graph.senders[ks[0]]] + p[graph.receivers[ks[0]]]) / 2 for ks in pairs]).reshape(-1, 2)
    into = set(np.flatnonzero(graph.receivers == node).tolist())
    hot_edges = {"phi_e": set(range(graph.n_edges)), "rho_ev": into, "rho_eu": set(range(graph.n_edges))}.get(key, set())
    hot_nodes = {"phi_e": set() if edge is None else {int(graph.senders[edge]), int(graph.receivers[edge])},
                 "rho_ev": {node}, "phi_v": {node}, "rho_vu": set(range(graph.n_nodes))}.get(key, set())
    traces: list[Any] = []
    # dotted links of the global node: to every node, or (rho_e->u) to every edge
    to_edges = key == "rho_eu"
    ends = mids if to_edges else p
    xs, ys = _lines([(g, q) for q in ends])
    hot_links = key in ("rho_eu", "rho_vu")
    traces.append(go.Scatter(x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False, name="links to u",
                             line=dict(color=HIGHLIGHT if hot_links else "rgba(150,150,150,0.22)",
                                       width=1.6 if hot_links else 1, dash="dot")))
    xs, ys = _lines([(p[graph.senders[ks[0]]], p[graph.receivers[ks[0]]]) for ks in pairs])
    traces.append(go.Scatter(x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False, name="edges",
                             line=dict(color="rgba(110,110,110,0.6)", width=2)))
    hot_pairs = [ks for ks in pairs if any(k in hot_edges for k in ks)]
    if hot_pairs and key != "rho_ev":
        xs, ys = _lines([(p[graph.senders[ks[0]]], p[graph.receivers[ks[0]]]) for ks in hot_pairs])
        traces.append(go.Scatter(x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False,
                                 name="updated edges", line=dict(color=HIGHLIGHT, width=3.5)))
    # edge features at the midpoints: colour = feature kind, hover = e (and e' once computed)
    e_out = out if key == "phi_e" else None
    hover = []
    for ks in pairs:
        lines = []
        for k in ks:
            s, r = int(graph.senders[k]), int(graph.receivers[k])
            lines.append(f"{labels[s]} → {labels[r]}: e = {fmt_row(edge_attr[k])}"
                         + (f"<br>  e′ = {_row(e_out, k)}" if e_out is not None else ""))
        hover.append("<br>".join(lines))
    cats = edge_categories(edge_attr)
    if cats is not None:
        kind, names = cats
        for c, name in enumerate(names):
            idx = [j for j, ks in enumerate(pairs) if kind[ks[0]] == c]
            if not idx:
                continue
            traces.append(go.Scatter(x=mids[idx, 0], y=mids[idx, 1], mode="markers", name=name,
                                     marker=dict(symbol="diamond", size=11, color=PALETTE[c % len(PALETTE)],
                                                 line=dict(color="white", width=1)),
                                     hovertext=[hover[j] for j in idx], hoverinfo="text"))
    elif len(pairs):
        val = np.array([edge_attr[ks[0]][0] for ks in pairs])
        traces.append(go.Scatter(x=mids[:, 0], y=mids[:, 1], mode="markers", name="edge feature e[0]",
                                 marker=dict(symbol="diamond", size=11, color=val, colorscale="Cividis",
                                             showscale=True, colorbar=dict(title="e[0]", len=0.5)),
                                 hovertext=hover, hoverinfo="text"))
    # nodes
    v_out = out if key == "phi_v" else None
    nhover = [f"<b>{labels[i]}</b>" + (f"<br>v = {_row(node_in, i)}" if node_in is not None else "")
              + (f"<br>v′ = {_row(v_out, i)}" if v_out is not None else "") for i in range(graph.n_nodes)]
    traces.append(go.Scatter(x=p[:, 0], y=p[:, 1], mode="markers+text", text=labels, name="nodes",
                             textposition="middle center", textfont=dict(size=10, color="#111"),
                             marker=dict(size=28, color=NODE_COLOR,
                                         line=dict(color=[HIGHLIGHT if i in hot_nodes else "#ffffff"
                                                          for i in range(graph.n_nodes)],
                                                   width=[4 if i in hot_nodes else 1 for i in range(graph.n_nodes)])),
                             hovertext=nhover, hoverinfo="text", showlegend=False))
    hot_u = key in ("phi_u", "rho_eu", "rho_vu")
    u_text = ("u′ = " + fmt_row(out[0]) if key == "phi_u" else "u, the global state"
              + ("" if u is None else " = " + fmt_row(u)))
    traces.append(go.Scatter(x=[g[0]], y=[g[1]], mode="markers+text", text=["u"], name="global u",
                             textfont=dict(size=15, color="white"),
                             marker=dict(symbol="hexagon", size=44 if key == "phi_u" else 36,
                                         color=HIGHLIGHT if hot_u else "#6a51a3",
                                         line=dict(color="#333", width=1)),
                             hovertext=[u_text], hoverinfo="text", showlegend=False))
    arrows = []
    if key == "phi_e" and edge is not None:
        arrows.append(_arrow(p, int(graph.senders[edge]), int(graph.receivers[edge]), "#111", 3.5))
    if key == "rho_ev":
        arrows += [_arrow(p, int(graph.senders[k]), node, HIGHLIGHT) for k in sorted(into)]
    return _framed(traces, np.vstack([p, g[None, :]]), arrows, title, height, "gn")


def sampling_figure(graph: Any, pos: Any, kept: Any, *, node: int | None = None, title: str | None = None,
                    height: int = 500) -> go.Figure:
    """The edges one sampling GraphSAGE layer read (arrows) and the ones it dropped (grey).

    Args:
        graph: the graph; pos: ``[N, 2]``.
        kept: the kept directed edge ids of the layer.
        node: a node whose kept incoming edges are drawn in the highlight colour.

    Raises:
        TraceError: positions of the wrong shape or edge ids out of range.
    """
    p = _pos(graph, pos)
    kept = np.asarray(kept, dtype=np.int64).reshape(-1)
    if kept.size and (kept.min() < 0 or kept.max() >= graph.n_edges):
        raise TraceError(f"expected kept edge ids in [0, {graph.n_edges - 1}]")
    mask = np.zeros(graph.n_edges, bool)
    mask[kept] = True
    labels = list(graph.display_labels)
    pairs = _pairs(graph)
    dropped_pairs = [ks for ks in pairs if not mask[ks].any()]
    xs, ys = _lines([(p[graph.senders[ks[0]]], p[graph.receivers[ks[0]]]) for ks in dropped_pairs])
    traces: list[Any] = [go.Scatter(x=xs, y=ys, mode="lines", hoverinfo="skip", name="dropped (not read)",
                                    line=dict(color=DROPPED_COLOR, width=1.5, dash="dot"))]
    half = [ks for ks in pairs if mask[ks].any() and not mask[ks].all()]
    xs, ys = _lines([(p[graph.senders[ks[0]]], p[graph.receivers[ks[0]]]) for ks in half])
    traces.append(go.Scatter(x=xs, y=ys, mode="lines", hoverinfo="skip", name="read one way only",
                             line=dict(color="rgba(31,119,180,0.45)", width=1.5)))
    full = [ks for ks in pairs if mask[ks].all()]
    xs, ys = _lines([(p[graph.senders[ks[0]]], p[graph.receivers[ks[0]]]) for ks in full])
    traces.append(go.Scatter(x=xs, y=ys, mode="lines", hoverinfo="skip", name="read both ways",
                             line=dict(color=KEPT_COLOR, width=2.5)))
    indeg = np.bincount(graph.receivers, minlength=graph.n_nodes)
    kin = np.bincount(graph.receivers[kept], minlength=graph.n_nodes)
    hover = [f"<b>{labels[i]}</b><br>reads {kin[i]} of its {indeg[i]} incoming edges" for i in range(graph.n_nodes)]
    ring = [HIGHLIGHT if i == node else "#fff" for i in range(graph.n_nodes)]
    traces.append(go.Scatter(x=p[:, 0], y=p[:, 1], mode="markers+text", text=labels, name="nodes",
                             textfont=dict(size=10), showlegend=False,
                             marker=dict(size=22, color=NODE_COLOR, line=dict(color=ring, width=[4 if i == node else 1 for i in range(graph.n_nodes)])),
                             hovertext=hover, hoverinfo="text"))
    arrows = []
    if node is not None:
        arrows = [_arrow(p, int(graph.senders[k]), node, HIGHLIGHT) for k in kept if graph.receivers[k] == node]
    return _framed(traces, p, arrows, title, height, "sampling")
