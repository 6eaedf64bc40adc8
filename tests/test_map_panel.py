"""MAP done right: max-product BP against the exact MAP, ties decoded, grids drawn as images.

Oracles: the MAP and the max-marginals by enumerating the full joint table (written here), the
lattice's edge set written out by hand, and the engine's numbers for what the page shows.
Fixtures: random tree-shaped pairwise models with unary factors (no ties: continuous random
tables), a symmetric two-variable model with an exact tie, and the ``ising10`` sample.
"""

import itertools

import numpy as np
import pytest

pytest.importorskip("streamlit")

from explorer import pgm  # noqa: E402
from explorer.pgm import Factor, FactorGraph  # noqa: E402
from explorer.ui.map_panel import compare_map  # noqa: E402
from explorer.ui.testing import app_test, array, charts  # noqa: E402
from explorer.viz.grid_view import grid_shape, lattice_edges, lattice_figure  # noqa: E402


def _tree_model(seed: int) -> FactorGraph:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(4, 8))
    cards = tuple(int(c) for c in rng.integers(2, 4, n))
    factors = [Factor((i,), rng.uniform(0.1, 2.0, cards[i])) for i in range(n)]
    for i in range(1, n):
        p = int(rng.integers(0, i))
        scope = (i, p) if rng.random() < 0.5 else (p, i)          # unsorted scopes too
        factors.append(Factor(scope, rng.uniform(0.05, 3.0, (cards[scope[0]], cards[scope[1]]))))
    return FactorGraph(names=tuple(f"V{i}" for i in range(n)), cards=cards,
                       states=tuple(tuple(f"s{j}" for j in range(c)) for c in cards),
                       factors=tuple(factors))


def _brute(fg):
    """(MAP as {VAR: STATE}, max-marginals {VAR: [..] scaled to sum 1}) by enumeration."""
    best, arg = -1.0, None
    joint = np.zeros(fg.cards)
    for x in itertools.product(*[range(c) for c in fg.cards]):
        p = float(np.prod([f.table[tuple(x[v] for v in f.scope)] for f in fg.factors]))
        joint[x] = p
        if p > best:
            best, arg = p, x
    mm = {}
    for i, name in enumerate(fg.names):
        m = joint.max(axis=tuple(a for a in range(fg.n_vars) if a != i))
        mm[name] = m / m.sum()
    return {fg.names[i]: fg.states[i][s] for i, s in enumerate(arg)}, mm


@pytest.mark.parametrize("seed", range(6))
def test_exact_map_and_bp_max_product_on_a_tree_equal_brute_force(seed):
    fg = _tree_model(seed)
    want_map, want_mm = _brute(fg)
    exact = pgm.exact_inference(fg)
    assert exact["map"] == want_map and exact["map_ties"] == []
    for updates in ("parallel", "tree"):
        bp = pgm.run_bp(fg, mode="max", updates=updates, max_iter=200, tol=1e-12)
        assert bp.result["map"] == want_map
        for name, m in want_mm.items():
            np.testing.assert_allclose(list(bp.result["marginals"][name].values()), m, atol=1e-9)
            np.testing.assert_allclose(list(exact["max_marginals"][name].values()), m, atol=1e-12)
        cmp = compare_map(bp.result, exact, fg)
        assert (cmp["match"], cmp["tie"], cmp["mismatch"]) == (fg.n_vars, 0, 0)
        assert cmp["max_diff"] < 1e-9 and cmp["ties"] == {}


