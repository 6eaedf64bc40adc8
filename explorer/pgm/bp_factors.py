"""The factor side of the BP kernel: factor -> variable messages, all at once or one factor
at a time.

Sums run in the linear domain on max-scaled tables and max-shifted incoming messages; a
message that comes out zero everywhere is recomputed in the log domain before it is declared
impossible.
"""

from __future__ import annotations

import numpy as np

from explorer.pgm.bp_workspace import Workspace, ZeroMessage, bshape

__all__ = ["FactorSide"]


class FactorSide:
    """Factor -> variable messages, all at once or one factor at a time.

    Mixed into :class:`explorer.pgm.bp_core.Layout`, whose index arrays and stacked tables it
    reads (see that module's docstring for the layout)."""

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
                            np.multiply(T if first else buf, xs[j].reshape(bshape(a, j, bl[j][0])), out=buf)
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
