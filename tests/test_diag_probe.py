"""Accuracy against depth on the contextual SBM: the 'why it matters' curve."""

import numpy as np
import pytest

from explorer.errors import ModelError
from explorer.graph import Graph
from explorer.diagnostics.probe import accuracy_vs_depth, linear_probe_accuracy


pytestmark = pytest.mark.usefixtures("torch_one_thread")


def test_probe_on_separable_and_constant_features():
    y = np.repeat([0, 1], 50)
    x = np.c_[np.where(y == 0, -1.0, 1.0) + 0.01 * np.random.default_rng(0).standard_normal(100)]
    train = np.arange(100) % 2 == 0
    assert linear_probe_accuracy(x, y, train) == 1.0
    assert linear_probe_accuracy(np.ones((100, 3)), y, train) == pytest.approx(0.5)   # chance
    assert linear_probe_accuracy(np.full((100, 2), np.inf), y, train) == pytest.approx(0.5)


def test_plain_gcn_forgets_classes_pairnorm_and_gcnii_keep_them():
    opts = dict(n=200, p_in=0.06, p_out=0.012, signal=1.2, feature_dim=8, depth=40, device="cpu")
    plain = accuracy_vs_depth(**opts)
    assert len(plain) == 41 and plain[2]["accuracy"] > 0.9
    assert plain[-1]["accuracy"] < 0.65                  # near chance (0.5) after 40 layers
    for remedy in ("pairnorm", "gcnii"):
        assert accuracy_vs_depth(remedy=remedy, **opts)[-1]["accuracy"] > 0.9, remedy
    with pytest.raises(ModelError, match="needs node classes"):
        accuracy_vs_depth(Graph(3, [0], [1]), depth=1)
