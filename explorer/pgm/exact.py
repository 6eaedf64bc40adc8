"""Exact inference: brute-force enumeration (the test oracle) and shared result helpers.

Variable elimination lives in :mod:`explorer.pgm.elimination`; both answer the same questions
(marginals conditioned on evidence, the MAP assignment, log Z) and are checked against each
other in the tests.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from explorer.errors import EvidenceError, ModelError, TooLargeError
from explorer.pgm.evidence import check_evidence, clamp, evidence_names
from explorer.pgm.factor_graph import FactorGraph

__all__ = ["brute_force", "marginals_dict", "map_dict", "BRUTE_FORCE_MAX_VARS",
           "BRUTE_FORCE_MAX_ENTRIES", "zero_probability_error", "safe_log"]

#: brute force refuses models with more variables than this
BRUTE_FORCE_MAX_VARS = 20
#: ... or a joint table with more entries than this
BRUTE_FORCE_MAX_ENTRIES = 1 << 22


def safe_log(a: np.ndarray) -> np.ndarray:
    """``log(a)`` with ``log(0) = -inf`` and no warning."""
    with np.errstate(divide="ignore"):
        return np.log(a)


def marginals_dict(fg: FactorGraph, beliefs: Sequence[np.ndarray], skip: Mapping[int, int]) -> dict:
    """``{VAR: {STATE: p}}`` for every variable not in ``skip`` (the evidence)."""
    return {fg.names[i]: {s: float(p) for s, p in zip(fg.states[i], beliefs[i])}
            for i in range(fg.n_vars) if i not in skip}


def map_dict(fg: FactorGraph, assignment: Sequence[int], skip: Mapping[int, int]) -> dict:
    """``{VAR: STATE}`` for every variable not in ``skip`` (the evidence)."""
    return {fg.names[i]: fg.states[i][int(assignment[i])] for i in range(fg.n_vars) if i not in skip}


def zero_probability_error(fg: FactorGraph, evidence: Mapping[int, int]) -> Exception:
    """The error for a model whose total mass is 0 (contradictory evidence or all-zero tables)."""
    if evidence:
        return EvidenceError(f"the evidence {evidence_names(fg, evidence)} has probability 0 under "
                             "the model (it contradicts the tables); drop or change an observation")
    return ModelError("the model gives every assignment probability 0 (some factor is all zeros, "
                      "or the factors contradict each other); check the tables")


def brute_force(fg: FactorGraph, *, evidence: Mapping[int, int] | None = None) -> dict:
    """Exact answers by enumerating the full joint table (the oracle for tests).

    Args:
        fg: a model with at most :data:`BRUTE_FORCE_MAX_VARS` variables and a joint of at most
            :data:`BRUTE_FORCE_MAX_ENTRIES` entries.
        evidence: ``{variable index: state index}``.

    Returns:
        ``{"marginals": {VAR: {STATE: p}}`` (non-evidence variables), ``"map": {VAR: STATE}``
        (first maximum in C order), ``"log_z": float``, ``"beliefs": [V] arrays`` (every
        variable, evidence ones as point masses), ``"map_index": [V] ints``, ``"log_max": float``}.

    Shapes:
        beliefs[i]: ``[cards[i]]``; the joint is ``[cards[0], ..., cards[V-1]]`` internally.

    Raises:
        TooLargeError: more than 20 variables or a joint past the entry limit (size named).
        EvidenceError: the evidence has probability 0.
    """
    size = float(np.prod([float(c) for c in fg.cards])) if fg.cards else 1.0
    if fg.n_vars > BRUTE_FORCE_MAX_VARS or size > BRUTE_FORCE_MAX_ENTRIES:
        raise TooLargeError(
            f"brute force enumerates the joint table of {size:.3g} entries over {fg.n_vars} "
            f"variables; it is limited to {BRUTE_FORCE_MAX_VARS} variables and "
            f"{BRUTE_FORCE_MAX_ENTRIES:,} entries; use variable elimination or BP",
            size=size, limit=BRUTE_FORCE_MAX_ENTRIES)
    evidence = check_evidence(fg, evidence)
    model = clamp(fg, evidence)
    v = fg.n_vars
    logj = np.zeros(fg.cards)
    for f in model.factors:
        shape = [1] * v
        for ax, i in enumerate(f.scope):
            shape[i] = fg.cards[i]
        order = np.argsort(f.scope)
        logj = logj + safe_log(np.transpose(f.table, order) if f.arity else f.table).reshape(shape)
    top = logj.max() if logj.size else 0.0
    if not np.isfinite(top):
        raise zero_probability_error(fg, evidence)
    p = np.exp(logj - top)
    total = p.sum()
    log_z = float(top + np.log(total))
    p /= total
    beliefs = [p.sum(axis=tuple(a for a in range(v) if a != i)) for i in range(v)]
    flat = int(np.argmax(p))
    idx = [int(x) for x in np.unravel_index(flat, fg.cards)] if v else []
    return {"marginals": marginals_dict(fg, beliefs, evidence), "map": map_dict(fg, idx, evidence),
            "log_z": log_z, "beliefs": beliefs, "map_index": idx, "log_max": float(top)}
