"""Beliefs and figures of the BP kernel: uniform starts, factor beliefs, the Bethe free
energy, and the gathers into a Trace's rows.

The gathers (:meth:`BeliefSide.states_values`, :meth:`BeliefSide.message_values`) turn the
kernel's flat arrays into the external order of the Trace with one precomputed index each
(``np.take`` with ``mode="wrap"``: the indices are valid by construction, and that mode's loop
is the quickest, ~7% below ``"clip"`` on the grid benchmark's 2x10^5-entry message gather;
strided block copies of the same rows were slower than the gather on that machine).
"""

from __future__ import annotations

import numpy as np

from explorer.pgm.bp_workspace import ZeroMessage, bshape

__all__ = ["BeliefSide", "sum_log", "dot"]

#: how many numbers :func:`sum_log` multiplies before taking one log
LOG_CHUNK = 32
#: the most numbers one BLAS call of :func:`dot` gets (OpenBLAS keeps to one thread up to 10000)
DOT_CHUNK = 8192


def sum_log(x: np.ndarray) -> float:
    """``sum(log(x))`` of positive numbers with one log per :data:`LOG_CHUNK` of them: chunks
    are multiplied first (a product of 32 numbers rounds by at most ~32 ulp, so the sum moves by
    at most ~1e-14 per chunk), unless there are fewer than ~1000 numbers or some product leaves
    [1e-290, 1e290] (then every number gets its own log). A log costs ~5 ns here, a product
    ~0.3 ns: on the 100x100 grid's 3*10^4 factor normalisers, 20 us instead of 140 us.

    Example:
        >>> x = np.linspace(0.5, 3.0, 1000)
        >>> bool(abs(sum_log(x) - np.log(x).sum()) < 1e-11)
        True
    """
    n = x.size // LOG_CHUNK * LOG_CHUNK
    if n < 1024:                        # a few logs cost less than the products' calls
        return float(np.log(x).sum())
    p = x[:n].reshape(LOG_CHUNK, -1).prod(axis=0)
    if not (p.min() >= 1e-290 and p.max() <= 1e290):
        return float(np.log(x).sum())
    return float(np.log(p).sum()) + float(np.log(x[n:]).sum())


def dot(a: np.ndarray, b: np.ndarray) -> float:
    """``sum(a * b)`` of two contiguous 1-d float arrays: BLAS dot products of at most
    :data:`DOT_CHUNK` numbers (a BLAS dot reads both arrays once with vector instructions,
    quicker than ``np.einsum("i,i->")``; OpenBLAS would split a longer one over threads, which
    costs more than it saves on a busy machine and bills the waiting threads to the process).

    Example:
        >>> x = np.arange(20000.0); bool(dot(x, x) == float((x * x).sum()))
        True
    """
    if a.size <= DOT_CHUNK:
        return float(np.dot(a, b))
    return float(sum(np.dot(a[i:i + DOT_CHUNK], b[i:i + DOT_CHUNK])
                     for i in range(0, a.size, DOT_CHUNK)))


