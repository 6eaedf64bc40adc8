"""Pages rerun after a cache hit, and the caches and the session state that make that safe.

Issue 10.2: a progress bar updated inside a cached function broke every second visit of the
Over-smoothing page and the second Train on the Neural page (CacheReplayClosureError). Issue
10.1: widget state fell back to built-in defaults. Oracles: the first run's own numbers (a rerun
and a second session must show the same ones), numpy ``nbytes`` and torch
``numel * element_size`` for sizes, call counters for what is cached, and the values the test
set itself for the session state.
"""

import threading

import numpy as np
import pytest

pytest.importorskip("streamlit")

from explorer.ui import cache  # noqa: E402
from explorer.ui.testing import app_test  # noqa: E402

PAGES = {  # page -> a light query (every page; the heavy ones kept small)
    "home": {},
    "graphs": {"sample": "star"},
    "variable_elimination": {"n": "4"},
    "belief_propagation": {"sample": "chain_bn"},
    "neural": {"sample": "star", "layers": "2"},
    "matrix": {},
    "expressiveness": {},
    "oversmoothing": {"sample": "star", "depth": "3", "hidden": "4"},
    "upload": {},
}


def _ok(at):
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def _numbers(at):
    """What a run shows as numbers: metrics, markdown, captions and formulas."""
    return ([(m.label, m.value) for m in at.metric], [m.value for m in at.markdown],
            [c.value for c in at.caption], [x.value for x in at.latex])


# ---------------------------------------------------------------------- every page, rerun
@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_reruns_after_a_cache_hit_and_in_a_second_session(page):
    first = app_test(page, query=PAGES[page])
    _ok(first)
    shown = _numbers(first)
    first.run()  # the same session again: every cached call is now a hit
    _ok(first)
    assert _numbers(first) == shown
    second = app_test(page, query=PAGES[page])  # another visitor with the same link
    _ok(second)
    assert _numbers(second) == shown


def test_oversmoothing_twice_and_stepping_after_a_hit():
    q = {"sample": "star", "depth": "4", "hidden": "4", "archs": "gcn,gin", "remedies": "none"}
    first = app_test("oversmoothing", query=q)
    _ok(first)
    second = app_test("oversmoothing", query=q)
    _ok(second)
    assert _numbers(second) == _numbers(first)
    second.session_state["smooth.step"] = 1  # what the chart reports when it reaches step 1
    second.run()
    _ok(second)
    assert second.session_state["smooth.step"] == 1 and second.query_params["step"] == "1"
    second.selectbox(key="smooth.node").set_value(2).run()
    _ok(second)
    assert second.query_params["node"] == "2"


def test_neural_smoothing_panel_twice_in_a_second_session_and_stepping():
    """The Neural page's Over-smoothing panel (cached per run and layer): a rerun after the hit and
    a second visitor show the same numbers, a step keeps the panel, and the link keeps both."""
    q = {"sample": "karate", "layers": "3", "panel": "smoothing"}
    first = app_test("neural", query=q)
    _ok(first)
    shown = _numbers(first)
    assert any("cursor at layer 1" in m for m in shown[1])  # the panel leads, at step 1 (layer 1)
    first.run()
    _ok(first)
    assert _numbers(first) == shown
    second = app_test("neural", query=q)
    _ok(second)
    assert _numbers(second) == shown
    second.session_state["nn.step"] = 2  # what the chart reports when it reaches step 2
    second.run()
    _ok(second)
    assert any("cursor at layer 3" in m for m in [m.value for m in second.markdown])
    assert second.query_params["panel"] == "smoothing" and second.query_params["step"] == "2"


def test_train_twice_and_in_a_second_session():
    q = {"sample": "karate", "layers": "2"}
    at = app_test("neural", query=q)
    at.button(key="nn.train").click().run()
    _ok(at)
    acc = [c.value for c in at.caption if c.value.startswith("Test accuracy")]
    assert len(acc) == 1
    at.button(key="nn.train").click().run()  # the cached classifier, no replayed progress bar
    _ok(at)
    assert [c.value for c in at.caption if c.value.startswith("Test accuracy")] == acc
    other = app_test("neural", query=q)
    other.button(key="nn.train").click().run()
    _ok(other)
    assert [c.value for c in other.caption if c.value.startswith("Test accuracy")] == acc


def test_bp_next_and_node_after_a_hit_in_a_second_session():
    q = {"sample": "four_cycle", "damping": "0.3"}
    app_test("belief_propagation", query=q)
    at = app_test("belief_propagation", query=q)
    _ok(at)
    at.session_state["bp.step"] = 1  # what the chart reports when it reaches step 1
    at.run()
    at.selectbox(key="bp.node").set_value(1).run()
    _ok(at)
    assert at.query_params["step"] == "1" and at.query_params["node"] == "1"
    assert at.query_params["damping"] == "0.3" and at.query_params["sample"] == "four_cycle"


# ---------------------------------------------------------------------- session state
def test_every_view_widget_is_sent_with_its_value():
    """A widget sent without a value would carry its built-in default (None, the minimum, the
    first option) for the browser to fall back to; every View widget carries the kept value."""
    at = app_test("belief_propagation", query={"sample": "chain_bn", "mode": "max",
                                                "max_iter": "50", "tol": "1e-06"})
    _ok(at)
    at.run()  # a rerun, not only the first run
    max_iter = at.number_input(key="bp.max_iter")
    assert max_iter.proto.set_value and max_iter.value == 50
    tol = at.select_slider(key="bp.tol")
    assert tol.proto.set_value and tol.value == 1e-06
    for w in at.get("button_group"):
        assert w.proto.set_value


