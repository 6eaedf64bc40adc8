"""One parser per file format: text in, a networkx graph and warning sentences out.

The parsers only read; :mod:`explorer.io.build` turns the networkx graph into a
:class:`~explorer.graph.Graph` and checks attributes. GraphML, GML and node-link JSON go
through networkx's own readers; edge lists and adjacency CSV are read line by line here so that
an error can name its line.

Conventions (documented for users in :func:`explorer.io.read_graph`):
    edge list   ``u v`` or ``u v weight`` per line, whitespace or comma separated; ``#`` starts a
                comment; a single token is an isolated node; read as undirected unless a line
                ``# directed`` appears before the first edge.
    CSV         a square adjacency matrix, optionally with a header row of node names (and then
                optionally a first column of the same names); a symmetric matrix is undirected,
                any other directed; entries other than 0/1 become edge weights.

Every parser takes the :class:`~explorer.io.limits.Limits` in force and is linear in the file
size: GraphML and GML get one streaming pre-scan (nesting, node/edge counts, id length, no
DTD) before networkx builds anything; JSON nesting is measured after the C decoder; edge lists
are read line by line and stop at the first node or edge over the limit; CSV rows become
numbers as they are read. Text that starts like an HTML/XML page is refused where a plain
format is expected.
"""

from __future__ import annotations

import io
import json
import math
import re
from collections import Counter
import xml.etree.ElementTree as ET
from xml.parsers import expat

import networkx as nx
import numpy as np

from explorer.errors import InputFormatError
from explorer.io.build import merged_warning
from explorer.io.limits import Limits, check_size, shown

__all__ = ["parse_graphml", "parse_gml", "parse_node_link", "parse_edgelist", "parse_adjacency_csv",
           "refuse_markup"]

_GML_POS = re.compile(r"at \((\d+), (\d+)\)")
_HEADER_WORDS = {"source", "target", "from", "to", "u", "v", "src", "dst", "node1", "node2",
                 "weight", "node", "id"}
_ASCII_FLOAT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?(?:inf|nan|infinity)",
                          re.I | re.A)


def _number(tok: str) -> float | None:
    """``float(tok)`` for an ASCII number (Python's float also reads other scripts' digits)."""
    if len(tok) > 400 or not _ASCII_FLOAT.fullmatch(tok.strip()):
        return None
    return float(tok)


def refuse_markup(text: str, source: str, fmt: str) -> None:
    """Refuse an HTML/XML page given where a plain-text format is expected (never read as data)."""
    head = text.lstrip()[:200].lower()
    if head.startswith("<"):
        kind = "an HTML page" if ("<html" in head or "<!doctype html" in head) else "markup"
        raise InputFormatError(f"expected {fmt}, found {kind} (the file starts with "
                               f"{shown(text.lstrip()[:30])}); download the raw file, not the web "
                               "page that shows it", path=source, line=1)


# ---------------------------------------------------------------------------------- GraphML
def _scan_xml(text: str, source: str, limits: Limits) -> None:
    """One expat pass, before networkx builds anything: well-formed, no DTD, nesting within
    ``max_depth``, node and edge elements within the limits, unique node ids of bounded length."""
    parser = expat.ParserCreate(namespace_separator="}")  # namespace-aware, as ElementTree is
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    depth, counts, seen = [0], {"node": 0, "edge": 0}, set()

    def where() -> int:
        return parser.CurrentLineNumber

    def doctype(*_):
        raise InputFormatError("expected plain GraphML without a DTD, found 'DOCTYPE' declaration; "
                               "entity declarations are refused (they can expand without bound or "
                               "read other files); delete the <!DOCTYPE ...> block and save again",
                               path=source, line=where())

    def start(tag, attrs):
        depth[0] += 1
        check_size("max_depth", depth[0], limits, source, line=where(),
                   context="(XML elements inside one another)")
        local = tag.rsplit("}", 1)[-1]
        if local in counts:
            counts[local] += 1
        if local == "node" and counts["node"] <= limits.max_nodes:  # ids kept up to the limit
            nid = attrs.get("id")
            if nid is None:
                raise InputFormatError('expected every <node> to have an id="..." attribute, '
                                       "found one without; add the id", path=source,
                                       line=where())
            if nid is not None and len(nid) > limits.max_id_length:
                check_size("max_id_length", len(nid), limits, source, line=where())
            if nid in seen:
                raise InputFormatError(f"expected unique node ids, found id {shown(nid)} twice; "
                                       "rename or remove the duplicate <node>", path=source,
                                       line=where())
            seen.add(nid)

    def end(tag):
        depth[0] -= 1

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(text, True)
    except expat.ExpatError as e:
        raise InputFormatError(f"expected well-formed GraphML XML, found a syntax error "
                               f"({expat.errors.messages.get(e.code, str(e))}, column "
                               f"{e.offset + 1}); check the file is complete and valid XML",
                               path=source, line=e.lineno) from None
    check_size("max_nodes", counts["node"], limits, source,
               context="(<node> elements, counted before building the graph)")
    check_size("max_edges", counts["edge"], limits, source,
               context="(<edge> elements, counted before building the graph)")


