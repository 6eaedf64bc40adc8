"""The XMLBIF 0.3 format (JavaBayes, Weka, pgmpy) read and written.

    <BIF VERSION="0.3"><NETWORK><NAME>net</NAME>
      <VARIABLE TYPE="nature"><NAME>G</NAME><OUTCOME>a</OUTCOME>...</VARIABLE>
      <DEFINITION><FOR>G</FOR><GIVEN>D</GIVEN><GIVEN>I</GIVEN><TABLE>0.3 0.4 ...</TABLE></DEFINITION>
    </NETWORK></BIF>

``TABLE`` is in C order over ``(GIVEN..., FOR)``: for each parent configuration (first parent
slowest) the distribution of the ``FOR`` variable (the opposite of BIF's child-major ``table``,
see :mod:`explorer.pgm.bif`; pgmpy's XMLBIF reader agrees). ``PROBABILITY`` is accepted for
``DEFINITION`` (XMLBIF 0.2). Parsed with the standard library's expat
(``xml.parsers.expat``), whose errors become :class:`InputFormatError` with the line.

Hostile XML is refused before it costs anything: a ``<!DOCTYPE>`` (and so every entity
declaration, the vehicle of "billion laughs" amplification and of reading other files) is an
error at its line; nesting deeper than ``Limits.max_depth`` is refused; only the elements
XMLBIF defines are kept in memory; and the numbers of variables, outcomes and table entries are
checked against :class:`~explorer.io.limits.Limits` before a table is parsed.
"""

from __future__ import annotations

import math
import re
from xml.parsers import expat
from xml.sax.saxutils import escape

import numpy as np

from explorer.errors import InputFormatError
from explorer.io.limits import DEFAULT_LIMITS, Limits, check_size, shown
from explorer.pgm.builders import CPD_TOL, find_cycle
from explorer.pgm.factor_graph import Factor, FactorGraph

__all__ = ["parse_xmlbif", "format_xmlbif"]

_FLOAT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.A)
#: the elements kept, by parent tag (anything else is counted for depth, then dropped)
_KEEP = {"#DOCUMENT": {"BIF", "NETWORK"}, "BIF": {"NETWORK"},
         "NETWORK": {"NAME", "VARIABLE", "DEFINITION", "PROBABILITY"},
         "VARIABLE": {"NAME", "OUTCOME"}, "DEFINITION": {"FOR", "GIVEN", "TABLE"},
         "PROBABILITY": {"FOR", "GIVEN", "TABLE"}}


class _Node:
    __slots__ = ("tag", "children", "text", "line")

    def __init__(self, tag: str, line: int):
        self.tag, self.line, self.children, self.text = tag.upper(), line, [], []

    def all(self, tag: str) -> list["_Node"]:
        return [c for c in self.children if c.tag == tag]

    def value(self) -> str:
        return "".join(self.text).strip()


def _tree(data: bytes | str, source: str | None, limits: Limits) -> _Node:
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    root = _Node("#document", 1)
    stack: list[_Node | None] = [root]

    def refuse(*_):
        raise InputFormatError("expected XMLBIF without a DTD, found a <!DOCTYPE> or <!ENTITY> "
                               "declaration; these are refused unread (entities can expand "
                               "without bound or read other files); delete the declaration",
                               path=source, line=parser.CurrentLineNumber)

    def start(tag, attrs):
        if len(stack) > limits.max_depth:
            check_size("max_depth", len(stack), limits, source, line=parser.CurrentLineNumber,
                       context="(XML elements inside one another)", reader="read_model")
        parent = stack[-1]
        node = None
        if parent is not None and tag.upper() in _KEEP.get(parent.tag, ()):
            node = _Node(tag, parser.CurrentLineNumber)
            parent.children.append(node)
        stack.append(node)

    def text(chars):
        node = stack[-1]
        if node is not None and node.tag in ("NAME", "OUTCOME", "FOR", "GIVEN", "TABLE"):
            node.text.append(chars)

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = lambda tag: stack.pop()
    parser.CharacterDataHandler = text
    try:
        parser.Parse(data, True)
    except expat.ExpatError as e:
        raise InputFormatError(f"not well-formed XML: {expat.errors.messages.get(e.code, str(e))} "
                               f"(column {e.offset + 1})", path=source, line=e.lineno) from None
    return root


