"""Receptive fields against networkx BFS; computation-tree sizes against walk counts from dense
matrix powers; the tree's distinct nodes against the field; the Neural page's panel.

Oracles: ``networkx.single_source_shortest_path_length`` (on the reversed graph when directed),
``numpy.linalg.matrix_power`` of the dense adjacency, and hand-drawn trees of a path.
"""

import networkx as nx
import numpy as np
import pytest

from explorer.errors import ModelError, TooLargeError
from explorer.graph import Graph
from explorer.nn.receptive import (computation_tree, hop_distances, receptive_field,
                                   tree_level_sizes)
from explorer.nn.recording import field_members, receptive_fields


def _graphs():
    und = nx.gnp_random_graph(18, 0.18, seed=2)
    dig = nx.gnp_random_graph(14, 0.2, seed=5, directed=True)
    return [(und, Graph.from_networkx(und)), (dig, Graph.from_networkx(dig))]


@pytest.mark.parametrize("which", [0, 1])
def test_fields_equal_networkx_bfs(which):
    G, g = _graphs()[which]
    H = G.reverse() if G.is_directed() else G  # who can reach the node = BFS against the edges
    old = receptive_fields(g, 4)  # the recorder's packed bitsets, a second code path
    for node in range(g.n_nodes):
        ref = nx.single_source_shortest_path_length(H, node)
        dist = hop_distances(g, node)
        assert {v: int(d) for v, d in enumerate(dist) if d >= 0} == ref
        for k in range(1, 5):
            want = sorted(v for v, d in ref.items() if d <= k)
            assert receptive_field(g, node, k).tolist() == want
            assert sorted(np.asarray(field_members(old[k - 1], node)).tolist()) == want


@pytest.mark.parametrize("which", [0, 1])
@pytest.mark.parametrize("self_loops", [False, True])
def test_tree_sizes_are_walk_counts(which, self_loops):
    _, g = _graphs()[which]
    A = np.zeros((g.n_nodes, g.n_nodes), dtype=np.int64)
    np.add.at(A, (g.receivers, g.senders), 1)  # A[i, j] = edges j -> i
    if self_loops:
        A = A + np.eye(g.n_nodes, dtype=np.int64)
    for node in (0, 3, 7):
        e = np.zeros(g.n_nodes, dtype=np.int64)
        e[node] = 1
        walks = [int(np.ones(g.n_nodes, dtype=np.int64) @ np.linalg.matrix_power(A.T, d) @ e) for d in range(4)]
        assert list(tree_level_sizes(g, node, 3, self_loops=self_loops)) == walks
        tree = computation_tree(g, node, 3, self_loops=self_loops)
        assert np.bincount(tree.depth, minlength=4).tolist() == walks
        # every child is a sender into its parent's graph node, along the recorded edge
        kids = np.arange(1, tree.size)
        par = tree.nodes[tree.parent[kids]]
        real = tree.edge[kids] >= 0
        assert (g.senders[tree.edge[kids][real]] == tree.nodes[kids][real]).all()
        assert (g.receivers[tree.edge[kids][real]] == par[real]).all()
        assert (tree.nodes[kids][~real] == par[~real]).all()  # self-loop children
        # the distinct graph nodes up to level k are exactly the k-hop field
        for k in range(4):
            assert sorted(set(tree.nodes[tree.depth <= k].tolist())) == receptive_field(g, node, k).tolist()


