"""Page runs take turns (explorer/ui/turns.py): never more than n at once, first come first
served, a timed-out waiter leaves the queue, and app.py routes every page through a turn.

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


def test_turns_are_first_come_first_served_and_bounded():
    turns = Turns(2)
    assert turns.acquire(1) and turns.acquire(1)  # both turns taken by the test
    order, inside, most = [], [0], [0]
    lock = threading.Lock()

    def run(i):
        assert turns.acquire(30)
        with lock:
            order.append(i)
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        time.sleep(0.002)
        with lock:
            inside[0] -= 1
        turns.release()

    threads = []
    for i in range(12):
        t = threading.Thread(target=run, args=(i,))
        t.start()
        threads.append(t)
        _wait_until(lambda i=i: turns.waiting() == i + 1)
    turns.release()
    turns.release()
    for t in threads:
        t.join(30)
    assert order == list(range(12))
    assert most[0] <= 2
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
    assert "with page_turn():\n    pages.run()" in app