def parse_xmlbif(data: bytes | str, source: str | None = None, *,
                 limits: Limits | None = None) -> FactorGraph:
    """Parse XMLBIF into a Bayesian-network :class:`FactorGraph`.

    Raises:
        InputFormatError: with the line: malformed XML, a DTD or entity, no NETWORK or no
            VARIABLE, duplicate variables or states, unknown variables, a size over ``limits``,
            a TABLE of the wrong size, non-numbers, negative entries, rows not summing to 1
            within ``CPD_TOL``, missing or repeated definitions, a cycle.
    """
    limits = limits or DEFAULT_LIMITS

    def fail(msg: str, line: int):
        raise InputFormatError(msg, path=source, line=line)

    def limit(what: str, found: int, line: int, context: str = "") -> None:
        check_size(what, found, limits, source, line=line, context=context)

    doc = _tree(data, source, limits)
    bif = next(iter(doc.all("BIF")), None)
    nets = (bif.all("NETWORK") if bif is not None else doc.all("NETWORK"))
    if not nets:
        fail("expected <BIF><NETWORK>...</NETWORK></BIF>; no NETWORK element found", 1)
    net = nets[0]
    name = next((n.value() for n in net.all("NAME")), "")
    states: dict[str, list[str]] = {}
    vline: dict[str, int] = {}
    variables = net.all("VARIABLE")
    if not variables:
        fail("expected at least one <VARIABLE> in the NETWORK, found none (an empty network); "
             "check the file", net.line)
    limit("max_variables", len(variables), variables[0].line)
    for var in variables:
        names = var.all("NAME")
        if not names or not names[0].value():
            fail("a VARIABLE has no NAME", var.line)
        vn = names[0].value()
        if len(vn) > limits.max_id_length:
            limit("max_id_length", len(vn), var.line, f"in the variable name {shown(vn)}")
        if vn in states:
            fail(f"variable {shown(vn)} is declared twice (first on line {vline[vn]})", var.line)
        outs = [o.value() for o in var.all("OUTCOME")]
        if not outs:
            fail(f"variable {shown(vn)} has no OUTCOME", var.line)
        limit("max_cardinality", len(outs), var.line, f"for {shown(vn)}")
        if len(set(outs)) != len(outs):
            fail(f"variable {shown(vn)} repeats an outcome in {shown(outs, 200)}", var.line)
        long = max(outs, key=len)
        if len(long) > limits.max_id_length:
            limit("max_id_length", len(long), var.line, f"in an outcome of {shown(vn)}")
        states[vn], vline[vn] = outs, var.line
    cpds: dict[str, tuple[list[str], np.ndarray, int]] = {}
    total = 0
    for d in net.all("DEFINITION") + net.all("PROBABILITY"):
        fors = d.all("FOR")
        if len(fors) != 1:
            fail(f"a {d.tag} needs exactly one FOR, found {len(fors)}", d.line)
        child = fors[0].value()
        givens = d.all("GIVEN")
        limit("max_scope", len(givens) + 1, d.line, f"in the {d.tag} of {shown(child)}")
        parents = [g.value() for g in givens]
        for v, ln in [(child, fors[0].line)] + [(g.value(), g.line) for g in givens]:
            if v not in states:
                fail(f"{d.tag} names unknown variable {shown(v)}; declared: "
                     f"{shown(list(states), 200)}", ln)
        if len(set(parents + [child])) != len(parents) + 1:
            fail(f"the {d.tag} of {shown(child)} names a variable twice", d.line)
        if child in cpds:
            fail(f"a second {d.tag} for {shown(child)} (the first is on line {cpds[child][2]})",
                 d.line)
        tables = d.all("TABLE")
        if len(tables) != 1:
            fail(f"the {d.tag} of {shown(child)} needs one TABLE, found {len(tables)}", d.line)
        tab = tables[0]
        shape = [len(states[q]) for q in parents] + [len(states[child])]
        what = f"P({child}{' | ' + ', '.join(parents) if parents else ''})"
        what = what if len(what) <= 120 else what[:119] + "…"
        size = math.prod(shape)                      # a Python int: never overflows
        limit("max_table_entries", size, tab.line, f"in {what} ({' x '.join(map(str, shape))})")
        total += size
        limit("max_total_entries", total, tab.line, f"(the tables up to {what})")
        words = tab.value().split()
        if len(words) != size:
            fail(f"{what}: TABLE has {len(words)} values, expected {size} "
                 f"({' x '.join(map(str, shape))}, the FOR variable fastest)", tab.line)
        bad = next((w for w in words if not _FLOAT.fullmatch(w)), None)
        if bad is not None:
            fail(f"{what}: TABLE holds a non-number ({shown(bad)})", tab.line)
        vals = np.array([float(x) for x in words], dtype=np.float64)
        if (vals < 0).any() or not np.isfinite(vals).all():
            fail(f"{what}: TABLE has a negative or non-finite entry; probabilities must be >= 0", tab.line)
        table = vals.reshape(shape)
        sums = table.sum(-1).reshape(-1)
        if np.abs(sums - 1).max() > CPD_TOL:
            bad_row = int(np.argmax(np.abs(sums - 1)))
            fail(f"{what}: row {bad_row} of the TABLE sums to {sums[bad_row]:.6g}; each row must "
                 f"sum to 1 within {CPD_TOL:g}", tab.line)
        cpds[child] = (parents, table, d.line)
    order = list(states)
    for v in order:
        if v not in cpds:
            fail(f"variable {shown(v)} has no DEFINITION", vline[v])
    index = {v: i for i, v in enumerate(order)}
    parents_idx = [tuple(index[q] for q in cpds[v][0]) for v in order]
    cycle = find_cycle(parents_idx)
    if cycle:
        fail("a Bayesian network must be acyclic; found the cycle "
             + " -> ".join(order[i] for i in cycle), cpds[order[cycle[-1]]][2])
    factors = [Factor(parents_idx[i] + (i,), cpds[v][1]) for i, v in enumerate(order)]
    return FactorGraph(names=tuple(order), cards=tuple(len(states[v]) for v in order),
                       states=tuple(tuple(states[v]) for v in order), factors=tuple(factors),
                       name=name, kind="bayes", parents=tuple(parents_idx),
                       meta={"source": source, "format": "xmlbif"})


