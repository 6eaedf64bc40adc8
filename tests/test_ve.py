"""Variable elimination and brute force: against each other, by hand, and on the essay's chain."""

import numpy as np
import pytest

from test_pgm_fixtures import random_model
from explorer.errors import EvidenceError, ModelError, TooLargeError
from explorer.pgm import (Factor, FactorGraph, brute_force, chain_demo, ising_grid, load_model,
                          min_fill_order, variable_elimination)
from explorer.trace import Trace, validate_trace


def _max_diff(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return max(abs(a[v][s] - b[v][s]) for v in a for s in a[v])


@pytest.mark.parametrize("seed", range(8))
def test_ve_equals_brute_force_on_random_models(seed):
    fg = random_model(seed, zeros=seed % 2 == 1)
    rng = np.random.default_rng(100 + seed)
    ev = {int(v): int(rng.integers(0, fg.cards[v])) for v in rng.choice(fg.n_vars, 2, replace=False)}
    try:
        bf = brute_force(fg, evidence=ev)
    except EvidenceError:
        with pytest.raises(EvidenceError):
            variable_elimination(fg, evidence=ev)
        return
    s = validate_trace(variable_elimination(fg, evidence=ev))
    m = validate_trace(variable_elimination(fg, evidence=ev, mode="max"))
    assert _max_diff(s.result["marginals"], bf["marginals"]) < 1e-12
    assert abs(s.result["log_z"] - bf["log_z"]) < 1e-10
    assert m.result["map"] == bf["map"]
    assert abs(m.result["log_z"] - bf["log_max"]) < 1e-10
    assert set(s.result["marginals"]) == {fg.names[i] for i in range(fg.n_vars) if i not in ev}


def test_any_order_gives_the_same_answer():
    fg = random_model(3)
    a = variable_elimination(fg)
    b = variable_elimination(fg, order=list(reversed(range(fg.n_vars))))
    assert _max_diff(a.result["marginals"], b.result["marginals"]) < 1e-12
    assert abs(a.result["log_z"] - b.result["log_z"]) < 1e-12
    with pytest.raises(ModelError, match="misses"):
        variable_elimination(fg, order=[0, 1])


def test_hand_computed_two_variable_model():
    # p(a, b) ∝ f(a) g(a, b); Z = 1*(1+2) + 3*(4+0) = 15
    fg = FactorGraph(names=("A", "B"), cards=(2, 2), states=(("0", "1"),) * 2,
                     factors=(Factor((0,), [1.0, 3.0]), Factor((0, 1), [[1.0, 2.0], [4.0, 0.0]])))
    t = variable_elimination(fg, order=["B", "A"])
    assert np.isclose(t.result["log_z"], np.log(15.0))
    assert np.allclose(list(t.result["marginals"]["A"].values()), [3 / 15, 12 / 15])
    assert np.allclose(list(t.result["marginals"]["B"].values()), [13 / 15, 2 / 15])
    first = t.steps[0]
    assert first.extras["variable"] == "B" and first.extras["ops"] == {"multiplications": 0, "additions": 2}
    assert np.allclose(first.messages[0], [3.0, 4.0])            # tau_B(A) = sum_b g(a, b)
    assert variable_elimination(fg, mode="max").result["map"] == {"A": "1", "B": "0"}


def test_trace_graph_has_fill_edges_and_round_trips():
    # a 4-cycle A-B-C-D: eliminating A joins B and D (one fill edge)
    t = np.array([[2.0, 1.0], [1.0, 2.0]])
    fg = FactorGraph(names=tuple("ABCD"), cards=(2,) * 4, states=(("0", "1"),) * 4,
                     factors=tuple(Factor(s, t) for s in [(0, 1), (1, 2), (2, 3), (3, 0)]))
    tr = validate_trace(variable_elimination(fg, order=["A", "B", "C", "D"]))
    assert tr.graph.meta["fill_edges"] == [[1, 3]]
    assert tr.graph.roles == ("variable",) * 4
    s0 = tr.steps[0]
    assert sorted(tr.graph.receivers[s0.edges].tolist()) == [1, 3] and set(tr.graph.senders[s0.edges]) == {0}
    back = Trace.from_json(tr.to_json())
    assert back.kind == "variable-elimination" and len(back.steps) == 4
    assert np.allclose(back.steps[0].extras["new_factor"]["table"], s0.extras["new_factor"]["table"])


def test_min_fill_order_on_a_chain_is_an_end_first_order():
    order = min_fill_order(load_model("chain_bn"))
    assert order[0] in (0, 4)


def test_brute_force_and_ve_refuse_big_models():
    fg, _ = ising_grid(5, 5)
    with pytest.raises(TooLargeError, match="limited to 20 variables"):
        brute_force(fg)
    n = 26
    t = np.array([[1.0, 0.5], [0.5, 1.0]])
    dense = FactorGraph(names=tuple(f"X{i}" for i in range(n)), cards=(2,) * n, states=(("0", "1"),) * n,
                        factors=tuple(Factor((i, j), t) for i in range(n) for j in range(i + 1, n)))
    with pytest.raises(TooLargeError, match=r"table of about 6\.71e\+07 entries .* the limit is 16,777,216"):
        variable_elimination(dense)


def test_contradictory_evidence_is_refused():
    fg = load_model("asia")
    ev = {fg.index("either"): 1, fg.index("lung"): 0}         # either=no but lung=yes
    for fn in (brute_force, variable_elimination):
        with pytest.raises(EvidenceError, match="has probability 0"):
            fn(fg, evidence=ev)


def test_bayes_net_log_z_is_log_probability_of_evidence():
    fg = load_model("earthquake")
    assert abs(variable_elimination(fg).result["log_z"]) < 1e-12
    ev = {fg.index("Alarm"): 0}
    p = brute_force(fg)["marginals"]["Alarm"]["True"]
    assert np.isclose(variable_elimination(fg, evidence=ev).result["log_z"], np.log(p))


def test_chain_demo_counts_and_messages():
    d = chain_demo()
    trace = validate_trace(d["trace"])
    # each message X_t -> X_(t+1) is P(X_(t+1)), hand-computed
    expected = [[0.5, 0.5], [0.45, 0.55], [0.425, 0.575], [0.4125, 0.5875]]
    assert len(trace.steps) == 8                     # 4 forward eliminations, then 4 backward
    for step, want in zip(trace.steps[:4], expected):
        assert np.allclose(step.messages[0], want) and step.extras["pass"] == "forward"
    # without evidence every backward message is all ones: sum_x P(x | X_t) = 1 (hand-checked)
    for step in trace.steps[4:]:
        assert step.extras["pass"] == "backward" and np.allclose(step.messages[0], [1.0, 1.0])
    assert [trace.graph.labels[trace.graph.senders[s.edges[0]]] for s in trace.steps[4:]] == \
        ["X5", "X4", "X3", "X2"]
    assert np.allclose(list(d["p_last"].values()), [0.4125, 0.5875])
    assert np.allclose(list(d["naive_p_last"].values()), [0.4125, 0.5875])
    assert d["naive"] == {"terms": 32, "multiplications": 128, "additions": 30}
    assert d["naive_checked"]
    assert d["elimination"] == {"messages": 4, "multiplications": 16, "additions": 8, "n_k2": 20}
    r = d["reuse"]
    assert (r["forward_backward_messages"], r["per_query_messages"]) == (8, 20)
    assert r["max_difference"] < 1e-12
    bf = brute_force(d["model"])
    assert _max_diff(r["marginals"], bf["marginals"]) < 1e-12


def test_chain_demo_with_evidence_and_three_states():
    d = chain_demo(6, 3, evidence={5: 2})
    fg = d["model"]
    assert d["naive"]["terms"] == 3 ** 6 and d["naive"]["multiplications"] == 5 * 3 ** 6
    assert d["reuse"]["per_query_messages"] == 5 * 4
    assert _max_diff(d["reuse"]["marginals"], brute_force(fg, evidence={5: 2})["marginals"]) < 1e-12
