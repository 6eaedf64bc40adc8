"""AppTest of every topic page and its controls, against independent oracles.

Oracles: brute-force enumeration of the model's joint table (numpy einsum, written here), the
chain's hand-computed marginals, networkx's Weisfeiler-Leman hash, the model structure (one
parallel BP message per edge direction), and the recorded trace's own length.
"""

import itertools

import networkx as nx
import numpy as np
import pytest

pytest.importorskip("streamlit")

from explorer import pgm  # noqa: E402
from explorer.io import load_graph  # noqa: E402
from explorer.ui.testing import app_test, array, charts, trace_named, player_data as player  # noqa: E402


def step_to(at, page, k):
    """What the browser does when the chart reaches step ``k``: the step reaches the page."""
    at.session_state[f"{page}.step"] = k
    return at.run()


def panel_step(at):
    """(k, n) of the panel's "**Step k of n**" line."""
    import re

    text = next(m.value for m in at.markdown if m.value.startswith("**Step "))
    k, n = re.match(r"\*\*Step (\d+) of (\d+)\*\*", text).groups()
    return int(k), int(n)


def _ok(at):
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def _brute_marginals(fg):
    """P(X_i) for every variable by summing the full product of factor tables."""
    joint = np.ones(fg.cards)
    for f in fg.factors:
        shape = [fg.cards[v] if v in f.scope else 1 for v in range(fg.n_vars)]
        order = np.argsort(f.scope)
        joint = joint * np.transpose(f.table, order).reshape(shape)
    joint /= joint.sum()
    axes = range(fg.n_vars)
    return [joint.sum(axis=tuple(a for a in axes if a != i)) for i in axes]


# ---------------------------------------------------------------------- belief propagation
def test_bp_default_shows_one_frame_per_iteration_and_every_node():
    at = app_test("belief_propagation")
    _ok(at)
    fg = pgm.load_model("asia")
    fig = player(at)["figure"]
    iterations = int(next(m.value for m in at.metric if m.label == "Iterations"))
    assert len(fig["frames"]) == iterations
    n_drawn = len(array(trace_named(fig, "nodes")["x"])) + len(array(trace_named(fig, "factor")["x"]))
    assert n_drawn == fg.n_vars + fg.n_factors
    # parallel schedule: every variable-factor pair sends one message each way per iteration
    assert len(array(trace_named(fig, "messages")["x"])) == 2 * len(fg.edge_pairs()[0])


def test_bp_belief_bars_match_brute_force_on_a_tree():
    at = app_test("belief_propagation", query={"sample": "chain_bn", "node": "2"})
    _ok(at)
    step_to(at, "bp", len(player(at)["figure"]["frames"]) - 1)
    _ok(at)
    fg = pgm.load_model("chain_bn")
    exact = _brute_marginals(fg)[2]
    bars = charts(at)["player.beliefs"]["data"]
    bp, ex = (np.array(array(b["y"])) for b in bars)
    np.testing.assert_allclose(ex, exact, atol=1e-9)
    np.testing.assert_allclose(bp, exact, atol=1e-6)  # BP is exact on a tree


def test_bp_max_mode_gives_the_brute_force_map():
    at = app_test("belief_propagation", query={"sample": "chain_bn", "mode": "max"})
    _ok(at)
    fg = pgm.load_model("chain_bn")
    best, arg = -1.0, None
    for x in itertools.product(*[range(c) for c in fg.cards]):
        p = np.prod([f.table[tuple(x[v] for v in f.scope)] for f in fg.factors])
        if p > best:
            best, arg = p, x
    text = next(m.value for m in at.markdown if m.value.startswith("**MAP assignment:**"))
    for i, s in enumerate(arg):
        assert f"{fg.names[i]}={fg.states[i][s]}" in text


def test_bp_one_set_of_controls_and_the_panel_follows_the_step():
    at = app_test("belief_propagation")
    data = player(at)
    fig = data["figure"]
    n = len(fig["frames"])
    # the chart is the only stepping control: no Plotly buttons or slider, no Streamlit ones
    assert "updatemenus" not in fig["layout"] and "sliders" not in fig["layout"]
    assert not [b for b in at.button if b.key and b.key.split(".")[-1] in
                ("first", "back", "next", "last")]
    assert data["step"] == 0 and len(data["labels"]) == n and data["keys"] is True
    assert panel_step(at) == (1, n)
    step_to(at, "bp", 1)
    _ok(at)
    assert panel_step(at) == (2, n) and at.query_params["step"] == "1"
    assert player(at)["step"] == 1  # a full rerun opens the chart on the same step
    step_to(at, "bp", 10_000)  # out of range (a stale report) is clamped to the last step
    assert panel_step(at) == (n, n) and at.session_state["bp.step"] == n - 1
    step_to(at, "bp", 0)
    assert panel_step(at) == (1, n) and "step" not in at.query_params


