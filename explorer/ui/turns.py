"""Whole page runs take turns; a step's panel never waits for them.

Streamlit runs every session's script in a thread of one process, and Python runs one thread at
a time (the GIL). When 30 students open pages at once, 30 page runs of about 0.2 s each share
the interpreter, and a student who presses Next meanwhile waits for a 31st share: the step's
fragment rerun (the detail panel, a few hundredths of a second of work) took seconds. Here at
most :data:`SLOTS` whole page runs execute at a time and the others wait, asleep, for a turn
(first come, first served); fragment reruns do not pass through ``app.py`` and never queue, so
a step competes with a few runs instead of all of them. The total work is the same; the order
changes, which also makes the average page open finish sooner (the first in line no longer
waits for the last).

``app.py`` wraps the page it routes to in :func:`page_turn`; the caches (:mod:`explorer.ui.cache`)
hand the turn on while an engine computes (:func:`set_aside`), so a long computation does not
hold up other pages. A rerun of the page a session already shows (a setting changed) is
*urgent*: it waits behind other urgent runs only, not behind the page opens in line. And steps
go first even among runs that hold a turn: a page run sleeps at its checkpoints while a step
executes (:func:`give_way`, from every cached value it asks for and every ``guard.attempt``),
so a step shares the interpreter with other steps only. The number of turns is
``$EXPLORER_PAGE_TURNS`` when set (``0``: no limit), else the number of cores between 2 and 4:
enough that an engine computing with torch (outside the GIL) leaves a turn for the others.
"""

from __future__ import annotations

import collections
import contextlib
import os
import threading
import time
from typing import Iterator

__all__ = ["SLOTS", "TURNS", "Turns", "page_turn", "set_aside", "holding", "waiting", "step_run",
           "running", "give_way"]


def _slots() -> int:
    text = os.environ.get("EXPLORER_PAGE_TURNS", "").strip()
    if text:
        try:
            return max(0, int(text))
        except ValueError:
            pass
    return max(2, min(4, os.cpu_count() or 2))


class Turns:
    """``n`` turns handed out first come, first served — urgent runs first.

    Unlike ``threading.Semaphore``, a released turn goes straight to the longest waiter, so a
    run that arrives later can never take it first (with 30 runs queued, barging let some wait
    for all the others). An *urgent* run (a setting changed on a page the session already
    shows) waits behind other urgent runs only, not behind the page opens queued before it.
    """

    def __init__(self, n: int) -> None:
        self.free = n
        self._queue: collections.deque[threading.Event] = collections.deque()
        self._urgent: collections.deque[threading.Event] = collections.deque()
        self._lock = threading.Lock()

    def waiting(self) -> int:
        """How many runs wait for a turn."""
        return len(self._queue) + len(self._urgent)

    def acquire(self, timeout: float, urgent: bool = False) -> bool:
        """Take a turn, waiting at most ``timeout`` seconds; False when none came."""
        with self._lock:
            if self.free > 0 and not self._queue and not self._urgent:
                self.free -= 1
                return True
            turn = threading.Event()
            line = self._urgent if urgent else self._queue
            line.append(turn)
        if turn.wait(timeout):
            return True
        with self._lock:
            if turn.is_set():  # handed over just as the wait ended
                return True
            line.remove(turn)
            return False

    def release(self) -> None:
        """Give the turn back: to the longest urgent waiter, else the longest waiter, else to
        the pool."""
        with self._lock:
            if self._urgent:
                self._urgent.popleft().set()
            elif self._queue:
                self._queue.popleft().set()
            else:
                self.free += 1


#: whole page runs that may execute at once (0: unlimited)
SLOTS = _slots()
TURNS = Turns(SLOTS) if SLOTS else None


def waiting() -> int:
    """How many page runs are waiting for a turn right now."""
    return TURNS.waiting() if TURNS is not None else 0


_held = threading.local()  # .turn: whether this thread holds a turn now


