"""Layouts: deterministic per seed, finite, scaled to [-1, 1], cached, and right on known shapes.

Oracles: a path and a cycle under Kamada-Kawai (distances proportional to graph distance, a
regular polygon), the generalized eigen-equation L v = lambda D v for spectral, exact lattice
coordinates for grids, and component bounding boxes that do not overlap.
"""

import networkx as nx
import numpy as np
import pytest

from explorer.errors import ModelError
from explorer.graph import Graph
from explorer.io import load_graph
from explorer.viz import layout as L
from explorer.viz.layout import LAYOUTS, clear_layout_cache, compute_layout, lattice_coordinates


@pytest.fixture(autouse=True)
def fresh_cache():
    clear_layout_cache()
    yield
    clear_layout_cache()


def path(n):
    return Graph.from_edges(n, [(i, i + 1) for i in range(n - 1)])


def check_scaled(xy, n):
    assert xy.shape == (n, 2) and xy.dtype == np.float64 and np.isfinite(xy).all()
    if n > 1 and np.ptp(xy) > 0:
        assert np.isclose(np.abs(xy).max(), 1.0)
        np.testing.assert_allclose((xy.max(0) + xy.min(0)) / 2, 0, atol=1e-12)


@pytest.mark.parametrize("method", [m for m in LAYOUTS if m != "file"])
@pytest.mark.parametrize("sample", ["karate", "tree", "two_triangles", "chain5", "grid3x3"])
def test_deterministic_finite_scaled(sample, method):
    g = load_graph(sample)
    a = compute_layout(g, method, seed=3)
    clear_layout_cache()
    b = compute_layout(g, method, seed=3)
    check_scaled(a, g.n_nodes)
    np.testing.assert_array_equal(a, b)


def test_seed_changes_spring():
    g = load_graph("karate")
    assert not np.allclose(compute_layout(g, "spring", seed=0), compute_layout(g, "spring", seed=1))


def test_cached_once_per_graph_method_seed(monkeypatch):
    calls = []
    real = L._compute
    monkeypatch.setattr(L, "_compute", lambda *a: calls.append(a[1:]) or real(*a))
    g = load_graph("karate")
    first = compute_layout(g, "spring", seed=0)
    again = compute_layout(load_graph("karate"), "spring", seed=0)  # an equal graph, re-read
    assert again is first and calls == [("spring", 0)]
    compute_layout(g, "spring", seed=1)
    compute_layout(g, "circular", seed=0)
    assert calls == [("spring", 0), ("spring", 1), ("circular", 0)]
    assert not first.flags.writeable


def test_unknown_layout_and_file_without_positions():
    with pytest.raises(ModelError, match=r"unknown layout 'force'; expected one of auto, spring"):
        compute_layout(path(3), "force")
    with pytest.raises(ModelError, match=r"layout 'file' needs positions.*found none in 'karate'"):
        compute_layout(load_graph("karate"), "file")


def test_file_and_auto_use_positions():
    g = load_graph("caffeine")
    xy = compute_layout(g, "file")
    pos = g.pos - (g.pos.max(0) + g.pos.min(0)) / 2
    np.testing.assert_allclose(xy, pos / np.abs(pos).max())
    np.testing.assert_array_equal(compute_layout(g, "auto"), xy)


def test_auto_picks_by_size(monkeypatch):
    seen = []
    monkeypatch.setattr(L, "_ALGORITHMS", {k: (lambda k_: lambda n, *a: seen.append(k_) or
                                               np.random.default_rng(0).random((n, 2)))(k)
                                           for k in L._ALGORITHMS})
    ring = lambda n: Graph.from_edges(n, [(i, (i + 1) % n) for i in range(n)])  # noqa: E731 (no structure)
    compute_layout(ring(10), "auto")
    compute_layout(ring(L.SMALL + 1), "auto")
    assert seen == ["kamada_kawai", "spring"]


@pytest.mark.parametrize("n", [0, 1, 2])
def test_tiny_graphs(n):
    g = Graph.from_edges(n, [(0, 1)] if n == 2 else [])
    for m in LAYOUTS[:-1]:
        xy = compute_layout(g, m)
        check_scaled(xy, n)
    if n == 1:
        assert compute_layout(g, "spring").tolist() == [[0.0, 0.0]]


