"""Tables as plain HTML (``st.table``), so they never hold back a page's first chart.

``st.dataframe`` draws a canvas grid: on a page's first render the browser fetches its lazy
chunks (~1.2 MB of JavaScript: the grid and its Arrow formatting) and paints the canvas in a
~290 ms long task, all between the script's end and the first chart's mount. ``st.table`` is a
plain HTML table, drawn with the rest of the page, and lecture mode enlarges its text with the
page's (:data:`explorer.ui.theme.LECTURE_CSS`). A long table scrolls inside a fixed height with
a sticky header; a very long one shows its first :data:`CAP` rows and says so.
"""

from __future__ import annotations

from typing import Any, Sequence

import streamlit as st

__all__ = ["table", "CAP", "ROW_PX", "SCROLL_ROWS"]

#: at most this many rows are drawn (an HTML table of thousands of rows is slow to lay out)
CAP = 200
#: about the height (px) of one row of ``st.table`` (the header row too)
ROW_PX = 36
#: above this many rows the table scrolls inside a fixed height instead of growing the page
SCROLL_ROWS = 10


def table(rows: Sequence[dict[str, Any]] | Any, *, noun: str = "rows", height: int | None = None,
          cap: int = CAP) -> None:
    """Show ``rows`` (a list of dicts, one per row, or a ``pyarrow.Table``) as an HTML table.

    Args:
        rows: the table; its columns and values are shown as given.
        noun: what a row is ("nodes", "messages"), for the note when rows are left out.
        height: the scrolling height in px (default: :data:`SCROLL_ROWS` rows; a shorter table
            takes only its own height).
        cap: draw at most this many rows; the note under the table says how many are left out.
    """
    n = rows.num_rows if hasattr(rows, "num_rows") else len(rows)
    shown = rows.slice(0, cap) if hasattr(rows, "slice") else rows[:cap]
    m = min(n, cap)
    if height is None and m > SCROLL_ROWS:
        height = ROW_PX * (SCROLL_ROWS + 1)
    if height is not None and ROW_PX * (m + 1) + 2 <= height:
        height = None  # it fits: no scroll bar, no empty space under it
    st.table(shown, hide_index=True, height=height if height is not None else "content")
    if n > cap:
        st.caption(f"The first {cap:,} of {n:,} {noun}.")
