"""The sample registry and the `samples`/`show` commands.

Structure is checked against independent references: networkx's karate club, a hand-written
description of caffeine (purine rings, carbonyls, N-methyls), networkx generators for the
small graphs, and networkx's 1-WL hash for the indistinguishable pairs.
"""

import json
import subprocess
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from explorer import cli
from explorer.errors import ModelError
from explorer.io import (SAMPLES_DIR, get_sample, is_sample, list_samples, load_graph,
                         sample_path)
from explorer.viz.layout import LAYOUTS

ROOT = Path(__file__).resolve().parents[1]
SIZES = {  # name: (nodes, undirected edges or directed edges, directed)
    "chain5": (5, 4, True), "karate": (34, 78, False), "caffeine": (14, 15, False),
    "grid3x3": (9, 12, False), "tree": (15, 14, False), "cycle": (6, 6, False),
    "star": (7, 6, False), "two_triangles": (6, 6, False), "hexagon": (6, 6, False),
    "decalin": (10, 11, False), "bicyclopentyl": (10, 11, False),
}
GRAPHS = [s.name for s in list_samples("graph")]


def as_nx(g):
    G = nx.DiGraph() if g.directed else nx.Graph()
    G.add_nodes_from(range(g.n_nodes))
    G.add_edges_from(zip(g.senders.tolist(), g.receivers.tolist()))
    return G


def test_index_entries_are_complete():
    for s in list_samples():
        assert s.kind in ("graph", "model") and s.title and len(s.note) > 100
        assert s.demonstrates and all(isinstance(d, str) for d in s.demonstrates)
        assert s.layout is None or s.layout in LAYOUTS
        assert sample_path(s.name).is_file() and sample_path(s.name).parent.is_relative_to(SAMPLES_DIR)
    assert set(SIZES) <= set(GRAPHS)
    assert {Path(get_sample(n).file).suffix for n in SIZES} == {".json", ".graphml", ".gml",
                                                               ".csv", ".edgelist", ".txt"}


def test_unknown_sample_and_model_kind():
    with pytest.raises(ModelError, match=r"unknown sample 'nope'; expected one of: chain5, karate"):
        get_sample("nope")
    assert is_sample("karate") and not is_sample("karate.graphml") and not is_sample(3)
    with pytest.raises(ModelError, match="kind must be one of"):
        list_samples("molecule")
    models = list_samples("model")
    if models:
        with pytest.raises(ModelError, match="explorer.pgm.load_model"):
            load_graph(models[0].name)


@pytest.mark.parametrize("name", GRAPHS)
def test_every_graph_sample_loads_with_invariants(name):
    g = load_graph(name)
    assert g.name == name and g.meta["sample"] == name and g.meta["warnings"] == []
    if name in SIZES:
        n, m, directed = SIZES[name]
        s = g.summary()
        assert (s["nodes"], s["edges"], s["directed"]) == (n, m, directed)
    assert g.senders.min() >= 0 and g.receivers.max() < g.n_nodes
    if not g.directed:
        twin = g.twin
        assert (twin >= 0).all() and (g.senders[twin] == g.receivers).all()
    for a in (g.x, g.edge_attr, g.pos):
        assert a is None or np.isfinite(a).all()


def test_chain_is_x1_to_x5():
    g = load_graph("chain5")
    assert g.display_labels == ("X1", "X2", "X3", "X4", "X5")
    assert [(g.ids[s], g.ids[r]) for s, r in zip(g.senders, g.receivers)] == [
        ("X1", "X2"), ("X2", "X3"), ("X3", "X4"), ("X4", "X5")]


def test_karate_matches_networkx_and_clubs():
    g, K = load_graph("karate"), nx.karate_club_graph()
    assert g.node_ids == tuple(range(34))
    assert {tuple(sorted(p)) for p in g.undirected_pairs().tolist()} == {tuple(sorted(e)) for e in K.edges}
    clubs = [0 if K.nodes[v]["club"] == "Mr. Hi" else 1 for v in range(34)]
    assert g.y.tolist() == clubs and g.y[0] == 0 and g.y[33] == 1


