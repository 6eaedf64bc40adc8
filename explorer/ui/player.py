"""Play a Trace: the animated graph, the detail panel beside it, and the exports.

One stepping model (docs/player.md): the chart owns the step. It is a custom component
(:mod:`explorer.ui.components`) that draws the figure with all its frames once and moves it in
the browser — Play/Pause, one speed, one slider, First/Back/Next/Last and the keys (←/→,
Home/End, space, N/P for the next/previous node). Every step it reaches is reported to Python,
where only the detail panel (an ``st.fragment``: node picker, step, formula, messages, state)
reruns; the step and node go to the URL through the page's View. A node (a click, N/P, or the
panel's picker) is selected in the browser — ring, incoming edges, its messages at every step,
from a table sent once with the figure — and reported the same way, so only the panel reruns
(``play(..., node_in_page=True)`` for a page that draws the node outside the panel). Nothing
here sleeps or loops, and a step change sends the panel's few elements, never the figure again.

The server can move the chart too: :func:`seek` (``player.seek(view, step)``), called from code
that runs inside the detail panel's fragment — an ``extra`` callback's widget, e.g. a chart in
the panel clicked at layer k — sets the View's step and tells the chart to show that step, with
no full page rerun (the panel's fragment reruns; the chart moves in the browser without reporting
the step back). Best called from the widget's callback (``on_select=`` / ``on_click=``): the
panel then runs once, already on the new step. Called in the panel's body, after the panel drew
another step, it reruns the fragment itself so the panel and the chart agree.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import streamlit as st

from explorer import viz
from explorer.trace import Trace
from explorer.ui import cache, components, shell, tables, theme, turns
from explorer.ui.guard import attempt
from explorer.ui.state import View, lecture_mode
from explorer.viz.notes import note_markdown

__all__ = ["DEFAULTS", "SPEEDS", "play", "seek", "node_picker", "detail_panel", "formula", "exports",
           "fmt_vec", "figure_json", "message_table"]

#: the settings every page that plays a trace adds to its View
DEFAULTS: dict[str, Any] = {"step": 0, "node": 0, "color": "auto", "speed": "normal"}
#: share of the main column the graph takes beside the detail panel
GRAPH_SHARE = 0.72
#: the graph column's width (px) at a projector's 1280 x 720 with the sidebar open: labels are
#: planned for it, so they never collide there and only gain room on a wider screen
PLAN_PX = 650
#: the same in lecture mode: the sidebar is collapsed, so the graph column is ~860 px wide at
#: 1280 x 720. Planned at that width, a layout bound by the height (karate) gets its colour bars
#: in a column beside it, where the width is spare, instead of a row under it that took ~45 px
#: (~10 %) of the graph's height
LECTURE_PLAN_PX = 840
#: up to this many incoming messages the panel lists them all; more scroll inside a fixed height
#: (still an HTML table: st.dataframe's canvas grid costs ~50-100 ms more to paint on every step,
#: and its ~1.2 MB of lazy chunks held back a page's first chart)
TABLE_ROWS = 40
#: lecture mode enlarges markers and their text by this factor
LECTURE_SCALE = 1.45
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


def _row(values: Any, i: int) -> np.ndarray | None:
    if values is None:
        return None
    return np.asarray(values[i], dtype=float)


def message_table(trace: Trace, step: int, node: int) -> Any:
    """The messages into ``node`` at ``step`` as the panel's table (a ``pyarrow.Table`` with
    the columns from, to, message, norm), or None when no message arrived.

    Arrow, not a list of dicts: Streamlit sends a table as Arrow bytes, and from a list of
    dicts it builds a pandas DataFrame twice on every draw (~2.5 ms of a ~10 ms step);
    from an Arrow table it only writes the bytes.
    """
    import pyarrow as pa

    rows = viz.message_rows(trace, step, node)
    if not rows:
        return None
    return pa.table({"from": [str(r["sender"]) for r in rows],
                     "to": [str(r["receiver"]) for r in rows],
                     "message": [fmt_vec(r["values"]) for r in rows],
                     "norm": pa.array([round(r["norm"], 4) for r in rows], type=pa.float64())})


def detail_panel(trace: Trace, step: int, node: int, exact: Any = None,
                 tkey: str | None = None) -> None:
    """The node's incoming messages, aggregate and new state at ``step``; for BP its belief bars
    against the exact marginal; for GAT the attention per head. With ``tkey`` (a cache key
    naming the run, as :func:`play` has) the table and charts are built once per (run, step,
    node) and shared (:func:`explorer.ui.cache.belief_figure`); without it, on every call."""
    g = trace.graph
    s = trace.steps[step]
    table = (message_table(trace, step, node) if tkey is None
             else cache.message_table(trace, tkey, step, node))
    if table is not None:
        # a plain HTML table, painted at once (its type grows with the page's in lecture mode):
        # every row up to TABLE_ROWS; a hub's scroll (its first tables.CAP), so the panel stays short
        rows = table.num_rows
        tables.table(table, noun=f"messages into {g.display_labels[node]}",
                     height=tables.ROW_PX * (rows + 2 if rows <= TABLE_ROWS else 16))
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
        if tkey is None:
            fig = viz.belief_bars(trace, step, node, exact)
        else:
            from explorer.viz.charts import exact_vector

            ev = exact_vector(exact, trace, node)
            fig = cache.belief_figure(trace, tkey, step, node, exact,
                                      None if ev is None else tuple(float(v).hex() for v in ev))
        components.figure(fig, key="player.beliefs")
    if "attention" in s.extras:
        fig = (viz.attention_figure(trace, step, node) if tkey is None
               else cache.attention_figure(trace, tkey, step, node))
        components.figure(fig, key="player.attention")


def formula(trace: Trace, step: int, node: int, tkey: str | None = None) -> None:
    """The node's update at ``step`` as a formula with the recorded numbers (full width); with
    ``tkey`` (naming the run) built once per (run, step, node) and shared."""
    if tkey is None:
        latex = attempt("write the update formula", viz.node_update_latex, trace, step, node,
                        lecture=lecture_mode(), stop=False)
    else:
        latex = attempt("write the update formula", cache.update_latex, trace, tkey, step, node,
                        lecture_mode(), stop=False)
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
    """Download buttons; each file is made only when its button is pressed. ``fig``: a figure,
    or a function that makes it (then only when the HTML or PNG button is pressed)."""
    get = fig if callable(fig) else (lambda: fig)
    cols = st.columns(4)
    cols[0].download_button("Trace (JSON)", data=trace.to_json, file_name=f"{name}.trace.json",
                            mime="application/json", on_click="ignore", key=f"{page}.dl_json",
                            icon=":material/data_object:")
    cols[1].download_button("Messages (CSV)", data=lambda: viz.messages_csv(trace),
                            file_name=f"{name}.messages.csv", mime="text/csv", on_click="ignore",
                            key=f"{page}.dl_csv", icon=":material/table:")
    from explorer.viz.export import figure_html

    cols[2].download_button("Animation (HTML)", data=lambda: figure_html(get(), title=name),
                            file_name=f"{name}.html", mime="text/html", on_click="ignore",
                            key=f"{page}.dl_html", icon=":material/movie:",
                            help="A standalone page with plotly.js inside: plays offline.")
    if viz.find_browser() is not None:
        cols[3].download_button("Picture (PNG)", data=lambda: _png(get()), file_name=f"{name}.png",
                                mime="image/png", on_click="ignore", key=f"{page}.dl_png",
                                icon=":material/image:")
    else:
        cols[3].caption("PNG export needs Chromium (`apt-get install chromium`).")


# ---------------------------------------------------------------------- the chart's payload
def _scale_sizes(trace: dict, factor: float) -> None:
    marker = trace.get("marker")
    if isinstance(marker, dict) and marker.get("size") is not None:
        size = marker["size"]
        if isinstance(size, dict) and "bdata" in size:  # a typed array, as plotly encodes them
            import base64

            size = np.frombuffer(base64.b64decode(size["bdata"]), dtype=np.dtype(size["dtype"]))
        marker["size"] = (float(size) * factor if np.isscalar(size)
                          else np.asarray(size, dtype=np.float32) * factor)
    for key in ("textfont", "hoverlabel"):
        font = trace.get(key)
        if isinstance(font, dict) and isinstance(font.get("size"), (int, float)):
            font["size"] = font["size"] * factor


def figure_json(fig: Any, *, lecture: bool = False, height: int = 600) -> tuple[str, str]:
    """The figure as the JSON text the chart component draws, and an id for it.

    Plotly's own Play buttons and slider are dropped (the component has the controls), the
    height is set, and in lecture mode fonts and markers are enlarged together. Memoised per
    figure object (the figures themselves are cached in :mod:`explorer.ui.cache`), so a rerun
    that keeps the figure neither rebuilds nor re-encodes it.
    """
    memo = getattr(fig, "_mpe_json", None)
    if memo is None:  # kept on the (cached, never mutated) figure: freed with it
        memo = fig._mpe_json = {}
    mkey = (lecture, height)
    if mkey not in memo:
        d = fig.to_plotly_json()
        layout = d.setdefault("layout", {})
        layout.pop("updatemenus", None)
        layout.pop("sliders", None)
        layout.pop("width", None)
        layout["height"] = height
        layout["autosize"] = True
        margin = dict(layout.get("margin") or {})
        margin["b"] = 10
        margin["t"] = min(int(margin.get("t", 60) or 60), 70)
        layout["margin"] = margin
        # the step label lives in the player's bar and panel: frames carry data only, so a
        # step is an in-place update of three traces (no layout redraw)
        title = layout.get("title")
        if isinstance(title, dict) and isinstance(title.get("text"), str):
            title["text"] = title["text"].split("<br><sup>")[0]
        for fr in d.get("frames", []) or []:
            fr.pop("layout", None)
        if lecture:
            font = dict(layout.get("font") or {})
            font["size"] = 19
            layout["font"] = font
            title = layout.get("title")
            if isinstance(title, dict):
                title["font"] = {**(title.get("font") or {}), "size": 24}
            for tr in d.get("data", []):
                _scale_sizes(tr, LECTURE_SCALE)
            for fr in d.get("frames", []) or []:
                for tr in fr.get("data", []):
                    _scale_sizes(tr, LECTURE_SCALE)
        text = components.plotly_json(d)  # compact, without plotly.io's HTML escapes
        import hashlib

        memo[mkey] = (text, hashlib.sha1(text.encode()).hexdigest()[:16])
    return memo[mkey]


# ---------------------------------------------------------------------- the player
def node_picker(view: View, trace: Trace, on_change: Any = None) -> int:
    """The selected node (kept in range): a selectbox at the top of the detail panel; a click on
    the chart or the N/P keys set it too (the chart reports them through the panel's sync)."""
    g = trace.graph
    key = view.key("node")
    st.session_state[key] = min(max(int(st.session_state.get(key, 0)), 0), g.n_nodes - 1)
    labels = g.display_labels
    st.selectbox("Node", range(g.n_nodes), key=key, format_func=lambda i: labels[i],
                 help="Or click a node in the graph (N / P: next / previous node).",
                 on_change=on_change)
    return int(st.session_state[key])


def _take_node(view: View, sync_key: str, n_nodes: int, whole_page: bool) -> None:
    """Sync callback: a node clicked on the chart (or N/P) becomes the page's node; only the
    panel reruns, unless the page draws the node outside it (``whole_page``)."""
    value = (st.session_state.get(sync_key) or {}).get("node")
    if value is not None and 0 <= int(value) < n_nodes:
        view.set("node", int(value))
        if whole_page:
            st.rerun()


def _node_changed(whole_page: bool) -> None:
    """The panel's node selectbox changed: the panel reruns (the chart follows through the
    sync); the whole page when it draws the node outside the panel."""
    if whole_page:
        st.rerun()


def _take_speed(view: View, chart_key: str) -> None:
    value = (st.session_state.get(chart_key) or {}).get("speed")
    if value in SPEEDS:
        view.set("speed", value)


def _take_step(view: View, sync_key: str, n_steps: int) -> None:
    """Sync callback: the step the chart reached becomes the page's step (before the fragment
    reruns)."""
    value = (st.session_state.get(sync_key) or {}).get("step")
    if value is not None:
        view.set("step", min(max(int(value), 0), n_steps - 1))


def _seek_key(page: str) -> str:
    return f"_mpe_seek.{page}"


def seek(view: View, step: int) -> None:
    """Move the chart to ``step`` from the server: the View's step (and the URL) and the chart.

    Call it from code that runs inside the detail panel's fragment (an ``extra`` of
    :func:`play`, or a callback of a widget drawn there). The request travels to the browser
    with the panel's invisible sync component (``data.seek = {step, nonce}``), which shows the
    step on the chart without reporting it back. No full page rerun: from a widget callback
    the fragment runs once, on the new step; from the panel's body, after the panel drew
    another step, the fragment reruns at once (a whole-page run when the panel is being drawn
    as part of one, where Streamlit allows no fragment rerun).

    Args:
        view: the page's View (with :data:`DEFAULTS` among its settings).
        step: the step index (0-based); clamped to the run's steps by the panel.
    """
    step = int(step)
    if step < 0:
        raise ValueError(f"player.seek: a step is an index from 0, got {step}")
    view.set("step", step)
    ss = st.session_state
    nonce = ss[f"_mpe_seek_n.{view.page}"] = int(ss.get(f"_mpe_seek_n.{view.page}", 0)) + 1
    ss[_seek_key(view.page)] = {"step": step, "nonce": nonce}  # sent by the panel's next sync
    drawn = ss.get(f"_mpe_panel_step.{view.page}")
    if drawn is not None and drawn != step:  # in the panel's body: it shows another step
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        st.rerun(scope="fragment" if ctx is not None and ctx.fragment_ids_this_run else "app")


#: how many selected nodes' message texts a figure keeps encoded (:func:`_select_texts`)
TEXTS_MEMO = 32
_texts_lock = threading.Lock()


def _select_texts(fig: Any, node: int, lecture: bool) -> dict[str, Any] | None:
    """The message texts of every step placed for ``node`` (for the chart), or None when the
    figure's texts do not depend on the selected node.

    Encoded once per (figure, node, lecture) and kept on the (cached, shared, never mutated)
    figure for the :data:`TEXTS_MEMO` nodes used last: a step keeps the node, so it neither
    copies nor re-encodes them."""
    texts = getattr(fig, "_mpe_texts", None)
    if texts is None:
        return None
    mkey = (int(node), bool(lecture))
    with _texts_lock:
        memo = getattr(fig, "_mpe_texts_memo", None)
        if memo is None:
            from collections import OrderedDict

            memo = fig._mpe_texts_memo = OrderedDict()
        if mkey in memo:
            memo.move_to_end(mkey)
            return memo[mkey]
    frames = texts(node)
    if frames is None:
        out = None
    else:
        import copy

        frames = copy.deepcopy(frames)
        if lecture:
            for tr in frames:
                _scale_sizes(tr, LECTURE_SCALE)
        out = {"node": int(node), "frames": components.plotly_json(frames)}
    with _texts_lock:
        memo[mkey] = out
        while len(memo) > TEXTS_MEMO:
            memo.popitem(last=False)
    return out


#: the expander that holds the node picker, note, formula and messages when a page's own view
#: leads the panel (``play(..., lead=...)``)
FOLDED_LABEL = "This step's node: update, formula and messages"


def _details(view: View, trace: Trace, k: int, exact: Any, whole_page: bool,
             picker: bool, tkey: str | None = None) -> int:
    """The step's note, the node's formula and its messages (and the node picker when
    ``picker``); returns the node shown."""
    node = (node_picker(view, trace, on_change=lambda: _node_changed(whole_page)) if picker
            else min(max(int(view["node"]), 0), trace.graph.n_nodes - 1))
    s = trace.steps[k]
    if s.note:  # the engine's plain-text note, its pseudo-math (tau_X1(X2), P(X2|X1)) as math
        st.caption(note_markdown(s.note))
    formula(trace, k, node, tkey)
    detail_panel(trace, k, node, exact, tkey)
    return node


def _panel(view: View, trace: Trace, exact: Any, extra: Any, fig: Any = None,
           whole_page: bool = False, lead: Any = None, tkey: str | None = None) -> None:
    """The detail panel of the current step: reruns alone (a fragment) when the chart steps.

    Top to bottom: the node picker, "Step k of N", the step's note, the node's formula and
    messages, then ``extra``. With a ``lead`` that draws (it returns True), the page's own
    step-dependent view comes right under the step line and the node picker, note, formula and
    messages fold into an expander below it: at 1280 x 720 the lead then stands beside the
    graph without scrolling.

    The invisible sync component is mounted last, so a :func:`seek` made while the panel is
    drawn travels with it in the same run."""
    n = len(trace.steps)
    sync_key = f"{view.page}.sync"
    k = min(max(int(view["step"]), 0), n - 1)
    view.set("step", k)
    node = min(max(int(view["node"]), 0), trace.graph.n_nodes - 1)
    ss = st.session_state
    ss[f"_mpe_panel_step.{view.page}"] = k
    try:
        s = trace.steps[k]
        if lead is None:
            node = node_picker(view, trace, on_change=lambda: _node_changed(whole_page))
        st.markdown(f"**Step {k + 1} of {n}** · {s.label or ''}")
        if lead is not None and lead(k, node):
            with st.expander(FOLDED_LABEL, icon=":material/function:"):
                node = _details(view, trace, k, exact, whole_page, picker=True, tkey=tkey)
        else:
            node = _details(view, trace, k, exact, whole_page, picker=lead is not None, tkey=tkey)
        if extra is not None:
            extra(k, node)
    finally:
        ss.pop(f"_mpe_panel_step.{view.page}", None)
    pending = ss.pop(_seek_key(view.page), None)  # sent once: a later run must not replay it
    seek_req = None
    if pending:
        k = min(max(int(view["step"]), 0), n - 1)
        view.set("step", k)
        seek_req = {"step": k, "nonce": int(pending["nonce"])}
    texts = _select_texts(fig, node, lecture_mode()) if fig is not None else None
    reported = components.sync(sync_key, view.page, k, seek=seek_req, node=node, texts=texts,
                               on_step=lambda: _take_step(view, sync_key, n),
                               on_node=lambda: _take_node(view, sync_key, trace.graph.n_nodes,
                                                          whole_page))
    if seek_req is None and reported is not None and 0 <= reported < n and reported != k:
        # the callback found no value in session state (a client that sends only the trigger,
        # not the component's whole state): take the step from the result and draw it now
        view.set("step", reported)
        view.sync()
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        in_fragment = ctx is not None and bool(ctx.fragment_ids_this_run)
        if in_fragment:  # a step only changes the panel: never a whole-page rerun for it
            st.rerun(scope="fragment")
    view.sync()


def _step(*args: Any) -> None:
    """The panel as a fragment: a step (its rerun) is marked as executing for the server's
    scheduling (:func:`explorer.ui.turns.step_run`)."""
    with turns.step_run():
        _panel(*args)


_fragment_panel = st.fragment(_step)


@cache.cached("figures")
def player_figure(_trace: Trace, tkey: str, _pos: np.ndarray, pkey: str, color_by: str,
                  frame_ms: int, width: int, height: int) -> Any:
    """The player's figure of a run: no node selected in it — the browser rings the node and
    draws its incoming edges and messages itself (``selectable``), so a click needs no new
    figure. Read-only: shared between sessions."""
    return viz.trace_figure(_trace, _pos, color_by=color_by, selected=None, step=0,
                            frame_ms=frame_ms, width=width, height=height, selectable=True)


def select_json(fig: Any) -> str:
    """The figure's selection payload (``fig._mpe_select``) as JSON text, memoised on it."""
    memo = getattr(fig, "_mpe_json", None)
    if memo is None:
        memo = fig._mpe_json = {}
    if "select" not in memo:
        import json

        memo["select"] = json.dumps(getattr(fig, "_mpe_select", None), allow_nan=False)
    return memo["select"]


def play(view: View, trace: Trace, tkey: str, pos: np.ndarray, pkey: str, controls: Any,
         *, exact: Any = None, name: str = "run", extra: Any = None,
         node_in_page: bool = False, lead: Any = None) -> int:
    """The whole player for ``trace``; returns the step shown when the page ran.

    The graph takes :data:`GRAPH_SHARE` of the main column, the detail panel the rest (below
    it on a narrow screen). A step change in the browser reruns only the panel.

    Args:
        view: the page settings (with :data:`DEFAULTS` among them).
        trace: the recorded run; ``tkey`` a cache key naming it (source + parameters).
        pos: ``[N, 2]`` positions of ``trace.graph``; ``pkey`` their cache key.
        controls: the container for the colour and node settings.
        exact: exact marginals for BP belief bars and error curves, when known.
        name: a file-name stem for the exports.
        extra: ``extra(step, node)`` draws more step-dependent content inside the panel.
        lead: ``lead(step, node) -> bool`` draws the page's own step-dependent view at the top
            of the panel (under the step line, inside the fragment, so it follows every step);
            when it returns True the node picker, note, formula and messages fold into an
            expander below it (:data:`FOLDED_LABEL`); when False (it drew nothing that needs
            the room, e.g. only a choice of view) the panel is the usual one below it.
        node_in_page: the page draws something of the selected node outside the panel: then a
            node change reruns the whole page (else only the panel reruns and the chart selects
            the node in the browser).
    """
    theme.apply()
    n = len(trace.steps)
    modes = list(viz.color_modes(trace))
    ckey = view.key("color")
    if st.session_state.get(ckey) not in ["auto", *modes]:
        st.session_state[ckey] = "auto"
    if st.session_state.get(view.key("speed")) not in SPEEDS:
        view.set("speed", "normal")
    def colour() -> None:
        st.selectbox("Colour nodes by", ["auto", *modes], key=ckey)

    shell.draw_in(controls, colour)  # on a page's first run, maybe after the chart
    g = trace.graph
    node = min(max(int(view["node"]), 0), g.n_nodes - 1)
    view.set("node", node)
    k = min(max(int(view["step"]), 0), n - 1)
    view.set("step", k)
    lecture = lecture_mode()
    height = theme.graph_height(lecture, pos)
    plan = LECTURE_PLAN_PX if lecture else PLAN_PX
    fig = attempt("draw the run", player_figure, trace, tkey, pos, pkey, view["color"],
                  SPEEDS["normal"], plan, height)
    text, fig_id = figure_json(fig, lecture=lecture, height=height)
    chart_key = f"{view.page}.chart"
    left, right = st.columns([GRAPH_SHARE, 1 - GRAPH_SHARE], gap="medium")
    with left:
        components.chart(chart_key, {
            "id": view.page, "fig": text, "fig_id": fig_id, "step": k, "node": node,
            "select": select_json(fig), "scale": LECTURE_SCALE if lecture else 1.0,
            "n_nodes": trace.graph.n_nodes, "labels": [s.label or f"step {i + 1}"
                                                      for i, s in enumerate(trace.steps)],
            "speed": view["speed"], "controls": True, "keys": True, "lecture": lecture,
            "height": height},
            on_speed=lambda: _take_speed(view, chart_key))
    # the page's controls, when they waited for the chart (longer after a big one)
    shell.chart_out(controls, len(text) + len(select_json(fig)))
    with right:
        # the panel's charts and formula are cached per (run, step, node): the page's id joins
        # the run's key, so two pages whose keys happen to read alike never share an entry
        _fragment_panel(view, trace, exact, extra, fig, node_in_page, lead, f"{view.page}|{tkey}")

    def selected_figure() -> Any:  # the exports ring the node selected when they are made
        return cache.trace_figure(trace, tkey, pos, pkey, view["color"], int(view["node"]), 0,
                                  SPEEDS["normal"], plan, height)

    with st.expander("Export this run", icon=":material/download:"):
        exports(view.page, trace, selected_figure, name)
    return k
