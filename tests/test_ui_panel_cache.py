"""The player's detail panel builds its charts and formula once per (run, step, node) and shares
them (explorer/ui/cache.py's "panels" store; issue 10: a step's server CPU under classroom load).
What a step shows from the cache must be exactly what a fresh build shows, at every step and
node, in this session and in another, and never another step's or node's numbers.

Oracles: figures and formulas built directly by the library from an independent engine run
(``pgm.run_bp``, ``nn.run_stack``, ``operators.operator_layer``, not the app's cached ones); BP
on a chain is exact, so its last beliefs equal variable elimination's marginals; GAT attention
into a node sums to 1 per head (softmax); R X Θ by numpy.
"""

import json

import numpy as np
import pytest

pytest.importorskip("streamlit")

from explorer import io, nn, pgm, viz  # noqa: E402
from explorer.nn import operators  # noqa: E402
from explorer.ui import cache, player  # noqa: E402
from explorer.ui.testing import app_test, array, charts  # noqa: E402


def _ok(at):
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def _show(at, page_id, step, node):
    """What the browser reports when the chart reaches ``step`` with ``node`` selected."""
    at.session_state[f"{page_id}.step"] = step
    at.session_state[f"{page_id}.node"] = node
    at.run()
    _ok(at)
    return at


def _latex(at):
    """The panel's formula as the page passed it to st.latex (Streamlit wraps it in $$)."""
    text = at.latex[0].value
    return text[3:-3] if text.startswith("$$\n") and text.endswith("\n$$") else text


def _json(fig):
    return json.loads(fig.to_json())


def test_bp_belief_bars_and_formula_are_the_engines_at_every_step_and_node():
    q = {"sample": "chain_bn", "mode": "max", "max_iter": "50"}
    fg = pgm.load_model("chain_bn")
    trace = pgm.run_bp(fg, mode="max", max_iter=50)  # independent of the app's cached run
    exact = pgm.exact_inference(fg)
    at = app_test("belief_propagation", query=q)
    _ok(at)
    variables = [i for i, r in enumerate(trace.graph.roles) if str(r).lower() != "factor"]
    for k in range(len(trace.steps)):
        for i in variables:
            _show(at, "bp", k, i)
            got = charts(at)["player.beliefs"]
            want = _json(viz.belief_bars(trace, k, i, exact["max_marginals"]))
            assert got == want, (k, i)
            assert _latex(at) == viz.node_update_latex(trace, k, i), (k, i)
    # chain: max-product is exact; the last step's bars are the exact max-marginals
    last = len(trace.steps) - 1
    for i in variables:
        _show(at, "bp", last, i)
        bp, ex = (np.array(array(t["y"]), dtype=float)
                  for t in charts(at)["player.beliefs"]["data"])
        name = trace.graph.display_labels[i]
        assert np.allclose(ex, list(exact["max_marginals"][name].values()), atol=1e-12)
        assert np.allclose(bp, ex, atol=1e-9)


def test_a_second_session_steps_from_the_shared_panels_and_sees_the_same():
    q = {"sample": "sachs", "tol": "1e-06", "step": "2", "node": "3"}
    first = app_test("belief_propagation", query=q)
    _ok(first)
    hits = cache.STORES["panels"].hits
    second = app_test("belief_propagation", query=q)
    _ok(second)
    assert cache.STORES["panels"].hits >= hits + 2  # the bars and the formula
    assert charts(second)["player.beliefs"] == charts(first)["player.beliefs"]
    assert _latex(second) == _latex(first)
    fg = pgm.load_model("sachs")
    trace = pgm.run_bp(fg, tol=1e-6)
    marg = pgm.exact_inference(fg)["marginals"]
    assert charts(second)["player.beliefs"] == _json(viz.belief_bars(trace, 2, 3, marg))


def test_gat_attention_panel_is_the_engines_and_each_head_sums_to_one():
    q = {"sample": "caffeine", "layer": "gat", "hidden": "8", "heads": "2", "layers": "3"}
    at = app_test("neural", query=q)
    _ok(at)
    graph = io.load_graph("caffeine")
    trace = nn.run_stack(graph, layer="gat", layers=3, hidden=8, heads=2, seed=0,
                         features=at.session_state["nn.features"])
    for k, i in [(0, 0), (1, 4), (2, 4), (1, 0)]:
        _show(at, "nn", k, i)
        got = charts(at)["player.attention"]
        assert got == _json(viz.attention_figure(trace, k, i)), (k, i)
        heads = np.array([array(t["y"]) for t in got["data"]], dtype=float)
        assert np.allclose(heads.sum(axis=1), 1.0, atol=1e-5)


