"""Plotly figure builders: pure functions from (Graph, Trace, options) to ``go.Figure``.

    graph_figure, trace_figure, color_modes        the graph view and its animation
    message_rows, messages_csv                     messages as a table / CSV
    node_update_latex                              one node's update as a formula with numbers
    convergence_figure, belief_bars, attention_figure, metrics_figure, heatmaps_figure,
    loss_figure, wl_histogram_figure, elimination_cost_figure          charts
    export_html, export_png                        standalone offline HTML, PNG via kaleido
    decode_array                                   read arrays back from figure JSON

No streamlit here (the UI in ``explorer/ui/`` calls these). Names load lazily, so importing
``explorer.viz.layout`` does not import Plotly.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "graph_figure": "graph_view", "trace_figure": "trace_view", "TRACE_NAMES": "trace_view",
    "ANIMATED_TRACES": "trace_view", "color_modes": "colors", "color_spec": "colors",
    "node_values": "colors", "message_rows": "messages", "messages_csv": "messages",
    "node_update_latex": "formulas", "convergence_figure": "charts", "belief_bars": "charts",
    "attention_figure": "charts", "loss_figure": "charts", "wl_histogram_figure": "charts",
    "elimination_cost_figure": "charts", "metrics_figure": "panels", "heatmaps_figure": "panels",
    "export_html": "export", "export_png": "export", "find_browser": "export",
    "decode_array": "_common", "WEBGL_THRESHOLD": "_common",
}

_SUBMODULES = frozenset({"layout", "graph_view", "trace_view", "colors", "messages", "formulas", "charts",
                         "panels", "export", "commands"})

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None and name in _SUBMODULES:
        return importlib.import_module(f"explorer.viz.{name}")
    if module is None:
        raise AttributeError(f"module 'explorer.viz' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"explorer.viz.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
