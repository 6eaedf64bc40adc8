"""The one set of size limits every reader enforces, and the check that refuses with a message.

Every reader (graphs in :mod:`explorer.io`, models in :mod:`explorer.pgm.bif`,
:mod:`~explorer.pgm.uai`, :mod:`~explorer.pgm.xmlbif` and :mod:`~explorer.pgm.evidence`) checks a
*declared* size against :class:`Limits` **before** it allocates or parses further: a file that
says ``[ 100000 ]`` states, or a CPD whose parents multiply to 10^10 entries, is refused after
reading the few bytes that declare it. Products of sizes are Python integers (no int64
overflow). Refusals are :class:`~explorer.errors.InputFormatError` with one line: the limit,
what the file declares, and how to raise the limit.

Defaults (``Limits()``), chosen so that anything accepted is read in seconds and in well under
a gigabyte on a laptop:

    ======================  ============  ==================================================
    field                   default       what it bounds
    ======================  ============  ==================================================
    max_nodes               50,000        nodes of a graph
    max_edges               500,000       edges of a graph (undirected counted once)
    max_bytes               20,000,000    file size, checked before the file is read
    max_depth               64            nesting of JSON arrays/objects, GML lists, XML
    max_id_length           256           characters of a node id, name or state name
                                          (an integer id: its decimal digits)
    max_feature_values      5,000,000     numbers in x, edge_attr and pos together
    max_variables           100,000       variables of a model
    max_factors             500,000       factors (CPDs) of a model
    max_cardinality         10,000        states of one variable
    max_scope               32            variables in one factor (numpy allows 64 axes)
    max_table_entries       10,000,000    entries of one factor table (80 MB of float64)
    max_total_entries       20,000,000    entries of all factor tables together
    ======================  ============  ==================================================

New fields may be added (a number with a default, or None for "no limit"); code constructs
``Limits`` by keyword beyond the first three positional ones.

Example:
    >>> Limits(max_nodes=200_000).max_edges
    500000
    >>> check_size("max_cardinality", 3, Limits(), "m.bif")  # within the limit: no error
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from explorer.errors import InputFormatError, ModelError

__all__ = ["Limits", "DEFAULT_LIMITS", "check_size", "shown", "count_text"]


@dataclass(frozen=True)
class Limits:
    """The largest input the readers accept (see the module docstring for the table).

    Attributes:
        max_nodes: most nodes a graph may have.
        max_edges: most edges (undirected edges counted once, as in the file).
        max_bytes: largest file size in bytes, checked before anything is parsed.
        max_depth: deepest nesting of JSON arrays/objects, GML ``[ ]`` lists or XML elements.
        max_id_length: longest node id, variable or state name (characters; digits for an int).
        max_feature_values: most numbers in the node and edge feature arrays together.
        max_variables: most variables in a model.
        max_factors: most factors (CPDs, UAI functions) in a model.
        max_cardinality: most states of one variable.
        max_scope: most variables in one factor's scope.
        max_table_entries: most entries in one factor table.
        max_total_entries: most entries in all factor tables of a model together.
    """

    max_nodes: int = 50_000
    max_edges: int = 500_000
    max_bytes: int = 20_000_000
    max_depth: int = 64
    max_id_length: int = 256
    max_feature_values: int = 5_000_000
    max_variables: int = 100_000
    max_factors: int = 500_000
    max_cardinality: int = 10_000
    max_scope: int = 32
    max_table_entries: int = 10_000_000
    max_total_entries: int = 20_000_000

    def __post_init__(self) -> None:
        for f in fields(self):  # every limit is a number >= 0 (None: a field with no limit)
            v = getattr(self, f.name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))
                                  or not v >= 0):
                raise ModelError(f"Limits.{f.name} must be a number >= 0, got {v!r}")
        if self.max_scope > 64:
            raise ModelError(f"Limits.max_scope can be at most 64 (numpy's limit on the number of "
                             f"array dimensions), got {self.max_scope}")


DEFAULT_LIMITS = Limits()

#: the noun each limit counts, for messages
_NOUNS = {"max_nodes": "nodes", "max_edges": "edges", "max_bytes": "bytes",
          "max_depth": "levels of nesting", "max_id_length": "characters in an id or name",
          "max_feature_values": "feature values", "max_variables": "variables",
          "max_factors": "factors", "max_cardinality": "states per variable",
          "max_scope": "variables in one factor", "max_table_entries": "entries in one table",
          "max_total_entries": "table entries in all"}
_GRAPH_FIELDS = {"max_nodes", "max_edges", "max_bytes", "max_depth", "max_id_length",
                 "max_feature_values"}


def count_text(n: int) -> str:
    """``n`` with thousands separators, or its order of magnitude when it has over 15 digits.

    Example:
        >>> count_text(1234567), count_text(2 ** 200)
        ('1,234,567', 'about 1.6e+60')
    """
    if abs(n) < 10 ** 15:
        return f"{n:,}"
    digits = len(str(abs(n))) if abs(n).bit_length() < 4000 else None
    if digits is None:
        return f"a number of about {int(abs(n).bit_length() * 0.30103)} digits"
    lead = int(str(abs(n))[:2])
    return f"about {lead / 10:.1f}e+{digits - 1:02d}"


def shown(token: object, width: int = 40) -> str:
    """``repr(token)`` (an exception: its text) cut to ``width`` characters, for quoting file
    content in a message without copying megabytes into it.

    Example:
        >>> shown("x" * 100, 10), shown([1, 2]), shown(10 ** 5000)
        ("'xxxxxxx… (102 characters)", '[1, 2]', 'an integer of about 5,000 digits')
    """
    if isinstance(token, int) and not isinstance(token, bool) and token.bit_length() > 4000:
        digits = len(str(abs(token))) if token.bit_length() < 14_000 else None
        return (f"an integer of {digits:,} digits" if digits else
                f"an integer of about {int(token.bit_length() * 0.30103):,} digits")
    text = str(token) if isinstance(token, BaseException) else repr(token)
    if len(text) <= width:
        return text
    return text[: width - 2] + "…" + f" ({len(text):,} characters)"


def check_size(what: str, found: int, limits: Limits, source: str | None, *,
               line: int | None = None, context: str = "", reader: str = "") -> None:
    """Raise :class:`InputFormatError` when ``found`` passes the limit named ``what``.

    Args:
        what: a field of :class:`Limits`, e.g. ``"max_nodes"`` or ``"max_table_entries"``.
        found: the size declared or measured (any Python int; never overflows).
        limits: the limits in force.
        source: the file name, for the message.
        line: the line that declares the size, when known.
        context: words placed after the count, e.g. ``"for P(B | A)"``.
        reader: the function the message tells the user to pass ``limits=`` to (default
            ``read_graph`` for graph limits, ``read_model`` for model limits).
    """
    limit = getattr(limits, what)
    if found <= limit:
        return
    noun = _NOUNS.get(what, what.removeprefix("max_").replace("_", " "))
    call = reader or ("read_graph" if what in _GRAPH_FIELDS else "read_model")
    value = found if found < 10 ** 15 else "..."
    raise InputFormatError(
        f"expected at most {limit:,} {noun} (Limits.{what}), found {count_text(found)}"
        f"{' ' + context if context else ''}; use a smaller "
        f"{'graph' if call == 'read_graph' else 'model'}, or raise the limit with "
        f"{call}(..., limits=Limits({what}={value}))", path=source, line=line)
