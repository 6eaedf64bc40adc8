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

import time
from typing import Any, Callable

import streamlit as st

from explorer.ui import components, turns
from explorer.ui.state import View, global_changed, lecture_mode

__all__ = ["frame", "show_rejected", "Controls", "flush_controls", "LECTURE_CSS", "EARLY_PLOTLY",
           "draw_in", "chart_out", "FIRST_GAP_S", "GAP_S_PER_MB", "MAX_GAP_S"]

#: seconds the first run of a chart-first page in a session waits after its chart, before its
#: controls and panel (see :class:`Controls`)
FIRST_GAP_S = 0.6
#: more seconds per MB the chart sends (its figure and selection JSON), up to :data:`MAX_GAP_S`
#: in all: a big figure takes longer to arrive, decode and paint (the 10 x 10 Ising run's 0.9 MB
#: arrived 0.25 s after the elements before it and mounted after the controls when they came
#: 0.6 s later)
GAP_S_PER_MB = 0.8
MAX_GAP_S = 1.4
#: session-state key of the running page's :class:`Controls` (flushed when the page ends)
PENDING = "_mpe_pending_controls"

#: the pages (``View.page``) that draw no st.plotly_chart (their charts are the player and
#: ``components.figure``): their frame starts downloading plotly.js at once
#: (``components.preload``), so its download overlaps the page's run and Streamlit's lazy chunks
#: (the player, or the first figure, runs it after painting its preview). Neural still draws
#: st.plotly_chart in some modes, whose Plotly (Streamlit's own) the player uses; a second early
#: copy would only compete with it (tests/test_plotly_asset.py checks the listed pages draw none).
EARLY_PLOTLY = frozenset({"home", "wl", "graphs", "matrix", "ve", "bp", "smooth", "readout", "aggr"})

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


class Controls:
    """Where a page's controls go (the sidebar, or the lecture-mode expander), able to draw
    them after the page's chart.

    ``with controls:`` draws into the container at once, as a Streamlit container does;
    ``controls.later(fn)`` runs ``fn`` inside the container:
    at once, except on the first run of a *chart-first* page in a session, where the blocks wait
    until :meth:`chart_out` (the player calls it right after its chart), in the order given.

    Why: a new visitor's browser renders everything the first run sends in one go, and a
    sidebar of select boxes and number inputs took ~0.5 s of it, the panel beside the graph
    ~0.4 s; the chart component, whose code loads as it first renders, mounted only after all
    of that. Sent first, with :data:`FIRST_GAP_S` before the rest, the chart mounts before the
    rest arrives (a page of the same widgets, measured with ``bench ui``'s clock: the chart at
    ~1.3 s instead of ~2.3-2.5 s, and the whole page done sooner too). Settings are read from
    session state (:class:`~explorer.ui.state.View`), so a widget drawn later shows and keeps
    the same value; a run that stops before its chart (a file that cannot be read, evidence of
    probability 0) still draws them (:func:`flush_controls`).
    """

    def __init__(self, container: Any, defer: bool = False):
        self.container = container
        self._defer = defer
        self._queue: list[tuple[Callable[[], Any], Any]] = []

    def __enter__(self) -> Any:
        return self.container.__enter__()

    def __exit__(self, *exc: Any) -> Any:
        return self.container.__exit__(*exc)

    def later(self, fn: Callable[[], Any], where: Any = None) -> Callable[[], Any]:
        """Run ``fn`` inside the container now, or after the chart (see the class).

        ``where``: another container to draw in instead, e.g. an ``st.container()`` placed above
        the chart for text that leads it (a formula, a caption): it keeps its place on the
        page, and on a first run is filled after the chart like the controls."""
        if self._defer:
            self._queue.append((fn, where))
        else:
            with self.container if where is None else where:
                fn()
        return fn

    def chart_out(self, nbytes: int = 0) -> None:
        """The page's chart has been sent (``nbytes``: the size of its data, when large): on a
        first run, give the browser :data:`FIRST_GAP_S` (plus :data:`GAP_S_PER_MB` per MB, at
        most :data:`MAX_GAP_S`) to mount it alone, then draw the waiting controls."""
        if self._defer:
            gap = FIRST_GAP_S and min(FIRST_GAP_S + GAP_S_PER_MB * nbytes / 1e6, MAX_GAP_S)
            with turns.set_aside():  # asleep: another session's page may run meanwhile
                time.sleep(gap)
        self.flush()

    def flush(self) -> None:
        """Draw every waiting block now (from here on, :meth:`later` draws at once)."""
        self._defer = False
        while self._queue:  # taken one by one: a block that stops the run (guard.attempt
            fn, where = self._queue.pop(0)  # flushes first) still leaves the rest drawn
            with self.container if where is None else where:
                fn()


