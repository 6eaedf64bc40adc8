"""The drawing budget's sample (explorer.viz.sample_view) against networkx.

Oracles: networkx's shortest-path lengths give each node's hop distance; the expected sample is
then the longest prefix of the (distance, node)-sorted order whose induced subgraph, built and
counted by networkx, fits both budgets; connectivity by nx.is_connected; labels by the ids the
graph was built from.
"""

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer.errors import ModelError
from explorer.graph import Graph
from explorer.viz.sample_view import draw_sample


def _graph(G: nx.Graph) -> Graph:
    return Graph.from_edges(G.number_of_nodes(), list(G.edges()))


def _stored(H: nx.Graph) -> int:
    """Stored (directed) edges of an undirected graph: both directions, a self-loop once."""
    return 2 * H.number_of_edges() - nx.number_of_selfloops(H)


def _expected(G: nx.Graph, source: int, max_nodes: int, max_edges: int) -> set[int]:
    dist = nx.single_source_shortest_path_length(G, source)
    order = sorted(dist, key=lambda v: (dist[v], v))
    best = 1
    for k in range(1, min(max_nodes, len(order)) + 1):
        if _stored(G.subgraph(order[:k])) <= max_edges:
            best = k
    return set(order[:best])


@settings(max_examples=40, deadline=None)
@given(n=st.integers(5, 40), p=st.floats(0.05, 0.4), seed=st.integers(0, 10_000),
       max_nodes=st.integers(1, 12), max_edges=st.integers(0, 40), data=st.data())
def test_neighbourhood_is_the_bfs_prefix_networkx_finds(n, p, seed, max_nodes, max_edges, data):
    G = nx.gnp_random_graph(n, p, seed=seed)
    g = _graph(G)
    source = data.draw(st.integers(0, n - 1))
    s = draw_sample(g, source, max_nodes=max_nodes, max_edges=max_edges)
    if g.n_nodes <= max_nodes and g.n_edges <= max_edges:
        assert s.note is None and s.graph is g
        return
    want = _expected(G, source, max_nodes, max_edges)
    assert set(s.nodes.tolist()) == want
    H = G.subgraph(want)
    assert nx.is_connected(H)
    # the drawn graph is the induced subgraph, its nodes mapped back by s.nodes and s.edges
    drawn = {frozenset((int(s.nodes[u]), int(s.nodes[v])))
             for u, v in zip(s.graph.senders, s.graph.receivers)}
    assert drawn == {frozenset(e) for e in H.edges()}
    assert np.array_equal(g.senders[s.edges], s.nodes[s.graph.senders])
    assert np.array_equal(g.receivers[s.edges], s.nodes[s.graph.receivers])
    assert s.local(source) is not None and s.nodes[s.local(source)] == source
    assert f"Drawing {len(want):,} of {n:,} nodes" in s.note


def test_without_a_selection_it_starts_at_the_highest_degree_node_and_its_component():
    # two stars: centre 0 with 8 leaves, centre 9 with 5 leaves; budget 12 nodes
    G = nx.union(nx.star_graph(8), nx.relabel_nodes(nx.star_graph(5), lambda v: v + 9))
    g = _graph(G)
    s = draw_sample(g, max_nodes=12, max_edges=10_000)
    # the whole first star (9 nodes), then the second centre (the highest degree left) + 2 leaves
    assert s.nodes.tolist() == list(range(9)) + [9, 10, 11]
    assert "node 0, the node of highest degree (8)" in s.note
    assert "1 more nodes of high degree" in s.note
    assert s.graph.n_nodes == 12 and s.graph.n_edges == 2 * (8 + 2)


def test_original_ids_labels_and_features_come_along():
    ids = [f"user-{i * 7}" for i in range(30)]
    x = np.arange(60, dtype=float).reshape(30, 2)
    g = Graph.from_edges(30, [(i, i + 1) for i in range(29)], node_ids=ids, x=x, y=np.arange(30) % 3)
    s = draw_sample(g, 10, max_nodes=5)
    assert s.nodes.tolist() == [8, 9, 10, 11, 12]
    assert s.graph.display_labels == tuple(ids[8:13])
    assert np.array_equal(s.graph.x, x[8:13]) and s.graph.y.tolist() == [2, 0, 1, 2, 0]
    assert "the neighbourhood of node user-70 up to 2 hops" in s.note
    assert s.local(0) is None and s.local(12) == 4


def test_a_large_graph_is_cut_to_the_budget():
    G = nx.barabasi_albert_graph(5000, 3, seed=2)
    s = draw_sample(_graph(G), 123)
    assert s.graph.n_nodes == 2000 and s.graph.n_edges <= 20_000
    assert nx.is_connected(G.subgraph(s.nodes.tolist()))
    dist = nx.single_source_shortest_path_length(G, 123)
    radius = max(dist[v] for v in s.nodes.tolist())
    assert all(v in set(s.nodes.tolist()) for v, d in dist.items() if d < radius)


def test_bad_arguments_get_the_projects_error():
    g = Graph.from_edges(3, [(0, 1), (1, 2)])
    with pytest.raises(ModelError, match="node 5 is not in the graph"):
        draw_sample(g, 5)
    with pytest.raises(ModelError, match="at least 1 node"):
        draw_sample(g, max_nodes=0)
