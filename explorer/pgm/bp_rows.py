"""The copies of the BP kernel's flat arrays into a Trace's rows (recording only).

A recorded step keeps every variable's and factor's belief (``states``) and, on the parallel
schedule, every directed message (``messages``), one row per node or edge in the factor graph's
own order. The kernel keeps the same numbers grouped for its arithmetic (see
:mod:`explorer.pgm.bp_core`): a width class or a factor group is a ``[w, G]`` block, state-major,
while the Trace wants its ``G`` rows of ``w`` values back to back. Where those ``G`` rows are
consecutive in the Trace (a group of consecutive factors, a run of consecutive variables of one
cardinality: every block of a grid or a generated model), the copy is one transposed block
copy that writes the rows once, in order (into fresh memory that is most of a recorded step's
cost); the rest goes through a precomputed gather index.
"""

from __future__ import annotations

import numpy as np

__all__ = ["RowSide"]


class RowSide:
    """Gathers and block copies from the kernel's arrays into the Trace's ``states`` and
    ``messages`` rows.

    Mixed into :class:`explorer.pgm.bp_core.Layout`, whose index arrays it reads; every index
    and plan is built on first use and cached in ``self._rec`` (once per model)."""

    # ------------------------------------------------------------------ states
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

    def _state_plan(self):
        """``(variable blocks, factor blocks, rest)``: blocks ``(src offset, w, n, dst offset)``
        copy a ``[w, n]`` block of ``bv`` (or ``bf``) to ``n`` consecutive rows of ``w``; ``rest``
        = ``(dst, src)`` index pairs for ``bv`` then for ``bf`` (rows that are not consecutive)."""
        if "splan" not in self._rec:
            idx, off = self._state_index()
            vblocks, fblocks, vdst, fdst = [], [], [], []
            for c, o, n, vs in self.vclasses:
                if n and int(vs[-1] - vs[0]) + 1 == n:       # a run of variables, rows in order
                    vblocks.append((o, c, n, int(off[vs[0]])))
                else:
                    vdst.append((off[vs][:, None] + np.arange(c)[None, :]).ravel())
            for gr in self.groups:
                g, w = gr["G"], gr["size"] // max(gr["G"], 1)
                start = int(off[self.V + gr["fids"][0]]) if g else 0
                if gr["contiguous"]:
                    fblocks.append((gr["toff"], w, g, start))
                else:
                    fdst.append((off[self.V + gr["fids"]][:, None] + np.arange(w)[None, :]).ravel())
            vd = np.concatenate(vdst) if vdst else np.zeros(0, np.int64)
            fd = np.concatenate(fdst) if fdst else np.zeros(0, np.int64)
            self._rec["splan"] = (vblocks, fblocks, (vd, idx[vd], fd, idx[fd] - self.Sv))
        return self._rec["splan"]

    def states_into(self, bv: np.ndarray, bf: np.ndarray, out: np.ndarray):
        """``(values, offsets)`` of the Trace's ``states`` rows from the variable beliefs ``bv``
        ``[Sv]`` and the factor beliefs ``bf`` ``[St]``, written into ``out`` ``[Sv + St]``."""
        vblocks, fblocks, (vd, vs, fd, fs) = self._state_plan()
        for src, blocks in ((bv, vblocks), (bf, fblocks)):
            for o, w, n, d in blocks:
                np.positive(src[o:o + w * n].reshape(w, n), out=out[d:d + w * n].reshape(n, w).T)
        if vd.size:
            out[vd] = bv[vs]
        if fd.size:
            out[fd] = bf[fs]
        return out, self._state_index()[1]

    # ------------------------------------------------------------------ messages
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

    def _message_plan(self):
        """Per factor group, where its message rows lie: ``(parts, dst offset, G, R)``; the
        group's rows are the ``[G, R]`` block at the offset (one block row per factor: its edges
        ``2p, 2p+1`` for each of its pairs in scope order), and each part ``(c, col0, k, col)``
        says that ``k`` consecutive scope positions, from column ``col`` of the block, take
        their ``k * G`` messages from width class ``c``'s columns ``col0 ...`` (one part for a
        group whose variables all have ``c`` states). None when some group's factors are not
        consecutive."""
        if "mplan" not in self._rec:
            _, off = self._message_index()
            plan: list | None = []
            for gr in self.groups:
                if not gr["arity"] or not gr["G"]:
                    continue
                if not gr["contiguous"]:
                    plan = None
                    break
                g, parts, col = gr["G"], [], 0
                for c, col0 in gr["blocks"]:
                    last = parts[-1] if parts else None
                    if last and last[0] == c and last[1] + last[2] * g == col0:
                        parts[-1] = (c, last[1], last[2] + 1, last[3])   # the next G columns
                    else:
                        parts.append((c, col0, 1, col))
                    col += 2 * c
                plan.append((parts, int(off[2 * self.pstart[gr["fids"][0]]]), g, col))
            self._rec["mplan"] = plan
        return self._rec["mplan"]

    def messages_into(self, pair: np.ndarray, out: np.ndarray):
        """A parallel step's message rows from ``pair`` ``[2S]`` = var -> factor then factor ->
        var messages, written into ``out`` ``[2S]``; returns their offsets, or None (nothing
        written) when the model has no plan (see :meth:`_message_plan`): the caller then uses
        :meth:`message_values`.

        Each part is one copy from a ``[2, c, k, G]`` view of ``pair`` to the transposed
        ``[G, k, 2, c]`` rows, so the rows are written once, in order (a copy per message
        block would write every cache line of the rows once per block)."""
        plan = self._message_plan()
        if plan is None:
            return None
        both = pair.reshape(2, self.S)
        for parts, d0, g, r in plan:
            rows = out[d0:d0 + g * r].reshape(g, r)
            for c, col0, k, col in parts:
                eoff, n, _ = self.mclasses[c]
                src = both[:, eoff:eoff + c * n].reshape(2, c, n)[:, :, col0:col0 + k * g]
                dst = rows[:, col:col + 2 * c * k].reshape(g, k, 2, c).transpose(2, 3, 1, 0)
                np.positive(src.reshape(2, c, k, g), out=dst)
        return self._message_index()[1]
