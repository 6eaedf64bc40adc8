"""The over-smoothing panel beside the animated graph (explorer/ui/smoothing_panel.py).

Oracles: the library's per-layer metrics of a recorded run checked against dense numpy formulas
(Dirichlet energy as (2/N) tr(XᵀLX) with a dense Laplacian, the numerical rank from numpy's SVD,
the mean cosine over an N x N cosine matrix, the Frobenius norm); the Neural page's panel checked
against a second, independent run of the same stack measured by ``all_metrics``; PCA points
against numpy's eigen-decomposition; the Over-smoothing page's combinations against the product
of its architectures and remedies, its lines against depth sweeps run here.
"""

import itertools

import numpy as np
import pytest

pytest.importorskip("streamlit")

from explorer import nn  # noqa: E402
from explorer.diagnostics.metrics import all_metrics  # noqa: E402
from explorer.diagnostics.probe import layer_accuracies  # noqa: E402
from explorer.diagnostics.sweep import depth_sweep  # noqa: E402
from explorer.diagnostics.trace import STATE_LIMIT, sweep_to_trace, trace_layers, trace_metrics  # noqa: E402
from explorer.errors import ModelError  # noqa: E402
from explorer.io import load_graph  # noqa: E402
from explorer.ui.testing import app_test, array, charts  # noqa: E402
from tests.test_ui_pages import player  # noqa: E402

NN_PANELS = ["dirichlet_energy", "feature_norm", "mad_gap", "numerical_rank", "mean_cosine_similarity",
             "accuracy"]
LINEAR = {"mad_gap", "mean_cosine_similarity", "accuracy"}


@pytest.fixture(scope="module")
def graph():
    return load_graph("karate")


# ---------------------------------------------------------------------- library: dense formulas
def _dense(x, g):
    """(energy, numerical rank, mean cosine, norm) of x by dense numpy formulas."""
    n = g.n_nodes
    a = np.zeros((n, n))
    a[g.senders, g.receivers] = 1.0
    a = np.maximum(a, a.T)
    np.fill_diagonal(a, 0.0)
    lap = np.diag(a.sum(1)) - a
    energy = 2.0 / n * np.trace(x.T @ lap @ x)
    sv = np.linalg.svd(x, compute_uv=False)
    nrank = (sv ** 2).sum() / sv[0] ** 2
    u = x / np.linalg.norm(x, axis=1, keepdims=True)
    c = u @ u.T
    cos = (c.sum() - np.trace(c)) / (n * (n - 1))
    return energy, nrank, cos, np.linalg.norm(x)


@pytest.mark.parametrize("kind", ["gcn", "gin", "gn"])
def test_trace_metrics_equal_dense_formulas(graph, kind):
    trace = nn.run_stack(graph, layer=kind, layers=3, hidden=6, seed=1)
    tl = trace_layers(trace)
    assert tl.layers == [0, 1, 2, 3] and tl.steps == [None, 0, 1, 2]   # gn's readout step left out
    rows = trace_metrics(trace)
    assert np.array_equal(tl.features[0], trace.graph.x)
    for k, row in enumerate(rows):
        x = trace.result["layers"][k - 1] if k else trace.graph.x    # the engine's own states
        if np.any(np.linalg.norm(x, axis=1) == 0):
            continue      # zero rows: the library's rule (left out of the cosine), not this formula
        e, r, c, f = _dense(np.asarray(x, float), graph)
        assert row["dirichlet_energy"] == pytest.approx(e, rel=1e-9)
        assert row["numerical_rank"] == pytest.approx(r, rel=1e-6)
        assert row["mean_cosine_similarity"] == pytest.approx(c, abs=1e-9)
        assert row["feature_norm"] == pytest.approx(f, rel=1e-12)
        assert row["layer"] == k and row["step"] == (k - 1 if k else None)


