"""The browser half of the player: two Streamlit custom components (v2) and the plotly.js route.

``chart``  (player.js/.css) draws a Plotly figure with all its frames once and steps it in the
           browser: Play/Pause, one speed, one slider, First/Back/Next/Last and the keys. A
           clicked node (or N/P) is selected in the browser (ring, incoming edges, messages);
           it sets the trigger ``speed``.
``sync``   (sync.js) is invisible and lives inside the detail panel's ``st.fragment``; the chart
           hands it every step change and selected node, and its triggers ``step`` and
           ``node`` rerun only that fragment; the other way, its ``seek`` data moves the chart
           to a step the server chose, ``node`` selects a node chosen in the panel, ``texts``
           brings the selected node's message texts.

plotly.js comes from the installed plotly package (``plotly/package_data/plotly.min.js``),
served by Streamlit's component file route, so the app works offline and the browser caches
the 4.6 MB file; the chart loads it once per page. See docs/player.md for the design.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

__all__ = ["chart", "sync", "plotly_url"]

_HERE = Path(__file__).resolve().parent


def _read(name: str) -> str:
    return (_HERE / name).read_text(encoding="utf-8")


def _plotly_route() -> str:
    """The URL (relative to the app's base) of the plotly.min.js shipped with plotly."""
    import plotly

    folder = Path(plotly.__file__).resolve().parent / "package_data"
    import streamlit.components.v1 as v1

    assets = v1.declare_component("plotlyjs", path=str(folder))
    return f"component/{assets.name}/plotly.min.js"


plotly_url = _plotly_route()
_chart = st.components.v2.component("mpe_player", js=_read("player.js"), css=_read("player.css"),
                                    isolate_styles=False)
_sync = st.components.v2.component("mpe_sync", js=_read("sync.js"))


def _ignore() -> None:
    """Trigger callbacks must exist for Streamlit to report the trigger; the value is read
    from the component's result or from session state."""


def chart(key: str, data: dict[str, Any], *, on_speed: Any = None) -> Any:
    """Mount the chart component; returns its result (``.speed``: the trigger)."""
    return _chart(key=key, data={**data, "plotly_url": plotly_url}, width="stretch",
                  height="content", on_speed_change=on_speed or _ignore)


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
