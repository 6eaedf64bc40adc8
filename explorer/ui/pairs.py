"""Two graphs drawn and refined as one: their disjoint union (for the Expressiveness page).

Refining the union with 1-WL gives both graphs colours from one shared table, so equal colour
histograms mean 1-WL cannot tell them apart. Pure numpy (no streamlit).
"""

from __future__ import annotations

import numpy as np

from explorer.graph import Graph

__all__ = ["disjoint_union", "side_by_side", "histograms"]


def disjoint_union(a: Graph, b: Graph) -> Graph:
    """``a`` then ``b`` as one undirected graph; labels are prefixed ``A:`` and ``B:``.

    >>> g = disjoint_union(Graph.from_edges(2, [(0, 1)]), Graph.from_edges(3, [(0, 1), (1, 2)]))
    >>> g.n_nodes, g.display_labels[2]
    (5, 'B:0')
    """
    pairs = np.vstack([a.undirected_pairs(), b.undirected_pairs() + a.n_nodes])
    labels = [f"A:{s}" for s in a.display_labels] + [f"B:{s}" for s in b.display_labels]
    return Graph.from_edges(a.n_nodes + b.n_nodes, pairs, labels=labels,
                            name=f"{a.name or 'A'} + {b.name or 'B'}")


def side_by_side(pos_a: np.ndarray, pos_b: np.ndarray, gap: float = 0.6) -> np.ndarray:
    """Positions for the union: each layout scaled to a unit box, B to the right of A.

    Shapes:
        pos_a ``[Na, 2]``, pos_b ``[Nb, 2]`` -> ``[Na + Nb, 2]``.
    """
    def unit(p: np.ndarray) -> np.ndarray:
        p = np.asarray(p, dtype=float)
        span = np.ptp(p, axis=0) if len(p) else np.ones(2)
        return (p - p.min(axis=0)) / max(float(span.max()), 1e-9)

    return np.vstack([unit(pos_a), unit(pos_b) + np.array([1.0 + gap, 0.0])])


def histograms(colors: np.ndarray, n_a: int) -> list[dict]:
    """One row per colour: how many nodes of A and of B have it.

    >>> histograms(np.array([0, 1, 1, 0, 1]), 3)
    [{'colour': 0, 'A': 1, 'B': 1}, {'colour': 1, 'A': 2, 'B': 1}]
    """
    c = np.asarray(colors).astype(int)
    return [{"colour": int(k), "A": int((c[:n_a] == k).sum()), "B": int((c[n_a:] == k).sum())}
            for k in np.unique(c)]
