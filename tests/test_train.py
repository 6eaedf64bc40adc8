"""Training: deterministic under a seed, better than chance, progress and snapshots."""

import networkx as nx
import numpy as np
import pytest

from explorer.errors import ModelError
from explorer.graph import Graph
from explorer.nn.train import cycles_vs_paths, stratified_split, train_graph_classifier, train_node_classifier


def karate() -> Graph:
    try:
        from explorer.io.samples import load_graph
        return load_graph("karate")
    except Exception:  # the sample registry is another engineer's; fall back to networkx
        G = nx.karate_club_graph()
        y = [0 if G.nodes[v]["club"] == "Mr. Hi" else 1 for v in G]
        return Graph.from_networkx(G).__class__.from_edges(34, list(G.edges), y=y)


def test_karate_is_deterministic_and_beats_chance():
    g = karate()
    seen = []
    r1 = train_node_classifier(g, layer="gcn", epochs=60, seed=3, progress=lambda *a: seen.append(a))
    r2 = train_node_classifier(g, layer="gcn", epochs=60, seed=3)
    assert r1.losses == r2.losses and r1.test_accuracy == r2.test_accuracy
    assert np.array_equal(r1.snapshots[-1]["hidden"], r2.snapshots[-1]["hidden"])
    assert len(seen) == 60 and seen[-1][:2] == (60, 60)
    assert r1.losses[-1] < r1.losses[0] * 0.5
    assert r1.test_accuracy[-1] >= 0.75 and r1.train_accuracy[-1] == 1.0
    assert [s["epoch"] for s in r1.snapshots] == [0, 10, 20, 30, 40, 50, 60]
    assert r1.snapshots[0]["hidden"].shape == (34, 16) and r1.snapshots[0]["output"].shape == (34, 2)
    # predictions are the argmax of the last snapshot's logits
    assert np.array_equal(r1.predictions, r1.snapshots[-1]["output"].argmax(1))
    r3 = train_node_classifier(g, layer="gcn", epochs=60, seed=4)
    assert r3.losses != r1.losses


@pytest.mark.parametrize("layer", ["sage", "gat", "gin", "mpnn", "gn"])
def test_other_layers_learn_karate(layer):
    r = train_node_classifier(karate(), layer=layer, features="identity", epochs=40, seed=0, heads=2)
    assert r.train_accuracy[-1] == 1.0 and r.test_accuracy[-1] > 0.6


def test_csbm_node_classification():
    synthetic = pytest.importorskip("explorer.diagnostics.synthetic")
    g = synthetic.csbm(n=200, classes=2, p_in=0.05, p_out=0.005, signal=1.0, feature_dim=8, seed=0)
    r = train_node_classifier(g, layer="gcn", epochs=50, seed=0)
    assert r.test_accuracy[-1] > 0.85


def test_graph_classification_cycles_vs_paths():
    graphs, y = cycles_vs_paths(n_graphs=30, seed=1)
    assert y.tolist().count(1) == 15
    assert all((g.in_degree() == 2).all() for g, c in zip(graphs, y) if c == 1)
    r = train_graph_classifier(graphs, y, layer="gin", epochs=100, seed=1)
    assert r.test_accuracy[-1] == 1.0 and r.snapshots[-1]["hidden"].shape == (30, 16)
    r2 = train_graph_classifier(graphs, y, layer="gin", epochs=100, seed=1)
    assert r.losses == r2.losses


def test_split_and_errors():
    y = np.array([0, 0, 0, 0, 1, 1])
    m = stratified_split(y, 0.5, seed=0)
    assert m[:4].sum() == 2 and m[4:].sum() == 1
    with pytest.raises(ModelError, match="needs labels y"):
        train_node_classifier(Graph.from_edges(3, [(0, 1)]))
    with pytest.raises(ModelError, match="one label per graph"):
        train_graph_classifier([Graph.from_edges(2, [(0, 1)])], np.array([0, 1]))
