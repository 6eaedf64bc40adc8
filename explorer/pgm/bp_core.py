"""The vectorised arithmetic of belief propagation on a factor graph, in memory proportional
to the model.

Only factor -> variable messages ``m_{I->i}`` are stored (as libDAI does); a variable -> factor
message is the product of the variable's *other* incoming factor messages.

Layout (internal; the Trace uses the factor graph's own edge ids). Nothing is padded: a message
to a variable of c states has c entries, and a factor table keeps its own shape.

- **Messages** are one flat float64 array of ``S = sum of the message lengths`` log values.
  Messages of equal length c form a *width class*, stored **state-major** as a ``[c, n_c]``
  block (entry ``(s, col)`` at ``off_c + s * n_c + col``), so every reduction over a message's
  states (max, sum) is a cheap reduction over the outer axis. The internal pair order ``q`` is
  class by class, column by column.
- **Factors** are grouped by their *cardinality signature* (the cards of their scope, in scope
  order); a group of G factors keeps one ``[c_0, ..., c_{a-1}, G]`` table (factor index last).
  The messages of the group's factors at scope position k are G consecutive columns of their
  width class, so a factor -> variable update is a few numpy operations per (group, position),
  never a Python loop over messages, and never a table of ``K**arity`` for the model's largest K.
- **Variable states** (beliefs, the per-variable sums of messages) are one flat array of
  ``sum of the cards`` entries, state-major per class of equal cardinality as well.
- **Factor beliefs** are one flat array laid out like the stacked tables (``sum of the table
  sizes``); :meth:`Layout.group_view` shows a group's part as ``[c_0, ..., G]``.

So the layout holds O(sum of table sizes + sum of message lengths) numbers (see
:meth:`Layout.nbytes`), and one iteration does O(the same) work.

Factor sums are done in the linear domain on max-scaled tables and max-shifted incoming
messages (fast, and exact zeros stay zeros); a message that comes out zero everywhere is
recomputed in the log domain before it is declared impossible. Leave-one-out products on the
variable side count zeros instead of subtracting ``-inf``, so no NaN ever appears (the fast path
without that count is used while no message has a zero entry, and left as soon as one has).

A :class:`Layout` is read-only after construction (apart from index arrays built on first use
by the recorder), so one can serve many runs; the per-run scratch buffers live in a
:class:`Workspace`.

The arithmetic lives in three mixins of :class:`Layout`: :mod:`explorer.pgm.bp_variables`
(variable side), :mod:`explorer.pgm.bp_factors` (factor side) and :mod:`explorer.pgm.bp_beliefs`
(beliefs, Bethe free energy, gathers for recording); :mod:`explorer.pgm.bp_workspace` holds the
per-run buffers. This module builds the layout and its views.
"""

from __future__ import annotations

import numpy as np

from explorer.pgm.bp_beliefs import BeliefSide
from explorer.pgm.bp_factors import FactorSide
from explorer.pgm.bp_variables import VariableSide
from explorer.pgm.bp_workspace import Workspace, ZeroMessage
from explorer.pgm.exact import safe_log
from explorer.pgm.factor_graph import FactorGraph

__all__ = ["Layout", "Workspace", "ZeroMessage"]


