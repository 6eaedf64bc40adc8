"""Charts of the chain lesson: the naive sum's k^n against elimination's n·k², over n.

    cost_series_figure(series, current)   operations against chain length, log-scale y

The series comes from :func:`explorer.pgm.chain.cost_series` (exact integers, counted
analytically). Pure Plotly; no streamlit.
"""

from __future__ import annotations

from typing import Any, Mapping

__all__ = ["cost_series_figure", "NAMES"]

#: trace name -> the series key it plots
NAMES = {"naive sum (kⁿ terms)": "naive_ops", "variable elimination": "elimination_ops",
         "n·k² (the essay's estimate)": "n_k2"}


def cost_series_figure(series: Mapping[str, Any], current: int | None = None) -> Any:
    """Operations of the naive sum and of variable elimination for every chain length.

    Args:
        series: ``cost_series(k, n_max)``'s dict (``n``, ``naive_ops``, ``elimination_ops``,
            ``n_k2``, ``k``).
        current: the chain length chosen on the page, marked with a dashed line.

    Returns:
        A ``go.Figure`` with one line per entry of :data:`NAMES` (named so), y on a log scale;
        hover gives the exact integer count.
    """
    import plotly.graph_objects as go

    fig = go.Figure()
    styles = {"naive_ops": dict(color="#d62728", width=3),
              "elimination_ops": dict(color="#1f77b4", width=3),
              "n_k2": dict(color="#1f77b4", width=1, dash="dot")}
    for name, key in NAMES.items():
        ys = [float(v) for v in series[key]]
        fig.add_trace(go.Scatter(x=list(series["n"]), y=ys, name=name, mode="lines+markers",
                                 line=styles[key], customdata=[f"{int(v):,}" for v in series[key]],
                                 hovertemplate="n = %{x}: %{customdata} operations<extra>"
                                               + name + "</extra>"))
    if current is not None:
        fig.add_vline(x=current, line=dict(color="grey", dash="dash"),
                      annotation_text=f"n = {current}", annotation_position="top left")
    fig.update_layout(title=f"Operations for P(Xn) with k = {series['k']} states: kⁿ against n·k²",
                      xaxis_title="chain length n", yaxis_title="operations (log scale)",
                      yaxis_type="log", height=360, margin=dict(l=10, r=10, t=50, b=10),
                      legend=dict(orientation="h", y=-0.25))
    return fig
