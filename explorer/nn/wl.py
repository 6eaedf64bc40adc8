"""1-WL colour refinement as message passing, and what sum/mean/max aggregation can tell apart.

One round of colour refinement is one round of message passing::

    message    each edge j -> i carries colour c(j)
    aggregate  node i collects the multiset {c(j)} of its in-neighbours' colours
    update     c'(i) = a new colour for the pair (c(i), sorted multiset)

A message-passing GNN can separate two graphs only if this test can (Xu et al. 2019; Morris et
al. 2019), and GIN's sum aggregation matches it. Colours are numbered consistently across the
graphs refined together, in sorted order of their signatures, so histograms can be compared.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch

from explorer.graph import Graph
from explorer.nn.ops import scatter
from explorer.trace import Step, Trace

__all__ = ["wl_refine", "wl_equivalent", "wl_colors", "multiset_demo"]


def _round(graphs: Sequence[Graph], colors: list[np.ndarray]) -> tuple[list[np.ndarray], list[list]]:
    """One refinement round on several graphs with one shared colour numbering."""
    sigs_all, multisets = [], []
    for g, c in zip(graphs, colors):
        order = np.argsort(g.receivers, kind="stable")
        bounds = np.searchsorted(g.receivers[order], np.arange(g.n_nodes + 1))
        sent = c[g.senders[order]]
        ms = [np.sort(sent[bounds[i]:bounds[i + 1]]) for i in range(g.n_nodes)]
        multisets.append(ms)
        sigs_all.append([(int(c[i]), tuple(int(v) for v in ms[i])) for i in range(g.n_nodes)])
    table = {s: k for k, s in enumerate(sorted({s for sigs in sigs_all for s in sigs}))}
    return [np.array([table[s] for s in sigs], dtype=np.int64) for sigs in sigs_all], multisets


def wl_colors(graphs: Sequence[Graph], max_rounds: int | None = None) -> list[list[np.ndarray]]:
    """Refine several graphs jointly until the partition of their union stops splitting.

    Returns:
        per round r = 0..R (round 0 = all nodes one colour), a list with each graph's
        ``[N_g]`` colours.
    """
    colors = [np.zeros(g.n_nodes, dtype=np.int64) for g in graphs]
    history = [colors]
    limit = max_rounds if max_rounds is not None else max(sum(g.n_nodes for g in graphs), 1)
    for _ in range(limit):
        new, _ = _round(graphs, colors)
        before = len(np.unique(np.concatenate(colors))) if colors else 0
        after = len(np.unique(np.concatenate(new))) if new else 0
        history.append(new)
        colors = new
        if after == before:
            break
    return history


def _histogram(c: np.ndarray) -> dict[str, np.ndarray]:
    vals, counts = np.unique(c, return_counts=True)
    return {"colors": vals, "counts": counts}


def wl_refine(graph: Graph, max_rounds: int | None = None) -> Trace:
    """Record 1-WL colour refinement of ``graph`` as a Trace of kind ``"wl"``.

    Args:
        graph: the graph (messages follow edge direction; an undirected graph has both).
        max_rounds: stop after this many rounds; by default run until the colouring is stable
            (at most N rounds). The last round is the one that changed nothing.

    Returns:
        Trace: step r has ``edges`` = all edges, ``messages`` ``[E, 1]`` the sender colours,
        ``aggregates`` the sorted multiset of colours each node received (ragged), ``states``
        ``[N]`` the new colours; extras ``"colors"`` ``[N]``, ``"histogram"`` (``colors`` and
        ``counts`` arrays), ``"n_colors"``, ``"stable"``. ``result``: final ``"colors"``,
        ``"histogram"``, ``"rounds"``.
    """
    history = wl_colors([graph], max_rounds)
    steps = []
    all_edges = np.arange(graph.n_edges)
    for r in range(1, len(history)):
        prev, cur = history[r - 1][0], history[r][0]
        _, ms = _round([graph], [prev])
        n_prev, n_cur = len(np.unique(prev)), len(np.unique(cur))
        steps.append(Step(
            edges=all_edges, messages=prev[graph.senders].reshape(-1, 1).astype(np.int64),
            aggregates=[m.astype(np.int64) for m in ms[0]], states=cur,
            extras={"colors": cur, "histogram": _histogram(cur), "n_colors": n_cur, "stable": n_cur == n_prev},
            label=f"round {r}",
            note=(f"Round {r}: every node sent its colour to its neighbours and took a new colour "
                  f"for (own colour, multiset received): {n_prev} -> {n_cur} colours"
                  + (" — stable, refinement stops." if n_cur == n_prev else "."))))
    final = history[-1][0]
    return Trace(kind="wl", graph=graph, params={"seed": None, "max_rounds": max_rounds}, steps=steps,
                 result={"colors": final, "histogram": _histogram(final), "rounds": len(steps)})


def wl_equivalent(g1: Graph, g2: Graph, max_rounds: int | None = None) -> bool:
    """``True`` when 1-WL cannot tell ``g1`` and ``g2`` apart (equal colour histograms in every
    round of a joint refinement); ``False`` means they are certainly not isomorphic."""
    if g1.n_nodes != g2.n_nodes:
        return False
    for c1, c2 in wl_colors([g1, g2], max_rounds):
        if not np.array_equal(np.sort(c1), np.sort(c2)):
            return False
    return True


def multiset_demo() -> list[dict[str, Any]]:
    """Neighbourhood multisets that sum separates but mean or max do not (Xu et al. 2019, Fig. 3).

    Features are one-hot colours a = [1, 0], b = [0, 1]; the aggregates come from the same
    scatter the layers use (GIN sums, SAGE averages or takes the max). Each case holds two multisets and, per
    aggregation, the two aggregates and whether they differ.

    Returns:
        ``[{"left": [...], "right": [...], "sum": {...}, "mean": {...}, "max": {...}}, ...]``
        where each aggregation maps to ``{"left": list, "right": list, "distinguishes": bool}``.
    """
    one_hot = {"a": np.array([1.0, 0.0]), "b": np.array([0.0, 1.0])}
    cases = [("a", "aa"), ("ab", "aabb"), ("aab", "abb")]
    out = []
    for left, right in cases:
        case: dict[str, Any] = {"left": list(left), "right": list(right)}
        for name in ("sum", "mean", "max"):
            # the layers' own aggregation: every neighbour sends to one centre node
            lv, rv = (scatter(torch.tensor(np.stack([one_hot[c] for c in side])),
                              torch.zeros(len(side), dtype=torch.long), 1, name)[0].numpy()
                      for side in (left, right))
            case[name] = {"left": lv.tolist(), "right": rv.tolist(), "distinguishes": not np.allclose(lv, rv)}
        out.append(case)
    return out
