"""Graph invariants and the networkx round trip.

Fixture graphs cover the corner cases every engine meets: a single node, no edges, one edge,
a self-loop, a directed graph with a one-way edge, and an undirected graph with features.
"""

import dataclasses

import networkx as nx
import numpy as np
import pytest

from explorer.errors import ModelError
from explorer.graph import Graph


def test_undirected_stores_both_directions_and_twins():
    g = Graph.from_edges(4, [(0, 1), (1, 2), (2, 2)])
    assert g.senders.tolist() == [0, 1, 1, 2, 2]
    assert g.receivers.tolist() == [1, 0, 2, 1, 2]
    assert g.twin.tolist() == [1, 0, 3, 2, 4]          # the loop is its own twin
    assert g.in_degree().tolist() == [1, 2, 2, 0]
    assert g.undirected_pairs().tolist() == [[0, 1], [1, 2], [2, 2]]
    assert g.summary()["edges"] == 3 and g.summary()["self_loops"] == 1


def test_directed_twin_missing_is_minus_one():
    g = Graph.from_edges(3, [(0, 1), (1, 0), (1, 2)], directed=True)
    assert g.twin.tolist() == [1, 0, -1]
    assert g.edge_index.tolist() == [[0, 1, 1], [1, 0, 2]]


@pytest.mark.parametrize("n,edges", [(1, []), (3, []), (2, [(0, 1)])])
def test_small_corner_cases(n, edges):
    g = Graph.from_edges(n, edges)
    assert g.n_nodes == n and g.n_edges == 2 * len(edges)
    assert g.twin.size == g.n_edges


def test_immutable_arrays_and_replace():
    g = Graph.from_edges(2, [(0, 1)], x=[[1.0], [2.0]])
    with pytest.raises(ValueError):
        g.x[0, 0] = 5.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        g.n_nodes = 3
    h = g.with_features(np.ones((2, 3)))
    assert h.x.shape == (2, 3) and g.x.shape == (2, 1)
    assert h.content_hash() != g.content_hash()


def test_bad_fields_raise_clear_errors():
    with pytest.raises(ModelError, match=r"receivers holds node 5, outside the valid range \[0, 2\]"):
        Graph(3, [0], [5])
    with pytest.raises(ModelError, match="x has 2 rows but the graph has 3 nodes"):
        Graph(3, [0], [1], x=np.zeros((2, 4)))
    with pytest.raises(ModelError, match="same length"):
        Graph(3, [0, 1], [1])


def test_networkx_round_trip_keeps_ids_features_and_weights():
    G = nx.Graph()
    G.add_node("a", x=[1.0, 0.0], y=0)
    G.add_node("b", x=[0.0, 1.0], y=1)
    G.add_node("c", x=[0.5, 0.5], y=1)
    G.add_edge("a", "b", weight=2.0)
    G.add_edge("b", "c", weight=3.0)
    g = Graph.from_networkx(G)
    assert g.ids == ("a", "b", "c")
    assert g.x.tolist() == [[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]
    assert g.edge_weight.tolist() == [2.0, 2.0, 3.0, 3.0]
    H = g.to_networkx()
    assert set(H.edges) == set(G.edges) or set(map(frozenset, H.edges)) == set(map(frozenset, G.edges))
    assert H.nodes["c"]["x"] == [0.5, 0.5] and H.nodes["b"]["y"] == 1
    assert H.edges["b", "c"]["weight"] == 3.0
    D = nx.DiGraph([(0, 1), (1, 2)])
    gd = Graph.from_networkx(D)
    assert gd.directed and gd.edge_index.tolist() == [[0, 1], [1, 2]]
