"""Read a graph file or an upload into a :class:`~explorer.graph.Graph`, format by extension.

    .graphml               GraphML (networkx); <!DOCTYPE>/<!ENTITY> refused before parsing
    .gml                   GML (networkx); node ids are the integer ``id`` fields
    .json                  node-link JSON with "links" or "edges" (networkx.node_link_data)
    .edgelist .edges .txt  ``u v [weight]`` per line, whitespace or comma separated
    .csv                   a square adjacency matrix, with or without a header row

The attribute rules (``x``, ``y``, ``pos``, ``label``, ``role``, ``edge_attr``, ``weight``) are
in :mod:`explorer.io.build`; the edge list and CSV conventions in :mod:`explorer.io.formats`.
Text may be UTF-8 (with or without a BOM), or UTF-16/UTF-32 with a BOM (:mod:`explorer.io.text`).
In node-link JSON, ``"directed"`` and ``"multigraph"`` must be JSON booleans (the string
``"false"`` is refused, not read as true). An HTML page given as an edge list, CSV, JSON or GML
is refused. Every size (bytes, nodes, edges, nesting, id length, feature values) is checked
against one :class:`~explorer.io.limits.Limits` before the work it would cost.

Example:
    >>> g = read_graph_bytes(b"a b\\nb c 2.5\\n", "tiny.edgelist")
    >>> g.n_nodes, g.node_ids, g.edge_weight.tolist()
    (3, ('a', 'b', 'c'), [1.0, 1.0, 2.5, 2.5])
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from explorer.errors import InputFormatError
from explorer.graph import Graph
from explorer.io import formats
from explorer.io.build import graph_from_networkx
from explorer.io.limits import DEFAULT_LIMITS, Limits, check_size
from explorer.io.text import decode_text

__all__ = ["Limits", "GRAPH_EXTENSIONS", "read_graph", "read_graph_bytes"]

_PARSERS: dict[str, tuple[str, Callable]] = {
    ".graphml": ("GraphML", formats.parse_graphml),
    ".gml": ("GML", formats.parse_gml),
    ".json": ("node-link JSON", formats.parse_node_link),
    ".edgelist": ("edge list", formats.parse_edgelist),
    ".edges": ("edge list", formats.parse_edgelist),
    ".txt": ("edge list", formats.parse_edgelist),
    ".csv": ("adjacency CSV", formats.parse_adjacency_csv),
}

#: The file extensions :func:`read_graph` understands (lower case, with the dot).
GRAPH_EXTENSIONS: tuple[str, ...] = tuple(_PARSERS)


def read_graph_bytes(data: bytes, filename: str, *, limits: Limits | None = None) -> Graph:
    """Read an upload held in memory; the format comes from ``filename``'s extension.

    Args:
        data: the file's bytes.
        filename: the uploaded file's name (only its extension and name are used).
        limits: size limits (default :class:`Limits()`: 50,000 nodes, 500,000 edges, 20 MB,
            nesting 64, ids of 256 characters; see :mod:`explorer.io.limits`).

    Returns:
        The graph, with ``meta["source"]`` = ``filename``, ``meta["format"]`` and
        ``meta["warnings"]`` (readable sentences, possibly none).

    Raises:
        InputFormatError: unknown extension, unreadable content (not UTF-8/16/32 text, an HTML
            page, malformed syntax), an empty graph, bad features, duplicate ids, a GraphML
            DTD/entity, or any size over ``limits`` (checked before the work it would cost).
    """
    limits = limits or DEFAULT_LIMITS
    source = Path(filename).name or str(filename)
    ext = Path(filename).suffix.lower()
    if ext not in _PARSERS:
        raise InputFormatError(f"expected a file ending in one of {', '.join(GRAPH_EXTENSIONS)}, "
                               f"found {ext or 'no extension'!r}; rename or convert the file",
                               path=source)
    check_size("max_bytes", len(data), limits, source)
    fmt, parse = _PARSERS[ext]
    G, warnings = parse(decode_text(data, source), source, limits)
    return graph_from_networkx(G, source=source, fmt=fmt, limits=limits, warnings=warnings)


def read_graph(path: str | Path, *, limits: Limits | None = None) -> Graph:
    """Read a graph file; see :func:`read_graph_bytes` for the rules and the module for formats.

    Raises:
        InputFormatError: as :func:`read_graph_bytes`, and for a missing file or a file over
            ``limits.max_bytes`` (checked before reading it).
    """
    limits = limits or DEFAULT_LIMITS
    p = Path(path)
    if not p.is_file():
        raise InputFormatError("expected a graph file or a sample name, found no such file; "
                               "check the path, or run `python -m explorer samples` for the "
                               "sample names", path=str(path))
    check_size("max_bytes", p.stat().st_size, limits, str(path))
    return read_graph_bytes(p.read_bytes(), p.name, limits=limits)
