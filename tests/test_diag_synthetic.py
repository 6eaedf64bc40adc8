"""Synthetic graphs: the contextual SBM and G(n, m), checked against their definitions."""

import numpy as np
import pytest

from explorer.errors import ModelError
from explorer.diagnostics import csbm, random_graph
from explorer.diagnostics.synthetic import _tri_unrank


def simple_undirected(g):
    s, r = g.senders, g.receivers
    assert not np.any(s == r)                                     # no self-loops
    np.testing.assert_array_equal(s[0::2], r[1::2])               # u->v followed by v->u
    np.testing.assert_array_equal(r[0::2], s[1::2])
    pairs = g.undirected_pairs()
    assert len(pairs) == g.n_edges // 2                           # no duplicates
    return pairs


def test_tri_unrank_enumerates_upper_triangle():
    n = 9
    i, j = _tri_unrank(np.arange(n * (n - 1) // 2), n)
    want = [(a, b) for a in range(n) for b in range(a + 1, n)]
    assert list(zip(i.tolist(), j.tolist())) == want


def test_csbm_edge_rates_features_and_seed():
    g = csbm(n=600, classes=3, p_in=0.05, p_out=0.01, signal=2.0, feature_dim=6, seed=4)
    pairs = simple_undirected(g)
    same = g.y[pairs[:, 0]] == g.y[pairs[:, 1]]
    n_in = 3 * (200 * 199 // 2)
    n_out = 3 * 200 * 200
    assert same.sum() / n_in == pytest.approx(0.05, rel=0.1)      # ~ 3,000 +- 55 edges
    assert (~same).sum() / n_out == pytest.approx(0.01, rel=0.1)
    means = np.stack([g.x[g.y == c].mean(0) for c in range(3)])
    assert np.linalg.norm(means, axis=1) == pytest.approx([2.0] * 3, rel=0.15)
    assert abs(means[0] @ means[1]) < 0.5                         # orthogonal class means
    assert np.bincount(g.y).tolist() == [200, 200, 200]
    h = csbm(n=600, classes=3, p_in=0.05, p_out=0.01, signal=2.0, feature_dim=6, seed=4)
    assert h.content_hash() == g.content_hash()
    two = csbm(n=100, classes=2, signal=1.0, feature_dim=3, seed=0)
    m0, m1 = two.x[two.y == 0].mean(0), two.x[two.y == 1].mean(0)
    assert m0 @ m1 < 0                                            # +u and -u


def test_random_graph_exact_size_sparse_and_dense():
    g = random_graph(2000, 10_000, seed=1, feature_dim=4)
    assert len(simple_undirected(g)) == 10_000 and g.x.shape == (2000, 4)
    d = random_graph(10, 44, seed=2)                              # dense branch: 44 of 45 pairs
    assert len(simple_undirected(d)) == 44
    with pytest.raises(ModelError, match="n_edges <= "):
        random_graph(10, 46)
    with pytest.raises(ModelError, match="p_in in"):
        csbm(n=10, p_in=1.5)