def test_kamada_kawai_path_is_straight_and_even():
    xy = compute_layout(path(6), "kamada_kawai")
    D = np.abs(np.subtract.outer(np.arange(6), np.arange(6)))
    E = np.linalg.norm(xy[:, None] - xy[None], axis=-1)
    ratio = E[D > 0] / D[D > 0]
    np.testing.assert_allclose(ratio, ratio.mean(), rtol=1e-3)


def test_kamada_kawai_cycle_is_a_regular_hexagon():
    xy = compute_layout(load_graph("hexagon"), "kamada_kawai")
    c = xy - xy.mean(0)
    np.testing.assert_allclose(np.linalg.norm(c, axis=1), np.linalg.norm(c, axis=1).mean(), rtol=1e-3)


def test_circular_is_on_a_circle_starting_at_top():
    xy = compute_layout(load_graph("cycle"), "circular")
    np.testing.assert_allclose(np.linalg.norm(xy, axis=1), 1.0)
    np.testing.assert_allclose(xy[0], [0, 1], atol=1e-12)


def test_spectral_solves_the_generalized_eigenproblem():
    g = load_graph("karate")
    A = nx.to_numpy_array(nx.karate_club_graph(), nodelist=range(34), weight=None)
    D = np.diag(A.sum(1))
    v = L._spectral(34, L._csr(34, L._pairs(g)), L._pairs(g), np.random.default_rng(0))
    lams = np.linalg.eigvalsh(np.linalg.inv(np.sqrt(D)) @ (D - A) @ np.linalg.inv(np.sqrt(D)))
    for c in range(2):
        lam = v[:, c] @ (D - A) @ v[:, c] / (v[:, c] @ D @ v[:, c])
        np.testing.assert_allclose((D - A) @ v[:, c], lam * D @ v[:, c], atol=1e-9)
        assert np.isclose(lam, lams[c + 1])


def test_grid_from_ids_from_matching_and_fallback():
    xy = compute_layout(load_graph("grid3x3"), "grid")   # ids r0c0 .. r2c2
    np.testing.assert_allclose(xy, [[c - 1, 1 - r] for r in range(3) for c in range(3)])
    G = nx.convert_node_labels_to_integers(nx.grid_2d_graph(4, 5), ordering="sorted")
    perm = np.random.default_rng(0).permutation(20)
    g = Graph.from_edges(20, [(perm[u], perm[v]) for u, v in G.edges])
    rc = lattice_coordinates(g)
    cells = {tuple(p) for p in rc.tolist()}
    assert cells in ({(r, c) for r in range(4) for c in range(5)},
                     {(r, c) for r in range(5) for c in range(4)})
    for u, v in g.undirected_pairs():
        assert np.abs(rc[u] - rc[v]).sum() == 1          # neighbours are one lattice step apart
    tuples = Graph.from_networkx(nx.grid_2d_graph(2, 3))
    np.testing.assert_array_equal(lattice_coordinates(tuples), [list(t) for t in tuples.ids])
    assert lattice_coordinates(load_graph("karate")) is None
    check_scaled(compute_layout(load_graph("karate"), "grid"), 34)


def test_components_are_packed_apart():
    g = load_graph("two_triangles")
    for m in ("spring", "kamada_kawai", "spectral"):
        xy = compute_layout(g, m)
        boxes = [(xy[c].min(0), xy[c].max(0)) for c in ([0, 1, 2], [3, 4, 5])]
        (lo1, hi1), (lo2, hi2) = boxes
        assert (hi1 < lo2).any() or (hi2 < lo1).any()    # separated along some axis


@pytest.mark.parametrize("method", ["spring", "kamada_kawai", "spectral", "auto"])
def test_big_graph_uses_the_fast_path(method):
    n = L.DENSE + 100                     # one component above the exact-algorithm size
    rng = np.random.default_rng(1)
    ring = [(i, (i + 1) % n) for i in range(n)]
    g = Graph.from_edges(n, ring + rng.integers(0, n, (50, 2)).tolist())
    check_scaled(compute_layout(g, method), n)


