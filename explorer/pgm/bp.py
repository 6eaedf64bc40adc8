"""Loopy belief propagation (sum- and max-product) with libDAI's options, recorded as a Trace.

Semantics follow libDAI's ``BP`` (REFERENCE.md §3): factor -> variable messages start at 1,
new messages are normalised to sum 1 (here unary factors' too, which changes no belief),
``damping`` λ mixes geometrically, ``log m <- λ log m_old + (1-λ) log m_new`` (0 = none),
beliefs come from the *undamped* new messages, and the run stops once the largest change of any
variable or factor belief over one iteration is at most ``tol`` (old beliefs start uniform).
Messages are kept as logs (a zero is ``-inf``, never NaN); factor sums run on max-scaled
linear tables and fall back to the log domain when a sum underflows. Memory and time per
iteration are proportional to the model (the sum of its table sizes and message lengths),
whatever its largest cardinality (see :mod:`explorer.pgm.bp_core`). The layout of a model is
cached (a few models, by object identity and evidence), so rerunning BP on the same model skips
the set-up. ``logdomain`` only picks whether the recorded messages are
log-messages or probabilities: the arithmetic is the same either way.

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
  messages i -> J to i's other factors (edges ``2q``) whose inputs changed. With damping the
  updated edge keeps the part of its residual that damping left (libDAI sets it to 0, which can
  stall the run short of the fixed point).
- ``tree``: the two-pass protocol on a tree-shaped factor graph (refused on a loopy one): per
  connected piece, messages flow from the leaves to a root (the lowest-index variable) and back.
  A step is one message; a node sends to a neighbour once it has heard from all its others, so
  every edge carries exactly one message each way (``2P`` steps) and the result is exact.

Recorded per step: ``messages`` (one row per sent edge: probabilities, or logs with
``logdomain``; a ``[n_sent, K]`` array when every variable has K states, otherwise a
:class:`~explorer.trace.Ragged` of rows of each variable's length), ``states`` (ragged per node: normalised variable beliefs, then each factor's
normalised belief flattened in C order) and ``extras``: ``residual`` (largest belief change),
``max_message_change``, ``bethe_log_z`` (sum mode, else ``None``), ``oscillating``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Mapping

import numpy as np

from explorer.errors import ModelError
from explorer.pgm.bp_core import Layout, Workspace, ZeroMessage
from explorer.pgm.bp_record import Recorder, decode_map, zero_error
from explorer.pgm.evidence import check_evidence, clamp, evidence_names
from explorer.pgm.exact import map_dict
from explorer.pgm.factor_graph import FactorGraph
from explorer.graph import Graph
from explorer.trace import Trace

__all__ = ["run_bp", "UPDATES", "prepare"]

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
    model, lay, graph, forest = prepare(fg, evidence)
    if updates == "tree" and not forest:
        raise ModelError("the tree schedule needs a tree-shaped factor graph, but this one has a "
                         "cycle; use parallel, seqfix, seqrnd or residual updates")
    ws = Workspace(lay, mode)
    rec = Recorder(lay, ws, mode, logdomain, record, tol)
    params = {"mode": mode, "updates": updates, "damping": float(damping), "tol": float(tol),
              "max_iter": int(max_iter), "seed": int(seed), "logdomain": bool(logdomain),
              "evidence": evidence_names(fg, evidence)}
    try:
        if updates == "tree":
            _tree(lay, ws, mode, rec)
        else:
            _iterate(lay, ws, mode, updates, float(damping), float(tol), int(max_iter), int(seed), rec)
    except ZeroMessage as z:
        raise zero_error(fg, evidence, z.where, forest) from None
    beliefs, as_lists = lay.var_rows(rec.bv)
    # = marginals_dict(fg, beliefs, evidence), built from float lists (10x faster on 10^4 variables)
    marginals = {n: dict(zip(st, b)) for n, st, b in zip(fg.names, fg.states, as_lists)}
    for i in evidence:
        del marginals[fg.names[i]]
    result = {"marginals": marginals, "map": None,
              "iterations": rec.iterations, "converged": rec.converged,
              "log_z": rec.bethe if mode == "sum" else None, "residual": rec.residual,
              "oscillating": rec.oscillating, "beliefs": beliefs, "messages_sent": rec.sent}
    if mode == "max":
        assign, consistent = decode_map(lay, rec.bv, rec.bf)
        result["map"] = map_dict(fg, assign, evidence)
        result["map_consistent"] = consistent
    kind = "sum-product" if mode == "sum" else "max-product"
    return Trace(kind=kind, graph=graph, params=params, steps=tuple(rec.steps),
                 result=result)




#: how many prepared models (layout, drawn graph) :func:`prepare` keeps
CACHE_SIZE = 4
_CACHE: "OrderedDict[tuple, tuple]" = OrderedDict()
_LOCK = threading.Lock()


def prepare(fg: FactorGraph, evidence: Mapping[int, int]) -> tuple[FactorGraph, Layout, Graph, bool]:
    """The clamped model, its :class:`Layout`, its drawn factor graph and whether it is a forest,
    from a small cache keyed on the model object and the (checked) evidence.

    The cache holds the last :data:`CACHE_SIZE` models (and a reference to each, so an id is
    never reused while cached); a FactorGraph is immutable, so its layout never goes stale.
    """
    key = (id(fg), tuple(sorted(evidence.items())))
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None and hit[0] is fg:
            _CACHE.move_to_end(key)
            return hit[1:]
    model = clamp(fg, evidence)
    entry = (fg, model, Layout(model), model.to_graph(), model.is_forest())
    with _LOCK:
        _CACHE[key] = entry
        _CACHE.move_to_end(key)
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return entry[1:]


def _damp(old: np.ndarray, new: np.ndarray, lam: float) -> np.ndarray:
    """Geometric damping in the log domain, in place on ``old`` (returns ``new`` when none)."""
    if lam == 0.0:
        return new
    old *= lam
    old += (1.0 - lam) * new         # -inf stays -inf; both weights are > 0
    return old


def _ext_edge(lay: Layout, q: int, to_factor: bool) -> int:
    p = int(lay.int_to_ext[q])
    return 2 * p if to_factor else 2 * p + 1


def _iterate(lay: Layout, ws: Workspace, mode: str, updates: str, lam: float, tol: float,
             max_iter: int, seed: int, rec: Recorder) -> None:
    m = np.zeros(lay.S)          # stored (damped) factor -> variable log messages: all ones
    new = np.zeros(lay.S)        # latest undamped proposals (the beliefs use these)
    rng = np.random.default_rng(seed)
    r = None
    if updates == "residual":
        new = lay.factor_to_var(lay.var_to_factor(m, lay.totals(m, ws), ws), mode, ws)
        d = np.abs(np.exp(new) - np.exp(m))
        r = np.concatenate([lay.mview(d, c).max(axis=0) for c in lay.mclasses]) if lay.P else np.zeros(0)
        r = r[lay.tie_order]     # residuals kept in tie-break order: argmax picks the first
    all_edges = np.arange(2 * lay.P)
    all_edges.setflags(write=False)      # shared by every step of the run
    n_next = None                # var -> factor messages of the new m (reused when undamped)
    for it in range(1, max_iter + 1):
        if updates == "parallel":
            n = lay.var_to_factor(m, lay.totals(m, ws), ws) if n_next is None else n_next
            new = lay.factor_to_var(n, mode, ws)
            m = _damp(m, new, lam)
            tot = lay.totals(new, ws)
            n_next = lay.var_to_factor(new, tot, ws) if lam == 0.0 else None
            rec.step(it, new, m, edges=all_edges, tot=tot, parallel=(n, ws.x), n_new=n_next,
                     note="every variable, then every factor, sent its messages in parallel")
        elif updates in ("seqfix", "seqrnd"):
            order = rng.permutation(lay.F) if updates == "seqrnd" else np.arange(lay.F)
            sent: list[tuple[int, np.ndarray]] = []
            for f in order.tolist():
                qs = lay.factor_pairs(f)
                if not qs:
                    continue
                ns = lay.incoming(m, qs)
                outs = lay.one_factor(f, ns, mode)
                for q, o in zip(qs, outs):
                    sl = lay.qslice(q)
                    new[sl] = o
                    m[sl] = o if lam == 0.0 else lam * m[sl] + (1.0 - lam) * o
                if rec.record:
                    sent += [(_ext_edge(lay, q, True), v) for q, v in zip(qs, ns)]
                    sent += [(_ext_edge(lay, q, False), v) for q, v in zip(qs, outs)]
            rec.step(it, new, m, edges=np.array([e for e, _ in sent], dtype=np.int64)
                     if rec.record else all_edges, sent=sent,
                     note=f"one pass over the factors in {'a random' if updates == 'seqrnd' else 'index'} "
                          "order, each update applied at once")
        else:
            _residual_pass(lay, mode, lam, m, new, r, rec, it)
        if rec.residual <= tol:
            rec.converged = True
            break
    rec.finish()


def _residual_pass(lay: Layout, mode: str, lam: float, m: np.ndarray, new: np.ndarray,
                   r: np.ndarray, rec: Recorder, it: int) -> None:
    """One iteration of residual BP; ``m``, ``new`` and the residuals ``r`` (``r[k]`` for the
    pair ``lay.tie_order[k]``) change in place."""
    sent: list[tuple[int, np.ndarray]] = []
    n_sent = 0
    order = lay.tie_order
    rank = np.empty(lay.P, np.int64)
    rank[order] = np.arange(lay.P)
    for _ in range(lay.P):
        q = int(order[int(np.argmax(r))])
        sq = lay.qslice(q)
        m[sq] = new[sq] if lam == 0.0 else lam * m[sq] + (1.0 - lam) * new[sq]
        # libDAI zeroes the residual here; with damping the stored message still lags the
        # proposal, so keep what is left of the gap (0 when undamped) and revisit it later
        r[rank[q]] = float(np.abs(np.exp(new[sq]) - np.exp(m[sq])).max()) if lam else 0.0
        others = [t for t in lay.var_pairs[int(lay.var[q])] if t != q]
        n_sent += 1 + len(others)
        if rec.record:
            sent.append((_ext_edge(lay, q, False), new[sq].copy()))
            if others:
                sent += [(_ext_edge(lay, t, True), v) for t, v in zip(others, lay.incoming(m, others))]
        for t in others:                       # factors J of the variable, other than I
            qs = lay.factor_pairs(int(lay.fac[t]))
            if len(qs) < 2:
                continue
            outs = lay.one_factor(int(lay.fac[t]), lay.incoming(m, qs), mode)
            for u, o in zip(qs, outs):
                if u != t:
                    su = lay.qslice(u)
                    new[su] = o
                    r[rank[u]] = float(np.abs(np.exp(o) - np.exp(m[su])).max())
    edges = np.array([e for e, _ in sent], dtype=np.int64) if rec.record else np.zeros(n_sent, np.int64)
    rec.step(it, new, m, edges=edges, sent=sent,
             note=f"residual BP: {lay.P} single updates, the largest change first")


def _tree(lay: Layout, ws: Workspace, mode: str, rec: Recorder) -> None:
    """The two-pass protocol: collect to a root, then distribute (one message per step)."""
    v = lay.V
    adj: list[list[tuple[int, int]]] = [[] for _ in range(v + lay.F)]   # node -> (nbr, pair)
    for q in lay.ext_to_int.tolist():
        i, f = int(lay.var[q]), v + int(lay.fac[q])
        adj[i].append((f, q))
        adj[f].append((i, q))
    seen = [False] * (v + lay.F)
    schedule: list[tuple[int, int]] = []   # (sender node, internal pair)
    for root in range(v + lay.F):
        if seen[root] or not adj[root]:
            continue
        order, parent = [root], {root: (-1, -1)}
        seen[root] = True
        for node in order:
            for nb, q in adj[node]:
                if not seen[nb]:
                    seen[nb] = True
                    parent[nb] = (node, q)
                    order.append(nb)
        schedule += [(node, parent[node][1]) for node in reversed(order[1:])]     # collect
        schedule += [(parent[node][0], parent[node][1]) for node in order[1:]]    # distribute
    m = np.zeros(lay.S)     # factor -> variable, 1 until received
    n = np.zeros(lay.S)     # variable -> factor, 1 until received
    for k, (sender, q) in enumerate(schedule, 1):
        sq = lay.qslice(q)
        if sender < v:      # variable -> factor: product of the other factors' messages
            n[sq] = lay.incoming(m, [q])[0]
            edge, value = _ext_edge(lay, q, True), n[sq].copy()
        else:
            f = sender - v
            qs = lay.factor_pairs(f)
            m[sq] = lay.one_factor(f, [n[lay.qslice(t)] for t in qs], mode)[qs.index(q)]
            edge, value = _ext_edge(lay, q, False), m[sq].copy()
        rec.tree_step(k, m, n, edge, value)
    rec.finish_tree(m, n)
