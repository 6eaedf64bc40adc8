"""BP's flat layout (issue 9): mixed cardinalities against brute force, memory proportional to
the tables (never K**arity), the kernel against the old padded engine kept as the benchmark
baseline, and repeated runs on the cached layout."""

import dataclasses
import tracemalloc

import numpy as np
import pytest

from explorer.bench import _bp_reference as old
from explorer.pgm import Factor, FactorGraph, brute_force, load_model, run_bp
from explorer.pgm import bp as bp_mod
from explorer.pgm.bp import prepare
from explorer.pgm.bp_core import Layout
from explorer.trace import Ragged

SCHEDULES = ["parallel", "seqfix", "seqrnd", "residual", "tree"]
SAMPLES = ["asia", "cancer", "chain_bn", "earthquake", "four_cycle", "ising10", "sachs",
           "student", "survey", "tree_mrf"]


def _model(cards, factors, name):
    return FactorGraph(names=tuple(f"X{i}" for i in range(len(cards))), cards=tuple(cards),
                       states=tuple(tuple(f"s{k}" for k in range(c)) for c in cards),
                       factors=tuple(Factor(sc, t) for sc, t in factors), name=name)


def _mixed_tree(seed: int) -> FactorGraph:
    """A tree-shaped factor graph over cards (2, 3, 60, 2, 3, 2, 60) with unary, pairwise and a
    triple factor, some zero entries and entries down to 1e-200 (the linear sums underflow)."""
    rng = np.random.default_rng(seed)
    cards = (2, 3, 60, 2, 3, 2, 60)
    scopes = [(0,), (2,), (6,), (0, 1), (1, 2), (2, 3, 4), (4, 5), (6, 2)]
    factors = []
    for sc in scopes:
        t = rng.uniform(0.1, 2.0, [cards[i] for i in sc])
        if len(sc) > 1:
            t[rng.random(t.shape) < 0.1] = 0.0
        factors.append((sc, t))
    tiny = factors[6][1].copy()
    tiny[:, 1] *= 1e-200
    factors[6] = ((4, 5), tiny)
    return _model(cards, factors, f"mixed{seed}")


def _hub(n: int, triples: bool, seed: int = 0) -> FactorGraph:
    """One 60-state variable X0 and ``n`` binary ones: P(Xi | X0)-like pairs, a binary chain,
    and (optionally) triples (X0, Xi, Xi+1): loopy, ~10^3-10^5 table entries."""
    rng = np.random.default_rng(seed)
    cards = (60,) + (2,) * n
    fs = [((0,), rng.uniform(0.5, 1.5, 60))]
    fs += [((0, i), rng.uniform(0.1, 1.0, (60, 2))) for i in range(1, n + 1)]
    fs += [((i, i + 1), rng.uniform(0.5, 1.5, (2, 2))) for i in range(1, n)]
    if triples:
        fs += [((0, i, i + 1), rng.uniform(0.1, 1.0, (60, 2, 2))) for i in range(1, n, 2)]
    return _model(cards, fs, f"hub{n}")


def _diff(a, b) -> float:
    """Largest entry difference between two lists of arrays (equal infinities count as 0)."""
    worst = 0.0
    for x, y in zip(a, b):
        x, y = np.asarray(x), np.asarray(y)
        assert x.shape == y.shape
        with np.errstate(invalid="ignore"):
            d = np.where(x == y, 0.0, np.abs(x - y))
        worst = max(worst, float(d.max(initial=0.0)) if not np.isnan(d).any() else np.inf)
    return worst


@pytest.mark.parametrize("updates", SCHEDULES)
def test_mixed_cardinalities_on_a_tree_equal_brute_force(updates):
    for seed, ev in ((0, {}), (1, {3: 1}), (2, {0: 0, 5: 1})):
        fg = _mixed_tree(seed)
        assert fg.is_forest()
        exact = brute_force(fg, evidence=ev)
        t = run_bp(fg, updates=updates, evidence=ev, tol=1e-13, max_iter=100)
        assert t.result["converged"]
        m = t.result["marginals"]
        assert max(abs(m[v][s] - exact["marginals"][v][s]) for v in m for s in m[v]) < 1e-9
        assert abs(t.result["log_z"] - exact["log_z"]) < 1e-9
        mx = run_bp(fg, mode="max", updates=updates, evidence=ev, tol=1e-13, max_iter=100)
        assert mx.result["map"] == exact["map"] and mx.result["map_consistent"]


def test_mixed_cardinality_steps_keep_each_message_at_its_own_length():
    fg = _mixed_tree(0)
    t = run_bp(fg, max_iter=2, tol=0)
    step = t.steps[0]
    assert isinstance(step.messages, Ragged)
    var, _, _ = fg.edge_pairs()
    assert step.messages.lengths.tolist() == np.repeat([fg.cards[i] for i in var], 2).tolist()
    assert [len(r) for r in step.states] == list(fg.cards) + [f.table.size for f in fg.factors]
    for k, f in enumerate(fg.factors):      # factor beliefs: C order over the scope, sum 1
        assert np.isclose(step.states[fg.n_vars + k].sum(), 1.0)


