"""The essay's chain ``X1 -> X2 -> ... -> Xn``: variable elimination as message passing.

Computing ``P(X5)`` by pushing the sums inside,

    P(X5) = sum_X4 P(X5|X4) sum_X3 P(X4|X3) sum_X2 P(X3|X2) sum_X1 P(X1) P(X2|X1),

eliminates X1, X2, X3, X4 in turn; each elimination is a message ``X_t -> X_{t+1}`` that is
exactly ``P(X_{t+1})``. :func:`chain_demo` counts the work both ways by doing it: the naive sum
over all ``k^n`` joint assignments, and the ``n - 1`` eliminations of about ``k^2`` operations
each. It then tells the reuse story: one forward and one backward pass give every marginal with
``2(n-1)`` messages, where answering each query by its own elimination sends ``n(n-1)``.

Example:
    >>> demo = chain_demo()
    >>> [round(p, 4) for p in demo["p_last"].values()]
    [0.4125, 0.5875]
    >>> demo["naive"]["terms"], demo["elimination"]["messages"]
    (32, 4)
"""

from __future__ import annotations

import itertools
from typing import Mapping

import numpy as np

from explorer.errors import ModelError, TooLargeError
from explorer.pgm.builders import from_bayesian_network
from explorer.pgm.elimination import variable_elimination
from explorer.pgm.evidence import check_evidence
from explorer.pgm.factor_graph import FactorGraph

__all__ = ["chain_model", "chain_demo", "NAIVE_MAX_TERMS"]

#: the naive enumeration is refused beyond this many joint assignments
NAIVE_MAX_TERMS = 2_000_000


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


def _naive(fg: FactorGraph, last: int) -> dict:
    """P(X_last) by summing the full product over every joint assignment, counting operations."""
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


def chain_demo(n: int = 5, k: int = 2, *, evidence: Mapping[int, int] | None = None) -> dict:
    """The essay's chain, with the costs of the naive sum and of elimination both counted.

    Args:
        n: chain length (the essay: 5).
        k: states per variable (the essay's binary case: 2).
        evidence: optional ``{variable index: state index}`` for the reuse story (the cost
            comparison of P(Xn) is done without evidence, as in the essay).

    Returns:
        Plain data: ``model`` (the FactorGraph), ``trace`` (variable elimination of X1..X(n-1)
        keeping Xn: n-1 steps, step t's message ``X_t -> X_{t+1}`` equals ``P(X_{t+1})``),
        ``p_last`` ``{state: p}``, ``naive`` (``terms`` = k^n, counted ``multiplications`` and
        ``additions``), ``elimination`` (``messages``, counted ``multiplications``,
        ``additions``, and the essay's estimate ``n_k2`` = n*k^2), and ``reuse``:
        ``forward_backward_messages`` = 2(n-1), ``per_query_messages`` (counted by running one
        elimination per variable), ``forward``/``backward`` messages, ``marginals``
        ``{VAR: {STATE: p}}`` and ``max_difference`` between the two ways.

    Raises:
        TooLargeError: ``k^n`` passes :data:`NAIVE_MAX_TERMS`.
    """
    fg = chain_model(n, k)
    last = n - 1
    trace = variable_elimination(fg, order=list(range(last)), query=last)
    table = trace.result["query"]["table"]
    ops = trace.result["ops"]
    naive = _naive(fg, last)
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
        "naive": {key: naive[key] for key in ("terms", "multiplications", "additions")},
        "naive_p_last": dict(zip(fg.states[last], map(float, naive["p"]))),
        "elimination": {"messages": len(trace.steps), "multiplications": ops["multiplications"],
                        "additions": ops["additions"], "n_k2": n * k * k},
        "reuse": {"forward_backward_messages": fb["messages"], "per_query_messages": per_query,
                  "forward": fb["forward"], "backward": fb["backward"], "marginals": marginals,
                  "max_difference": diff},
    }
