"""A computation tree drawn top-down: the root (the node being updated) on top, each level one
round earlier, every tree node labelled with the graph node it stands for.

Pure Plotly (no streamlit). Layout: leaves get consecutive x positions in tree order and every
parent sits at the mean x of its children (the classic tidy-tree rule, O(T)).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import plotly.graph_objects as go

from explorer.errors import TraceError
from explorer.viz._common import BASE_LAYOUT, PALETTE, SCALE
from explorer.viz._common import styled  # the base layout, cheaply (see there)

__all__ = ["tree_positions", "tree_figure"]


def tree_positions(parent: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """``[T, 2]`` positions: x from the leaf order, y = -depth.

    ``parent`` must list parents before children (as :func:`explorer.nn.receptive.computation_tree`).
    """
    parent, depth = np.asarray(parent), np.asarray(depth)
    T = parent.size
    children: list[list[int]] = [[] for _ in range(T)]
    for t in range(1, T):
        children[parent[t]].append(t)
    x = np.zeros(T)
    next_leaf = 0.0
    stack = [(0, False)] if T else []
    while stack:  # iterative post-order: children placed before their parent
        t, done = stack.pop()
        if not children[t]:
            x[t], next_leaf = next_leaf, next_leaf + 1.0
        elif done:
            x[t] = float(np.mean(x[children[t]]))
        else:
            stack.append((t, True))
            stack.extend((c, False) for c in reversed(children[t]))
    return np.stack([x, -depth.astype(float)], 1)


def tree_figure(tree: Any, labels: Sequence[str], *, hops: np.ndarray | None = None,
                title: str | None = None, height: int | None = None) -> go.Figure:
    """Draw a :class:`~explorer.nn.receptive.ComputationTree`.

    Args:
        tree: the tree (``nodes``, ``parent``, ``depth``).
        labels: ``[N]`` display labels of the *graph* nodes.
        hops: ``[N]`` optional hop distance of each graph node to the root; tree nodes are
            coloured by it, so a node that comes back (a walk, not a path) keeps its colour.

    Raises:
        TraceError: labels that do not cover the tree's graph nodes.
    """
    nodes = np.asarray(tree.nodes)
    if nodes.size and nodes.max() >= len(labels):
        raise TraceError(f"expected a label for every graph node up to {int(nodes.max())}, found {len(labels)}")
    pos = tree_positions(tree.parent, tree.depth)
    xs, ys = [], []
    for t in range(1, nodes.size):
        p = tree.parent[t]
        xs += [pos[p, 0], pos[t, 0], None]
        ys += [pos[p, 1], pos[t, 1], None]
    # a level with c nodes gets markers of about 380 / c px (a half-page column is ~400 px wide)
    per_level = np.bincount(np.asarray(tree.depth), minlength=1)
    sizes = np.clip(380.0 / np.maximum(per_level[np.asarray(tree.depth)], 1), 5.0, 22.0)
    # the graph view's scale (Viridis over hops 0..k), so a node has one colour in both views
    color = [float(hops[v]) for v in nodes] if hops is not None else PALETTE[0]
    text = [str(labels[v]) if sz >= 16 else "" for v, sz in zip(nodes, sizes)]
    fig = go.Figure([
        go.Scatter(x=xs, y=ys, mode="lines", line=dict(color="rgba(120,120,120,0.6)", width=1),
                   hoverinfo="skip", showlegend=False, name="messages"),
        go.Scatter(x=pos[:, 0], y=pos[:, 1], mode="markers+text", text=text,
                   textfont=dict(color="white", size=10), name="tree nodes", showlegend=False,
                   marker=dict(size=sizes, color=color, colorscale=SCALE, cmin=0,
                               cmax=max(max(color) if hops is not None and nodes.size else 1.0, 1.0),
                               line=dict(color="white", width=1)),
                   hovertext=[f"graph node {labels[v]}, depth {d}" for v, d in zip(nodes, tree.depth)],
                   hovertemplate="%{hovertext}<extra></extra>"),
    ])
    levels = int(np.max(tree.depth)) if nodes.size else 0
    styled(fig, **dict(BASE_LAYOUT, height=height or 140 + 90 * (levels + 1),
                             title=dict(text=title or f"Computation tree: {nodes.size} nodes", x=0.02),
                             xaxis=dict(visible=False),
                             yaxis=dict(tickvals=[-d for d in range(levels + 1)],
                                        ticktext=["root"] + [f"depth {d}" for d in range(1, levels + 1)],
                                        showgrid=False, zeroline=False)))
    return fig
