"""A small 2-D PCA scatter of the node embeddings at one layer, on axes fixed across layers.

Draws only the numbers of :func:`explorer.diagnostics.pca.layer_pca`: each layer's points on
its own top-2 principal axes, the axes' range ``±extent`` the same at every layer, so points
that fall together as the layers smooth them are seen shrinking towards the centre.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import plotly.graph_objects as go

from explorer.errors import TraceError
from explorer.viz._common import BASE_LAYOUT, PALETTE
from explorer.viz._common import styled  # the base layout, cheaply (see there)

__all__ = ["pca_scatter"]


def pca_scatter(pca: Any, layer: int, *, labels: Sequence[str] | None = None,
                classes: Any = None, height: int = 300) -> go.Figure:
    """The nodes at ``layer`` as points (PC1, PC2) on the fixed ``±pca.extent`` square.

    Args:
        pca: a :class:`~explorer.diagnostics.pca.LayerPCA`.
        layer: the layer shown (0 = input features).
        labels: node names for the hover text.
        classes: ``[N]`` int classes to colour the points by (one colour when None).
        height: figure height in pixels.

    Returns:
        One scatter trace per class (or one named ``"nodes"``); an overflowed layer draws no
        points and says so in the title.

    Raises:
        TraceError: for a layer outside the sweep.
    """
    n_layers = len(pca.scores)
    if not 0 <= int(layer) < n_layers:
        raise TraceError(f"layer must be between 0 and {n_layers - 1} (found {layer}); pick a shown step")
    s = pca.scores[layer]
    e = pca.explained[layer]
    lim = 1.05 * float(pca.extent)
    fig = go.Figure()
    if s is None:
        title = f"layer {layer}: features overflowed, no PCA"
    else:
        n = s.shape[0]
        names = list(labels) if labels is not None else [str(i) for i in range(n)]
        groups: list[tuple[str, np.ndarray, str]]
        if classes is not None:
            y = np.asarray(classes).reshape(-1)
            groups = [(f"class {c}", np.flatnonzero(y == c), PALETTE[j % len(PALETTE)])
                      for j, c in enumerate(np.unique(y))]
        else:
            groups = [("nodes", np.arange(n), PALETTE[0])]
        for name, idx, color in groups:
            fig.add_trace(go.Scatter(x=s[idx, 0], y=s[idx, 1], mode="markers", name=name,
                                     marker=dict(size=7, color=color, line=dict(width=0.5, color="#333")),
                                     hovertext=[names[i] for i in idx],
                                     hovertemplate="%{hovertext}<br>PC1 %{x:.3g}<br>PC2 %{y:.3g}<extra></extra>"))
        title = f"layer {layer}: PC1 {100 * e[0]:.0f}%, PC2 {100 * e[1]:.0f}% of the variance"
    fig.update_xaxes(range=[-lim, lim], title_text="PC1", zeroline=True, exponentformat="power")
    fig.update_yaxes(range=[-lim, lim], title_text="PC2", zeroline=True, exponentformat="power",
                     scaleanchor="x", scaleratio=1)
    styled(fig, **dict(BASE_LAYOUT, height=height, title=dict(text=title, x=0.02, font=dict(size=12)),
                             margin=dict(l=50, r=10, t=40, b=40), showlegend=classes is not None,
                             legend=dict(orientation="h", y=-0.25)))
    return fig