def holding() -> bool:
    """True when the current thread holds a turn."""
    return bool(getattr(_held, "turn", False))


_runs_lock = threading.Condition()
_runs = {"page": 0, "step": 0}  # runs executing now (a page run waiting for its turn is not)
#: the longest a page run waits for steps at one :func:`give_way`, and over the whole run (s)
GIVE_WAY_S = 0.05
GIVE_WAY_RUN_S = 0.5


@contextlib.contextmanager
def _running(kind: str) -> Iterator[None]:
    with _runs_lock:
        _runs[kind] += 1
    if kind == "page":
        _held.page, _held.waited = True, 0.0
    try:
        yield
    finally:
        if kind == "page":
            _held.page = False
        with _runs_lock:
            _runs[kind] -= 1
            if kind == "step" and _runs["step"] == 0:
                _runs_lock.notify_all()


def give_way() -> float:
    """A page run lets the steps executing now finish first; returns the seconds it waited.

    Python runs one thread at a time, so a step (a panel fragment rerun, ~10 ms of work) that
    shares the interpreter with page runs takes several times its own time, and longer still as
    it hands the interpreter over each time it sends an element. Page runs call this at their
    checkpoints (every cached value they ask for, every :func:`explorer.ui.guard.attempt`): while
    a step executes they sleep — at most :data:`GIVE_WAY_S` each time and
    :data:`GIVE_WAY_RUN_S` per run, so a page always opens. Elsewhere (a step, a test, the CLI)
    it returns at once.
    """
    if not getattr(_held, "page", False) or not _runs["step"]:
        return 0.0
    budget = min(GIVE_WAY_S, GIVE_WAY_RUN_S - _held.waited)
    if budget <= 0:
        return 0.0
    start = time.perf_counter()
    with _runs_lock:
        _runs_lock.wait_for(lambda: not _runs["step"], timeout=budget)
    waited = time.perf_counter() - start
    _held.waited += waited
    return waited


def running() -> dict[str, int]:
    """How many page runs and steps (panel fragment runs) are executing right now:
    ``{"page": n, "step": m}`` (:mod:`explorer.ui.collector` waits for none)."""
    with _runs_lock:
        return dict(_runs)


@contextlib.contextmanager
def step_run() -> Iterator[None]:
    """Mark a step (a rerun of the player's panel fragment) as executing; it never waits for a
    turn. Inside a whole page run (the panel drawn as part of the page) it marks nothing."""
    if getattr(_held, "page", False):
        yield
        return
    with _running("step"):
        yield


@contextlib.contextmanager
def page_turn(limit_s: float = 600.0, urgent: bool = False) -> Iterator[float]:
    """Hold one of the :data:`SLOTS` turns for a whole page run; yields the seconds waited.

    ``urgent``: a rerun of the page the session already shows (a setting changed), which goes
    before the page opens in line. A run that waited ``limit_s`` goes ahead anyway (a turn
    held that long is a computation that should have its own budget; never a deadlock).
    """
    if TURNS is None:
        with _running("page"):
            yield 0.0
        return
    start = time.perf_counter()
    _held.urgent = urgent
    _held.turn = TURNS.acquire(limit_s, urgent)
    try:
        with _running("page"):
            yield time.perf_counter() - start
    finally:
        if holding():
            TURNS.release()
        _held.turn = False


@contextlib.contextmanager
def set_aside(limit_s: float = 600.0) -> Iterator[None]:
    """Give this run's turn to the next in line while it computes something long (an engine
    run, a layout, training) or waits for another session to compute it, and take a turn again
    afterwards (at the back of the line). A turn is for drawing a page, not for computing: two
    students training models must not keep every other page from opening. Does nothing on a
    thread without a turn (a fragment rerun, a test)."""
    if TURNS is None or not holding():
        yield
        return
    TURNS.release()
    _held.turn = False
    try:
        yield
    finally:
        _held.turn = TURNS.acquire(limit_s, getattr(_held, "urgent", False))
