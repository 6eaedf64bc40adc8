"""A grid-shaped model drawn as the picture it is: one heatmap cell per variable.

An Ising or Potts grid (image denoising) is easier to read as an image than as a graph of a
hundred circles: the MAP is the cleaned picture and the beliefs are how sure each pixel is.

    grid_shape(fg)                 (rows, cols) when the model is a 4-neighbour lattice, else None
    lattice_figure(shape, panels)  a row of heatmaps, one per panel, row 0 at the top
    result_panels(fg, marginals, assignment, what)   the MAP and a belief per pixel, as panels

Variable ``r * cols + c`` is pixel ``(r, c)`` (row-major), as :func:`explorer.pgm.ising_grid`
and the ``ising10`` sample number them. Pure Plotly; no streamlit.
"""

from __future__ import annotations

import math
import re
from typing import Any, Sequence

import numpy as np

from explorer.errors import ModelError

__all__ = ["grid_shape", "lattice_edges", "lattice_figure", "result_panels", "Panel"]

#: ``(title, values [rows * cols], zmin, zmax, colorscale, text per value or None)``
Panel = tuple[str, Sequence[float], float, float, str, Sequence[str] | None]
_RC = re.compile(r"^r(\d+)c(\d+)$")


def lattice_edges(rows: int, cols: int) -> set[tuple[int, int]]:
    """The 4-neighbour pairs ``(i, j)``, ``i < j``, of a row-major ``rows x cols`` grid.

    >>> sorted(lattice_edges(2, 2))
    [(0, 1), (0, 2), (1, 3), (2, 3)]
    """
    out = {(r * cols + c, r * cols + c + 1) for r in range(rows) for c in range(cols - 1)}
    out |= {(r * cols + c, (r + 1) * cols + c) for r in range(rows - 1) for c in range(cols)}
    return out


def grid_shape(fg: Any) -> tuple[int, int] | None:
    """``(rows, cols)`` when ``fg`` is a grid model, else ``None``.

    Evidence, in order: ``fg.meta["grid"]`` (set by :func:`explorer.pgm.ising_grid`); variable
    names ``r{r}c{c}`` covering a full grid; else the structure itself — every factor has one
    or two variables and the pairs are exactly the 4-neighbour edges of a row-major grid of
    some shape with at least two rows and two columns (the ``ising10`` sample, read from UAI
    with plain numbers as names, is found this way).

    Cost: ``O(factors · divisors(n))``.
    """
    n = fg.n_vars
    grid = (getattr(fg, "meta", None) or {}).get("grid")
    if grid is not None and int(grid[0]) * int(grid[1]) == n:
        return int(grid[0]), int(grid[1])
    cells = [_RC.match(str(name)) for name in fg.names]
    if n and all(cells):
        rc = [(int(m.group(1)), int(m.group(2))) for m in cells]
        rows, cols = max(r for r, _ in rc) + 1, max(c for _, c in rc) + 1
        if rows * cols == n and all(r * cols + c == i for i, (r, c) in enumerate(rc)):
            return rows, cols
    if any(f.arity > 2 for f in fg.factors):
        return None
    pairs = {(min(f.scope), max(f.scope)) for f in fg.factors if f.arity == 2}
    for rows in range(2, math.isqrt(n) + 1) if n >= 4 else ():
        if n % rows:
            continue
        for r, c in {(rows, n // rows), (n // rows, rows)}:
            if pairs == lattice_edges(r, c):
                return r, c
    return None


def result_panels(fg: Any, marginals: dict, assignment: dict | None = None, *,
                  what: str = "P", name: str = "exact") -> list[Panel]:
    """Panels of an inference result: the assignment's state indices (when given) and each
    pixel's ``marginals`` entry for state index 1 (``NaN`` for variables not listed, such as
    evidence).

    Args:
        marginals: ``{VAR: {STATE: p}}`` (marginals, or max-marginals with ``what`` saying so).
        assignment: ``{VAR: STATE}`` (a MAP), or None.
        name: what produced them ("exact", "BP"), used in the panel titles.
    """
    nan = float("nan")
    out: list[Panel] = []
    if assignment is not None:
        out.append((f"{name} MAP", [float(fg.states[i].index(assignment[n])) if n in assignment
                                    else nan for i, n in enumerate(fg.names)],
                    0, max(fg.cards) - 1, "Greys", None))
    out.append((f"{name} {what} of state index 1",
                [float(list(marginals[n].values())[min(1, fg.cards[i] - 1)]) if n in marginals
                 else nan for i, n in enumerate(fg.names)], 0, 1, "Viridis", None))
    return out


def lattice_figure(shape: tuple[int, int], panels: Sequence[Panel], *, title: str = "",
                   height: int = 320) -> Any:
    """A row of heatmaps over the same ``rows x cols`` lattice, row 0 at the top.

    Args:
        shape: ``(rows, cols)``.
        panels: one :data:`Panel` per heatmap; ``values`` are in variable order (row-major).
        title: the figure title.

    Returns:
        A ``go.Figure`` with one ``heatmap`` trace per panel (named by the panel's title) whose
        ``z`` is ``[rows, cols]``; hover shows the pixel, the variable index and the value.

    Raises:
        ModelError: a panel whose length is not ``rows * cols``.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    rows, cols = shape
    fig = make_subplots(1, len(panels), subplot_titles=[p[0] for p in panels],
                        horizontal_spacing=0.06)
    idx = np.arange(rows * cols).reshape(rows, cols)
    for k, (name, values, zmin, zmax, scale, text) in enumerate(panels):
        z = np.asarray(values, dtype=float)
        if z.size != rows * cols:
            raise ModelError(f"panel {name!r} has {z.size} values; a {rows}x{cols} grid needs "
                             f"{rows * cols}")
        txt = np.asarray(text if text is not None else [f"{v:.3g}" for v in z]).reshape(rows, cols)
        fig.add_trace(go.Heatmap(z=z.reshape(rows, cols), zmin=zmin, zmax=zmax, colorscale=scale,
                                 name=name, customdata=idx, text=txt, showscale=False,
                                 xgap=1, ygap=1,
                                 hovertemplate="pixel (%{y}, %{x}) · variable %{customdata}"
                                               "<br>%{text}<extra>" + name + "</extra>"),
                      1, k + 1)
        fig.update_yaxes(autorange="reversed", scaleanchor=f"x{k + 1 if k else ''}",
                         showticklabels=False, showgrid=False, zeroline=False, row=1, col=k + 1)
        fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False, constrain="domain",
                         row=1, col=k + 1)
    fig.update_layout(title=title or None, height=height, margin=dict(l=10, r=10, t=60, b=10),
                      plot_bgcolor="#d9d9d9")
    return fig