def test_ties_are_decoded_and_a_wrong_state_is_a_mismatch():
    # p(a, b) ∝ [[2, 1], [1, 2]]: (0, 0) and (1, 1) are both MAP assignments
    fg = FactorGraph(names=("A", "B"), cards=(2, 2), states=(("off", "on"),) * 2,
                     factors=(Factor((0, 1), [[2.0, 1.0], [1.0, 2.0]]),))
    exact = pgm.exact_inference(fg)
    assert sorted(exact["map_ties"]) == ["A", "B"]
    assert exact["map"] in ({"A": "off", "B": "off"}, {"A": "on", "B": "on"})
    other = {"off": "on", "on": "off"}
    # BP chose the other maximiser of A: a tie, not an error
    bp = {"map": {"A": other[exact["map"]["A"]], "B": exact["map"]["B"]},
          "marginals": {"A": {"off": 0.5, "on": 0.5}, "B": {"off": 0.5, "on": 0.5}}}
    cmp = compare_map(bp, exact, fg)
    assert (cmp["match"], cmp["tie"], cmp["mismatch"]) == (1, 1, 0)
    assert cmp["ties"] == {"A": ["off", "on"], "B": ["off", "on"]}
    assert [r["exact maximisers"] for r in cmp["rows"]] == ["off, on (tie)"] * 2
    # with a field on A, "on" is the only maximiser: BP's "off" is a mismatch
    fg2 = FactorGraph(names=("A", "B"), cards=(2, 2), states=(("off", "on"),) * 2,
                      factors=(Factor((0, 1), [[2.0, 1.0], [1.0, 2.0]]), Factor((0,), [1.0, 3.0])))
    exact2 = pgm.exact_inference(fg2)
    assert exact2["map"] == _brute(fg2)[0] == {"A": "on", "B": "on"}
    bad = {"map": {"A": "off", "B": "on"}, "marginals": bp["marginals"]}
    cmp2 = compare_map(bad, exact2, fg2)
    assert (cmp2["match"], cmp2["tie"], cmp2["mismatch"]) == (1, 0, 1)
    want = abs(exact2["max_marginals"]["A"]["on"] - 0.5)
    assert cmp2["max_diff"] == pytest.approx(want)


def test_grid_shape_from_meta_names_or_structure():
    assert lattice_edges(2, 3) == {(0, 1), (1, 2), (3, 4), (4, 5), (0, 3), (1, 4), (2, 5)}
    fg, _ = pgm.ising_grid(3, 4)
    assert grid_shape(fg) == (3, 4)                                 # meta["grid"]
    bare = FactorGraph(names=tuple(str(i) for i in range(12)), cards=fg.cards, states=fg.states,
                       factors=fg.factors)                          # no meta, plain names
    assert grid_shape(bare) == (3, 4)
    named = FactorGraph(names=tuple(f"r{i // 4}c{i % 4}" for i in range(12)), cards=fg.cards,
                        states=fg.states, factors=fg.factors[:12])   # unary factors only
    assert grid_shape(named) == (3, 4)
    assert grid_shape(pgm.load_model("ising10")) == (10, 10)
    assert grid_shape(pgm.load_model("asia")) is None
    assert grid_shape(pgm.load_model("chain_bn")) is None
    assert grid_shape(pgm.load_model("four_cycle")) is None       # a 4-cycle A-B-C-D-A is no 2x2 grid
    fig = lattice_figure((2, 3), [("a", [0, 1, 2, 3, 4, 5], 0, 5, "Greys", None)])
    assert fig.data[0].z.tolist() == [[0, 1, 2], [3, 4, 5]]


def test_bp_page_in_max_mode_compares_with_the_exact_map_on_the_lattice():
    at = app_test("belief_propagation", query={"sample": "ising10", "mode": "max"})
    assert not at.exception and not at.error
    fg = pgm.load_model("ising10")
    exact = pgm.exact_inference(fg)
    bp = pgm.run_bp(fg, mode="max", max_iter=100, tol=1e-9)
    cmp = compare_map(bp.result, exact, fg)
    metric = {m.label: m.value for m in at.metric}
    assert int(metric["Same state as the exact MAP"]) == cmp["match"]
    assert int(metric["Different state"]) == cmp["mismatch"]
    table = next(d.value for d in at.table if "exact MAP" in d.value.columns)
    assert list(table["exact MAP"]) == [exact["map"][n] for n in fg.names]
    assert list(table["BP MAP"]) == [bp.result["map"][n] for n in fg.names]
    lattice = charts(at)["map.lattice"]
    z = {d["name"]: np.array(array(d["z"])) for d in lattice["data"]}
    want = np.array([fg.states[i].index(exact["map"][n]) for i, n in enumerate(fg.names)])
    np.testing.assert_array_equal(z["exact MAP"], want.reshape(10, 10))


def test_bp_page_in_max_mode_uses_max_marginals_as_the_exact_reference():
    at = app_test("belief_propagation", query={"sample": "chain_bn", "mode": "max", "node": "2"})
    assert not at.exception and not at.error
    at.session_state["bp.step"] = 10_000  # the chart reports its last step (clamped)
    at.run()
    fg = pgm.load_model("chain_bn")
    want_map, want_mm = _brute(fg)
    table = next(d.value for d in at.table if "exact MAP" in d.value.columns)
    assert dict(zip(table["variable"], table["exact MAP"])) == want_map
    bars = charts(at)["player.beliefs"]["data"]
    exact_bar = np.array(array(bars[1]["y"]))
    np.testing.assert_allclose(exact_bar, want_mm[fg.names[2]], atol=1e-9)
