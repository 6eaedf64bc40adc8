"""Recorded BP runs (issue 9, item 4): every recorded field of the kernel's Trace against the old
padded engine kept as the benchmark baseline (an independent step-by-step implementation), on a
grid, loopy and oscillating models, mixed cardinalities, max-product, damping, evidence and log
messages; and the oscillation window against its definition, recomputed by brute force."""

import numpy as np
import pytest

from explorer.bench import _bp_reference as old
from explorer.pgm import Factor, FactorGraph, ising_grid, load_model, run_bp
from explorer.pgm import bp_record
from explorer.pgm.bp_record import OSC_WINDOW, _Oscillation

from tests.test_bp_layout import _hub, _mixed_tree, _same_run


def _frustrated_triangle() -> FactorGraph:
    """Three spins that each want to disagree with both others: parallel BP flips back and
    forth (the ``oscillating`` flag is set on most steps)."""
    anti = np.exp(-3.0 * np.array([[1.0, -1.0], [-1.0, 1.0]]))
    rng = np.random.default_rng(0)
    fs = [Factor((0, 1), anti), Factor((1, 2), anti), Factor((2, 0), anti)]
    fs += [Factor((i,), rng.uniform(0.9, 1.1, 2)) for i in range(3)]
    return FactorGraph(names=("A", "B", "C"), cards=(2, 2, 2), states=(("0", "1"),) * 3,
                       factors=tuple(fs), name="triangle")


def _models():
    grid, _ = ising_grid(6, 7, coupling=0.4, field=1.0, noise=0.1, seed=3)
    return {"grid": (grid, {}), "four_cycle": (load_model("four_cycle"), {}),
            "triangle": (_frustrated_triangle(), {}), "hub": (_hub(8, triples=True, seed=1), {1: 0}),
            "mixed": (_mixed_tree(2), {}), "asia": (load_model("asia"), {7: 0})}


# (mode, damping, logdomain, tol); not tol = 0: whether a change is exactly 0 depends on the
# last bit of two implementations' rounding (max-product reaches its fixed point exactly)
SETTINGS = [("sum", 0.0, False, 1e-10), ("sum", 0.4, False, 1e-6), ("max", 0.0, True, 1e-10),
            ("max", 0.3, False, 1e-6), ("sum", 0.0, True, 1e-6)]


@pytest.mark.parametrize("name", list(_models()))
@pytest.mark.parametrize("mode,damping,logdomain,tol", SETTINGS)
def test_every_recorded_field_equals_the_reference_engine(name, mode, damping, logdomain, tol):
    fg, ev = _models()[name]
    # 12 iterations but on the oscillating loops: max-product on the hub never settles, and
    # two implementations' last-bit differences grow with each iteration there (5e-12 after 18)
    its = 40 if name in ("triangle", "four_cycle") else 12
    kw = dict(mode=mode, updates="parallel", damping=damping, logdomain=logdomain, tol=tol,
              max_iter=its, evidence=ev)
    new, ref = run_bp(fg, **kw), old.run_bp(fg, **kw)
    _same_run(new, ref)                 # messages, states and every extra of every step, 1e-12
    if name == "triangle" and not damping:   # the oscillation window is exercised
        assert sum(s.extras["oscillating"] for s in new.steps) >= 10
    # the unrecorded run stops at the same step with the same numbers
    bare = run_bp(fg, **kw, record=False)
    for key in ("iterations", "converged", "oscillating", "map"):
        assert bare.result[key] == new.result[key], key
    assert max(float(np.abs(a - b).max()) for a, b in zip(bare.result["beliefs"],
                                                         new.result["beliefs"])) <= 1e-12


@pytest.mark.parametrize("name", list(_models()))
def test_the_bethe_shortcut_records_the_reference_numbers(name, monkeypatch):
    """The Bethe energy from the beliefs' parts (taken from BETHE_PARTS_MIN table entries on,
    here on every model) gives every step's and the result's log Z of the reference engine."""
    monkeypatch.setattr(bp_record, "BETHE_PARTS_MIN", 0)
    fg, ev = _models()[name]
    for damping, logdomain, tol in [(0.0, False, 1e-10), (0.4, False, 1e-6), (0.0, True, 1e-6)]:
        kw = dict(mode="sum", damping=damping, logdomain=logdomain, tol=tol, evidence=ev,
                  max_iter=40 if name in ("triangle", "four_cycle") else 12)
        new = run_bp(fg, **kw)
        _same_run(new, old.run_bp(fg, **kw))
        assert run_bp(fg, **kw, record=False).result["log_z"] == new.result["log_z"]


@pytest.mark.parametrize("updates", ["seqfix", "seqrnd", "residual"])
def test_sequential_schedules_record_the_reference_numbers(updates):
    fg = _frustrated_triangle()
    for mode, lam in (("sum", 0.0), ("max", 0.3)):
        kw = dict(mode=mode, updates=updates, damping=lam, tol=0.0, max_iter=25)
        new, ref = run_bp(fg, **kw), old.run_bp(fg, **kw)
        if updates == "residual":       # equal residuals may be ordered differently by rounding
            assert new.result["iterations"] == ref.result["iterations"]
            continue
        _same_run(new, ref)


