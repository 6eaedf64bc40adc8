"""Over-smoothing metrics against hand-computed cases and dense brute-force formulas.

Fixture graphs and the corner cases they cover:
- path 0-1-2: irregular degrees (Cai & Wang's energy of a constant X is not 0), hand values;
- random sparse graph with duplicate edges and self-loops: the (2/N) tr(X^T L X) identity;
- two disjoint paths (disconnected): unreachable pairs count as far in MADGap;
- rows that are zero, equal, parallel or clustered: the non-zero rule and the zero-row rule.
"""

import math

import networkx as nx
import numpy as np
import pytest
import torch

from explorer.errors import ModelError
from explorer.graph import Graph
from explorer.diagnostics import (all_metrics, dirichlet_energy, dirichlet_energy_normalized,
                                  effective_rank, feature_norm, hop_table, mad, mad_gap,
                                  mean_cosine_similarity, numerical_rank, survey_measure)
from explorer.diagnostics.context import MetricContext
from explorer.diagnostics.pairs import pair_metrics


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)      # the shared CI box is small; results do not depend on it
    yield
    torch.set_num_threads(old)


# ---------------------------------------------------------------- references (dense, brute force)
def dense_adj(n, edges, symmetric=True):
    a = np.zeros((n, n))
    for u, v in edges:
        if u != v:
            a[v, u] = 1
            if symmetric:
                a[u, v] = 1
    return a


def ref_mad(x, mask=None):
    """Chen et al.'s paper formula on the full N x N matrix (no rounding)."""
    x = np.asarray(x, float)
    nrm = np.linalg.norm(x, axis=1)
    ok = nrm > 0
    u = x / np.where(ok, nrm, 1)[:, None]
    d = 1 - u @ u.T
    m = np.outer(ok, ok) & ~np.eye(len(x), dtype=bool)
    if mask is not None:
        m &= mask
    d = np.where(m & (d > 1e-12), d, 0.0)
    cnt = (d > 0).sum(1)
    row = np.where(cnt > 0, d.sum(1) / np.maximum(cnt, 1), 0.0)
    return row.sum() / (row > 0).sum() if (row > 0).any() else 0.0


def random_graph_with_junk(n=40, m=80, seed=3):
    rng = np.random.default_rng(seed)
    e = rng.integers(0, n, size=(m, 2))
    e = np.vstack([e, e[:10], [[5, 5], [7, 7]]])        # duplicates and self-loops
    ei = np.vstack([np.r_[e[:, 0], e[:, 1]], np.r_[e[:, 1], e[:, 0]]])
    return ei, rng.standard_normal((n, 5))


# ---------------------------------------------------------------- energies
def test_energy_hand_computed_path():
    x = np.array([[0.0], [1.0], [3.0]])
    ei = np.array([[0, 1, 1, 2], [1, 0, 2, 1]])
    assert dirichlet_energy(x, ei) == pytest.approx((2 * 1 + 2 * 4) / 3)
    assert survey_measure(x, ei) == pytest.approx(math.sqrt(10 / 3))
    # Cai & Wang: degrees 1, 2, 1 -> augmented 2, 3, 2
    want = (0 / math.sqrt(2) - 1 / math.sqrt(3)) ** 2 + (1 / math.sqrt(3) - 3 / math.sqrt(2)) ** 2
    assert dirichlet_energy_normalized(x, ei) == pytest.approx(want)


def test_equal_rows_energy_zero_but_normalized_not_on_irregular_graph():
    x = np.ones((3, 4))
    ei = np.array([[0, 1, 1, 2], [1, 0, 2, 1]])
    assert dirichlet_energy(x, ei) == 0.0
    assert mad(x) == 0.0
    assert dirichlet_energy_normalized(x, ei) > 0.01           # the axiom failure, REFERENCE 1a
    cyc = np.array([[0, 1, 2, 1, 2, 0], [1, 2, 0, 0, 1, 2]])   # regular: D^1/2 1 is constant
    assert dirichlet_energy_normalized(x, cyc) == pytest.approx(0.0, abs=1e-12)


