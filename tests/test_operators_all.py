"""Every reference operator against networkx and dense numpy formulas; its sparsity pattern; the
message form against R X Θ; the Matrix view page's numbers against the library.

Oracles: ``networkx.adjacency_matrix``, ``laplacian_matrix`` and ``normalized_laplacian_matrix``
(scipy sparse), the textbook dense formulas written here with numpy, and PyG-style GCN output
recorded by the engine (for the GCN operator).
"""

import networkx as nx
import numpy as np
import pytest

from explorer.errors import ModelError
from explorer.graph import Graph
from explorer.nn.operators import (OPERATORS, message_form, operator_layer, reference_operator,
                                   sparsity_check)


def _graphs():
    """An undirected random graph with an isolated node, and a weighted one (weights in (0.5, 1.5))."""
    G = nx.gnp_random_graph(14, 0.3, seed=7)
    G.add_node(14)
    W = nx.gnp_random_graph(10, 0.4, seed=3)
    rng = np.random.default_rng(1)
    for u, v in W.edges:
        W[u][v]["weight"] = float(rng.random() + 0.5)
    return [G, W]


@pytest.mark.parametrize("which", [0, 1])
def test_laplacians_equal_networkx(which):
    G = _graphs()[which]
    g = Graph.from_networkx(G)
    nodes = list(G.nodes)
    np.testing.assert_allclose(reference_operator(g, "adjacency"),
                               nx.adjacency_matrix(G, nodelist=nodes).toarray(), atol=1e-12)
    np.testing.assert_allclose(reference_operator(g, "laplacian"),
                               nx.laplacian_matrix(G, nodelist=nodes).toarray(), atol=1e-12)
    np.testing.assert_allclose(reference_operator(g, "normalized_laplacian"),
                               nx.normalized_laplacian_matrix(G, nodelist=nodes).toarray(), atol=1e-12)


@pytest.mark.parametrize("which", [0, 1])
def test_every_operator_equals_its_dense_formula(which):
    G = _graphs()[which]
    g = Graph.from_networkx(G)
    A = nx.to_numpy_array(G, nodelist=list(G.nodes))
    n = len(A)
    d = A.sum(1)
    I = np.eye(n)
    dh = (A + I).sum(1)
    safe = np.where(d > 0, d, 1)
    expect = {
        "adjacency": A,
        "adjacency_self_loops": A + I,
        "sym_norm": np.diag(dh ** -0.5) @ (A + I) @ np.diag(dh ** -0.5),
        "random_walk": np.where(d[:, None] > 0, np.diag(1 / safe) @ A, 0),
        "laplacian": np.diag(d) - A,
        "normalized_laplacian": np.where(np.outer(d > 0, d > 0),
                                         I - np.diag(safe ** -0.5) @ A @ np.diag(safe ** -0.5), 0),
    }
    for kind in OPERATORS:
        np.testing.assert_allclose(reference_operator(g, kind), expect[kind], atol=1e-12, err_msg=kind)


def test_sparsity_pattern_of_every_operator_and_a_broken_one():
    G = _graphs()[0]
    g = Graph.from_networkx(G)
    m = G.number_of_edges()
    iso = sum(1 for v in G if G.degree(v) == 0)
    diag = {"adjacency": 0, "adjacency_self_loops": 15, "sym_norm": 15, "random_walk": 0,
            "laplacian": 15 - iso, "normalized_laplacian": 15 - iso}
    for kind in OPERATORS:
        res = sparsity_check(g, reference_operator(g, kind))
        assert res == {"ok": True, "outside": 0, "missing": 0, "diagonal": diag[kind], "edges": 2 * m}, kind
    # a dense "operator" (every pair talks) is not a reference operator of this graph
    full = np.ones((15, 15))
    res = sparsity_check(g, full)
    assert not res["ok"] and res["outside"] == 15 * 14 - 2 * m
    with pytest.raises(ModelError, match=r"expected R of shape \[15, 15\]"):
        sparsity_check(g, np.ones((3, 3)))