def test_a_missing_or_invalid_widget_value_never_replaces_a_chosen_one():
    at = app_test("belief_propagation", query={"sample": "chain_bn", "mode": "max",
                                                "max_iter": "50"})
    _ok(at)
    at.session_state["bp.mode"] = None  # what a re-created segmented control sends
    at.run()
    _ok(at)
    assert at.query_params["mode"] == "max" and at.query_params["max_iter"] == "50"
    assert at.session_state["_views"]["bp"]["mode"] == "max"
    assert next(m.value for m in at.metric if m.label == "Iterations") != "1"


def test_a_setting_survives_its_widget_not_being_drawn():
    at = app_test("neural", query={"sample": "star", "layer": "gat", "hidden": "8",
                                    "heads": "4"})
    _ok(at)
    at.selectbox(key="nn.layer").set_value("gcn").run()  # the heads slider is not drawn now
    _ok(at)
    at.selectbox(key="nn.layer").set_value("gat").run()
    _ok(at)
    assert at.select_slider(key="nn.heads").value == 4 and at.query_params["heads"] == "4"


def test_an_upload_stays_until_replaced():
    at = app_test("graphs")
    at.file_uploader(key="graphs.sample.file").upload("sq.edgelist", b"a b\nb c\nc d\nd a\n").run()
    _ok(at)
    assert at.selectbox(key="graphs.sample").value == "upload"
    at.run()
    at.switch_page("explorer/ui/pages/neural.py").run()
    _ok(at)
    assert "Your upload: sq.edgelist" in at.selectbox(key="nn.sample").options  # offered
    at.switch_page("explorer/ui/pages/graphs.py").run()
    _ok(at)
    assert at.selectbox(key="graphs.sample").value == "upload"
    assert next(m.value for m in at.metric if m.label == "Nodes") == "4"


# ---------------------------------------------------------------------- the stores
def test_estimate_bytes_matches_numpy_and_torch_sizes():
    torch = pytest.importorskip("torch")
    a = np.zeros((100, 50))
    assert cache.estimate_bytes(a) == a.nbytes
    t = torch.zeros(30, 7, dtype=torch.float32)
    assert cache.estimate_bytes(t) == 30 * 7 * 4
    assert cache.estimate_bytes({"a": a, "b": [a, t]}) >= a.nbytes + 30 * 7 * 4
    lin = torch.nn.Linear(10, 20)
    assert cache.estimate_bytes(lin) >= (10 * 20 + 20) * 4


def test_store_keeps_nothing_over_its_budget_and_evicts_by_bytes_and_age():
    calls = []

    def compute(n):
        calls.append(n)
        return np.zeros(n, dtype=np.uint8)

    store = cache.Store("t", cache.Budget(max_entries=10, max_bytes=3000, item_bytes=1500))
    store.get("big", lambda: compute(2000))
    store.get("big", lambda: compute(2000))
    assert calls == [2000, 2000] and store.skipped == 2 and len(store) == 0
    for k in "abc":
        store.get(k, lambda: compute(1000))  # each pickle is ~1.1 kB: c evicts a
    assert len(store) == 2 and store.bytes <= 3000
    store.get("b", lambda: compute(1000))
    assert calls.count(1000) == 3  # b was kept
    store.get("a", lambda: compute(1000))
    assert calls.count(1000) == 4  # a was evicted
    aged = cache.Store("t", cache.Budget(10, 10_000, 10_000, ttl=0.0))
    aged.get("x", lambda: compute(1))
    aged.get("x", lambda: compute(1))
    assert calls.count(1) == 2


def test_uploads_are_keyed_by_their_content_hash_and_errors_are_not_cached():
    calls = []

    @cache.cached("uploads")
    def parse(data: bytes, filename: str, _progress=None):
        calls.append(filename)
        if data == b"bad":
            raise ValueError("bad")
        return len(data)

    cache.STORES["uploads"].clear()
    assert parse(b"a b\n", "f.txt", _progress=object()) == 4
    assert parse(bytes(bytearray(b"a b\n")), "f.txt", _progress=object()) == 4  # same content
    assert parse(b"a c\n", "f.txt") == 4
    assert calls == ["f.txt", "f.txt"]
    for _ in range(2):
        with pytest.raises(ValueError):
            parse(b"bad", "g.txt")
    assert calls.count("g.txt") == 2
    cache.STORES["uploads"].clear()


def test_two_sessions_asking_at_once_compute_once():
    store = cache.Store("t", cache.Budget(10, 10**6, 10**6))
    gate, calls = threading.Event(), []

    def slow():
        calls.append(1)
        gate.wait(5)
        return 42

    results = []
    threads = [threading.Thread(target=lambda: results.append(store.get("k", slow)))
               for _ in range(3)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join(10)
    assert results == [42, 42, 42] and calls == [1]


def test_exact_cost_orders_models_by_their_work():
    from explorer import pgm

    chain = pgm.chain_model(6, 2)
    # by hand: eliminating from an end, five steps over two binary variables (4 entries) and
    # the last over one (2 entries), each plus the fixed step cost, times the engine's passes
    passes = cache._engine_passes(6)
    assert cache.exact_cost(chain) == passes * (5 * 4 + 2 + 6 * cache.STEP_COST)
    small, big = pgm.ising_grid(3, 3)[0], pgm.ising_grid(6, 6)[0]
    assert cache.exact_cost(small) < cache.exact_cost(big)
    # evidence removes a variable from every table it was in
    assert cache.exact_cost(chain, ((0, 0),)) < cache.exact_cost(chain)
    result, note = cache.exact_within_budget(chain, "t:chain", (), budget=1)
    assert result is None and "skipped" in note
    result, note = cache.exact_within_budget(chain, "t:chain", ())
    assert note is None and len(result["marginals"]) == 6