def parse_graphml(text: str, source: str, limits: Limits | None = None):
    """GraphML via :func:`networkx.parse_graphml`, after refusing DTDs and entities unread and
    checking nesting, sizes and ids in one streaming pass."""
    limits = limits or Limits()
    head = text.lower()
    for token in ("<!doctype", "<!entity"):
        if token in head:
            line = text[: head.index(token)].count("\n") + 1
            raise InputFormatError(
                f"expected plain GraphML without a DTD, found '{token.upper()[2:]}' "
                "declaration; entity declarations are refused (they can expand without bound or "
                "read other files); delete the <!DOCTYPE ...> block and save again",
                path=source, line=line)
    _scan_xml(text, source, limits)
    try:
        return nx.parse_graphml(text), []
    except ValueError as e:
        if "integer string conversion" not in str(e):
            raise InputFormatError(f"expected GraphML that networkx can read, found: "
                                   f"{shown(e, 200)}; check the <key> types and <data> values",
                                   path=source) from e
        raise InputFormatError("expected <data> values of reasonable size, found an integer of "
                               "more than 4,300 digits; remove it or declare the key as "
                               'attr.type="string"', path=source) from None
    except (nx.NetworkXError, KeyError, ValueError, TypeError, AttributeError, IndexError,
            OverflowError, RecursionError, ET.ParseError) as e:
        raise InputFormatError(f"expected GraphML that networkx can read, found: {shown(e, 200)}; "
                               "check the <key> declarations and <graph> element",
                               path=source) from e


# ---------------------------------------------------------------------------------- GML
_GML_TOKEN = re.compile(r'#[^\n]*|"[^"\n]*"|\[|\]|[^\s\[\]"#]+')


def _scan_gml(text: str, source: str, limits: Limits) -> None:
    """Linear pre-scan: nesting depth, node/edge blocks and bare-token length within limits."""
    depth, prev, line, pos = 0, "", 1, 0
    counts = {"node": 0, "edge": 0}
    for m in _GML_TOKEN.finditer(text):
        tok = m.group()
        if tok[0] == "#":
            continue
        if tok == "[":
            depth += 1
            if depth > limits.max_depth or prev in counts:
                line += text.count("\n", pos, m.start())
                pos = m.start()
            if depth > limits.max_depth:
                check_size("max_depth", depth, limits, source, line=line,
                           context="(GML lists inside one another)")
            if prev in counts and depth == 2:
                counts[prev] += 1
        elif tok == "]":
            depth -= 1
        elif tok[0] != '"' and len(tok) > limits.max_id_length:
            line += text.count("\n", pos, m.start())
            check_size("max_id_length", len(tok), limits, source, line=line,
                       context=f"in the bare token {shown(tok)}")
        elif depth == 1 and prev in ("directed", "multigraph") and tok not in ("0", "1"):
            line += text.count("\n", pos, m.start())
            raise InputFormatError(f"expected '{prev} 0' or '{prev} 1', found {prev} {shown(tok)} "
                                   f"(networkx would read any other value as 1); write 0 or 1",
                                   path=source, line=line)
        prev = tok.lower()
    for key, what in (("node", "max_nodes"), ("edge", "max_edges")):
        check_size(what, counts[key], limits, source,
                   context=f"({key} blocks, counted before building the graph)")


