"""The vectorised arithmetic of belief propagation on a factor graph (log domain throughout).

Only factor -> variable messages ``m_{I->i}`` are stored (as libDAI does); a variable -> factor
message is the product of the variable's *other* incoming factor messages. All messages live in
one flat log-domain vector: pair ``p`` (variable ``var[p]`` in factor ``fac[p]``, see
:meth:`FactorGraph.edge_pairs`) owns entries ``off[p] .. off[p+1]-1``, one per state of its
variable. Factors are grouped by the cardinalities of their scope, so one factor -> variable
update is a handful of numpy operations per group, never a Python loop over messages.

Zero table entries are ``-inf`` logs; leave-one-out products count zeros instead of
subtracting logs, so no ``-inf - (-inf)`` (NaN) ever appears.
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


def _lse(b: np.ndarray, axes) -> np.ndarray:
    m = b.max(axis=axes, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.exp(b - m).sum(axis=axes, keepdims=True)) + m
    return out.squeeze(axis=axes)


class Layout:
    """Index arrays for one factor graph (built once per run).

    Shapes (P pairs, L = total message length, S = total variable states, F factors):
        var, fac, pos, card: ``[P]``; off: ``[P + 1]``; ent_pair, ent_vs: ``[L]``;
        varoff: ``[V + 1]``; foff: ``[F + 1]`` (offsets of flattened factor tables).
    """

    def __init__(self, fg: FactorGraph):
        self.fg = fg
        cards = np.asarray(fg.cards, dtype=np.int64)
        self.V, self.F = fg.n_vars, fg.n_factors
        self.var, self.fac, self.pos = fg.edge_pairs()
        self.P = int(self.var.size)
        self.card = cards[self.var]
        self.off = np.concatenate([[0], np.cumsum(self.card)]).astype(np.int64)
        self.L = int(self.off[-1])
        self.ent_pair = np.repeat(np.arange(self.P), self.card)
        ent_state = np.arange(self.L) - self.off[self.ent_pair]
        self.varoff = np.concatenate([[0], np.cumsum(cards)]).astype(np.int64)
        self.S = int(self.varoff[-1])
        self.ent_vs = self.varoff[self.var][self.ent_pair] + ent_state
        self.slot_var = np.repeat(np.arange(self.V), cards)
        self.deg = np.bincount(self.var, minlength=self.V)
        arity = np.array([f.arity for f in fg.factors], dtype=np.int64)
        self.pstart = np.concatenate([[0], np.cumsum(arity)]).astype(np.int64)
        sizes = np.array([f.table.size for f in fg.factors], dtype=np.int64)
        self.foff = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.logt = [safe_log(f.table) for f in fg.factors]
        self.var_pairs = [[] for _ in range(self.V)]
        for p, i in enumerate(self.var.tolist()):
            self.var_pairs[i].append(p)
        keyed: dict[tuple, list[int]] = {}
        for k, f in enumerate(fg.factors):
            keyed.setdefault(tuple(fg.cards[i] for i in f.scope), []).append(k)
        self.groups = []
        for shape, fids in keyed.items():
            fids_a = np.asarray(fids, dtype=np.int64)
            a = len(shape)
            pairs = [self.pstart[fids_a] + k for k in range(a)]
            self.groups.append({
                "shape": shape, "fids": fids_a,
                "logT": np.stack([self.logt[k] for k in fids]) if fids else None,
                "pairs": pairs,
                "idx": [self.off[pk][:, None] + np.arange(c) for pk, c in zip(pairs, shape)],
                "fent": self.foff[fids_a][:, None] + np.arange(int(np.prod(shape))),
                "contiguous": bool(np.all(np.diff(fids_a) == 1)),
            })
        self.uniform_card = int(cards[0]) if cards.size and np.all(cards == cards[0]) else None

    # ------------------------------------------------------------------ variable side
    def var_to_factor(self, m: np.ndarray) -> np.ndarray:
        """``[L]`` log var->factor messages (normalised) from factor->var log messages ``m``."""
        fin = np.isfinite(m)
        mf = np.where(fin, m, 0.0)
        tot = np.bincount(self.ent_vs, weights=mf, minlength=self.S)
        zeros = np.bincount(self.ent_vs, weights=~fin, minlength=self.S)
        n = tot[self.ent_vs] - mf
        n[zeros[self.ent_vs] - ~fin > 0.5] = -np.inf
        return self.normalise_pairs(n, "variable -> factor")

    def normalise_pairs(self, x: np.ndarray, what: str) -> np.ndarray:
        if self.L == 0:
            return x
        lse = self._seg_lse(x, self.off[:-1])
        if not np.all(np.isfinite(lse)):
            p = int(np.flatnonzero(~np.isfinite(lse))[0])
            raise ZeroMessage(self.edge_name(p, what))
        return x - np.repeat(lse, self.card)

    @staticmethod
    def _seg_lse(x: np.ndarray, starts: np.ndarray) -> np.ndarray:
        m = np.maximum.reduceat(x, starts)
        ms = np.where(np.isfinite(m), m, 0.0)
        lengths = np.diff(np.append(starts, x.size))
        with np.errstate(divide="ignore"):
            return np.log(np.add.reduceat(np.exp(x - np.repeat(ms, lengths)), starts)) + ms

    def edge_name(self, p: int, what: str) -> str:
        v, f = self.fg.names[self.var[p]], self.fg.factors[self.fac[p]].label
        return f"{f} -> {v}" if what.startswith("factor") else f"{v} -> {f}"

    # ------------------------------------------------------------------ factor side
    @staticmethod
    def factor_out(logT: np.ndarray, incs: list[np.ndarray], mode: str) -> list[np.ndarray]:
        """Unnormalised log factor->var messages for a batch of same-shape factors.

        Shapes:
            logT: ``[G, c_0, ..., c_{a-1}]``; incs[k]: ``[G, c_k]``; returns ``a`` arrays ``[G, c_k]``.
        """
        g, shape = logT.shape[0], logT.shape[1:]
        a = len(shape)
        if a == 1:
            return [logT]
        views = [inc.reshape((g,) + tuple(c if j == k else 1 for j, c in enumerate(shape)))
                 for k, inc in enumerate(incs)]
        outs = []
        for k in range(a):
            b = logT
            for j in range(a):
                if j != k:
                    b = b + views[j]
            axes = tuple(1 + j for j in range(a) if j != k)
            outs.append(_lse(b, axes) if mode == "sum" else b.max(axis=axes))
        return outs

    def normalise_rows(self, out: np.ndarray, pairs: np.ndarray) -> np.ndarray:
        lse = _lse(out, (1,))
        if not np.all(np.isfinite(lse)):
            raise ZeroMessage(self.edge_name(int(pairs[np.flatnonzero(~np.isfinite(lse))[0]]), "factor"))
        return out - lse[:, None]

    def factor_to_var(self, n: np.ndarray, mode: str) -> np.ndarray:
        """``[L]`` new normalised log factor->var messages from log var->factor messages ``n``."""
        new = np.empty(self.L)
        for gr in self.groups:
            if not gr["shape"]:
                continue
            incs = [n[ix] for ix in gr["idx"]]
            for k, out in enumerate(self.factor_out(gr["logT"], incs, mode)):
                new[gr["idx"][k]] = self.normalise_rows(out, gr["pairs"][k])
        return new

    def one_factor(self, f: int, n: np.ndarray, mode: str) -> list[np.ndarray]:
        """The normalised log messages of factor ``f`` to each scope variable, given ``n``."""
        ps = range(self.pstart[f], self.pstart[f + 1])
        incs = [n[self.off[p]:self.off[p + 1]][None] for p in ps]
        outs = self.factor_out(self.logt[f][None], incs, mode)
        return [self.normalise_rows(o, np.array([p]))[0] for o, p in zip(outs, ps)]

    # ------------------------------------------------------------------ beliefs
    def beliefs(self, m: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Normalised variable beliefs ``[S]`` (from factor->var ``m``) and factor beliefs
        ``[foff[-1]]`` (from var->factor ``n``), as probabilities."""
        fin = np.isfinite(m)
        tot = np.bincount(self.ent_vs, weights=np.where(fin, m, 0.0), minlength=self.S)
        zeros = np.bincount(self.ent_vs, weights=~fin, minlength=self.S)
        tot[zeros > 0.5] = -np.inf
        if self.S:
            lse = self._seg_lse(tot, self.varoff[:-1])
            if not np.all(np.isfinite(lse)):
                raise ZeroMessage(f"the belief of {self.fg.names[int(np.flatnonzero(~np.isfinite(lse))[0])]}")
            bv = np.exp(tot - lse[self.slot_var])
        else:
            bv = np.zeros(0)
        bf = np.empty(int(self.foff[-1]))
        for gr in self.groups:
            g = gr["fids"].size
            b = gr["logT"].reshape(g, -1) if gr["shape"] else gr["logT"].reshape(g, 1)
            if gr["shape"]:
                shape = gr["shape"]
                full = gr["logT"]
                for k, ix in enumerate(gr["idx"]):
                    full = full + n[ix].reshape((g,) + tuple(c if j == k else 1 for j, c in enumerate(shape)))
                b = full.reshape(g, -1)
            lse = _lse(b, (1,))
            if not np.all(np.isfinite(lse)):
                f = int(gr["fids"][np.flatnonzero(~np.isfinite(lse))[0]])
                raise ZeroMessage(f"the belief of factor {self.fg.factors[f].label}")
            bf[gr["fent"]] = np.exp(b - lse[:, None])
        return bv, bf

    def bethe_log_z(self, bv: np.ndarray, bf: np.ndarray) -> float:
        """libDAI's ``logZ``: ``sum_i (1 - d_i) H(b_i) - sum_I KL(b_I || f_I)`` (natural logs)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            plogp = np.where(bv > 0, bv * np.log(np.where(bv > 0, bv, 1.0)), 0.0)
        h = -np.bincount(self.slot_var, weights=plogp, minlength=self.V)
        total = float(np.sum((1 - self.deg) * h))
        for gr in self.groups:
            b = bf[gr["fent"]]
            lt = gr["logT"].reshape(b.shape)
            pos = b > 0
            with np.errstate(divide="ignore", invalid="ignore"):
                kl = np.where(pos, b * (np.log(np.where(pos, b, 1.0)) - np.where(pos, lt, 0.0)), 0.0)
            total -= float(kl.sum())
        return total

    # ------------------------------------------------------------------ recording helpers
    def var_rows(self, bv: np.ndarray) -> list:
        if self.uniform_card is not None:
            return list(bv.reshape(self.V, self.uniform_card))
        vo = self.varoff.tolist()
        return [bv[vo[i]:vo[i + 1]] for i in range(self.V)]

    def factor_rows(self, bf: np.ndarray) -> list:
        rows: list = [None] * self.F
        ordered = sorted(self.groups, key=lambda gr: int(gr["fids"][0]) if gr["fids"].size else 0)
        if all(gr["contiguous"] for gr in ordered):
            out: list = []
            for gr in ordered:
                out.extend(bf[gr["fent"]].reshape(gr["fids"].size, -1))
            return out
        fo = self.foff.tolist()
        return [bf[fo[k]:fo[k + 1]] for k in range(self.F)] if rows else []