def test_layout_memory_is_proportional_to_the_tables_not_k_to_the_arity():
    fg = _hub(200, triples=True)
    tables = sum(f.table.size for f in fg.factors)
    msgs = sum(fg.cards[i] for f in fg.factors for i in f.scope)
    padded = sum(60 ** f.arity for f in fg.factors)
    lay = Layout(fg)
    assert (lay.St, lay.S, lay.Sv) == (tables, msgs, sum(fg.cards))
    run_bp(fg, max_iter=3, tol=0)                    # builds the recording indices as well
    _, lay, _, _ = prepare(fg, {})
    entries = tables + msgs + lay.Sv
    assert lay.nbytes() <= 6 * 8 * entries           # a few numbers per real entry (~3.2) ...
    assert padded > 200 * entries                    # ... where padding would need K**arity
    biggest = max(a.nbytes for a in vars(lay).values() if isinstance(a, np.ndarray))
    assert biggest <= 8 * max(tables, 2 * msgs, lay.Sv + tables)
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        t = run_bp(fg, max_iter=20, record=False)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert peak <= 12 * 8 * entries                 # measured: ~6.5 numbers per entry
    assert all(np.isfinite(b).all() and np.isclose(b.sum(), 1) for b in t.result["beliefs"])


def _same_run(a, b, tol=1e-12):
    ra, rb = a.result, b.result
    for key in ("iterations", "converged", "oscillating", "map", "messages_sent"):
        assert ra[key] == rb[key], key
    assert _diff(ra["beliefs"], rb["beliefs"]) <= tol
    if ra["log_z"] is not None:
        assert abs(ra["log_z"] - rb["log_z"]) <= tol * max(1.0, abs(rb["log_z"]))
    assert abs(ra["residual"] - rb["residual"]) <= tol
    assert len(a.steps) == len(b.steps)
    for s, t in zip(a.steps, b.steps):
        assert np.array_equal(s.edges, t.edges)
        assert _diff(s.messages, t.messages) <= tol and _diff(s.states, t.states) <= tol
        for k, v in s.extras.items():
            if isinstance(v, float):
                assert abs(v - t.extras[k]) <= tol * max(1.0, abs(v)), k
            else:
                assert v == t.extras[k], k


@pytest.mark.parametrize("name", SAMPLES)
def test_kernel_gives_the_old_engines_numbers_on_every_sample(name):
    fg = load_model(name)
    ev = {fg.n_vars - 1: 0} if name in ("asia", "survey", "sachs") else {}
    for updates in ["parallel", "seqfix", "seqrnd"] + (["tree"] if fg.is_forest() else []):
        for mode, lam, logd in (("sum", 0.0, False), ("max", 0.3, True)):
            kw = dict(mode=mode, updates=updates, damping=lam, logdomain=logd, evidence=ev,
                      max_iter=8, tol=1e-10)
            _same_run(run_bp(fg, **kw), old.run_bp(fg, **kw))
    # residual BP breaks ties between equal residuals the same way, but floating-point
    # rounding can order two mathematically equal residuals differently: compare its results
    a = run_bp(fg, updates="residual", evidence=ev, tol=1e-12, max_iter=300, record=False)
    b = old.run_bp(fg, updates="residual", evidence=ev, tol=1e-12, max_iter=300, record=False)
    assert a.result["converged"] == b.result["converged"]
    if b.result["converged"]:
        assert _diff(a.result["beliefs"], b.result["beliefs"]) < 1e-9


def test_kernel_gives_the_old_engines_numbers_with_a_60_state_variable():
    fg = _hub(10, triples=False, seed=3)           # small enough for the padded engine
    for updates in ("parallel", "seqfix"):
        for mode in ("sum", "max"):
            kw = dict(mode=mode, updates=updates, max_iter=25, tol=1e-10)
            _same_run(run_bp(fg, **kw), old.run_bp(fg, **kw))


def test_repeated_runs_reuse_the_layout_and_give_identical_traces():
    fg = load_model("survey")
    ev = {fg.index("T"): 0}
    first = prepare(fg, ev)
    a = run_bp(fg, updates="parallel", evidence=ev, max_iter=10)
    b = run_bp(fg, updates="parallel", evidence=ev, max_iter=10)
    assert prepare(fg, ev)[1] is first[1]               # the same cached layout
    assert a.to_json() == b.to_json()
    twin = dataclasses.replace(fg)                       # equal model, another object: rebuilt
    c = run_bp(twin, updates="parallel", evidence=ev, max_iter=10)
    assert prepare(twin, ev)[1] is not first[1]
    assert c.to_json() == a.to_json()
    for k in range(bp_mod.CACHE_SIZE + 2):
        run_bp(dataclasses.replace(fg), max_iter=1, record=False)
    assert len(bp_mod._CACHE) <= bp_mod.CACHE_SIZE


def test_zero_message_is_found_in_the_flat_layout():
    # X0 - X1 forced to disagree by one factor and to agree by another: every message
    # around the loop ends up zero everywhere, which BP must report, not turn into NaN
    eq = np.eye(3)
    fg = _model((3, 3), [((0,), np.array([1.0, 0, 0])), ((0, 1), eq), ((1, 0), 1 - eq)], "clash")
    for updates in ("parallel", "seqfix", "residual"):
        with pytest.raises(Exception, match="zero for every state"):
            run_bp(fg, updates=updates)


def test_pickled_parallel_trace_writes_the_shared_edge_ids_once():
    # every parallel step lists the same 2P edge ids: a pickle (the app's run cache) writes
    # them once, and the copy's steps share one array
    import pickle
    fg = load_model("ising10")
    t = run_bp(fg, max_iter=10, tol=0.0)
    copy = pickle.loads(pickle.dumps(t, protocol=pickle.HIGHEST_PROTOCOL))
    e0 = copy.steps[0].edges
    assert np.array_equal(e0, np.arange(2 * sum(f.arity for f in fg.factors)))
    assert all(np.shares_memory(s.edges, e0) for s in copy.steps[1:])
    assert all(np.array_equal(s.edges, e0) for s in copy.steps)