def test_bp_chart_frames_end_on_the_brute_force_beliefs():
    # chain_bn is a tree: the node colours of the last frame (belief of each variable's first
    # state) are the exact marginals, which brute force gives independently
    at = app_test("belief_propagation", query={"sample": "chain_bn"})
    fig = player(at)["figure"]
    fg = pgm.load_model("chain_bn")
    nodes = fig["frames"][-1]["data"][1]  # frames update messages, nodes, selected's messages
    got = np.array(array(nodes["marker"]["color"]), dtype=float)
    want = np.array([m[0] for m in _brute_marginals(fg)])
    np.testing.assert_allclose(got, want, atol=1e-6)


def test_bp_controls_and_errors():
    at = app_test("belief_propagation", query={"sample": "four_cycle", "max_iter": "400"})
    _ok(at)
    assert any("oscillating" in w.value for w in at.warning)  # undamped parallel BP on the cycle
    at.slider(key="bp.damping").set_value(0.5).run()
    _ok(at)
    assert not at.warning
    assert next(m.value for m in at.metric if m.label == "Converged") == "yes"
    at.selectbox(key="bp.updates").set_value("tree").run()
    assert not at.exception
    assert "tree schedule needs a tree-shaped" in at.error[0].value
    assert at.query_params["updates"] == "tree"  # the setting that led here is kept


def test_bp_evidence_round_trips_through_the_url():
    at = app_test("belief_propagation", query={"sample": "chain_bn"})
    option = at.multiselect(key="bp.evidence").options[-1]
    at.multiselect(key="bp.evidence").set_value([option]).run()
    _ok(at)
    link = dict(at.query_params)
    again = app_test("belief_propagation", query=link)
    _ok(again)
    assert again.multiselect(key="bp.evidence").value == [option]
    assert player(again)["figure"] == player(at)["figure"]
    bad = app_test("belief_propagation", query={"sample": "chain_bn", "evidence": "Nope=1"})
    assert not bad.exception and any("Nope=1" in w.value for w in bad.warning)


# ---------------------------------------------------------------------- variable elimination
def test_ve_chain_gives_the_hand_computed_p_x5():
    at = app_test("variable_elimination")
    _ok(at)
    text = " ".join(m.value for m in at.markdown)
    assert "P(X5=0) = 0.4125" in text and "P(X5=1) = 0.5875" in text
    assert len(player(at)["figure"]["frames"]) == 8  # X1..X4 eliminated, then 4 backward messages
    at.slider(key="ve.n").set_value(7).run()
    _ok(at)
    assert len(player(at)["figure"]["frames"]) == 12
    assert next(m.value for m in at.metric if m.label == "Naive terms kⁿ") == f"{2 ** 7:,}"


# ---------------------------------------------------------------------- neural
@pytest.mark.parametrize("layer", ["gcn", "sage", "gat", "gin", "mpnn", "gn"])
def test_every_layer_runs_with_one_frame_per_layer(layer):
    at = app_test("neural", query={"sample": "caffeine", "layer": layer, "layers": "3"})
    _ok(at)
    fig = player(at)["figure"]
    assert len(fig["frames"]) >= 3
    assert len(array(trace_named(fig, "nodes")["x"])) == load_graph("caffeine").n_nodes
    if layer == "gat":
        att = charts(at)["player.attention"]
        assert len(att["data"]) == 2  # default: two heads, one bar series each


def test_receptive_field_grows_one_hop_per_layer():
    # chain5 is directed X1 -> ... -> X5: after k layers X5 has heard from k+1 nodes
    at = app_test("neural", query={"sample": "chain5", "layers": "4", "node": "4"})
    _ok(at)
    for k in range(4):
        if k:
            step_to(at, "nn", k)
        cap = next(c.value for c in at.caption if "Receptive field" in c.value)
        assert f"heard from {k + 2} of 5" in cap


@pytest.mark.parametrize("node", [0, 16])
def test_receptive_field_caption_is_the_clicked_nodes_bfs_field(node):
    # the Trace keeps no fields: the page computes the clicked node's on demand (networkx: oracle)
    G = load_graph("karate").to_networkx()
    at = app_test("neural", query={"sample": "karate", "layers": "2", "node": str(node)})
    _ok(at)
    for k in range(2):
        if k:
            step_to(at, "nn", k)
        want = len(nx.single_source_shortest_path_length(G, node, cutoff=k + 1))
        cap = next(c.value for c in at.caption if "Receptive field" in c.value)
        assert f"heard from {want} of 34" in cap


# ---------------------------------------------------------------------- matrix, WL, smoothing
def test_matrix_view_matches_the_message_form():
    at = app_test("matrix")
    _ok(at)
    assert at.success and "agree" in at.success[0].value
    heat = charts(at)["matrix.heatmaps"]["data"]
    R = np.array(array(heat[0]["z"]), dtype=float)
    G = nx.grid_2d_graph(3, 3)
    deg = np.array([d for _, d in G.degree()]) + 1.0  # GCN adds a self-loop
    assert R.shape == (9, 9)
    np.testing.assert_allclose(sorted(np.diag(R)), sorted(1 / deg), atol=1e-12)


