"""The BIF (Bayesian Interchange Format, as used by bnlearn's repository) reader and writer.

Supported grammar (comments ``//`` and ``/* */`` allowed, names may be double-quoted)::

    network NAME { ... }                                  properties are skipped
    variable NAME { type discrete [ N ] { s1, s2, ... }; property ...; }
    probability ( CHILD | P1, P2 ) {
        ( p1_state, p2_state ) v_1, ..., v_N;             one row per parent configuration
        default v_1, ..., v_N;                            rows not listed
        table v, v, ...;                                  or all values at once
    }

A row ``(p1_state, p2_state) v_1, ..., v_N;`` is the child's distribution for that parent
configuration. ``table`` lists the values **child-major**: C order over ``(CHILD, P1, ...,
Pn)``, the child's state slowest and the last parent fastest, as JavaBayes writes BIF and as
pgmpy and aGrUM read it. A hand-checkable example, with ``A`` in ``{a0, a1}`` and ``B`` in
``{b0, b1, b2}``::

    probability ( B | A ) {            is the same CPD as      probability ( B | A ) {
      table 0.1, 0.2,    // B=b0                                 (a0) 0.1, 0.3, 0.6;
            0.3, 0.4,    // B=b1                                 (a1) 0.2, 0.4, 0.4;
            0.6, 0.4;    // B=b2                               }
    }

so ``P(B=b2 | A=a0) = 0.6`` and each *column* of the table sums to 1. (XMLBIF's ``TABLE`` is
the other way round, the ``FOR`` variable fastest: see :mod:`explorer.pgm.xmlbif`.)

Every size the file declares (variables, states, the entries of a CPD as the product of its
cardinalities) is checked against :class:`~explorer.io.limits.Limits` before anything is
allocated; the tokenizer is one linear pass (an unclosed ``/*`` or ``"`` is an error at its
line, not a rescan). The parser is our own (no dependency); every error names the line.
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

__all__ = ["parse_bif", "format_bif"]

_TOKEN = re.compile(r'(//[^\n]*)|(/\*)|(")|([{}()\[\]|,;])|([^\s{}()\[\]|,;"]+)')
_SPACE = re.compile(r"\s*")
_FLOAT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.A)


def _tokens(text: str, source: str | None) -> Iterator[tuple[str, int]]:
    """``(token, line)`` pairs, comments dropped and quotes removed; one pass over ``text``."""
    pos, line, last = 0, 1, 0
    n = len(text)
    while True:
        pos = _SPACE.match(text, pos).end()
        if pos >= n:
            return
        line += text.count("\n", last, pos)
        last = pos
        m = _TOKEN.match(text, pos)
        if m.group(1) is not None:                       # // comment
            pos = m.end()
        elif m.group(2) is not None:                     # /* comment */
            end = text.find("*/", pos + 2)
            if end < 0:
                raise InputFormatError("expected '*/' closing the comment opened here, found the "
                                       "end of the file; close the comment", path=source, line=line)
            pos = end + 2
        elif m.group(3) is not None:                     # "quoted name"
            end = text.find('"', pos + 1)
            if end < 0:
                raise InputFormatError("expected '\"' closing the quoted name opened here, found "
                                       "the end of the file; close the quotes", path=source,
                                       line=line)
            yield text[pos + 1:end], line
            pos = end + 1
        else:
            yield m.group(), line
            pos = m.end()


class _Parser:
    """A token stream with one token of lookahead."""

    def __init__(self, text: str, source: str | None):
        self.source = source
        self._it = _tokens(text, source)
        self.line = 1
        self._advance()

    def _advance(self) -> None:
        nxt = next(self._it, None)
        self.cur, self.cur_line = nxt if nxt is not None else (None, self.line)

    def fail(self, msg: str, line: int | None = None):
        raise InputFormatError(msg, path=self.source, line=line if line is not None else self.line)

    def peek(self) -> str | None:
        return self.cur

    def next(self, what: str) -> tuple[str, int]:
        if self.cur is None:
            self.fail(f"expected {what}, found the end of the file")
        tok, self.line = self.cur, self.cur_line
        self._advance()
        return tok, self.line

    def expect(self, tok: str) -> int:
        got, line = self.next(repr(tok))
        if got != tok:
            self.fail(f"expected {tok!r}, found {shown(got)}", line)
        return line

    def skip_block(self) -> None:
        depth = 0
        while True:
            tok, _ = self.next("'}' closing the block")
            depth += tok == "{"
            depth -= tok == "}"
            if depth == 0:
                return

    def skip_statement(self) -> None:
        while self.next("';'")[0] != ";":
            pass

    def until(self, stop: str, what: str, most: int | None = None) -> tuple[list[tuple[str, int]], int]:
        """Items separated by commas up to ``stop`` (consumed), and how many there were.

        Past ``most`` items the rest are counted, not kept, so a runaway list costs no memory.
        """
        out, count = [], 0
        while True:
            tok, line = self.next(what)
            if tok == stop:
                return out, count
            if tok != ",":
                count += 1
                if most is None or count <= most:
                    out.append((tok, line))


def _numbers(p: _Parser, items: list[tuple[str, int]], what: str) -> np.ndarray:
    vals = []
    for tok, line in items:
        if not _FLOAT.fullmatch(tok):
            p.fail(f"expected a probability in {what} (a number in ASCII digits, like 0.25), "
                   f"found {shown(tok)}", line)
        vals.append(float(tok))
        if not math.isfinite(vals[-1]) or vals[-1] < 0:
            p.fail(f"{what} has the entry {tok if len(tok) < 40 else shown(tok)}; probabilities "
                   "must be finite and >= 0", line)
    return np.array(vals, dtype=np.float64)


def parse_bif(text: str, source: str | None = None, *, limits: Limits | None = None) -> FactorGraph:
    """Parse BIF text into a Bayesian-network :class:`FactorGraph`.

    Args:
        text: the file's text.
        source: the file name, for messages.
        limits: size limits (default :class:`~explorer.io.limits.Limits()`).

    Raises:
        InputFormatError: with the line: syntax errors, no variable at all, duplicate variable
            or state names, a state count that is not ASCII digits or passes
            ``max_cardinality``, unknown variables or states, rows of the wrong length, a
            table of the wrong size, negative entries, rows not summing to 1 (within
            ``CPD_TOL``), missing rows or CPDs, two CPDs for one variable, a CPD over more
            than ``max_scope`` variables or ``max_table_entries`` entries, or a directed cycle.
    """
    limits = limits or DEFAULT_LIMITS
    p = _Parser(text, source)
    name = ""
    states: dict[str, list[str]] = {}
    var_line: dict[str, int] = {}
    cpds: dict[str, tuple[list[str], np.ndarray, int]] = {}
    total = [0]
    while p.peek() is not None:
        kw, line = p.next("a declaration")
        if kw == "network":
            name = p.next("the network name")[0]
            p.skip_block()
        elif kw == "variable":
            vname, vline = p.next("the variable name")
            if len(vname) > limits.max_id_length:
                check_size("max_id_length", len(vname), limits, source, line=vline,
                           context=f"in the variable name {shown(vname)}")
            if vname in states:
                p.fail(f"variable {shown(vname)} is declared twice (first on line "
                       f"{var_line[vname]})", vline)
            check_size("max_variables", len(states) + 1, limits, source, line=vline)
            p.expect("{")
            found = None
            while p.peek() != "}":
                tok, tline = p.next("'type' or 'property'")
                if tok == "type":
                    found = _read_states(p, vname, limits)
                else:
                    p.skip_statement()
            p.expect("}")
            if not found:
                p.fail(f"variable {shown(vname)} has no 'type discrete [N] {{...}};' "
                       "declaration", vline)
            states[vname], var_line[vname] = found, vline
        elif kw == "probability":
            p.expect("(")
            items = []
            while p.peek() != ")":
                items.append(p.next("a variable name or ')'"))
                if len(items) > 2 * limits.max_scope + 1:
                    check_size("max_scope", (len(items) + 1) // 2, limits, source,
                               line=items[-1][1], context="at least (reading stopped there)")
            p.expect(")")
            names = [t for t, _ in items if t not in (",", "|")]
            for t, tl in items:
                if t not in (",", "|") and t not in states:
                    p.fail(f"probability names unknown variable {shown(t)}; declared: "
                           f"{shown(list(states), 200)}", tl)
            if not names:
                p.fail("probability ( ) names no variable", line)
            if len(set(names)) != len(names):
                p.fail(f"probability ( ... ) names a variable twice: {shown(names, 200)}", line)
            child, parents = names[0], names[1:]
            if child in cpds:
                p.fail(f"a second CPD for {shown(child)} (the first is on line "
                       f"{cpds[child][2]})", line)
            cpds[child] = (parents, _read_cpd(p, child, parents, states, line, limits, total),
                           line)
        else:
            p.fail(f"expected 'network', 'variable' or 'probability', found {shown(kw)}", line)
    if not states:
        p.fail("expected a BIF network with at least one 'variable' declaration, found none "
               "(an empty or truncated file, or not BIF at all); check the file", 1)
    for v in states:
        if v not in cpds:
            p.fail(f"variable {shown(v)} has no 'probability ( {v} ... )' block", var_line[v])
    order = list(states)
    index = {v: i for i, v in enumerate(order)}
    parents = [tuple(index[q] for q in cpds[v][0]) for v in order]
    cycle = find_cycle(parents)
    if cycle:
        p.fail("a Bayesian network must be acyclic; found the cycle "
               + " -> ".join(order[i] for i in cycle), cpds[order[cycle[-1]]][2])
    factors = [Factor(parents[i] + (i,), cpds[v][1]) for i, v in enumerate(order)]
    return FactorGraph(names=tuple(order), cards=tuple(len(states[v]) for v in order),
                       states=tuple(tuple(states[v]) for v in order), factors=tuple(factors),
                       name="" if name == "unknown" else name, kind="bayes",
                       parents=tuple(parents), meta={"source": source, "format": "bif"})


def _read_states(p: _Parser, vname: str, limits: Limits) -> list[str]:
    """``discrete [ N ] { s1, ..., sN };`` after ``type``: N checked before the list is read."""
    p.expect("discrete")
    p.expect("[")
    n_tok, nline = p.next("the number of states")
    p.expect("]")
    if not (n_tok.isascii() and n_tok.isdigit()) or len(n_tok) > 12:
        p.fail(f"expected the number of states of {shown(vname)} as ASCII digits, e.g. "
               f"[ 2 ], found [{shown(n_tok)}]", nline)
    n = int(n_tok)
    check_size("max_cardinality", n, limits, p.source, line=nline,
               context=f"declared for {shown(vname)}")
    p.expect("{")
    items, count = p.until("}", "'}' after the states", most=n)
    found = [s for s, _ in items]
    p.expect(";")
    if n != count:
        p.fail(f"variable {shown(vname)} declares [{n_tok}] states but lists "
               f"{count}: {shown(found, 200)}", nline)
    if len(set(found)) != len(found):
        p.fail(f"variable {shown(vname)} repeats a state name in {shown(found, 200)}", nline)
    long = max(found, key=len, default="")
    if len(long) > limits.max_id_length:
        check_size("max_id_length", len(long), limits, p.source, line=nline,
                   context=f"in a state name of {shown(vname)}")
    return found


def _read_cpd(p: _Parser, child: str, parents: list[str], states: dict, line: int,
              limits: Limits, total: list[int]) -> np.ndarray:
    what = f"P({child}{' | ' + ', '.join(parents) if parents else ''})"
    what = what if len(what) <= 120 else what[:119] + "…"
    pcards = [len(states[q]) for q in parents]
    c = len(states[child])
    check_size("max_scope", len(parents) + 1, limits, p.source, line=line, context=f"in {what}")
    size = math.prod(pcards) * c                     # a Python int: never overflows
    check_size("max_table_entries", size, limits, p.source, line=line,
               context=f"in {what} ({' x '.join(map(str, pcards + [c]))})")
    total[0] += size
    check_size("max_total_entries", total[0], limits, p.source, line=line,
               context=f"(the CPDs up to {what})")
    table = np.full(pcards + [c], np.nan)
    lookups = [{st: k for k, st in enumerate(states[q])} for q in parents]  # state -> index
    default = None
    p.expect("{")
    while p.peek() != "}":
        tok, tline = p.next("a row, 'table' or 'default'")
        if tok == "table":
            items, count = p.until(";", "';' after the table", most=size)
            if count != size:
                p.fail(f"{what}: 'table' has {count} values, expected {size} "
                       f"({' x '.join(map(str, [c] + pcards))}, child-major)", tline)
            vals = _numbers(p, items, what)
            # child-major: C order over (CHILD, P1, ..., Pn); stored as (P1, ..., Pn, CHILD)
            table = np.ascontiguousarray(np.moveaxis(vals.reshape([c] + pcards), 0, -1))
            row_sums = table.sum(-1)
            if np.abs(row_sums - 1).max() > CPD_TOL:
                bad = int(np.argmax(np.abs(row_sums - 1)))
                conf = np.unravel_index(bad, pcards) if pcards else ()
                given = (" given " + ", ".join(f"{q}={states[q][int(i)]}"
                                               for q, i in zip(parents, conf))) if pcards else ""
                p.fail(f"{what}: a row of the table sums to {row_sums.reshape(-1)[bad]:.6g} (the "
                       f"values for {child}{given}); each distribution must sum to 1 within "
                       f"{CPD_TOL:g} (the table is child-major: all parent configurations for "
                       f"the child's first state, then its second, ...)", tline)
        elif tok == "default":
            items, count = p.until(";", "';'", most=c)
            if count != c:
                p.fail(f"{what}: 'default' has {count} values, expected {c}", tline)
            default = (_numbers(p, items, what), tline)
        elif tok == "(":
            items, count = p.until(")", "')' after the parent states", most=len(parents))
            key = [s for s, _ in items]
            if count != len(parents):
                p.fail(f"{what}: row ({shown(', '.join(key), 80)[1:-1]}) gives {count} parent "
                       f"states, expected {len(parents)}", tline)
            idx = []
            for q, s, lookup in zip(parents, key, lookups):
                if s not in lookup:
                    p.fail(f"{what}: {q!r} has no state {shown(s)}; states: "
                           f"{shown(states[q], 200)}", tline)
                idx.append(lookup[s])
            items, count = p.until(";", "';' after the row", most=c)
            if count != c:
                p.fail(f"{what}: row ({', '.join(key)}) has {count} values, expected {c} "
                       f"(one per state of {child})", tline)
            vals = _numbers(p, items, what)
            if abs(vals.sum() - 1) > CPD_TOL:
                p.fail(f"{what}: row ({', '.join(key)}) sums to {vals.sum():.6g}; each row must "
                       f"sum to 1 within {CPD_TOL:g}", tline)
            table[tuple(idx)] = vals
        elif tok == "property":
            p.skip_statement()
        else:
            p.fail(f"{what}: expected a row '(...)', 'table' or 'default', found {shown(tok)}",
                   tline)
    p.expect("}")
    missing = np.isnan(table[..., 0])
    if missing.any():
        if default is None:
            first = np.argwhere(missing)[0] if missing.ndim else []
            conf = ", ".join(states[q][int(i)] for q, i in zip(parents, first))
            p.fail(f"{what}: no row for the parent states ({conf}) and no 'default'", line)
        if abs(default[0].sum() - 1) > CPD_TOL:
            p.fail(f"{what}: 'default' sums to {default[0].sum():.6g}; it must sum to 1", default[1])
        table[missing] = default[0]
    return table


def format_bif(fg: FactorGraph) -> str:
    """BIF text for a Bayesian-network ``fg`` (one row per parent configuration; a CPD without
    parents as a ``table``, where the two orders coincide)."""
    if fg.kind != "bayes" or fg.parents is None:
        from explorer.errors import ModelError
        raise ModelError("BIF holds Bayesian networks only; write a Markov model as UAI")
    out = [f"network {fg.name.replace(' ', '_') or 'unknown'} {{", "}"]
    for n, st in zip(fg.names, fg.states):
        out += [f"variable {n} {{", f"  type discrete [ {len(st)} ] {{ {', '.join(st)} }};", "}"]
    for f in fg.factors:
        child, parents = f.scope[-1], f.scope[:-1]
        head = fg.names[child] + (" | " + ", ".join(fg.names[q] for q in parents) if parents else "")
        out.append(f"probability ( {head} ) {{")
        if not parents:
            out.append("  table " + ", ".join(f"{x:.12g}" for x in f.table) + ";")
        for idx in np.ndindex(*f.table.shape[:-1]) if parents else ():
            key = ", ".join(fg.states[q][i] for q, i in zip(parents, idx))
            out.append(f"  ({key}) " + ", ".join(f"{x:.12g}" for x in f.table[idx]) + ";")
        out.append("}")
    return "\n".join(out) + "\n"
