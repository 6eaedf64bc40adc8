"""The matrix form of one GCN layer, X' = R X Θ + b, for the Matrix view page.

Pure numpy/torch (no streamlit). The weights are the ones :func:`explorer.nn.run_stack` draws
for the same seed, so the page can compare this product with the recorded message-passing run.
"""

from __future__ import annotations

import numpy as np

from explorer.graph import Graph

__all__ = ["gcn_matrices"]


def gcn_matrices(graph: Graph, *, hidden: int, seed: int, features: str = "auto") -> dict:
    """R (GCN's normalised operator with self-loops), X, Θ, b and X' = R X Θ + b.

    Returns:
        ``{"R", "X", "Theta", "bias", "Xp", "notice"}``.

    Shapes:
        R ``[N, N]``, X ``[N, F]``, Theta ``[F, H]``, bias ``[H]``, Xp ``[N, H]``.
    """
    from explorer import nn
    from explorer.seeding import seeded
    from explorer.nn.operators import reference_operator

    x, notice = nn.default_features(graph, features, seed)
    x = np.asarray(x, dtype=np.float64)
    with seeded(seed):  # the seed's weights even while other sessions build models
        model = nn.build_model("gcn", x.shape[1], layers=1, hidden=hidden)
    sd = {k: v.detach().double().numpy() for k, v in model.state_dict().items()}
    theta = sd["convs.0.lin.weight"].T
    bias = sd.get("convs.0.bias", np.zeros(theta.shape[1]))
    R = reference_operator(graph, "sym_norm")
    return {"R": R, "X": x, "Theta": theta, "bias": bias, "Xp": R @ x @ theta + bias,
            "notice": notice}
