"""Full garbage collections between runs, never in the middle of a student's step.

CPython's cycle collector now and then makes a *full* collection (generation 2) inside whatever
allocation happens to trigger it. It walks every container object of the process — the
libraries alone (streamlit, plotly, pandas, torch) hold about 270,000 — plus what the caches and
the sessions keep, with the interpreter lock held: every session's run stops meanwhile. On the
warm app server one such pass took 0.24–0.54 s, and with 30 students stepping it landed on
whichever steps were in flight (``python -m explorer bench serve``; issue 10: a step's p95).
Streamlit's own full collection after every run is already off (``runner.postScriptGC`` in
``.streamlit/config.toml``).

:func:`install` (called by ``app.py``) turns CPython's automatic full collections off and makes
them in a background thread instead, at about the same rate — once :data:`THRESHOLD` collections
of the middle generation have happened since the last full one (CPython's own default) — but only
when no page run and no step is executing (:func:`explorer.ui.turns.running`), and at most once
per :data:`MIN_GAP_S`. However busy the server stays, a full collection is made after
:data:`FORCE` middle collections, so unreachable cycles never pile up without bound. The young
generations collect as before (a few ms each).
"""

from __future__ import annotations

import gc
import threading
import time

from explorer.ui import turns

__all__ = ["install", "installed", "due", "tick", "THRESHOLD", "FORCE", "MIN_GAP_S", "POLL_S"]

#: middle-generation collections since the last full one after which a quiet server collects
#: (CPython's default third threshold)
THRESHOLD = 10
#: ... after which the server collects even while runs execute
FORCE = 100
#: at most one quiet full collection per this many seconds
MIN_GAP_S = 10.0
#: how often the collector looks (seconds)
POLL_S = 0.1
#: the third threshold while installed: CPython never reaches it by itself
OFF = 1 << 30

_lock = threading.Lock()
_thread: threading.Thread | None = None
_last = [0.0]  # monotonic time of the last full collection made here


def due(pending: int, busy: bool, since_s: float) -> bool:
    """Whether to make a full collection now.

    Args:
        pending: middle-generation collections since the last full one (``gc.get_count()[2]``).
        busy: a page run or a step is executing now.
        since_s: seconds since the last full collection made here.

    >>> due(12, busy=False, since_s=60.0), due(12, busy=True, since_s=60.0)
    (True, False)
    >>> due(FORCE, busy=True, since_s=0.0)
    True
    """
    if pending >= FORCE:
        return True
    return pending >= THRESHOLD and not busy and since_s >= MIN_GAP_S


def _busy() -> bool:
    return any(turns.running().values())


def tick() -> bool:
    """One look of the collector: a full collection when :func:`due`; True when it collected."""
    if due(gc.get_count()[2], _busy(), time.monotonic() - _last[0]):
        gc.collect(2)
        _last[0] = time.monotonic()
        return True
    return False


def _loop() -> None:
    while True:
        time.sleep(POLL_S)
        tick()


def installed() -> bool:
    """True when this process collects its full generation here (:func:`install` ran)."""
    return _thread is not None


def _served() -> bool:
    """True in a real Streamlit server (``streamlit run``); False elsewhere, e.g. under AppTest,
    which runs the app in the test process on a stand-in runtime."""
    try:
        from streamlit.runtime import Runtime
    except ImportError:  # pragma: no cover - streamlit is a dependency
        return False
    return Runtime.exists() and type(Runtime.instance()) is Runtime


def install(*, force: bool = False) -> None:
    """Move this process's full collections off the runs (once per process; later calls do
    nothing). ``app.py`` calls it; it acts only in a real server (a test process running the
    app with AppTest keeps CPython's collector as it is), unless ``force``."""
    global _thread
    with _lock:
        if _thread is not None or not (force or _served()):
            return
        young, middle, _ = gc.get_threshold()
        gc.set_threshold(young, middle, OFF)
        _last[0] = time.monotonic()
        _thread = threading.Thread(target=_loop, name="explorer-full-gc", daemon=True)
        _thread.start()