@pytest.mark.parametrize("mask_rounds", [0, 2, 16])
def test_both_searches_equal_networkx_bfs(monkeypatch, mask_rounds):
    # hop_distances takes MASK_ROUNDS rounds over all edges, then follows sorted edges: every
    # split between the two (0: sorted edges only) must give networkx's distances, also on a
    # 40-node chain (39 rounds) and with self-loops, duplicate edges and isolated nodes
    from explorer.nn import receptive
    monkeypatch.setattr(receptive, "MASK_ROUNDS", mask_rounds)
    rng = np.random.default_rng(3)
    s, r = rng.integers(0, 60, 150), rng.integers(0, 60, 150)
    chain = [(i, i + 1) for i in range(39)] + [(20, 5), (7, 7), (3, 4)]
    graphs = [Graph(60, s, r, directed=True), Graph.from_edges(40, chain, directed=True),
              Graph.from_edges(5, [], directed=True)]
    for g in graphs:
        H = nx.MultiDiGraph()
        H.add_nodes_from(range(g.n_nodes))
        H.add_edges_from(zip(g.receivers.tolist(), g.senders.tolist()))  # against the edges
        for node in (0, g.n_nodes // 2, g.n_nodes - 1):
            ref = nx.single_source_shortest_path_length(H, node)
            dist = hop_distances(g, node)
            assert {v: int(d) for v, d in enumerate(dist) if d >= 0} == ref
            for k in (1, 3, 17, 30):
                cut = hop_distances(g, node, k)
                assert {v: int(d) for v, d in enumerate(cut) if d >= 0} == \
                    {v: d for v, d in ref.items() if d <= k}


def test_path_tree_by_hand():
    g = Graph.from_edges(3, [(0, 1), (1, 2)])
    t = computation_tree(g, 1, 2)
    # 1 <- {0, 2}; 0 <- {1}; 2 <- {1}
    assert t.nodes.tolist() == [1, 0, 2, 1, 1] and t.parent.tolist() == [-1, 0, 0, 1, 2]
    assert t.depth.tolist() == [0, 1, 1, 2, 2]


def test_limits_and_bad_input():
    g = Graph.from_networkx(nx.complete_graph(12))
    with pytest.raises(TooLargeError, match=r"has 1464 nodes, more than the limit 1000"):
        computation_tree(g, 0, 3, limit=1000)  # 1 + 11 + 121 + 1331
    with pytest.raises(ModelError, match=r"expected a node in \[0, 11\], found 12"):
        hop_distances(g, 12)
    with pytest.raises(ModelError, match=r"expected a depth in \[0, 12\], found 13"):
        tree_level_sizes(g, 0, 13)
    assert tree_level_sizes(g, 0, 12)[-1] == 11 ** 12  # exact, no overflow


def test_tree_figure_positions():
    from explorer.viz.tree_view import tree_figure, tree_positions

    g = Graph.from_edges(3, [(0, 1), (1, 2)])
    t = computation_tree(g, 1, 2)
    pos = tree_positions(t.parent, t.depth)
    # leaves 3 and 4 at x 0 and 1; their parents above them; the root between
    assert pos[:, 0].tolist() == [0.5, 0.0, 1.0, 0.0, 1.0] and pos[:, 1].tolist() == [0, -1, -1, -2, -2]
    fig = tree_figure(t, ["a", "b", "c"], hops=hop_distances(g, 1))
    assert list(fig.data[1].text) == ["b", "a", "c", "b", "b"]


def test_neural_page_panel_matches_the_library():
    pytest.importorskip("streamlit")
    from explorer.io import load_graph
    from explorer.ui.testing import app_test, array, charts

    at = app_test("neural", query={"sample": "karate", "layers": "2", "node": "5"})
    assert not at.exception, at.exception
    at.session_state["nn.rf_open"] = True  # the expander is lazy: opening it draws the panel
    at.run()
    assert not at.exception, at.exception
    G = nx.Graph(load_graph("karate").to_networkx())
    ref = nx.single_source_shortest_path_length(G, list(G.nodes)[5])
    table = next(d.value for d in at.dataframe if "rounds k" in d.value.columns)
    assert table["receptive field (nodes)"].tolist() == [sum(1 for d in ref.values() if d <= k) for k in range(3)]
    g = load_graph("karate")
    assert table["tree level size (walks of length k)"].tolist() == list(tree_level_sizes(g, 5, 2))
    tree = charts(at)["nn.rf_tree"]
    assert len(array(tree["data"][1]["x"])) == sum(tree_level_sizes(g, 5, 2))
    at.slider(key="nn.rf_hops").set_value(1).run()
    table = next(d.value for d in at.dataframe if "rounds k" in d.value.columns)
    assert len(table) == 2


def test_the_receptive_panel_is_lazy_and_a_node_change_reruns_the_page_only_when_it_is_open(monkeypatch):
    """Closed (the default), the Neural page neither computes nor sends the receptive-field
    panel, and the player is told that nothing outside its panel follows the node (a click
    reruns only the panel); open, the panel is drawn for the selected node and a node change
    reruns the page. Oracle: networkx hop distances from the node."""
    import networkx as nx

    from explorer.io import load_graph
    from explorer.ui import cache, player
    from explorer.ui.testing import app_test, array, charts, trace_named

    seen, calls = [], []
    play = player.play
    monkeypatch.setattr(player, "play", lambda *a, **k: seen.append(k["node_in_page"]) or play(*a, **k))
    info = cache.receptive_info
    monkeypatch.setattr(cache, "receptive_info", lambda *a, **k: calls.append(a[2]) or info(*a, **k))
    at = app_test("neural", query={"sample": "karate", "layers": "2", "node": "3"})
    assert not at.exception, at.exception
    assert seen[-1] is False and calls == []
    assert not {"nn.rf_graph", "nn.rf_tree"} & set(charts(at))
    at.session_state["nn.rf_open"] = True
    at.run()
    assert not at.exception, at.exception
    assert seen[-1] is True and calls == [3]
    g = load_graph("karate")
    dist = nx.single_source_shortest_path_length(nx.Graph(g.to_networkx()), list(g.to_networkx().nodes)[3], cutoff=2)
    colours = array(trace_named(charts(at)["nn.rf_graph"], "nodes")["marker"]["color"])
    assert [i for i, c in enumerate(colours) if c == 0.0] == [3]
    assert sum(1 for c in colours if c is not None and c == c) == len(dist)
