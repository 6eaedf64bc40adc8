"""The variable side of the BP kernel: sums of incoming messages, variable -> factor
messages and variable beliefs.

Leave-one-out products count zeros instead of subtracting ``-inf``, so no NaN ever appears
(the fast path without that count is used while no message has a zero entry).
"""

from __future__ import annotations

import numpy as np

from explorer.pgm.bp_workspace import Workspace, ZeroMessage

__all__ = ["VariableSide"]


class VariableSide:
    """Sums of incoming messages, variable -> factor messages, variable beliefs.

    Mixed into :class:`explorer.pgm.bp_core.Layout`, whose index arrays and stacked tables it
    reads (see that module's docstring for the layout)."""

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

    def var_beliefs(self, tot, logs: list | None = None) -> np.ndarray:
        """``[Sv]`` normalised variable beliefs from the :meth:`totals` of the messages
        (``logs``: a list that receives ``e`` ``[Sv]`` and the per-class ``[n]`` sums, with
        ``b = exp(e) / sums``, for :meth:`bethe_log_z`)."""
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
        if logs is not None:
            logs += [b.copy(), []]
        np.exp(b, out=b)
        for k in range(len(self.vclasses)):
            v = self.vview(b, k)
            s = v.sum(axis=0)
            v /= s
            if logs is not None:
                logs[1].append(s)
        return b
