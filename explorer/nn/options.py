"""Ranges of the numeric command-line options of ``gnn`` and ``oversmooth``, checked before any
work, so that a value out of range gives one ``error:`` line and exit status 2 (through
:class:`~explorer.errors.ModelError` and :func:`explorer.cli.main`), never a traceback.

argparse already refuses what is not a number; :func:`check_options` refuses numbers outside
the ranges below, NaN and infinities included. Upper bounds keep a single command's weights
and activations to a few hundred MB.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass

from explorer.errors import ModelError

__all__ = ["Range", "check_options", "SEED_MAX", "GNN_RANGES", "OVERSMOOTH_RANGES"]

SEED_MAX = 2**32 - 1


@dataclass(frozen=True)
class Range:
    """``lo <= value <= hi`` (``lo < value`` / ``value < hi`` when open); ``None``: unbounded."""

    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False

    def text(self) -> str:
        left = "-inf" if self.lo is None else f"{self.lo:g}"
        right = "inf" if self.hi is None else f"{self.hi:g}"
        return f"{'(' if self.lo_open or self.lo is None else '['}{left}, {right}{')' if self.hi_open or self.hi is None else ']'}"

    def holds(self, v: float) -> bool:
        if isinstance(v, float) and not math.isfinite(v):
            return False
        if self.lo is not None and (v <= self.lo if self.lo_open else v < self.lo):
            return False
        return not (self.hi is not None and (v >= self.hi if self.hi_open else v > self.hi))


#: option (argparse dest) -> allowed range, for ``python -m explorer gnn``
GNN_RANGES = {"layers": Range(1, 64), "hidden": Range(1, 1024), "heads": Range(1, 64),
              "out_channels": Range(1, 1024), "seed": Range(0, SEED_MAX)}

#: option (argparse dest) -> allowed range, for ``python -m explorer oversmooth``
OVERSMOOTH_RANGES = {"hidden": Range(1, 512), "seed": Range(0, SEED_MAX),
                     "dropedge_p": Range(0, 1, hi_open=True), "pairnorm_scale": Range(0, 1e6, lo_open=True),
                     "alpha": Range(0, 1), "lam": Range(0, 1e6)}


def check_options(args: argparse.Namespace, ranges: dict[str, Range]) -> None:
    """Raise :class:`ModelError` for the first option of ``args`` outside its range
    (``None`` values, options left unset, pass).

    Example:
        >>> check_options(argparse.Namespace(heads=2), GNN_RANGES)   # in range: no error
    """
    for dest, rng in ranges.items():
        v = getattr(args, dest, None)
        if v is None or rng.holds(v):
            continue
        flag = "--" + dest.replace("_", "-")
        kind = "an integer" if isinstance(v, int) else "a number"
        raise ModelError(f"{flag}: expected {kind} in {rng.text()}, found {v}; pass a value in that range")