def _flag_by_definition(ds: list[np.ndarray], thr: float) -> bool:
    """The ``oscillating`` flag after the pushes ``ds``, from its definition: a full window,
    the last change above the threshold, the second half's changes at least half the first's,
    and some entry that both rose and fell by more than the threshold within the window."""
    if len(ds) < OSC_WINDOW:
        return False
    win = ds[-OSC_WINDOW:]
    sizes = [float(np.abs(d).max(initial=0.0)) for d in win]
    half = OSC_WINDOW // 2
    if not (sizes[-1] > thr and max(sizes[half:]) >= 0.5 * max(sizes[:half])):
        return False
    rose = np.any([d > thr for d in win], axis=0)
    fell = np.any([d < -thr for d in win], axis=0)
    return bool(np.any(rose & fell))


@pytest.mark.parametrize("seed", range(6))
def test_oscillation_window_equals_its_definition(seed):
    rng = np.random.default_rng(seed)
    size, thr = 50, 1e-3
    osc = _Oscillation(size, thr)
    ds: list[np.ndarray] = []
    flags = []
    for k in range(40):
        kind = rng.integers(4)
        if kind == 0:        # settling: every entry moves the same way, less and less
            d = 0.5 ** k * rng.uniform(0.0, 1.0, size)
        elif kind == 1:      # one entry flips sign each push
            d = np.zeros(size)
            d[seed] = 0.01 * (-1) ** k
        elif kind == 2:      # changes at the threshold exactly (not above it)
            d = np.full(size, thr) * rng.choice([-1.0, 1.0], size)
        else:                # noise
            d = rng.normal(0.0, 0.01, size)
        ds.append(d)
        osc.push(d.copy())
        flags.append(osc.flag)
        assert osc.flag == _flag_by_definition(ds, thr), k
    assert any(flags) and not all(flags)


# ---------------------------------------------------------------- the recorder's shortcuts
# (issue 9, item 4: recorded runs within 1.5x of unrecorded ones). Each shortcut against the
# plain computation it replaces, on models that take both the shortcut and its fallback.

def _layouts():
    from explorer.pgm.bp import prepare
    grid, _ = ising_grid(4, 5, coupling=0.4, field=1.0, noise=0.1, seed=1)
    models = {"grid": grid, "asia": load_model("asia"), "sachs": load_model("sachs"),
              "student": load_model("student"), "hub": _hub(6, triples=True, seed=2),
              "mixed": _mixed_tree(1)}
    return {k: prepare(fg, {})[1] for k, fg in models.items()}


def test_bethe_energy_from_the_beliefs_parts_equals_its_definition():
    rng = np.random.default_rng(1)
    for name, lay in _layouts().items():
        for zeros in (False, True):
            n = np.log(rng.uniform(0.05, 1.0, lay.S))
            if zeros:           # a zero message entry: 0 * -inf in the shortcut, which must step aside
                n[rng.integers(lay.S)] = -np.inf
            sums, vlogs = [], []
            bf = lay.factor_beliefs(n, sums=sums)
            tot = lay.totals(np.log(rng.uniform(0.05, 1.0, lay.S)))
            bv = lay.var_beliefs(tot, vlogs)
            plain = lay.bethe_log_z(bv, bf)
            short = lay.bethe_log_z(bv, bf, parts=(n, sums), vparts=vlogs)
            assert abs(short - plain) <= 1e-12 * max(1.0, abs(plain)), (name, zeros)
            kl = lay._kl_sum(bf, n, sums)
            assert (kl is None) == zeros, name        # the shortcut is taken unless it cannot be
            if kl is not None:                          # and equals the definition term by term
                with np.errstate(divide="ignore", invalid="ignore"):
                    terms = bf * (np.log(bf) - lay.logT)
                assert abs(kl - float(np.sum(terms, where=bf > 0))) <= 1e-12 * max(1.0, abs(kl))


@pytest.mark.parametrize("size", [1, 31, 32, 33, 1000, 100_003])
def test_sum_log_equals_the_sum_of_logs(size):
    import math

    from explorer.pgm.bp_beliefs import sum_log
    rng = np.random.default_rng(size)
    for x in (rng.uniform(0.5, 4.0, size), np.exp(rng.normal(0.0, 30.0, size)),
              rng.uniform(1e-300, 1e-200, size)):       # products leave the float range
        exact = math.fsum(np.log(x).tolist())
        assert abs(sum_log(x) - exact) <= 1e-15 * size * max(1.0, np.abs(np.log(x)).max())


@pytest.mark.parametrize("size", [1, 1000, 8192, 8193, 50_003])
def test_dot_equals_the_exact_sum_of_products_across_its_chunks(size):
    import math

    from explorer.pgm.bp_beliefs import dot
    rng = np.random.default_rng(size)
    a, b = rng.normal(0.0, 3.0, size), rng.normal(0.0, 3.0, size)
    exact = math.fsum((a * b).tolist())
    assert abs(dot(a, b) - exact) <= 1e-15 * size * float(np.abs(a * b).sum()) + 1e-300


def test_arena_pieces_are_disjoint_and_large_chunks_start_on_a_huge_page():
    from explorer.pgm.bp_record import HUGE_PAGE, Arena
    per_step = 317_600                   # the 100x100 grid's rows per recorded step
    arena = Arena(per_step)
    pieces, starts = [], 0
    for k in range(30):                  # 30 * ~0.3M doubles: several 16 MiB chunks
        n = per_step - 1000 * (k % 3)
        p = arena.get(n)
        assert p.size == n
        if arena.pos == n:               # the first piece of a new chunk
            starts += 1
            assert p.ctypes.data % HUGE_PAGE == 0
        p[...] = k
        pieces.append(p)
    assert starts >= 3
    for k, p in enumerate(pieces):       # none was written over by a later one
        assert (p == k).all()
    small = Arena(100).get(100)          # small steps: small chunks, nothing skipped
    assert small.base.nbytes <= 16 * 100 * 8
