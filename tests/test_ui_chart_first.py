"""Chart-first pages: on a page's first run in a session its controls wait until the chart has
gone out (explorer/ui/shell.py, ``Controls``), so a new visitor's browser mounts the graph before
it renders the sidebar; every control is still drawn, in the same order and with the same
values, on every run, including a run that stops before its chart.

No timings here: ``python -m explorer bench ui`` measures the first chart."""

import pytest

from explorer.ui import shell
from explorer.ui.testing import app_test


class Box:
    """A stand-in container that logs what is drawn inside it."""

    def __init__(self, log):
        self.log, self.inside = log, False

    def __enter__(self):
        self.inside = True
        return self

    def __exit__(self, *exc):
        self.inside = False


@pytest.fixture
def no_gap(monkeypatch):
    monkeypatch.setattr(shell, "FIRST_GAP_S", 0.0)


def test_deferred_blocks_wait_for_the_chart_then_run_in_order_inside_the_container(no_gap):
    log = []
    box = Box(log)
    c = shell.Controls(box, defer=True)
    c.later(lambda: log.append(("a", box.inside)))
    c.later(lambda: log.append(("b", box.inside)))
    log.append(("chart", box.inside))
    assert log == [("chart", False)]
    c.chart_out()
    assert log == [("chart", False), ("a", True), ("b", True)]
    c.later(lambda: log.append(("c", box.inside)))  # after the chart: at once
    assert log[-1] == ("c", True)
    c.chart_out()  # a second chart: nothing is drawn twice
    assert [x for x, _ in log] == ["chart", "a", "b", "c"]


def test_a_block_that_stops_the_run_while_the_controls_are_drawn_leaves_the_rest_drawn(no_gap):
    # guard.attempt flushes the held-back controls before st.stop; when that happens inside a
    # block being flushed (the Aggregators page's shuffle check), the blocks after it still run
    log = []
    box = Box(log)
    c = shell.Controls(box, defer=True)

    def stops():
        log.append("b")
        c.flush()  # what shell.flush_controls does before the stop
        raise RuntimeError("st.stop")

    c.later(lambda: log.append("a"))
    c.later(stops)
    c.later(lambda: log.append("d"))
    with pytest.raises(RuntimeError):
        c.chart_out()
    assert log == ["a", "b", "d"]


def test_the_gap_grows_with_the_chart_s_bytes_up_to_a_cap(monkeypatch):
    monkeypatch.setattr(shell, "FIRST_GAP_S", 0.6)
    slept = []
    monkeypatch.setattr(shell.time, "sleep", slept.append)
    for nbytes in (0, 500_000, 10_000_000):
        shell.Controls(Box([]), defer=True).chart_out(nbytes)
    shell.Controls(Box([]), defer=False).chart_out(10_000_000)  # a later run: no pause at all
    assert slept == pytest.approx([0.6, 0.6 + shell.GAP_S_PER_MB * 0.5, shell.MAX_GAP_S])


def test_without_deferral_blocks_run_at_once(no_gap):
    log = []
    box = Box(log)
    c = shell.Controls(box, defer=False)
    c.later(lambda: log.append(("a", box.inside)))
    assert log == [("a", True)]
    with c:  # a plain `with controls:` block draws inside the container too
        log.append(("with", box.inside))
    assert log[-1] == ("with", True)


def test_every_chart_first_page_draws_the_same_controls_on_its_first_and_second_run():
    for page, query in [("belief_propagation", {"sample": "asia"}), ("neural", {}),
                        ("variable_elimination", {}), ("graphs", {"sample": "karate"}),
                        ("matrix", {}), ("expressiveness", {}), ("clique_tree", {}),
                        ("gn_block", {}), ("oversmoothing", {"depth": "3"}), ("readout", {}),
                        ("aggregators", {})]:
        at = app_test(page, query=query, timeout=120)
        assert not at.exception, page
        first = [getattr(w, "key", None) for w in at.sidebar]
        at.run()
        assert not at.exception, page
        # the second run defers nothing: the first drew the same controls in the same order
        assert [getattr(w, "key", None) for w in at.sidebar] == first, page
        assert len([k for k in first if k and not k.endswith((".reset", "lecture"))]) >= 2, page


def test_a_link_whose_run_stops_before_the_chart_still_draws_every_control():
    # either = tub OR lung in asia: tub=yes with either=no has probability 0, so the page stops
    # before its chart on its very first run, while its controls are held back for the chart
    at = app_test("belief_propagation", query={"sample": "asia", "evidence": "tub=yes,either=no",
                                               "damping": "0.3"})
    assert not list(at.exception)
    assert any("probability 0" in e.value for e in at.error)
    assert sorted(at.multiselect(key="bp.evidence").value) == ["either=no", "tub=yes"]
    assert at.slider(key="bp.damping").value == 0.3
    assert at.selectbox(key="bp.sample").value == "asia"
    keys = [getattr(w, "key", None) for w in at.sidebar]
    assert keys.index("bp.sample") < keys.index("bp.mode") < keys.index("bp.evidence")


def _main_outline(at):
    """The main column's elements in page order, as (kind, text) pairs."""
    out = []
    for node in at.main:
        kind = type(node).__name__
        body = getattr(node, "value", None) if kind in ("Latex", "Markdown", "Caption", "Metric") \
            else None
        proto = getattr(node, "proto", None)
        if getattr(proto, "component_name", None) in ("mpe_player", "mpe_figure"):
            kind = "chart"  # the player, or the figure component (a page's chart without one)
        out.append((kind, body if isinstance(body, str) else None))
    return out


@pytest.mark.parametrize("page, query, kind", [("variable_elimination", {"n": "6"}, "Latex"),
                                              ("clique_tree", {}, "Metric"),
                                              ("graphs", {"sample": "karate"}, "Metric"),
                                              ("aggregators", {}, "Table")])
def test_text_that_leads_the_chart_keeps_its_place_above_it_on_a_first_run(no_gap, page, query,
                                                                           kind):
    # the VE sum, the clique tree's figures, the graph's size metrics and the aggregators'
    # shuffle tables are drawn after the chart on a first run
    # (Controls.later(where=...)); they must land where a later run draws them: above the chart
    at = app_test(page, query=query, timeout=120)
    assert not at.exception
    first = _main_outline(at)
    at.run()
    assert not at.exception
    assert _main_outline(at) == first
    kinds = [k for k, _ in first]
    assert kind in kinds
    assert kinds.index(kind) < kinds.index("chart")  # above the (first) chart
