"""The BIF (Bayesian Interchange Format, as used by bnlearn's repository) reader and writer.

Supported grammar (comments ``//`` and ``/* */`` allowed, names may be double-quoted)::

    network NAME { ... }                                  properties are skipped
    variable NAME { type discrete [ N ] { s1, s2, ... }; property ...; }
    probability ( CHILD | P1, P2 ) {
        ( p1_state, p2_state ) v_1, ..., v_N;             one row per parent configuration
        default v_1, ..., v_N;                            rows not listed
        table v, v, ...;                                  or all values at once
    }

``table`` lists the values in C order over ``(P1, P2, ..., CHILD)``: for each parent
configuration (first parent slowest) the child's distribution (the JavaBayes/XMLBIF order).
The parser is our own (no dependency); every error names the line.
"""

from __future__ import annotations

import bisect
import re

import numpy as np

from explorer.errors import InputFormatError
from explorer.pgm.builders import CPD_TOL, find_cycle
from explorer.pgm.factor_graph import Factor, FactorGraph

__all__ = ["parse_bif", "format_bif"]

_TOKEN = re.compile(r'//[^\n]*|/\*.*?\*/|"[^"]*"|[{}()\[\]|,;]|[^\s{}()\[\]|,;"]+', re.S)


class _Parser:
    def __init__(self, text: str, source: str | None):
        self.toks: list[tuple[str, int]] = []
        newlines = [m.start() for m in re.finditer("\n", text)]
        for m in _TOKEN.finditer(text):
            tok = m.group()
            if tok.startswith("//") or tok.startswith("/*"):
                continue
            line = bisect.bisect_left(newlines, m.start()) + 1
            self.toks.append((tok.strip('"') if tok.startswith('"') else tok, line))
        self.k = 0
        self.source = source

    def fail(self, msg: str, line: int | None = None):
        if line is None:
            line = self.toks[min(self.k, len(self.toks) - 1)][1] if self.toks else 1
        raise InputFormatError(msg, path=self.source, line=line)

    def peek(self) -> str | None:
        return self.toks[self.k][0] if self.k < len(self.toks) else None

    def next(self, what: str) -> tuple[str, int]:
        if self.k >= len(self.toks):
            self.fail(f"expected {what}, found the end of the file")
        self.k += 1
        return self.toks[self.k - 1]

    def expect(self, tok: str) -> int:
        got, line = self.next(repr(tok))
        if got != tok:
            self.fail(f"expected {tok!r}, found {got!r}", line)
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

    def until(self, stop: str, what: str) -> list[tuple[str, int]]:
        """Items separated by commas up to ``stop`` (consumed)."""
        out = []
        while True:
            tok, line = self.next(what)
            if tok == stop:
                return out
            if tok != ",":
                out.append((tok, line))


def _numbers(p: _Parser, items: list[tuple[str, int]], what: str) -> np.ndarray:
    vals = []
    for tok, line in items:
        try:
            vals.append(float(tok))
        except ValueError:
            p.fail(f"expected a probability in {what}, found {tok!r}", line)
        if not np.isfinite(vals[-1]) or vals[-1] < 0:
            p.fail(f"{what} has the entry {tok}; probabilities must be finite and >= 0", line)
    return np.array(vals)


