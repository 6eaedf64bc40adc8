"""AppTest of the Over-smoothing page: the animated combination, its PCA view and the cursor charts.

Oracles: depth sweeps run here directly (the library), the first principal component computed
here from numpy's eigen-decomposition, and the step set the way the chart reports it.
"""

import numpy as np
import pytest

pytest.importorskip("streamlit")

from explorer.diagnostics.pca import layer_pca  # noqa: E402
from explorer.diagnostics.probe import layer_accuracies  # noqa: E402
from explorer.diagnostics.sweep import depth_sweep  # noqa: E402
from explorer.io import load_graph  # noqa: E402
from explorer.ui.testing import app_test, array, charts  # noqa: E402
from tests.test_ui_pages import player  # noqa: E402

QUERY = {"depth": "4", "archs": "gcn,gin", "remedies": "none"}
PANELS = ["dirichlet_energy", "feature_norm", "mad", "mad_gap", "effective_rank", "numerical_rank",
          "mean_cosine_similarity", "accuracy"]       # karate has classes: the probe panel too
# (MADGap on karate: no pair is 8 hops apart, so its thresholds are scaled to the diameter, 5)


@pytest.fixture(scope="module")
def graph():
    return load_graph("karate")


@pytest.fixture(scope="module")
def sweeps(graph):
    return {f"{a} + none": depth_sweep(graph, layer=a, depth=4, hidden=16, remedy="none", device="cpu",
                                       seed=0, keep_features=True, adapt_hops=True) for a in ("gcn", "gin")}


@pytest.fixture(scope="module")
def page():
    """One run showing gin, then the step moved to 3 as the chart reports it."""
    at = app_test("oversmoothing", query={**QUERY, "show": "gin + none"})
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    first = (player(at), charts(at))
    at.session_state["smooth.step"] = 3
    at.run()
    assert not at.exception
    return at, first


def _pc1(x):
    """First principal component scores by hand (covariance eigenvector, largest loading > 0)."""
    xc = np.asarray(x, float) - np.mean(x, axis=0)
    w, v = np.linalg.eigh(xc.T @ xc)
    u = v[:, np.argmax(w)]
    return xc @ (u if u[np.argmax(np.abs(u))] > 0 else -u)


def _frame_colors(fig, k):
    fr = fig["frames"][k]
    return np.array(array(fr["data"][fr["traces"].index(5)]["marker"]["color"]), float)


def test_animated_combination_follows_selector(page, sweeps):
    at, (data, _) = page
    assert at.session_state["smooth.show"] == "gin + none"
    fig = data["figure"]
    assert len(fig["frames"]) == 5
    pcs = [_pc1(f) for f in sweeps["gin + none"].features]
    for k in range(5):
        assert np.allclose(_frame_colors(fig, k), pcs[k], atol=1e-5)
    assert not np.allclose(_frame_colors(fig, 2), _pc1(sweeps["gcn + none"].features[2]), atol=1e-3)
    # one colour scale for every layer: the range of all layers' PC1 together
    nodes = next(t for t in fig["data"] if t.get("name") == "nodes")
    allv = np.concatenate(pcs)
    assert nodes["marker"]["cmin"] == pytest.approx(allv.min(), abs=1e-6)
    assert nodes["marker"]["cmax"] == pytest.approx(allv.max(), abs=1e-6)
    assert nodes["marker"]["colorbar"]["title"]["text"] == "1st principal component"


@pytest.mark.parametrize("show", ["gat + none", "nonsense", "gin + pairnorm"])
def test_selector_falls_back_to_a_swept_combination(show):
    at = app_test("oversmoothing", query={**QUERY, "show": show})
    assert not at.exception and not at.error
    assert at.session_state["smooth.show"] == "gcn + none"
    assert at.selectbox(key="smooth.show").options == ["gcn + none", "gin + none"]


