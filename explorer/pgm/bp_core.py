"""The vectorised arithmetic of belief propagation on a factor graph.

Only factor -> variable messages ``m_{I->i}`` are stored (as libDAI does); a variable -> factor
message is the product of the variable's *other* incoming factor messages.

Layout (internal; the Trace uses the factor graph's own edge ids). Every variable is given
K = max cardinality states; extra states of smaller variables are padded with zero
probability (tables padded with zeros) and stripped again when recorded. Messages are one
``[K, P]`` log-domain array, **state-major**, so every reduction over states is a cheap
reduction over the outer axis. Pairs are renumbered so that, for each group of factors of equal
arity, the pairs at scope position k form one contiguous block: a factor -> variable update is
a few numpy operations per (group, position), never a Python loop over messages.

Factor sums are done in the linear domain on max-scaled tables and max-shifted incoming
messages (fast, and exact zeros stay zeros); a message that comes out zero everywhere is
recomputed in the log domain before it is declared impossible. Leave-one-out products on the
variable side count zeros instead of subtracting ``-inf``, so no NaN ever appears.
"""

from __future__ import annotations

import numpy as np

from explorer.pgm.exact import safe_log
from explorer.pgm.factor_graph import FactorGraph

__all__ = ["Layout", "ZeroMessage"]


class ZeroMessage(Exception):
    """Internal: a message or belief is zero everywhere (``where`` names it)."""

    def __init__(self, where: str):
        self.where = where
        super().__init__(where)


