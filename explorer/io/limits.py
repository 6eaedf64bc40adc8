"""Size limits for graph files, and the checks that enforce them with a helpful message."""

from __future__ import annotations

from dataclasses import dataclass

from explorer.errors import InputFormatError

__all__ = ["Limits", "DEFAULT_LIMITS", "check_size"]


@dataclass(frozen=True)
class Limits:
    """The largest graph file the readers accept (refused with :class:`InputFormatError`).

    Attributes:
        max_nodes: most nodes a graph may have.
        max_edges: most edges (undirected edges counted once, as in the file).
        max_bytes: largest file size in bytes, checked before anything is parsed.

    Example:
        >>> Limits(max_nodes=200_000).max_edges
        500000
    """

    max_nodes: int = 50_000
    max_edges: int = 500_000
    max_bytes: int = 20_000_000


DEFAULT_LIMITS = Limits()


def check_size(what: str, found: int, limits: Limits, source: str | None) -> None:
    """Raise :class:`InputFormatError` when ``found`` passes the limit named ``what``.

    Args:
        what: ``"max_nodes"``, ``"max_edges"`` or ``"max_bytes"``.
        found: the size measured.
        limits: the limits in force.
        source: the file name, for the message.
    """
    limit = getattr(limits, what)
    if found <= limit:
        return
    noun = {"max_nodes": "nodes", "max_edges": "edges", "max_bytes": "bytes"}[what]
    raise InputFormatError(
        f"expected at most {limit:,} {noun} (Limits.{what}), found {found:,}; use a smaller "
        f"graph, or raise the limit with read_graph(..., limits=Limits({what}={found:,}))".replace(
            f"={found:,})", f"={found})"),
        path=source)