def test_oversmooth_trace_layers_and_the_projection_refused(graph):
    sw = depth_sweep(graph, layer="gcn", depth=3, hidden=8, device="cpu", seed=0, keep_features=True)
    tl = trace_layers(sweep_to_trace(sw, graph))
    assert tl.layers == tl.steps == [0, 1, 2, 3]
    assert all(np.allclose(a, b) for a, b in zip(tl.features, sw.features))
    rows = trace_metrics(sweep_to_trace(sw, graph))
    for row, d in zip(rows, sw.layers):   # the trace's states give the sweep's own numbers
        assert row["dirichlet_energy"] == pytest.approx(d["dirichlet_energy"], rel=1e-9)
        assert row["effective_rank"] == pytest.approx(d["effective_rank"], rel=1e-9)
    big = load_graph("karate")
    wide = depth_sweep(big, layer="gcn", depth=1, hidden=STATE_LIMIT // big.n_nodes + 1, device="cpu",
                       seed=0, keep_features=True)
    with pytest.raises(ModelError, match="2 principal components"):
        trace_layers(sweep_to_trace(wide, big))


# ---------------------------------------------------------------------- the Neural page
@pytest.fixture(scope="module")
def neural(graph):
    """The Neural page (gcn, 4 layers, hidden 4, seed 0) with the Over-smoothing panel, first on
    step 0, then on step 2."""
    at = app_test("neural", query={"sample": "karate", "layers": "4", "panel": "smoothing"})
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    first = charts(at)
    at.session_state["nn.step"] = 2
    at.run()
    assert not at.exception
    return at, first


@pytest.fixture(scope="module")
def reference(graph):
    """The same stack run again here, measured layer by layer by the library's all_metrics."""
    trace = nn.run_stack(graph, layer="gcn", layers=4, hidden=4, seed=0, record=False)
    feats = [trace.graph.x] + list(trace.result["layers"])
    rows = [all_metrics(f, graph) for f in feats]
    # MADGap on karate (diameter 5, no 8-hop pair): remote >= 4 hops, near 1..2 hops, by the
    # paper's formula on networkx's all-pairs distances
    import networkx as nx

    from tests.test_diag_metrics import ref_mad

    G = nx.Graph(list(zip(graph.senders.tolist(), graph.receivers.tolist())))
    sp = dict(nx.all_pairs_shortest_path_length(G))
    d = np.array([[sp[i][j] for j in range(graph.n_nodes)] for i in range(graph.n_nodes)])
    for r, f in zip(rows, feats):
        assert r["mad_gap"] is None                          # the library default: no 8-hop pair
        r["mad_gap"] = ref_mad(f, d >= 4) - ref_mad(f, (d >= 1) & (d <= 2))
    return feats, rows


def test_neural_panel_shows_the_runs_metrics(neural, reference, graph):
    at, _ = neural
    fig = charts(at)["nn.metrics"]
    feats, ref = reference
    titles = [a["text"] for a in fig["layout"]["annotations"]]
    assert titles[:len(NN_PANELS)] == ["Dirichlet energy E (Rusch et al.)", "feature norm ‖X‖_F",
                                       "MADGap (far − near)", "numerical rank",
                                       "mean cosine similarity", "linear-probe accuracy"]
    acc = layer_accuracies(feats, graph.y, 0)
    assert len(fig["data"]) == len(NN_PANELS)
    for t, m in zip(fig["data"], NN_PANELS):
        want = np.array(acc if m == "accuracy" else [r[m] for r in ref], float)
        if m not in LINEAR:
            want = np.where(want > 0, want, np.nan)
        got = np.array([np.nan if v is None else v for v in array(t["y"])], float)
        assert np.allclose(got, want, rtol=1e-6, equal_nan=True), m
        assert array(t["x"]) == [0, 1, 2, 3, 4]
    # karate's diameter is 5: MADGap's thresholds are scaled to it, and the caption says so
    assert any("at least 4 hops apart" in c.value and "(1–2 hops)" in c.value and "diameter 5" in c.value
               for c in at.caption)
    mg = fig["data"][NN_PANELS.index("mad_gap")]
    assert "MADGap (remote ≥ 4 hops, near ≤ 2)" in mg["hovertemplate"]