def parse_gml(text: str, source: str, limits: Limits | None = None):
    """GML via :func:`networkx.parse_gml`; node ids are the integer ``id`` fields."""
    limits = limits or Limits()
    refuse_markup(text, source, "GML (graph [ node [ id 0 ] ... ])")
    _scan_gml(text, source, limits)
    try:
        return nx.parse_gml(text, label=None), []
    except nx.NetworkXError as e:
        m = _GML_POS.search(str(e))
        hint = {"duplicated": "give every node a distinct id (or every parallel edge "
                              "'multigraph 1' in the graph block)",
                "undefined": "declare every node an edge refers to"}
        fix = next((v for k, v in hint.items() if k in str(e)), "check the GML syntax")
        raise InputFormatError(f"expected valid GML, found: {shown(e, 200)}; {fix}", path=source,
                               line=int(m.group(1)) if m else None) from e
    except (KeyError, ValueError, TypeError, AttributeError, IndexError, OverflowError,
            RecursionError) as e:
        raise InputFormatError(f"expected valid GML, found: {type(e).__name__} {shown(e, 200)}; "
                               "check the GML syntax (graph [ node [ id 0 ] edge [ source 0 "
                               "target 0 ] ])", path=source) from e


# ---------------------------------------------------------------------------------- JSON
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')


def _json_depth(text: str) -> tuple[int, int]:
    """The deepest nesting of arrays/objects in *valid* JSON text, and its offset (linear)."""
    bare = _JSON_STRING.sub('""', text).encode("utf-8", "replace")
    b = np.frombuffer(bare, dtype=np.uint8)
    idx = np.flatnonzero((b == 91) | (b == 123) | (b == 93) | (b == 125))
    if idx.size == 0:
        return 0, 0
    step = np.where((b[idx] == 91) | (b[idx] == 123), 1, -1).astype(np.int32)
    depth = np.cumsum(step)
    k = int(np.argmax(depth))
    return int(depth[k]), int(idx[k])


def _node_id(v, i: int, source: str, limits: Limits):
    """A node-link id: a string, an integer or a finite number, or a flat list of them."""
    def bad(why):
        raise InputFormatError(f'expected node #{i}\'s "id" to be a string or a number (or a flat '
                               f"list of them), found {why}; give every node a plain id",
                               path=source)
    if isinstance(v, list):
        if len(v) > 16 or any(isinstance(x, (list, dict)) for x in v):
            bad(f"a list of {len(v):,} items" if len(v) > 16 else "a nested list")
        return tuple(_node_id(x, i, source, limits) for x in v)
    if isinstance(v, bool) or v is None or isinstance(v, dict):
        bad(shown(json.dumps(v) if not isinstance(v, dict) else "{...}"))
    if isinstance(v, str) and len(v) > limits.max_id_length:
        check_size("max_id_length", len(v), limits, source, context=f"in node #{i}'s id")
    if isinstance(v, int) and v.bit_length() > 3.33 * limits.max_id_length:
        check_size("max_id_length", int(v.bit_length() * 0.30103), limits, source,
                   context=f"(digits) in node #{i}'s id")
    if isinstance(v, float) and not math.isfinite(v):
        bad(repr(v))
    return v


def _strict_bool(data: dict, key: str, source: str) -> None:
    if key in data and not isinstance(data[key], bool):
        raise InputFormatError(f'expected "{key}" to be true or false, found '
                               f"{shown(json.dumps(data[key]) if not isinstance(data[key], dict) else '{...}')}"
                               f" (a {type(data[key]).__name__}); write {key}: true or false "
                               "without quotes", path=source)