def test_pca_points_equal_the_librarys(page, sweeps, graph):
    at, (_, first) = page
    p = layer_pca(sweeps["gin + none"].features)
    labels = list(graph.display_labels)
    for step, fig in ((0, first["smooth.pca"]), (3, charts(at)["smooth.pca"])):
        seen = 0
        for t in fig["data"]:
            idx = [labels.index(h) for h in t["hovertext"]]
            assert np.allclose(array(t["x"]), p.scores[step][idx, 0])
            assert np.allclose(array(t["y"]), p.scores[step][idx, 1])
            assert set(np.asarray(graph.y)[idx]) == {int(t["name"].split()[-1])}
            seen += len(idx)
        assert seen == graph.n_nodes
        assert fig["layout"]["title"]["text"].startswith(f"layer {step}:")
        lim = 1.05 * p.extent       # fixed axes: the same at every layer
        assert fig["layout"]["xaxis"]["range"] == pytest.approx([-lim, lim])
        assert fig["layout"]["yaxis"]["range"] == pytest.approx([-lim, lim])


def test_cursor_is_at_the_step(page):
    at, (_, first) = page
    for step, fig in ((0, first["smooth.metrics"]), (3, charts(at)["smooth.metrics"])):
        shapes = fig["layout"]["shapes"]
        assert len(shapes) == len(PANELS)
        assert {(s["x0"], s["x1"]) for s in shapes} == {(step, step)}
    assert at.session_state["smooth.step"] == 3


def test_metrics_shown_equal_the_sweeps(page, sweeps, graph):
    at, _ = page
    fig = charts(at)["smooth.metrics"]
    titles = [a["text"] for a in fig["layout"]["annotations"]][:len(PANELS)]
    assert "MADGap (far − near)" in titles and "numerical rank" in titles
    assert "mean cosine similarity" in titles and "linear-probe accuracy" in titles
    assert [t["name"] for t in fig["data"]] == [n for n in sweeps for _ in PANELS]
    for j, (name, sw) in enumerate(sweeps.items()):
        acc = layer_accuracies(sw.features, graph.y, 0)
        for p, m in enumerate(PANELS):
            t = fig["data"][j * len(PANELS) + p]
            want = np.array(acc if m == "accuracy" else [d[m] for d in sw.layers], float)
            if m not in ("mad_gap", "mean_cosine_similarity", "accuracy"):
                want = np.where(want > 0, want, np.nan)      # log axis: non-positive left out
            got = np.array([np.nan if v is None else v for v in array(t["y"])], float)
            assert np.allclose(got, want, equal_nan=True, rtol=1e-12), (name, m)
            assert array(t["x"]) == list(range(5))
    # karate's diameter is 5: no pair is 8 hops apart, so MADGap's thresholds are scaled to it
    # (remote >= 4 hops, near 1..2): the values against the paper's formula on networkx's hops
    import networkx as nx

    from tests.test_diag_metrics import ref_mad

    G = nx.Graph(list(zip(graph.senders.tolist(), graph.receivers.tolist())))
    sp = dict(nx.all_pairs_shortest_path_length(G))
    d = np.array([[sp[i][j] for j in range(graph.n_nodes)] for i in range(graph.n_nodes)])
    for j, (name, sw) in enumerate(sweeps.items()):
        assert sw.params["mad_gap_hops"] == {"near": 2, "far": 4, "adapted": True, "diameter": 5}
        t = fig["data"][j * len(PANELS) + PANELS.index("mad_gap")]
        want = [ref_mad(f, d >= 4) - ref_mad(f, (d >= 1) & (d <= 2)) for f in sw.features]
        assert np.allclose(array(t["y"]), want, rtol=1e-9), name
        assert "MADGap (remote ≥ 4 hops, near ≤ 2)" in t["hovertemplate"]
    assert len(fig["layout"]["annotations"]) == len(PANELS)
    assert any(c.value.startswith("MADGap = MAD of remote pairs (at least 4 hops apart) − MAD of near "
                                  "pairs (1–2 hops).") and "diameter 5" in c.value for c in at.caption)
    plain = depth_sweep(graph, layer="gcn", depth=1, hidden=4, device="cpu", seed=0)
    assert plain.params["mad_gap_hops"]["far"] == 8 and all(r["mad_gap"] is None for r in plain.layers)
