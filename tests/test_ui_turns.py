"""Page runs take turns (explorer/ui/turns.py): never more than n at once, first come first
served, a timed-out waiter leaves the queue, a long computation hands its turn on, and app.py
routes every page through a turn.

The oracles are the order in which the threads asked (they are started one by one, each after
the previous one is seen waiting) and a counter of runs inside a turn.
"""

import threading
import time
from pathlib import Path

from explorer.ui.turns import Turns


def _wait_until(cond, limit=10.0):
    end = time.monotonic() + limit
    while not cond():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.001)


def _queue_up(turns, n, run):
    """Start ``n`` threads running ``run(i)``, each after the previous one is seen waiting."""
    threads = []
    for i in range(n):
        t = threading.Thread(target=run, args=(i,))
        t.start()
        threads.append(t)
        _wait_until(lambda i=i: turns.waiting() == i + 1)
    return threads


def test_turns_are_first_come_first_served():
    turns = Turns(1)
    assert turns.acquire(1)  # the turn is taken by the test while the line forms
    order = []

    def run(i):
        assert turns.acquire(30)
        order.append(i)  # one turn: nobody else runs until it is released
        turns.release()

    threads = _queue_up(turns, 12, run)
    turns.release()
    for t in threads:
        t.join(30)
    assert order == list(range(12))
    assert turns.free == 1 and turns.waiting() == 0


def test_never_more_runs_than_turns():
    turns = Turns(2)
    assert turns.acquire(1) and turns.acquire(1)
    inside, most = [0], [0]
    lock = threading.Lock()

    def run(i):
        assert turns.acquire(30)
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        time.sleep(0.002)
        with lock:
            inside[0] -= 1
        turns.release()

    threads = _queue_up(turns, 12, run)
    turns.release()
    turns.release()
    for t in threads:
        t.join(30)
    assert 1 <= most[0] <= 2
    assert turns.free == 2 and turns.waiting() == 0


def test_a_late_arrival_does_not_take_a_released_turn():
    turns = Turns(1)
    assert turns.acquire(1)
    got = []
    first = threading.Thread(target=lambda: got.append(("first", turns.acquire(10))))
    first.start()
    _wait_until(lambda: turns.waiting() == 1)
    turns.release()  # handed to the waiter, not put back in the pool
    assert turns.acquire(0.05) is False  # a newcomer finds no free turn
    first.join(10)
    assert got == [("first", True)]


def test_a_waiter_that_times_out_leaves_the_queue():
    turns = Turns(1)
    assert turns.acquire(1)
    assert turns.acquire(0.01) is False
    assert turns.waiting() == 0
    turns.release()
    assert turns.free == 1


def test_the_app_runs_each_page_in_a_turn():
    app = (Path(__file__).resolve().parents[1] / "app.py").read_text()
    assert "with page_turn(urgent=again):\n    try:\n        pages.run()" in app


