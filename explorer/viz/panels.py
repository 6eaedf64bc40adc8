"""Multi-panel figures: over-smoothing metrics per layer, and the matrix view R, X, Θ, X′.

Both only draw numbers they are given (a sweep's per-layer metric dicts; the matrices).
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explorer.errors import TraceError
from explorer.viz._common import BASE_LAYOUT, PALETTE, fmt
from explorer.viz._common import styled  # the base layout, cheaply (see there)

__all__ = ["metrics_figure", "heatmaps_figure", "picked_row", "DEFAULT_METRICS", "METRIC_LABELS", "PICK_MAX"]

#: default panels: the energy with the feature norm beside it (an energy can fall because X does)
DEFAULT_METRICS = ("dirichlet_energy", "feature_norm", "mad", "effective_rank")
METRIC_LABELS = {
    "dirichlet_energy": "Dirichlet energy E (Rusch et al.)",
    "dirichlet_energy_normalized": "normalised energy (Cai & Wang)",
    "survey_measure": "√E (survey measure)",
    "mad": "MAD (Chen et al.)",
    "mad_gap": "MADGap (far − near)",
    "effective_rank": "effective rank",
    "numerical_rank": "numerical rank",
    "feature_norm": "feature norm ‖X‖_F",
    "mean_cosine_similarity": "mean cosine similarity",
}
#: figure width (px) the heatmap cells are sized for — the main column at 1280 x 720 with the
#: sidebar open — and a digit's width at the 9 px cell font
PLAN_WIDTH, CHAR_PX = 900, 5.5
#: up to this many nodes every cell of R carries an invisible point, so a click on a row of R
#: selects that node (Plotly heatmaps themselves report no selection)
PICK_MAX = 150
#: metrics that can be zero or negative: drawn on a linear axis
_LINEAR = frozenset({"mad_gap", "mean_cosine_similarity"})


def _layers(sweep: Any) -> list[dict[str, Any]]:
    rows = getattr(sweep, "layers", sweep)
    if not isinstance(rows, (list, tuple)):
        raise TraceError(f"expected a SweepResult or a list of per-layer metric dicts, found {type(sweep).__name__}")
    return [dict(r) for r in rows]


def metrics_figure(sweeps: Mapping[str, Any], metrics: Sequence[str] = DEFAULT_METRICS, *,
                   log_y: bool = True, height: int | None = None) -> go.Figure:
    """Each metric against the layer, one line per run (architecture or remedy), one panel per metric.

    Args:
        sweeps: ``{name: SweepResult or [{"layer": k, metric: value, ...}, ...]}``.
        metrics: which metrics to draw, one panel each (default: energy, feature norm beside it,
            MAD, effective rank).
        log_y: log scale for positive metrics (MADGap and cosine similarity stay linear).
        height: figure height in pixels.

    Returns:
        A figure with up to two panels per row; a layer whose metrics overflowed (``None``)
        leaves a gap in its line; values ≤ 0 on a log axis are left out as well.

    Raises:
        TraceError: when ``sweeps`` is empty or an entry is not a list of layer dicts.
    """
    if not sweeps:
        raise TraceError("expected at least one sweep to draw, found none")
    metrics = list(metrics)
    cols = 2 if len(metrics) > 1 else 1
    nrows = math.ceil(len(metrics) / cols)
    fig = make_subplots(rows=nrows, cols=cols, subplot_titles=[METRIC_LABELS.get(m, m) for m in metrics],
                        horizontal_spacing=0.1, vertical_spacing=0.16 if nrows > 1 else 0.1)
    for j, (name, sweep) in enumerate(sweeps.items()):
        rows = _layers(sweep)
        x = [r.get("layer", i) for i, r in enumerate(rows)]
        color = PALETTE[j % len(PALETTE)]
        for p, m in enumerate(metrics):
            y = np.array([np.nan if r.get(m) is None else float(r[m]) for r in rows])
            if log_y and m not in _LINEAR:
                y = np.where(y > 0, y, np.nan)
            fig.add_trace(go.Scatter(x=x, y=y, name=name, legendgroup=name, showlegend=p == 0, mode="lines+markers",
                                     marker=dict(size=4), line=dict(color=color, width=2),
                                     hovertemplate=f"{name}<br>layer %{{x}}<br>{m}: %{{y:.4g}}<extra></extra>"),
                          row=p // cols + 1, col=p % cols + 1)
    for p, m in enumerate(metrics):
        r, c = p // cols + 1, p % cols + 1
        fig.update_yaxes(type="log" if log_y and m not in _LINEAR else "linear", exponentformat="power",
                         row=r, col=c)
        fig.update_xaxes(title_text="layer" if r == nrows else None, row=r, col=c)
    styled(fig, **dict(BASE_LAYOUT, height=height or 300 * nrows + 80,
                             title=dict(text="Over-smoothing: metrics per layer", x=0.02),
                             margin=dict(l=60, r=20, t=90, b=50),
                             legend=dict(orientation="h", y=1.06, yanchor="bottom", x=1, xanchor="right")))
    return fig


def _matrix(a: Any, name: str) -> np.ndarray:
    m = np.asarray(a, dtype=float)
    if m.ndim == 1:
        m = m[:, None]
    if m.ndim != 2:
        raise TraceError(f"expected {name} to be a 2-D matrix, found shape {list(m.shape)}")
    return m


def heatmaps_figure(R: Any, X: Any, Theta: Any, Xp: Any, *,
                    names: Sequence[str] = ("R", "X", "Θ", "X′ = R X Θ"),
                    node_labels: Sequence[str] | None = None, selected: int | None = None,
                    height: int | None = None) -> go.Figure:
    """R, X, Θ and X′ side by side as heatmaps (the matrix form of one layer).

    Each panel has its own diverging colour scale centred at 0 with its own colour bar; cells
    carry their value as hover text, and as text only where a cell is wide and tall enough for
    its number at a 1280 px wide figure (never overlapping numbers). ``selected`` outlines that
    node's row in R, X and X′.

    Shapes:
        R ``[N, N]``, X ``[N, F]``, Θ ``[F, H]``, X′ ``[N, H]``.

    Raises:
        TraceError: when a matrix is not 2-D or the shapes do not chain (R·X·Θ).
    """
    mats = [_matrix(R, "R"), _matrix(X, "X"), _matrix(Theta, "Theta"), _matrix(Xp, "X'")]
    r, x, t, xp = mats
    if not (r.shape[1] == x.shape[0] and x.shape[1] == t.shape[0] and xp.shape == (r.shape[0], t.shape[1])):
        raise TraceError(f"expected shapes R [N, N], X [N, F], Θ [F, H], X′ [N, H] that chain; found "
                         f"{list(r.shape)}, {list(x.shape)}, {list(t.shape)}, {list(xp.shape)}")
    widths = [m.shape[1] for m in mats]
    total = float(sum(widths))
    fig = make_subplots(rows=1, cols=4, subplot_titles=list(names), horizontal_spacing=0.1,
                        column_widths=[max(w / total, 0.12) for w in widths])
    n = r.shape[0]
    fig_h = height or min(900, max(360, 14 * n + 120))
    labels = list(node_labels) if node_labels is not None else [str(i) for i in range(n)]
    for c, (m, nm) in enumerate(zip(mats, names), start=1):
        lim = float(np.nanmax(np.abs(m))) if m.size else 1.0
        lim = lim or 1.0
        rows_lab = labels if c != 3 else [f"f{i}" for i in range(m.shape[0])]
        dom = fig.layout[f"xaxis{'' if c == 1 else c}"].domain
        # numbers only where a cell holds one: cell size in px at the figure's planned width
        cell_w = (dom[1] - dom[0]) * (PLAN_WIDTH - 80) / max(m.shape[1], 1)
        cell_h = (fig_h - 120) / max(m.shape[0], 1)
        digits = max((len(fmt(v, 3)) for v in m.reshape(-1)[:400]), default=1)
        small = m.size <= 400 and cell_w >= CHAR_PX * digits + 4 and cell_h >= 12
        fig.add_trace(go.Heatmap(z=m, x=[str(j) for j in range(m.shape[1])], y=rows_lab, zmid=0, zmin=-lim,
                                 zmax=lim, colorscale="RdBu_r", showscale=True,
                                 text=[[fmt(v, 3) for v in row] for row in m] if small else None,
                                 texttemplate="%{text}" if small else None, textfont=dict(size=9),
                                 colorbar=dict(x=dom[1] + 0.005, thickness=8, len=0.8, tickfont=dict(size=9)),
                                 hovertemplate=f"{nm}[%{{y}}, %{{x}}] = %{{z:.4g}}<extra></extra>"), 1, c)
        fig.update_yaxes(autorange="reversed", type="category", showticklabels=c in (1, 3),
                         tickfont=dict(size=9), row=1, col=c)
        fig.update_xaxes(type="category", tickfont=dict(size=9), row=1, col=c)
        if c == 1 and n <= PICK_MAX:  # the rows of R as click targets: one see-through square a cell
            rr, cc = np.divmod(np.arange(n * m.shape[1]), m.shape[1])
            fig.add_trace(go.Scatter(
                x=[str(j) for j in cc], y=[rows_lab[i] for i in rr], mode="markers", name="rows of R",
                marker=dict(symbol="square", size=max(4.0, min(cell_w, cell_h)), color="rgba(0,0,0,0)"),
                customdata=np.c_[rr, m.reshape(-1)], showlegend=False,
                hovertemplate=f"{nm}[%{{y}}, %{{x}}] = %{{customdata[1]:.4g}}<br>click: node %{{y}}<extra></extra>"),
                1, 1)
        if selected is not None and c != 3:
            fig.add_shape(type="rect", x0=-0.5, x1=m.shape[1] - 0.5, y0=selected - 0.5, y1=selected + 0.5,
                          line=dict(color="#111", width=2), row=1, col=c)
    styled(fig, **dict(BASE_LAYOUT, height=fig_h,
                             title=dict(text="Matrix view of one layer", x=0.02),
                             margin=dict(l=50, r=30, t=80, b=40)))
    return fig


def picked_row(selection: Any) -> int | None:
    """The node of a click on a row of R: the ``customdata`` row of the first selected point of
    the "rows of R" trace in a Streamlit selection state (``{"selection": {"points": [...]}}``),
    or None when nothing (or something else) was picked.

    Example:
        >>> picked_row({"selection": {"points": [{"curve_number": 1, "customdata": {"0": 5, "1": 0.2}}]}})
        5
    """
    sel = (selection or {}).get("selection") or {}
    for p in sel.get("points") or []:
        data = p.get("customdata")  # [row, value]; a typed array arrives as {"0": row, "1": value}
        row = data.get("0") if isinstance(data, dict) else data[0] if isinstance(data, (list, tuple)) and data else None
        if row is not None and p.get("curve_number") == 1:
            return int(row)
    return None
