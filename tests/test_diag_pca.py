"""The per-layer PCA (explorer.diagnostics.pca) and the probe per layer, against numpy by hand.

Oracles: numpy's SVD of the centred matrix (the library uses an eigen-decomposition), a 4-point
example worked by hand, and accuracy_vs_depth's own probe for layer_accuracies.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer.diagnostics.pca import layer_pca, pca_scores
from explorer.diagnostics.probe import accuracy_vs_depth, layer_accuracies, linear_probe_accuracy
from explorer.diagnostics.synthetic import csbm
from explorer.errors import ModelError


def _reference(x, k):
    """Scores on the top-k right singular vectors of the centred x (numpy SVD), signed so the
    largest loading is positive; variance shares sigma_j^2 / sum sigma^2."""
    xc = x - x.mean(0)
    _, s, vt = np.linalg.svd(xc, full_matrices=False)
    v = vt[:k].T
    v = v * np.sign(v[np.abs(v).argmax(0), range(v.shape[1])])
    return xc @ v, s[:k] ** 2 / (s ** 2).sum()


def test_hand_example():
    # points (0,0), (2,0), (1,2), (1,-2): mean (1,0); covariance axes x (var 1/2) and y (var 4)
    x = np.array([[0.0, 0.0], [2.0, 0.0], [1.0, 2.0], [1.0, -2.0]])
    s, e = pca_scores(x, 2)
    assert np.allclose(s[:, 0], [0, 0, 2, -2]) and np.allclose(s[:, 1], [-1, 1, 0, 0])
    assert np.allclose(e, [8 / 10, 2 / 10])


@settings(max_examples=25, deadline=None)
@given(st.integers(3, 12), st.integers(2, 16), st.integers(0, 10_000))
def test_matches_covariance_eigenvectors(n, f, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, f)) * rng.uniform(0.5, 3, size=f)
    s, e = pca_scores(x, 2)
    ref, share = _reference(x, 2)
    sv = np.linalg.svd(x - x.mean(0), compute_uv=False)    # wide x (f > n) too: the N x N route
    gaps = np.abs(np.diff(sv[:3])) if sv.size > 2 else np.abs(np.diff(sv))
    if (gaps > 1e-6 * sv[0]).all():                          # distinct singular values: unique axes
        assert np.allclose(s, ref, atol=1e-7)
    assert np.allclose(e, share, atol=1e-10)
    assert np.allclose((s ** 2).sum(0), sv[:2] ** 2, rtol=1e-8)   # variance along each axis


def test_rank_one_and_constant():
    x = np.outer(np.arange(5.0), [1.0, 2.0, 2.0])          # all rows on one line
    s, e = pca_scores(x, 2)
    ref = (np.arange(5.0) - 2.0) * 3.0                       # |(1,2,2)| = 3
    assert np.allclose(s[:, 0], ref) and np.allclose(s[:, 1], 0) and np.allclose(e, [1, 0])
    s, e = pca_scores(np.ones((4, 3)), 2)
    assert not s.any() and not e.any()


def test_layer_pca_extent_and_overflow():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(6, 4)), 0.1 * rng.normal(size=(6, 3))
    bad = np.full((6, 3), np.inf)
    p = layer_pca([a, b, bad])
    assert p.scores[2] is None and p.explained[2] is None and p.spread[2] is None
    assert np.allclose(p.scores[0], _reference(a, 2)[0], atol=1e-8)
    assert p.extent == pytest.approx(max(np.abs(_reference(a, 2)[0]).max(), np.abs(_reference(b, 2)[0]).max()))
    assert p.spread[1] == pytest.approx(np.sqrt(((b - b.mean(0)) ** 2).sum() / 6))


def test_bad_input():
    with pytest.raises(ModelError, match="shape"):
        pca_scores(np.zeros(4))
    with pytest.raises(ModelError, match="NaN or inf"):
        pca_scores(np.array([[np.nan, 1.0]]))
    with pytest.raises(ModelError, match="keep_features"):
        layer_pca([])


def test_layer_accuracies_match_accuracy_vs_depth():
    g = csbm(n=60, classes=2, seed=3)
    rows = accuracy_vs_depth(g, depth=3, hidden=8, seed=3, device="cpu")
    from explorer.diagnostics.sweep import depth_sweep
    res = depth_sweep(g, depth=3, hidden=8, seed=3, device="cpu", keep_features=True)
    acc = layer_accuracies(res.features, g.y, 3)
    assert acc == [r["accuracy"] for r in rows]
    # the split by hand: default_rng(seed + 2), half of the nodes
    train = np.random.default_rng(5).random(60) < 0.5
    assert acc[0] == linear_probe_accuracy(res.features[0], g.y, train)
