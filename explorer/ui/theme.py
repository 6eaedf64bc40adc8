"""Page-wide look: the graph's size, and the lecture mode that projects.

:func:`apply` is called once per page run (the player calls it; pages without a player call it
themselves). In lecture mode it collapses the sidebar and enlarges, together, what a class reads
from the back row: text, metric values *and* their labels, tables, formulas (which scroll rather
than leave the frame) and the player's buttons; the chart enlarges its own fonts and markers
(:func:`explorer.ui.player.figure_json`). Plain CSS on Streamlit's stable test ids, so a
Streamlit upgrade breaks at most the looks, never the page.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from explorer.ui.state import lecture_mode

__all__ = ["apply", "graph_height", "BASE_CSS", "LECTURE_CSS"]

#: always: formulas and tables never run off their column; they scroll inside it instead
BASE_CSS = """
<style>
[data-testid="stMainBlockContainer"] { padding-left: 2rem; padding-right: 2rem; max-width: 100%; }
.katex-display { overflow-x: auto; overflow-y: hidden; padding: 0.2rem 0; }
[data-testid="stMarkdownContainer"] code { white-space: pre-wrap; word-break: break-word; }
[data-testid="stTable"] { overflow-x: auto; }
[data-testid="stMetricLabel"] p { white-space: normal; }
</style>
"""

#: lecture mode: everything a class reads, enlarged together
LECTURE_CSS = """
<style>
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMain"] [data-testid="stMarkdownContainer"] li { font-size: 1.35rem; line-height: 1.45; }
[data-testid="stMain"] [data-testid="stCaptionContainer"] { font-size: 1.15rem; }
[data-testid="stMetricLabel"] p { font-size: 1.2rem !important; }
[data-testid="stMainBlockContainer"] { padding-top: 2.5rem; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * { font-size: 2.4rem !important;
  line-height: 1.2; white-space: normal; overflow: visible; text-overflow: clip; }
[data-testid="stTable"] table { font-size: 1.2rem; }
.katex { font-size: 1.2em !important; }
[data-testid="stExpander"] summary p { font-size: 1.25rem; }
</style>
"""


def graph_height(lecture: bool | None = None, pos: Any = None) -> int:
    """Pixel height of the graph view: tall enough for the layout's shape, never taller than
    fits under the title at 1280 x 720 in lecture mode (a chain gets a short, wide view).

    Args:
        lecture: lecture mode (default: the current setting).
        pos: ``[N, 2]`` node positions; their aspect ratio sets the height.
    """
    lecture = lecture_mode() if lecture is None else lecture
    top = 560 if lecture else 600
    if pos is None:
        return top
    p = np.asarray(pos, dtype=float)
    if p.ndim != 2 or len(p) < 2:
        return top
    w, h = np.ptp(p[:, 0]), np.ptp(p[:, 1])
    aspect = h / w if w > 0 else 1.0
    # ~600 px of plot width at 1280 wide; room for the title, legend and colour bars
    return int(min(top, max(420, 600 * aspect + 200)))  # two colour bars need ~420 px


def apply() -> None:
    """Add the page-wide CSS; in lecture mode collapse the sidebar and enlarge everything."""
    lecture = lecture_mode()
    if lecture:
        st.set_page_config(initial_sidebar_state="collapsed")
    else:
        st.set_page_config(initial_sidebar_state="auto")
    st.html(BASE_CSS + (LECTURE_CSS if lecture else ""))
