"""The UAI inference-competition format (MARKOV and BAYES), read and written.

Layout (whitespace-separated numbers; line breaks carry no meaning)::

    MARKOV | BAYES
    V                       number of variables
    c_0 c_1 ... c_{V-1}     cardinalities
    F                       number of factors
    a i_1 ... i_a           one scope per factor (for BAYES: parents first, the child last)
    n t_1 ... t_n           one table per factor, C order over the scope (last fastest)

Variables are named ``"0" .. "V-1"`` and their states ``"0" .. "c-1"``. In a BAYES file every
variable must be the child (last scope entry) of exactly one function, the rows (last axis)
must sum to 1 within :data:`~explorer.pgm.builders.CPD_TOL`, and the parents may not form a cycle.
"""

from __future__ import annotations

import numpy as np

from explorer.errors import InputFormatError
from explorer.pgm.builders import CPD_TOL, find_cycle
from explorer.pgm.factor_graph import Factor, FactorGraph

__all__ = ["parse_uai", "format_uai"]


class _Tokens:
    def __init__(self, text: str, source: str | None):
        self.items = [(tok, ln) for ln, line in enumerate(text.splitlines(), 1)
                      for tok in line.split()]
        self.k = 0
        self.source = source

    def line(self) -> int:
        if self.k < len(self.items):
            return self.items[self.k][1]
        return self.items[-1][1] if self.items else 1

    def fail(self, msg: str, line: int | None = None):
        raise InputFormatError(msg, path=self.source, line=line or self.line())

    def word(self, what: str) -> str:
        if self.k >= len(self.items):
            self.fail(f"expected {what}, found the end of the file")
        tok = self.items[self.k][0]
        self.k += 1
        return tok

    def int(self, what: str, lo: int = 0, hi: int | None = None) -> int:
        tok = self.word(what)
        try:
            v = int(tok)
        except ValueError:
            self.fail(f"expected {what} (an integer), found {tok!r}", self.items[self.k - 1][1])
        if v < lo or (hi is not None and v > hi):
            rng = f"[{lo}, {hi}]" if hi is not None else f">= {lo}"
            self.fail(f"expected {what} in {rng}, found {v}", self.items[self.k - 1][1])
        return v

    def float(self, what: str) -> float:
        tok = self.word(what)
        try:
            return float(tok)
        except ValueError:
            self.fail(f"expected {what} (a number), found {tok!r}", self.items[self.k - 1][1])


def parse_uai(text: str, source: str | None = None, *, name: str = "") -> FactorGraph:
    """Parse UAI text into a :class:`FactorGraph` (kind ``"markov"`` or ``"bayes"``).

    Raises:
        InputFormatError: with the line of the problem: an unknown header, a count or index out
            of range, a table of the wrong size, negative entries, a BAYES row not summing to 1,
            a BAYES variable with no or two CPDs, or a directed cycle.
    """
    t = _Tokens(text, source)
    head = t.word("the header MARKOV or BAYES").upper()
    if head not in ("MARKOV", "BAYES"):
        t.fail(f"expected the header MARKOV or BAYES, found {head!r}", t.items[0][1])
    v = t.int("the number of variables", 0)
    cards = [t.int(f"the cardinality of variable {i}", 1) for i in range(v)]
    nf = t.int("the number of factors", 0)
    scopes, scope_lines = [], []
    for k in range(nf):
        scope_lines.append(t.line())
        a = t.int(f"the scope size of factor {k}", 0, v)
        scope = [t.int(f"a variable index of factor {k}", 0, v - 1) for _ in range(a)]
        if len(set(scope)) != len(scope):
            t.fail(f"factor {k} repeats a variable in its scope {scope}", scope_lines[-1])
        scopes.append(tuple(scope))
    factors = []
    for k, scope in enumerate(scopes):
        line = t.line()
        n = t.int(f"the table size of factor {k}", 0)
        want = int(np.prod([cards[i] for i in scope])) if scope else 1
        if n != want:
            t.fail(f"factor {k} over variables {list(scope)} needs a table of {want} entries "
                   f"(cardinalities {[cards[i] for i in scope]}), found a size of {n}", line)
        vals = np.array([t.float(f"entry {j} of factor {k}'s table") for j in range(n)])
        if (vals < 0).any() or not np.isfinite(vals).all():
            j = int(np.flatnonzero((vals < 0) | ~np.isfinite(vals))[0])
            t.fail(f"factor {k}'s table has entry {j} = {vals[j]}; entries must be finite and >= 0", line)
        table = vals.reshape([cards[i] for i in scope])
        if head == "BAYES":
            if not scope:
                t.fail(f"factor {k} has an empty scope; a BAYES function needs its child", line)
            sums = table.sum(-1)
            if np.abs(sums - 1).max() > CPD_TOL:
                bad = int(np.argmax(np.abs(sums - 1).reshape(-1)))
                t.fail(f"factor {k} (CPD of variable {scope[-1]}): row {bad} sums to "
                       f"{sums.reshape(-1)[bad]:.6g}; each row must sum to 1 within {CPD_TOL:g}", line)
        factors.append(Factor(scope, table))
    if t.k < len(t.items):
        t.fail(f"expected the end of the file after {nf} tables, found {t.items[t.k][0]!r}")
    parents = None
    if head == "BAYES":
        owner: dict[int, int] = {}
        for k, scope in enumerate(scopes):
            if scope[-1] in owner:
                t.fail(f"variable {scope[-1]} is the child of factors {owner[scope[-1]]} and {k}; "
                       "a BAYES file gives one CPD per variable", scope_lines[k])
            owner[scope[-1]] = k
        missing = [i for i in range(v) if i not in owner]
        if missing:
            t.fail(f"variable {missing[0]} has no CPD (no factor has it last in its scope)", 1)
        parents = [()] * v
        for scope in scopes:
            parents[scope[-1]] = scope[:-1]
        cycle = find_cycle(parents)
        if cycle:
            t.fail("a BAYES network must be acyclic; found the cycle "
                   + " -> ".join(map(str, cycle)), scope_lines[owner[cycle[-1]]])
    return FactorGraph(names=tuple(str(i) for i in range(v)), cards=tuple(cards),
                       states=tuple(tuple(str(s) for s in range(c)) for c in cards),
                       factors=tuple(factors), name=name, kind="bayes" if head == "BAYES" else "markov",
                       parents=tuple(parents) if parents is not None else None,
                       meta={"source": source, "format": "uai"})


def format_uai(fg: FactorGraph) -> str:
    """The UAI text of ``fg`` (variable names and state names are not kept by the format)."""
    head = "BAYES" if fg.kind == "bayes" else "MARKOV"
    lines = [head, str(fg.n_vars), " ".join(map(str, fg.cards)), str(fg.n_factors)]
    lines += [" ".join(map(str, (f.arity,) + f.scope)) for f in fg.factors]
    for f in fg.factors:
        lines.append("")
        lines.append(str(f.table.size))
        rows = f.table.reshape(-1, f.table.shape[-1]) if f.arity else f.table.reshape(1, 1)
        lines += [" " + " ".join(f"{x:.12g}" for x in row) for row in rows]
    return "\n".join(lines) + "\n"
