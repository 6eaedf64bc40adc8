"""Variable elimination, recorded step by step as a :class:`~explorer.trace.Trace`.

Eliminating variable X is one round of message passing: the factors that mention X are
multiplied (*aggregate*), X is summed out (max-ed out for MAP) and the result, a new factor
``tau`` over X's remaining neighbours, is the *message* X sends to them. The essay's chain
``X1 -> ... -> X5`` is the simplest case (see :mod:`explorer.pgm.chain`).

Cost: eliminating X touches a table over X and its current neighbours, so the work is
``sum_X prod(cards of X's neighbourhood)``; the min-fill order keeps neighbourhoods small.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from explorer.errors import ModelError, TooLargeError
from explorer.graph import Graph
from explorer.pgm.evidence import check_evidence, evidence_names
from explorer.pgm.exact import map_dict, marginals_dict, zero_probability_error
from explorer.pgm.factor_graph import FactorGraph
from explorer.trace import Step, Trace

__all__ = ["variable_elimination", "min_fill_order", "exact_inference", "MAX_TABLE_ENTRIES"]

#: variable elimination refuses to build an intermediate table with more entries than this
MAX_TABLE_ENTRIES = 1 << 24

_Pool = list  # of (scope tuple, table ndarray, label str)


def _reduce(fg: FactorGraph, evidence: Mapping[int, int]) -> _Pool:
    """The factors with observed variables sliced out (so they are never eliminated)."""
    pool = []
    for f in fg.factors:
        idx = tuple(evidence.get(i, slice(None)) for i in f.scope)
        scope = tuple(i for i in f.scope if i not in evidence)
        pool.append((scope, np.asarray(f.table[idx] if f.arity else f.table, dtype=float), f.label))
    return pool


def _neighbours(pool: _Pool, keep: set[int]) -> dict[int, set[int]]:
    adj: dict[int, set[int]] = {i: set() for i in keep}
    for scope, _, _ in pool:
        for a in scope:
            adj[a].update(b for b in scope if b != a)
    return adj


def min_fill_order(fg: FactorGraph, *, evidence: Mapping[int, int] | None = None,
                   keep: Sequence[int] = ()) -> list[int]:
    """A greedy min-fill elimination order (ties: fewest neighbours, then lowest index).

    Args:
        fg: the model.
        evidence: observed variables are not eliminated.
        keep: variables to keep (the query), also not eliminated.

    Returns:
        The variable indices in elimination order.
    """
    evidence = dict(evidence or {})
    todo = {i for i in range(fg.n_vars) if i not in evidence and i not in keep}
    adj = _neighbours(_reduce(fg, evidence), set(range(fg.n_vars)) - set(evidence))
    order = []
    while todo:
        def cost(x: int) -> tuple[int, int, int]:
            nb = list(adj[x])
            fill = sum(1 for a in range(len(nb)) for b in range(a + 1, len(nb))
                       if nb[b] not in adj[nb[a]])
            return fill, len(nb), x
        x = min(todo, key=cost)
        nb = adj.pop(x)
        for a in nb:
            adj[a].discard(x)
            adj[a].update(nb - {a})
        todo.discard(x)
        order.append(x)
    return order


def _check_order(fg: FactorGraph, order, evidence, keep) -> list[int]:
    want = {i for i in range(fg.n_vars) if i not in evidence and i not in keep}
    out = []
    for v in order:
        i = fg.index(v) if isinstance(v, str) else int(v)
        if i in evidence or i in keep:
            continue
        if not 0 <= i < fg.n_vars or i in out:
            raise ModelError(f"elimination order entry {v!r} is unknown or repeated; give each of "
                             f"{[fg.names[j] for j in sorted(want)]} once")
        out.append(i)
    if set(out) != want:
        raise ModelError(f"the elimination order misses {[fg.names[j] for j in sorted(want - set(out))]}; "
                         "give every unobserved variable once")
    return out


def _plan(fg: FactorGraph, pool: _Pool, order: list[int], evidence) -> tuple[list, float]:
    """Fill edges created by ``order`` and the largest table it builds (checked against the limit)."""
    adj = _neighbours(pool, set(range(fg.n_vars)) - set(evidence))
    fills, biggest = [], 1.0
    for x in order:
        nb = adj.pop(x)
        size = float(fg.cards[x]) * float(np.prod([float(fg.cards[a]) for a in nb]))
        if size > MAX_TABLE_ENTRIES:
            raise TooLargeError(
                f"exact inference would build a table of about {size:.3g} entries (eliminating "
                f"{fg.names[x]!r} with {len(nb)} neighbours); the limit is {MAX_TABLE_ENTRIES:,} "
                "entries. Use belief propagation (`bp`) for this model", size=size,
                limit=MAX_TABLE_ENTRIES)
        biggest = max(biggest, size)
        for a in nb:
            adj[a].discard(x)
            fills += [(min(a, b), max(a, b)) for b in nb if b > a and b not in adj[a]]
            adj[a].update(nb - {a})
    return fills, biggest


def _combine(fg: FactorGraph, parts: _Pool) -> tuple[tuple[int, ...], np.ndarray]:
    """Multiply factors onto the union of their scopes (scope order: first appearance)."""
    union: list[int] = []
    for scope, _, _ in parts:
        union += [i for i in scope if i not in union]
    out = np.ones([fg.cards[i] for i in union])
    for scope, table, _ in parts:
        order = sorted(range(len(scope)), key=lambda a: union.index(scope[a]))
        t = np.transpose(table, order) if scope else table
        shape = [fg.cards[i] if i in scope else 1 for i in union]
        out = out * t.reshape(shape)
    return tuple(union), out


def _eliminate(fg: FactorGraph, pool: _Pool, order: list[int], mode: str, record: bool):
    """Run the eliminations; return (remaining pool, log scale, records, argmax tables, ops)."""
    pool = list(pool)
    log_scale, records, argmaxes = 0.0, [], []
    ops = {"multiplications": 0, "additions" if mode == "sum" else "comparisons": 0}
    red = "additions" if mode == "sum" else "comparisons"
    for x in order:
        parts = [f for f in pool if x in f[0]]
        pool = [f for f in pool if x not in f[0]]
        if parts:
            scope, psi = _combine(fg, parts)
        else:
            scope, psi = (x,), np.ones(fg.cards[x])
        ax = scope.index(x)
        mult = (len(parts) - 1) * psi.size if len(parts) > 1 else 0
        reduce_ = psi.size - psi.size // fg.cards[x]
        ops["multiplications"] += mult
        ops[red] += reduce_
        tau = psi.sum(ax) if mode == "sum" else psi.max(ax)
        rest = scope[:ax] + scope[ax + 1:]
        if mode == "max":
            argmaxes.append((x, rest, np.argmax(psi, axis=ax)))
        top = float(tau.max()) if tau.size else 0.0
        if top > 0 and not 1e-200 < top < 1e200:   # keep numbers in range; remember the scale
            tau = tau / top
            log_scale += np.log(top)
        label = f"tau_{fg.names[x]}({','.join(fg.names[i] for i in rest)})"
        pool.append((rest, tau, label))
        if record:
            records.append({"x": x, "parts": parts, "scope": scope, "rest": rest, "tau": tau,
                            "label": label, "ops": {"multiplications": mult, red: reduce_}})
    return pool, log_scale, records, argmaxes, ops


def _final(fg: FactorGraph, pool: _Pool, keep: Sequence[int]) -> np.ndarray:
    """Product of what is left, as a table over ``keep`` (a scalar array when keep is empty)."""
    if not pool:
        return np.ones([fg.cards[i] for i in keep])
    scope, table = _combine(fg, pool)
    scope_l = list(scope)
    missing = [i for i in keep if i not in scope_l]
    for i in missing:
        table = np.multiply.outer(table, np.ones(fg.cards[i]))
        scope_l.append(i)
    return np.transpose(table, [scope_l.index(i) for i in keep]) if keep else table


def _trace_graph(fg: FactorGraph, pool: _Pool, fills: list) -> tuple[Graph, dict]:
    pairs = set()
    for scope, _, _ in pool:
        pairs.update((min(a, b), max(a, b)) for a in scope for b in scope if a < b)
    moral = sorted(pairs)
    fill = sorted(set(fills) - pairs)
    g = Graph.from_edges(fg.n_vars, moral + fill, labels=fg.names, roles=("variable",) * fg.n_vars,
                         name=fg.name, meta={"fill_edges": [list(p) for p in fill],
                                             "n_moral_edges": len(moral)})
    eid = {}
    for k, (a, b) in enumerate(moral + fill):
        eid[(a, b)], eid[(b, a)] = 2 * k, 2 * k + 1
    return g, eid


def variable_elimination(fg: FactorGraph, *, evidence: Mapping[int, int] | None = None,
                         order: Sequence[int | str] | None = None, mode: str = "sum",
                         query: int | str | Sequence[int | str] | None = None) -> Trace:
    """Eliminate variables one at a time, recording each elimination as a Trace step.

    Trace graph: the **variable graph with fill-in edges** (variables joined when they share a
    factor after the evidence is sliced out, plus the edges elimination creates; their pairs are
    in ``graph.meta["fill_edges"]``). Eliminating X sends one message along each edge ``X -> j``
    for j in the new factor's scope, so every message has an edge to travel on.

    Step ``k`` (eliminating X): ``edges`` are the ``X -> j`` edges; ``messages`` holds, per edge,
    the new factor's table flattened in C order over its scope (a 1-D vector over j's states when
    the scope is just ``(j,)``, as on a chain); ``aggregates``/``states`` are ``None``; ``extras``
    has ``variable``, ``factors_combined`` (labels), ``combined_scope``, ``new_factor``
    (``label``, ``scope`` names, ``table``), ``ops`` and ``table_size``.

    Args:
        fg: the model.
        evidence: ``{variable index: state index}``; observed variables are sliced out.
        order: the elimination order (indices or names); default :func:`min_fill_order`.
        mode: ``"sum"`` (marginals, log Z) or ``"max"`` (MAP by max-product with traceback).
        query: variables to keep; the recorded run then eliminates only the others and
            ``result["query"]`` holds their normalised joint table.

    Returns:
        A Trace of kind ``"variable-elimination"`` whose ``result`` has ``marginals``
        ``{VAR: {STATE: p}}`` (max-marginals in max mode; non-evidence variables), ``map``
        (max mode, else ``None``), ``log_z`` (sum mode: log of the evidence-consistent mass;
        max mode: log of the largest unnormalised probability), ``ops`` (of the recorded run),
        ``order`` (names), ``max_table`` and ``evidence``.

    Raises:
        TooLargeError: an intermediate table would pass :data:`MAX_TABLE_ENTRIES`.
        EvidenceError: the evidence has probability 0.
        ModelError: a bad order, query or mode.
    """
    if mode not in ("sum", "max"):
        raise ModelError(f"mode must be 'sum' or 'max' (got {mode!r})")
    evidence = check_evidence(fg, evidence)
    if query is None:
        keep: list[int] = []
    else:
        qs = [query] if isinstance(query, (int, str, np.integer)) else list(query)
        keep = [fg.index(q) if isinstance(q, str) else int(q) for q in qs]
    pool = _reduce(fg, evidence)
    order_l = (min_fill_order(fg, evidence=evidence, keep=keep) if order is None
               else _check_order(fg, order, evidence, keep))
    fills, biggest = _plan(fg, pool, order_l, evidence)
    graph, eid = _trace_graph(fg, pool, fills)
    rest_pool, log_scale, recs, argmaxes, ops = _eliminate(fg, pool, order_l, mode, True)
    steps = [_step(fg, r, eid) for r in recs]
    final = _final(fg, rest_pool, keep)
    total = float(final.sum() if mode == "sum" else final.max()) if final.size else 0.0
    if not total > 0:
        raise zero_probability_error(fg, evidence)
    result: dict = {"ops": ops, "order": [fg.names[i] for i in order_l], "max_table": biggest,
                    "evidence": evidence_names(fg, evidence), "map": None}
    result["log_z"] = float(np.log(total) + log_scale)
    if keep:
        result["query"] = {"variables": [fg.names[i] for i in keep], "table": final / total}
    beliefs = _all_marginals(fg, pool, evidence, mode) if not keep else None
    if beliefs is not None:
        result["marginals"] = marginals_dict(fg, beliefs, evidence)
    elif len(keep) == 1:
        result["marginals"] = {fg.names[keep[0]]: dict(zip(fg.states[keep[0]], map(float, final / total)))}
    if mode == "max" and not keep:
        assign = _traceback(fg, argmaxes, evidence)
        result["map"] = map_dict(fg, assign, evidence)
        result["map_index"] = assign
    params = {"mode": mode, "order": [fg.names[i] for i in order_l], "seed": None,
              "evidence": evidence_names(fg, evidence),
              "query": [fg.names[i] for i in keep] if keep else None}
    return Trace(kind="variable-elimination", graph=graph, params=params, steps=tuple(steps),
                 result=result)


def _step(fg: FactorGraph, r: dict, eid: dict) -> Step:
    x, rest = r["x"], r["rest"]
    edges = [eid[(x, j)] for j in rest]
    flat = np.asarray(r["tau"], dtype=float).reshape(-1)
    names = [fg.names[i] for i in rest]
    red = "additions" if "additions" in r["ops"] else "comparisons"
    op = "sum" if red == "additions" else "max"
    note = (f"Eliminate {fg.names[x]}: multiply {len(r['parts'])} factor(s) over "
            f"{{{', '.join(fg.names[i] for i in r['scope'])}}} and {op} out {fg.names[x]} -> "
            f"{r['label']} ({r['ops']['multiplications']} multiplications, {r['ops'][red]} {red})")
    extras = {"variable": fg.names[x], "factors_combined": [p[2] for p in r["parts"]],
              "combined_scope": [fg.names[i] for i in r["scope"]],
              "new_factor": {"label": r["label"], "scope": names, "table": np.asarray(r["tau"])},
              "ops": r["ops"], "table_size": int(np.prod([fg.cards[i] for i in r["scope"]]))}
    return Step(edges=np.asarray(edges, dtype=np.int64), messages=[flat.copy() for _ in edges],
                aggregates=None, states=None, extras=extras, note=note,
                label=f"eliminate {fg.names[x]}")


def _all_marginals(fg: FactorGraph, pool: _Pool, evidence, mode: str) -> list[np.ndarray]:
    beliefs = []
    for i in range(fg.n_vars):
        if i in evidence:
            b = np.zeros(fg.cards[i])
            b[evidence[i]] = 1.0
        else:
            order = min_fill_order(fg, evidence=evidence, keep=[i])
            rest, _, _, _, _ = _eliminate(fg, pool, order, mode, False)
            t = _final(fg, rest, [i])
            b = t / t.sum()
        beliefs.append(b)
    return beliefs


def _traceback(fg: FactorGraph, argmaxes: list, evidence) -> list[int]:
    assign = [0] * fg.n_vars
    for i, s in evidence.items():
        assign[i] = s
    for x, rest, table in reversed(argmaxes):
        assign[x] = int(table[tuple(assign[i] for i in rest)]) if rest else int(table)
    return assign


def exact_inference(fg: FactorGraph, *, evidence: Mapping[int, int] | None = None) -> dict:
    """Marginals and log Z (one sum-product VE per variable) and the MAP (max-product VE).

    The per-variable baseline: the library's ``exact_inference`` (and the ``exact`` command) is
    :func:`explorer.pgm.junction.exact_inference`, which gets the same answers from one
    clique-tree calibration; ``bench exact`` times both.

    Returns:
        ``{"marginals", "map", "log_z", "iterations": None, "converged": None}`` as in the
        ``exact`` command's JSON.
    """
    s = variable_elimination(fg, evidence=evidence, mode="sum")
    m = variable_elimination(fg, evidence=evidence, mode="max")
    return {"marginals": s.result["marginals"], "map": m.result["map"],
            "log_z": s.result["log_z"], "iterations": None, "converged": None}
