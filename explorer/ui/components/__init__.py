"""The browser half of the player: two Streamlit custom components (v2) and the plotly.js route.

``chart``  (player.js/.css) draws a Plotly figure with all its frames once and steps it in the
           browser: Play/Pause, one speed, one slider, First/Back/Next/Last and the keys. A
           clicked node (or N/P) is selected in the browser (ring, incoming edges, messages);
           it sets the trigger ``speed``.
``figure`` (figure.js/.css) draws one Plotly figure (no frames) as ``st.plotly_chart`` would,
           with the Streamlit theme merged in, but with the player's plotly.js
           (so Streamlit's own Plotly chunk never loads), a static SVG preview first where
           asked, and a clicked point reported back in ``st.plotly_chart``'s selection shape.
``sync``   (sync.js) is invisible and lives inside the detail panel's ``st.fragment``; the chart
           hands it every step change and selected node, and its triggers ``step`` and
           ``node`` rerun only that fragment; the other way, its ``seek`` data moves the chart
           to a step the server chose, ``node`` selects a node chosen in the panel, ``texts``
           brings the selected node's message texts.

plotly.js comes from the installed plotly package (``plotly/package_data/plotly.min.js``), so
the app works offline: copied into the app's ``static/`` folder and served by Streamlit's
static route (with an ETag and Last-Modified, so the browser keeps the 4.8 MB file and a
returning visitor usually does not download it again), or, where that is not possible, by Streamlit's
component file route (no cache headers). The chart loads it once per tab. See docs/player.md.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import streamlit as st

__all__ = ["chart", "sync", "figure", "preload", "plotly_url", "figure_text", "plotly_json",
           "STREAMLIT_TEMPLATE"]

_HERE = Path(__file__).resolve().parent


def _read(name: str) -> str:
    return (_HERE / name).read_text(encoding="utf-8")


def _static_copy(folder: Path, version: str) -> str | None:
    """The app-static URL of plotly.min.js, copied (once per plotly version) into the app's
    ``static/`` folder, or None where that is not possible.

    Streamlit serves ``static/`` next to the main script (``server.enableStaticServing``) with
    an ETag and Last-Modified, so the browser keeps the file for a while (heuristic freshness:
    a tenth of the time since Last-Modified; the route answers a revalidation with the whole
    file, not a 304); its component route sends ``Cache-Control: public`` with neither, so
    every page view downloaded the 4.8 MB again (and the server gzipped it again). The name
    carries plotly's version, so an upgrade is a new URL. The copy keeps the installed file's
    time (``copy2``), which is what Last-Modified says."""
    import shutil

    from streamlit import config
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    if not config.get_option("server.enableStaticServing") or ctx is None:
        return None
    root = Path(ctx.main_script_path).resolve().parent
    if root != _HERE.parents[2]:  # another script (a test's one-page app): its own static/
        return None
    name = f"plotly-{version}.min.js"
    target = root / "static" / name
    try:
        src = folder / "plotly.min.js"
        if not target.is_file() or target.stat().st_size != src.stat().st_size:
            target.parent.mkdir(exist_ok=True)
            tmp = target.with_suffix(f".{os.getpid()}.tmp")
            shutil.copy2(src, tmp)
            os.replace(tmp, target)  # atomic: a concurrent request never sees half a file
    except OSError:  # a read-only checkout: the component route still works
        return None
    return f"app/static/{name}"


def _plotly_route() -> str:
    """The URL (relative to the app's base) of the plotly.min.js shipped with plotly: the
    app's static copy where possible (cached by the browser), else Streamlit's component
    file route (downloaded on every page view)."""
    import plotly

    folder = Path(plotly.__file__).resolve().parent / "package_data"
    static = _static_copy(folder, plotly.__version__)
    if static:
        return static
    import streamlit.components.v1 as v1

    assets = v1.declare_component("plotlyjs", path=str(folder))
    return f"component/{assets.name}/plotly.min.js"


plotly_url = _plotly_route()
#: preview.js (loadPlotly, the window.__mpe registry, drawPreview) in front of each chart's module
_chart = st.components.v2.component("mpe_player", js=_read("preview.js") + _read("player.js"),
                                    css=_read("player.css"), isolate_styles=False)
_figure = st.components.v2.component("mpe_figure", js=_read("preview.js") + _read("figure.js"),
                                     css=_read("figure.css"), isolate_styles=False)
_sync = st.components.v2.component("mpe_sync", js=_read("sync.js"))


def _ignore() -> None:
    """Trigger callbacks must exist for Streamlit to report the trigger; the value is read
    from the component's result or from session state."""


def chart(key: str, data: dict[str, Any], *, on_speed: Any = None) -> Any:
    """Mount the chart component; returns its result (``.speed``: the trigger)."""
    return _chart(key=key, data={**data, "plotly_url": plotly_url}, width="stretch",
                  height="content", on_speed_change=on_speed or _ignore)


def preload() -> None:
    """Start downloading plotly.js in the browser now, as the page's first elements are drawn,
    rather than when the chart component mounts (after the page's work and Streamlit's lazy
    chunks), without running it: a ``<link rel="preload" as="script">``. player.js runs the
    file (its ``<script>`` finds it preloaded) after it has painted the figure's static
    preview; run here, its ~0.9 s evaluation, from the browser's cache on a return visit, came
    before the chart mounted and held back the first picture. For pages that draw no
    ``st.plotly_chart``: where one is drawn, Streamlit loads its own Plotly and the player uses
    that copy, and an early second copy would only compete with it (``shell.EARLY_PLOTLY``)."""
    url = json.dumps(plotly_url)
    # the element is hidden with its container, so it leaves no gap above the page's title
    st.html(f"""<style>[data-testid="stElementContainer"]:has(script[data-mpe-plotly])
  {{ display: none; }}</style><script data-mpe-plotly>(() => {{
  const R = (window.__mpe = window.__mpe || {{ players: {{}}, sync: {{}}, plotly: null, keysBound: false }});
  if (window.Plotly || R.plotly || R.preloaded) return;
  R.preloaded = true;
  const l = document.createElement("link");
  l.rel = "preload"; l.as = "script"; l.href = {url};
  document.head.appendChild(l);
}})();</script>""", unsafe_allow_javascript=True)


def sync(key: str, page: str, step: int, *, seek: dict[str, int] | None = None,
         node: int | None = None, texts: dict[str, Any] | None = None, on_step: Any = None,
         on_node: Any = None) -> int | None:
    """Mount the invisible step receiver; returns the step the chart reported, or None.

    ``seek = {"step": k, "nonce": i}`` makes the chart show step ``k`` (once per nonce, without
    reporting it back): the server-to-chart half of ``player.seek``. ``node``: the page's
    selected node (the chart selects it when the server changed it); ``texts``: that node's
    message texts per step (``{"node", "frames"}``). ``on_step`` / ``on_node`` run (as
    callbacks, before the fragment reruns) when the chart reports a step / a clicked node."""
    data: dict[str, Any] = {"id": page, "step": int(step)}
    if node is not None:
        data["node"] = int(node)
    if texts is not None:
        data["texts"] = texts
    if seek is not None:
        data["seek"] = {"step": int(seek["step"]), "nonce": int(seek["nonce"])}
    res = _sync(key=key, data=data, height=0, on_step_change=on_step or _ignore,
                on_node_change=on_node or _ignore)
    value = res.step
    return None if value is None else int(value)


#: What Streamlit's own Plotly chart (theme="streamlit", the light theme of .streamlit/config.toml)
#: merges into a figure's ``layout.template.layout`` in the browser (its fonts, colours, axis and
#: legend styling, margins' ``l``/``r``/``pad``), read from a rendered st.plotly_chart of Streamlit
#: 1.67 (tests/test_browser_figure.py checks it against one). figure.js merges it in and sets the
#: title in bold, as Streamlit's frontend does.
STREAMLIT_TEMPLATE = json.loads(_read("streamlit_theme.json"))


def plotly_json(obj: Any) -> str:
    """``obj`` (a figure's ``to_plotly_json()`` dict, or a part of one) as compact JSON text for
    the components: NumPy arrays as Plotly encodes them, NaN as null, and none of plotly.io's
    HTML escapes of ``<`` ``>`` ``/`` (``\\u003c``...). Those guard JSON written into a page; the
    components parse this text and never put it into one, and on a 31-frame Ising run the
    escaped hover texts were a quarter of its 1 MB."""
    from plotly.utils import PlotlyJSONEncoder

    return json.dumps(obj, cls=PlotlyJSONEncoder, separators=(",", ":"))


def figure_text(fig: Any) -> tuple[str, str, int | None]:
    """The figure's JSON text (what ``st.plotly_chart`` sends, without its HTML escapes), an id for
    it and its layout height (None: unset). Memoised on the figure object (the figures are
    cached and never mutated), so a rerun that keeps the figure neither rebuilds nor re-encodes
    it. The theme is merged in the browser (figure.js), as Streamlit's frontend does."""
    import hashlib

    memo = getattr(fig, "_mpe_text", None)
    if memo is None:
        text = plotly_json(fig.to_plotly_json() if hasattr(fig, "to_plotly_json") else fig)
        height = fig.layout.height if hasattr(fig, "layout") else None
        memo = (text, hashlib.sha1(text.encode()).hexdigest()[:16],
                int(height) if isinstance(height, (int, float)) else None)
        fig._mpe_text = memo
    return memo


def figure(fig: Any, key: str, *, on_select: Any = None, config: dict[str, Any] | None = None,
           height: int | None = None, preview: bool = False, lazy: bool = True) -> Any:
    """Draw ``fig`` (a Plotly figure, no frames) in place of ``st.plotly_chart(fig, key=key)``.

    Args:
        on_select: a callback run when a point is clicked (as ``st.plotly_chart``'s ``on_select``
            with ``selection_mode="points"``); it reads ``st.session_state[key]["selection"]``:
            ``{"points": [{"curve_number", "point_number", "point_index", "x", "y", "customdata",
            ...}], "point_indices": [...], "box": [], "lasso": []}``.
        config: Plotly's config (``displayModeBar``...); ``displaylogo`` is off.
        height: pixels (default: the layout's height, else 450, as ``st.plotly_chart``).
        preview: paint a static SVG picture of the figure while plotly.js is not ready (the
            page's first chart).
        lazy: never be the chart that starts plotly.js during the first 1.5 s (a chart lower on
            the page: the first picture paints before plotly.js holds the main thread).
    """
    text, fig_id, fig_height = figure_text(fig)
    data = {"fig": text, "fig_id": fig_id, "plotly_url": plotly_url, "theme": STREAMLIT_TEMPLATE,
            "height": int(height or fig_height or 450), "config": config or {},
            "select": "points" if on_select is not None else "", "preview": bool(preview),
            "lazy": bool(lazy and not preview)}
    kwargs = {"on_selection_change": on_select} if on_select is not None else {}
    return _figure(key=key, data=data, width="stretch", height="content", **kwargs)