class Layout(VariableSide, FactorSide, BeliefSide):
    """Index arrays and stacked tables for one factor graph (see the module docstring).

    Shapes (P pairs, S message entries, Sv variable states, St table entries; internal pair
    order ``q``):
        var, fac: ``[P]`` the variable and factor of internal pair ``q``; ext_to_int: ``[P]``
        internal id of the factor graph's pair ``p`` (see :meth:`FactorGraph.edge_pairs`);
        int_to_ext: its inverse; q_e0, q_stride, q_width: ``[P]`` where pair ``q``'s message
        lies (entries ``q_e0 + s * q_stride``, ``s < q_width``); ent_vs: ``[S]`` the variable
        state of each message entry; vbase, vstride: ``[V]`` where variable ``i``'s states lie
        in a ``[Sv]`` array; T, logT: ``[St]`` the stacked (max-scaled) tables and their logs.
    """

    def __init__(self, fg: FactorGraph):
        self.fg = fg
        self.V, self.F = fg.n_vars, fg.n_factors
        self.cards = np.asarray(fg.cards, dtype=np.int64)
        ext_var, ext_fac, ext_pos = fg.edge_pairs()
        self.P = int(ext_var.size)
        self.pos = ext_pos
        arities = np.array([f.arity for f in fg.factors], dtype=np.int64)
        self.pstart = np.concatenate([[0], np.cumsum(arities)]).astype(np.int64)
        self.uniform = bool(self.V == 0 or (self.cards == self.cards[0]).all())
        self.K = int(self.cards.max()) if self.V else 1
        # ---- variable states: classes of equal cardinality, state-major
        self.vbase = np.zeros(self.V, np.int64)
        self.vstride = np.ones(self.V, np.int64)
        self.vclasses: list[tuple[int, int, int, np.ndarray]] = []   # (card, offset, n, vars)
        off = 0
        for c in sorted(set(self.cards.tolist())):
            vs = np.flatnonzero(self.cards == c)
            self.vbase[vs] = off + np.arange(vs.size)
            self.vstride[vs] = vs.size
            self.vclasses.append((c, off, int(vs.size), vs))
            off += c * vs.size
        self.Sv = off
        self.deg = np.bincount(ext_var, minlength=self.V)
        # ---- factor groups by cardinality signature
        by_sig: dict[tuple[int, ...], list[int]] = {}
        for k, f in enumerate(fg.factors):
            by_sig.setdefault(tuple(f.table.shape), []).append(k)
        ncol: dict[int, int] = {}
        self.groups: list[dict] = []
        self.group_of = np.zeros(self.F, np.int64)
        self.row_of = np.zeros(self.F, np.int64)
        toff = 0
        for sig, fids in sorted(by_sig.items(), key=lambda kv: (len(kv[0]), kv[0])):
            fids_a = np.asarray(fids, dtype=np.int64)
            g = fids_a.size
            self.group_of[fids_a], self.row_of[fids_a] = len(self.groups), np.arange(g)
            blocks = []
            for c in sig:
                blocks.append((c, ncol.get(c, 0)))
                ncol[c] = ncol.get(c, 0) + g
            size = int(np.prod(sig, dtype=np.int64)) * g
            self.groups.append({"sig": sig, "arity": len(sig), "fids": fids_a, "G": g,
                                "toff": toff, "size": size, "blocks": blocks,
                                "contiguous": bool(np.all(np.diff(fids_a) == 1))})
            toff += size
        self.St = toff
        # ---- message width classes, state-major; internal pair ids class by class
        self.mclasses: dict[int, tuple[int, int, int]] = {}     # card -> (entry offset, n, qstart)
        e, qn = 0, 0
        for c in sorted(ncol):
            self.mclasses[c] = (e, ncol[c], qn)
            e += c * ncol[c]
            qn += ncol[c]
        self.S = e
        self.ext_to_int = np.zeros(self.P, dtype=np.int64)
        for gr in self.groups:
            starts = self.pstart[gr["fids"]]
            for k, (c, col0) in enumerate(gr["blocks"]):
                self.ext_to_int[starts + k] = self.mclasses[c][2] + col0 + np.arange(gr["G"])
        self.int_to_ext = np.empty(self.P, dtype=np.int64)
        self.int_to_ext[self.ext_to_int] = np.arange(self.P)
        self.var = ext_var[self.int_to_ext] if self.P else np.zeros(0, np.int64)
        self.fac = ext_fac[self.int_to_ext] if self.P else np.zeros(0, np.int64)
        self.q_width = self.cards[self.var] if self.P else np.zeros(0, np.int64)
        self.q_e0 = np.zeros(self.P, np.int64)
        self.q_stride = np.zeros(self.P, np.int64)
        self.ent_vs = np.zeros(self.S, np.int64)
        for c, (eoff, n, qs) in self.mclasses.items():
            self.q_e0[qs:qs + n] = eoff + np.arange(n)
            self.q_stride[qs:qs + n] = n
            v = self.var[qs:qs + n]
            self.ent_vs[eoff:eoff + c * n] = (self.vbase[v][None, :] + np.arange(c)[:, None]
                                              * self.vstride[v][None, :]).ravel()
        # ---- stacked tables, max-scaled per factor
        self.T = np.empty(self.St)
        self.logT = np.empty(self.St)
        has_zero = False
        for gr in self.groups:
            a, g = gr["arity"], gr["G"]
            lt = self.group_view(self.logT, gr)
            for r, k in enumerate(gr["fids"].tolist()):
                lt[..., r] = safe_log(fg.factors[k].table)
            top = lt.reshape(-1, g).max(axis=0) if a else lt.copy()
            top = np.where(np.isfinite(top), top, 0.0)
            gr["top_sum"] = float(top.sum())      # log T = log f - top (the Bethe energy's)
            np.exp(lt - top, out=self.group_view(self.T, gr))
            has_zero = has_zero or bool(np.isneginf(lt).any())
        self.has_zero = has_zero
        self._var_pairs: list[list[int]] | None = None
        self._rec: dict = {}

    # ------------------------------------------------------------------ views and helpers
    def group_view(self, flat: np.ndarray, gr: dict) -> np.ndarray:
        """``[c_0, ..., c_{a-1}, G]`` view of a group's part of a ``[St]`` array."""
        return flat[gr["toff"]:gr["toff"] + gr["size"]].reshape(gr["sig"] + (gr["G"],))

    def mview(self, flat: np.ndarray, c: int) -> np.ndarray:
        """``[c, n_c]`` view of width class ``c`` of an ``[S]`` message array."""
        eoff, n, _ = self.mclasses[c]
        return flat[eoff:eoff + c * n].reshape(c, n)

    def block(self, flat: np.ndarray, c: int, col0: int, g: int) -> np.ndarray:
        """``[c, g]`` view of the messages of ``g`` consecutive columns of class ``c``."""
        return self.mview(flat, c)[:, col0:col0 + g]

    def vview(self, flat: np.ndarray, k: int) -> np.ndarray:
        """``[c, n]`` view of variable class ``k`` of an ``[Sv]`` array."""
        c, off, n, _ = self.vclasses[k]
        return flat[off:off + c * n].reshape(c, n)

    def qslice(self, q: int) -> slice:
        """The entries of internal pair ``q``'s message in an ``[S]`` array."""
        e0, st = int(self.q_e0[q]), int(self.q_stride[q])
        return slice(e0, e0 + int(self.q_width[q]) * st, st)

    def var_belief(self, bv: np.ndarray, i: int) -> np.ndarray:
        """Variable ``i``'s ``[card]`` entries of an ``[Sv]`` array (a view)."""
        b, st = int(self.vbase[i]), int(self.vstride[i])
        return bv[b:b + int(self.cards[i]) * st:st]

    def var_rows(self, bv: np.ndarray) -> tuple[list[np.ndarray], list[list[float]]]:
        """Every variable's belief from an ``[Sv]`` array, as ``[V]`` arrays (rows of one
        array per class of equal cardinality) and as ``[V]`` lists of floats."""
        arrs: list = [None] * self.V
        lists: list = [None] * self.V
        for k, (c, off, n, vs) in enumerate(self.vclasses):
            rows = np.ascontiguousarray(self.vview(bv, k).T)
            for i, r, lr in zip(vs.tolist(), rows, rows.tolist()):
                arrs[i], lists[i] = r, lr
        return arrs, lists

    def factor_belief(self, f: int, bf: np.ndarray) -> np.ndarray:
        """Factor ``f``'s entries of a ``[St]`` array, shaped like its table (a view)."""
        gr = self.groups[self.group_of[f]]
        return self.group_view(bf, gr)[..., self.row_of[f]]

    @property
    def var_pairs(self) -> list[list[int]]:
        """``[V]`` the internal pairs of each variable, in the factor graph's pair order."""
        if self._var_pairs is None:
            vp: list[list[int]] = [[] for _ in range(self.V)]
            for q in self.ext_to_int.tolist():
                vp[int(self.var[q])].append(q)
            self._var_pairs = vp
        return self._var_pairs

    def factor_pairs(self, f: int) -> list[int]:
        """The internal pairs of factor ``f``, in scope order."""
        return self.ext_to_int[self.pstart[f]:self.pstart[f + 1]].tolist()

    @property
    def tie_order(self) -> np.ndarray:
        """``[P]`` internal pairs in the order residual BP breaks ties in (the first largest
        wins): by factor arity, then scope position, then factor index."""
        if "ties" not in self._rec:
            ar = np.diff(self.pstart)
            ext = [self.pstart[np.flatnonzero(ar == a)] + k for a in sorted(set(ar.tolist())) for k in range(a)]
            self._rec["ties"] = self.ext_to_int[np.concatenate(ext)] if ext else np.zeros(0, np.int64)
        return self._rec["ties"]

    def edge_name(self, q: int, what: str) -> str:
        v, f = self.fg.names[self.var[q]], self.fg.factors[self.fac[q]].label
        return f"{f} -> {v}" if what.startswith("factor") else f"{v} -> {f}"

    def nbytes(self) -> int:
        """Bytes held by the layout's own arrays (index arrays built for recording included)."""
        def arrays(v):                  # the arrays in v, looking into tuples and lists
            if isinstance(v, np.ndarray):
                return [v]
            return [a for x in v for a in arrays(x)] if isinstance(v, (tuple, list)) else []

        arrs = [v for v in vars(self).values() if isinstance(v, np.ndarray)]
        arrs += arrays(list(self._rec.values()))
        arrs += [gr["fids"] for gr in self.groups] + [c[3] for c in self.vclasses]
        return int(sum(a.nbytes for a in arrs))

    @staticmethod
    def normalise(x: np.ndarray) -> np.ndarray:
        """Log values normalised to sum 1 along axis 0 (for display); all ``-inf`` stays so."""
        top = x.max(axis=0)
        y = x - np.where(np.isfinite(top), top, 0.0)
        s = np.exp(y).sum(axis=0)
        return y - np.log(np.where(s > 0, s, 1.0))
