"""1-WL colour refinement: known indistinguishable pairs, distinguishable pairs, the Trace,
and the sum / mean / max multiset demonstration."""

import networkx as nx
import numpy as np
import pytest

from explorer.graph import Graph
from explorer.nn.wl import multiset_demo, wl_equivalent, wl_refine
from explorer.trace import validate_trace


def nxg(G):
    return Graph.from_networkx(nx.convert_node_labels_to_integers(G))


def decalin():
    G = nx.cycle_graph(10)
    G.add_edge(0, 5)
    return nxg(G)


def bicyclopentyl():
    G = nx.disjoint_union(nx.cycle_graph(5), nx.cycle_graph(5))
    G.add_edge(0, 5)
    return nxg(G)


def test_known_pairs():
    two_triangles = nxg(nx.disjoint_union(nx.cycle_graph(3), nx.cycle_graph(3)))
    hexagon = nxg(nx.cycle_graph(6))
    assert wl_equivalent(two_triangles, hexagon)
    assert wl_equivalent(decalin(), bicyclopentyl())
    assert not nx.is_isomorphic(nx.cycle_graph(6), nx.disjoint_union(nx.cycle_graph(3), nx.cycle_graph(3)))
    assert not wl_equivalent(nxg(nx.path_graph(6)), hexagon)
    assert not wl_equivalent(nxg(nx.star_graph(3)), nxg(nx.path_graph(4)))


@pytest.mark.filterwarnings("ignore:The hashes produced")
def test_against_networkx_wl_hash():
    rng = np.random.default_rng(0)
    for k in range(15):
        G1 = nx.gnm_random_graph(8, 10, seed=int(rng.integers(1e6)))
        G2 = nx.gnm_random_graph(8, 10, seed=int(rng.integers(1e6)))
        same = (nx.weisfeiler_lehman_graph_hash(G1, iterations=8) == nx.weisfeiler_lehman_graph_hash(G2, iterations=8))
        assert wl_equivalent(nxg(G1), nxg(G2)) == same


def test_trace_of_a_path():
    t = wl_refine(nxg(nx.path_graph(5)))
    validate_trace(t)
    # round 1: ends (deg 1) vs inner; round 2: the centre splits off; round 3: stable
    assert [s.extras["n_colors"] for s in t.steps] == [2, 3, 3]
    c = t.result["colors"]
    assert c[0] == c[4] and c[1] == c[3] and len({c[0], c[1], c[2]}) == 3
    assert t.steps[-1].extras["stable"] and not t.steps[0].extras["stable"]
    assert t.steps[0].aggregates[0].tolist() == [0] and t.steps[0].aggregates[2].tolist() == [0, 0]
    assert sorted(t.result["histogram"]["counts"].tolist()) == [1, 2, 2]


def test_multiset_demo():
    cases = multiset_demo()
    assert len(cases) == 3
    for case in cases:
        assert case["sum"]["distinguishes"]
    assert not cases[0]["mean"]["distinguishes"] and not cases[0]["max"]["distinguishes"]
    assert not cases[1]["mean"]["distinguishes"] and not cases[1]["max"]["distinguishes"]
    assert cases[2]["mean"]["distinguishes"] and not cases[2]["max"]["distinguishes"]
    assert cases[1]["sum"]["left"] == [1.0, 1.0] and cases[1]["sum"]["right"] == [2.0, 2.0]
    assert cases[2]["mean"]["left"] == pytest.approx([2 / 3, 1 / 3])


@pytest.mark.parametrize("a,b,same", [("two_triangles", "hexagon", True), ("decalin", "bicyclopentyl", True),
                                      ("hexagon", "tree", False)])
def test_sample_pairs_from_the_registry(a, b, same):
    samples = pytest.importorskip("explorer.io.samples")
    g1, g2 = samples.load_graph(a), samples.load_graph(b)
    assert wl_equivalent(g1, g2) == same


def test_same_gnn_cannot_separate_wl_twins():
    from explorer.nn import run_stack

    g1 = nxg(nx.disjoint_union(nx.cycle_graph(3), nx.cycle_graph(3)))
    g2 = nxg(nx.cycle_graph(6))
    r1 = run_stack(g1, layer="gin", layers=3, readout="sum", features="constant", seed=5).result["readout"]
    r2 = run_stack(g2, layer="gin", layers=3, readout="sum", features="constant", seed=5).result["readout"]
    np.testing.assert_allclose(r1, r2, atol=1e-5)
    r3 = run_stack(nxg(nx.path_graph(6)), layer="gin", layers=3, readout="sum", features="constant", seed=5)
    assert np.abs(r3.result["readout"] - r2).max() > 1e-3