def test_matrix_heatmaps_follow_the_node_and_are_r_x_theta():
    at = app_test("matrix", query={"sample": "tree", "hidden": "4"})
    _ok(at)
    graph = io.load_graph("tree")
    m = operators.operator_layer(graph, "sym_norm", hidden=4, seed=0, features="auto")
    assert np.allclose(m["Xp"], m["R"] @ m["X"] @ m["Theta"], atol=1e-12)
    labels = list(graph.display_labels)
    for node in (0, 2, 0):
        at.selectbox(key="matrix.node").set_value(node).run()
        _ok(at)
        want = _json(viz.heatmaps_figure(m["R"], m["X"], m["Theta"], m["Xp"],
                                         node_labels=labels, selected=node))
        assert charts(at)["matrix.heatmaps"] == want, node


def test_belief_figure_entries_are_apart_for_runs_exact_answers_and_steps():
    fg = pgm.load_model("chain_bn")
    trace = pgm.run_bp(fg)
    marg = pgm.exact_inference(fg)["marginals"]
    ev = tuple(float(v).hex() for v in viz.charts.exact_vector(marg, trace, 0))
    with_exact = cache.belief_figure(trace, "t|x", 1, 0, marg, ev)
    without = cache.belief_figure(trace, "t|x", 1, 0, None, None)
    assert len(with_exact.data) == 2 and len(without.data) == 1
    assert cache.belief_figure(trace, "t|x", 1, 0, marg, ev) is with_exact  # a hit
    other = cache.belief_figure(trace, "t|x", 0, 0, marg, ev)
    assert _json(other) == _json(viz.belief_bars(trace, 0, 0, marg))


def test_selected_node_texts_are_encoded_once_and_bounded():
    graph = io.load_graph("karate")
    trace = nn.run_stack(graph, layer="gcn", layers=2, hidden=4, seed=0)
    pos = cache.layout(graph, "karate-test", "auto", 0)
    fig = viz.trace_figure(trace, pos, selectable=True)
    if getattr(fig, "_mpe_texts", None) is None:
        pytest.skip("this figure's texts do not depend on the node")
    for node in (0, 5):
        frames = fig._mpe_texts(node)
        want = json.loads(json.dumps(frames, cls=__import__("plotly").utils.PlotlyJSONEncoder))
        got = player._select_texts(fig, node, False)
        assert got["node"] == node and json.loads(got["frames"]) == want
        assert player._select_texts(fig, node, False) is got  # the memo
    lecture = json.loads(player._select_texts(fig, 0, True)["frames"])
    plain = json.loads(player._select_texts(fig, 0, False)["frames"])
    assert lecture != plain or not any("textfont" in t or "marker" in t for t in plain)
    for node in range(graph.n_nodes):
        player._select_texts(fig, node, False)
    assert len(fig._mpe_texts_memo) <= player.TEXTS_MEMO


def test_message_table_is_the_engines_messages_at_every_step_and_node():
    """The panel's table (Arrow, built once per (run, step, node) and shared) lists exactly the
    messages the engine sent into the node at that step: senders, receivers, values and norms
    read straight from an independent run's Trace arrays, in a second session from the cache."""
    q = {"sample": "karate", "layers": "3", "hidden": "4"}
    at = app_test("neural", query=q)
    _ok(at)
    graph = io.load_graph("karate")
    trace = nn.run_stack(graph, layer="gcn", layers=3, hidden=4, seed=0,
                         features=at.session_state["nn.features"])
    labels = list(graph.display_labels)
    for k, i in [(0, 0), (1, 33), (2, 5), (0, 11)]:
        _show(at, "nn", k, i)
        got = at.table[0].value
        s = trace.steps[k]
        sent = [j for j, e in enumerate(np.asarray(s.edges)) if graph.receivers[e] == i]
        assert list(got.columns) == ["from", "to", "message", "norm"]
        assert len(got) == len(sent) and len(sent) > 0, (k, i)
        for row, j in zip(got.itertuples(index=False), sent):
            e = int(s.edges[j])
            m = np.asarray(s.messages[j], dtype=float)
            assert (row[0], row[1]) == (labels[graph.senders[e]], labels[i])
            assert row[2] == player.fmt_vec(m)
            assert row[3] == round(float(np.linalg.norm(m)), 4)
    hits = cache.STORES["panels"].hits
    second = app_test("neural", query={**q, "step": "1", "node": "33"})
    _ok(second)
    assert cache.STORES["panels"].hits > hits
    _show(at, "nn", 1, 33)
    assert second.table[0].value.equals(at.table[0].value)
