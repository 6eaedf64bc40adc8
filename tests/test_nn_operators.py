"""Reference operators against networkx and the GCN layer; permutation equivariance/invariance."""

import networkx as nx
import numpy as np
import pytest
import torch

from explorer.errors import ModelError
from explorer.graph import Graph
from explorer.nn.analysis import permutation_check, permute_graph
from explorer.nn.layers import GCNConv
from explorer.nn.operators import operator_formula, operator_terms, reference_operator


def undirected():
    G = nx.gnp_random_graph(12, 0.3, seed=4)
    G.add_node(12)  # isolated
    return G, Graph.from_networkx(G)


def test_operators_match_networkx_on_undirected_graphs():
    G, g = undirected()
    A = nx.to_numpy_array(G, nodelist=range(13))
    np.testing.assert_allclose(reference_operator(g, "adjacency"), A)
    deg = A.sum(1)
    # networkx's laplacian helpers need scipy; the textbook definitions, written out:
    np.testing.assert_allclose(reference_operator(g, "laplacian"), np.diag(deg) - A)
    nz = deg > 0
    L_sym = np.where(np.outer(nz, nz), np.eye(13) - A / np.sqrt(np.outer(np.maximum(deg, 1), np.maximum(deg, 1))), 0)
    np.testing.assert_allclose(reference_operator(g, "normalized_laplacian"), L_sym, atol=1e-12)
    rw = reference_operator(g, "random_walk")
    np.testing.assert_allclose(rw[deg > 0].sum(1), 1.0)
    assert (rw[12] == 0).all()
    S = reference_operator(g, "sym_norm")
    d_hat = deg + 1
    np.testing.assert_allclose(S, (A + np.eye(13)) / np.sqrt(np.outer(d_hat, d_hat)))


@pytest.mark.parametrize("weighted", [False, True])
def test_gcn_is_R_X_Theta_plus_b_on_a_directed_graph_with_loops(weighted):
    rng = np.random.default_rng(0)
    pairs = [(0, 1), (1, 2), (2, 0), (3, 1), (1, 1), (4, 4), (3, 2)]
    w = rng.random(len(pairs)) + 0.5 if weighted else None
    g = Graph.from_edges(6, pairs, directed=True, edge_weight=w)
    torch.manual_seed(0)
    conv = GCNConv(3, 2)
    torch.nn.init.normal_(conv.bias)
    x = rng.standard_normal((6, 3))
    ew = None if w is None else torch.tensor(w, dtype=torch.float32)
    out = conv(torch.tensor(x, dtype=torch.float32), torch.as_tensor(g.edge_index), ew).detach().numpy()
    R = reference_operator(g, "sym_norm")
    theta = conv.lin.weight.detach().numpy().T.astype(np.float64)
    np.testing.assert_allclose(R @ x @ theta + conv.bias.detach().numpy(), out, atol=1e-6)
    if weighted:
        assert R[4, 4] == pytest.approx(1.0)  # only node 4 -> itself, kept weight w normalised away


def test_terms_and_formula():
    g = Graph.from_edges(4, [(0, 1), (0, 2), (0, 3)])
    R = reference_operator(g, "adjacency")
    assert operator_terms(R, 0) == [(1, 1.0), (2, 1.0), (3, 1.0)]
    assert operator_formula(R, 0) == "x'_0 = 1·x_1 + 1·x_2 + 1·x_3"
    S = reference_operator(g, "sym_norm")
    assert operator_formula(S, 1, labels=["a", "b", "c", "d"], digits=3) == "x'_b = 0.354·x_a + 0.5·x_b"
    assert operator_formula(reference_operator(g, "laplacian"), 1) == "x'_1 = -1·x_0 + 1·x_1"
    with pytest.raises(ModelError, match="expected an operator in"):
        reference_operator(g, "heat")


@pytest.mark.parametrize("layer", ["gcn", "sage", "gat", "gin", "mpnn", "gn"])
@pytest.mark.parametrize("features", ["degree", "random"])
def test_permutation_check(layer, features):
    _, g = undirected()
    res = permutation_check(g, layer=layer, features=features, seed=2, heads=2, hidden=8, readout="attention")
    assert res["equivariant"] and res["invariant"], (res["node_max_error"], res["readout_max_error"])
    assert res["node_max_error"] < 1e-5 and not np.array_equal(res["perm"], np.arange(13))


def test_permute_graph_and_bad_perm():
    g = Graph.from_edges(3, [(0, 1)], directed=True, labels=["a", "b", "c"])
    p = permute_graph(g, [2, 0, 1])
    assert p.display_labels == ("c", "a", "b")
    assert (p.senders.tolist(), p.receivers.tolist()) == ([1], [2])
    with pytest.raises(ModelError, match="expected a permutation"):
        permute_graph(g, [0, 0, 1])
