"""The stochastic block model in the shared graph picker, on every page that takes a graph.

Oracles: the generator called directly with the same parameters (itself checked against
networkx's complete and complete multipartite graphs and binomial edge densities in
tests/test_generators.py), networkx's ``stochastic_block_model`` for the block partition, the
expected edge count ``p_in·ΣC(n_b,2) + p_out·Σn_a·n_b`` for the page's caption, and the dense
adjacency matrix for the matrix view's sparsity pattern.
"""

import json

import networkx as nx
import numpy as np
import pytest

pytest.importorskip("streamlit")

from explorer.io.generators import stochastic_block_model  # noqa: E402
from explorer.ui.sources import parse_sizes  # noqa: E402
from explorer.ui.testing import app_test, array, charts  # noqa: E402

SIZES, P_IN, P_OUT, SEED = [8, 6, 4], 0.5, 0.05, 3
LINK = {"sample": "generate-sbm", "sbm_sizes": "8,6,4", "sbm_p_in": "0.5", "sbm_p_out": "0.05",
        "sbm_seed": "3"}


def problems(at):
    return [e.value for e in at.error] + [str(e.value) for e in at.exception]


def link_note(at):
    return next((w.value for w in at.warning if "Some settings in the link" in w.value), None)


def pairs_of(graph):
    return {tuple(sorted(map(int, p))) for p in graph.undirected_pairs()}


def player_pairs(at):
    """The undirected node pairs the player's figure draws as edges (segments matched to the
    node markers by position)."""
    els = [e for e in at.get("bidi_component") if e.proto.component_name == "mpe_player"]
    fig = json.loads(json.loads(els[0].proto.json)["fig"])
    by_name = {t.get("name"): t for t in fig["data"]}
    nodes = by_name["nodes"]
    at_xy = np.column_stack([array(nodes["x"]), array(nodes["y"])]).astype(float)

    def node_at(x, y):  # the figure rounds edge ends and markers differently: nearest marker
        d = np.hypot(at_xy[:, 0] - x, at_xy[:, 1] - y)
        assert d.min() < 1e-3, (x, y)
        return int(d.argmin())

    xs, ys = array(by_name["edges"]["x"]), array(by_name["edges"]["y"])
    out, seg = set(), []
    for x, y in zip(xs, ys):
        if x is None:
            a, b = (node_at(px, py) for px, py in seg)
            out.add((min(a, b), max(a, b)))
            seg = []
        else:
            seg.append((x, y))
    return out


def test_block_sizes_parse_with_clear_messages():
    assert parse_sizes(" 20, 20,10 ") == [20, 20, 10]
    with pytest.raises(ValueError, match=r"expected whole numbers .* found 'x'.*for example 20, 20, 20"):
        parse_sizes("20, x")
    with pytest.raises(ValueError, match="found '0'"):
        parse_sizes("3,0")
    with pytest.raises(ValueError, match="expected at most 20 blocks, found 21"):
        parse_sizes(",".join(["2"] * 21))
    with pytest.raises(ValueError, match="expected 2 to 50,000 nodes in all, found 60,000"):
        parse_sizes("30000,30000")
    with pytest.raises(ValueError, match="found nothing"):
        parse_sizes(" ")