def _norm_log(out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``log(out / out.sum(0))`` and a mask of the columns that sum to 0."""
    s = out.sum(axis=0)
    bad = ~(s > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(out / np.where(bad, 1.0, s)), bad


class Layout:
    """Index arrays and padded tables for one factor graph (built once per run).

    Shapes (K states, P pairs, V variables; internal pair order):
        var: ``[P]`` the variable of each internal pair; ext_to_int: ``[P]`` internal id of the
        factor graph's pair ``p`` (see :meth:`FactorGraph.edge_pairs`); init: ``[K, P]`` the
        starting log messages (0, or -inf on padded states); card: ``[V]``.
    """

    def __init__(self, fg: FactorGraph):
        self.fg = fg
        self.V, self.F = fg.n_vars, fg.n_factors
        self.cards = np.asarray(fg.cards, dtype=np.int64)
        self.K = int(self.cards.max()) if self.V else 1
        self.padded = bool(self.V and (self.cards != self.K).any())
        ext_var, ext_fac, _ = fg.edge_pairs()
        self.P = int(ext_var.size)
        pstart = np.concatenate([[0], np.cumsum([len(f.scope) for f in fg.factors])]).astype(np.int64)
        self.pstart = pstart
        by_arity: dict[int, list[int]] = {}
        for k, f in enumerate(fg.factors):
            by_arity.setdefault(f.arity, []).append(k)
        self.groups, self.group_of, self.row_of = [], np.zeros(self.F, np.int64), np.zeros(self.F, np.int64)
        self.ext_to_int = np.zeros(self.P, dtype=np.int64)
        nxt = 0
        K = self.K
        for a, fids in sorted(by_arity.items()):
            fids_a = np.asarray(fids, dtype=np.int64)
            g = fids_a.size
            self.group_of[fids_a], self.row_of[fids_a] = len(self.groups), np.arange(g)
            tabs = []
            for k in fids:
                t = fg.factors[k].table
                if self.padded and a:
                    pad = np.zeros((K,) * a)
                    pad[tuple(slice(0, c) for c in t.shape)] = t
                    t = pad
                tabs.append(t)
            logT = safe_log(np.stack(tabs, axis=-1))           # [K]*a + [G]
            top = logT.reshape(-1, g).max(axis=0) if a else logT
            top = np.where(np.isfinite(top), top, 0.0)
            blocks = []
            for k in range(a):
                self.ext_to_int[pstart[fids_a] + k] = np.arange(nxt, nxt + g)
                blocks.append(slice(nxt, nxt + g))
                nxt += g
            self.groups.append({"arity": a, "fids": fids_a, "logT": logT,
                                "T": np.exp(logT - top), "blocks": blocks,
                                "contiguous": bool(np.all(np.diff(fids_a) == 1))})
        self.var = np.empty(self.P, dtype=np.int64)
        self.var[self.ext_to_int] = ext_var
        self.fac = np.empty(self.P, dtype=np.int64)
        self.fac[self.ext_to_int] = ext_fac
        self.int_to_ext = np.argsort(self.ext_to_int)
        self._bin = (np.arange(K)[:, None] * self.V + self.var[None, :]).ravel()
        real = np.arange(K)[:, None] < self.cards[None, :]                  # [K, V]
        self.var_mask = np.where(real, 0.0, -np.inf)
        self.init = np.take(self.var_mask, self.var, axis=1)               # [K, P]
        self.deg = np.bincount(ext_var, minlength=self.V)
        self.has_zero = self.padded or any(bool(np.isneginf(gr["logT"]).any()) for gr in self.groups)
        self._unary: dict[int, np.ndarray] = {}
        self._var_pairs: list[list[int]] | None = None

    # ------------------------------------------------------------------ helpers
    @property
    def var_pairs(self) -> list[list[int]]:
        """``[V]`` the internal pairs of each variable, in the factor graph's pair order."""
        if self._var_pairs is None:
            self._var_pairs = [[] for _ in range(self.V)]
            for q in self.ext_to_int.tolist():
                self._var_pairs[int(self.var[q])].append(q)
        return self._var_pairs

    def factor_pairs(self, f: int) -> list[int]:
        """The internal pairs of factor ``f``, in scope order."""
        return [int(self.ext_to_int[p]) for p in range(self.pstart[f], self.pstart[f + 1])]

    def edge_name(self, q: int, what: str) -> str:
        v, f = self.fg.names[self.var[q]], self.fg.factors[self.fac[q]].label
        return f"{f} -> {v}" if what.startswith("factor") else f"{v} -> {f}"

    def _sum_vars(self, m: np.ndarray) -> np.ndarray:
        """``[K, V]`` sums over each variable's pairs of the finite parts of ``m``."""
        return np.bincount(self._bin, weights=m.ravel(), minlength=self.K * self.V).reshape(self.K, self.V)

    # ------------------------------------------------------------------ variable side
    def var_to_factor(self, m: np.ndarray) -> np.ndarray:
        """``[K, P]`` log var->factor messages, shifted so each column's max is 0."""
        if not self.has_zero:
            n = np.take(self._sum_vars(m), self.var, axis=1) - m
        else:
            fin = np.isfinite(m)
            mf = np.where(fin, m, 0.0)
            zeros = np.take(self._sum_vars((~fin).astype(float)), self.var, axis=1) - ~fin
            n = np.take(self._sum_vars(mf) + self.var_mask, self.var, axis=1) - mf
            n[zeros > 0.5] = -np.inf
        top = n.max(axis=0)
        if self.has_zero and not np.isfinite(top).all():
            raise ZeroMessage(self.edge_name(int(np.flatnonzero(~np.isfinite(top))[0]), "variable"))
        return n - top

    def incoming(self, m: np.ndarray, qs: list[int]) -> np.ndarray:
        """``[K, len(qs)]`` var->factor log messages (max 0) for the internal pairs ``qs`` only."""
        out = np.empty((self.K, len(qs)))
        for c, q in enumerate(qs):
            acc = self.var_mask[:, self.var[q]].copy()
            for r in self.var_pairs[int(self.var[q])]:
                if r != q:
                    acc += m[:, r]
            top = acc.max()
            if not np.isfinite(top):
                raise ZeroMessage(self.edge_name(q, "variable"))
            out[:, c] = acc - top
        return out

    @staticmethod
    def normalise(x: np.ndarray) -> np.ndarray:
        """Columns of log values normalised to sum 1 (for display)."""
        top = x.max(axis=0)
        y = x - np.where(np.isfinite(top), top, 0.0)
        s = np.exp(y).sum(axis=0)
        return y - np.log(np.where(s > 0, s, 1.0))      # an all-zero column stays -inf, no NaN

    # ------------------------------------------------------------------ factor side
    def _outs(self, gr: dict, cols, xs: list[np.ndarray], mode: str) -> list[np.ndarray]:
        """Linear-domain unnormalised messages of a group's factors ``cols`` to each position."""
        a = gr["arity"]
        T = gr["T"][..., cols]
        outs = []
        for k in range(a):
            b = T
            for j in range(a):
                if j != k:
                    b = b * xs[j].reshape((1,) * j + (self.K,) + (1,) * (a - j - 1) + (-1,))
            axes = tuple(j for j in range(a) if j != k)
            outs.append(b.sum(axis=axes) if mode == "sum" else b.max(axis=axes))
        return outs

    def _log_outs(self, gr: dict, cols, ns: list[np.ndarray], mode: str, k: int) -> np.ndarray:
        """The same message in the log domain (used when the linear one underflows to 0)."""
        a = gr["arity"]
        b = gr["logT"][..., cols]
        for j in range(a):
            if j != k:
                b = b + ns[j].reshape((1,) * j + (self.K,) + (1,) * (a - j - 1) + (-1,))
        axes = tuple(j for j in range(a) if j != k)
        top = b.max(axis=axes, keepdims=True)
        top = np.where(np.isfinite(top), top, 0.0)
        with np.errstate(divide="ignore"):
            if mode == "sum":
                return np.log(np.exp(b - top).sum(axis=axes, keepdims=True)).squeeze(axes) + top.squeeze(axes)
            return b.max(axis=axes)

    def _finish(self, gr: dict, cols, ns: list[np.ndarray], outs: list, mode: str,
                pairs_of) -> list[np.ndarray]:
        res = []
        for k, out in enumerate(outs):
            logm, bad = _norm_log(out)
            if bad.any():
                lo = self._log_outs(gr, cols, ns, mode, k)
                fixed = self.normalise(lo)
                if not np.isfinite(fixed.max(axis=0)).all():
                    c = int(np.flatnonzero(~np.isfinite(fixed.max(axis=0)))[0])
                    raise ZeroMessage(self.edge_name(pairs_of(k, c), "factor"))
                logm = np.where(bad[None, :], fixed, logm)
            res.append(logm)
        return res

    def factor_to_var(self, n: np.ndarray, mode: str) -> np.ndarray:
        """``[K, P]`` new normalised log factor->var messages from var->factor messages ``n``."""
        new = np.empty((self.K, self.P))
        x = np.exp(n)
        for gi, gr in enumerate(self.groups):
            a = gr["arity"]
            if a == 0:
                continue
            if a == 1:                       # unary factors always send their (normalised) table
                if gi not in self._unary:
                    self._unary[gi] = self._finish(gr, slice(None), [n[:, gr["blocks"][0]]],
                                                   [gr["T"]], mode,
                                                   lambda k, c: gr["blocks"][0].start + c)[0]
                new[:, gr["blocks"][0]] = self._unary[gi]
                continue
            bl = gr["blocks"]
            outs = self._outs(gr, slice(None), [x[:, b] for b in bl], mode)
            logs = self._finish(gr, slice(None), [n[:, b] for b in bl], outs, mode,
                                lambda k, c: bl[k].start + c)
            for b, lm in zip(bl, logs):
                new[:, b] = lm
        return new

    def one_factor(self, f: int, n_cols: np.ndarray, mode: str) -> np.ndarray:
        """``[K, a]`` normalised log messages of factor ``f`` to its scope, from its incoming
        var->factor log messages ``n_cols`` ``[K, a]`` (scope order)."""
        gr = self.groups[self.group_of[f]]
        r = int(self.row_of[f])
        cols = slice(r, r + 1)
        ns = [n_cols[:, j:j + 1] for j in range(gr["arity"])]
        outs = self._outs(gr, cols, [np.exp(v) for v in ns], mode) if gr["arity"] > 1 else [gr["T"][..., cols]]
        qs = self.factor_pairs(f)
        return np.concatenate(self._finish(gr, cols, ns, outs, mode, lambda k, c: qs[k]), axis=1)

    # ------------------------------------------------------------------ beliefs
    def uniform_beliefs(self) -> tuple[np.ndarray, list[np.ndarray]]:
        """Uniform variable and factor beliefs over the real states (libDAI's starting point)."""
        bv = np.exp(self.var_mask)
        bv = bv / bv.sum(axis=0) if self.V else bv
        bf = []
        for gr in self.groups:
            a, b = gr["arity"], np.ones_like(gr["T"])
            for j, bl in enumerate(gr["blocks"]):
                b = b * np.exp(self.init[:, bl]).reshape((1,) * j + (self.K,) + (1,) * (a - j - 1) + (-1,))
            bf.append(b / b.reshape(-1, b.shape[-1]).sum(axis=0))
        return bv, bf

    def var_beliefs(self, m: np.ndarray) -> np.ndarray:
        """``[K, V]`` normalised variable beliefs from factor->var log messages ``m``."""
        if self.has_zero:
            fin = np.isfinite(m)
            tot = self._sum_vars(np.where(fin, m, 0.0)) + self.var_mask
            tot[self._sum_vars((~fin).astype(float)) > 0.5] = -np.inf
        else:
            tot = self._sum_vars(m)
        top = tot.max(axis=0) if self.V else np.zeros(0)
        if not np.isfinite(top).all():
            raise ZeroMessage(f"the belief of {self.fg.names[int(np.flatnonzero(~np.isfinite(top))[0])]}")
        b = np.exp(tot - top)
        return b / b.sum(axis=0)

    def factor_beliefs(self, n: np.ndarray) -> list[np.ndarray]:
        """Per group ``[K]*a + [G]`` normalised factor beliefs from var->factor messages ``n``."""
        out = []
        for gr in self.groups:
            a, b = gr["arity"], gr["T"]
            for j, bl in enumerate(gr["blocks"]):
                b = b * np.exp(n[:, bl]).reshape((1,) * j + (self.K,) + (1,) * (a - j - 1) + (-1,))
            s = b.reshape(-1, b.shape[-1]).sum(axis=0)
            if not (s > 0).all():       # underflow or impossibility: redo in the log domain
                lb = gr["logT"]
                for j, bl in enumerate(gr["blocks"]):
                    lb = lb + n[:, bl].reshape((1,) * j + (self.K,) + (1,) * (a - j - 1) + (-1,))
                flat = self.normalise(lb.reshape(-1, lb.shape[-1]))
                if not np.isfinite(flat.max(axis=0)).all():
                    f = int(gr["fids"][np.flatnonzero(~np.isfinite(flat.max(axis=0)))[0]])
                    raise ZeroMessage(f"the belief of factor {self.fg.factors[f].label}")
                out.append(np.exp(flat).reshape(b.shape))
            else:
                out.append(b / s)
        return out

    def bethe_log_z(self, bv: np.ndarray, bf: list[np.ndarray]) -> float:
        """libDAI's ``logZ``: ``sum_i (1 - d_i) H(b_i) - sum_I KL(b_I || f_I)`` (natural logs)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            h = -np.where(bv > 0, bv * np.log(np.where(bv > 0, bv, 1.0)), 0.0).sum(axis=0)
            total = float(np.sum((1 - self.deg) * h))
            for gr, b in zip(self.groups, bf):
                pos = b > 0
                kl = np.where(pos, b * (np.log(np.where(pos, b, 1.0)) - np.where(pos, gr["logT"], 0.0)), 0.0)
                total -= float(kl.sum())
        return total

    # ------------------------------------------------------------------ external views
    def var_rows(self, bv: np.ndarray) -> list[np.ndarray]:
        """Variable beliefs (real states only) as blocks for :meth:`Ragged.concat`: one ``[V, K]``
        block when no variable is padded, else one ``[K_i]`` row block per variable."""
        rows = np.ascontiguousarray(bv.T)
        if not self.padded:
            return [rows]
        return [rows[i, :c] for i, c in enumerate(self.cards.tolist())]

    def factor_rows(self, bf: list[np.ndarray]) -> list[np.ndarray]:
        """Factor beliefs flattened in C order over each (real) scope, as blocks for
        :meth:`Ragged.concat` (``[G, K**a]`` per group of consecutive factors, else one row each)."""
        if not self.padded and all(gr["contiguous"] for gr in self.groups):
            # groups of consecutive factor ids: concatenating them in id order is factor order
            out: list[np.ndarray] = []
            for k in sorted(range(len(self.groups)), key=lambda k: int(self.groups[k]["fids"][0])):
                out.append(np.ascontiguousarray(bf[k].reshape(-1, bf[k].shape[-1]).T))  # [G, K**a]
            return out
        return [self.factor_belief(f, bf).reshape(1, -1) for f in range(self.F)]

    def factor_belief(self, f: int, bf: list[np.ndarray]) -> np.ndarray:
        """Factor ``f``'s belief shaped like its table."""
        gr = self.groups[self.group_of[f]]
        b = bf[self.group_of[f]][..., self.row_of[f]]
        shape = self.fg.factors[f].table.shape
        return b[tuple(slice(0, c) for c in shape)] if self.padded else b.reshape(shape)

    def to_external(self, x: np.ndarray) -> np.ndarray:
        """``[P, K]`` rows in the factor graph's pair order from an internal ``[K, P]`` array."""
        return np.take(x, self.ext_to_int, axis=1).T
