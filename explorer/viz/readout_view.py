"""Figures for graph-level readout: a molecule with visible bond types, and node states pooling
into one vector.

Pure Plotly (no streamlit). Bond types follow the chemist's drawing: a single bond is one line,
a double bond two parallel lines, a triple bond three, an aromatic bond a line with a dashed
partner; each type is a legend entry, and hovering a bond's midpoint names it.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explorer.errors import TraceError
from explorer.viz._common import BASE_LAYOUT, fmt
from explorer.viz.graph_view import frame_layout
from explorer.viz._common import styled  # the base layout, cheaply (see there)

__all__ = ["molecule_figure", "pooling_figure", "ELEMENT_COLORS", "BOND_STYLES"]

#: atom colours (the usual CPK-like convention); other roles and plain nodes are grey-blue
ELEMENT_COLORS = {"C": "#555555", "N": "#3050f8", "O": "#e8291c", "S": "#d4b100", "F": "#5fbf3f",
                  "Cl": "#1fa01f"}
#: bond type -> (parallel strokes, dash of each stroke)
BOND_STYLES = {"single": ("solid",), "double": ("solid", "solid"),
               "triple": ("solid", "solid", "solid"), "aromatic": ("solid", "dash"), "bond": ("solid",)}


def _strokes(pos: np.ndarray, pairs: list[tuple[int, int]], dashes: Sequence[str], gap: float
             ) -> list[tuple[str, list, list]]:
    """Line coordinates (None-separated) for each parallel stroke of the given bonds."""
    out = []
    offsets = (np.arange(len(dashes)) - (len(dashes) - 1) / 2) * gap
    for k, dash in enumerate(dashes):
        xs, ys = [], []
        for u, v in pairs:
            d = pos[v] - pos[u]
            normal = np.array([-d[1], d[0]]) / max(float(np.hypot(*d)), 1e-12)
            a, b = pos[u] + offsets[k] * normal, pos[v] + offsets[k] * normal
            xs += [float(a[0]), float(b[0]), None]
            ys += [float(a[1]), float(b[1]), None]
        out.append((dash, xs, ys))
    return out


def molecule_figure(graph: Any, pos: Any, bond_kinds: Sequence[str], *, title: str | None = None,
                    height: int | None = 420) -> go.Figure:
    """A molecule (or any small undirected graph): atoms coloured by element, bonds by type.

    Args:
        graph: the :class:`~explorer.graph.Graph`; ``roles`` name the elements (None: plain).
        pos: ``[N, 2]`` positions.
        bond_kinds: ``[E]`` one of :data:`BOND_STYLES` per directed edge (twins share a bond).

    Raises:
        TraceError: ``pos`` or ``bond_kinds`` of the wrong length.
    """
    p = np.asarray(pos, dtype=float)
    if p.shape != (graph.n_nodes, 2) or len(bond_kinds) != graph.n_edges:
        raise TraceError(f"expected pos [{graph.n_nodes}, 2] and {graph.n_edges} bond kinds, found "
                         f"{list(p.shape)} and {len(bond_kinds)}")
    span = float(np.ptp(p, axis=0).max()) if graph.n_nodes > 1 else 1.0
    gap = 0.035 * span
    seen, by_kind = set(), {}
    for e in range(graph.n_edges):
        u, v = int(graph.senders[e]), int(graph.receivers[e])
        if (min(u, v), max(u, v)) in seen or u == v:
            continue
        seen.add((min(u, v), max(u, v)))
        by_kind.setdefault(bond_kinds[e], []).append((u, v))
    fig = go.Figure()
    for kind, pairs in by_kind.items():
        for k, (dash, xs, ys) in enumerate(_strokes(p, pairs, BOND_STYLES.get(kind, ("solid",)), gap)):
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name=f"{kind} bond" if kind != "bond" else "edge",
                                     legendgroup=kind,
                                     showlegend=k == len(BOND_STYLES.get(kind, ("solid",))) - 1, hoverinfo="skip",
                                     line=dict(color="#444", width=2, dash=dash)))
        mid = np.array([(p[u] + p[v]) / 2 for u, v in pairs])
        fig.add_trace(go.Scatter(x=mid[:, 0], y=mid[:, 1], mode="markers", legendgroup=kind, showlegend=False,
                                 marker=dict(size=10, opacity=0), name=f"{kind} bonds",
                                 hovertext=[f"{graph.display_labels[u]}–{graph.display_labels[v]}: {kind}"
                                            for u, v in pairs], hovertemplate="%{hovertext}<extra></extra>"))
    roles = graph.roles or tuple("" for _ in range(graph.n_nodes))
    colors = [ELEMENT_COLORS.get(r, "#7fa7d9") for r in roles]
    text = [r or str(i) for i, r in enumerate(roles)]
    fig.add_trace(go.Scatter(x=p[:, 0], y=p[:, 1], mode="markers+text", text=text, name="atoms",
                             textfont=dict(color="white", size=12), showlegend=False,
                             hovertext=list(graph.display_labels), hovertemplate="%{hovertext}<extra></extra>",
                             marker=dict(size=26, color=colors, line=dict(color="white", width=1.5))))
    styled(fig, **frame_layout(p, title=title or graph.name, height=height, n=graph.n_nodes))
    fig.update_layout(legend=dict(orientation="h", x=0, y=-0.02, yanchor="top"))
    return fig


def pooling_figure(states: Any, pooled: Any, *, mode: str, labels: Sequence[str],
                   weights: Any = None, height: int | None = None) -> go.Figure:
    """Node states (one row per node) above the pooled graph vector, on one colour scale.

    With attention pooling the weight of each node is written after its label.

    Shapes:
        states ``[N, d]``, pooled ``[d]``, weights ``[N]`` or None.

    Raises:
        TraceError: shapes that do not match.
    """
    h = np.asarray(states, dtype=float)
    g = np.asarray(pooled, dtype=float).reshape(1, -1)
    if h.ndim != 2 or g.shape[1] != h.shape[1] or len(labels) != h.shape[0]:
        raise TraceError(f"expected states [N, d] with N labels and a pooled [d]; found {list(h.shape)}, "
                         f"{len(labels)} labels and {list(g.shape)}")
    rows = list(labels) if weights is None else [f"{lab} (w={fmt(w, 2)})" for lab, w in zip(labels, weights)]
    lim = float(max(np.abs(h).max(initial=0), np.abs(g).max(initial=0))) or 1.0
    n = h.shape[0]
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        row_heights=[n / (n + 1.6), 1.6 / (n + 1.6)],
                        subplot_titles=["node states after the last layer", f"{mode} readout: one vector"])
    cols = [f"h{j}" for j in range(h.shape[1])]
    for r, (z, ys) in enumerate(((h, rows), (g, [mode])), start=1):
        small = z.size <= 300
        fig.add_trace(go.Heatmap(z=z, x=cols, y=ys, zmid=0, zmin=-lim, zmax=lim, colorscale="RdBu_r",
                                 showscale=r == 1, text=[[fmt(v, 3) for v in row] for row in z] if small else None,
                                 texttemplate="%{text}" if small else None, textfont=dict(size=9),
                                 hovertemplate="%{y}, %{x}: %{z:.4g}<extra></extra>"), r, 1)
        fig.update_yaxes(autorange="reversed", type="category", tickfont=dict(size=10), row=r, col=1)
    styled(fig, **dict(BASE_LAYOUT, height=height or min(760, max(360, 22 * n + 160)),
                             margin=dict(l=90, r=20, t=50, b=30)))
    return fig