def test_graphs_page_draws_the_generators_graph_with_networkx_blocks():
    at = app_test("graphs", query=LINK)
    assert not problems(at) and link_note(at) is None
    g = stochastic_block_model(SIZES, P_IN, P_OUT, seed=SEED)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Nodes"] == str(sum(SIZES))
    assert metrics["Edges"] == str(len(pairs_of(g)))
    table = next(d.value for d in at.table if "degree" in d.value.columns)
    want_degree = np.bincount(np.array(sorted(pairs_of(g))).ravel(), minlength=g.n_nodes)
    assert table["degree"].tolist() == want_degree.tolist()
    # the blocks are networkx's partition for the same sizes (contiguous, in order)
    part = nx.stochastic_block_model(SIZES, [[P_IN if a == b else P_OUT for b in range(3)]
                                             for a in range(3)], seed=SEED).graph["partition"]
    want_y = [next(k for k, block in enumerate(part) if i in block) for i in range(sum(SIZES))]
    assert [int(v) for v in table["y"]] == want_y
    # the caption's expected edge count against the formula by hand
    expected = P_IN * sum(n * (n - 1) / 2 for n in SIZES) + P_OUT * (8 * 6 + 8 * 4 + 6 * 4)
    assert any(f"about {expected:,.0f} edges expected" in c.value for c in at.caption)
    # another seed is another graph, not a cached one
    at.number_input(key="graphs.sbm_seed").set_value(SEED + 1).run()
    g2 = stochastic_block_model(SIZES, P_IN, P_OUT, seed=SEED + 1)
    assert pairs_of(g2) != pairs_of(g)
    assert {m.label: m.value for m in at.metric}["Edges"] == str(len(pairs_of(g2)))
    assert at.query_params.get("sbm_seed") in (str(SEED + 1), [str(SEED + 1)])


@pytest.mark.parametrize("page", ["neural", "oversmoothing"])
def test_player_pages_run_on_the_generated_graph(page):
    at = app_test(page, query=LINK)
    assert not problems(at) and link_note(at) is None
    assert player_pairs(at) == pairs_of(stochastic_block_model(SIZES, P_IN, P_OUT, seed=SEED))
    for name, value in LINK.items():  # the link reproduces it
        assert at.query_params.get(name) in (value, [value]), name


def test_matrix_page_operator_has_the_generated_graphs_pattern():
    at = app_test("matrix", query=LINK)
    assert not problems(at) and link_note(at) is None
    g = stochastic_block_model(SIZES, P_IN, P_OUT, seed=SEED)
    a = np.zeros((g.n_nodes, g.n_nodes), bool)
    for u, v in pairs_of(g):
        a[u, v] = a[v, u] = True
    r = np.array(array(charts(at)["matrix.heatmaps"]["data"][0]["z"]), dtype=float)
    assert r.shape == a.shape
    off = ~np.eye(g.n_nodes, dtype=bool)
    assert np.array_equal(r[off] != 0, a[off])  # R's off-diagonal nonzeros are the edges


def test_bad_link_values_are_named_and_replaced_by_defaults():
    at = app_test("neural", query={"sample": "generate-sbm", "sbm_sizes": "8,x",
                                   "sbm_p_in": "1.5", "sbm_p_out": "-1", "sbm_seed": "3"})
    assert not list(at.exception)
    note = link_note(at)
    assert note and all(n in note for n in ("sbm_sizes", "sbm_p_in", "sbm_p_out"))
    assert "sbm_seed" not in note
    assert at.text_input(key="nn.sbm_sizes").value == "20,20,20"  # the default sizes
    assert player_pairs(at) == pairs_of(stochastic_block_model([20, 20, 20], 0.3, 0.02, seed=3))


def test_typed_block_sizes_are_checked_and_tidied():
    at = app_test("graphs", query=LINK)
    at.text_input(key="graphs.sbm_sizes").input("5, 5 ,5,5").run()
    assert not problems(at)
    assert at.text_input(key="graphs.sbm_sizes").value == "5,5,5,5"
    assert {m.label: m.value for m in at.metric}["Nodes"] == "20"
    at.text_input(key="graphs.sbm_sizes").input("5, five").run()
    assert not list(at.exception)
    warning = next(w.value for w in at.warning if "Block sizes" in w.value)
    assert "'five'" in warning and "Still using 5,5,5,5" in warning
    assert at.text_input(key="graphs.sbm_sizes").value == "5,5,5,5"  # the last valid one stays
    assert {m.label: m.value for m in at.metric}["Nodes"] == "20"


def test_past_the_edge_limit_the_generator_says_so():
    at = app_test("graphs", query={"sample": "generate-sbm", "sbm_sizes": "50000", "sbm_p_in": "1"})
    assert not list(at.exception)
    assert any("limit" in e.value and "lower p_in or p_out" in e.value for e in at.error)