def test_energy_identity_with_laplacian_and_junk_edges():
    ei, x = random_graph_with_junk()
    n = x.shape[0]
    a = dense_adj(n, ei.T)
    lap = np.diag(a.sum(1)) - a
    assert dirichlet_energy(x, ei) == pytest.approx(2 / n * np.trace(x.T @ lap @ x), rel=1e-12)
    at = a + np.eye(n)
    dis = 1 / np.sqrt(at.sum(1))
    delta = np.eye(n) - dis[:, None] * at * dis[None, :]
    assert dirichlet_energy_normalized(x, ei) == pytest.approx(np.trace(x.T @ delta @ x), rel=1e-10)


def test_energy_directed_counts_each_edge_once():
    x = np.array([[0.0], [2.0], [5.0]])
    ei = np.array([[0, 1, 1], [1, 2, 2]])      # 0->1, 1->2 twice
    assert dirichlet_energy(x, ei) == pytest.approx((4 + 9) / 3)


# ---------------------------------------------------------------- MAD, cosine
def test_two_clusters_mad_and_cosine():
    x = np.array([[1.0, 0]] * 3 + [[0, 2.0]] * 3)
    assert mad(x) == pytest.approx(1.0)          # within-cluster zeros drop out of the count
    assert mean_cosine_similarity(x) == pytest.approx(12 / 30)
    y = np.array([[1.0, 0]] * 2 + [[1.0, 1.0]] * 2)
    assert mad(y) == pytest.approx(1 - 1 / math.sqrt(2))


@pytest.mark.parametrize("chunk", [1, 7, 1 << 21])
def test_mad_chunked_equals_dense_formula(chunk):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((50, 4))
    x[[3, 9]] = 0.0                               # zero rows
    x[10] = 2 * x[11]                             # parallel pair
    n = len(x)
    got = pair_metrics(x, np.arange(n), np.arange(n), chunk_elems=chunk)["mad"]
    assert got == pytest.approx(ref_mad(x), rel=1e-12)
    cos = [x[i] @ x[j] / np.linalg.norm(x[i]) / np.linalg.norm(x[j])
           for i in range(n) for j in range(n) if i != j and x[i].any() and x[j].any()]
    assert mean_cosine_similarity(x) == pytest.approx(np.mean(cos), rel=1e-12)


def test_zero_rows_rule_never_nan():
    z = np.zeros((5, 3))
    m = all_metrics(z, np.array([[0, 1], [1, 0]]))
    assert m["mad"] == 0.0 and m["mean_cosine_similarity"] == 1.0
    assert m["effective_rank"] == 0.0 and m["numerical_rank"] == 0.0
    assert m["dirichlet_energy"] == 0.0 and m["feature_norm"] == 0.0 and not m["overflow"]
    one = np.zeros((4, 2))
    one[2] = [1.0, 1.0]
    assert mad(one) == 0.0 and mean_cosine_similarity(one) == 1.0


def test_non_finite_features_reported_as_overflow():
    x = np.ones((3, 2))
    x[1, 0] = np.inf
    m = all_metrics(x, np.array([[0, 1], [1, 2]]))
    assert m["overflow"] is True and all(m[k] is None for k in ("mad", "dirichlet_energy"))


# ---------------------------------------------------------------- ranks and norms
def test_ranks_known_singular_values_small_and_gram_paths():
    rng = np.random.default_rng(1)
    s = np.array([3.0, 2.0, 1.0, 0.5])
    for n, f in ((10, 6), (5000, 64)):          # svdvals path and the Gram path (N*F >= 2^18)
        u, _ = np.linalg.qr(rng.standard_normal((n, 4)))
        v, _ = np.linalg.qr(rng.standard_normal((f, 4)))
        x = u @ np.diag(s) @ v.T
        p = s / s.sum()
        assert effective_rank(x) == pytest.approx(math.exp(-(p * np.log(p)).sum()), rel=1e-7)
        assert numerical_rank(x) == pytest.approx((s ** 2).sum() / 9.0, rel=1e-7)
        assert feature_norm(x) == pytest.approx(math.sqrt((s ** 2).sum()), rel=1e-12)
    assert effective_rank(np.outer(np.arange(1, 5), [1.0, 2.0])) == pytest.approx(1.0)