def test_many_components_and_isolated_nodes():
    g = Graph.from_edges(700, [(2 * i, 2 * i + 1) for i in range(200)] + [(400, 401), (401, 402)])
    for method in ("spring", "kamada_kawai", "spectral"):
        xy = compute_layout(g, method)
        check_scaled(xy, 700)
        assert len({tuple(p) for p in np.round(xy, 9).tolist()}) == 700   # nobody on top of anyone


# --------------------------------------------------------------------------- layouts by model
def _fg(name):
    from explorer.pgm import load_model

    return load_model(name)


def _distinct(xy):
    assert len({tuple(p) for p in np.round(xy, 9).tolist()}) == len(xy)   # no two nodes on one spot


def test_ising_factor_graph_is_a_lattice():
    fg = _fg("ising10")
    g = fg.to_graph()
    xy = compute_layout(g, "auto")
    _distinct(xy)
    v = xy[: fg.n_vars]
    step = np.min(np.abs(np.diff(np.unique(np.round(v[:, 0], 9)))))
    raw = (v - v.min(0)) / step
    cells = np.round(raw)
    np.testing.assert_allclose(raw, cells, atol=1e-6)                      # integer rows and columns
    assert {tuple(c) for c in cells.tolist()} == {(c, r) for r in range(10) for c in range(10)}
    var, fac, _ = fg.edge_pairs()
    for f in range(fg.n_factors):                                          # pairwise factor: the midpoint
        vs = var[fac == f]
        if vs.size == 2:
            np.testing.assert_allclose(xy[fg.n_vars + f], v[vs].mean(0), atol=1e-12)
            assert np.abs(cells[vs[0]] - cells[vs[1]]).sum() == 1          # grid neighbours


@pytest.mark.parametrize("name", ["asia", "sachs", "earthquake", "student"])
def test_bayesian_network_factor_graph_is_top_down(name):
    fg = _fg(name)
    xy = compute_layout(fg.to_graph(), "auto")
    _distinct(xy)
    y = xy[:, 1]
    for child, ps in enumerate(fg.parents):
        f = fg.n_vars + child                          # to_graph: one CPD per variable, in order
        assert fg.factors[child].scope[-1] == child
        for p in ps:
            assert y[p] > y[f] > y[child]             # parent above its child's CPD, CPD above the child
        if not ps:
            assert y[f] > y[child]


def test_chain_is_a_line_and_tree_is_a_tidy_tree():
    for g in (load_graph("chain5"), path(7), _fg("chain_bn").to_graph()):
        xy = compute_layout(g, "auto")
        _distinct(xy)
        np.testing.assert_allclose(xy[:, 1], xy[0, 1])                   # all on one row
    xy = compute_layout(load_graph("chain5"), "auto")
    assert (np.diff(xy[:, 0]) > 0).all()                                 # in chain order
    g = load_graph("tree")                                               # binary tree of depth 3
    xy = compute_layout(g, "auto")
    _distinct(xy)
    depth = nx.shortest_path_length(nx.Graph(g.undirected_pairs().tolist()), 0)
    for u, v in g.undirected_pairs():
        parent, child = (u, v) if depth[u] < depth[v] else (v, u)
        assert xy[parent, 1] > xy[child, 1]                              # parents above children
    for node in range(g.n_nodes):
        kids = [v for v in g.neighbors(node) if depth[v] == depth[node] + 1]
        if kids:
            assert np.isclose(xy[node, 0], xy[kids].mean(0)[0])          # centred over its children


def test_general_graph_still_gets_a_force_layout():
    g = load_graph("karate")
    np.testing.assert_array_equal(compute_layout(g, "auto"), compute_layout(g, "kamada_kawai"))


def test_small_dag_is_layered_and_structure_is_deterministic():
    g = Graph.from_edges(6, [(0, 2), (1, 2), (2, 3), (2, 4), (4, 5), (0, 5)], directed=True)
    xy = compute_layout(g, "auto")
    _distinct(xy)
    for s, r in zip(g.senders, g.receivers):
        assert xy[s, 1] > xy[r, 1]                       # every edge points down
    clear_layout_cache()
    np.testing.assert_array_equal(compute_layout(g, "auto", seed=5), xy)   # no randomness at all
