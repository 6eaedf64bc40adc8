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
Every count is checked against :class:`~explorer.io.limits.Limits` as it is read (see
:func:`parse_uai`); numbers must be written in ASCII digits; tokens are read lazily, in one pass.
"""

from __future__ import annotations

import math
import re
from typing import Iterator

import numpy as np

from explorer.errors import InputFormatError
from explorer.io.limits import DEFAULT_LIMITS, Limits, check_size, shown
from explorer.pgm.builders import CPD_TOL, find_cycle
from explorer.pgm.factor_graph import Factor, FactorGraph

__all__ = ["parse_uai", "format_uai"]

_WORD = re.compile(r"\S+")
_FLOAT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.A)


def _words(text: str) -> Iterator[tuple[str, int]]:
    """``(token, line)`` pairs in one linear pass (nothing is collected)."""
    line, last = 1, 0
    for m in _WORD.finditer(text):
        line += text.count("\n", last, m.start())
        last = m.start()
        yield m.group(), line


class _Tokens:
    """A lazy stream of whitespace-separated tokens; every read names what it expected."""

    def __init__(self, text: str, source: str | None):
        self._it = _words(text)
        self._next = next(self._it, None)
        self.last_line = 1
        self.source = source

    def line(self) -> int:
        return self._next[1] if self._next is not None else self.last_line

    def at_end(self) -> bool:
        return self._next is None

    def fail(self, msg: str, line: int | None = None):
        raise InputFormatError(msg, path=self.source, line=line or self.line())

    def word(self, what: str) -> str:
        if self._next is None:
            self.fail(f"expected {what}, found the end of the file")
        tok, self.last_line = self._next
        self._next = next(self._it, None)
        return tok

    def int(self, what: str, lo: int = 0, hi: int | None = None) -> int:
        tok = self.word(what)
        body = tok[1:] if tok[:1] in "+-" else tok
        if not (body.isascii() and body.isdigit()):
            self.fail(f"expected {what} (an integer), found {shown(tok)}",
                      self.last_line)
        if len(body) > 18:  # far past every limit; int() would be slow or refused
            v = int(tok[0] + "1" + "0" * 18) if tok[0] == "-" else 10 ** 18
        else:
            v = int(tok)
        if v < lo or (hi is not None and v > hi):
            rng = f"in [{lo}, {hi}]" if hi is not None else f">= {lo}"
            self.fail(f"expected {what} {rng}, found {shown(tok) if len(body) > 18 else v}",
                      self.last_line)
        return v

    def float(self, what: str) -> float:
        tok = self.word(what)
        if not _FLOAT.fullmatch(tok):
            self.fail(f"expected {what} (a number in ASCII digits, like 0.25), found "
                      f"{shown(tok)}", self.last_line)
        return float(tok)


def parse_uai(text: str, source: str | None = None, *, name: str = "",
              limits: Limits | None = None) -> FactorGraph:
    """Parse UAI text into a :class:`FactorGraph` (kind ``"markov"`` or ``"bayes"``).

    Every count is checked against ``limits`` (default
    :class:`~explorer.io.limits.Limits()`) as soon as it is read: the number of variables and
    factors before the cardinalities and scopes, a factor's entries (the product of its
    cardinalities, a Python int) before its table is read.

    Raises:
        InputFormatError: with the line of the problem: an unknown header, a count or index out
            of range, a size over ``limits``, a table of the wrong size, negative entries, a
            BAYES row not summing to 1, a BAYES variable with no or two CPDs, or a directed
            cycle.
    """
    limits = limits or DEFAULT_LIMITS
    t = _Tokens(text, source)

    def limit(what: str, found: int, context: str = "") -> None:
        check_size(what, found, limits, source, line=t.last_line, context=context)

    head = t.word("the header MARKOV or BAYES").upper()
    if head not in ("MARKOV", "BAYES"):
        t.fail(f"expected the header MARKOV or BAYES, found {shown(head)}", t.last_line)
    v = t.int("the number of variables", 1)
    limit("max_variables", v)
    cards = []
    for i in range(v):
        cards.append(t.int(f"the cardinality of variable {i}", 1))
        limit("max_cardinality", cards[-1], f"for variable {i}")
    nf = t.int("the number of factors", 0)
    limit("max_factors", nf)
    scopes, scope_lines = [], []
    for k in range(nf):
        scope_lines.append(t.line())
        a = t.int(f"the scope size of factor {k}", 0, v)
        limit("max_scope", a, f"in factor {k}")
        scope = [t.int(f"a variable index of factor {k}", 0, v - 1) for _ in range(a)]
        if len(set(scope)) != len(scope):
            t.fail(f"factor {k} repeats a variable in its scope {scope}", scope_lines[-1])
        want = math.prod(cards[i] for i in scope)          # a Python int: never overflows
        check_size("max_table_entries", want, limits, source, line=scope_lines[-1],
                   context=f"in factor {k} (cardinalities {[cards[i] for i in scope]})")
        scopes.append(tuple(scope))
    check_size("max_total_entries", sum(math.prod(cards[i] for i in sc) for sc in scopes),
               limits, source, context=f"(all {nf} factors)")
    factors = []
    for k, scope in enumerate(scopes):
        line = t.line()
        want = math.prod(cards[i] for i in scope)
        n = t.int(f"the table size of factor {k}", 0)
        if n != want:
            t.fail(f"factor {k} over variables {list(scope)} needs a table of {want} entries "
                   f"(cardinalities {[cards[i] for i in scope]}), found a size of {n}", line)
        vals = np.array([t.float(f"entry {j} of factor {k}'s table") for j in range(n)],
                        dtype=np.float64)
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
    if not t.at_end():
        tok = t.word("")
        t.fail(f"expected the end of the file after {nf} tables, found {shown(tok)}", t.last_line)
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
