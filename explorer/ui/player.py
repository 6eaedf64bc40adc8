"""Play a Trace: step controls, the animated graph, the detail panel and the exports.

The step and the selected node live in ``st.session_state`` (bound to the page's View, so they
are in the URL too); nothing here sleeps or loops. Plotly's own Play button and slider animate
the figure in the browser; the Streamlit controls (first, back, next, last, and the arrow keys)
move the step that the detail panel explains. Every figure comes from :mod:`explorer.ui.cache`,
so a rerun that changes only the step or the node recomputes no engine.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from explorer import viz
from explorer.trace import Trace
from explorer.ui import cache
from explorer.ui.guard import attempt
from explorer.ui.state import View, lecture_mode

__all__ = ["DEFAULTS", "SPEEDS", "play", "step_controls", "node_picker", "detail_panel", "formula",
           "exports", "fmt_vec"]

#: the settings every page that plays a trace adds to its View
DEFAULTS: dict[str, Any] = {"step": 0, "node": 0, "color": "auto", "speed": "normal"}
#: graphs up to this many nodes have their chart follow the step buttons
FOLLOW_LIMIT = 300
#: animation speed -> milliseconds per frame
SPEEDS: dict[str, int] = {"slow": 1500, "normal": 700, "fast": 250}


def fmt_vec(values: Any, digits: int = 4, max_len: int = 8) -> str:
    """A short readable vector: ``[0.25, 0.75]`` (``…`` after ``max_len`` entries).

    >>> fmt_vec([0.25, 0.753])
    '[0.25, 0.753]'
    """
    a = np.asarray(values, dtype=float).reshape(-1)
    body = ", ".join(f"{v:.{digits}g}" for v in a[:max_len])
    return f"[{body}{', …' if a.size > max_len else ''}]"


def _move(key: str, delta: int | None, last: int, to: int | None = None) -> None:
    cur = int(st.session_state.get(key, 0))
    st.session_state[key] = min(max(to if to is not None else cur + (delta or 0), 0), last)


def step_controls(view: View, trace: Trace) -> int:
    """First/back/next/last buttons (Home/←/→/End keys), a step slider and the step's note."""
    n = len(trace.steps)
    key = view.key("step")
    k = min(max(int(st.session_state.get(key, 0)), 0), n - 1)
    st.session_state[key] = k
    cols = st.columns(4)
    p = view.page
    cols[0].button("First", key=f"{p}.first", icon=":material/first_page:", shortcut="Home",
                   on_click=_move, args=(key, None, n - 1, 0), disabled=k == 0, width="stretch")
    cols[1].button("Back", key=f"{p}.back", icon=":material/chevron_left:", shortcut="Left",
                   on_click=_move, args=(key, -1, n - 1), disabled=k == 0, width="stretch")
    cols[2].button("Next", key=f"{p}.next", icon=":material/chevron_right:", shortcut="Right",
                   on_click=_move, args=(key, 1, n - 1), disabled=k == n - 1, width="stretch",
                   type="primary")
    cols[3].button("Last", key=f"{p}.last", icon=":material/last_page:", shortcut="End",
                   on_click=_move, args=(key, None, n - 1, n - 1), disabled=k == n - 1,
                   width="stretch")
    if n > 1 and not lecture_mode():
        st.select_slider("Step", list(range(n)), key=key, label_visibility="collapsed",
                         format_func=lambda i: f"step {i + 1}")
    step = trace.steps[k]
    st.markdown(f"**Step {k + 1} of {n}** · {step.label or ''} — {step.note}")
    return k


def _clicked_node(chart_key: str) -> int | None:
    """The node a click on the chart selected since the last run (once per click)."""
    event = st.session_state.get(chart_key)
    points = list(getattr(getattr(event, "selection", None), "points", None) or [])
    seen_key = f"{chart_key}.seen"
    token = repr(points)
    if not points or st.session_state.get(seen_key) == token:
        st.session_state[seen_key] = token
        return None
    st.session_state[seen_key] = token
    for pt in points:
        cd = pt.get("customdata")
        if cd is not None:
            return int(cd[0] if isinstance(cd, (list, tuple)) else cd)
    return None


def node_picker(view: View, trace: Trace, chart_key: str) -> int:
    """The selected node: a click on the chart, else the selectbox (kept in range)."""
    g = trace.graph
    key = view.key("node")
    clicked = _clicked_node(chart_key)
    if clicked is not None and 0 <= clicked < g.n_nodes:
        st.session_state[key] = clicked
    st.session_state[key] = min(max(int(st.session_state.get(key, 0)), 0), g.n_nodes - 1)
    labels = g.display_labels
    st.selectbox("Node", range(g.n_nodes), key=key, format_func=lambda i: labels[i],
                 help="Or click a node in the graph.")
    return int(st.session_state[key])


def _row(values: Any, i: int) -> np.ndarray | None:
    if values is None:
        return None
    return np.asarray(values[i], dtype=float)