def format_xmlbif(fg: FactorGraph) -> str:
    """XMLBIF 0.3 text for a Bayesian-network ``fg``."""
    if fg.kind != "bayes" or fg.parents is None:
        from explorer.errors import ModelError
        raise ModelError("XMLBIF holds Bayesian networks only; write a Markov model as UAI")
    out = ['<?xml version="1.0"?>', '<BIF VERSION="0.3">', "<NETWORK>",
           f"<NAME>{escape(fg.name)}</NAME>"]
    for n, st in zip(fg.names, fg.states):
        out.append(f'<VARIABLE TYPE="nature"><NAME>{escape(n)}</NAME>'
                   + "".join(f"<OUTCOME>{escape(s)}</OUTCOME>" for s in st) + "</VARIABLE>")
    for f in fg.factors:
        out.append(f"<DEFINITION><FOR>{escape(fg.names[f.scope[-1]])}</FOR>"
                   + "".join(f"<GIVEN>{escape(fg.names[q])}</GIVEN>" for q in f.scope[:-1])
                   + "<TABLE>" + " ".join(f"{x:.12g}" for x in f.table.reshape(-1))
                   + "</TABLE></DEFINITION>")
    out += ["</NETWORK>", "</BIF>"]
    return "\n".join(out) + "\n"