def parse_node_link(text: str, source: str, limits: Limits | None = None):
    """Node-link JSON (networkx's ``node_link_data`` shape) with ``links`` or ``edges``.

    ``directed`` and ``multigraph`` must be JSON booleans: the string ``"false"`` is refused
    (it is not false in networkx, which would read the graph as directed).
    """
    limits = limits or Limits()
    refuse_markup(text, source, "node-link JSON")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputFormatError(f"expected JSON, found a syntax error ({e.msg} at column "
                               f"{e.colno}); fix the JSON", path=source, line=e.lineno) from e
    except RecursionError:
        raise InputFormatError(f"expected at most {limits.max_depth} levels of nesting "
                               "(Limits.max_depth), found more than Python's JSON reader can "
                               "follow; flatten the file", path=source) from None
    except ValueError:  # an integer of more than 4,300 digits (Python's int/str limit)
        raise InputFormatError("expected JSON numbers of reasonable size, found an integer of "
                               "more than 4,300 digits; write long ids as strings and remove "
                               "such numbers", path=source) from None
    depth, at = _json_depth(text)
    if depth > limits.max_depth:
        check_size("max_depth", depth, limits, source, line=text.count("\n", 0, at) + 1,
                   context="(JSON arrays/objects inside one another)")
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), list):
        raise InputFormatError('expected node-link JSON, an object {"nodes": [...], "links": '
                               f'[...]}}, found {type(data).__name__} without a "nodes" list; '
                               "export with networkx.node_link_data", path=source)
    check_size("max_nodes", len(data["nodes"]), limits, source)
    if not isinstance(data.get("graph", {}), dict):
        raise InputFormatError(f'expected "graph" to be an object of graph attributes, found '
                               f'{type(data["graph"]).__name__}; write "graph": {{}} or remove it',
                               path=source)
    for key in ("directed", "multigraph"):
        _strict_bool(data, key, source)
    keys = [k for k in ("links", "edges") if k in data]
    if len(keys) == 2:
        raise InputFormatError('expected one edge list, found both "links" and "edges"; keep '
                               "one of them", path=source)
    key = keys[0] if keys else "links"
    warnings = [] if keys else ['The file has no "links" or "edges" list, so the graph has no '
                                "edges."]
    if "directed" not in data:
        warnings.append('The file does not say whether the graph is directed ("directed" key); '
                        'it was read as undirected. Add "directed": true if it is directed.')
    ids: set = set()
    for i, nd in enumerate(data["nodes"]):
        if not isinstance(nd, dict) or "id" not in nd:
            raise InputFormatError(f'expected every node to be an object with an "id", found '
                                   f"node #{i} = {shown(nd)}; add the id", path=source)
        nid = _node_id(nd["id"], i, source, limits)
        if nid in ids:
            raise InputFormatError(f"expected unique node ids, found id {shown(nid)} twice; rename "
                                   "or remove the duplicate node", path=source)
        ids.add(nid)
    edges = data.get(key, [])
    if not isinstance(edges, list):
        raise InputFormatError(f'expected "{key}" to be a list, found {type(edges).__name__}',
                               path=source)
    check_size("max_edges", len(edges), limits, source, context=f'(the "{key}" list)')
    for i, ed in enumerate(edges):
        if not isinstance(ed, dict) or "source" not in ed or "target" not in ed:
            raise InputFormatError(f'expected every edge to have "source" and "target", found '
                                   f"{key}[{i}] = {shown(ed)}", path=source)
        for end in ("source", "target"):
            v = ed[end]
            v = tuple(v) if isinstance(v, list) and all(not isinstance(x, (list, dict)) for x in v) else v
            try:
                known = v in ids
            except TypeError:
                known = False
            if not known:
                raise InputFormatError(f'expected {key}[{i}].{end} to name a node in "nodes", '
                                       f"found {shown(ed[end])}; add that node or fix the edge",
                                       path=source)
    data = {**data, key: edges}
    try:
        return nx.node_link_graph(data, edges=key), warnings
    except (nx.NetworkXError, KeyError, TypeError, ValueError, AttributeError,
            RecursionError) as e:
        raise InputFormatError(f"expected node-link JSON that networkx can read, found: "
                               f"{shown(e, 200)}", path=source) from e