def detail_panel(trace: Trace, step: int, node: int, exact: Any = None) -> None:
    """The node's incoming messages, aggregate and new state at ``step``; for BP its belief bars
    against the exact marginal; for GAT the attention per head."""
    g = trace.graph
    s = trace.steps[step]
    rows = viz.message_rows(trace, step, node)
    if rows:
        st.dataframe([{"from": r["sender"], "to": r["receiver"], "message": fmt_vec(r["values"]),
                       "norm": round(r["norm"], 4)} for r in rows],
                     hide_index=True, key="player.messages")
    else:
        st.caption(f"No message reached {g.display_labels[node]} in this step.")
    agg, state = _row(s.aggregates, node), _row(s.states, node)
    if agg is not None:
        st.markdown(f"**Aggregate:** `{fmt_vec(agg)}`")
    if state is not None:
        st.markdown(f"**New state:** `{fmt_vec(state)}`")
    roles = g.roles or ()
    is_var = not roles or str(roles[node]).lower() != "factor"
    if trace.kind in ("sum-product", "max-product") and is_var and state is not None:
        st.plotly_chart(viz.belief_bars(trace, step, node, exact), key="player.beliefs")
    if "attention" in s.extras:
        st.plotly_chart(viz.attention_figure(trace, step, node), key="player.attention")


def formula(trace: Trace, step: int, node: int) -> None:
    """The node's update at ``step`` as a formula with the recorded numbers (full width)."""
    latex = attempt("write the update formula", viz.node_update_latex, trace, step, node,
                    stop=False)
    if latex:
        st.latex(latex)


def _png(fig: Any) -> bytes:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "view.png"
        viz.export_png(fig, path)
        return path.read_bytes()


def exports(page: str, trace: Trace, fig: Any, name: str) -> None:
    """Download buttons; each file is made only when its button is pressed."""
    cols = st.columns(4)
    cols[0].download_button("Trace (JSON)", data=trace.to_json, file_name=f"{name}.trace.json",
                            mime="application/json", on_click="ignore", key=f"{page}.dl_json",
                            icon=":material/data_object:")
    cols[1].download_button("Messages (CSV)", data=lambda: viz.messages_csv(trace),
                            file_name=f"{name}.messages.csv", mime="text/csv", on_click="ignore",
                            key=f"{page}.dl_csv", icon=":material/table:")
    from explorer.viz.export import figure_html

    cols[2].download_button("Animation (HTML)", data=lambda: figure_html(fig, title=name),
                            file_name=f"{name}.html", mime="text/html", on_click="ignore",
                            key=f"{page}.dl_html", icon=":material/movie:",
                            help="A standalone page with plotly.js inside: plays offline.")
    if viz.find_browser() is not None:
        cols[3].download_button("Picture (PNG)", data=lambda: _png(fig), file_name=f"{name}.png",
                                mime="image/png", on_click="ignore", key=f"{page}.dl_png",
                                icon=":material/image:")
    else:
        cols[3].caption("PNG export needs Chromium (`apt-get install chromium`).")


def play(view: View, trace: Trace, tkey: str, pos: np.ndarray, pkey: str, controls: Any,
         *, exact: Any = None, name: str = "run") -> int:
    """The whole player for ``trace``; returns the current step.

    Args:
        view: the page settings (with :data:`DEFAULTS` among them).
        trace: the recorded run; ``tkey`` a cache key naming it (source + parameters).
        pos: ``[N, 2]`` positions of ``trace.graph``; ``pkey`` their cache key.
        controls: the container for the colour and speed settings.
        exact: exact marginals for BP belief bars and error curves, when known.
        name: a file-name stem for the exports.
    """
    modes = list(viz.color_modes(trace))
    ckey = view.key("color")
    if st.session_state.get(ckey) not in ["auto", *modes]:
        st.session_state[ckey] = "auto"
    with controls:
        st.selectbox("Colour nodes by", ["auto", *modes], key=ckey)
        st.select_slider("Animation speed", list(SPEEDS), key=view.key("speed"))
    k = step_controls(view, trace)
    chart_key = f"{view.page}.chart"
    left, right = st.columns([2, 1], gap="medium")
    with right:
        node = node_picker(view, trace, chart_key)
        detail_panel(trace, k, node, exact)
    # Small graphs: the chart opens at the current step. Large ones: one chart per selection
    # (rebuilding ~1 MB of frames per step costs ~0.4 s); Play and its slider animate it.
    follow = trace.graph.n_nodes <= FOLLOW_LIMIT
    fig = attempt("draw the run", cache.trace_figure, trace, tkey, pos, pkey, view["color"], node,
                  k if follow else 0, SPEEDS.get(view["speed"], 700))
    with left:
        if not follow:
            st.caption("Large graph: the chart's own Play button and slider animate it; the "
                       "step buttons above drive the panel on the right.")
        st.plotly_chart(fig, key=chart_key, on_select="rerun", selection_mode="points",
                        config={"displaylogo": False})
    formula(trace, k, node)
    with st.expander("Export this run", icon=":material/download:"):
        exports(view.page, trace, fig, name)
    return k