@pytest.mark.parametrize("directed", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_message_form_equals_R_times_H_with_loops_and_duplicates(directed, weighted):
    rng = np.random.default_rng(5)
    pairs = [(0, 1), (1, 2), (2, 0), (3, 1), (1, 1), (4, 4), (3, 2), (0, 1)]  # a duplicate edge
    w = rng.random(len(pairs)) + 0.5 if weighted else None
    g = Graph.from_edges(6, pairs, directed=directed, edge_weight=w)
    H = rng.standard_normal((6, 3))
    for kind in OPERATORS:
        m = message_form(g, kind, H)
        np.testing.assert_allclose(m["aggregates"], reference_operator(g, kind) @ H, atol=1e-12, err_msg=kind)
        # each message is its coefficient times the sender's row
        np.testing.assert_allclose(m["messages"], m["coef"][:, None] * H[g.senders], atol=1e-15)
    with pytest.raises(ModelError, match="expected H with one row per node"):
        message_form(g, "laplacian", np.ones((2, 2)))
    with pytest.raises(ModelError, match="expected an operator in"):
        message_form(g, "heat", H)


def test_operator_layer_with_gcn_operator_is_the_gcn_layer():
    from explorer.nn import run_stack

    g = Graph.from_networkx(nx.karate_club_graph())
    lay = operator_layer(g, "sym_norm", hidden=4, seed=3, features="degree")
    out = run_stack(g, layer="gcn", layers=1, hidden=4, seed=3, features="degree").result["output"]
    np.testing.assert_allclose(lay["Xp"] + lay["bias"], out, atol=1e-5)
    lap = operator_layer(g, "laplacian", hidden=4, seed=3, features="degree")
    np.testing.assert_allclose(lap["Theta"], lay["Theta"])  # same weights, another operator
    L = nx.laplacian_matrix(g.to_networkx(), nodelist=range(34)).toarray()
    np.testing.assert_allclose(lap["Xp"], L @ lap["X"] @ lap["Theta"], atol=1e-12)


# ---------------------------------------------------------------------- the page
@pytest.mark.parametrize("op", ["random_walk", "normalized_laplacian"])
def test_matrix_page_shows_the_chosen_operator(op):
    pytest.importorskip("streamlit")
    from explorer.io import load_graph
    from explorer.ui.testing import app_test, array, charts

    at = app_test("matrix", query={"sample": "karate", "operator": op, "node": "3"})
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    G = load_graph("karate").to_networkx()
    nodes = list(G.nodes)
    A = nx.to_numpy_array(G, nodelist=nodes)
    R_shown = np.array(array(charts(at)["matrix.heatmaps"]["data"][0]["z"]), dtype=float)
    if op == "random_walk":
        expect = A / A.sum(1, keepdims=True)
    else:
        expect = nx.normalized_laplacian_matrix(G, nodelist=nodes).toarray()
    np.testing.assert_allclose(R_shown, expect, atol=1e-12)
    assert "agree for every node" in at.success[0].value
    # the formula row lists node 3's neighbours (and itself for the Laplacian), nothing else
    formula = next(md.value for md in at.markdown if md.value.startswith("`x'_"))
    want = sorted(G.neighbors(nodes[3])) + ([nodes[3]] if op != "random_walk" else [])
    assert formula.count("·x_") == len(want)
    # the message table: one row per in-edge (+ the self term), weights = row 3 of R
    table = next(d.value for d in at.table if "weight r" in d.value.columns)
    np.testing.assert_allclose(sorted(table["weight r"]), sorted(np.round(expect[3][expect[3] != 0], 4)))
    pats = next(d.value for d in at.table if "non-zero outside A" in d.value.columns)
    assert list(pats["non-zero outside A"]) == [0] * 6
