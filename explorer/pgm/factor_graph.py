"""`Factor` and `FactorGraph`: discrete graphical models as plain, immutable data.

A factor graph has V discrete variables ``0 .. V-1`` (each with a name, a cardinality and state
names) and F factors; factor ``I`` is a non-negative table over an ordered *scope* of variables,
stored in numpy **C order over the scope** (the last scope variable changes fastest), which is
also the UAI file order. The model's distribution is

    p(x) = (1/Z) * prod_I f_I(x_scope(I))

A Bayesian network is the special case with one factor per conditional distribution
``P(child | parents)``, whose scope is ``parents + (child,)`` (so Z = 1 without evidence).

Drawing: :meth:`FactorGraph.to_graph` is the bipartite factor graph (variables, then factors),
the graph belief propagation's Trace runs on; :meth:`FactorGraph.variable_graph` joins two
variables when they share a factor (for a pairwise model, its Markov random field).

Example:
    >>> import numpy as np
    >>> fg = FactorGraph(names=("A", "B"), cards=(2, 2), states=(("0", "1"), ("0", "1")),
    ...                  factors=(Factor((0,), np.array([0.6, 0.4])),
    ...                           Factor((0, 1), np.array([[0.7, 0.3], [0.2, 0.8]]))))
    >>> g = fg.to_graph()
    >>> g.n_nodes, g.n_edges, g.roles
    (4, 6, ('variable', 'variable', 'factor', 'factor'))
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from explorer.errors import ModelError
from explorer.graph import Graph

__all__ = ["Factor", "FactorGraph"]


@dataclass(frozen=True, eq=False)
class Factor:
    """One factor: a non-negative table over an ordered scope of variables.

    Attributes:
        scope: ``(i_0, ..., i_{a-1})`` the variable indices the table ranges over (no repeats).
        table: ``[card(i_0), ..., card(i_{a-1})]`` float64, C order over ``scope``.
        label: display name such as ``"P(B|A)"`` or ``"f(A,B)"``; ``""`` lets the factor graph
            make one.
    """

    scope: tuple[int, ...]
    table: np.ndarray
    label: str = ""

    def __post_init__(self) -> None:
        sc = self.scope
        scope = (tuple(int(i) for i in sc) if isinstance(sc, (tuple, list))
                 else tuple(int(i) for i in np.asarray(sc, dtype=np.int64).reshape(-1)))
        table = self.table
        if not (isinstance(table, np.ndarray) and table.dtype == np.float64
                and not table.flags.writeable):
            table = np.array(table, dtype=np.float64, copy=True)
            table.setflags(write=False)
        object.__setattr__(self, "scope", scope)
        object.__setattr__(self, "table", table)

    @property
    def arity(self) -> int:
        return len(self.scope)

    def _relabel(self, label: str) -> "Factor":
        """A copy sharing the (read-only) table, with a new label."""
        f = object.__new__(Factor)
        for k, v in (("scope", self.scope), ("table", self.table), ("label", label)):
            object.__setattr__(f, k, v)
        return f


@dataclass(frozen=True, eq=False)
class FactorGraph:
    """A discrete graphical model (V variables, F factors). Frozen; derive with ``replace``.

    Attributes:
        names: ``[V]`` unique variable names.
        cards: ``[V]`` cardinalities (>= 1).
        states: ``[V]`` state names per variable, ``len(states[i]) == cards[i]``, unique per
            variable.
        factors: ``[F]`` the factors; every scope index lies in ``[0, V)``; table shapes match
            the cards of their scope; entries are finite and >= 0.
        name: a short model name.
        kind: ``"bayes"`` (one CPD per variable, ``parents`` given) or ``"markov"``.
        parents: ``[V]`` parent indices per variable for a Bayesian network, else ``None``.
        meta: free plain data (``"source"``, ``"grid"``: (rows, cols), ``"warnings"``, ...).

    Raises:
        ModelError: any of the constraints above is broken (the message names the factor).
    """

    names: tuple[str, ...]
    cards: tuple[int, ...]
    states: tuple[tuple[str, ...], ...]
    factors: tuple[Factor, ...]
    name: str = ""
    kind: str = "markov"
    parents: tuple[tuple[int, ...], ...] | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        set_ = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731 (frozen dataclass)
        names = tuple(str(n) for n in self.names)
        cards = tuple(int(c) for c in self.cards)
        states = tuple(tuple(str(s) for s in st) for st in self.states)
        set_("names", names), set_("cards", cards), set_("states", states)
        set_("factors", tuple(self.factors))
        if len(cards) != len(names) or len(states) != len(names):
            raise ModelError(f"expected one card and one state list per variable ({len(names)}), "
                             f"found {len(cards)} cards and {len(states)} state lists")
        dup = sorted(n for n, c in Counter(names).items() if c > 1)
        if dup:
            raise ModelError(f"variable names must be unique; found duplicates {dup}")
        for i, (n, c, st) in enumerate(zip(names, cards, states)):
            if c < 1 or len(st) != c:
                raise ModelError(f"variable {n!r} has cardinality {c} but {len(st)} state names")
            if len(set(st)) != c:
                raise ModelError(f"variable {n!r} has repeated state names {list(st)}")
        if self.kind not in ("bayes", "markov"):
            raise ModelError(f"kind must be 'bayes' or 'markov' (got {self.kind!r})")
        v = len(names)
        labels = []
        for k, f in enumerate(self.factors):
            if any(i < 0 or i >= v for i in f.scope):
                raise ModelError(f"factor {k} names variable {max(f.scope)}, outside [0, {v - 1}]")
            if len(set(f.scope)) != len(f.scope):
                raise ModelError(f"factor {k} repeats a variable in its scope {f.scope}")
            want = tuple(cards[i] for i in f.scope)
            if f.table.shape != want:
                raise ModelError(f"factor {k} over {[names[i] for i in f.scope]} has a table of "
                                 f"shape {f.table.shape}; expected {want} (C order over the scope)")
            if f.table.size and not (np.isfinite(f.table).all() and f.table.min() >= 0):
                raise ModelError(f"factor {k} over {[names[i] for i in f.scope]} has negative or "
                                 "non-finite entries; tables must be finite and >= 0")
            labels.append(f.label or self._default_label(f))
        set_("factors", tuple(f if f.label else f._relabel(lab)
                              for f, lab in zip(self.factors, labels)))
        if self.parents is not None:
            set_("parents", tuple(tuple(int(p) for p in ps) for ps in self.parents))

    def _default_label(self, f: Factor) -> str:
        names = [self.names[i] for i in f.scope]
        if self.kind == "bayes" and names:
            return f"P({names[-1]}|{','.join(names[:-1])})" if len(names) > 1 else f"P({names[0]})"
        return f"f({','.join(names)})"

    # ------------------------------------------------------------------ sizes
    @property
    def n_vars(self) -> int:
        return len(self.names)

    @property
    def n_factors(self) -> int:
        return len(self.factors)

    def index(self, name: str) -> int:
        """The index of variable ``name`` (raises :class:`ModelError` listing valid names)."""
        try:
            return self.names.index(name)
        except ValueError:
            raise ModelError(f"unknown variable {name!r}; expected one of {list(self.names)}") from None

    # ------------------------------------------------------------------ bipartite structure
    def edge_pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The bipartite edges as three aligned arrays (P = sum of factor arities).

        Pair ``p`` joins variable ``var[p]`` and factor ``fac[p]``, where the variable sits at
        position ``pos[p]`` of the factor's scope. Pairs are listed factor by factor, in scope
        order. In :meth:`to_graph`, directed edge ``2p`` is variable -> factor and ``2p + 1`` is
        factor -> variable.

        Shapes:
            var, fac, pos: ``[P]`` int64.
        """
        var = [i for f in self.factors for i in f.scope]
        fac = [k for k, f in enumerate(self.factors) for _ in f.scope]
        pos = [j for f in self.factors for j in range(len(f.scope))]
        return (np.asarray(var, dtype=np.int64), np.asarray(fac, dtype=np.int64),
                np.asarray(pos, dtype=np.int64))

    def to_graph(self) -> Graph:
        """The bipartite factor graph as an undirected :class:`Graph`.

        Nodes ``0 .. V-1`` are the variables (role ``"variable"``, label = name), nodes
        ``V .. V+F-1`` the factors (role ``"factor"``, label such as ``"P(B|A)"``). Edge ``2p``
        goes variable -> factor and ``2p + 1`` factor -> variable for pair ``p`` of
        :meth:`edge_pairs`. A grid model (``meta["grid"]``) gets positions: variables on the
        grid, each factor at the mean of its variables (unary factors slightly offset).
        """
        var, fac, _ = self.edge_pairs()
        v = self.n_vars
        pairs = np.stack([var, fac + v], 1) if var.size else np.zeros((0, 2), dtype=np.int64)
        labels = tuple(self.names) + tuple(f.label for f in self.factors)
        roles = ("variable",) * v + ("factor",) * self.n_factors
        pos = None
        if "grid" in self.meta:
            vpos = self._grid_pos()
            cnt = np.maximum(np.bincount(fac, minlength=self.n_factors), 1)[:, None]
            fpos = np.stack([np.bincount(fac, weights=vpos[var, d], minlength=self.n_factors)
                             for d in (0, 1)], 1) / cnt
            fpos = fpos + np.where(cnt == 1, 0.3, 0.0)
            pos = np.vstack([vpos, fpos])
        return Graph.from_edges(v + self.n_factors, pairs, labels=labels, roles=roles, pos=pos,
                                name=self.name, meta={"factor_graph": True, "n_variables": v})

    def _grid_pos(self) -> np.ndarray:
        rows, cols = self.meta["grid"]
        r, c = np.divmod(np.arange(self.n_vars), cols)
        return np.stack([c, rows - 1 - r], 1).astype(np.float64)

    def variable_graph(self) -> Graph:
        """Variables only; ``i - j`` when some factor contains both (the interaction graph).

        For a pairwise model this is its Markov random field; for a Bayesian network it is the
        moral graph. Edge order: pairs sorted by ``(i, j)``, both directions stored.
        """
        pairs = set()
        for f in self.factors:
            for a in range(f.arity):
                for b in range(a + 1, f.arity):
                    i, j = sorted((f.scope[a], f.scope[b]))
                    pairs.add((i, j))
        pos = self._grid_pos() if "grid" in self.meta else None
        return Graph.from_edges(self.n_vars, sorted(pairs), labels=self.names,
                                roles=("variable",) * self.n_vars, pos=pos, name=self.name)

    def is_pairwise(self) -> bool:
        """True when every factor has at most two variables."""
        return all(f.arity <= 2 for f in self.factors)

    def is_forest(self) -> bool:
        """True when the bipartite factor graph has no cycle (so BP is exact on it)."""
        var, fac, _ = self.edge_pairs()
        parent = list(range(self.n_vars + self.n_factors))

        def find(a: int) -> int:
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        for i, k in zip(var.tolist(), fac.tolist()):
            a, b = find(i), find(self.n_vars + k)
            if a == b:
                return False
            parent[a] = b
        return True

    def summary(self) -> dict[str, Any]:
        """Sizes as plain data (for the CLI and the pages)."""
        return {"name": self.name, "kind": self.kind, "variables": self.n_vars,
                "factors": self.n_factors, "max_card": max(self.cards, default=0),
                "max_arity": max((f.arity for f in self.factors), default=0),
                "pairwise": self.is_pairwise(), "tree": self.is_forest()}


def state_index(fg: FactorGraph, var: int, state: str) -> int:
    """The index of ``state`` among ``fg.states[var]`` (:class:`ModelError` lists the valid ones)."""
    try:
        return fg.states[var].index(state)
    except ValueError:
        raise ModelError(f"variable {fg.names[var]!r} has no state {state!r}; expected one of "
                         f"{list(fg.states[var])}") from None


def check_scope_names(names: Sequence[str], known: Sequence[str]) -> None:
    """Raise :class:`ModelError` when a name in ``names`` is not in ``known``."""
    for n in names:
        if n not in known:
            raise ModelError(f"unknown variable {n!r}; expected one of {list(known)}")
