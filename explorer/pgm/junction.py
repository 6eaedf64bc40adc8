"""Exact inference on a clique tree (junction tree): every marginal, log Z and the MAP from one
calibration.

Variable elimination answers one query per run; asking it for every marginal repeats almost all
of the work. The clique tree stores that work so it can be *reused* — the lesson of the chain
(:mod:`explorer.pgm.chain`) applied to any model:

1. **Order and tree** (:mod:`explorer.pgm.cliques`). A greedy min-fill elimination order
   gives a tree of maximal cliques with the running-intersection property, and the table sizes
   before any table exists: a model too large is refused there (:func:`clique_tree`).
2. **Calibration.** Each factor is multiplied into one clique that holds its scope. One
   *collect* pass (leaves to root) and one *distribute* pass (root to leaves) follow the
   message-passing protocol — a clique sends to a neighbour once it has heard from all its
   other neighbours — so there are exactly ``2 (cliques - 1)`` messages. Messages are Hugin
   updates: the sender's belief summed (max-ed, in MAP mode) onto the separator, divided by the
   separator's previous potential (``0 / 0 = 0``). Afterwards each clique holds its marginal.

Numbers. Sum mode works in the linear domain with every factor and message scaled to a maximum
of 1 and the logs of the scales summed (so log Z may be anywhere in ±1e5). Entries of a scaled
message below 1e-300 are set to 0 (they weigh less than 1e-90 of any sum they enter). Should a
scale ever fall below :data:`TINY` — the factors disagree so strongly that a product could
underflow — the calibration is redone with log tables (log-sum-exp), which cannot underflow.
Max mode always works with log tables (additions and maxima only). Zeros in tables are legal;
evidence enters as factors sliced at the observed states; a cardinality-1 variable is sliced at
its one state the same way.

Use :func:`calibrate` for a recorded :class:`~explorer.trace.Trace` and :func:`exact_inference`
for the ``exact`` command's dict.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np

from explorer.errors import ModelError
from explorer.graph import Graph
from explorer.pgm.cliques import (MAX_CLIQUE_ENTRIES, MAX_TOTAL_ENTRIES, MIN_FILL_MAX_VARS,
                                  CliqueTree, clique_tree)
from explorer.pgm.evidence import check_evidence, evidence_names
from explorer.pgm.exact import map_dict, marginals_dict, zero_probability_error
from explorer.pgm.factor_graph import FactorGraph
from explorer.trace import Step, Trace

__all__ = ["CliqueTree", "clique_tree", "calibrate", "exact_inference", "MAX_CLIQUE_ENTRIES",
           "MAX_TOTAL_ENTRIES", "TINY", "MIN_FILL_MAX_VARS"]

#: a linear-domain scale below this sends the calibration to log tables
TINY = 1e-200
_FLUSH = 1e-300


class _Underflow(Exception):
    """A linear-domain scale fell below :data:`TINY`; redo the calibration with log tables."""


def _reduced(fg: FactorGraph, fixed: Mapping[int, int]) -> tuple[list, float]:
    """Factors sliced at the fixed variables, as ``(sorted scope, table)``; plus the log of the
    constant factors that slicing leaves (``-inf`` when one of them is 0)."""
    out, log_const = [], 0.0
    for f in fg.factors:
        t = f.table[tuple(fixed.get(i, slice(None)) for i in f.scope)] if f.arity else f.table
        scope = [i for i in f.scope if i not in fixed]
        if not scope:
            v = float(t)
            log_const += math.log(v) if v > 0 else -math.inf
            continue
        perm = sorted(range(len(scope)), key=scope.__getitem__)
        out.append((tuple(scope[a] for a in perm), np.transpose(t, perm)))
    return out, log_const


def _lse(t: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """``log(sum(exp(t)))`` over ``axes`` (``-inf`` rows stay ``-inf``, never NaN)."""
    m = t.max(axis=axes, keepdims=True)
    m[~np.isfinite(m)] = 0.0
    with np.errstate(divide="ignore"):
        return np.squeeze(np.log(np.exp(t - m).sum(axis=axes, keepdims=True)) + m, axis=axes)


class _Calibration:
    """One collect and one distribute pass of Hugin messages in one of three domains:
    ``"linear"`` (sum-product, products and sums), ``"log"`` (sum-product, sums and
    log-sum-exp) or ``"max"`` (max-product on log tables, sums and maxima)."""

    def __init__(self, fg: FactorGraph, tree: CliqueTree, factors: list, domain: str):
        self.fg, self.tree, self.domain = fg, tree, domain
        self.log_scale = 0.0
        self.records: list[dict] = []
        cards = fg.cards
        self.shape = {c: [cards[v] for v in vs] for c, vs in enumerate(tree.cliques)}
        assigned: list[list] = [[] for _ in tree.cliques]
        pos = {x: k for k, x in enumerate(tree.order)}
        for scope, t in factors:
            first = min(scope, key=pos.__getitem__) if len(scope) > 1 else scope[0]
            assigned[tree.home[first]].append((scope, t))
        self.beliefs = [self._potential(c, assigned[c]) for c in range(len(tree.cliques))]

    def _expand(self, c: int, scope: tuple[int, ...]) -> list[int]:
        s = set(scope)
        return [self.fg.cards[v] if v in s else 1 for v in self.tree.cliques[c]]

    def _potential(self, c: int, parts: list) -> np.ndarray:
        if self.domain == "linear":
            psi = np.ones(self.shape[c])
            for scope, t in parts:
                top = float(t.max())
                if not top > 0:
                    raise _ZeroMass
                psi *= (t / top).reshape(self._expand(c, scope))
                self.log_scale += math.log(top)
            return psi
        psi = np.zeros(self.shape[c])
        with np.errstate(divide="ignore"):
            for scope, t in parts:
                psi += np.log(t).reshape(self._expand(c, scope))
        return psi

    def _marg(self, t: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
        if self.domain == "linear":
            out = t.sum(axis=axes)
        elif self.domain == "max":
            out = t.max(axis=axes)
        else:
            out = _lse(t, axes)
        return np.asarray(out, dtype=float)

    def _scale(self, m: np.ndarray) -> float:
        """Scale ``m`` in place to a maximum of 1 (0 in logs); return the log of the scale."""
        top = float(m.max()) if m.size else 0.0
        if self.domain == "linear":
            if not top > 0:
                raise _ZeroMass
            if top < TINY:
                raise _Underflow
            m /= top
            m[m < _FLUSH] = 0.0
            return math.log(top)
        if top == -math.inf:
            raise _ZeroMass
        m -= top
        return top

    def _axes(self, c: int, sep: tuple[int, ...]) -> tuple[int, ...]:
        s = set(sep)
        return tuple(k for k, v in enumerate(self.tree.cliques[c]) if v not in s)

    def run(self, record: bool) -> None:
        tree, b = self.tree, self.beliefs
        self.seps = []
        for k, ((c, p), sep) in enumerate(zip(tree.edges, tree.separators)):      # collect
            m = self._marg(b[c], self._axes(c, sep))
            scale = self._scale(m)
            self.log_scale += scale
            self.seps.append(m)
            r = m.reshape(self._expand(p, sep))
            if self.domain == "linear":
                b[p] *= r
            else:
                b[p] += r
            if record:
                self.records.append({"edge": k, "pass": "collect", "sender": c, "receiver": p,
                                     "table": m.copy(), "log_scale": scale,
                                     "domain": self.domain})
        if tree.root >= 0:
            total = self._marg(b[tree.root], tuple(range(b[tree.root].ndim)))
            total = np.asarray(total, dtype=float).reshape(-1)
            if self.domain == "linear":
                if not total[0] > 0:
                    raise _ZeroMass
                self.log_scale += math.log(float(total[0]))
            else:
                if total[0] == -math.inf:
                    raise _ZeroMass
                self.log_scale += float(total[0])
        for k in reversed(range(len(tree.edges))):                              # distribute
            (c, p), sep = tree.edges[k], tree.separators[k]
            new = self._marg(b[p], self._axes(p, sep))
            scale = self._scale(new)
            old = self.seps[k]
            if self.domain == "linear":
                ratio = np.divide(new, old, out=np.zeros_like(new), where=old > 0)
                b[c] *= ratio.reshape(self._expand(c, sep))
            else:
                ratio = np.where(old == -math.inf, -math.inf, new - np.where(old == -math.inf, 0.0, old))
                b[c] += ratio.reshape(self._expand(c, sep))
            self.seps[k] = new
            if record:
                self.records.append({"edge": k, "pass": "distribute", "sender": p, "receiver": c,
                                     "table": new.copy(), "log_scale": scale,
                                     "domain": self.domain})

    def variable_table(self, v: int, clique: int) -> np.ndarray:
        """The calibrated (unnormalised, domain-valued) table of variable ``v`` from ``clique``."""
        vs = self.tree.cliques[clique]
        return self._marg(self.beliefs[clique], tuple(k for k, u in enumerate(vs) if u != v))


class _ZeroMass(Exception):
    """The model (with its evidence) gives every assignment probability 0."""


def _probabilities(t: np.ndarray, domain: str) -> np.ndarray:
    """A table in ``domain`` values as probabilities summing to 1."""
    if domain == "linear":
        return t / t.sum()
    with np.errstate(invalid="ignore"):
        p = np.exp(t - t.max())
    return p / p.sum()


def _run(fg: FactorGraph, tree: CliqueTree, mode: str, record: bool,
         evidence: Mapping[int, int]) -> _Calibration:
    """Calibrate in the linear domain, or in logs if it underflows or finds no mass (sum); in
    logs (max). Only log tables declare the probability of everything 0."""
    factors, log_const = _reduced(fg, tree.fixed)
    if log_const == -math.inf:
        raise zero_probability_error(fg, evidence)
    domains = ("max",) if mode == "max" else ("linear", "log")
    for domain in domains:
        try:
            cal = _Calibration(fg, tree, factors, domain)
            cal.run(record)
        except (_Underflow, _ZeroMass):
            if domain == "linear":          # a linear zero may be an underflow: logs decide
                continue
            raise zero_probability_error(fg, evidence) from None
        cal.log_scale += log_const
        return cal
    raise AssertionError("unreachable: the log domain never underflows")  # pragma: no cover


def _decode(cal: _Calibration) -> list[int]:
    """A MAP assignment from calibrated max-marginals: the root's first maximum (C order), then
    each clique, parents first, maximised with its separator fixed to the decoded values. On a
    calibrated tree every such choice extends to a global maximum, ties included."""
    tree, fg = cal.tree, cal.fg
    assign = [0] * fg.n_vars
    for i, s in tree.fixed.items():
        assign[i] = s
    if tree.root < 0:
        return assign
    order = [tree.root] + [c for c, _ in reversed(tree.edges)]
    done = set()
    for c in order:
        vs = tree.cliques[c]
        t = cal.beliefs[c][tuple(assign[v] if v in done else slice(None) for v in vs)]
        free = [v for v in vs if v not in done]
        if free:
            for v, s in zip(free, np.unravel_index(int(np.argmax(t)), t.shape)):
                assign[v] = int(s)
            done.update(free)
    return assign


def _home(tree: CliqueTree) -> dict[int, int]:
    """The smallest clique holding each variable (where its marginal is read)."""
    home: dict[int, int] = {}
    for c in sorted(range(len(tree.cliques)), key=lambda c: (tree.sizes[c], c)):
        for v in tree.cliques[c]:
            home.setdefault(v, c)
    return home


def calibrate(fg: FactorGraph, *, evidence: Mapping[int, int] | None = None, mode: str = "sum",
              record: bool = False, tree: CliqueTree | None = None) -> Trace:
    """Calibrate the clique tree once: every marginal (or max-marginal), log Z and, in max mode,
    the MAP. See the module docstring for the algorithm.

    Trace graph: one node per clique (label ``"{A,B,C}"``, role ``"clique"``), one undirected
    edge per separator (edge ``2k`` is child -> parent of ``tree.edges[k]``, ``2k + 1`` the way
    back); ``graph.meta`` holds ``separators`` (variable names per edge), ``root``, ``order``
    and ``treewidth``. With ``record=True`` there is one step per message (collect first, then
    distribute): ``messages[0]`` is the separator potential after the message, normalised to
    sum 1 and flattened in C order over the separator (sorted by variable index); ``extras``
    has ``pass``, ``sender``/``receiver`` (clique labels), ``separator`` (names), ``table``
    (the same values, shaped) and ``log_scale``. ``aggregates`` and ``states`` are ``None``.

    Args:
        fg: the model.
        evidence: ``{variable index: state index}``; observed variables are sliced out.
        mode: ``"sum"`` (marginals, log Z) or ``"max"`` (max-marginals, the MAP).
        record: record one step per message (else the Trace has no steps).
        tree: a :func:`clique_tree` built for the same model and evidence, to skip rebuilding.

    Returns:
        A Trace of kind ``"clique-tree"``; ``result`` has ``marginals`` ``{VAR: {STATE: p}}``
        (max-marginals scaled to sum 1 in max mode; every non-evidence variable), ``log_z``
        (sum mode: log of the evidence-consistent mass; max mode: ``None``), ``map``,
        ``map_index``, ``map_ties`` (variables whose max-marginal has several maximisers, decoded
        consistently with the rest) and ``log_max`` (log of the MAP's unnormalised probability)
        in max mode, ``domain`` (``"linear"`` or ``"log"`` tables), ``n_messages``,
        ``treewidth``, ``max_clique_entries``, ``order`` and ``evidence``.

    Raises:
        TooLargeError: a clique table past the limits (see :func:`clique_tree`).
        EvidenceError: the evidence has probability 0 (ModelError: the model has none at all).
        ModelError: a bad mode.
    """
    if mode not in ("sum", "max"):
        raise ModelError(f"mode must be 'sum' or 'max' (got {mode!r})")
    evidence = check_evidence(fg, evidence)
    tree = tree if tree is not None else clique_tree(fg, evidence=evidence)
    cal = _run(fg, tree, mode, record, evidence)
    home = _home(tree)
    beliefs = []
    for i in range(fg.n_vars):
        if i in tree.fixed:
            b = np.zeros(fg.cards[i])
            b[tree.fixed[i]] = 1.0
        else:
            b = _probabilities(cal.variable_table(i, home[i]), cal.domain)
        beliefs.append(b)
    result: dict = {"marginals": marginals_dict(fg, beliefs, evidence), "map": None,
                    "log_z": float(cal.log_scale) if mode == "sum" else None,
                    "domain": "log" if cal.domain != "linear" else "linear",
                    "n_messages": 2 * len(tree.edges), "treewidth": tree.treewidth,
                    "max_clique_entries": tree.max_entries,
                    "order": [fg.names[i] for i in tree.order],
                    "evidence": evidence_names(fg, evidence)}
    if mode == "max":
        assign = _decode(cal)
        result.update(map=map_dict(fg, assign, evidence), map_index=assign,
                      log_max=float(cal.log_scale),
                      map_ties=[fg.names[i] for i in range(fg.n_vars) if i not in evidence
                                and int((beliefs[i] >= beliefs[i].max() * (1 - 1e-12)).sum()) > 1])
    graph = _graph(fg, tree)
    steps = tuple(_step(fg, tree, r) for r in cal.records)
    params = {"mode": mode, "seed": None, "evidence": evidence_names(fg, evidence),
              "order": [fg.names[i] for i in tree.order]}
    return Trace(kind="clique-tree", graph=graph, params=params, steps=steps, result=result)


def _label(fg: FactorGraph, vs: Sequence[int]) -> str:
    return "{" + ",".join(fg.names[v] for v in vs) + "}"


def _graph(fg: FactorGraph, tree: CliqueTree) -> Graph:
    n = len(tree.cliques)
    return Graph.from_edges(n, list(tree.edges), labels=tuple(_label(fg, c) for c in tree.cliques),
                            roles=("clique",) * n, name=fg.name,
                            meta={"separators": [[fg.names[v] for v in s] for s in tree.separators],
                                  "root": tree.root, "order": [fg.names[i] for i in tree.order],
                                  "treewidth": tree.treewidth})


def _step(fg: FactorGraph, tree: CliqueTree, r: dict) -> Step:
    k, c, p = r["edge"], r["sender"], r["receiver"]
    sep = tree.separators[k]
    t = np.asarray(r["table"], dtype=float)
    shown = _probabilities(t, r["domain"])
    gone = [v for v in tree.cliques[c] if v not in sep]
    verb = "maximises" if r["domain"] == "max" else "sums"
    note = (f"{r['pass'].capitalize()}: clique {_label(fg, tree.cliques[c])} has heard from its other "
            f"neighbours; it {verb} out {_label(fg, gone)} and sends a potential over "
            f"{_label(fg, sep)} ({t.size} entries) to {_label(fg, tree.cliques[p])}")
    extras = {"pass": r["pass"], "sender": _label(fg, tree.cliques[c]),
              "receiver": _label(fg, tree.cliques[p]), "separator": [fg.names[v] for v in sep],
              "table": shown, "log_scale": float(r["log_scale"])}
    return Step(edges=np.array([2 * k if r["pass"] == "collect" else 2 * k + 1]),
                messages=[shown.reshape(-1)], aggregates=None, states=None, extras=extras,
                note=note, label=f"{r['pass']} {k + 1}")


def exact_inference(fg: FactorGraph, *, evidence: Mapping[int, int] | None = None) -> dict:
    """Marginals and log Z (sum calibration) and the MAP (max calibration) on one clique tree.

    Returns:
        ``{"marginals", "map", "log_z", "iterations": None, "converged": None}`` as in the
        ``exact`` command's JSON, plus ``max_marginals`` (``{VAR: {STATE: p}}``, scaled to sum
        1), ``map_ties``, ``log_max`` and ``treewidth``.
    """
    evidence = check_evidence(fg, evidence)
    tree = clique_tree(fg, evidence=evidence)
    s = calibrate(fg, evidence=evidence, mode="sum", tree=tree).result
    m = calibrate(fg, evidence=evidence, mode="max", tree=tree).result
    return {"marginals": s["marginals"], "map": m["map"], "log_z": s["log_z"],
            "iterations": None, "converged": None, "max_marginals": m["marginals"],
            "map_ties": m["map_ties"], "log_max": m["log_max"], "treewidth": tree.treewidth}
