"""GIN and mean/max GNN embeddings beside 1-WL: the library against networkx's WL hash and hand
reasoning, and the Expressiveness page's table against the library.

Oracles: ``networkx.weisfeiler_lehman_graph_hash`` (WL-equivalent pairs must get equal embeddings
from every model); hand facts: with constant inputs a mean or max of identical vectors is that
vector, so mean/max GNN embeddings are the same for *every* pair of graphs, while GIN's sum
readout of a k-regular graph on n nodes is n times one node's state.
"""

import networkx as nx
import numpy as np
import pytest

from explorer.graph import Graph
from explorer.io import load_graph
from explorer.nn import run_stack
from explorer.nn.readout import pair_embeddings

pytestmark = pytest.mark.usefixtures("torch_one_thread")


def _wl_same(a, b):
    return nx.weisfeiler_lehman_graph_hash(a.to_networkx()) == nx.weisfeiler_lehman_graph_hash(b.to_networkx())


@pytest.mark.parametrize("pair", [("two_triangles", "hexagon"), ("decalin", "bicyclopentyl"),
                                  ("cycle", "star"), ("tree", "grid3x3")])
@pytest.mark.parametrize("features", ["constant", "degree"])
def test_embeddings_never_beat_wl(pair, features):
    a, b = (load_graph(n) for n in pair)
    embs = pair_embeddings(a, b, features=features, seed=3)
    assert [e["model"] for e in embs] == ["GIN (sum)", "GraphSAGE-mean", "GraphSAGE-max"]
    if _wl_same(a, b):
        assert not any(e["distinct"] for e in embs)
        for e in embs:
            np.testing.assert_allclose(e["a"], e["b"], atol=1e-5)
    else:  # the pairs here differ in degrees, which GIN's sum counts
        assert embs[0]["distinct"]


def test_constant_inputs_blind_mean_and_max_but_not_sum():
    c6 = Graph.from_networkx(nx.cycle_graph(6))
    s6 = Graph.from_networkx(nx.star_graph(5))  # 6 nodes too
    embs = {e["model"]: e for e in pair_embeddings(c6, s6, features="constant", seed=0)}
    assert not embs["GraphSAGE-mean"]["distinct"] and not embs["GraphSAGE-max"]["distinct"]
    assert embs["GIN (sum)"]["distinct"]
    # GIN on the 2-regular cycle: every node has the same state, the readout is 6 of them
    t = run_stack(c6, layer="gin", layers=3, hidden=8, seed=0, features="constant", readout="sum")
    out = t.result["output"]
    np.testing.assert_allclose(out, np.repeat(out[:1], 6, 0), atol=1e-6)
    np.testing.assert_allclose(embs["GIN (sum)"]["a"], 6 * out[0], atol=1e-5)


def test_page_table_matches_the_library():
    pytest.importorskip("streamlit")
    from explorer.ui.testing import app_test

    for a, b in [("decalin", "bicyclopentyl"), ("cycle", "star")]:
        at = app_test("expressiveness", query={"a": a, "b": b})
        assert not at.exception, at.exception
        assert not at.error, [e.value for e in at.error]
        table = next(d.value for d in at.table if "embedding of A" in d.value.columns)
        ref = pair_embeddings(load_graph(a), load_graph(b), features="constant", seed=0)
        assert table["verdict"].tolist() == ["different" if e["distinct"] else "same" for e in ref]
        np.testing.assert_allclose([float(v) for v in table["largest difference"]],
                                   [e["difference"] for e in ref], rtol=1e-2, atol=1e-12)
        expected = ["same"] * 3 if _wl_same(load_graph(a), load_graph(b)) else ["different", "same", "same"]
        assert table["verdict"].tolist() == expected