def test_caffeine_structure():
    g = load_graph("caffeine")
    G = as_nx(g)
    element = dict(enumerate(g.roles))
    onehot = {"C": [1, 0, 0], "N": [0, 1, 0], "O": [0, 0, 1]}
    assert g.x.shape == (14, 4) and g.edge_attr.shape == (30, 3)
    assert all(g.x[i, :3].tolist() == onehot[element[i]] for i in range(14))
    assert (g.x[:, 3] == 0).all()  # formal charges
    assert sorted(g.roles) == sorted("C" * 8 + "N" * 4 + "O" * 2)
    rings = sorted(len(c) for c in nx.cycle_basis(G))
    assert rings == [5, 6] and nx.is_connected(G)
    ring_atoms = set().union(*map(set, nx.cycle_basis(G)))
    assert len(ring_atoms) == 9 and {element[a] for a in ring_atoms} == {"C", "N"}
    oxygens = [i for i in range(14) if element[i] == "O"]
    methyls = [i for i in range(14) if element[i] == "C" and i not in ring_atoms]
    assert all(G.degree(o) == 1 and element[next(iter(G[o]))] == "C" for o in oxygens)
    assert len(methyls) == 3 and all(G.degree(m) == 1 and element[next(iter(G[m]))] == "N"
                                     for m in methyls)
    bond = {frozenset((int(s), int(r))): tuple(a) for s, r, a in zip(g.senders, g.receivers, g.edge_attr)}
    for pair, a in bond.items():
        u, v = tuple(pair)
        in_ring = G.has_edge(u, v) and u in ring_atoms and v in ring_atoms
        expected = (0, 0, 1) if in_ring else ((0, 1, 0) if "O" in (element[u], element[v]) else (1, 0, 0))
        assert a == expected, (g.labels[u], g.labels[v])
    assert g.pos is not None and g.pos.shape == (14, 2)


@pytest.mark.parametrize("name,ref", [("grid3x3", nx.grid_2d_graph(3, 3)), ("tree", nx.balanced_tree(2, 3)),
                                      ("cycle", nx.cycle_graph(6)), ("star", nx.star_graph(6)),
                                      ("hexagon", nx.cycle_graph(6))])
def test_small_graphs_are_what_they_say(name, ref):
    assert nx.is_isomorphic(as_nx(load_graph(name)), ref)


@pytest.mark.parametrize("a,b", [("two_triangles", "hexagon"), ("decalin", "bicyclopentyl")])
def test_wl_pairs_are_1wl_equivalent_but_not_isomorphic(a, b):
    import warnings

    Ga, Gb = as_nx(load_graph(a)), as_nx(load_graph(b))
    assert not nx.is_isomorphic(Ga, Gb)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        h = nx.weisfeiler_lehman_graph_hash
        assert h(Ga, iterations=5) == h(Gb, iterations=5)


# ---------------------------------------------------------------------------------- CLI
def test_cli_samples_json(capsys):
    assert cli.main(["samples", "--json"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert [d["name"] for d in items] == [s.name for s in list_samples()]
    for d in items:
        assert {"name", "title", "kind", "note", "demonstrates", "file", "layout"} <= set(d)


def test_cli_samples_text(capsys):
    assert cli.main(["samples", "--kind", "graph"]) == 0
    out = capsys.readouterr().out
    assert "karate" in out and "Zachary's karate club" in out


def test_cli_show_sample_text_and_json(capsys):
    assert cli.main(["show", "caffeine"]) == 0
    out = capsys.readouterr().out
    assert "nodes      14" in out and "edges      15" in out and "4 features per node" in out
    assert cli.main(["show", "karate", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert (d["nodes"], d["edges"], d["labels"], d["degree_max"]) == (34, 78, {"0": 17, "1": 17}, 17)


def test_cli_show_warnings(capsys):
    assert cli.main(["show", str(ROOT / "tests/data/io/mixed.edgelist")]) == 0
    assert "warning: 1 self-loop(s)" in capsys.readouterr().out


def test_cli_show_bad_file_exits_2_without_traceback():
    bad = ROOT / "tests" / "data" / "io" / "ragged_x.json"
    p = subprocess.run([sys.executable, "-m", "explorer", "show", str(bad)], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and p.stdout == ""
    assert "error: ragged_x.json: expected every 'x' to have 2 values" in p.stderr
    assert "Traceback" not in p.stderr


def test_cli_show_unknown_path(capsys):
    assert cli.main(["show", "nowhere.graphml"]) == 2
    assert "found no such file" in capsys.readouterr().err