def test_a_long_computation_hands_its_turn_on(monkeypatch):
    """A page run computing in a 'long' store (an engine) lets the next page run go meanwhile,
    and takes a turn again before it goes on drawing; a cheap store keeps the turn."""
    from explorer.ui import cache, turns

    monkeypatch.setattr(turns, "TURNS", Turns(1))
    events = []
    started, other_done = threading.Event(), threading.Event()

    def engine():
        events.append(("computing", turns.holding()))
        started.set()
        assert other_done.wait(10)  # the other page ran while this computed
        return 42

    def page():
        with turns.page_turn():
            events.append(("page starts", turns.holding()))
            value = cache.Store("t", cache.Budget(4, 1 << 20, 1 << 20), long=True).get("k", engine)
            events.append(("page goes on", turns.holding(), value))

    def other():
        assert started.wait(10)
        with turns.page_turn():
            events.append(("other page", turns.holding()))
        other_done.set()

    threads = [threading.Thread(target=page), threading.Thread(target=other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert events == [("page starts", True), ("computing", False), ("other page", True),
                      ("page goes on", True, 42)]
    assert turns.TURNS.free == 1

    with turns.page_turn():
        cache.Store("c", cache.Budget(4, 1 << 20, 1 << 20)).get(
            "k", lambda: events.append(("cheap", turns.holding())))
    assert events[-1] == ("cheap", True)


def test_runs_are_counted_while_they_execute_and_a_panel_in_a_page_run_is_no_step():
    """turns.running() counts page runs inside their turn and steps (panel fragment reruns);
    the panel drawn as part of a page run is that page run, not a step."""
    from explorer.ui import turns

    assert turns.running() == {"page": 0, "step": 0}
    with turns.step_run():
        assert turns.running() == {"page": 0, "step": 1}
    with turns.page_turn():
        assert turns.running() == {"page": 1, "step": 0}
        with turns.step_run():  # the panel inside the page's own run
            assert turns.running() == {"page": 1, "step": 0}
    assert turns.running() == {"page": 0, "step": 0}
    seen = []
    inside, leave = threading.Event(), threading.Event()

    def step():
        with turns.step_run():
            inside.set()
            assert leave.wait(10)

    t = threading.Thread(target=step)
    t.start()
    assert inside.wait(10)
    seen.append(turns.running())
    leave.set()
    t.join(10)
    assert seen == [{"page": 0, "step": 1}] and turns.running() == {"page": 0, "step": 0}


def test_a_page_run_gives_way_to_a_step_and_never_for_long(monkeypatch):
    """At a checkpoint a page run sleeps while a step executes, and goes on when the step ends
    (or after GIVE_WAY_S; at most GIVE_WAY_RUN_S per run); a step or a thread outside any run
    never waits. Oracle: the order of events recorded by the threads."""
    from explorer.ui import turns

    monkeypatch.setattr(turns, "GIVE_WAY_S", 5.0)
    monkeypatch.setattr(turns, "GIVE_WAY_RUN_S", 5.0)
    assert turns.give_way() == 0.0  # outside a run
    events = []
    inside, leave = threading.Event(), threading.Event()

    def step():
        with turns.step_run():
            assert turns.give_way() == 0.0  # a step never waits for itself
            inside.set()
            assert leave.wait(10)
            events.append("step ends")

    def page():
        with turns.page_turn():
            assert inside.wait(10)
            threading.Timer(0.05, leave.set).start()
            turns.give_way()
            events.append("page goes on")

    threads = [threading.Thread(target=step), threading.Thread(target=page)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert events == ["step ends", "page goes on"]

    # a step that never ends holds a page up for GIVE_WAY_S at a time, GIVE_WAY_RUN_S in all
    monkeypatch.setattr(turns, "GIVE_WAY_S", 0.02)
    monkeypatch.setattr(turns, "GIVE_WAY_RUN_S", 0.05)
    inside.clear(), leave.clear()
    t = threading.Thread(target=step)
    t.start()
    assert inside.wait(10)
    with turns.page_turn():
        waits = [turns.give_way() for _ in range(6)]
    leave.set()
    t.join(10)
    assert all(w <= 1.0 for w in waits) and sum(waits) <= 1.0
    assert waits[-1] == 0.0 and waits[0] > 0.0  # the run's budget is spent, then no more waiting


def test_an_urgent_run_goes_before_the_opens_in_line_and_after_earlier_urgent_ones():
    turns = Turns(1)
    assert turns.acquire(1)
    order = []

    def run(i, urgent):
        assert turns.acquire(30, urgent)
        order.append(i)
        turns.release()

    threads = []
    for i, urgent in enumerate([False, False, True, False, True]):
        t = threading.Thread(target=run, args=(i, urgent))
        t.start()
        threads.append(t)
        _wait_until(lambda i=i: turns.waiting() == i + 1)
    turns.release()
    for t in threads:
        t.join(30)
    assert order == [2, 4, 0, 1, 3]
    assert turns.free == 1 and turns.waiting() == 0
