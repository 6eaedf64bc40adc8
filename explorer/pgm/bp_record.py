"""Recording BP steps (beliefs, residuals, Bethe log Z, oscillation) and decoding a MAP.

The :class:`Recorder` observes the engine. It computes what the stopping rule needs (the
largest belief change) and, only when ``record`` is on, also keeps each step's messages,
beliefs and figures. Unrecorded runs compute factor beliefs only once the variable beliefs
have settled below ``tol`` (the stopping decision is the same: the largest change cannot be
at most ``tol`` while a variable's change is above it), and the final figures once at the end.
The numbers in a Trace are the numbers the engine used.

Summaries reuse what the step already computed instead of recomputing from the beliefs: the
Bethe energy takes the factor beliefs' normalisers and the messages they were made from, and the
variable beliefs' own logs (:meth:`explorer.pgm.bp_core.Layout.bethe_log_z`; no logarithm of
every table entry); the oscillation window is a ring of one-byte rise/fall codes of the last
:data:`OSC_WINDOW` changes, each written once (none for a change within the threshold), whose
rise-and-fall test runs only once the cheap size tests pass. Each step's rows are gathered
from the engine's flat arrays with one precomputed index (see
:meth:`explorer.pgm.bp_core.Layout.message_values`) into fresh memory taken from large chunks
(:class:`Arena`).

What a recorded step costs beyond an unrecorded one (100x100 Ising grid, ``bench bp``; about
1.1-1.3 ms, recorded/unrecorded 1.55-1.65x in alternating runs on a quiet 2-core machine; per-call
timers): gathering its ~2.4 MiB of rows into fresh memory (~0.45-0.5 ms with the page faults; the
gathers run at ``np.take`` speed, and transposing block copies were slower), and some ten passes
over arrays of the model's size at ~0.3 ns per number with NumPy there: factor beliefs
(~0.18 ms), their change (~0.1 ms), the Bethe sums (~0.25 ms), the displayed var -> factor
messages (~0.08 ms) and the oscillation change (~0.13 ms; its rise/fall codes only while the
messages still move by more than the threshold). ``exp`` and ``log`` cost ~5 ns per number on
such a machine (no AVX-512), so the recorder takes none per entry; the ``exp`` of the next
var -> factor messages that the factor beliefs need is handed to the engine, which skips it.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from explorer.errors import EvidenceError, ModelError
from explorer.pgm.bp_core import Layout, Workspace
from explorer.pgm.evidence import evidence_names
from explorer.pgm.factor_graph import FactorGraph
from explorer.trace import Ragged, Step

__all__ = ["Recorder", "Arena", "decode_map", "zero_error", "OSC_WINDOW"]

#: iterations looked back over when deciding whether messages oscillate
OSC_WINDOW = 8
#: table entries from which the Bethe energy comes from the beliefs' parts (below it, the
#: definition's one log per entry costs less than the shortcut's calls)
BETHE_PARTS_MIN = 16384


def _change(a: np.ndarray, b: np.ndarray, scratch: np.ndarray | None = None) -> float:
    """``max |a - b|`` (0 for empty arrays)."""
    d = np.subtract(a, b, out=scratch)
    return float(max(d.max(initial=0.0), -d.min(initial=0.0)))


class _Oscillation:
    """The ``oscillating`` flag over a sliding window of :data:`OSC_WINDOW` pushes.

    A push is one iteration's change of the stored messages (probabilities). The flag is set
    when, over a full window, some message entry both rose and fell by more than the threshold,
    the last change is above it, and the changes of the window's second half are at least half
    those of its first (they do not die out: it flips back and forth, with period 2 or the
    longer swings of a frustrated loop, instead of settling).

    Kept incrementally: a ring of :data:`OSC_WINDOW` one-byte codes per message entry (1: rose
    by more than the threshold, 2: fell), each written once from its change, which itself lives
    in one reused buffer; a change no larger than the threshold writes no codes (its slot is
    marked all-zero: on the grid benchmark, the last two thirds of the steps); the rise-and-fall
    test ORs the ring only when the cheap size tests already say "oscillating" (never while a
    run settles). Unrecorded runs keep only the last stored messages (references when the
    engine made them fresh) and replay the window once at the end."""

    def __init__(self, size: int, threshold: float):
        self.thr = threshold
        self.size = size
        self.codes: list[np.ndarray | None] = [None] * OSC_WINDOW    # per slot: rose 1, fell 2
        self.zero = [True] * OSC_WINDOW          # per slot: its codes are all 0 (not written)
        self._d: np.ndarray | None = None        # the latest change (one buffer, reused)
        self._b: np.ndarray | None = None        # scratch for the codes
        self.k = 0
        self.sizes: list[float] = []
        self.flag = False
        self._last: np.ndarray | None = None
        self._own = False                # _last is this object's buffer (not a kept reference)

    def push(self, d: np.ndarray) -> float:
        """``d`` = current - previous probabilities (read now, not kept); returns max |d|."""
        j = self.k % OSC_WINDOW
        self.k += 1
        size = float(max(d.max(initial=0.0), -d.min(initial=0.0)))
        self.zero[j] = not size > self.thr       # then no entry rose or fell by more
        if not self.zero[j]:
            if self.codes[j] is None or self.codes[j].size != d.size:
                self.codes[j] = np.empty(d.size, np.uint8)
            if self._b is None or self._b.size != d.size:
                self._b = np.empty(d.size, np.uint8)
            c, b = self.codes[j], self._b
            np.less(d, -self.thr, out=b.view(bool))
            np.left_shift(b, 1, out=b)
            np.greater(d, self.thr, out=c.view(bool))
            c |= b
        self.sizes = (self.sizes + [size])[-OSC_WINDOW:]
        half = OSC_WINDOW // 2
        self.flag = (len(self.sizes) == OSC_WINDOW and size > self.thr
                     and max(self.sizes[half:]) >= 0.5 * max(self.sizes[:half]))
        if self.flag:
            # an entry oscillates when the OR of its codes over the window is 3 (this slot's
            # codes are written: its change is above the threshold)
            live = [c for c, z in zip(self.codes, self.zero) if not z]
            self.flag = bool((np.bitwise_or.reduce(live) == 3).any())
        return size

    def observe(self, p: np.ndarray, keep: bool = False) -> float:
        """The stored messages (probabilities) after an iteration; returns the largest change
        (from the all-ones start for the first). ``keep``: ``p`` stays unchanged until the
        next call, so it is kept by reference instead of copied."""
        first = self._last is None
        if not first:
            if self._d is None:
                self._d = np.empty(self.size)
            d = np.subtract(p, self._last, out=self._d)
        if keep:
            self._last = p
        elif self._last is None or not self._own:
            self._last = p.copy()
        else:
            np.copyto(self._last, p)
        self._own = not keep
        if first:
            return float(np.abs(p - 1.0).max(initial=0.0))
        return self.push(d)

    def replay(self, stored_logs: list[np.ndarray]) -> None:
        """Unrecorded runs: push the changes between the last stored log messages at once."""
        ps = [np.exp(h) for h in stored_logs]
        for k in range(len(ps) - 1, 0, -1):
            ps[k] -= ps[k - 1]
        for d in ps[1:]:
            self.push(d)


#: bytes in a huge page: the Arena's large chunks start at a multiple. NumPy asks the kernel for
#: huge pages on large arrays, but the kernel gives them only to whole aligned 2 MiB stretches;
#: malloc puts a chunk a few bytes past a 4 KiB page boundary, so its partial first stretch
#: would take 4 KiB pages, one page fault each. The skipped head is never written (address
#: space, not memory); the chunk keeps malloc's size (a different size, or trimming the tail
#: as well, changed malloc's later choices so that the unrecorded runs of ``bench bp``, which
#: alternate with recorded ones, took ~3000 page faults each instead of none).
HUGE_PAGE = 1 << 21


class Arena:
    """Hands out consecutive pieces of large chunks for the arrays a Trace keeps.

    A recorded run writes a few new arrays per step; taking them from chunks of up to
    :attr:`CHUNK` doubles (rather than one allocation each) lets the kernel back them with huge
    pages, which halves the cost of touching fresh memory on the 100x100 grid benchmark (chunks
    of 4 huge pages or more start on a huge-page boundary, see :data:`HUGE_PAGE`)."""

    CHUNK = 1 << 21          # doubles (16 MiB)

    def __init__(self, per_step: int):
        self.size = int(min(max(16 * per_step, 1), max(self.CHUNK, per_step)))
        self.buf = np.empty(0)
        self.pos = 0

    def get(self, n: int) -> np.ndarray:
        if self.pos + n > self.buf.size:
            size = max(self.size, n)
            if 8 * size < 4 * HUGE_PAGE:
                self.buf = np.empty(size)
            else:               # start on a huge-page boundary (see HUGE_PAGE)
                raw = np.empty(max(size, n + HUGE_PAGE // 8))
                self.buf = raw[(-raw.ctypes.data % HUGE_PAGE) // 8:]
            self.pos = 0
        out = self.buf[self.pos:self.pos + n]
        self.pos += n
        return out


class Recorder:
    """Per-iteration bookkeeping of a BP run (see :func:`explorer.pgm.bp.run_bp`).

    Factor beliefs live in two ``[Sv + St]`` buffers used in turn (the variable beliefs are
    copied in front of them when a step's states are gathered): ``bf`` is the second part of
    one of them, and the previous step's beliefs stay in the other until they are compared.
    """

    def __init__(self, lay: Layout, ws: Workspace, mode: str, logdomain: bool, record: bool, tol: float):
        self.lay, self.ws, self.mode, self.logdomain, self.record, self.tol = lay, ws, mode, logdomain, record, tol
        self.bv, self.bf = lay.uniform_beliefs()
        self._slot = -1                           # which buffer holds bf (-1: neither)
        self._bufs: list[np.ndarray] = []
        self.steps: list[Step] = []
        self.iterations, self.converged, self.residual = 0, False, float("inf")
        self.oscillating, self.bethe, self.sent = False, None, 0
        self._osc = _Oscillation(lay.S, max(float(tol), 1e-6))
        self._hist: list[np.ndarray] = []         # unrecorded: the last stored messages (logs)
        self._scratch = np.empty(lay.St) if record else None
        self._arena = Arena(2 * lay.S + lay.Sv + lay.St) if record else None
        self._new = self._prev_new = None
        self._n_new = None
        self._parts: tuple | None = None          # (n, sums) behind bf (see Layout.bethe_log_z)
        self._vparts: list | None = None          # (e, sums) behind bv (the same)
        self._short = mode == "sum" and lay.St >= BETHE_PARTS_MIN

    # ------------------------------------------------------------------ figures
    def _fb(self, new: np.ndarray, n_new: np.ndarray | None, avoid: int,
            x: np.ndarray | None = None) -> tuple[np.ndarray, int, tuple]:
        """Factor beliefs of the messages ``new`` into the buffer other than ``avoid``
        (``x``: where to put ``exp`` of the var -> factor messages, when the caller keeps it),
        the buffer's slot, and what :meth:`Layout.bethe_log_z` can reuse (``parts``)."""
        lay = self.lay
        if not self._bufs:
            self._bufs = [np.empty(lay.Sv + lay.St), np.empty(lay.Sv + lay.St)]
        if n_new is None:
            n_new = lay.var_to_factor(new, lay.totals(new, self.ws), self.ws)
        slot = 1 - avoid if avoid in (0, 1) else 0
        x = None if x is None else np.exp(n_new, out=x)
        sums: list = []
        return lay.factor_beliefs(n_new, x, out=self._bufs[slot][lay.Sv:], sums=sums), slot, (n_new, sums)

    def _set_beliefs(self, bv: np.ndarray, new: np.ndarray, n_new: np.ndarray | None,
                     prev_new: np.ndarray | None, dv: float | None = None,
                     x: np.ndarray | None = None) -> float:
        """New beliefs; returns the largest change of any belief (``prev_new``: the messages
        behind the current factor beliefs when those were skipped; ``dv``: the variable
        beliefs' change when already known; ``x``: see :meth:`_fb`)."""
        dv = _change(bv, self.bv) if dv is None else dv
        self.bv = bv
        old_bf, old_slot = self.bf, self._slot
        if old_bf is None:
            old_bf, old_slot, _ = self._fb(prev_new, None, -1)
        self.bf, self._slot, self._parts = self._fb(new, n_new, old_slot, x)
        return max(dv, _change(self.bf, old_bf, self._scratch))

    def _bethe(self, scratch: np.ndarray | None = None) -> float | None:
        """Bethe log Z of the current beliefs (sum mode, else None): from the parts they were
        made of on models of :data:`BETHE_PARTS_MIN` table entries or more (see
        :meth:`Layout.bethe_log_z`), from its definition on smaller ones."""
        if self.mode != "sum":
            return None
        short = self._short
        return self.lay.bethe_log_z(self.bv, self.bf, scratch, self._parts if short else None,
                                    self._vparts if short else None)

    def _states(self) -> Ragged:
        """One :class:`Ragged` per step (two buffers, not one array per node)."""
        both = self._bufs[self._slot]
        both[:self.lay.Sv] = self.bv
        return Ragged.trusted(*self.lay.states_values(both, self._arena.get(both.size)))

    def _rows(self, values: np.ndarray, offsets: np.ndarray):
        """Display rows: a ``[n, K]`` array when every variable has K states, else a Ragged."""
        if self.lay.uniform:
            return values.reshape(-1, self.lay.K)
        return Ragged.trusted(values, offsets)

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
        factor->var ones are ``new``, a fresh array the engine no longer writes to; the
        workspace still holds the linear messages); ``sent``
        = ``[(edge id, log vector)]`` in sending order for sequential steps.
        """
        lay = self.lay
        self.iterations = it
        self.sent += int(edges.size)
        if not self.record:
            # a parallel undamped step stores its fresh ``new``, which nothing writes to again
            fresh = parallel is not None and stored is new
            self._hist = self._hist[-OSC_WINDOW:] + [stored if fresh else stored.copy()]
        self._prev_new, self._n_new = self._new, n_new
        self._new = new if parallel is not None else new.copy()
        # the Bethe energy's variable term reuses the logs the beliefs were made from
        self._vparts = [] if self.record and self._short else None
        bv = lay.var_beliefs(tot if tot is not None else lay.totals(new, self.ws), self._vparts)
        # a parallel step whose var -> factor messages n_new the engine sends next: their exp,
        # needed for the factor beliefs, goes to the workspace's spare x, which the engine
        # then uses instead of computing it again (see Workspace.swap)
        reuse = self.record and parallel is not None and n_new is not None
        if self.record:
            self.residual = self._set_beliefs(bv, self._new, n_new, self._prev_new,
                                              x=self.ws.spare_x() if reuse else None)
        else:
            dv = _change(bv, self.bv)
            if dv <= self.tol:
                self.residual = self._set_beliefs(bv, self._new, n_new, self._prev_new, dv)
            else:
                self.bv, self.bf, self._slot, self.residual = bv, None, -1, dv
            return
        # figures of the beliefs first, while they are still in cache
        self.bethe = self._bethe(self._scratch)
        states = self._states()
        p_stored = None
        if parallel is not None:
            # the workspace holds exp(n) then the normalised new messages, back to back: show
            # them in place (the engine recomputes both before it needs them again)
            pair = self.ws.xl
            a, b = pair[:lay.S], pair[lay.S:]
            for c in lay.mclasses:                    # var -> factor shown normalised
                v = lay.mview(a, c)
                v /= v.sum(axis=0)
            if not self.ws.lin_ok:
                np.exp(new, out=b)
            if self.logdomain:
                with np.errstate(divide="ignore"):
                    np.log(a, out=a)
                np.copyto(b, new)
            else:
                p_stored = b if stored is new else None
            msgs = self._rows(*lay.message_values(pair, self._arena.get(pair.size)))
            if reuse:
                self.ws.swap()
        else:
            msgs = self._sent_rows(sent or [])
        # kept by reference: a fresh exp, or the workspace's linear messages when the step
        # swapped its buffers (the engine writes that pair again only after the next step)
        change = self._osc.observe(np.exp(stored) if p_stored is None else p_stored,
                                   keep=p_stored is None or reuse)
        self.oscillating = self._osc.flag
        self.steps.append(Step(
            edges=edges, messages=msgs, aggregates=None, states=states,
            extras={"residual": self.residual, "max_message_change": change,
                    "bethe_log_z": self.bethe, "oscillating": self.oscillating},
            note=f"Iteration {it}: {note}; largest belief change {self.residual:.3g}"
                 + (" (a message is flipping back and forth)" if self.oscillating else ""),
            label=f"iteration {it}"))

    def finish(self) -> None:
        """Final beliefs and figures of an iterative run (exact whether or not recorded)."""
        lay = self.lay
        if self.bf is None:
            if self._prev_new is not None:
                old, slot, _ = self._fb(self._prev_new, None, -1)
                self.bf, self._slot, self._parts = self._fb(self._new, self._n_new, slot)
                self.residual = max(self.residual, _change(self.bf, old))
            else:
                self.bf, self._slot, self._parts = self._fb(self._new, self._n_new, -1)
        if not self.record:
            self._osc.replay(self._hist)
            self.oscillating = self._osc.flag
        if self._short and self._vparts is None:   # unrecorded: as a recorded last step has them
            self._vparts = []
            lay.var_beliefs(lay.totals(self._new, self.ws), self._vparts)
        self.bethe = self._bethe()

    # ------------------------------------------------------------------ tree schedule
    def tree_step(self, k: int, m: np.ndarray, n: np.ndarray, edge: int, value: np.ndarray) -> None:
        lay = self.lay
        self.sent += 1
        if not self.record:
            return
        change = self._set_beliefs(lay.var_beliefs(lay.totals(m, self.ws)), m, n, None)
        self.bethe = self._bethe()
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
        self.bv = self.lay.var_beliefs(self.lay.totals(m, self.ws))
        self.bf, self._slot, self._parts = self._fb(m, n, self._slot)
        self.bethe = self._bethe()
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
