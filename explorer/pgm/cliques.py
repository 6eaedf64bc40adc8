"""The structure of a clique tree (junction tree), built from an elimination order, no tables.

Eliminating ``x`` from the interaction graph (variables joined when they share a factor) joins
its neighbours and creates the clique ``{x} ∪ N(x)``; that clique's parent is the clique of the
first of ``N(x)`` to be eliminated. A clique contained in a child's clique is merged into it, so
only maximal cliques remain, and the tree has the running-intersection property: the cliques
holding any variable form a connected subtree. Disconnected parts hang off the root through
empty separators, so a forest is one tree.

The order is greedy min-fill (ties: smallest clique table, then lowest variable index), or
min-weight on very large models. Clique sizes are known from the order alone, so a model too
large for exact inference is refused here, before any table is allocated: this is the cheap
budget check for "can this model be solved exactly?". Calibration is in
:mod:`explorer.pgm.junction`.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from typing import Mapping

from explorer.errors import ModelError, TooLargeError
from explorer.pgm.evidence import check_evidence
from explorer.pgm.factor_graph import FactorGraph

__all__ = ["CliqueTree", "clique_tree", "MAX_CLIQUE_ENTRIES", "MAX_TOTAL_ENTRIES",
           "MIN_FILL_MAX_VARS"]

#: the largest clique table a calibration may build (entries); same limit as variable elimination
MAX_CLIQUE_ENTRIES = 1 << 24
#: the most entries all clique tables together may hold (512 MB of float64)
MAX_TOTAL_ENTRIES = 1 << 26
#: ``clique_tree(heuristic="auto")`` orders by min-fill up to this many free variables
MIN_FILL_MAX_VARS = 2000


@dataclass(frozen=True, eq=False)
class CliqueTree:
    """The structure of a clique tree (no tables): cheap to build, checked against the limits.

    Attributes:
        cliques: ``[C]`` variable indices of each clique, sorted (the clique table's axis order).
        parent: ``[C]`` the parent clique, ``-1`` for the root.
        root: the root clique (``-1`` when no variable is left to infer).
        edges: ``[C - 1]`` pairs ``(child, parent)``, in collect order (children first).
        separators: ``[C - 1]`` sorted variable indices shared by each edge's two cliques.
        order: the elimination order that built the tree.
        fixed: ``{variable: state}`` sliced out before building: the evidence plus every
            cardinality-1 variable (at state 0).
        sizes: ``[C]`` entries of each clique table.
        home: ``{variable: clique}`` for every eliminated variable, the clique created when it
            was eliminated (it holds the variable and every factor scope the variable starts).
    """

    cliques: tuple[tuple[int, ...], ...]
    parent: tuple[int, ...]
    root: int
    edges: tuple[tuple[int, int], ...]
    separators: tuple[tuple[int, ...], ...]
    order: tuple[int, ...]
    fixed: dict[int, int]
    sizes: tuple[int, ...]
    home: dict[int, int]

    @property
    def treewidth(self) -> int:
        """Largest clique size minus one (of this order; ``-1`` for an empty tree)."""
        return max((len(c) for c in self.cliques), default=0) - 1

    @property
    def max_entries(self) -> int:
        return max(self.sizes, default=1)


def _interaction(fg: FactorGraph, fixed: Mapping[int, int]) -> dict[int, set[int]]:
    adj: dict[int, set[int]] = {i: set() for i in range(fg.n_vars) if i not in fixed}
    for f in fg.factors:
        free = [i for i in f.scope if i not in fixed]
        for a in free:
            adj[a].update(b for b in free if b != a)
    return adj


def _elimination_order(fg: FactorGraph, adj: dict[int, set[int]],
                       heuristic: str) -> list[tuple[int, tuple[int, ...]]]:
    """Greedy min-fill (ties: smallest clique table, then lowest index) or min-weight (smallest
    clique table, then lowest index) on a copy of ``adj``.

    Returns ``[(x, neighbours of x when eliminated)]``. Raises :class:`TooLargeError` at the
    first clique past :data:`MAX_CLIQUE_ENTRIES` (so a huge model stops early and cheaply).
    """
    adj = {k: set(v) for k, v in adj.items()}
    mask = {k: sum(1 << b for b in v) if heuristic == "min-fill" else 0    # the sets as bits
            for k, v in adj.items()}
    cards = fg.cards
    fill_first = heuristic == "min-fill"

    def cost(x: int) -> tuple[int, int, int]:
        nb, m = adj[x], mask[x]
        fill = (sum((m & ~mask[a]).bit_count() for a in nb) - len(nb)) // 2 if fill_first else 0
        return fill, math.prod(cards[a] for a in nb) * cards[x], x

    current = {x: cost(x) for x in adj}
    heap = list(current.values())
    heapq.heapify(heap)
    out, total, width = [], 0, 0
    while heap:
        c = heapq.heappop(heap)
        x = c[2]
        if current.get(x) != c:
            continue
        del current[x]
        nb = adj.pop(x)
        size = c[1]
        total += size
        width = max(width, len(nb))
        if size > MAX_CLIQUE_ENTRIES or total > MAX_TOTAL_ENTRIES:
            what = (f"a clique table of {size:.3g} entries ({len(nb) + 1} variables: treewidth at "
                    f"least {len(nb)}, eliminating {fg.names[x]!r}); the limit is "
                    f"{MAX_CLIQUE_ENTRIES:,} entries" if size > MAX_CLIQUE_ENTRIES else
                    f"clique tables of {total:.3g} entries in all (treewidth at least {width}); "
                    f"the limit is {MAX_TOTAL_ENTRIES:,} entries")
            raise TooLargeError(f"exact inference would build {what}. Use belief propagation "
                                "(`bp`) for this model: loopy BP approximates the marginals",
                                size=float(size if size > MAX_CLIQUE_ENTRIES else total),
                                limit=float(MAX_CLIQUE_ENTRIES if size > MAX_CLIQUE_ENTRIES
                                            else MAX_TOTAL_ENTRIES))
        m = mask.pop(x)
        for a in nb:
            adj[a].discard(x)
            adj[a] |= nb
            adj[a].discard(a)
            if fill_first:
                mask[a] = (mask[a] | m) & ~(1 << a) & ~(1 << x)
        # fills change for x's neighbours and for nodes seeing two or more of them (new edges)
        touched = set(nb)
        for a in nb if fill_first else ():
            touched.update(b for b in adj[a] if b not in touched and (mask[b] & m).bit_count() > 1)
        for a in touched:
            current[a] = cost(a)
            heapq.heappush(heap, current[a])
        out.append((x, tuple(sorted(nb))))
    return out


def clique_tree(fg: FactorGraph, *, evidence: Mapping[int, int] | None = None,
                heuristic: str = "auto") -> CliqueTree:
    """Build the clique tree's structure (no tables) and check it against the size limits.

    Args:
        fg: the model.
        evidence: ``{variable index: state index}``, sliced out before building.
        heuristic: the elimination order: ``"min-fill"`` (fewest fill edges; ties: smallest
            clique table, then lowest index), ``"min-weight"`` (smallest clique table, then
            lowest index) or ``"auto"``: min-fill up to :data:`MIN_FILL_MAX_VARS` variables,
            min-weight above (its cost does not grow with the neighbours' neighbourhoods).

    Cost: min-fill is about ``sum over x of |N(x)|^3`` set operations, min-weight
    ``sum |N(x)|^2``; nothing proportional to a table size is allocated, so this is also the
    cheap budget check for "can this model be solved exactly?".

    Raises:
        TooLargeError: a clique table past :data:`MAX_CLIQUE_ENTRIES`, or all of them past
            :data:`MAX_TOTAL_ENTRIES` (the message names the size and the treewidth).
        EvidenceError: evidence out of range.
    """
    fixed = check_evidence(fg, evidence)
    fixed.update({i: 0 for i in range(fg.n_vars) if fg.cards[i] == 1 and i not in fixed})
    if heuristic not in ("auto", "min-fill", "min-weight"):
        raise ModelError(f"heuristic must be 'auto', 'min-fill' or 'min-weight' (got {heuristic!r})")
    adj = _interaction(fg, fixed)
    if heuristic == "auto":
        heuristic = "min-fill" if len(adj) <= MIN_FILL_MAX_VARS else "min-weight"
    elim = _elimination_order(fg, adj, heuristic)
    node: dict[int, int] = {}               # eliminated variable -> its clique (after merging)
    cliques: list[tuple[int, ...]] = []
    pos = {x: k for k, (x, _) in enumerate(elim)}
    first_nb = {}
    for x, nb in elim:
        first_nb[x] = min(nb, key=pos.__getitem__) if nb else None
    # a clique {p} ∪ N(p) equal to {x} ∪ N(x) minus x is absorbed by the child x's clique
    absorbed: dict[int, int] = {}
    for x, nb in elim:
        p = first_nb[x]
        if p is not None and p not in absorbed and len(elim[pos[p]][1]) + 1 == len(nb):
            absorbed[p] = x

    def rep(v: int) -> int:
        while v in absorbed:
            v = absorbed[v]
        return v

    for x, nb in elim:
        if x not in absorbed:
            node[x] = len(cliques)
            cliques.append(tuple(sorted((x,) + nb)))
    parent = [-1] * len(cliques)
    for x, _ in elim:
        p = first_nb[x]
        if p is not None and rep(x) != rep(p):
            parent[node[rep(x)]] = node[rep(p)]
    roots = [c for c in range(len(cliques)) if parent[c] < 0]
    root = roots[-1] if roots else -1
    for c in roots[:-1]:                    # a forest becomes one tree through empty separators
        parent[c] = root
    children: list[list[int]] = [[] for _ in cliques]
    for c, p in enumerate(parent):
        if p >= 0:
            children[p].append(c)
    depth, stack = [0] * len(cliques), [root] if root >= 0 else []
    while stack:
        c = stack.pop()
        for k in children[c]:
            depth[k] = depth[c] + 1
            stack.append(k)
    collect = sorted((c for c in range(len(cliques)) if parent[c] >= 0), key=lambda c: (-depth[c], c))
    edges = tuple((c, parent[c]) for c in collect)
    seps = tuple(tuple(sorted(set(cliques[c]) & set(cliques[p]))) for c, p in edges)
    sizes = tuple(math.prod(fg.cards[i] for i in c) for c in cliques)
    return CliqueTree(cliques=tuple(cliques), parent=tuple(parent), root=root, edges=edges,
                      separators=seps, order=tuple(x for x, _ in elim), fixed=fixed, sizes=sizes,
                      home={x: node[rep(x)] for x, _ in elim})
