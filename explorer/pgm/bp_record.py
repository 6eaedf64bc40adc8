"""Recording BP steps (beliefs, residuals, Bethe log Z, oscillation) and decoding a MAP.

The :class:`Recorder` observes the engine. It computes what the stopping rule needs (the
largest belief change) and, only when ``record`` is on, also keeps each step's messages,
beliefs and figures. Unrecorded runs compute factor beliefs only once the variable beliefs
have settled below ``tol`` (the stopping decision is the same: the largest change cannot be
at most ``tol`` while a variable's change is above it), and the final figures once at the end.
The numbers in a Trace are the numbers the engine used.

Summaries are kept incrementally: the oscillation window is, per message entry, the last
iteration at which it rose and the last at which it fell (not a list of masks re-reduced every
step), and each step's rows are gathered from the engine's flat arrays with one precomputed
index (see :meth:`explorer.pgm.bp_core.Layout.message_values`).
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from explorer.errors import EvidenceError, ModelError
from explorer.pgm.bp_core import Layout, Workspace
from explorer.pgm.evidence import evidence_names
from explorer.pgm.factor_graph import FactorGraph
from explorer.trace import Ragged, Step

__all__ = ["Recorder", "decode_map", "zero_error", "OSC_WINDOW"]

#: iterations looked back over when deciding whether messages oscillate
OSC_WINDOW = 8


def _change(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).max(initial=0.0))


class _Oscillation:
    """The ``oscillating`` flag over a sliding window of :data:`OSC_WINDOW` pushes.

    A push is one iteration's change of the stored messages (probabilities). The flag is set
    when, over a full window, some message entry both rose and fell by more than the threshold,
    the last change is above it, and the changes of the window's second half are at least half
    those of its first (they do not die out: it flips back and forth, with period 2 or the
    longer swings of a frustrated loop, instead of settling)."""

    def __init__(self, size: int, threshold: float):
        self.thr = threshold
        self.k = 0
        self.last_up = np.full(size, -OSC_WINDOW - 1, np.int64)
        self.last_down = np.full(size, -OSC_WINDOW - 1, np.int64)
        self.sizes: list[float] = []
        self.flag = False

    def push(self, d: np.ndarray) -> float:
        """``d`` = current - previous probabilities (may be overwritten); returns max |d|."""
        self.k += 1
        size = float(max(d.max(initial=0.0), -d.min(initial=0.0)))
        self.last_up[d > self.thr] = self.k
        self.last_down[d < -self.thr] = self.k
        self.sizes = (self.sizes + [size])[-OSC_WINDOW:]
        half = OSC_WINDOW // 2
        self.flag = (len(self.sizes) == OSC_WINDOW and size > self.thr
                     and max(self.sizes[half:]) >= 0.5 * max(self.sizes[:half]))
        if self.flag:
            lo = self.k - OSC_WINDOW
            self.flag = bool(np.any((self.last_up > lo) & (self.last_down > lo)))
        return size


class Recorder:
    """Per-iteration bookkeeping of a BP run (see :func:`explorer.pgm.bp.run_bp`)."""

    def __init__(self, lay: Layout, ws: Workspace, mode: str, logdomain: bool, record: bool, tol: float):
        self.lay, self.ws, self.mode, self.logdomain, self.record, self.tol = lay, ws, mode, logdomain, record, tol
        self.bv, self.bf = lay.uniform_beliefs()
        self.steps: list[Step] = []
        self.iterations, self.converged, self.residual = 0, False, float("inf")
        self.oscillating, self.bethe, self.sent = False, None, 0
        self._osc = _Oscillation(lay.S, max(float(tol), 1e-6))
        self._hist: list[np.ndarray] = []         # unrecorded: the last stored messages (logs)
        self._last_p: np.ndarray | None = None
        self._new = self._prev_new = None
        self._n_new = None

    # ------------------------------------------------------------------ figures
    def _oscillation(self, stored: np.ndarray, p: np.ndarray | None = None) -> float:
        """For recorded steps: the largest stored-message change in this iteration (``p`` =
        ``exp(stored)`` when the caller has it), and the ``oscillating`` flag (see
        :class:`_Oscillation`). Unrecorded runs compute the same flag once, in :meth:`finish`."""
        p = np.exp(stored) if p is None else p          # ours: a view of this step's buffer
        if self._last_p is None:
            change = float(np.abs(p - 1.0).max(initial=0.0))      # messages start at 1
            self._last_p = p
        else:
            d = np.subtract(p, self._last_p, out=self._last_p)
            change = self._osc.push(d)
            self._last_p = p
        self.oscillating = self._osc.flag
        return change

    def _rows(self, values: np.ndarray, offsets: np.ndarray):
        """Display rows: a ``[n, K]`` array when every variable has K states, else a Ragged."""
        if self.lay.uniform:
            return values.reshape(-1, self.lay.K)
        return Ragged(values, offsets)

    def _states(self) -> Ragged:
        """One :class:`Ragged` per step (two buffers, not one array per node)."""
        return Ragged(*self.lay.states_values(self.bv, self.bf))

    def _sent_rows(self, sent: list[tuple[int, np.ndarray]]):
        shown = [self.lay.normalise(v) for _, v in sent]
        if not self.logdomain:
            shown = [np.exp(v) for v in shown]
        if self.lay.uniform:
            return np.array(shown).reshape(-1, self.lay.K)
        return Ragged.from_rows(shown)

    # ------------------------------------------------------------------ iterative schedules
    def step(self, it: int, new: np.ndarray, stored: np.ndarray, *, edges: np.ndarray,
             tot=None, parallel: tuple[np.ndarray, np.ndarray] | None = None,
             sent: list[tuple[int, np.ndarray]] | None = None,
             n_new: np.ndarray | None = None, note: str = "") -> None:
        """After iteration ``it``: beliefs from the undamped ``new`` (``tot`` = its
        :meth:`Layout.totals`, ``n_new`` = its var -> factor messages when the caller has
        them), figures from ``stored``.

        ``parallel`` = (var->factor log messages, their ``exp``) of a parallel step (the
        factor->var ones are ``new``); ``sent`` = ``[(edge id, log vector)]`` in sending order
        for sequential steps.
        """
        lay = self.lay
        self.iterations = it
        self.sent += int(edges.size)
        if not self.record:
            if len(self._hist) > OSC_WINDOW:
                h = self._hist.pop(0)
                np.copyto(h, stored)
            else:
                h = stored.copy()
            self._hist.append(h)
        self._prev_new, self._new, self._n_new = self._new, new.copy(), n_new
        bv = lay.var_beliefs(tot if tot is not None else lay.totals(new, self.ws))
        dv = _change(bv, self.bv)
        old_bf = self.bf
        self.bv = bv
        if self.record or dv <= self.tol:
            if old_bf is None:
                old_bf = self._factor_beliefs_of(self._prev_new, None)
            self.bf = self._factor_beliefs_of(self._new, n_new)
            self.residual = max(dv, _change(self.bf, old_bf))
        else:
            self.bf, self.residual = None, dv
        if not self.record:
            return
        p_new = None
        if parallel is not None:
            n, xn = parallel
            pair = np.empty(2 * lay.S)
            a, b = pair[:lay.S], pair[lay.S:]
            np.copyto(a, xn)
            for c in lay.mclasses:                    # var -> factor shown normalised
                v = lay.mview(a, c)
                v /= v.sum(axis=0)
            if self.logdomain:
                np.log(a, out=a)
                np.copyto(b, new)
            else:
                np.exp(new, out=b)
                p_new = b
            msgs = self._rows(*lay.message_values(pair))
        else:
            msgs = self._sent_rows(sent or [])
        change = self._oscillation(stored, p_new if stored is new else None)
        self.bethe = lay.bethe_log_z(self.bv, self.bf) if self.mode == "sum" else None
        self.steps.append(Step(
            edges=edges, messages=msgs, aggregates=None, states=self._states(),
            extras={"residual": self.residual, "max_message_change": change,
                    "bethe_log_z": self.bethe, "oscillating": self.oscillating},
            note=f"Iteration {it}: {note}; largest belief change {self.residual:.3g}"
                 + (" (a message is flipping back and forth)" if self.oscillating else ""),
            label=f"iteration {it}"))

    def _factor_beliefs_of(self, new: np.ndarray, n_new: np.ndarray | None) -> np.ndarray:
        lay = self.lay
        if n_new is None:
            n_new = lay.var_to_factor(new, lay.totals(new, self.ws), self.ws)
        return lay.factor_beliefs(n_new)

    def finish(self) -> None:
        """Final beliefs and figures of an iterative run (exact whether or not recorded)."""
        lay = self.lay
        if self.bf is None:
            old = self._factor_beliefs_of(self._prev_new, None) if self._prev_new is not None else None
            self.bf = self._factor_beliefs_of(self._new, self._n_new)
            if old is not None:
                self.residual = max(self.residual, _change(self.bf, old))
        if not self.record:
            ps = [np.exp(h) for h in self._hist]
            for a, b in zip(ps[:-1], ps[1:]):
                self._osc.push(b - a)
            self.oscillating = self._osc.flag
        self.bethe = lay.bethe_log_z(self.bv, self.bf) if self.mode == "sum" else None

    # ------------------------------------------------------------------ tree schedule
    def tree_step(self, k: int, m: np.ndarray, n: np.ndarray, edge: int, value: np.ndarray) -> None:
        lay = self.lay
        self.sent += 1
        if not self.record:
            return
        bv, bf = lay.var_beliefs(lay.totals(m, self.ws)), lay.factor_beliefs(n)
        change = max(_change(bv, self.bv), _change(bf, self.bf))
        self.bv, self.bf = bv, bf
        self.bethe = lay.bethe_log_z(self.bv, self.bf) if self.mode == "sum" else None
        q = int(lay.ext_to_int[edge // 2])
        shown = lay.normalise(value)
        v, f = lay.fg.names[lay.var[q]], lay.fg.factors[lay.fac[q]].label
        text = f"{v} -> {f}" if edge % 2 == 0 else f"{f} -> {v}"
        self.steps.append(Step(
            edges=np.array([edge]), messages=self._sent_rows([(edge, value)]),
            aggregates=None, states=self._states(),
            extras={"residual": change, "bethe_log_z": self.bethe, "oscillating": False,
                    "max_message_change": float(np.abs(np.exp(shown) - 1.0 / shown.size).max())},
            note=f"Message {k} of {2 * lay.P}: {text} (it has heard from all its other neighbours)",
            label=text))

    def finish_tree(self, m: np.ndarray, n: np.ndarray) -> None:
        self.bv, self.bf = self.lay.var_beliefs(self.lay.totals(m, self.ws)), self.lay.factor_beliefs(n)
        self.bethe = self.lay.bethe_log_z(self.bv, self.bf) if self.mode == "sum" else None
        self.residual, self.iterations, self.converged = 0.0, 1, True


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
            assign[i] = int(np.argmax(lay.var_belief(bv, i)))
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
