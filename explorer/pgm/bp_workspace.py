"""Per-run scratch buffers of the BP kernel and its internal "zero everywhere" signal (see
:mod:`explorer.pgm.bp_core` for the layout they serve)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from explorer.pgm.bp_core import Layout

__all__ = ["Workspace", "ZeroMessage", "bshape"]


class ZeroMessage(Exception):
    """Internal: a message or belief is zero everywhere (``where`` names it)."""

    def __init__(self, where: str):
        self.where = where
        super().__init__(where)


def bshape(a: int, j: int, c: int) -> tuple[int, ...]:
    """Broadcast shape of a ``[c, G]`` message at axis ``j`` of an ``[c_0, ..., c_{a-1}, G]`` table."""
    return (1,) * j + (c,) + (1,) * (a - j - 1) + (-1,)


class Workspace:
    """Per-run scratch buffers (a Layout is shared between runs, its buffers are not).

    Attributes:
        x: ``[S]`` linear var -> factor messages (``exp`` of the log ones).
        lin: ``[S]`` linear factor -> var messages, normalised after :meth:`Layout.factor_to_var`
            (then ``lin_ok``; False when some were recomputed in the log domain).
        scratch: ``[largest group table]`` for max-product products (max mode only).
        zero: True once a zero message entry may appear (exact zero counting on).
        ready: True when ``x`` already holds ``exp`` of the var -> factor messages the next
            :meth:`Layout.factor_to_var` receives (a recorder computed it for the factor
            beliefs into :meth:`spare_x` and called :meth:`swap`); that call then skips its
            ``exp`` pass.
    """

    def __init__(self, lay: "Layout", mode: str = "sum"):
        self.S = lay.S
        self.xl = np.empty(2 * lay.S)            # x then lin, back to back (the recorder's rows)
        self.x, self.lin = self.xl[:lay.S], self.xl[lay.S:]
        self._alt: np.ndarray | None = None      # a second [x, lin] pair, made on first use
        self.ready = False
        self.lin_ok = False
        big = max((g["size"] for g in lay.groups if g["arity"] > 1), default=0)
        self.scratch = np.empty(big if mode == "max" else 0)
        self.zero = lay.has_zero

    def spare_x(self) -> np.ndarray:
        """The ``x`` part of the other ``[x, lin]`` pair (nothing reads it until :meth:`swap`)."""
        if self._alt is None:
            self._alt = np.empty(2 * self.S)
        return self._alt[:self.S]

    def swap(self) -> None:
        """Make the other pair current, its ``x`` (filled by the caller) ready for the next
        :meth:`Layout.factor_to_var`."""
        self.spare_x()
        self.xl, self._alt = self._alt, self.xl
        self.x, self.lin = self.xl[:self.S], self.xl[self.S:]
        self.ready = True