def draw_in(container: Any, fn: Callable[[], Any], where: Any = None) -> None:
    """Run ``fn`` in ``container``: through :meth:`Controls.later` when it is a page's
    :class:`Controls` (maybe after the chart), else at once inside it (any Streamlit container),
    for helpers that draw into whichever a page passes them. ``where``: draw in this container
    instead (a place kept above the chart), still after the chart when ``container`` defers."""
    if isinstance(container, Controls):
        container.later(fn, where=where)
    else:
        with container if where is None else where:
            fn()


def chart_out(container: Any, nbytes: int = 0) -> None:
    """:meth:`Controls.chart_out` when ``container`` is a page's :class:`Controls`; nothing for
    a plain container (it never held anything back)."""
    if isinstance(container, Controls):
        container.chart_out(nbytes)


def flush_controls() -> None:
    """Draw the controls the running page still holds back, so no run leaves a page without
    its controls: called before every ``st.stop`` of a page (:func:`explorer.ui.guard.attempt`,
    :func:`explorer.ui.clamp.stop_after_failed_run`; after it nothing more can be drawn) and by
    app.py when the page ends (an unexpected exception)."""
    controls = st.session_state.pop(PENDING, None)
    if isinstance(controls, Controls):
        controls.flush()


def show_rejected(view: View, slot: Any) -> None:
    """Say which settings of the link were not used, in ``slot`` (an ``st.empty``)."""
    if view.rejected:
        slot.warning("Some settings in the link were not understood or are out of range, and "
                     "were replaced (by their defaults unless said): "
                     f"{', '.join(view.rejected)}.", icon=":material/link_off:")


def frame(view: View, title: str, intro: str, *, chart_first: bool = False) -> Controls:
    """Draw the shared page frame and return where the page's controls go.

    Args:
        view: the page's settings (its ``rejected`` URL values are reported here).
        title: the page title.
        intro: a short explanation in markdown (shown folded in lecture mode).
        chart_first: the page draws its controls with :meth:`Controls.later` and its chart
            with the player, so on the page's first run in a session the chart goes out
            before them (see :class:`Controls`).

    Returns:
        :class:`Controls` around the sidebar, or around an expander in lecture mode.
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
    seen = st.session_state.setdefault("_mpe_pages_run", set())
    first = view.page not in seen
    seen.add(view.page)
    controls = Controls(st.expander("Controls", expanded=False) if lecture else st.sidebar,
                        defer=chart_first and first)
    st.session_state[PENDING] = controls

    def shared() -> None:  # the sidebar's top, on every page (after the chart on a first run)
        st.toggle("Lecture mode", key="lecture", on_change=global_changed, args=("lecture",),
                  help="Large type and big step buttons for a projector; the controls fold "
                       "into an expander. Arrow keys step through the run.")
        st.button("Reset to defaults", key=f"{view.page}.reset", on_click=view.reset,
                  icon=":material/restart_alt:", width="stretch")
        st.caption("The address bar always holds this view: copy it to share exactly what you "
                   "see (uploads stay on your machine and are not part of the link).")

    controls.later(shared, where=st.sidebar)
    return controls