def test_neural_cursor_and_pca_follow_the_step(neural, reference, graph):
    at, first = neural
    feats, _ = reference
    for layer, figs in ((1, first), (3, charts(at))):        # step k shows layer k + 1
        shapes = figs["nn.metrics"]["layout"]["shapes"]
        assert {(s["x0"], s["x1"]) for s in shapes} == {(layer, layer)}
        pca = figs["nn.pca"]
        assert pca["layout"]["title"]["text"].startswith(f"layer {layer}:")
        xc = feats[layer] - feats[layer].mean(0)
        w, v = np.linalg.eigh(xc.T @ xc)
        u = v[:, np.argmax(w)]
        pc1 = xc @ (u if u[np.argmax(np.abs(u))] > 0 else -u)
        labels = list(graph.display_labels)
        for t in pca["data"]:
            idx = [labels.index(h) for h in t["hovertext"]]
            assert np.allclose(array(t["x"]), pc1[idx], atol=1e-6)
    assert any(m.value.startswith("**Over-smoothing by layer** · cursor at layer 3") for m in at.markdown)


@pytest.mark.parametrize("kind", ["sage", "gat", "gin", "mpnn", "gn"])
def test_every_layer_kind_gets_the_panel(kind):
    at = app_test("neural", query={"sample": "karate", "layer": kind, "layers": "3", "panel": "smoothing"})
    assert not at.exception and not at.error, [e.value for e in at.error]
    n = len(player(at)["labels"])
    at.session_state["nn.step"] = n - 1                  # gn: the readout step, no node states
    at.run()
    assert not at.exception
    shapes = charts(at)["nn.metrics"]["layout"]["shapes"]
    assert {s["x0"] for s in shapes} == {3}              # the last layer
    assert any("no node states" in c.value for c in at.caption) == (kind == "gn")


def test_a_click_on_a_layer_names_its_step(graph):
    from explorer.ui.smoothing_panel import Depth, step_for_click

    neural_depth = Depth({}, None, [0, 1, 2, 3], [None, 0, 1, 2], [], {}, [], None, "nn")
    sweep_depth = Depth({}, None, [0, 1, 2], [0, 1, 2], [], {}, [], None, "smooth")

    def sel(*xs):
        return {"selection": {"points": [{"x": x, "y": 0.5} for x in xs]}}

    assert step_for_click(neural_depth, sel(3)) == 2
    assert step_for_click(neural_depth, sel(1.0, 2)) == 0     # the first point clicked
    assert step_for_click(neural_depth, sel(0)) is None       # input features: no step shows it
    assert step_for_click(sweep_depth, sel(0)) == 0
    assert step_for_click(sweep_depth, sel(7)) is None
    assert step_for_click(sweep_depth, {"selection": {"points": []}}) is None
    assert step_for_click(sweep_depth, None) is None


# ---------------------------------------------------------------------- every combination animates
ARCHS, REMEDIES = ["gcn", "sage", "gat", "gin"], ["none", "residual", "pairnorm", "gcnii", "dropedge"]
ALL = {"depth": "2", "archs": ",".join(ARCHS), "remedies": ",".join(REMEDIES)}


def test_every_valid_combination_is_offered():
    at = app_test("oversmoothing", query=ALL)
    assert not at.exception and not at.error
    valid = [f"{a} + {r}" for a, r in itertools.product(ARCHS, REMEDIES) if r != "gcnii" or a == "gcn"]
    assert at.selectbox(key="smooth.show").options == valid      # 17: gcnii is GCN's own layer
    assert any("gcnii is GCN's own layer" in c.value for c in at.caption)


@pytest.mark.parametrize("show", ["gin + dropedge", "gat + pairnorm", "gcn + gcnii"])
def test_any_combination_animates(graph, show):
    at = app_test("oversmoothing", query={**ALL, "show": show})
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.session_state["smooth.show"] == show
    assert len(player(at)["figure"]["frames"]) == 3
    arch, remedy = show.split(" + ")
    sw = depth_sweep(graph, layer=arch, depth=2, hidden=16, remedy=remedy, device="cpu", seed=0,
                     keep_features=True)
    fig = charts(at)["smooth.metrics"]
    names = list(dict.fromkeys(t["name"] for t in fig["data"]))
    valid = at.selectbox(key="smooth.show").options
    assert names == valid[:8] + ([show] if show not in valid[:8] else [])   # 8 compared + it
    line = next(t for t in fig["data"] if t["name"] == show)      # the first panel: the energy
    assert np.allclose(array(line["y"]), [d["dirichlet_energy"] for d in sw.layers], rtol=1e-9)


def test_gcnii_alone_with_another_layer_animates_gcnii():
    at = app_test("oversmoothing", query={"depth": "2", "archs": "sage", "remedies": "gcnii"})
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.selectbox(key="smooth.show").options == ["gcn + gcnii"]