# ---------------------------------------------------------------------------------- edge list
def _is_int(t: str) -> bool:
    body = t[1:] if t[:1] in "+-" else t
    return body.isascii() and body.isdigit()


def _intify(tokens: list[str]) -> list:
    if tokens and all(map(_is_int, tokens)):
        as_int = [int(t) for t in tokens]
        if len(set(as_int)) == len(set(tokens)):  # "01" and "1" stay distinct
            return as_int
    return tokens


def parse_edgelist(text: str, source: str, limits: Limits | None = None):
    """``u v [weight]`` lines, whitespace or comma separated (see the module docstring).

    One pass; the node and edge limits are checked line by line, so a file of a million
    isolated nodes is refused at the first node over the limit.
    """
    limits = limits or Limits()
    refuse_markup(text, source, "an edge list ('u v [weight]' per line)")
    directed = False
    rows: list[tuple[int, list[str]]] = []
    names: set[str] = set()
    pairs: set[tuple[str, str]] = set()
    warnings: list[str] = []
    header_checked = False
    for lineno, raw in enumerate(io.StringIO(text), 1):     # lazily, line by line
        line = raw.strip()
        if line.startswith("#"):
            if line.lstrip("#").strip().lower() == "directed" and not rows:
                directed = True
            continue
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        toks = [t.strip() for t in (line.split(",") if "," in line else line.split())]
        if any(t == "" for t in toks) or len(toks) > 3:
            raise InputFormatError(
                f"expected 'u v' or 'u v weight' (whitespace or comma separated), found "
                f"{len(toks)} fields in {shown(raw.strip())}; fix the line or remove it",
                path=source, line=lineno)
        if not header_checked:
            header_checked = True
            if {t.lower() for t in toks} <= _HEADER_WORDS:
                warnings.append(f"The first line {', '.join(toks)} looks like a header and was "
                                "skipped.")
                continue
        for t in toks[:2]:
            if len(t) > limits.max_id_length:
                check_size("max_id_length", len(t), limits, source, line=lineno,
                           context=f"in the id {shown(t)}")
            names.add(t)
        if len(names) > limits.max_nodes:
            check_size("max_nodes", len(names), limits, source, line=lineno,
                       context="at least (reading stopped there)")
        if len(toks) > 1:
            pairs.add((toks[0], toks[1]))
            if len(pairs) > limits.max_edges:
                check_size("max_edges", len(pairs), limits, source, line=lineno,
                           context="at least (distinct pairs; reading stopped there)")
        rows.append((lineno, toks))
    del names, pairs
    ends = _intify([t for _, toks in rows for t in toks[:2]])
    G = nx.DiGraph() if directed else nx.Graph()
    k, repeated = 0, 0
    for lineno, toks in rows:
        a = ends[k]
        if len(toks) == 1:
            G.add_node(a)
            k += 1
            continue
        b = ends[k + 1]
        k += 2
        attrs = {}
        if len(toks) == 3:
            w = _number(toks[2])
            if w is None or not math.isfinite(w):
                raise InputFormatError(f"expected a finite number as the weight in column 3, "
                                       f"found {shown(toks[2])}; fix or remove the weight",
                                       path=source, line=lineno)
            attrs["weight"] = w
        if G.has_edge(a, b):
            repeated += 1
            continue
        G.add_edge(a, b, **attrs)
    if repeated:
        warnings.append(merged_warning(repeated, "edge list", directed))
    return G, warnings


