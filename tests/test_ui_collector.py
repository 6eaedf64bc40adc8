"""Full garbage collections between runs (explorer/ui/collector.py): CPython's automatic full
collection is off in the app server, and a collector thread makes it when no run executes, at
CPython's default rate, or regardless after FORCE middle collections.

Oracles: the rule written out by hand (THRESHOLD, FORCE, MIN_GAP_S); a reference cycle that only
a full collection frees (a weak reference tells); gc.get_threshold() in a fresh interpreter.
"""

import gc
import subprocess
import sys
import weakref

from explorer.ui import collector, turns


def test_the_rule():
    t, f, gap = collector.THRESHOLD, collector.FORCE, collector.MIN_GAP_S
    assert not collector.due(t - 1, busy=False, since_s=gap)  # not yet CPython's rate
    assert collector.due(t, busy=False, since_s=gap)
    assert not collector.due(t, busy=True, since_s=gap)  # a run executes: wait
    assert not collector.due(t, busy=False, since_s=gap / 2)  # collected a moment ago
    assert collector.due(f, busy=True, since_s=0.0)  # however busy: bounded garbage
    assert not collector.due(f - 1, busy=True, since_s=10 * gap)


class _Node:
    pass


def _cycle_in_the_old_generation():
    a, b = _Node(), _Node()
    a.other, b.other = b, a
    gc.collect(1)  # both survive into the oldest generation
    gc.collect(1)
    ref = weakref.ref(a)
    del a, b
    gc.collect(1)  # a middle collection does not reach the oldest generation
    assert ref() is not None
    return ref


def test_a_tick_collects_only_when_quiet_and_due(monkeypatch):
    monkeypatch.setattr(collector, "_last", [0.0])
    monkeypatch.setattr(collector.gc, "get_count", lambda: (0, 0, collector.THRESHOLD))
    ref = _cycle_in_the_old_generation()
    with turns.step_run():  # a step executes: nothing happens
        assert collector.tick() is False
    assert ref() is not None
    assert collector.tick() is True  # quiet: collected
    assert ref() is None
    ref = _cycle_in_the_old_generation()
    assert collector.tick() is False  # collected a moment ago
    assert ref() is not None


def test_a_tick_collects_while_busy_after_force(monkeypatch):
    monkeypatch.setattr(collector, "_last", [1e18])
    monkeypatch.setattr(collector.gc, "get_count", lambda: (0, 0, collector.FORCE))
    ref = _cycle_in_the_old_generation()
    with turns.page_turn():
        assert collector.tick() is True
    assert ref() is None


def test_install_acts_in_a_server_only_and_once():
    code = (
        "import gc, threading\n"
        "from explorer.ui import collector\n"
        "before = gc.get_threshold()\n"
        "collector.install()\n"  # no Streamlit server in this process: nothing changes
        "assert gc.get_threshold() == before and not collector.installed()\n"
        "collector.install(force=True); collector.install(force=True)\n"
        "young, middle, full = gc.get_threshold()\n"
        "assert (young, middle) == before[:2] and full == collector.OFF, gc.get_threshold()\n"
        "names = [t.name for t in threading.enumerate()]\n"
        "assert names.count('explorer-full-gc') == 1, names\n"
        "print('ok')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
