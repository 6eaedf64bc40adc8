"""The frame every page shares: title, explanation, lecture mode, reset and share link.

A page starts with::

    view = View("graphs", DEFAULTS)
    controls = shell.frame(view, "Graphs", INTRO)
    with controls:
        ...widgets bound to view keys...

In normal mode the controls live in the sidebar. In lecture mode they fold into a closed
expander at the top of the page, the sidebar collapses, and the type, the player's buttons and
the chart's markers grow together (see :mod:`explorer.ui.theme` and :func:`explorer.ui.player.play`),
so a projected screen shows the graph, not the knobs.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from explorer.ui import components
from explorer.ui.state import View, global_changed, lecture_mode

__all__ = ["frame", "show_rejected", "LECTURE_CSS", "EARLY_PLOTLY"]

#: the pages (``View.page``) that draw no st.plotly_chart (their charts are the player and
#: ``components.figure``): their frame starts downloading plotly.js at once
#: (``components.preload``), so its download overlaps the page's run and Streamlit's lazy chunks
#: (the player, or the first figure, runs it after painting its preview). Neural still draws
#: st.plotly_chart in some modes, whose Plotly (Streamlit's own) the player uses; a second early
#: copy would only compete with it (tests/test_plotly_asset.py checks the listed pages draw none).
EARLY_PLOTLY = frozenset({"home", "wl", "graphs", "matrix", "ve", "bp", "smooth"})

#: larger type and buttons for a projector; plain CSS on Streamlit's stable test ids
LECTURE_CSS = """
<style>
[data-testid="stAppViewContainer"] [data-testid="stMarkdownContainer"] p,
[data-testid="stAppViewContainer"] [data-testid="stMarkdownContainer"] li { font-size: 1.35rem; }
[data-testid="stAppViewContainer"] h1 { font-size: 3rem; }
[data-testid="stMetricValue"] { font-size: 2.6rem; }
.katex { font-size: 1.5em !important; }
[data-testid="stBaseButton-secondary"], [data-testid="stBaseButton-primary"] {
  font-size: 1.4rem; min-height: 3.2rem; padding: 0.4rem 1.4rem; }
</style>
"""


def show_rejected(view: View, slot: Any) -> None:
    """Say which settings of the link were not used, in ``slot`` (an ``st.empty``)."""
    if view.rejected:
        slot.warning("Some settings in the link were not understood or are out of range, and "
                     "were replaced (by their defaults unless said): "
                     f"{', '.join(view.rejected)}.", icon=":material/link_off:")


def frame(view: View, title: str, intro: str) -> Any:
    """Draw the shared page frame and return the container the page's controls go in.

    Args:
        view: the page's settings (its ``rejected`` URL values are reported here).
        title: the page title.
        intro: a short explanation in markdown (shown folded in lecture mode).

    Returns:
        A Streamlit container (the sidebar, or an expander in lecture mode).
    """
    if view.page in EARLY_PLOTLY:
        components.preload()
    lecture = lecture_mode()
    if lecture:
        st.html(LECTURE_CSS)
    st.title(title)
    if lecture:
        with st.expander("About this page", expanded=False):
            st.markdown(intro)
    else:
        st.markdown(intro)
    view.notes = st.empty()
    show_rejected(view, view.notes)
    with st.sidebar:
        st.toggle("Lecture mode", key="lecture", on_change=global_changed, args=("lecture",),
                  help="Large type and big step buttons for a projector; the controls fold "
                       "into an expander. Arrow keys step through the run.")
        st.button("Reset to defaults", key=f"{view.page}.reset", on_click=view.reset,
                  icon=":material/restart_alt:", width="stretch")
        st.caption("The address bar always holds this view: copy it to share exactly what you "
                   "see (uploads stay on your machine and are not part of the link).")
    if lecture:
        return st.expander("Controls", expanded=False)
    return st.sidebar
