"""``python -m explorer bench bp``: speed and memory of the belief-propagation engine.

Prints, in one run (figures, never pass/fail):

(a) parallel sum-product on a binary Ising grid (100x100; 30x30 with ``--quick``) for 50
    iterations with full recording: message updates per second and the Trace's memory;
(b) the same without recording, and the ratio recorded/unrecorded (aim <= 2x);
(c) a plain-Python dictionary implementation of the same updates on a 30x30 grid (10x10 with
    ``--quick``) as the baseline, its agreement with the engine, and our speed-up (aim >= 50x);
(d) unrecorded time per iteration from 10x10 to 200x200 (to 100x100 with ``--quick``), per
    directed edge, which should stay flat (linear growth in edges).

A "message update" is one directed message of the bipartite factor graph (variable -> factor
or factor -> variable); an iteration of the parallel schedule sends ``2P`` of them.
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np

from explorer.pgm.bp import run_bp
from explorer.pgm.builders import ising_grid


def _timed(fn, repeat: int = 1):
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _trace_bytes(trace) -> int:
    """Bytes held by the arrays of a Trace's steps, plus the per-array object overhead."""
    seen: set[int] = set()
    total = 0

    def add(v) -> None:
        nonlocal total
        if isinstance(v, np.ndarray):
            total += sys.getsizeof(v)
            base = v if v.base is None else v.base
            if id(base) not in seen:
                seen.add(id(base))
                total += base.nbytes
        elif isinstance(v, (list, tuple)):
            total += sys.getsizeof(v)
            for x in v:
                add(x)
        elif isinstance(v, dict):
            for x in v.values():
                add(x)

    for s in trace.steps:
        for v in (s.edges, s.messages, s.states, s.extras):
            add(v)
    return total


def plain_python_bp(fg, iterations: int) -> dict[int, list[float]]:
    """The baseline: the same parallel sum-product updates with dicts, lists and loops.

    Messages factor -> variable are a dict ``{(factor, var): [p_0, ..., p_k]}``; each
    iteration recomputes every variable -> factor product and every factor -> variable sum
    from the previous messages, then the variable and factor beliefs for the stopping rule.
    Returns the variable beliefs ``{var: [p, ...]}``.
    """
    factors = [(list(f.scope), f.table.tolist()) for f in fg.factors]
    nbrs: dict[int, list[int]] = {i: [] for i in range(fg.n_vars)}
    for k, (scope, _) in enumerate(factors):
        for i in scope:
            nbrs[i].append(k)
    card = list(fg.cards)
    msg = {(k, i): [1.0] * card[i] for k, (scope, _) in enumerate(factors) for i in scope}
    beliefs: dict[int, list[float]] = {}

    def to_factor(i: int, k: int, m) -> list[float]:
        out = [1.0] * card[i]
        for j in nbrs[i]:
            if j != k:
                mj = m[(j, i)]
                out = [a * b for a, b in zip(out, mj)]
        s = sum(out)
        return [a / s for a in out]

    for _ in range(iterations):
        new = {}
        for k, (scope, table) in enumerate(factors):
            if len(scope) == 1:
                s = sum(table)
                new[(k, scope[0])] = [t / s for t in table]
                continue
            a, b = scope
            ma, mb = to_factor(a, k, msg), to_factor(b, k, msg)
            to_a = [sum(table[x][y] * mb[y] for y in range(card[b])) for x in range(card[a])]
            to_b = [sum(table[x][y] * ma[x] for x in range(card[a])) for y in range(card[b])]
            sa, sb = sum(to_a), sum(to_b)
            new[(k, a)] = [v / sa for v in to_a]
            new[(k, b)] = [v / sb for v in to_b]
        msg = new
        for i in range(fg.n_vars):
            out = [1.0] * card[i]
            for k in nbrs[i]:
                out = [p * q for p, q in zip(out, msg[(k, i)])]
            s = sum(out)
            beliefs[i] = [p / s for p in out]
        for k, (scope, table) in enumerate(factors):   # factor beliefs, as the engine does
            if len(scope) == 2:
                a, b = scope
                ma, mb = to_factor(a, k, msg), to_factor(b, k, msg)
                bel = [[table[x][y] * ma[x] * mb[y] for y in range(card[b])] for x in range(card[a])]
                s = sum(map(sum, bel))
                bel = [[v / s for v in row] for row in bel]
    return beliefs


def run(quick: bool = False) -> int:
    big = 30 if quick else 100
    iters = 50
    fg, _ = ising_grid(big, big, coupling=0.4, field=1.0, noise=0.1, seed=0)
    msgs_per_iter = 2 * sum(f.arity for f in fg.factors)
    t_rec, tr = _timed(lambda: run_bp(fg, max_iter=iters, tol=0.0, record=True))
    t_unrec, tu = _timed(lambda: run_bp(fg, max_iter=iters, tol=0.0, record=False), 2)
    same = max(float(np.abs(a - b).max()) for a, b in zip(tr.result["beliefs"], tu.result["beliefs"]))
    mb = _trace_bytes(tr) / 2**20
    print(f"(a) {big}x{big} Ising, parallel, {iters} iterations, recorded: {t_rec:.3f} s, "
          f"{msgs_per_iter * iters / t_rec / 1e6:.2f} M message updates/s, Trace steps hold "
          f"{mb:.1f} MiB ({len(tr.steps)} steps)")
    print(f"(b) same, unrecorded: {t_unrec:.3f} s, {msgs_per_iter * iters / t_unrec / 1e6:.2f} M "
          f"updates/s; recorded/unrecorded = {t_rec / t_unrec:.2f}x (aim <= 2x); final beliefs "
          f"differ by {same:.1e}")

    small = 10 if quick else 30
    base_iters = 10 if quick else 20
    fs, _ = ising_grid(small, small, coupling=0.4, field=1.0, noise=0.1, seed=0)
    t_base, bel = _timed(lambda: plain_python_bp(fs, base_iters))
    t_ours, ours = _timed(lambda: run_bp(fs, max_iter=base_iters, tol=0.0, record=False), 3)
    agree = max(abs(bel[i][s] - ours.result["beliefs"][i][s]) for i in bel for s in range(2))
    print(f"(c) {small}x{small}, {base_iters} iterations: plain-Python dicts {t_base:.3f} s, "
          f"engine {t_ours:.4f} s (whole run_bp call, setup included): speed-up "
          f"{t_base / t_ours:.0f}x (aim >= 50x); beliefs agree to {agree:.1e}")

    sizes = (10, 30, 60, 100) if quick else (10, 30, 60, 100, 140, 200)
    print("(d) size     directed edges   s/iteration   us per edge-iteration")
    rows = []
    for n in sizes:
        f, _ = ising_grid(n, n, coupling=0.4, field=1.0, noise=0.1, seed=0)
        edges = 2 * sum(x.arity for x in f.factors)
        k = 20
        t1, _ = _timed(lambda: run_bp(f, max_iter=1, tol=0.0, record=False), 2)
        tk, _ = _timed(lambda: run_bp(f, max_iter=k + 1, tol=0.0, record=False), 2)
        per = max(tk - t1, 1e-9) / k
        rows.append((edges, per))
        print(f"    {n:3d}x{n:<3d} {edges:12,d}   {per:11.5f}   {per / edges * 1e6:10.4f}")
    e = np.log([r[0] for r in rows[1:]])
    t = np.log([r[1] for r in rows[1:]])
    slope = float(np.polyfit(e, t, 1)[0]) if len(rows) > 2 else math.nan
    print(f"    log-log slope of time vs edges (from 30x30 up): {slope:.2f} (1.0 = linear)")
    return 0
