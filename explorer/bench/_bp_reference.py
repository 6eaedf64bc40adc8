"""The belief-propagation engine as it was before the flat layout (issue 9), kept only as the
baseline of ``python -m explorer bench bp`` and of the tests that check the new kernel gives the
same numbers. Not part of the library: nothing outside the benchmark and the tests imports it.

It pads every variable to K = the model's largest cardinality and every factor table to
K**arity (see the old ``bp_core`` notes below), so use it on small or uniform-cardinality models
only. ``run_bp`` here has the same signature and returns the same Trace as
:func:`explorer.pgm.bp.run_bp`.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from explorer.errors import EvidenceError, ModelError
from explorer.pgm.evidence import check_evidence, clamp, evidence_names
from explorer.pgm.exact import map_dict, marginals_dict, safe_log
from explorer.pgm.factor_graph import FactorGraph
from explorer.trace import Ragged, Step, Trace


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


#: iterations looked back over when deciding whether messages oscillate
OSC_WINDOW = 8


def _bf_change(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    return max((float(np.abs(x - y).max(initial=0.0)) for x, y in zip(a, b)), default=0.0)


class Recorder:
    """Per-iteration bookkeeping of a BP run (see :func:`explorer.pgm.bp.run_bp`)."""

    def __init__(self, lay: Layout, mode: str, logdomain: bool, record: bool, tol: float):
        self.lay, self.mode, self.logdomain, self.record, self.tol = lay, mode, logdomain, record, tol
        self.osc_threshold = max(float(tol), 1e-6)
        self.bv, self.bf = lay.uniform_beliefs()
        self.steps: list[Step] = []
        self.iterations, self.converged, self.residual = 0, False, float("inf")
        self.oscillating, self.bethe, self.sent = False, None, 0
        self._hist: list[np.ndarray] = []
        self._ups: list[np.ndarray] = []
        self._downs: list[np.ndarray] = []
        self._sizes: list[float] = []
        self._last_p: np.ndarray | None = None
        self._new = self._prev_new = None
        self._n_new = None

    # ------------------------------------------------------------------ figures
    def _push(self, prev: np.ndarray, cur: np.ndarray) -> float:
        """Record which stored-message entries rose or fell (probabilities) between two
        iterations; returns the largest change."""
        d = cur - prev
        size = float(np.abs(d).max(initial=0.0))
        self._ups = (self._ups + [d > self.osc_threshold])[-OSC_WINDOW:]
        self._downs = (self._downs + [d < -self.osc_threshold])[-OSC_WINDOW:]
        self._sizes = (self._sizes + [size])[-OSC_WINDOW:]
        half = OSC_WINDOW // 2
        swings = bool(np.any(np.logical_or.reduce(self._ups) & np.logical_or.reduce(self._downs)))
        # a transient on the way to a fixed point also rises and falls, but its changes shrink:
        # only a full window whose recent swings are as large as its earlier ones counts
        self.oscillating = (swings and len(self._sizes) == OSC_WINDOW and size > self.osc_threshold
                            and max(self._sizes[half:]) >= 0.5 * max(self._sizes[:half]))
        return size

    def _oscillation(self, stored: np.ndarray) -> float:
        """For recorded steps: the largest stored-message change in this iteration, and the
        ``oscillating`` flag: over a full window of the last :data:`OSC_WINDOW` iterations some
        message entry both rose and fell by more than ``max(tol, 1e-6)``, and the changes of the
        window's second half are at least half those of its first (they do not die out; it flips back and
        forth, with period 2 or the longer swings of a frustrated loop, instead of settling).
        Unrecorded runs compute the same flag once, in :meth:`finish`."""
        p = np.exp(stored)
        if self._last_p is None:
            change = float(np.abs(p - np.exp(self.lay.init)).max(initial=0.0))
        else:
            change = self._push(self._last_p, p)
        self._last_p = p
        return change

    def _rows(self, logs: np.ndarray, var: np.ndarray):
        """Display rows from ``[n, K]`` log vectors of variables ``var``: probabilities (or
        logs), real states only; an array when no padding, else a ragged list."""
        vals = logs if self.logdomain else np.exp(logs)
        if not self.lay.padded:
            return vals
        cards = self.lay.cards[var].tolist()
        return [vals[k, :c] for k, c in enumerate(cards)]

    def _states(self) -> Ragged:
        """One :class:`Ragged` per step (two buffers, not one array per node)."""
        blocks = [b.reshape(1, -1) if b.ndim == 1 else b
                  for b in self.lay.var_rows(self.bv) + self.lay.factor_rows(self.bf)]
        return Ragged.concat(blocks)

    # ------------------------------------------------------------------ iterative schedules
    def step(self, it: int, new: np.ndarray, stored: np.ndarray, *, edges: np.ndarray,
             parallel: tuple[np.ndarray, np.ndarray] | None = None,
             sent: list[tuple[int, np.ndarray]] | None = None,
             n_new: np.ndarray | None = None, note: str = "") -> None:
        """After iteration ``it``: beliefs from the undamped ``new`` (``n_new`` = its
        var -> factor messages when the caller has them), figures from ``stored``.

        ``parallel`` = (var->factor, factor->var) internal arrays for a parallel step; ``sent``
        = ``[(edge id, log vector [K])]`` in sending order for sequential steps.
        """
        lay = self.lay
        self.iterations = it
        self.sent += int(edges.size)
        if not self.record:
            self._hist = (self._hist + [stored.copy()])[-(OSC_WINDOW + 1):]
        self._prev_new, self._new, self._n_new = self._new, new.copy(), n_new
        bv = lay.var_beliefs(new)
        dv = float(np.abs(bv - self.bv).max(initial=0.0))
        old_bf = self.bf
        self.bv = bv
        if self.record or dv <= self.tol:
            if old_bf is None:
                old_bf = lay.factor_beliefs(lay.var_to_factor(self._prev_new))
            self.bf = lay.factor_beliefs(n_new if n_new is not None else lay.var_to_factor(new))
            self.residual = max(dv, _bf_change(self.bf, old_bf))
        else:
            self.bf, self.residual = None, dv
        if not self.record:
            return
        change = self._oscillation(stored)
        self.bethe = lay.bethe_log_z(self.bv, self.bf) if self.mode == "sum" else None
        if parallel is not None:
            n, nw = parallel
            arr = np.stack([lay.to_external(lay.normalise(n)), lay.to_external(nw)], axis=1)
            vars_ = np.repeat(lay.var[lay.ext_to_int], 2)
            msgs = self._rows(arr.reshape(2 * lay.P, lay.K), vars_)
        else:
            logs = np.array([lay.normalise(v[:, None])[:, 0] for _, v in sent or []]).reshape(-1, lay.K)
            vars_ = np.array([lay.var[lay.ext_to_int[e // 2]] for e, _ in sent or []], dtype=np.int64)
            msgs = self._rows(logs, vars_)
        self.steps.append(Step(
            edges=edges, messages=msgs, aggregates=None, states=self._states(),
            extras={"residual": self.residual, "max_message_change": change,
                    "bethe_log_z": self.bethe, "oscillating": self.oscillating},
            note=f"Iteration {it}: {note}; largest belief change {self.residual:.3g}"
                 + (" (a message is flipping back and forth)" if self.oscillating else ""),
            label=f"iteration {it}"))

    def finish(self) -> None:
        """Final beliefs and figures of an iterative run (exact whether or not recorded)."""
        lay = self.lay
        if self.bf is None:
            old = lay.factor_beliefs(lay.var_to_factor(self._prev_new)) if self._prev_new is not None else None
            self.bf = lay.factor_beliefs(self._n_new if self._n_new is not None else lay.var_to_factor(self._new))
            if old is not None:
                self.residual = max(self.residual, _bf_change(self.bf, old))
        if not self.record:
            ps = [np.exp(h) for h in self._hist]
            for a, b in zip(ps[:-1], ps[1:]):
                self._push(a, b)
        self.bethe = lay.bethe_log_z(self.bv, self.bf) if self.mode == "sum" else None

    # ------------------------------------------------------------------ tree schedule
    def tree_step(self, k: int, m: np.ndarray, n: np.ndarray, edge: int, value: np.ndarray) -> None:
        lay = self.lay
        self.sent += 1
        if not self.record:
            return
        bv, bf = lay.var_beliefs(m), lay.factor_beliefs(n)
        change = max(float(np.abs(bv - self.bv).max(initial=0.0)), _bf_change(bf, self.bf))
        self.bv, self.bf = bv, bf
        self.bethe = lay.bethe_log_z(self.bv, self.bf) if self.mode == "sum" else None
        q = int(lay.ext_to_int[edge // 2])
        shown = lay.normalise(value[:, None]).T
        v, f = lay.fg.names[lay.var[q]], lay.fg.factors[lay.fac[q]].label
        text = f"{v} -> {f}" if edge % 2 == 0 else f"{f} -> {v}"
        self.steps.append(Step(
            edges=np.array([edge]), messages=self._rows(shown, lay.var[[q]]),
            aggregates=None, states=self._states(),
            extras={"residual": change, "bethe_log_z": self.bethe, "oscillating": False,
                    "max_message_change": float(np.abs(np.exp(shown) - np.exp(lay.normalise(
                        lay.init[:, [q]])).T).max())},
            note=f"Message {k} of {2 * lay.P}: {text} (it has heard from all its other neighbours)",
            label=text))

    def finish_tree(self, m: np.ndarray, n: np.ndarray) -> None:
        self.bv, self.bf = self.lay.var_beliefs(m), self.lay.factor_beliefs(n)
        self.bethe = self.lay.bethe_log_z(self.bv, self.bf) if self.mode == "sum" else None
        self.residual, self.iterations, self.converged = 0.0, 1, True


def decode_map(lay: Layout, bv: np.ndarray, bf: list[np.ndarray]) -> tuple[list[int], bool]:
    """A consistent MAP assignment from max-product beliefs (libDAI's ``findMaximum``).

    Depth-first over factors: each factor picks the most probable entry of its belief among
    those agreeing with the variables already fixed, and fixes its variables; variables in no
    factor take the argmax of their belief. Returns ``(assignment, consistent)``;
    ``consistent`` is False when some factor had no non-zero entry left (its free variables then
    take their own belief's argmax).
    """
    fg = lay.fg
    assign = [-1] * fg.n_vars
    consistent = True
    visited = [False] * fg.n_factors
    var_factors: list[list[int]] = [[] for _ in range(fg.n_vars)]
    for k, f in enumerate(fg.factors):
        for i in f.scope:
            var_factors[i].append(k)
    for start in range(fg.n_factors):
        stack = [start]
        while stack:
            k = stack.pop()
            if visited[k]:
                continue
            visited[k] = True
            f = fg.factors[k]
            if not f.arity:
                continue
            b = lay.factor_belief(k, bf)
            idx = tuple(assign[i] if assign[i] >= 0 else slice(None) for i in f.scope)
            sub = b[idx]
            free = [i for i in f.scope if assign[i] < 0]
            if free:
                if sub.max() <= 0:
                    consistent = False
                    continue
                best = np.unravel_index(int(np.argmax(sub)), sub.shape)
                for i, s in zip(free, best):
                    assign[i] = int(s)
            elif b[idx] <= 0:
                consistent = False
            for i in f.scope:
                stack.extend(j for j in var_factors[i] if not visited[j])
    for i in range(fg.n_vars):
        if assign[i] < 0:
            assign[i] = int(np.argmax(bv[: fg.cards[i], i]))
    return assign, consistent


def zero_error(fg: FactorGraph, evidence: Mapping[int, int], where: str, tree: bool) -> Exception:
    """The error raised when BP meets a message or belief that is zero everywhere."""
    hint = "" if tree else (" (on a loopy model BP's approximation can also rule out every "
                            "state; compare with `exact`)")
    if evidence:
        return EvidenceError(f"the evidence {evidence_names(fg, evidence)} has probability 0: "
                             f"belief propagation found {where} zero for every state{hint}; "
                             "drop or change an observation")
    return ModelError(f"belief propagation found {where} zero for every state: the factors "
                      f"contradict each other{hint}; check the tables")


UPDATES = ("parallel", "seqfix", "seqrnd", "residual", "tree")
_ALIASES = {"parall": "parallel", "seqmax": "residual", "sequential": "seqfix"}


def run_bp(fg: FactorGraph, *, mode: str = "sum", updates: str = "parallel", damping: float = 0.0,
           tol: float = 1e-9, max_iter: int = 100, seed: int = 0, logdomain: bool = False,
           evidence: Mapping[int, int] | None = None, record: bool = True) -> Trace:
    """Run belief propagation and return its Trace (steps empty when ``record`` is False).

    Args:
        fg: the model.
        mode: ``"sum"`` (marginals) or ``"max"`` (max-marginals and a MAP decode).
        updates: ``parallel``, ``seqfix``, ``seqrnd``, ``residual`` or ``tree`` (see the module
            docstring for what a step is in each); libDAI's names PARALL/SEQMAX are accepted.
        damping: λ in [0, 1), geometric (libDAI); 0 = none.
        tol: stop when the largest belief change in one iteration is at most this.
        max_iter: the most iterations (ignored by ``tree``, which always does one sweep).
        seed: seeds the ``seqrnd`` order.
        logdomain: record log-messages instead of probabilities (the arithmetic is the same).
        evidence: ``{variable index: state index}``; the model is clamped on it.
        record: keep per-step records (the numbers computed are the same either way).

    Returns:
        Trace of kind ``"sum-product"`` or ``"max-product"``; ``result`` holds ``marginals``
        ``{VAR: {STATE: p}}`` (non-evidence variables), ``map`` ``{VAR: STATE}`` (max mode, by
        libDAI's consistent decoding) or ``None``, ``iterations``, ``converged``, ``log_z``
        (Bethe estimate, sum mode), ``residual``, ``oscillating``, ``beliefs`` (``[V]`` arrays)
        and ``messages_sent``.

    Raises:
        ModelError: a bad option, or ``tree`` on a loopy factor graph.
        EvidenceError: evidence that is impossible (a message or belief zero everywhere).
    """
    updates = _ALIASES.get(str(updates).lower(), str(updates).lower())
    if mode not in ("sum", "max"):
        raise ModelError(f"mode must be 'sum' or 'max' (got {mode!r})")
    if updates not in UPDATES:
        raise ModelError(f"updates must be one of {', '.join(UPDATES)} (got {updates!r})")
    if not 0.0 <= float(damping) < 1.0:
        raise ModelError(f"damping must be in [0, 1), 0 meaning none (got {damping})")
    if int(max_iter) < 1 or not float(tol) >= 0:
        raise ModelError(f"expected max_iter >= 1 and tol >= 0 (got {max_iter}, {tol})")
    evidence = check_evidence(fg, evidence)
    model = clamp(fg, evidence)
    if updates == "tree" and not model.is_forest():
        raise ModelError("the tree schedule needs a tree-shaped factor graph, but this one has a "
                         "cycle; use parallel, seqfix, seqrnd or residual updates")
    lay = Layout(model)
    rec = Recorder(lay, mode, logdomain, record, tol)
    params = {"mode": mode, "updates": updates, "damping": float(damping), "tol": float(tol),
              "max_iter": int(max_iter), "seed": int(seed), "logdomain": bool(logdomain),
              "evidence": evidence_names(fg, evidence)}
    try:
        if updates == "tree":
            _tree(lay, mode, rec)
        else:
            _iterate(lay, mode, updates, float(damping), float(tol), int(max_iter), int(seed), rec)
    except ZeroMessage as z:
        raise zero_error(fg, evidence, z.where, model.is_forest()) from None
    beliefs = [rec.bv[: fg.cards[i], i].copy() for i in range(fg.n_vars)]
    result = {"marginals": marginals_dict(fg, beliefs, evidence), "map": None,
              "iterations": rec.iterations, "converged": rec.converged,
              "log_z": rec.bethe if mode == "sum" else None, "residual": rec.residual,
              "oscillating": rec.oscillating, "beliefs": beliefs, "messages_sent": rec.sent}
    if mode == "max":
        assign, consistent = decode_map(lay, rec.bv, rec.bf)
        result["map"] = map_dict(fg, assign, evidence)
        result["map_consistent"] = consistent
    kind = "sum-product" if mode == "sum" else "max-product"
    return Trace(kind=kind, graph=model.to_graph(), params=params, steps=tuple(rec.steps),
                 result=result)


def _damp(old: np.ndarray, new: np.ndarray, lam: float) -> np.ndarray:
    if lam == 0.0:
        return new
    return lam * old + (1.0 - lam) * new   # -inf stays -inf; both weights are > 0


def _ext_edge(lay: Layout, q: int, to_factor: bool) -> int:
    p = int(lay.int_to_ext[q])
    return 2 * p if to_factor else 2 * p + 1


def _iterate(lay: Layout, mode: str, updates: str, lam: float, tol: float, max_iter: int,
             seed: int, rec: Recorder) -> None:
    m = lay.init.copy()          # stored (damped) factor -> variable log messages: all ones
    new = lay.init.copy()        # latest undamped proposals (the beliefs use these)
    rng = np.random.default_rng(seed)
    r = None
    if updates == "residual":
        new = lay.factor_to_var(lay.var_to_factor(m), mode)
        r = np.abs(np.exp(new) - np.exp(m)).max(axis=0, initial=0.0)
    n_next = None                # var -> factor messages of the new m (reused when undamped)
    for it in range(1, max_iter + 1):
        if updates == "parallel":
            n = lay.var_to_factor(m) if n_next is None else n_next
            new = lay.factor_to_var(n, mode)
            m = _damp(m, new, lam)
            n_next = lay.var_to_factor(new) if lam == 0.0 else None
            rec.step(it, new, m, edges=np.arange(2 * lay.P), parallel=(n, new), n_new=n_next,
                     note="every variable, then every factor, sent its messages in parallel")
        elif updates in ("seqfix", "seqrnd"):
            order = rng.permutation(lay.F) if updates == "seqrnd" else np.arange(lay.F)
            sent: list[tuple[int, np.ndarray]] = []
            for f in order.tolist():
                qs = lay.factor_pairs(f)
                if not qs:
                    continue
                n = lay.incoming(m, qs)
                out = lay.one_factor(f, n, mode)
                new[:, qs] = out
                m[:, qs] = _damp(m[:, qs], out, lam)
                if rec.record:
                    sent += [(_ext_edge(lay, q, True), n[:, c]) for c, q in enumerate(qs)]
                    sent += [(_ext_edge(lay, q, False), out[:, c]) for c, q in enumerate(qs)]
            rec.step(it, new, m, edges=np.array([e for e, _ in sent], dtype=np.int64)
                     if rec.record else np.arange(2 * lay.P), sent=sent,
                     note=f"one pass over the factors in {'a random' if updates == 'seqrnd' else 'index'} "
                          "order, each update applied at once")
        else:
            _residual_pass(lay, mode, lam, m, new, r, rec, it)
        if rec.residual <= tol:
            rec.converged = True
            break
    rec.finish()


def _residual_pass(lay: Layout, mode: str, lam: float, m: np.ndarray, new: np.ndarray,
                   r: np.ndarray, rec: Recorder, it: int) -> None:
    """One iteration of residual BP; ``m``, ``new`` and the residuals ``r`` change in place."""
    sent: list[tuple[int, np.ndarray]] = []
    n_sent = 0
    for _ in range(lay.P):
        q = int(np.argmax(r))
        m[:, q] = _damp(m[:, q], new[:, q], lam)
        # libDAI zeroes the residual here; with damping the stored message still lags the
        # proposal, so keep what is left of the gap (0 when undamped) and revisit it later
        r[q] = float(np.abs(np.exp(new[:, q]) - np.exp(m[:, q])).max()) if lam else 0.0
        others = [t for t in lay.var_pairs[int(lay.var[q])] if t != q]
        n_sent += 1 + len(others)
        if rec.record:
            sent.append((_ext_edge(lay, q, False), new[:, q].copy()))
            if others:
                n_o = lay.incoming(m, others)
                sent += [(_ext_edge(lay, t, True), n_o[:, c]) for c, t in enumerate(others)]
        for t in others:                       # factors J of the variable, other than I
            f = int(lay.fac[t])
            qs = lay.factor_pairs(f)
            if len(qs) < 2:
                continue
            out = lay.one_factor(f, lay.incoming(m, qs), mode)
            for c, u in enumerate(qs):
                if u != t:
                    new[:, u] = out[:, c]
                    r[u] = float(np.abs(np.exp(out[:, c]) - np.exp(m[:, u])).max())
    edges = np.array([e for e, _ in sent], dtype=np.int64) if rec.record else np.zeros(n_sent, np.int64)
    rec.step(it, new, m, edges=edges, sent=sent,
             note=f"residual BP: {lay.P} single updates, the largest change first")


def _tree(lay: Layout, mode: str, rec: Recorder) -> None:
    """The two-pass protocol: collect to a root, then distribute (one message per step)."""
    v = lay.V
    adj: list[list[tuple[int, int]]] = [[] for _ in range(v + lay.F)]   # node -> (nbr, pair)
    for q in lay.ext_to_int.tolist():
        i, f = int(lay.var[q]), v + int(lay.fac[q])
        adj[i].append((f, q))
        adj[f].append((i, q))
    seen = [False] * (v + lay.F)
    schedule: list[tuple[int, int]] = []   # (sender node, internal pair)
    for root in range(v + lay.F):
        if seen[root] or not adj[root]:
            continue
        order, parent = [root], {root: (-1, -1)}
        seen[root] = True
        for node in order:
            for nb, q in adj[node]:
                if not seen[nb]:
                    seen[nb] = True
                    parent[nb] = (node, q)
                    order.append(nb)
        schedule += [(node, parent[node][1]) for node in reversed(order[1:])]     # collect
        schedule += [(parent[node][0], parent[node][1]) for node in order[1:]]    # distribute
    m = lay.init.copy()     # factor -> variable, 1 until received
    n = lay.init.copy()     # variable -> factor, 1 until received
    for k, (sender, q) in enumerate(schedule, 1):
        if sender < v:      # variable -> factor: product of the other factors' messages
            n[:, q] = lay.incoming(m, [q])[:, 0]
            edge, value = _ext_edge(lay, q, True), n[:, q].copy()
        else:
            f = sender - v
            qs = lay.factor_pairs(f)
            m[:, q] = lay.one_factor(f, n[:, qs], mode)[:, qs.index(q)]
            edge, value = _ext_edge(lay, q, False), m[:, q].copy()
        rec.tree_step(k, m, n, edge, value)
    rec.finish_tree(m, n)
