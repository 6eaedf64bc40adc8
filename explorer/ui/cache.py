"""Every Streamlit cache of the app, in one module (so a caching API change touches one file).

Rules:
- ``st.cache_data`` on thin wrappers whose arguments are hashable settings plus a short content
  key (``"sample:karate"``, ``"upload:<sha1>"``); the objects themselves are passed with an
  underscore prefix so Streamlit does not hash them.
- ``st.cache_resource`` only where a copy would be wrong or wasteful: torch modules, and the
  large Plotly figures, which are never mutated after they are built.
- Engines are looked up through their modules at call time (``nn.run_stack``), so a test can
  count the calls; a rerun that changes only the step or the selected node calls no engine.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from explorer.graph import Graph

__all__ = ["samples", "sample_graph", "upload_graph", "sample_model", "upload_model", "layout",
           "graph_figure", "clear"]

_DATA = dict(show_spinner=False, max_entries=64)


def clear() -> None:
    """Forget every cached value (tests; the app never needs it)."""
    st.cache_data.clear()
    st.cache_resource.clear()


# ---------------------------------------------------------------------- inputs
@st.cache_data(**_DATA)
def samples(kind: str | None = None) -> list:
    """The sample index entries of ``kind`` (see :func:`explorer.io.list_samples`)."""
    from explorer import io

    return io.list_samples(kind)


@st.cache_data(**_DATA)
def sample_graph(name: str) -> Graph:
    """A sample graph by name."""
    from explorer import io

    return io.load_graph(name)


@st.cache_data(show_spinner=False, max_entries=8)
def upload_graph(data: bytes, filename: str) -> Graph:
    """An uploaded graph file (format from the file name's extension)."""
    from explorer import io

    return io.read_graph_bytes(data, filename)


@st.cache_data(**_DATA)
def sample_model(name: str) -> Any:
    """A sample graphical model by name (a factor graph)."""
    from explorer import pgm

    return pgm.load_model(name)


@st.cache_data(show_spinner=False, max_entries=8)
def upload_model(data: bytes, filename: str) -> Any:
    """An uploaded graphical model (UAI, BIF, XMLBIF)."""
    from explorer import pgm

    return pgm.read_model_bytes(data, filename)


# ---------------------------------------------------------------------- layouts and figures
@st.cache_data(**_DATA)
def layout(_graph: Graph, key: str, method: str = "auto", seed: int = 0) -> np.ndarray:
    """Node positions ``[N, 2]`` for the graph named by ``key``; computed once per graph."""
    try:
        from explorer.viz import layout as viz_layout
    except ImportError:  # until explorer.viz.layout lands: networkx's spring layout
        import networkx as nx

        if _graph.pos is not None:
            return np.asarray(_graph.pos, dtype=float)
        p = nx.spring_layout(_graph.to_networkx(), seed=seed)
        return np.array([p[i] for i in _graph.ids], dtype=float)
    return viz_layout.compute_layout(_graph, method=method, seed=seed)


def layout_names() -> list[str]:
    """The layout methods the app offers ("auto" first)."""
    try:
        from explorer.viz.layout import LAYOUTS
    except ImportError:
        return ["auto"]
    names = list(LAYOUTS)
    return names if "auto" in names else ["auto", *names]


@st.cache_resource(show_spinner=False, max_entries=32)
def graph_figure(_graph: Graph, key: str, _pos: np.ndarray, pos_key: str,
                 selected: int | None = None, by_label: bool = True) -> Any:
    """The plain drawing of a graph (no run yet), coloured by the class ``y`` when it has one
    and ``by_label``. Read-only: shared between sessions."""
    try:
        from explorer.viz import graph_figure as build
    except ImportError:
        from explorer.viz.graph_view import graph_figure as build
    color = _graph.y if by_label and _graph.y is not None else None
    return build(_graph, _pos, selected=selected, color=color,
                 color_title="class y" if color is not None else None)