# ---------------------------------------------------------------- hops and MADGap
def test_hop_table_matches_networkx_with_cap_and_unreachable():
    G = nx.disjoint_union(nx.path_graph(12), nx.cycle_graph(7))
    G.add_edge(3, 3)
    g = Graph.from_networkx(G)
    rows, cols = np.array([0, 5, 14, 11]), np.arange(19)
    t = hop_table(g.senders, g.receivers, g.n_nodes, rows=rows, cols=cols, cap=8)
    sp = dict(nx.all_pairs_shortest_path_length(G))
    want = np.array([[min(sp[r].get(c, 99), 8) for c in cols] for r in rows])
    np.testing.assert_array_equal(t.dist, want)


def test_mad_gap_against_dense_hops_on_disconnected_graph():
    G = nx.disjoint_union(nx.path_graph(14), nx.path_graph(6))
    g = Graph.from_networkx(G)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((g.n_nodes, 3))
    sp = dict(nx.all_pairs_shortest_path_length(G))
    d = np.array([[sp[i].get(j, np.inf) for j in range(g.n_nodes)] for i in range(g.n_nodes)])
    near = (d >= 1) & (d <= 3)
    far = d >= 8                                  # inf (other component) counts as far
    want = ref_mad(x, far) - ref_mad(x, near)
    assert mad_gap(x, d) == pytest.approx(want, rel=1e-12)
    t = hop_table(g.senders, g.receivers, g.n_nodes, cap=8)
    assert mad_gap(x, t) == pytest.approx(want, rel=1e-12)
    assert all_metrics(x, g)["mad_gap"] == pytest.approx(want, rel=1e-12)
    assert mad_gap(x, np.ones((20, 20))) is None          # no far pair -> null
    with pytest.raises(ModelError, match="capped at 5 hops"):
        mad_gap(x, hop_table(g.senders, g.receivers, g.n_nodes, cap=5))


# ---------------------------------------------------------------- invariance, sampling, devices
def test_all_metrics_invariant_to_node_permutation():
    G = nx.connected_watts_strogatz_graph(60, 4, 0.1, seed=1)
    g = Graph.from_networkx(G)
    x = np.random.default_rng(4).standard_normal((60, 8))
    perm = np.random.default_rng(5).permutation(60)
    inv = np.argsort(perm)                        # new node inv[i] is old node i
    gp = Graph(60, inv[g.senders], inv[g.receivers])
    a, b = all_metrics(x, g), all_metrics(x[perm], gp)
    for k, v in a.items():
        if isinstance(v, float):
            assert b[k] == pytest.approx(v, rel=1e-9, abs=1e-12), k


def test_sampled_pairs_close_to_exact_and_reported():
    G = nx.connected_watts_strogatz_graph(2500, 4, 0.05, seed=0)
    g = Graph.from_networkx(G)
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2500, 6)) + np.where(np.arange(2500) < 1250, 1.0, -1.0)[:, None]
    exact = all_metrics(x, g, exact_pairs_limit=10_000)
    samp = all_metrics(x, g, exact_pairs_limit=2000, sample_pairs=1 << 18, seed=1)
    assert exact["pairs_sampled"] is None and samp["pairs_sampled"] == 512 * 512
    assert samp["mad"] == pytest.approx(exact["mad"], abs=0.02)
    assert samp["mad_gap"] == pytest.approx(exact["mad_gap"], abs=0.05)
    assert samp["dirichlet_energy"] == exact["dirichlet_energy"]      # not sampled


def test_torch_float32_input_and_context_reuse():
    ei, x = random_graph_with_junk()
    ctx = MetricContext.build(ei, x.shape[0])
    a = all_metrics(torch.tensor(x, dtype=torch.float32), ctx)
    b = all_metrics(x.astype(np.float32).astype(np.float64), ei)
    for k in ("dirichlet_energy", "mad", "effective_rank", "mean_cosine_similarity"):
        assert a[k] == pytest.approx(b[k], rel=1e-12)


def test_bad_shapes_raise_clear_errors():
    with pytest.raises(ModelError, match=r"shape \[2, E\]"):
        dirichlet_energy(np.ones((3, 2)), np.array([0, 1, 2]))
    with pytest.raises(ModelError, match="outside the valid range"):
        dirichlet_energy(np.ones((3, 2)), np.array([[0], [5]]))


