"""Small helpers shared by the figure builders: thresholds, number formatting, array decoding.

Nothing here draws; the modules beside it do. Kept separate so every view formats numbers the
same way (hover, tables and formulas agree digit for digit).
"""

from __future__ import annotations

import base64
import math
from typing import Any, Sequence

import numpy as np

from explorer.errors import TraceError
from explorer.trace import RAGGED_TYPES, Ragged

#: above this many nodes the views draw their static traces (edges, arrows, nodes of a still
#: graph) with WebGL (``scattergl``). SVG up to here: a software-rendered WebGL canvas (a
#: projector's laptop, a CI browser) costs seconds per redraw where SVG costs ~0.1 s at 1,000
#: nodes (``python -m explorer bench ui``)
WEBGL_THRESHOLD = 2000
#: an animated trace view keeps the traces its frames change (nodes, messages) in SVG up to this
#: many nodes, so a step is an in-place update (``redraw: false``) even when its edges are
#: WebGL; above it every trace is WebGL and a step is a full redraw
SVG_ANIMATED = 5000
#: above this many nodes markers shrink and lose their outline (a dense graph)
DENSE = 300
#: up to this many nodes the node labels are written next to the nodes
LABEL_THRESHOLD = 40
#: qualitative palette for classes, MAP states and WL colours (cycled when more are needed)
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#ad494a", "#637939", "#ce6dbd",
           "#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363", "#843c39")
#: continuous scale for node values (perceptually uniform)
SCALE = "Viridis"
#: scale for message magnitudes (distinct from the node scale so the two are not confused)
MESSAGE_SCALE = [[0.0, "#fdd49e"], [0.5, "#ef6548"], [1.0, "#7f0000"]]
FACTOR_COLOR = "#9e9e9e"
HIGHLIGHT = "#e4007c"
EDGE_COLOR = "rgba(120,120,120,0.55)"
BASE_LAYOUT: dict[str, Any] = dict(
    template="plotly_white",
    margin=dict(l=10, r=10, t=50, b=10),
    hoverlabel=dict(font_size=12),
    font=dict(size=13),
)


def styled(fig: Any, **layout: Any) -> Any:
    """``fig.update_layout(**layout)``, returning ``fig``, with a *named* ``template`` (such as
    :data:`BASE_LAYOUT`'s) set the way Plotly sets its default template: from the registered,
    already validated object, without validating and deep-copying it again. A page run builds
    several figures, and that copy (about 7 ms each) was a quarter of a warm page open; the
    figure's JSON is the same (``tests/test_viz_styled.py``).
    """
    import plotly.io as pio

    name = layout.pop("template", None)
    fig.update_layout(**layout)
    if isinstance(name, str) and name in pio.templates:
        lay = fig.layout
        before = lay._validate
        lay._validate = False  # as plotly's BaseFigure._initialize_layout_template does
        try:
            lay.template = pio.templates[name]
        finally:
            lay._validate = before
    elif name is not None:
        fig.update_layout(template=name)
    return fig


def use_webgl(n_nodes: int, *, animated: bool = False) -> bool:
    """True when a graph of ``n_nodes`` nodes is drawn with WebGL: above :data:`WEBGL_THRESHOLD`,
    or, for the traces an animation's frames change (``animated``), above :data:`SVG_ANIMATED`."""
    return n_nodes > (SVG_ANIMATED if animated else WEBGL_THRESHOLD)


def node_size(n_nodes: int) -> float:
    """Marker size in pixels that keeps a graph of ``n_nodes`` readable (big when labelled)."""
    if n_nodes <= LABEL_THRESHOLD:
        return 24.0
    if n_nodes <= DENSE:
        return 12.0
    return max(4.0, 9.0 - 1.5 * math.log10(n_nodes / DENSE) * 3)


def fmt(v: Any, digits: int = 4) -> str:
    """One number as short text: ``0.1235``, ``1.2e-07``, ``3``; ints stay ints."""
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return str(int(v))
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == int(v) and abs(v) < 1e6:
        return str(int(v))
    return f"{v:.{digits}g}"


def fmt_vec(values: Any, *, max_len: int = 6, digits: int = 4, sep: str = ", ") -> str:
    """A vector as ``[a, b, c]``; longer than ``max_len`` it keeps the ends: ``[a, b, …, z]``."""
    a = np.asarray(values).reshape(-1)
    items = [fmt(v, digits) for v in a]
    if len(items) > max_len:
        head = max_len - 2
        items = items[:head] + ["…"] + items[-1:]
    return "[" + sep.join(items) + "]"


def as_rows(values: Any) -> list[np.ndarray]:
    """Rows of an array ``[n, ...]`` or a ragged list, each flattened to 1-D float.

    Shapes:
        values ``[n, d...]`` or list of ``n`` arrays -> list of ``n`` arrays ``[d]``.
    """
    if values is None:
        return []
    if isinstance(values, RAGGED_TYPES):
        return [np.asarray(v, dtype=float).reshape(-1) for v in values]
    a = np.asarray(values, dtype=float)
    if a.ndim == 1:
        a = a[:, None]
    return [row.reshape(-1) for row in a]


def as_matrix(values: Any) -> np.ndarray | None:
    """An array ``[n, d]`` when every row has the same length, else ``None`` (ragged)."""
    if values is None:
        return None
    if isinstance(values, Ragged):
        w = values.lengths
        if w.size and (w == w[0]).all():
            return values.values.astype(float).reshape(len(values), int(w[0]))
    if not isinstance(values, RAGGED_TYPES):
        a = np.asarray(values, dtype=float)
        return a[:, None] if a.ndim == 1 else a.reshape(a.shape[0], -1)
    rows = as_rows(values)
    if not rows:
        return np.zeros((0, 0))
    if len({r.size for r in rows}) != 1:
        return None
    return np.stack(rows)


def check_step(trace: Any, step: int) -> int:
    """Return ``step`` as a non-negative index into ``trace.steps`` or raise :class:`TraceError`."""
    n = len(trace.steps)
    if n == 0:
        raise TraceError("expected a Trace with at least one step, found none; run the algorithm first")
    s = int(step)
    if s < 0:
        s += n
    if not 0 <= s < n:
        raise TraceError(f"step {step} is outside the valid range [0, {n - 1}] of this Trace")
    return s


def check_node(graph: Any, node: int) -> int:
    """Return ``node`` as an int or raise :class:`TraceError` naming the valid range."""
    i = int(node)
    if not 0 <= i < graph.n_nodes:
        raise TraceError(f"node {node} is outside the valid range [0, {graph.n_nodes - 1}]")
    return i


def decode_array(obj: Any) -> np.ndarray:
    """A Plotly JSON value as numpy: a list, or a base64 typed array ``{"dtype", "bdata"}``.

    Plotly 6+ writes numpy arrays as base64 typed arrays in figure JSON; tests and the UI read
    figure JSON back through this one helper.
    """
    if isinstance(obj, dict) and "bdata" in obj:
        data = np.frombuffer(base64.b64decode(obj["bdata"]), dtype=np.dtype(obj["dtype"]))
        shape = obj.get("shape")
        if shape:
            dims = [int(s) for s in str(shape).split(",")] if isinstance(shape, str) else list(shape)
            data = data.reshape(dims)
        return data
    if obj is None:
        return np.zeros(0)
    return np.asarray(obj, dtype=object if _has_none(obj) else None)


def _has_none(obj: Sequence) -> bool:
    return isinstance(obj, (list, tuple)) and any(v is None for v in obj)