def parse_bif(text: str, source: str | None = None) -> FactorGraph:
    """Parse BIF text into a Bayesian-network :class:`FactorGraph`.

    Raises:
        InputFormatError: with the line: syntax errors, duplicate variable or state names,
            unknown variables or states, rows of the wrong length, a table of the wrong size,
            negative entries, rows not summing to 1 (within ``CPD_TOL``), missing rows or CPDs,
            two CPDs for one variable, or a directed cycle.
    """
    p = _Parser(text, source)
    name = ""
    states: dict[str, list[str]] = {}
    var_line: dict[str, int] = {}
    cpds: dict[str, tuple[list[str], np.ndarray, int]] = {}
    while p.peek() is not None:
        kw, line = p.next("a declaration")
        if kw == "network":
            name = p.next("the network name")[0]
            p.skip_block()
        elif kw == "variable":
            vname, vline = p.next("the variable name")
            if vname in states:
                p.fail(f"variable {vname!r} is declared twice (first on line {var_line[vname]})", vline)
            p.expect("{")
            found = None
            while p.peek() != "}":
                tok, tline = p.next("'type' or 'property'")
                if tok == "type":
                    p.expect("discrete")
                    p.expect("[")
                    n_tok, nline = p.next("the number of states")
                    p.expect("]")
                    p.expect("{")
                    found = [s for s, _ in p.until("}", "'}' after the states")]
                    p.expect(";")
                    if not n_tok.isdigit() or int(n_tok) != len(found):
                        p.fail(f"variable {vname!r} declares [{n_tok}] states but lists "
                               f"{len(found)}: {found}", nline)
                    if len(set(found)) != len(found):
                        p.fail(f"variable {vname!r} repeats a state name in {found}", nline)
                else:
                    p.skip_statement()
            p.expect("}")
            if not found:
                p.fail(f"variable {vname!r} has no 'type discrete [N] {{...}};' declaration", vline)
            states[vname], var_line[vname] = found, vline
        elif kw == "probability":
            p.expect("(")
            items = []
            while p.peek() != ")":
                items.append(p.next("a variable name or ')'"))
            p.expect(")")
            names = [t for t, _ in items if t not in (",", "|")]
            for t, tl in items:
                if t not in (",", "|") and t not in states:
                    p.fail(f"probability names unknown variable {t!r}; declared: {list(states)}", tl)
            if not names:
                p.fail("probability ( ) names no variable", line)
            child, parents = names[0], names[1:]
            if child in cpds:
                p.fail(f"a second CPD for {child!r} (the first is on line {cpds[child][2]})", line)
            cpds[child] = (parents, _read_cpd(p, child, parents, states, line), line)
        else:
            p.fail(f"expected 'network', 'variable' or 'probability', found {kw!r}", line)
    for v in states:
        if v not in cpds:
            p.fail(f"variable {v!r} has no 'probability ( {v} ... )' block", var_line[v])
    order = list(states)
    parents = [tuple(order.index(q) for q in cpds[v][0]) for v in order]
    cycle = find_cycle(parents)
    if cycle:
        p.fail("a Bayesian network must be acyclic; found the cycle "
               + " -> ".join(order[i] for i in cycle), cpds[order[cycle[-1]]][2])
    factors = [Factor(parents[i] + (i,), cpds[v][1]) for i, v in enumerate(order)]
    return FactorGraph(names=tuple(order), cards=tuple(len(states[v]) for v in order),
                       states=tuple(tuple(states[v]) for v in order), factors=tuple(factors),
                       name="" if name == "unknown" else name, kind="bayes",
                       parents=tuple(parents), meta={"source": source, "format": "bif"})


def _read_cpd(p: _Parser, child: str, parents: list[str], states: dict, line: int) -> np.ndarray:
    what = f"P({child}{' | ' + ', '.join(parents) if parents else ''})"
    pcards = [len(states[q]) for q in parents]
    c = len(states[child])
    table = np.full(pcards + [c], np.nan)
    default = None
    p.expect("{")
    while p.peek() != "}":
        tok, tline = p.next("a row, 'table' or 'default'")
        if tok == "table":
            vals = _numbers(p, p.until(";", "';' after the table"), what)
            if vals.size != table.size:
                p.fail(f"{what}: 'table' has {vals.size} values, expected {table.size} "
                       f"({' x '.join(map(str, pcards + [c]))})", tline)
            table = vals.reshape(table.shape)
        elif tok == "default":
            default = (_numbers(p, p.until(";", "';'"), what), tline)
            if default[0].size != c:
                p.fail(f"{what}: 'default' has {default[0].size} values, expected {c}", tline)
        elif tok == "(":
            key = [s for s, _ in p.until(")", "')' after the parent states")]
            if len(key) != len(parents):
                p.fail(f"{what}: row ({', '.join(key)}) gives {len(key)} parent states, expected "
                       f"{len(parents)}", tline)
            idx = []
            for q, s in zip(parents, key):
                if s not in states[q]:
                    p.fail(f"{what}: {q!r} has no state {s!r}; states: {states[q]}", tline)
                idx.append(states[q].index(s))
            vals = _numbers(p, p.until(";", "';' after the row"), what)
            if vals.size != c:
                p.fail(f"{what}: row ({', '.join(key)}) has {vals.size} values, expected {c} "
                       f"(one per state of {child})", tline)
            table[tuple(idx)] = vals
        elif tok == "property":
            p.skip_statement()
        else:
            p.fail(f"{what}: expected a row '(...)', 'table' or 'default', found {tok!r}", tline)
        if tok in ("table", "(", "default"):
            row_sums = table.sum(-1) if tok == "table" else None
            if row_sums is not None and np.abs(row_sums - 1).max() > CPD_TOL:
                p.fail(f"{what}: a row of the table sums to {row_sums.reshape(-1)[np.argmax(np.abs(row_sums - 1))]:.6g}; "
                       f"each row must sum to 1 within {CPD_TOL:g}", tline)
            if tok == "(" and abs(vals.sum() - 1) > CPD_TOL:
                p.fail(f"{what}: row ({', '.join(key)}) sums to {vals.sum():.6g}; each row must "
                       f"sum to 1 within {CPD_TOL:g}", tline)
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
    """BIF text for a Bayesian-network ``fg`` (one row per parent configuration)."""
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