class BeliefSide:
    """Beliefs, the Bethe free energy and the gathers into a Trace's rows.

    Mixed into :class:`explorer.pgm.bp_core.Layout`, whose index arrays and stacked tables it
    reads (see that module's docstring for the layout)."""

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
                       out: np.ndarray | None = None, sums: list | None = None) -> np.ndarray:
        """``[St]`` normalised factor beliefs from var->factor log messages ``n`` (``x`` =
        ``exp(n)`` when the caller has it; ``out`` = where to write them; ``sums``: a list that
        receives, group by group, the ``[G]`` normalisers ``Z_I`` of ``T_I * prod_j exp(n_j)``,
        or None for a group done in the log domain, for :meth:`bethe_log_z`)."""
        x = np.exp(n) if x is None else x
        bf = np.empty(self.St) if out is None else out
        for gr in self.groups:
            a, g = gr["arity"], gr["G"]
            b = self.group_view(bf, gr)
            T = self.group_view(self.T, gr)
            if a == 0:
                b[...] = T
            for j, (c, c0) in enumerate(gr["blocks"]):
                np.multiply(T if j == 0 else b, self.block(x, c, c0, g).reshape(bshape(a, j, c)), out=b)
            flat = b.reshape(-1, g)
            s = flat.sum(axis=0)
            if (s > 0).all():
                flat /= s
                if sums is not None:
                    sums.append(s)
                continue
            if sums is not None:
                sums.append(None)
            lb = self.group_view(self.logT, gr)       # underflow or impossibility: log domain
            for j, (c, c0) in enumerate(gr["blocks"]):
                lb = lb + self.block(n, c, c0, g).reshape(bshape(a, j, c))
            lf = self.normalise(lb.reshape(-1, g))
            if not np.isfinite(lf.max(axis=0)).all():
                f = int(gr["fids"][np.flatnonzero(~np.isfinite(lf.max(axis=0)))[0]])
                raise ZeroMessage(f"the belief of factor {self.fg.factors[f].label}")
            np.exp(lf, out=flat)
        return bf

    def bethe_log_z(self, bv: np.ndarray, bf: np.ndarray, scratch: np.ndarray | None = None,
                    parts: tuple[np.ndarray, list] | None = None,
                    vparts: list | None = None) -> float:
        """libDAI's ``logZ``: ``sum_i (1 - d_i) H(b_i) - sum_I KL(b_I || f_I)`` (natural logs);
        ``scratch``: an ``[St]`` buffer to use; ``parts``: ``(n, sums)``, the var -> factor log
        messages ``bf`` was computed from and the normalisers :meth:`factor_beliefs` returned;
        ``vparts``: ``(e, sums)`` that :meth:`var_beliefs` returned with ``bv``.

        Both are plain sums over the flat arrays (``(1 - d_i)`` spread over each variable's
        states); where some belief is 0 a sum gives NaN (``0 * -inf``) and is redone leaving
        those entries out. With ``parts`` the factor term comes from :meth:`_kl_sum`, and with
        ``vparts`` the entropies from ``log b_i = e_i - log sums_i``: no logarithm of every
        table entry or every state."""
        if "wdeg" not in self._rec:
            w = np.empty(self.Sv)
            for k, (c, off, n, vs) in enumerate(self.vclasses):
                self.vview(w, k)[...] = (1 - self.deg[vs])[None, :]
            # per class of equal cardinality: its variables' weights, and (weight, the class's
            # columns of that weight) for sum_log on large classes
            wts = [((1.0 - self.deg[vs]), [(int(x), np.flatnonzero(1 - self.deg[vs] == x))
                                           for x in np.unique(1 - self.deg[vs])])
                   for c, off, n, vs in self.vclasses]
            self._rec["wdeg"], self._rec["wcols"] = w, wts
        with np.errstate(divide="ignore", invalid="ignore"):
            ent = None
            if vparts is not None:       # sum_s b log b = sum_s b e - log(sum), sum_s b = 1
                e, vsums = vparts
                ent = -float(np.einsum("i,i,i->", bv, e, self._rec["wdeg"]))
                for s, (wv, wts) in zip(vsums, self._rec["wcols"]):    # + sum_i w_i log(sum_i)
                    if s.size < 4096:     # a few thousand logs cost less than gathers by weight
                        ent += float(np.einsum("i,i->", np.log(s), wv))
                    else:
                        ent += sum(x * sum_log(s[cols] if cols.size < s.size else s) for x, cols in wts if x)
                ent = ent if np.isfinite(ent) else None
            if ent is None:
                # (multiply-then-sum, not np.dot: a threaded BLAS dot is slow on a busy machine)
                e = np.log(bv)
                e *= bv
                ent = -float((e * self._rec["wdeg"]).sum())
                if not np.isfinite(ent):
                    ent = -float(np.sum(self._rec["wdeg"] * e, where=bv > 0))
            klsum = self._kl_sum(bf, *parts, scratch) if parts is not None else None
            if klsum is not None:
                return ent - klsum
            # sum bf (log bf - log f) as two dot products (reads only; einsum, not BLAS)
            lb = np.log(bf, out=scratch)
            klsum = float(np.einsum("i,i->", bf, lb)) - float(np.einsum("i,i->", bf, self.logT))
            if not np.isfinite(klsum):
                lb -= self.logT
                lb *= bf
                klsum = float(np.sum(lb, where=bf > 0))
        return ent - klsum

    def _kl_sum(self, bf: np.ndarray, n: np.ndarray, sums: list,
                scratch: np.ndarray | None = None) -> float | None:
        """``sum_I KL(b_I || f_I)`` from what the beliefs were made of: ``b_I = T_I prod_j
        exp(n_j) / Z_I`` with ``log T_I = log f_I - top_I`` (the tables are max-scaled), so

            KL(b_I || f_I) = sum_x b_I(x) sum_j n_j(x_j) - log Z_I - top_I

        (per group: the sums ``sum_j n_j(x_j)`` broadcast into one table-sized scratch, one dot
        product with the beliefs, and one log per factor, instead of a log of every table
        entry; on the grid benchmark's pairwise group ~20% quicker than a marginal and a dot
        per scope position). None when a group was done in the log domain or a zero
        message entry gives ``0 * -inf``: the caller then sums the definition.

        Example (one factor f = [[2, 1], [1, 2]] on two uniform-message binary variables):
            >>> import numpy as np; from explorer.pgm import Factor, FactorGraph
            >>> from explorer.pgm.bp_core import Layout
            >>> lay = Layout(FactorGraph(names=("a", "b"), cards=(2, 2), states=(("0", "1"),) * 2,
            ...              factors=(Factor((0, 1), np.array([[2.0, 1.0], [1.0, 2.0]])),)))
            >>> n, sums = np.zeros(lay.S), []
            >>> bf = lay.factor_beliefs(n, sums=sums)
            >>> f = np.array([2.0, 1.0, 1.0, 2.0]); b = f / 6
            >>> bool(np.isclose(lay._kl_sum(bf, n, sums), (b * np.log(b / f)).sum()))
            True
        """
        total = 0.0
        for gr, s in zip(self.groups, sums):
            if s is None:
                return None
            a, g = gr["arity"], gr["G"]
            b = self.group_view(bf, gr)
            ns = [self.block(n, c, c0, g) for c, c0 in gr["blocks"]]
            if a == 1:                                    # sum_x b(x) n_0(x)
                total += float(np.einsum("ij,ij->", b, ns[0]))
            elif a > 1:                                   # sum_x b(x) L(x), L = sum_j n_j(x_j)
                big = scratch is not None and scratch.size >= gr["size"]
                L = (scratch[:gr["size"]] if big else np.empty(gr["size"])).reshape(b.shape)
                ns = [v.reshape(bshape(a, j, v.shape[0])) for j, v in enumerate(ns)]
                np.add(ns[0], ns[1], out=L)
                for v in ns[2:]:
                    L += v
                with np.errstate(invalid="ignore"):      # 0 * -inf: None below
                    total += dot(b.reshape(-1), L.reshape(-1))
            total -= sum_log(s) + gr["top_sum"]
        return total if np.isfinite(total) else None

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
        return np.take(both, idx, out=out, mode="wrap"), off

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
        return np.take(pair, idx, out=out, mode="wrap"), off
