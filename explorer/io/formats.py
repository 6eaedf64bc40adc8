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
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET

import networkx as nx

from explorer.errors import InputFormatError
from explorer.io.build import merged_warning

__all__ = ["parse_graphml", "parse_gml", "parse_node_link", "parse_edgelist", "parse_adjacency_csv"]

_GML_POS = re.compile(r"at \((\d+), (\d+)\)")
_HEADER_WORDS = {"source", "target", "from", "to", "u", "v", "src", "dst", "node1", "node2",
                 "weight", "node", "id"}


def _number(tok: str) -> float | None:
    try:
        return float(tok)
    except ValueError:
        return None


# ---------------------------------------------------------------------------------- GraphML
def parse_graphml(text: str, source: str):
    """GraphML via :func:`networkx.parse_graphml`, after refusing DTDs and entities unread."""
    head = text.lower()
    for token in ("<!doctype", "<!entity"):
        if token in head:
            line = text[: head.index(token)].count("\n") + 1
            raise InputFormatError(
                f"expected plain GraphML without a DTD, found '{token.upper()[2:]}' "
                "declaration; entity declarations are refused (they can expand without bound or "
                "read other files); delete the <!DOCTYPE ...> block and save again",
                path=source, line=line)
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        line = e.position[0] if getattr(e, "position", None) else None
        raise InputFormatError(f"expected well-formed GraphML XML, found a syntax error ({e}); "
                               "check the file is complete and valid XML", path=source,
                               line=line) from e
    seen: set[str] = set()
    for el in root.iter():
        if el.tag.rsplit("}", 1)[-1] == "node":
            nid = el.get("id")
            if nid in seen:
                raise InputFormatError(f"expected unique node ids, found id {nid!r} twice; "
                                       "rename or remove the duplicate <node>", path=source)
            seen.add(nid)
    try:
        return nx.parse_graphml(text), []
    except (nx.NetworkXError, KeyError, ValueError, TypeError) as e:
        raise InputFormatError(f"expected GraphML that networkx can read, found: {e}; check "
                               "the <key> declarations and <graph> element", path=source) from e


# ---------------------------------------------------------------------------------- GML
def parse_gml(text: str, source: str):
    """GML via :func:`networkx.parse_gml`; node ids are the integer ``id`` fields."""
    try:
        return nx.parse_gml(text, label=None), []
    except nx.NetworkXError as e:
        m = _GML_POS.search(str(e))
        hint = {"duplicated": "give every node a distinct id (or every parallel edge "
                              "'multigraph 1' in the graph block)",
                "undefined": "declare every node an edge refers to"}
        fix = next((v for k, v in hint.items() if k in str(e)), "check the GML syntax")
        raise InputFormatError(f"expected valid GML, found: {e}; {fix}", path=source,
                               line=int(m.group(1)) if m else None) from e


# ---------------------------------------------------------------------------------- JSON
def _hashable(v):
    return tuple(_hashable(x) for x in v) if isinstance(v, list) else v


