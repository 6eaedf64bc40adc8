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
"""

from __future__ import annotations

import numpy as np

from explorer.pgm.exact import safe_log
from explorer.pgm.factor_graph import FactorGraph

__all__ = ["Layout", "Workspace", "ZeroMessage"]


class ZeroMessage(Exception):
    """Internal: a message or belief is zero everywhere (``where`` names it)."""

    def __init__(self, where: str):
        self.where = where
        super().__init__(where)


def _bshape(a: int, j: int, c: int) -> tuple[int, ...]:
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


class Layout:
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
        arrs = [v for v in vars(self).values() if isinstance(v, np.ndarray)]
        arrs += [v for v in self._rec.values() if isinstance(v, np.ndarray)]
        arrs += [v[0] for v in self._rec.values() if isinstance(v, tuple)]
        arrs += [gr["fids"] for gr in self.groups] + [c[3] for c in self.vclasses]
        return int(sum(a.nbytes for a in arrs))

    @staticmethod
    def normalise(x: np.ndarray) -> np.ndarray:
        """Log values normalised to sum 1 along axis 0 (for display); all ``-inf`` stays so."""
        top = x.max(axis=0)
        y = x - np.where(np.isfinite(top), top, 0.0)
        s = np.exp(y).sum(axis=0)
        return y - np.log(np.where(s > 0, s, 1.0))

    # ------------------------------------------------------------------ variable side
    def totals(self, m: np.ndarray, ws: Workspace | None = None):
        """Per variable state, the sum of its incoming log messages: ``(finite sums [Sv],
        counts of -inf [Sv] or None)`` (the counts only once zeros may occur)."""
        if ws is not None and not ws.zero:
            return np.bincount(self.ent_vs, weights=m, minlength=self.Sv), None
        fin = np.isfinite(m)
        tot = np.bincount(self.ent_vs, weights=np.where(fin, m, 0.0), minlength=self.Sv)
        return tot, np.bincount(self.ent_vs[~fin], minlength=self.Sv)

    def var_to_factor(self, m: np.ndarray, tot, ws: Workspace, out: np.ndarray | None = None) -> np.ndarray:
        """``[S]`` log var->factor messages from the factor->var ones ``m`` and their
        :meth:`totals` ``tot`` (<= 0; shifted so each message's max is 0 when some message's
        max is below -200, so ``exp`` keeps every entry that matters)."""
        out = np.empty(self.S) if out is None else out
        t, zc = tot
        np.take(t, self.ent_vs, out=out, mode="clip")   # indices valid by construction
        if zc is None:
            np.subtract(out, m, out=out)
        else:
            fin = np.isfinite(m)
            out -= np.where(fin, m, 0.0)
            out[np.take(zc, self.ent_vs) - ~fin > 0] = -np.inf
        for c in self.mclasses:
            v = self.mview(out, c)
            top = v.max(axis=0)
            if not np.isfinite(top).all():
                if zc is None and np.isnan(top).any():        # a zero entry appeared: count them
                    ws.zero = True
                    return self.var_to_factor(m, self.totals(m, ws), ws, out)
                q = self.mclasses[c][2] + int(np.flatnonzero(~np.isfinite(top))[0])
                raise ZeroMessage(self.edge_name(q, "variable"))
            if top.min(initial=0.0) < -200.0:
                # the sums are <= 0 (messages sum to 1); shift only where exp could lose the
                # largest entries: below e^-200 of its own maximum an entry counts for nothing
                v -= top
        return out

    def _var_entries(self, v: int) -> tuple[np.ndarray, dict[int, int]]:
        """``[d, c]`` entry indices of variable ``v``'s messages (its pairs in order) and each
        pair's row (built on first use, for high-degree variables only)."""
        key = ("ent", v)
        if key not in self._rec:
            ps = self.var_pairs[v]
            e = self.q_e0[ps][:, None] + np.arange(int(self.cards[v]))[None, :] * self.q_stride[ps][:, None]
            self._rec[key] = (e, {q: k for k, q in enumerate(ps)})
        return self._rec[key]

    def incoming(self, m: np.ndarray, qs: list[int]) -> list[np.ndarray]:
        """Var->factor log messages (max 0) for the internal pairs ``qs`` only.

        The other messages are added one after another, in the variable's pair order (one
        gathered block summed over its rows for a variable of many factors: the same order)."""
        out = []
        for q in qs:
            v = int(self.var[q])
            pairs = self.var_pairs[v]
            if len(pairs) <= 8:
                acc = np.zeros(int(self.q_width[q]))
                for r in pairs:
                    if r != q:
                        acc += m[self.qslice(r)]
            else:
                ent, row = self._var_entries(v)
                k = row[q]
                rows = m[np.concatenate([ent[:k], ent[k + 1:]])]
                acc = np.add.reduce(rows, axis=0)
            top = acc.max()
            if not np.isfinite(top):
                raise ZeroMessage(self.edge_name(q, "variable"))
            out.append(acc - top)
        return out

    def var_beliefs(self, tot) -> np.ndarray:
        """``[Sv]`` normalised variable beliefs from the :meth:`totals` of the messages."""
        t, zc = tot
        b = t.copy()
        if zc is not None:
            b[zc > 0] = -np.inf
        for k, (c, off, n, vs) in enumerate(self.vclasses):
            v = self.vview(b, k)
            top = v.max(axis=0)
            if not np.isfinite(top).all():
                raise ZeroMessage(f"the belief of {self.fg.names[int(vs[np.flatnonzero(~np.isfinite(top))[0]])]}")
            v -= top
        np.exp(b, out=b)
        for k in range(len(self.vclasses)):
            v = self.vview(b, k)
            v /= v.sum(axis=0)
        return b

    # ------------------------------------------------------------------ factor side
    def factor_to_var(self, n: np.ndarray, mode: str, ws: Workspace,
                      out: np.ndarray | None = None) -> np.ndarray:
        """``[S]`` new normalised log factor->var messages from var->factor messages ``n``."""
        out = np.empty(self.S) if out is None else out
        x, lin = ws.x, ws.lin
        if not ws.ready:
            np.exp(n, out=x)
        ws.ready = False
        for gr in self.groups:
            a, g, T = gr["arity"], gr["G"], self.group_view(self.T, gr)
            if a == 0:
                continue
            bl = gr["blocks"]
            if a == 1:                        # a unary factor sends its (normalised) table
                self.block(lin, bl[0][0], bl[0][1], g)[...] = T
                continue
            xs = [self.block(x, c, c0, g) for c, c0 in bl]
            for k in range(a):
                o = self.block(lin, bl[k][0], bl[k][1], g)
                if mode == "sum":
                    ops: list = [T, list(range(a + 1))]
                    for j in range(a):
                        if j != k:
                            ops += [xs[j], [j, a]]
                    np.einsum(*ops, [k, a], out=o)
                else:
                    buf = ws.scratch[:T.size].reshape(T.shape)
                    first = True
                    for j in range(a):
                        if j != k:
                            np.multiply(T if first else buf, xs[j].reshape(_bshape(a, j, bl[j][0])), out=buf)
                            first = False
                    np.max(buf, axis=tuple(j for j in range(a) if j != k), out=o)
        bad_any = False
        for c in self.mclasses:
            v = self.mview(lin, c)
            s = v.sum(axis=0)
            ok = s > 0
            if not ok.all():
                bad_any = True
                s[~ok] = 1.0
            v /= s
        with np.errstate(divide="ignore"):
            np.log(lin, out=out)
        ws.lin_ok = not bad_any
        if bad_any:
            self._fix_zero_sums(n, mode, out)
        return out

    def _fix_zero_sums(self, n: np.ndarray, mode: str, out: np.ndarray) -> None:
        """Recompute in the log domain the messages whose linear sum underflowed to 0."""
        for c in self.mclasses:
            v = self.mview(out, c)
            bad = np.flatnonzero(~np.isfinite(v.max(axis=0)))
            qstart = self.mclasses[c][2]
            for col in bad.tolist():
                q = qstart + col
                f = int(self.fac[q])
                qs = self.factor_pairs(f)
                k = qs.index(q)
                lo = self._log_message(f, [n[self.qslice(r)] for r in qs], mode, k)
                if not np.isfinite(lo.max()):
                    raise ZeroMessage(self.edge_name(q, "factor"))
                out[self.qslice(q)] = lo

    def _log_message(self, f: int, ns: list[np.ndarray], mode: str, k: int) -> np.ndarray:
        """Factor ``f``'s normalised log message to scope position ``k``, in the log domain."""
        gr = self.groups[self.group_of[f]]
        a = gr["arity"]
        b = self.group_view(self.logT, gr)[..., self.row_of[f]]
        for j in range(a):
            if j != k:
                b = b + ns[j].reshape((1,) * j + (-1,) + (1,) * (a - j - 1))
        axes = tuple(j for j in range(a) if j != k)
        top = b.max(axis=axes, keepdims=True) if axes else b
        top = np.where(np.isfinite(top), top, 0.0)
        with np.errstate(divide="ignore"):
            if mode == "sum":
                lo = np.log(np.exp(b - top).sum(axis=axes, keepdims=True)) + top
                lo = lo.reshape(-1)
            else:
                lo = (b.max(axis=axes) if axes else b).reshape(-1)
        return self.normalise(lo)

    def one_factor(self, f: int, ns: list[np.ndarray], mode: str) -> list[np.ndarray]:
        """Normalised log messages of factor ``f`` to its scope, from its incoming var->factor
        log messages ``ns`` (scope order, each with max 0)."""
        gr = self.groups[self.group_of[f]]
        a = gr["arity"]
        T = self.group_view(self.T, gr)[..., self.row_of[f]]
        xs = [np.exp(v) for v in ns]
        res = []
        for k in range(a):
            b = T
            for j in range(a):
                if j != k:
                    b = b * xs[j].reshape((1,) * j + (-1,) + (1,) * (a - j - 1))
            axes = tuple(j for j in range(a) if j != k)
            o = (b.sum(axis=axes) if mode == "sum" else b.max(axis=axes)) if axes else b.copy()
            s = o.sum()
            if s > 0:
                with np.errstate(divide="ignore"):
                    res.append(np.log(o / s))
            else:
                lo = self._log_message(f, ns, mode, k)
                if not np.isfinite(lo.max()):
                    raise ZeroMessage(self.edge_name(self.factor_pairs(f)[k], "factor"))
                res.append(lo)
        return res

    # ------------------------------------------------------------------ beliefs
    def uniform_beliefs(self) -> tuple[np.ndarray, np.ndarray]:
        """Uniform variable and factor beliefs (libDAI's starting point): ``[Sv]``, ``[St]``."""
        bv = np.empty(self.Sv)
        for k, (c, off, n, _) in enumerate(self.vclasses):
            bv[off:off + c * n] = 1.0 / c
        bf = np.empty(self.St)
        for gr in self.groups:
            bf[gr["toff"]:gr["toff"] + gr["size"]] = gr["G"] / gr["size"]
        return bv, bf

    def factor_beliefs(self, n: np.ndarray, x: np.ndarray | None = None,
                       out: np.ndarray | None = None) -> np.ndarray:
        """``[St]`` normalised factor beliefs from var->factor log messages ``n`` (``x`` =
        ``exp(n)`` when the caller has it; ``out`` = where to write them)."""
        x = np.exp(n) if x is None else x
        bf = np.empty(self.St) if out is None else out
        for gr in self.groups:
            a, g = gr["arity"], gr["G"]
            b = self.group_view(bf, gr)
            T = self.group_view(self.T, gr)
            if a == 0:
                b[...] = T
            for j, (c, c0) in enumerate(gr["blocks"]):
                np.multiply(T if j == 0 else b, self.block(x, c, c0, g).reshape(_bshape(a, j, c)), out=b)
            flat = b.reshape(-1, g)
            s = flat.sum(axis=0)
            if (s > 0).all():
                flat /= s
                continue
            lb = self.group_view(self.logT, gr)       # underflow or impossibility: log domain
            for j, (c, c0) in enumerate(gr["blocks"]):
                lb = lb + self.block(n, c, c0, g).reshape(_bshape(a, j, c))
            lf = self.normalise(lb.reshape(-1, g))
            if not np.isfinite(lf.max(axis=0)).all():
                f = int(gr["fids"][np.flatnonzero(~np.isfinite(lf.max(axis=0)))[0]])
                raise ZeroMessage(f"the belief of factor {self.fg.factors[f].label}")
            np.exp(lf, out=flat)
        return bf

    def bethe_log_z(self, bv: np.ndarray, bf: np.ndarray, scratch: np.ndarray | None = None) -> float:
        """libDAI's ``logZ``: ``sum_i (1 - d_i) H(b_i) - sum_I KL(b_I || f_I)`` (natural logs);
        ``scratch``: an ``[St]`` buffer to use.

        Both are plain sums over the flat arrays (``(1 - d_i)`` spread over each variable's
        states); where some belief is 0 a sum gives NaN (``0 * -inf``) and is redone leaving
        those entries out."""
        if "wdeg" not in self._rec:
            w = np.empty(self.Sv)
            for k, (c, off, n, vs) in enumerate(self.vclasses):
                self.vview(w, k)[...] = (1 - self.deg[vs])[None, :]
            self._rec["wdeg"] = w
        with np.errstate(divide="ignore", invalid="ignore"):
            # (multiply-then-sum, not np.dot: a threaded BLAS dot is slow on a busy machine)
            e = np.log(bv)
            e *= bv
            ent = -float((e * self._rec["wdeg"]).sum())
            if not np.isfinite(ent):
                ent = -float(np.sum(self._rec["wdeg"] * e, where=bv > 0))
            # sum bf (log bf - log f) as two dot products (reads only; einsum, not BLAS)
            lb = np.log(bf, out=scratch)
            klsum = float(np.einsum("i,i->", bf, lb)) - float(np.einsum("i,i->", bf, self.logT))
            if not np.isfinite(klsum):
                lb -= self.logT
                lb *= bf
                klsum = float(np.sum(lb, where=bf > 0))
        return ent - klsum

    # ------------------------------------------------------------------ external views (recording)
    def _state_index(self):
        """Gather index and offsets turning ``[bv, bf]`` into the Trace's ``states`` rows:
        every variable's belief, then every factor's, flattened in C order over its scope."""
        if "states" not in self._rec:
            lens = np.concatenate([self.cards, [int(f.table.size) for f in self.fg.factors]]).astype(np.int64)
            offsets = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
            idx = np.empty(int(offsets[-1]), np.int64)
            for i in range(self.V):      # a loop over variables only, once per model
                c = int(self.cards[i])
                idx[offsets[i]:offsets[i] + c] = self.vbase[i] + np.arange(c) * self.vstride[i]
            for gr in self.groups:
                g, w = gr["G"], gr["size"] // max(gr["G"], 1)
                rows = self.Sv + gr["toff"] + np.arange(w)[None, :] * g + np.arange(g)[:, None]
                where = offsets[self.V + gr["fids"]][:, None] + np.arange(w)[None, :]
                idx[where] = rows
            offsets.setflags(write=False)
            self._rec["states"], self._rec["states_off"] = idx, offsets
        return self._rec["states"], self._rec["states_off"]

    def states_values(self, both: np.ndarray, out: np.ndarray | None = None):
        """``(values, offsets)`` of the Trace's ``states`` rows from ``[Sv + St]`` = the variable
        then the factor beliefs (``out``: ``[Sv + St]`` to write the values into)."""
        idx, off = self._state_index()
        return np.take(both, idx, out=out, mode="clip"), off

    def _message_index(self):
        """Gather index and offsets turning ``[n, m]`` (two ``[S]`` arrays back to back) into the
        rows of a parallel step: edge ``2p`` = n of pair p, edge ``2p+1`` = m of pair p."""
        if "msgs" not in self._rec:
            q = self.ext_to_int
            w = np.repeat(self.q_width[q], 2)
            e0 = np.repeat(self.q_e0[q], 2) + np.tile([0, self.S], self.P)
            st = np.repeat(self.q_stride[q], 2)
            offsets = np.concatenate([[0], np.cumsum(w)]).astype(np.int64)
            within = np.arange(int(offsets[-1])) - np.repeat(offsets[:-1], w)
            idx = np.repeat(e0, w) + within * np.repeat(st, w)
            offsets.setflags(write=False)
            self._rec["msgs"], self._rec["msgs_off"] = idx, offsets
        return self._rec["msgs"], self._rec["msgs_off"]

    def message_values(self, pair: np.ndarray, out: np.ndarray | None = None):
        """``(values, offsets)`` of a parallel step's message rows from ``[2S]`` = ``[n, m]``
        (``out``: ``[2S]`` to write the values into)."""
        idx, off = self._message_index()
        return np.take(pair, idx, out=out, mode="clip"), off