def _panel_app():
    """A one-panel app: a 12-node path (nodes 8+ hops apart), a 3-layer GCN, the panel at step 1."""
    from explorer import nn
    from explorer.graph import Graph
    from explorer.ui import player, smoothing_panel
    from explorer.ui.state import View

    g = Graph.from_edges(12, [(i, i + 1) for i in range(11)])
    trace = nn.run_stack(g, layer="gcn", layers=3, hidden=4, seed=0)
    view = View("t", {**player.DEFAULTS})
    depth = smoothing_panel.from_trace(trace, "path12", "GCN", 0, "t")
    smoothing_panel.draw(view, depth, 1)


def test_madgap_is_drawn_where_far_pairs_exist():
    from streamlit.testing.v1 import AppTest

    from explorer.graph import Graph

    at = AppTest.from_function(_panel_app).run()
    assert not at.exception, at.exception
    fig = charts(at)["t.metrics"]
    titles = [a["text"] for a in fig["layout"]["annotations"]]
    assert "MADGap (far − near)" in titles
    g = Graph.from_edges(12, [(i, i + 1) for i in range(11)])
    trace = nn.run_stack(g, layer="gcn", layers=3, hidden=4, seed=0, record=False)
    want = [all_metrics(f, g)["mad_gap"] for f in [trace.graph.x] + list(trace.result["layers"])]
    assert all(w is not None for w in want)
    got = array(fig["data"][titles.index("MADGap (far − near)")]["y"])
    assert np.allclose(got, want, rtol=1e-9)
    assert {s["x0"] for s in fig["layout"]["shapes"]} == {2}           # step 1 shows layer 2
    assert not any("no value" in c.value for c in at.caption)
    assert any(c.value.startswith("MADGap = MAD of remote pairs (at least 8 hops apart) − MAD of "
                                  "near pairs (1–3 hops).") for c in at.caption)    # Chen's own


# ---------------------------------------------------------------------- beside the graph (layout)
def test_neural_panel_choice_is_kept_in_the_view_and_the_link():
    at = app_test("neural", query={"sample": "karate", "layers": "3"})
    assert not at.exception and not at.error
    assert "nn.metrics" not in charts(at)                       # the default: Messages
    assert at.segmented_control(key="nn.panel").value == "messages"
    assert at.latex and not any(e.label.startswith("This step's node") for e in at.expander)
    at.segmented_control(key="nn.panel").set_value("smoothing").run()
    assert not at.exception
    assert "nn.metrics" in charts(at) and "nn.pca" in charts(at)
    assert at.query_params.get("panel") in ("smoothing", ["smoothing"])   # a shared link keeps it
    folded = next(e for e in at.expander if e.label.startswith("This step's node"))
    assert folded.latex and folded.selectbox(key="nn.node")      # formula and picker folded below
    at.segmented_control(key="nn.panel").set_value("messages").run()
    assert "nn.metrics" not in charts(at) and "panel" not in at.query_params


def test_oversmoothing_panel_leads_with_the_charts():
    """Over-smoothing page: under the step line come the heading, the scatter and the charts;
    the note, node picker, formula and messages fold into an expander below them."""
    at = app_test("oversmoothing", query={"sample": "karate", "depth": "3", "remedies": "none"})
    assert not at.exception and not at.error
    md = [m.value for m in at.markdown]
    step = next(i for i, v in enumerate(md) if v.startswith("**Step 1 of 4**"))
    assert md[step + 1].startswith("**The collapse by depth** · cursor at layer 0")
    folded = next(e for e in at.expander if e.label.startswith("This step's node"))
    assert folded.selectbox(key="smooth.node") and folded.latex


