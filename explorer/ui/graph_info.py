"""What a graph is made of: size and degree figures, reader warnings, and a node table."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from explorer.graph import Graph

__all__ = ["summary_panel", "degree_figure", "node_rows"]


def degree_figure(graph: Graph) -> go.Figure:
    """A bar chart: how many nodes have each degree (in-degree for directed graphs)."""
    deg = graph.in_degree() if graph.directed else graph.out_degree()
    counts = np.bincount(deg) if deg.size else np.zeros(1, dtype=int)
    fig = go.Figure(go.Bar(x=np.arange(counts.size), y=counts, marker_color="#4c78a8",
                           hovertemplate="degree %{x}: %{y} nodes<extra></extra>"))
    fig.update_layout(height=220, margin=dict(l=40, r=10, t=30, b=40),
                      title=dict(text="Degree distribution", font=dict(size=14)),
                      xaxis_title="in-degree" if graph.directed else "degree",
                      yaxis_title="nodes", bargap=0.15)
    return fig


def node_rows(graph: Graph, limit: int = 500) -> list[dict[str, Any]]:
    """One row per node (up to ``limit``): id, label, degree, role, class and features."""
    deg = graph.in_degree() if graph.directed else graph.out_degree()
    out = []
    for i in range(min(graph.n_nodes, limit)):
        row: dict[str, Any] = {"node": i, "id": str(graph.ids[i]), "label": graph.display_labels[i],
                               "degree": int(deg[i])}
        if graph.roles is not None:
            row["role"] = graph.roles[i]
        if graph.y is not None:
            row["y"] = graph.y[i].item()
        if graph.x is not None:
            row["x"] = ", ".join(f"{v:.3g}" for v in graph.x[i][:12])
        out.append(row)
    return out


def summary_panel(graph: Graph) -> None:
    """Size and degree metrics, the degree chart and every reader warning."""
    s = graph.summary()
    cols = st.columns(5)
    cols[0].metric("Nodes", f"{s['nodes']:,}")
    cols[1].metric("Edges", f"{s['edges']:,}", help="Undirected edges are counted once.")
    cols[2].metric("Type", "directed" if s["directed"] else "undirected")
    cols[3].metric("Mean degree", f"{s['degree_mean']:.2f}",
                   help=f"min {s['degree_min']}, max {s['degree_max']}")
    cols[4].metric("Features", f"{s['node_features']} / {s['edge_features']}",
                   help="node feature width / edge feature width (0 = none)")
    for w in s["warnings"]:
        st.warning(w, icon=":material/warning:")
    if s["self_loops"]:
        st.caption(f"{s['self_loops']} self-loop(s): a node that sends a message to itself.")
