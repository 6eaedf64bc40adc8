"""Loopy belief propagation (sum- and max-product) with libDAI's options, recorded as a Trace.

Semantics follow libDAI's ``BP`` (REFERENCE.md §3): factor -> variable messages start at 1,
new messages are normalised to sum 1 (here unary factors' too, which changes no belief),
``damping`` λ mixes geometrically, ``log m <- λ log m_old + (1-λ) log m_new`` (0 = none),
beliefs come from the *undamped* new messages, and the run stops once the largest change of any
variable or factor belief over one iteration is at most ``tol`` (old beliefs start uniform).
Arithmetic is always in the log domain (zeros are ``-inf``, never NaN); ``logdomain`` picks
whether the recorded messages are log-messages or probabilities.

What one Trace step is, per ``updates`` schedule (trace.graph = the clamped model's
``to_graph()``; edge ``2p`` is variable -> factor and ``2p+1`` factor -> variable of pair ``p``):

- ``parallel``: one iteration. Every variable sends to every factor (from the messages stored
  after the previous iteration), then every factor sends to every variable. ``edges`` lists all
  ``2P`` edges in id order.
- ``seqfix`` / ``seqrnd``: one iteration = one pass over the factors (in index order, or in a
  seeded random order), factor-major as libDAI's SEQFIX: for factor I, its variables' messages
  into I (edges ``2p``), then I's new messages out (edges ``2p+1``), applied at once.
- ``residual``: one iteration = P single updates, each of the stored message with the largest
  residual ``max|m_new - m|`` (libDAI SEQMAX): the update I -> i (edge ``2p+1``), then the
  messages i -> J to i's other factors (edges ``2q``) whose inputs changed.
- ``tree``: the two-pass protocol on a tree-shaped factor graph (refused on a loopy one): per
  connected piece, messages flow from the leaves to a root (the lowest-index variable) and back.
  A step is one message; a node sends to a neighbour once it has heard from all its others, so
  every edge carries exactly one message each way (``2P`` steps) and the result is exact.

Recorded per step: ``messages`` (one row per sent edge: probabilities, or logs with
``logdomain``; a ``[n_sent, K]`` array when every variable has K states, otherwise a ragged list
of 1-D arrays), ``states`` (ragged per node: normalised variable beliefs, then each factor's
normalised belief flattened in C order) and ``extras``: ``residual`` (largest belief change),
``max_message_change``, ``bethe_log_z`` (sum mode, else ``None``), ``oscillating``.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from explorer.errors import ModelError
from explorer.pgm.bp_core import Layout, ZeroMessage
from explorer.pgm.bp_record import Recorder, decode_map, zero_error
from explorer.pgm.evidence import check_evidence, clamp, evidence_names
from explorer.pgm.exact import map_dict, marginals_dict
from explorer.pgm.factor_graph import FactorGraph
from explorer.trace import Trace

__all__ = ["run_bp", "UPDATES"]

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
    bv = rec.bv
    beliefs = [bv[lay.varoff[i]:lay.varoff[i + 1]].copy() for i in range(fg.n_vars)]
    result = {"marginals": marginals_dict(fg, beliefs, evidence), "map": None,
              "iterations": rec.iterations, "converged": rec.converged,
              "log_z": rec.bethe if mode == "sum" else None, "residual": rec.residual,
              "oscillating": rec.oscillating, "beliefs": beliefs, "messages_sent": rec.sent}
    if mode == "max":
        assign, consistent = decode_map(lay, bv, rec.bf)
        result["map"] = map_dict(fg, assign, evidence)
        result["map_consistent"] = consistent
    kind = "sum-product" if mode == "sum" else "max-product"
    return Trace(kind=kind, graph=model.to_graph(), params=params, steps=tuple(rec.steps),
                 result=result)


def _damp(old: np.ndarray, new: np.ndarray, lam: float) -> np.ndarray:
    if lam == 0.0:
        return new.copy()
    return lam * old + (1.0 - lam) * new   # -inf stays -inf; both weights are > 0


def _iterate(lay: Layout, mode: str, updates: str, lam: float, tol: float, max_iter: int,
             seed: int, rec: Recorder) -> None:
    m = np.zeros(lay.L)          # stored (damped) factor -> variable log messages, all ones
    new = np.zeros(lay.L)        # latest undamped proposals (beliefs use these)
    rng = np.random.default_rng(seed)
    if updates == "residual":
        new = lay.factor_to_var(lay.var_to_factor(m), mode)
        r = np.abs(np.exp(new) - np.exp(m))
        r = np.maximum.reduceat(r, lay.off[:-1]) if lay.P else np.zeros(0)
    for it in range(1, max_iter + 1):
        if updates == "parallel":
            n = lay.var_to_factor(m)
            new = lay.factor_to_var(n, mode)
            m = _damp(m, new, lam)
            edges = np.arange(2 * lay.P)
            rec.step(it, new, m, edges=edges, rows=(n, new), note="every variable, then every "
                     "factor, sent its messages in parallel")
        elif updates in ("seqfix", "seqrnd"):
            order = rng.permutation(lay.F) if updates == "seqrnd" else np.arange(lay.F)
            sent, values = [], []
            for f in order.tolist():
                ps = list(range(lay.pstart[f], lay.pstart[f + 1]))
                if not ps:
                    continue
                n = _incoming(lay, m, ps)
                outs = lay.one_factor(f, n, mode)
                for p in ps:
                    sent.append(2 * p)
                    values.append(n[lay.off[p]:lay.off[p + 1]])
                for p, o in zip(ps, outs):
                    sl = slice(lay.off[p], lay.off[p + 1])
                    new[sl] = o
                    m[sl] = _damp(m[sl], o, lam)
                    sent.append(2 * p + 1)
                    values.append(o)
            rec.step(it, new, m, edges=np.asarray(sent, dtype=np.int64), values=values,
                     note=f"one pass over the factors in {'a random' if updates == 'seqrnd' else 'index'} "
                          "order, each update applied at once")
        else:
            _residual_pass(lay, mode, lam, m, new, r, rec, it)
        if rec.residual <= tol:
            rec.converged = True
            break


def _incoming(lay: Layout, m: np.ndarray, ps: list[int]) -> np.ndarray:
    """A flat ``[L]`` vector holding, for the pairs ``ps`` only, the normalised log
    var->factor messages computed from the stored ``m`` (other entries are 0)."""
    n = np.zeros(lay.L)
    for p in ps:
        i = lay.var[p]
        acc = np.zeros(int(lay.card[p]))
        for q in lay.var_pairs[i]:
            if q != p:
                acc = acc + m[lay.off[q]:lay.off[q + 1]]
        top = acc.max()
        if not np.isfinite(top):
            raise ZeroMessage(lay.edge_name(p, "variable"))
        acc = acc - top
        n[lay.off[p]:lay.off[p + 1]] = acc - np.log(np.exp(acc).sum())
    return n


def _residual_pass(lay: Layout, mode: str, lam: float, m: np.ndarray, new: np.ndarray,
                   r: np.ndarray, rec: Recorder, it: int) -> None:
    """One iteration of residual BP; ``m``, ``new`` and the residuals ``r`` are updated in place."""
    def resid(p: int) -> float:
        sl = slice(lay.off[p], lay.off[p + 1])
        return float(np.abs(np.exp(new[sl]) - np.exp(m[sl])).max())

    sent, values = [], []
    for _ in range(lay.P):
        p = int(np.argmax(r))
        r[p] = 0.0
        sl = slice(lay.off[p], lay.off[p + 1])
        m[sl] = _damp(m[sl], new[sl], lam)
        sent.append(2 * p + 1)
        values.append(new[sl].copy())
        i = int(lay.var[p])
        others = [q for q in lay.var_pairs[i] if q != p]
        n = _incoming(lay, m, others)
        for q in others:
            sent.append(2 * q)
            values.append(n[lay.off[q]:lay.off[q + 1]].copy())
        for q in others:
            f = int(lay.fac[q])
            ps = list(range(lay.pstart[f], lay.pstart[f + 1]))
            targets = [t for t in ps if t != q]
            if not targets:
                continue
            nf = _incoming(lay, m, ps)
            outs = lay.one_factor(f, nf, mode)
            for t, o in zip(ps, outs):
                if t != q:
                    new[lay.off[t]:lay.off[t + 1]] = o
                    r[t] = resid(t)
    rec.step(it, new, m, edges=np.asarray(sent, dtype=np.int64), values=values,
             note="residual BP: the message with the largest change was applied first, "
                  f"{lay.P} single updates")


def _tree(lay: Layout, mode: str, rec: Recorder) -> None:
    """The two-pass protocol: collect to a root, then distribute (one message per step)."""
    v = lay.V
    adj: list[list[tuple[int, int]]] = [[] for _ in range(v + lay.F)]   # node -> (nbr, pair)
    for p in range(lay.P):
        i, f = int(lay.var[p]), v + int(lay.fac[p])
        adj[i].append((f, p))
        adj[f].append((i, p))
    seen = [False] * (v + lay.F)
    schedule: list[tuple[int, int]] = []   # (sender node, pair)
    for root in range(v + lay.F):
        if seen[root] or not adj[root]:
            continue
        order, parent = [root], {root: (-1, -1)}
        seen[root] = True
        for node in order:
            for nb, p in adj[node]:
                if not seen[nb]:
                    seen[nb] = True
                    parent[nb] = (node, p)
                    order.append(nb)
        schedule += [(node, parent[node][1]) for node in reversed(order[1:])]     # collect
        schedule += [(parent[node][0], parent[node][1]) for node in order[1:]]    # distribute
    m = np.zeros(lay.L)     # factor -> variable, 1 until received
    n = np.zeros(lay.L)     # variable -> factor, 1 until received
    for k, (sender, p) in enumerate(schedule, 1):
        sl = slice(lay.off[p], lay.off[p + 1])
        if sender < v:      # variable -> factor: product of the other factors' messages
            n[sl] = _incoming(lay, m, [p])[sl]
            edge, value = 2 * p, n[sl].copy()
        else:
            f = sender - v
            ps = list(range(lay.pstart[f], lay.pstart[f + 1]))
            m[sl] = lay.one_factor(f, n, mode)[ps.index(p)]
            edge, value = 2 * p + 1, m[sl].copy()
        rec.tree_step(k, m, n, edge, value)
    rec.finish_tree(m, n)
