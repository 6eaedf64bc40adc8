"""The essay's chain ``X1 -> X2 -> ... -> Xn``: variable elimination as message passing.

Computing ``P(X5)`` by pushing the sums inside,

    P(X5) = sum_X4 P(X5|X4) sum_X3 P(X4|X3) sum_X2 P(X3|X2) sum_X1 P(X1) P(X2|X1),

eliminates X1, X2, X3, X4 in turn; each elimination is a message ``X_t -> X_{t+1}`` that is
exactly ``P(X_{t+1})``. :func:`chain_demo` counts the work both ways: the ``n - 1`` eliminations
of about ``k^2`` operations each by doing them, and the naive sum over all ``k^n`` joint
assignments analytically (:func:`naive_cost`: ``k^n`` terms of ``n - 1`` multiplications, added
into ``k`` sums), so the count is exact for any ``n`` and ``k``; the enumeration itself is run
as a check only up to :data:`NAIVE_MAX_TERMS` terms. It then tells the reuse story: one forward
and one backward pass give every marginal with ``2(n-1)`` messages, where answering each query
by its own elimination sends ``n(n-1)``. The backward pass is recorded in the trace after the
forward one (:func:`two_pass_trace`), so the reuse is seen message by message, and
:func:`cost_series` gives ``k^n`` against ``n·k^2`` over ``n`` for a chart.

Example:
    >>> demo = chain_demo()
    >>> [round(p, 4) for p in demo["p_last"].values()]
    [0.4125, 0.5875]
    >>> demo["naive"]["terms"], demo["elimination"]["messages"], len(demo["trace"].steps)
    (32, 4, 8)
    >>> naive_cost(12, 4)["terms"]
    16777216
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Mapping

import numpy as np

from explorer.errors import ModelError, TooLargeError
from explorer.trace import Step, Trace
from explorer.pgm.builders import from_bayesian_network
from explorer.pgm.elimination import variable_elimination
from explorer.pgm.evidence import check_evidence
from explorer.pgm.factor_graph import FactorGraph

__all__ = ["chain_model", "tree_model", "chain_demo", "naive_cost", "elimination_cost",
           "cost_series",
           "two_pass_trace", "NAIVE_MAX_TERMS", "NAIVE_CHECK_TERMS", "MAX_N", "MAX_K"]

#: the naive enumeration is refused beyond this many joint assignments
NAIVE_MAX_TERMS = 2_000_000
#: :func:`chain_demo` checks the analytic naive count by enumeration up to this many terms
NAIVE_CHECK_TERMS = 1 << 16
#: the longest chain and the most states :func:`chain_demo` accepts (its per-query check runs
#: n eliminations of n - 1 steps each; the naive cost is counted, never enumerated, past
#: :data:`NAIVE_MAX_TERMS`)
MAX_N, MAX_K = 40, 10


def naive_cost(n: int, k: int) -> dict:
    """The naive sum for ``P(Xn)`` counted without enumerating: exact integers for any size.

    Every one of the ``k^n`` joint assignments is a product of ``n`` tables (``n - 1``
    multiplications) added into the sum of its ``Xn`` state; each of the ``k`` sums starts with
    its first term, so there are ``k^n - k`` additions. These are the numbers the enumeration
    in :func:`chain_demo` counts one by one.

    >>> naive_cost(5, 2)
    {'terms': 32, 'multiplications': 128, 'additions': 30}
    """
    terms = k ** n
    return {"terms": terms, "multiplications": (n - 1) * terms, "additions": terms - k}


def elimination_cost(n: int, k: int) -> dict:
    """The forward eliminations for ``P(Xn)`` counted analytically (as variable elimination counts
    them): each of the ``n - 1`` steps multiplies two ``k x k`` tables (``k^2``
    multiplications) and sums out one variable (``k (k - 1)`` additions).

    >>> elimination_cost(5, 2)
    {'messages': 4, 'multiplications': 16, 'additions': 8, 'n_k2': 20}
    """
    return {"messages": n - 1, "multiplications": (n - 1) * k * k,
            "additions": (n - 1) * k * (k - 1), "n_k2": n * k * k}


def cost_series(k: int, n_max: int, n_min: int = 2) -> dict:
    """``k^n`` against ``n·k^2`` for every chain length from ``n_min`` to ``n_max`` (a chart).

    Returns:
        ``{"k", "n": [..], "naive_terms": k^n, "naive_ops": multiplications + additions,
        "elimination_ops": the same for elimination, "n_k2": n·k^2}``, lists of exact ints.

    Raises:
        ModelError: ``k < 2`` or ``n_max < n_min`` or ``n_min < 2``.
    """
    if k < 2 or n_min < 2 or n_max < n_min:
        raise ModelError(f"a cost series needs k >= 2 and 2 <= n_min <= n_max (got k={k}, "
                         f"n_min={n_min}, n_max={n_max})")
    ns = list(range(n_min, n_max + 1))
    naive = [naive_cost(n, k) for n in ns]
    elim = [elimination_cost(n, k) for n in ns]
    return {"k": k, "n": ns, "naive_terms": [c["terms"] for c in naive],
            "naive_ops": [c["multiplications"] + c["additions"] for c in naive],
            "elimination_ops": [c["multiplications"] + c["additions"] for c in elim],
            "n_k2": [c["n_k2"] for c in elim]}


def chain_model(n: int = 5, k: int = 2) -> FactorGraph:
    """The chain Bayesian network ``X1 -> ... -> Xn`` with ``k`` states ``"0" .. "k-1"``.

    For ``k = 2`` the numbers are easy to follow by hand: ``P(X1) = (0.6, 0.4)`` and every
    ``P(X_{t+1} | X_t)`` has rows ``(0.7, 0.3)`` (from state 0) and ``(0.2, 0.8)`` (from 1), so
    ``P(X2) = (0.5, 0.5)``, ``P(X3) = (0.45, 0.55)``, ``P(X4) = (0.425, 0.575)``,
    ``P(X5) = (0.4125, 0.5875)``. For other ``k``: stay with probability 0.6, move to each other
    state equally; ``P(X1)`` proportional to ``k, k-1, ..., 1``.

    Raises:
        ModelError: ``n < 2`` or ``k < 2``.
    """
    if n < 2 or k < 2:
        raise ModelError(f"a chain needs n >= 2 variables with k >= 2 states (got n={n}, k={k})")
    if k == 2:
        prior, trans = np.array([0.6, 0.4]), np.array([[0.7, 0.3], [0.2, 0.8]])
    else:
        prior = np.arange(k, 0, -1, dtype=float)
        prior /= prior.sum()
        trans = np.full((k, k), 0.4 / (k - 1))
        np.fill_diagonal(trans, 0.6)
    names = [f"X{t}" for t in range(1, n + 1)]
    states = {v: [str(s) for s in range(k)] for v in names}
    cpds = {names[0]: ([], prior)}
    cpds.update({names[t]: ([names[t - 1]], trans) for t in range(1, n)})
    return from_bayesian_network(states, cpds, name="essay_chain")


def tree_model() -> FactorGraph:
    """A tree-shaped Bayesian network with the chain's numbers: X1 -> X2, X1 -> X3, X2 -> X4,
    X2 -> X5 (binary, ``P(X1) = (0.6, 0.4)``, every edge the chain's table with rows
    ``(0.7, 0.3)`` and ``(0.2, 0.8)``). Its clique tree is one clique per edge, so the two
    passes of :func:`explorer.pgm.calibrate` send 2 × 3 messages and give every marginal, as
    the chain's two passes do. Marginals by hand: ``P(X2) = P(X3) = (0.5, 0.5)``,
    ``P(X4) = P(X5) = (0.45, 0.55)``.
    """
    prior, trans = np.array([0.6, 0.4]), np.array([[0.7, 0.3], [0.2, 0.8]])
    names = ["X1", "X2", "X3", "X4", "X5"]
    parent = {"X2": "X1", "X3": "X1", "X4": "X2", "X5": "X2"}
    cpds = {"X1": ([], prior), **{v: ([p], trans) for v, p in parent.items()}}
    return from_bayesian_network({v: ["0", "1"] for v in names}, cpds, name="essay_tree")


def _naive(fg: FactorGraph, last: int) -> dict:
    """P(X_last) by summing the full product over every joint assignment, counting operations
    one by one (the check of :func:`naive_cost`; refused past :data:`NAIVE_MAX_TERMS`)."""
    k, n = fg.cards[0], fg.n_vars
    terms = k ** n
    if terms > NAIVE_MAX_TERMS:
        raise TooLargeError(f"the naive sum has k^n = {terms:,} terms; the demo enumerates at most "
                            f"{NAIVE_MAX_TERMS:,}; use a shorter chain or fewer states",
                            size=terms, limit=NAIVE_MAX_TERMS)
    tables = [f.table.tolist() for f in fg.factors]
    acc = [0.0] * k
    mult = add = 0
    seen = [False] * k
    for x in itertools.product(range(k), repeat=n):
        term = tables[0][x[0]]
        for t in range(1, n):
            term *= tables[t][x[t - 1]][x[t]]
            mult += 1
        if seen[x[last]]:
            add += 1
        seen[x[last]] = True
        acc[x[last]] += term
    return {"terms": terms, "multiplications": mult, "additions": add, "p": acc}


def _forward_backward(fg: FactorGraph, evidence: Mapping[int, int]) -> dict:
    """All marginals from one forward and one backward pass (2(n-1) messages)."""
    n, k = fg.n_vars, fg.cards[0]
    e = [np.ones(k) for _ in range(n)]
    for i, s in evidence.items():
        e[i] = np.eye(k)[s]
    prior, trans = fg.factors[0].table, [fg.factors[t].table for t in range(1, n)]
    fwd = [prior]                                  # fwd[t]: message into X_{t+1} from the left
    for t in range(1, n):
        fwd.append((fwd[-1] * e[t - 1]) @ trans[t - 1])
    bwd = [np.ones(k)]                             # built right to left
    for t in range(n - 1, 0, -1):
        bwd.insert(0, trans[t - 1] @ (bwd[0] * e[t]))
    marg = []
    for t in range(n):
        b = fwd[t] * e[t] * bwd[t]
        marg.append(b / b.sum())
    return {"forward": fwd[1:], "backward": bwd[:-1], "marginals": marg, "messages": 2 * (n - 1)}


def two_pass_trace(fg: FactorGraph, forward: Trace, observe: int | None = None) -> Trace:
    """The forward eliminations of ``forward`` followed by the backward pass, as one Trace.

    ``forward`` is :func:`~explorer.pgm.elimination.variable_elimination` of X1..X(n-1) keeping
    Xn on the chain ``fg``. Its ``n - 1`` steps are kept as they are (``extras["pass"] =
    "forward"``); then ``n - 1`` backward steps follow, one message each from ``X_{t+1}`` to
    ``X_t`` along the graph's edge that way:

        beta_{X_{t+1}}(X_t) = sum_{x_{t+1}} P(x_{t+1} | X_t) · beta_{X_{t+2}}(x_{t+1}),

    with ``beta`` from beyond Xn equal to 1, or to the indicator of the observed state when
    ``observe`` (a state index of Xn) is given: then ``beta_{X_{t+1}}(X_t) = P(Xn = observe |
    X_t)``. Without an observation every backward message of a Bayesian network is all ones
    (each conditional table sums to 1), which is the point the observation makes visible.
    Observing Xn leaves the forward messages unchanged (they never include Xn). After the
    step, ``X_t``'s marginal (given the observation) is ``tau · beta`` normalised (``tau`` the
    forward message into ``X_t``, or ``P(X1)``): ``extras["marginal"]`` ``{STATE: p}``.
    Backward extras mirror the forward ones (``variable`` summed out,
    ``factors_combined``, ``combined_scope``, ``new_factor`` ``{label, scope, table}``,
    ``ops`` counted like variable elimination's: ``k^2`` multiplications when a ``beta`` is
    combined, ``k (k - 1)`` additions) plus ``pass`` = ``"backward"``.

    Returns:
        A Trace of the same kind and graph with ``2 (n - 1)`` steps; ``result`` adds
        ``all_marginals`` ``{VAR: {STATE: p}}`` (given the observation; Xn's is a point mass
        then) and ``n_messages`` = ``2 (n - 1)``; ``params["observed"]`` names the observation.

    Raises:
        ModelError: the graph has no edge ``X_{t+1} -> X_t``.
        EvidenceError: ``observe`` is not a state of Xn, or has probability 0.
    """
    n, k, names = fg.n_vars, fg.cards[0], fg.names
    g = forward.graph
    edge = {(int(a), int(b)): e for e, (a, b) in enumerate(zip(g.senders, g.receivers))}
    ev = check_evidence(fg, {n - 1: observe} if observe is not None else None)
    fb = _forward_backward(fg, ev)
    marg = {names[i]: dict(zip(fg.states[i], map(float, fb["marginals"][i]))) for i in range(n)}
    steps = [dataclasses.replace(st, extras={**st.extras, "pass": "forward"})
             for st in forward.steps]
    if steps:
        last = steps[-1]
        steps[-1] = dataclasses.replace(last, extras={**last.extras, "marginal": marg[names[-1]]})
    for t in range(n - 1, 0, -1):                 # node t (X_{t+1}) sends to node t - 1 (X_t)
        src, dst = names[t], names[t - 1]
        if (t, t - 1) not in edge:
            raise ModelError(f"the chain's graph has no edge {src} -> {dst}; expected the moral "
                             "graph of X1 -> ... -> Xn")
        beta = np.asarray(fb["backward"][t - 1], dtype=float)
        first = t == n - 1 and observe is None
        combined = [f"P({src}|{dst})"] + (
            [] if first else [f"beta_{names[t + 1]}({src})" if t < n - 1
                              else f"[{src}={fg.states[t][observe]}]"])
        ops = {"multiplications": 0 if first else k * k, "additions": k * (k - 1)}
        label = f"beta_{src}({dst})"
        note = (f"Backward: {src} sums itself out of {' · '.join(combined)} and sends {label} "
                f"to {dst}; {dst}'s marginal is now its forward message times {label}, "
                "normalised, with no new elimination")
        steps.append(Step(edges=np.array([edge[(t, t - 1)]]), messages=[beta], aggregates=None,
                          states=None, note=note, label=f"backward {src}→{dst}",
                          extras={"pass": "backward", "variable": src,
                                  "factors_combined": combined, "combined_scope": [dst, src],
                                  "new_factor": {"label": label, "scope": [dst], "table": beta},
                                  "ops": ops, "table_size": k * k, "marginal": marg[dst]}))
    result = {**forward.result, "all_marginals": marg, "n_messages": len(steps)}
    params = {**forward.params, "passes": ["forward", "backward"],
              "observed": {names[-1]: fg.states[n - 1][observe]} if observe is not None else {}}
    return dataclasses.replace(forward, steps=tuple(steps), result=result, params=params)


def chain_demo(n: int = 5, k: int = 2, *, evidence: Mapping[int, int] | None = None,
               observe: int | None = None) -> dict:
    """The essay's chain, with the costs of the naive sum and of elimination both counted.

    Args:
        n: chain length (the essay: 5).
        k: states per variable (the essay's binary case: 2).
        evidence: optional ``{variable index: state index}`` for the reuse story (the cost
            comparison of P(Xn) is done without evidence, as in the essay).
        observe: optional state index of Xn observed in the trace's backward pass (see
            :func:`two_pass_trace`).

    Returns:
        Plain data: ``model`` (the FactorGraph), ``trace`` (:func:`two_pass_trace`: the
        variable elimination of X1..X(n-1) keeping Xn — n-1 forward steps, step t's message
        ``X_t -> X_{t+1}`` equals ``P(X_{t+1})`` — then the n-1 backward messages),
        ``p_last`` ``{state: p}``, ``naive`` (``terms`` = k^n, ``multiplications`` and
        ``additions`` from :func:`naive_cost`), ``naive_checked`` (True when k^n <=
        :data:`NAIVE_CHECK_TERMS` and the enumeration ran and counted the same numbers),
        ``naive_p_last`` (the enumeration's P(Xn), or ``None`` when it was skipped),
        ``elimination`` (``messages``, counted ``multiplications``, ``additions``, and the
        essay's estimate ``n_k2`` = n*k^2), and ``reuse``: ``forward_backward_messages`` =
        2(n-1), ``per_query_messages`` (counted by running one elimination per variable),
        ``forward``/``backward`` messages, ``marginals`` ``{VAR: {STATE: p}}`` and
        ``max_difference`` between the two ways.

    Raises:
        TooLargeError: ``n`` past :data:`MAX_N` or ``k`` past :data:`MAX_K`.
        ModelError: ``n < 2`` or ``k < 2``.
    """
    if n > MAX_N or k > MAX_K:
        raise TooLargeError(f"the chain demo takes n <= {MAX_N} variables with k <= {MAX_K} "
                            f"states (got n={n}, k={k}); use a shorter chain or fewer states",
                            size=float(n * k), limit=float(MAX_N * MAX_K))
    fg = chain_model(n, k)
    last = n - 1
    ve = variable_elimination(fg, order=list(range(last)), query=last)
    table = ve.result["query"]["table"]
    ops = ve.result["ops"]
    naive = naive_cost(n, k)
    enumerated = _naive(fg, last) if naive["terms"] <= NAIVE_CHECK_TERMS else None
    if enumerated is not None and any(enumerated[key] != naive[key] for key in naive):
        raise AssertionError(f"the naive count {naive} disagrees with the enumeration's")
    trace = two_pass_trace(fg, ve, observe)
    ev = check_evidence(fg, evidence)
    fb = _forward_backward(fg, ev)
    per_query, diff = 0, 0.0
    for i in range(n):
        if i in ev:
            continue
        order = [j for j in range(n) if j != i]
        t = variable_elimination(fg, evidence=ev, order=order, query=i)
        per_query += len(t.steps)
        diff = max(diff, float(np.abs(t.result["query"]["table"] - fb["marginals"][i]).max()))
    marginals = {fg.names[i]: dict(zip(fg.states[i], map(float, fb["marginals"][i])))
                 for i in range(n) if i not in ev}
    return {
        "model": fg, "trace": trace,
        "p_last": dict(zip(fg.states[last], map(float, table))),
        "naive": naive, "naive_checked": enumerated is not None,
        "naive_p_last": (dict(zip(fg.states[last], map(float, enumerated["p"])))
                         if enumerated is not None else None),
        "elimination": {"messages": len(ve.steps), "multiplications": ops["multiplications"],
                        "additions": ops["additions"], "n_k2": n * k * k},
        "reuse": {"forward_backward_messages": fb["messages"], "per_query_messages": per_query,
                  "forward": fb["forward"], "backward": fb["backward"], "marginals": marginals,
                  "max_difference": diff},
    }
