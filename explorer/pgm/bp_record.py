"""Recording BP steps (beliefs, residuals, Bethe log Z, oscillation) and decoding a MAP.

The :class:`Recorder` observes the engine: it computes the beliefs and figures the stopping
rule needs anyway, and only when ``record`` is on does it also keep them as Trace steps. The
numbers in the Trace are therefore the numbers the engine used.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from explorer.errors import EvidenceError, ModelError
from explorer.pgm.bp_core import Layout
from explorer.pgm.evidence import evidence_names
from explorer.pgm.factor_graph import FactorGraph
from explorer.trace import Step

__all__ = ["Recorder", "decode_map", "zero_error"]


class Recorder:
    """Per-iteration bookkeeping of a BP run (see :func:`explorer.pgm.bp.run_bp`)."""

    def __init__(self, lay: Layout, mode: str, logdomain: bool, record: bool, tol: float):
        self.lay, self.mode, self.logdomain, self.record = lay, mode, logdomain, record
        self.osc_threshold = max(float(tol), 1e-6)
        self.bv = np.concatenate([np.full(c, 1.0 / c) for c in lay.fg.cards]) if lay.V else np.zeros(0)
        self.bf = np.concatenate([np.full(f.table.size, 1.0 / f.table.size) for f in lay.fg.factors]) \
            if lay.F else np.zeros(0)
        self.steps: list[Step] = []
        self.iterations, self.converged, self.residual = 0, False, float("inf")
        self.oscillating, self.bethe, self.sent = False, None, 0
        self._hist: list[np.ndarray] = []

    # ------------------------------------------------------------------ shared
    def _update_beliefs(self, m_for_vars: np.ndarray, n_for_factors: np.ndarray) -> None:
        bv, bf = self.lay.beliefs(m_for_vars, n_for_factors)
        diffs = [np.abs(bv - self.bv).max(initial=0.0), np.abs(bf - self.bf).max(initial=0.0)]
        self.residual = float(max(diffs))
        self.bv, self.bf = bv, bf
        self.bethe = self.lay.bethe_log_z(bv, bf) if self.mode == "sum" else None

    def _message_change(self, stored: np.ndarray) -> float:
        p = np.exp(stored)
        self._hist = (self._hist + [p])[-3:]
        if len(self._hist) < 2:
            return float(np.abs(p - 1.0).max(initial=0.0))
        d1 = np.abs(p - self._hist[-2])
        if len(self._hist) == 3:
            d2 = np.abs(p - self._hist[0])
            self.oscillating = bool(np.any((d1 > self.osc_threshold) & (d2 < 0.1 * d1)))
        return float(d1.max(initial=0.0))

    def _values(self, rows: list[np.ndarray]):
        conv = (lambda a: a) if self.logdomain else np.exp
        if self.lay.uniform_card is not None:
            k = self.lay.uniform_card
            return conv(np.asarray(rows, dtype=float).reshape(len(rows), k))
        return [conv(np.asarray(r, dtype=float)) for r in rows]

    def _interleave(self, n: np.ndarray, new: np.ndarray):
        lay = self.lay
        if lay.uniform_card is not None:
            k = lay.uniform_card
            arr = np.empty((lay.P, 2, k))
            arr[:, 0], arr[:, 1] = n.reshape(lay.P, k), new.reshape(lay.P, k)
            arr = arr.reshape(2 * lay.P, k)
            return arr if self.logdomain else np.exp(arr)
        src_n, src_m = (n, new) if self.logdomain else (np.exp(n), np.exp(new))
        off = lay.off.tolist()
        out = []
        for p in range(lay.P):
            out.append(src_n[off[p]:off[p + 1]])
            out.append(src_m[off[p]:off[p + 1]])
        return out

    def _states(self) -> list:
        return self.lay.var_rows(self.bv) + self.lay.factor_rows(self.bf)

    def _extras(self, change: float) -> dict:
        return {"residual": self.residual, "max_message_change": change,
                "bethe_log_z": self.bethe, "oscillating": self.oscillating}

    # ------------------------------------------------------------------ iterative schedules
    def step(self, it: int, new: np.ndarray, stored: np.ndarray, *, edges: np.ndarray,
             rows: tuple[np.ndarray, np.ndarray] | None = None, values: list | None = None,
             note: str = "") -> None:
        """After iteration ``it``: beliefs from the undamped ``new``, figures from ``stored``."""
        self._update_beliefs(new, self.lay.var_to_factor(new))
        change = self._message_change(stored)
        self.iterations = it
        self.sent += int(edges.size)
        if not self.record:
            return
        msgs = self._interleave(*rows) if rows is not None else self._values(values or [])
        self.steps.append(Step(
            edges=edges, messages=msgs, aggregates=None, states=self._states(),
            extras=self._extras(change),
            note=f"Iteration {it}: {note}; largest belief change {self.residual:.3g}"
                 + (" (a message is flipping back and forth)" if self.oscillating else ""),
            label=f"iteration {it}"))

    # ------------------------------------------------------------------ tree schedule
    def tree_step(self, k: int, m: np.ndarray, n: np.ndarray, edge: int, value: np.ndarray) -> None:
        self.sent += 1
        if not self.record:
            return
        self._update_beliefs(m, n)
        lay = self.lay
        p = edge // 2
        v, f = lay.fg.names[lay.var[p]], lay.fg.factors[lay.fac[p]].label
        text = f"{v} -> {f}" if edge % 2 == 0 else f"{f} -> {v}"
        self.steps.append(Step(
            edges=np.array([edge]), messages=self._values([value]), aggregates=None,
            states=self._states(), extras=self._extras(float("nan")),
            note=f"Message {k} of {2 * lay.P}: {text} (it has heard from all its other neighbours)",
            label=text))

    def finish_tree(self, m: np.ndarray, n: np.ndarray) -> None:
        self._update_beliefs(m, n)
        self.residual = 0.0
        self.iterations, self.converged = 1, True
        for s in self.steps:
            if s.extras["max_message_change"] != s.extras["max_message_change"]:  # NaN marker
                s.extras["max_message_change"] = 0.0


def decode_map(lay: Layout, bv: np.ndarray, bf: np.ndarray) -> tuple[list[int], bool]:
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
            b = bf[lay.foff[k]:lay.foff[k + 1]].reshape(f.table.shape)
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
            assign[i] = int(np.argmax(bv[lay.varoff[i]:lay.varoff[i + 1]]))
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