# ---------------------------------------------------------------- MADGap thresholds adapted to the graph
@pytest.mark.parametrize("G, near, far, diameter", [
    (nx.path_graph(6), 2, 4, 5),             # D = 5: remote 4..5 hops, near 1..2 (3 hops: neither)
    (nx.karate_club_graph(), 2, 4, 5),       # the shipped sample: D = 5, no 8-hop pair
    (nx.star_graph(5), 1, 2, 2),             # D = 2: leaves are 2 apart, near = adjacent
    (nx.cycle_graph(6), 1, 3, 3),            # D = 3
    (nx.path_graph(7), 2, 4, 6),             # D = 6
    (nx.path_graph(8), 3, 5, 7),             # D = 7: near keeps Chen's 3
    (nx.complete_graph(5), 1, 2, 1),         # D = 1: far = 2 > D, so still no remote pair
])
def test_adaptive_thresholds_by_hand(G, near, far, diameter):
    from explorer.diagnostics.hops import adaptive_thresholds

    g = Graph.from_networkx(G)
    assert nx.diameter(G) == diameter
    t = hop_table(g.senders, g.receivers, g.n_nodes, cap=8)
    assert adaptive_thresholds(t) == (near, far, diameter)
    # the formula as documented: far = max(2, ceil(D/2) + 1), near = max(1, min(3, far - 2))
    assert far == max(2, math.ceil(diameter / 2) + 1) and near == max(1, min(3, far - 2))


def test_adaptive_thresholds_keep_chen_where_a_pair_is_8_hops_apart():
    from explorer.diagnostics.hops import adaptive_thresholds

    for G in (nx.path_graph(9), nx.disjoint_union(nx.path_graph(3), nx.path_graph(3))):
        g = Graph.from_networkx(G)           # D = 8, or two components (unreachable = remote)
        t = hop_table(g.senders, g.receivers, g.n_nodes, cap=8)
        assert adaptive_thresholds(t) == (3, 8, None)
        ctx = MetricContext.build(g, adapt=True)
        assert ctx.hop_thresholds() == {"near": 3, "far": 8, "adapted": False, "diameter": None}
    with pytest.raises(ModelError, match="near < far"):
        adaptive_thresholds(t, near=4, far=4)


def test_adapted_mad_gap_on_karate_against_dense_hops():
    """karate has no 8-hop pair: the library default gives no MADGap; adapted (remote >= 4 hops,
    near 1..2 hops) it equals the paper formula on networkx's all-pairs distances."""
    G = nx.karate_club_graph()
    g = Graph.from_networkx(G)
    x = np.random.default_rng(9).standard_normal((g.n_nodes, 5))
    assert all_metrics(x, g)["mad_gap"] is None                       # the default: no far pair
    sp = dict(nx.all_pairs_shortest_path_length(G))
    d = np.array([[sp[i][j] for j in range(34)] for i in range(34)])
    want = ref_mad(x, d >= 4) - ref_mad(x, (d >= 1) & (d <= 2))
    ctx = MetricContext.build(g, adapt=True)
    assert ctx.hop_thresholds() == {"near": 2, "far": 4, "adapted": True, "diameter": 5}
    assert all_metrics(x, ctx)["mad_gap"] == pytest.approx(want, rel=1e-12)
    from explorer.diagnostics.trace import trace_metrics, TraceLayers
    rows = trace_metrics(TraceLayers([0], [0], [x]), g, adapt_hops=True)
    assert rows[0]["mad_gap"] == pytest.approx(want, rel=1e-12)
    assert trace_metrics(TraceLayers([0], [0], [x]), g)[0]["mad_gap"] is None


def test_adapted_context_keeps_its_thresholds_on_another_device():
    ctx = MetricContext.build(Graph.from_networkx(nx.karate_club_graph()), adapt=True)
    moved = ctx.to("meta")                    # a device move rebuilds the context positionally
    assert moved.hop_thresholds() == ctx.hop_thresholds() == {"near": 2, "far": 4, "adapted": True,
                                                               "diameter": 5}
    assert moved.hops is ctx.hops and str(moved.directed_s.device) == "meta"