# ---------------------------------------------------------------------------------- CSV
def parse_adjacency_csv(text: str, source: str, limits: Limits | None = None):
    """A square adjacency matrix, with or without a header row (see the module docstring).

    Rows are converted to numbers as they are read (8 bytes per cell); the number of columns
    is checked against ``max_nodes`` on the first row, the nonzero count against ``max_edges``
    while reading.
    """
    limits = limits or Limits()
    refuse_markup(text, source, "an adjacency matrix (comma-separated numbers)")
    hint = " (a .csv file is read as an adjacency matrix; save an edge list as .edgelist)"
    lines = ((n, raw) for n, raw in enumerate(text.splitlines(), 1)
             if raw.strip() and not raw.strip().startswith("#"))
    first = next(lines, None)
    if first is None:
        raise InputFormatError("expected an adjacency matrix, found no rows; the file is empty",
                               path=source)
    head = [c.strip() for c in first[1].split(",")]
    check_size("max_nodes", len(head) - 1, limits, source, line=first[0],
               context="(columns of the first row)")
    rest = list(lines)  # (line number, raw text): no per-cell objects yet
    names = None
    if len(rest) + 1 == len(head) + 1:  # one more row than columns: a numeric header row
        names = head
    elif any(_number(c) is None for c in head[1:]) or _number(head[0]) is None:
        names = head
    rows = rest if names is not None else [first] + rest
    n = len(rows)
    check_size("max_nodes", n, limits, source, context="(rows of the matrix)")
    row_labels = False
    if names is not None and len(names) == n + 1 and names[0].lower() in ("", "id", "node"):
        names, row_labels = names[1:], True
    if names is not None:
        dup = sorted(x for x, c in Counter(names).items() if c > 1)
        if dup:
            raise InputFormatError(f"expected unique node names in the header row, found "
                                   f"{shown(dup[:5], 120)} more than once; rename them",
                                   path=source, line=first[0])
        for x in names:
            if len(x) > limits.max_id_length:
                check_size("max_id_length", len(x), limits, source, line=first[0],
                           context=f"in the header name {shown(x)}")
    ncols = len(names) if names is not None else len(head)
    matrix = np.zeros((n, ncols)) if n == ncols else None
    nnz = 0
    for r, (lineno, raw) in enumerate(rows):
        cells = [c.strip() for c in raw.split(",")]
        if row_labels:
            cells = cells[1:]
        if len(cells) != ncols:
            raise InputFormatError(f"expected {ncols} values per row (as in the first row), "
                                   f"found {len(cells)}{hint}", path=source, line=lineno)
        try:  # fast path: ASCII numbers (float() alone would accept '1_0' and other scripts)
            if not raw.isascii() or "_" in raw:
                raise ValueError
            vals = np.array(cells, dtype=np.float64)
        except ValueError:
            vals = [_number(c) for c in cells]
            bad = next((c for c, v in zip(cells, vals) if v is None), None)
            if bad is not None:
                raise InputFormatError(f"expected numbers, found {shown(bad)}{hint}",
                                       path=source, line=lineno) from None
            vals = np.array(vals, dtype=np.float64)
        if not np.isfinite(vals).all():
            raise InputFormatError("expected finite numbers, found NaN or inf; replace them "
                                   "with 0 (no edge) or a weight", path=source, line=lineno)
        if matrix is not None:
            matrix[r] = vals
        nnz += int(np.count_nonzero(vals))
        if nnz > 2 * limits.max_edges + n:
            check_size("max_edges", (nnz - n) // 2, limits, source, line=lineno,
                       context="(at least, counting nonzero entries while reading)")
    if matrix is None:
        raise InputFormatError(f"expected a square matrix, found {n} rows of {ncols} values; "
                               f"give one row per node{hint}", path=source)
    ids = _intify(names) if names is not None else list(range(n))
    symmetric = bool((matrix == matrix.T).all())
    G = nx.Graph() if symmetric else nx.DiGraph()
    G.add_nodes_from(ids)
    weighted = bool(((matrix != 0) & (matrix != 1)).any())
    ii, jj = np.nonzero(np.triu(matrix) if symmetric else matrix)
    for i, j in zip(ii.tolist(), jj.tolist()):
        G.add_edge(ids[i], ids[j], **({"weight": float(matrix[i, j])} if weighted else {}))
    warnings = [] if symmetric else ["The matrix is not symmetric, so the graph was read as "
                                     "directed (row = sender, column = receiver)."]
    return G, warnings
