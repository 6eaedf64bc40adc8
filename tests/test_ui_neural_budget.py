"""The Neural page above the drawing budget: the stack runs on the whole graph, the page draws a
labelled, connected sample (explorer/viz/sample_view.py) and says so, and no player (whose
figure carries every node in every frame) is built. Issue 10.3: a legal graph near the node and
edge limits took the page 488 s.

The budget is lowered for the test (the page reads it when it runs), so karate (34 nodes)
stands in for a 50,000-node upload. Oracle: networkx's BFS distances from the centre node.
"""

import networkx as nx
import pytest

from explorer import io
from explorer.ui.testing import app_test, array, charts, trace_named
from explorer.viz import sample_view

BUDGET = 12


@pytest.fixture
def small_budget(monkeypatch):
    monkeypatch.setattr(sample_view, "DRAW_NODES", BUDGET)
    monkeypatch.setattr(sample_view, "DRAW_EDGES", 10_000)


def _player(at):
    """The player components of the run (the animated chart)."""
    return [c for c in at.get("bidi_component") if "nn.chart" in getattr(c.proto, "id", "")]


def _nx(graph):
    G = nx.Graph()
    G.add_nodes_from(range(graph.n_nodes))
    G.add_edges_from(zip(graph.senders.tolist(), graph.receivers.tolist()))
    return G


def test_neural_page_draws_a_sample_above_the_budget(small_budget):
    graph = io.load_graph("karate")
    at = app_test("neural", query={"sample": "karate", "node": "5"})
    assert not at.exception and not at.error, [e.value for e in at.error]
    note = next(i.value for i in at.info if i.value.startswith("Drawing "))
    assert note.startswith(f"Drawing {BUDGET} of 34 nodes")
    assert "ran on the whole graph" in note
    figs = charts(at)
    assert "nn.drawn" in figs
    assert not _player(at)
    labels = array(trace_named(figs["nn.drawn"], "nodes")["text"])
    drawn = {graph.display_labels.index(label) for label in labels}
    assert len(drawn) == BUDGET and 5 in drawn
    dist = nx.single_source_shortest_path_length(_nx(graph), 5)
    radius = max(dist[v] for v in drawn)
    assert {v for v, d in dist.items() if d < radius} <= drawn  # a BFS ball around node 5
    assert nx.is_connected(_nx(graph).subgraph(drawn))
    assert dict(at.query_params).get("node") == "5"


def test_neural_page_under_the_budget_keeps_the_player():
    at = app_test("neural", query={"sample": "karate"})
    assert not at.exception and not at.error
    assert not [i for i in at.info if i.value.startswith("Drawing ")]
    assert "nn.drawn" not in charts(at)
    assert _player(at)
