"""Principal components of each layer's node features, on axes fixed across layers.

:func:`pca_scores` projects the centred rows of one feature matrix on its top principal axes
(signs fixed: each axis's largest loading is positive). :func:`layer_pca` does it for every
layer of a depth sweep and adds one *common extent*: the largest absolute score of any layer,
so a view can draw every layer on the same axes and the points visibly fall together as the
layers smooth them. Each layer uses its own axes (layer 0 may be wider than the hidden layers,
so there are no common axes); the scale is shared. Float64, numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from explorer.errors import ModelError

__all__ = ["pca_scores", "layer_pca", "LayerPCA"]


def pca_scores(x: np.ndarray, k: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """The first ``k`` principal-component scores of the rows of ``x`` and their variance shares.

    Args:
        x: ``[N, F]`` features (rows are nodes).
        k: the number of components.

    Returns:
        ``(scores [N, k], explained [k])``: ``scores = (x - mean) @ V[:, :k]`` with each column
        of V signed so its largest-magnitude loading is positive; ``explained[j]`` the share of
        the total variance on component j (0 when the centred matrix is zero). Components past
        the rank (or past F) are zero.

    Raises:
        ModelError: for a matrix that is not 2-D or holds NaN/inf.

    Example:
        >>> s, e = pca_scores(np.array([[0.0, 0.0], [2.0, 0.0]]), k=1)
        >>> s[:, 0].tolist(), e.tolist()
        ([-1.0, 1.0], [1.0])
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ModelError(f"expected node features of shape [N, F], found shape {list(x.shape)}")
    if not np.isfinite(x).all():
        raise ModelError("the features contain NaN or inf; PCA needs finite numbers (an overflowed layer)")
    n, f = x.shape
    scores, explained = np.zeros((n, k)), np.zeros(k)
    if n == 0 or f == 0:
        return scores, explained
    xc = x - x.mean(axis=0, keepdims=True)
    # the principal axes are the eigenvectors of the F x F scatter matrix (or, for wide x, come
    # from the N x N Gram matrix): about 15x faster than an SVD of the tall N x F matrix
    if f <= n:
        lam, v = np.linalg.eigh(xc.T @ xc)
        lam, v = lam[::-1], v[:, ::-1]
    else:
        lam, u = np.linalg.eigh(xc @ xc.T)
        lam, u = lam[::-1], u[:, ::-1]
        v = xc.T @ (u / np.sqrt(np.maximum(lam, np.finfo(float).tiny)))
    lam = np.maximum(lam, 0.0)
    total = float(lam.sum())
    if total <= 0.0:
        return scores, explained
    for j in range(min(k, lam.size)):
        if lam[j] <= 1e-10 * lam[0]:      # no variance left in this direction (rounding only)
            break
        vj = v[:, j] / np.linalg.norm(v[:, j])
        vj = vj if vj[np.argmax(np.abs(vj))] >= 0 else -vj
        scores[:, j] = xc @ vj
        explained[j] = lam[j] / total
    return scores, explained


@dataclass
class LayerPCA:
    """The top-2 PCA of every layer, with one extent for all.

    Attributes:
        scores: one ``[N, 2]`` array per layer (``None`` for a layer that overflowed).
        explained: one ``[2]`` array of variance shares per layer (``None`` likewise).
        spread: per layer, the RMS distance of the points from their mean (``sqrt(tr Cov)``,
            all components, not only the two drawn); ``None`` likewise.
        extent: the largest absolute score over every layer and both components (> 0): the
            fixed half-width of the axes.
    """

    scores: list[np.ndarray | None]
    explained: list[np.ndarray | None]
    spread: list[float | None]
    extent: float


def layer_pca(features: Sequence[np.ndarray]) -> LayerPCA:
    """:func:`pca_scores` (k = 2) of every layer's features and the common extent.

    Args:
        features: the per-layer feature matrices of a sweep (``SweepResult.features``).

    Returns:
        A :class:`LayerPCA`; a layer with non-finite features gets ``None`` entries.

    Raises:
        ModelError: when no features are given (run the sweep with ``keep_features=True``).
    """
    if features is None or len(features) == 0:
        raise ModelError("expected the features of every layer, found none; run depth_sweep(..., "
                         "keep_features=True)")
    scores, explained, spread = [], [], []
    for f in features:
        a = np.asarray(f, dtype=np.float64)
        if a.ndim != 2 or not np.isfinite(a).all():
            scores.append(None), explained.append(None), spread.append(None)
            continue
        s, e = pca_scores(a, 2)
        scores.append(s), explained.append(e)
        c = a - a.mean(axis=0, keepdims=True) if a.size else a
        spread.append(float(np.sqrt((c * c).sum() / max(a.shape[0], 1))))
    finite = [float(np.abs(s).max()) for s in scores if s is not None and s.size]
    extent = max(finite, default=0.0)
    return LayerPCA(scores, explained, spread, extent if extent > 0 else 1.0)
