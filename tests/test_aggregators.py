"""Aggregators and sampling: SAGE's aggr against PyG, the neighbour-shuffle check against numpy
sums, the seeded fan-out sample's bounds, and the page's numbers against the library's."""

import numpy as np
import pytest
import torch

from explorer.errors import ModelError
from explorer.graph import Graph
from explorer.io import load_graph
from explorer.nn.aggregation import sampled_layers, shuffle_check, shuffle_incoming
from explorer.nn.features import default_features
from explorer.nn.layers import SAGEConv


@pytest.mark.parametrize("aggr", ["mean", "max", "sum"])
def test_sage_aggr_matches_pyg(aggr):
    gnn = pytest.importorskip("torch_geometric.nn")
    g = load_graph("karate")
    x = torch.randn(g.n_nodes, 5, generator=torch.Generator().manual_seed(0))
    ei = torch.as_tensor(g.edge_index)
    ref = gnn.SAGEConv(5, 3, aggr=aggr)
    ours = SAGEConv(5, 3, aggr=aggr)
    ours.load_state_dict(ref.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(ours(x, ei), ref(x, ei), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("layer,aggr", [("sage", "mean"), ("sage", "max"), ("sage", "sum"), ("gin", "sum")])
def test_shuffle_leaves_the_aggregate_unchanged(layer, aggr):
    g = load_graph("karate")
    node = 33
    res = shuffle_check(g, node, layer=layer, aggr=aggr, features="random", shuffle_seed=4)
    x, _ = default_features(g, "random", 0)
    nbrs = g.senders[g.receivers == node]
    red = {"mean": np.mean, "max": np.max, "sum": np.sum}[aggr]
    np.testing.assert_allclose(res["before"]["aggregate"], red(x[nbrs], axis=0), atol=1e-5)
    np.testing.assert_allclose(res["after"]["aggregate"], red(x[nbrs], axis=0), atol=1e-5)
    assert res["aggregate_error"] < 1e-5 and res["state_error"] < 1e-5
    assert sorted(res["before"]["senders"]) == sorted(res["after"]["senders"])
    assert res["before"]["senders"] != res["after"]["senders"]  # the order really changed
    assert res["concat_error"] > 0.1  # an order-dependent combination sees the shuffle


def test_shuffle_only_moves_the_nodes_incoming_edges():
    g = load_graph("karate")
    g2, order = shuffle_incoming(g, 0, seed=2)
    moved = np.flatnonzero(order != np.arange(g.n_edges))
    assert moved.size and (g.receivers[moved] == 0).all()
    assert sorted(zip(g2.senders.tolist(), g2.receivers.tolist())) == sorted(zip(g.senders.tolist(), g.receivers.tolist()))


def test_bad_requests_are_refused():
    g = Graph.from_edges(3, [(0, 1), (1, 2)])
    with pytest.raises(ModelError, match="gin aggregates with"):
        shuffle_check(g, 1, layer="gin", aggr="mean")
    with pytest.raises(ModelError, match="expected a node in"):
        shuffle_check(g, 5)
    with pytest.raises(ModelError, match="fanout >= 1"):
        sampled_layers(g, fanout=0)


@pytest.mark.parametrize("fanout", [1, 3, 6])
def test_sample_keeps_at_most_fanout_incoming_edges(fanout):
    g = load_graph("karate")
    s = sampled_layers(g, fanout=fanout, seed=7)
    indeg = np.bincount(g.receivers, minlength=g.n_nodes)
    for kept, dropped in zip(s["kept"], s["dropped"]):
        reads = np.bincount(g.receivers[kept], minlength=g.n_nodes)
        assert (reads == np.minimum(indeg, fanout)).all()
        assert np.union1d(kept, dropped).tolist() == list(range(g.n_edges))
        assert np.intersect1d(kept, dropped).size == 0
    again = sampled_layers(g, fanout=fanout, seed=7)
    assert all(np.array_equal(a, b) for a, b in zip(s["kept"], again["kept"]))
    assert not np.array_equal(s["kept"][0], s["kept"][1])  # each layer draws its own sample
    other = sampled_layers(g, fanout=fanout, seed=8)
    assert not np.array_equal(s["kept"][0], other["kept"][0])


# ---------------------------------------------------------------------- the page
def _ok(at):
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def test_page_numbers_equal_the_library():
    pytest.importorskip("streamlit")
    from explorer.ui.testing import app_test, charts
    from explorer.viz.gn_view import fmt_row

    at = app_test("aggregators")
    _ok(at)
    g = load_graph("karate")
    res = shuffle_check(g, 0, layer="sage", aggr="mean", features="random", shuffle_seed=1)
    table = at.table[1].value
    assert table.iloc[0]["as listed"] == fmt_row(res["before"]["aggregate"], 4)
    assert table.iloc[0]["shuffled"] == fmt_row(res["after"]["aggregate"], 4)
    s = sampled_layers(g, fanout=3, seed=0, features="random")
    assert next(m.value for m in at.metric if m.label == "Edges read") == f"{s['kept'][0].size} / {g.n_edges}"
    assert "aggr.sampling" in charts(at)
    # a new shuffle and a re-sample change what is shown, consistently with the library
    at.button(key="aggr.shuffle_btn").click().run()
    _ok(at)
    res2 = shuffle_check(g, 0, layer="sage", aggr="mean", features="random", shuffle_seed=2)
    order = at.table[0].value
    assert order["neighbour (shuffled)"].tolist() == [str(v) for v in res2["after"]["senders"]]
    at.selectbox(key="aggr.aggr").set_value("max").run()
    _ok(at)
    res3 = shuffle_check(g, 0, layer="sage", aggr="max", features="random", shuffle_seed=2)
    assert at.table[1].value.iloc[0]["as listed"] == fmt_row(res3["before"]["aggregate"], 4)
    at.button(key="aggr.resample").click().run()
    _ok(at)
    s1 = sampled_layers(g, fanout=3, seed=1, features="random")
    assert next(m.value for m in at.metric if m.label == "Edges read") == f"{s1['kept'][0].size} / {g.n_edges}"


def test_page_reports_the_renumbering_check():
    pytest.importorskip("streamlit")
    from explorer.nn import permutation_check
    from explorer.ui.testing import app_test

    at = app_test("aggregators", query={"layer": "gin", "sample": "caffeine"})
    _ok(at)
    ref = permutation_check(load_graph("caffeine"), layer="gin", seed=0, features="random", readout="sum",
                            layers=1, hidden=4)
    text = next(m.value for m in at.markdown if m.value.startswith("**The whole graph renumbered**"))
    assert f"largest difference {ref['node_max_error']:.1e}" in text
    assert ref["equivariant"] and ref["invariant"]
