"""Recording BP steps (beliefs, residuals, Bethe log Z, oscillation) and decoding a MAP.

The :class:`Recorder` observes the engine. It computes what the stopping rule needs (the
largest belief change) and, only when ``record`` is on, also keeps each step's messages,
beliefs and figures. Unrecorded runs compute factor beliefs only once the variable beliefs
have settled below ``tol`` (the stopping decision is the same: the largest change cannot be
at most ``tol`` while a variable's change is above it), and the final figures once at the end.
The numbers in a Trace are the numbers the engine used.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from explorer.errors import EvidenceError, ModelError
from explorer.pgm.bp_core import Layout
from explorer.pgm.evidence import evidence_names
from explorer.pgm.factor_graph import FactorGraph
from explorer.trace import Ragged, Step

__all__ = ["Recorder", "decode_map", "zero_error", "OSC_WINDOW"]

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
