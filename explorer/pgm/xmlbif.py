"""The XMLBIF 0.3 format (JavaBayes, Weka, pgmpy) read and written.

    <BIF VERSION="0.3"><NETWORK><NAME>net</NAME>
      <VARIABLE TYPE="nature"><NAME>G</NAME><OUTCOME>a</OUTCOME>...</VARIABLE>
      <DEFINITION><FOR>G</FOR><GIVEN>D</GIVEN><GIVEN>I</GIVEN><TABLE>0.3 0.4 ...</TABLE></DEFINITION>
    </NETWORK></BIF>

``TABLE`` is in C order over ``(GIVEN..., FOR)``: for each parent configuration (first parent
slowest) the distribution of the ``FOR`` variable. ``PROBABILITY`` is accepted for
``DEFINITION`` (XMLBIF 0.2). Parsed with the standard library's expat (``xml.parsers.expat``),
whose errors become :class:`InputFormatError` with the line.
"""

from __future__ import annotations

from xml.parsers import expat
from xml.sax.saxutils import escape

import numpy as np

from explorer.errors import InputFormatError
from explorer.pgm.builders import CPD_TOL, find_cycle
from explorer.pgm.factor_graph import Factor, FactorGraph

__all__ = ["parse_xmlbif", "format_xmlbif"]


class _Node:
    __slots__ = ("tag", "children", "text", "line")

    def __init__(self, tag: str, line: int):
        self.tag, self.line, self.children, self.text = tag.upper(), line, [], []

    def all(self, tag: str) -> list["_Node"]:
        return [c for c in self.children if c.tag == tag]

    def value(self) -> str:
        return "".join(self.text).strip()


def _tree(data: bytes | str, source: str | None) -> _Node:
    parser = expat.ParserCreate()
    root = _Node("#document", 1)
    stack = [root]

    def start(tag, attrs):
        node = _Node(tag, parser.CurrentLineNumber)
        stack[-1].children.append(node)
        stack.append(node)

    parser.StartElementHandler = start
    parser.EndElementHandler = lambda tag: stack.pop()
    parser.CharacterDataHandler = lambda text: stack[-1].text.append(text)
    try:
        parser.Parse(data, True)
    except expat.ExpatError as e:
        raise InputFormatError(f"not well-formed XML: {expat.errors.messages.get(e.code, str(e))} "
                               f"(column {e.offset + 1})", path=source, line=e.lineno) from e
    return root


def parse_xmlbif(data: bytes | str, source: str | None = None) -> FactorGraph:
    """Parse XMLBIF into a Bayesian-network :class:`FactorGraph`.

    Raises:
        InputFormatError: with the line: malformed XML, no NETWORK, duplicate variables or
            states, unknown variables, a TABLE of the wrong size, non-numbers, negative entries,
            rows not summing to 1 within ``CPD_TOL``, missing or repeated definitions, a cycle.
    """
    def fail(msg: str, line: int):
        raise InputFormatError(msg, path=source, line=line)

    doc = _tree(data, source)
    bif = next(iter(doc.all("BIF")), None)
    nets = (bif.all("NETWORK") if bif is not None else doc.all("NETWORK"))
    if not nets:
        fail("expected <BIF><NETWORK>...</NETWORK></BIF>; no NETWORK element found", 1)
    net = nets[0]
    name = next((n.value() for n in net.all("NAME")), "")
    states: dict[str, list[str]] = {}
    vline: dict[str, int] = {}
    for var in net.all("VARIABLE"):
        names = var.all("NAME")
        if not names or not names[0].value():
            fail("a VARIABLE has no NAME", var.line)
        vn = names[0].value()
        if vn in states:
            fail(f"variable {vn!r} is declared twice (first on line {vline[vn]})", var.line)
        outs = [o.value() for o in var.all("OUTCOME")]
        if not outs:
            fail(f"variable {vn!r} has no OUTCOME", var.line)
        if len(set(outs)) != len(outs):
            fail(f"variable {vn!r} repeats an outcome in {outs}", var.line)
        states[vn], vline[vn] = outs, var.line
    cpds: dict[str, tuple[list[str], np.ndarray, int]] = {}
    for d in net.all("DEFINITION") + net.all("PROBABILITY"):
        fors = d.all("FOR")
        if len(fors) != 1:
            fail(f"a {d.tag} needs exactly one FOR, found {len(fors)}", d.line)
        child = fors[0].value()
        parents = [g.value() for g in d.all("GIVEN")]
        for v, ln in [(child, fors[0].line)] + [(g.value(), g.line) for g in d.all("GIVEN")]:
            if v not in states:
                fail(f"{d.tag} names unknown variable {v!r}; declared: {list(states)}", ln)
        if child in cpds:
            fail(f"a second {d.tag} for {child!r} (the first is on line {cpds[child][2]})", d.line)
        tables = d.all("TABLE")
        if len(tables) != 1:
            fail(f"the {d.tag} of {child!r} needs one TABLE, found {len(tables)}", d.line)
        tab = tables[0]
        shape = [len(states[q]) for q in parents] + [len(states[child])]
        what = f"P({child}{' | ' + ', '.join(parents) if parents else ''})"
        try:
            vals = np.array([float(x) for x in tab.value().split()])
        except ValueError as e:
            fail(f"{what}: TABLE holds a non-number ({e})", tab.line)
        if vals.size != int(np.prod(shape)):
            fail(f"{what}: TABLE has {vals.size} values, expected {int(np.prod(shape))} "
                 f"({' x '.join(map(str, shape))}, the FOR variable fastest)", tab.line)
        if (vals < 0).any() or not np.isfinite(vals).all():
            fail(f"{what}: TABLE has a negative or non-finite entry; probabilities must be >= 0", tab.line)
        table = vals.reshape(shape)
        sums = table.sum(-1).reshape(-1)
        if np.abs(sums - 1).max() > CPD_TOL:
            bad = int(np.argmax(np.abs(sums - 1)))
            fail(f"{what}: row {bad} of the TABLE sums to {sums[bad]:.6g}; each row must sum to 1 "
                 f"within {CPD_TOL:g}", tab.line)
        cpds[child] = (parents, table, d.line)
    order = list(states)
    for v in order:
        if v not in cpds:
            fail(f"variable {v!r} has no DEFINITION", vline[v])
    parents_idx = [tuple(order.index(q) for q in cpds[v][0]) for v in order]
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
