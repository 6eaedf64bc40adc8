"""Beliefs and figures of the BP kernel: uniform starts, factor beliefs, the Bethe free
energy, and the gathers into a Trace's rows.

The gathers (:meth:`BeliefSide.states_values`, :meth:`BeliefSide.message_values`) turn the
kernel's flat arrays into the external order of the Trace with one precomputed index each.
"""

from __future__ import annotations

import numpy as np

from explorer.pgm.bp_workspace import ZeroMessage, bshape

__all__ = ["BeliefSide"]


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
                np.multiply(T if j == 0 else b, self.block(x, c, c0, g).reshape(bshape(a, j, c)), out=b)
            flat = b.reshape(-1, g)
            s = flat.sum(axis=0)
            if (s > 0).all():
                flat /= s
                continue
            lb = self.group_view(self.logT, gr)       # underflow or impossibility: log domain
            for j, (c, c0) in enumerate(gr["blocks"]):
                lb = lb + self.block(n, c, c0, g).reshape(bshape(a, j, c))
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