def _layer0_app():
    """A one-panel app: a neural run's panel on step 2, then a click on layer 0 (the callback
    the metric chart calls, with the selection plotly reports), then drawn again."""
    import streamlit as st

    from explorer import nn
    from explorer.graph import Graph
    from explorer.ui import player, smoothing_panel
    from explorer.ui.state import View

    g = Graph.from_edges(6, [(i, i + 1) for i in range(5)])
    trace = nn.run_stack(g, layer="gcn", layers=3, hidden=4, seed=0)
    view = View("t", {**player.DEFAULTS})
    depth = smoothing_panel.from_trace(trace, "path6", "GCN", 0, "t")
    if not st.session_state.get("clicked"):
        view.set("step", 2)
        st.session_state["fake.metrics"] = {"selection": {"points": [{"x": 0, "y": 1.0}]}}
        smoothing_panel._clicked(view, depth, "fake.metrics")
        st.session_state["clicked"] = True
    st.session_state["seek"] = st.session_state.get("_mpe_seek.t")
    smoothing_panel.draw(view, depth, int(view["step"]))


def test_a_click_on_layer_0_shows_the_input_features_and_says_so():
    from streamlit.testing.v1 import AppTest

    from explorer.graph import Graph
    from explorer.diagnostics.pca import layer_pca

    at = AppTest.from_function(_layer0_app).run()
    assert not at.exception, at.exception
    assert at.session_state["t.step"] == 0                        # the graph: its first step
    assert at.session_state["seek"]["step"] == 0                  # sent to the chart
    assert any(m.value.startswith("**The collapse by depth** · cursor at layer 0") for m in at.markdown)
    assert any("Layer 0 is the input features: no step of the graph shows them" in c.value
               for c in at.caption)
    figs = charts(at)
    assert {s["x0"] for s in figs["t.metrics"]["layout"]["shapes"]} == {0}
    g = Graph.from_edges(6, [(i, i + 1) for i in range(5)])
    x = nn.run_stack(g, layer="gcn", layers=3, hidden=4, seed=0).graph.x
    want = layer_pca([x]).scores[0]
    got = figs["t.pca"]["data"][0]
    assert np.allclose(array(got["x"]), want[:, 0]) and np.allclose(array(got["y"]), want[:, 1])
    # the graph moves on (Next): the hold is dropped and the cursor follows the step again
    at.session_state["t.step"] = 1
    at.run()
    assert {s["x0"] for s in charts(at)["t.metrics"]["layout"]["shapes"]} == {2}
    assert not any("Layer 0 is the input features: no step" in c.value for c in at.caption)


def test_the_cursor_figure_of_a_layer_is_the_figure_built_for_it(graph):
    """Each layer's chart is the run's base chart with the cursor moved: it must equal the chart
    depth_cursor_figure builds for that layer, in its cursor lines and in everything else."""
    from explorer.ui import smoothing_panel as sp
    from explorer.viz.charts import depth_cursor_figure

    trace = nn.run_stack(graph, layer="gcn", layers=4, hidden=4, seed=0)
    depth = sp.from_trace(trace, "karate-gcn4", "GCN", 0, "k")
    for row in (0, 3, 4):
        got = sp._cursor_figure.__wrapped__(depth, "", row, False).to_dict()
        base = sp._cursor_base.__wrapped__(depth, "", False)
        direct = depth_cursor_figure(depth.runs, depth.layers[row], depth.metrics, cols=1).to_dict()
        assert [(s["x0"], s["x1"]) for s in got["layout"]["shapes"]] == \
               [(s["x0"], s["x1"]) for s in direct["layout"]["shapes"]]
        assert got["layout"]["meta"] == {"cursor": depth.layers[row]}
        assert got["data"] == base["data"]
        strip = lambda d: {k: v for k, v in d["layout"].items() if k not in ("shapes", "meta")}  # noqa: E731
        assert strip(got) == strip(base)


def test_a_shallow_runs_charts_tick_at_whole_layers(graph):
    """Layers are whole numbers: a 2-layer run's metric charts tick at 0, 1, 2 (Plotly's own
    choice put ticks at 0.5 and 1.5); a deep run keeps Plotly's spacing."""
    from explorer.ui import smoothing_panel as sp

    for layers, want in ((2, 1), (12, None)):
        trace = nn.run_stack(graph, layer="gcn", layers=layers, hidden=4, seed=0)
        depth = sp.from_trace(trace, f"karate-gcn{layers}", "GCN", 0, "k")
        lay = sp._cursor_base.__wrapped__(depth, "", False)["layout"]
        axes = [v for k, v in lay.items() if k.startswith("xaxis")]
        assert axes and all(a.get("dtick") == want for a in axes)
        if want:
            assert all(a.get("tick0") == 0 for a in axes)