@pytest.mark.parametrize("a, b", [("two_triangles", "hexagon"), ("decalin", "bicyclopentyl"),
                                  ("two_triangles", "star")])
def test_wl_verdict_matches_networkx(a, b):
    at = app_test("expressiveness", query={"a": a, "b": b})
    _ok(at)
    ga, gb = (load_graph(n).to_networkx() for n in (a, b))
    same = nx.weisfeiler_lehman_graph_hash(ga) == nx.weisfeiler_lehman_graph_hash(gb)
    if same:
        assert "cannot tell them apart" in at.warning[0].value
    else:
        assert "tells them apart" in at.success[0].value
    assert len(array(trace_named(player(at)["figure"], "nodes")["x"])) == ga.number_of_nodes() + gb.number_of_nodes()


def test_oversmoothing_sweeps_every_combination():
    at = app_test("oversmoothing", query={"depth": "4", "archs": "gcn,gin", "remedies": "none"})
    _ok(at)
    names = {d["name"] for d in charts(at)["smooth.metrics"]["data"]}
    assert names == {"gcn + none", "gin + none"}
    assert len(player(at)["figure"]["frames"]) == 5  # layers 0..4
    assert any("Ran on **cpu**" in c.value for c in at.caption)


# ---------------------------------------------------------------------- player, home
def test_lecture_figure_enlarges_markers_and_type_together():
    import json

    import plotly.graph_objects as go

    from explorer.ui.player import figure_json

    fig = go.Figure([go.Scatter(x=[0, 1], y=[0, 1], marker=dict(size=np.array([10.0, 20.0])),
                                textfont=dict(size=10))],
                    layout=dict(updatemenus=[dict(type="buttons")], sliders=[dict(steps=[])],
                                title=dict(text="run<br><sup>step 1 (1/2)</sup>")))
    fig.frames = [go.Frame(name="0", data=[go.Scatter(marker=dict(size=np.array([4.0, 8.0])))],
                           layout=dict(title=dict(text="x")))]
    plain = json.loads(figure_json(fig, height=500)[0])
    big = json.loads(figure_json(fig, lecture=True, height=500)[0])
    for d in (plain, big):  # one set of controls: the player's, never Plotly's
        assert "updatemenus" not in d["layout"] and "sliders" not in d["layout"]
        assert d["layout"]["height"] == 500 and d["layout"]["title"]["text"] == "run"
        assert "layout" not in d["frames"][0]  # frames carry data only: steps update in place
    np.testing.assert_allclose(array(big["data"][0]["marker"]["size"]), [14.5, 29.0], rtol=1e-6)
    np.testing.assert_allclose(array(big["frames"][0]["data"][0]["marker"]["size"]), [5.8, 11.6],
                               rtol=1e-6)
    np.testing.assert_allclose(array(plain["data"][0]["marker"]["size"]), [10.0, 20.0])
    assert big["data"][0]["textfont"]["size"] == pytest.approx(14.5)
    assert big["layout"]["font"]["size"] > 16


def test_home_demo_updates_are_the_mean_of_self_and_neighbours():
    import json

    at = app_test(None)
    _ok(at)
    data = next(json.loads(e.proto.json) for e in at.get("bidi_component")
                if e.proto.component_name == "mpe_player")
    assert data["autoplay"] and data["loop"] and not data["controls"]
    fig = json.loads(data["fig"])
    # the drawn edges give the graph; every "update" frame is mean(self + neighbours) of the
    # frame before it (networkx builds the adjacency independently)
    xs, ys = fig["data"][0]["x"], fig["data"][0]["y"]
    pts = [(round(xs[i], 6), round(ys[i], 6), round(xs[i + 1], 6), round(ys[i + 1], 6))
           for i in range(0, len(xs), 3)]
    nodes = fig["frames"][0]["data"][1]
    where = {(round(x, 6), round(y, 6)): i for i, (x, y) in
             enumerate(zip(array(nodes["x"]), array(nodes["y"])))}
    g = nx.Graph([(where[(a, b)], where[(c, d)]) for a, b, c, d in pts])
    a = nx.to_numpy_array(g, nodelist=range(len(where))) + np.eye(len(where))
    mean = a / a.sum(1, keepdims=True)
    states = [np.array(array(f["data"][1]["marker"]["color"]), dtype=float) for f in fig["frames"]]
    captions = [f["data"][2]["text"][0] for f in fig["frames"]]
    updates = [k for k, c in enumerate(captions) if "update" in c]
    assert len(updates) == 3
    for k in updates:
        np.testing.assert_allclose(states[k], mean @ states[k - 3], atol=1e-12)


def test_home_links_every_page_and_has_its_pictures():
    from pathlib import Path

    at = app_test(None)
    _ok(at)
    pages = Path(__file__).resolve().parents[1] / "explorer" / "ui" / "pages"
    linked = {Path(link.proto.page).stem for link in at.get("page_link")}  # URL names
    assert linked == {p.stem for p in pages.glob("*.py")} - {"home"}
    assert len(at.get("image")) >= 7  # a picture on every card but the upload one