def parse_node_link(text: str, source: str):
    """Node-link JSON (networkx's ``node_link_data`` shape) with ``links`` or ``edges``."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputFormatError(f"expected JSON, found a syntax error ({e.msg} at column "
                               f"{e.colno}); fix the JSON", path=source, line=e.lineno) from e
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), list):
        raise InputFormatError('expected node-link JSON, an object {"nodes": [...], "links": '
                               f'[...]}}, found {type(data).__name__} without a "nodes" list; '
                               "export with networkx.node_link_data", path=source)
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
                                   f"node #{i} = {nd!r}; add the id", path=source)
        nid = _hashable(nd["id"])
        if nid in ids:
            raise InputFormatError(f"expected unique node ids, found id {nid!r} twice; rename "
                                   "or remove the duplicate node", path=source)
        ids.add(nid)
    edges = data.get(key, [])
    if not isinstance(edges, list):
        raise InputFormatError(f'expected "{key}" to be a list, found {type(edges).__name__}',
                               path=source)
    for i, ed in enumerate(edges):
        if not isinstance(ed, dict) or "source" not in ed or "target" not in ed:
            raise InputFormatError(f'expected every edge to have "source" and "target", found '
                                   f"{key}[{i}] = {ed!r}", path=source)
        for end in ("source", "target"):
            if _hashable(ed[end]) not in ids:
                raise InputFormatError(f'expected {key}[{i}].{end} to name a node in "nodes", '
                                       f"found {ed[end]!r}; add that node or fix the edge",
                                       path=source)
    data = {**data, key: edges}
    try:
        return nx.node_link_graph(data, edges=key), warnings
    except (nx.NetworkXError, KeyError, TypeError, ValueError) as e:
        raise InputFormatError(f"expected node-link JSON that networkx can read, found: {e}",
                               path=source) from e


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


def parse_edgelist(text: str, source: str):
    """``u v [weight]`` lines, whitespace or comma separated (see the module docstring)."""
    directed = False
    rows: list[tuple[int, list[str]]] = []
    for lineno, raw in enumerate(text.splitlines(), 1):
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
                f"{len(toks)} fields in {raw.strip()!r}; fix the line or remove it",
                path=source, line=lineno)
        rows.append((lineno, toks))
    warnings: list[str] = []
    if rows and {t.lower() for t in rows[0][1]} <= _HEADER_WORDS:
        warnings.append(f"The first line {', '.join(rows[0][1])} looks like a header and was "
                        "skipped.")
        rows = rows[1:]
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
                                       f"found {toks[2]!r}; fix or remove the weight",
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
def parse_adjacency_csv(text: str, source: str):
    """A square adjacency matrix, with or without a header row (see the module docstring)."""
    rows = [(n, [c.strip() for c in raw.split(",")]) for n, raw in enumerate(text.splitlines(), 1)
            if raw.strip() and not raw.strip().startswith("#")]
    if not rows:
        raise InputFormatError("expected an adjacency matrix, found no rows; the file is empty",
                               path=source)
    names = None
    if len(rows) == len(rows[0][1]) + 1:  # one more row than columns: a numeric header row
        names = rows[0][1]
        rows = rows[1:]
    elif any(_number(c) is None for c in rows[0][1][1:]) or _number(rows[0][1][0]) is None:
        names = rows[0][1]
        rows = rows[1:]
    n = len(rows)
    row_labels = False
    if names is not None and len(names) == n + 1 and names[0].lower() in ("", "id", "node"):
        names, row_labels = names[1:], True
    if names is not None:
        dup = sorted({x for x in names if names.count(x) > 1})
        if dup:
            raise InputFormatError(f"expected unique node names in the header row, found "
                                   f"{dup} more than once; rename them", path=source, line=1)
    hint = " (a .csv file is read as an adjacency matrix; save an edge list as .edgelist)"
    ncols = len(names) if names is not None else len(rows[0][1])
    matrix: list[list[float]] = []
    for lineno, cells in rows:
        if row_labels:
            cells = cells[1:]
        if len(cells) != ncols:
            raise InputFormatError(f"expected {ncols} values per row (as in the first row), "
                                   f"found {len(cells)}{hint}", path=source, line=lineno)
        vals = [_number(c) for c in cells]
        bad = next((c for c, v in zip(cells, vals) if v is None), None)
        if bad is not None:
            raise InputFormatError(f"expected numbers, found {bad!r}{hint}", path=source,
                                   line=lineno)
        if not all(math.isfinite(v) for v in vals):
            raise InputFormatError("expected finite numbers, found NaN or inf; replace them "
                                   "with 0 (no edge) or a weight", path=source, line=lineno)
        matrix.append(vals)
    if n != ncols:
        raise InputFormatError(f"expected a square matrix, found {n} rows of {ncols} values; "
                               f"give one row per node{hint}", path=source)
    ids = _intify(names) if names is not None else list(range(n))
    symmetric = all(matrix[i][j] == matrix[j][i] for i in range(n) for j in range(i + 1, n))
    G = nx.Graph() if symmetric else nx.DiGraph()
    G.add_nodes_from(ids)
    weighted = any(v not in (0.0, 1.0) for row in matrix for v in row)
    for i in range(n):
        for j in range(i if symmetric else 0, n):
            v = matrix[i][j]
            if v != 0:
                G.add_edge(ids[i], ids[j], **({"weight": v} if weighted else {}))
    warnings = [] if symmetric else ["The matrix is not symmetric, so the graph was read as "
                                     "directed (row = sender, column = receiver)."]
    return G, warnings
