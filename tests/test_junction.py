"""Clique-tree calibration against an enumeration written here, closed forms, and pgmpy.

Corner cases covered: zero table entries, evidence (and evidence of probability 0), unsorted
factor scopes, cardinality-1 variables, variables in no factor (a forest of cliques), log Z far
beyond the float range (chains with |log Z| up to 1.5e5, random models with |log Z| > 700),
factors that disagree so strongly that linear products underflow, MAP ties.
"""

import numpy as np
import pytest
from scipy.special import logsumexp

from explorer.errors import EvidenceError, ModelError, TooLargeError
from explorer.pgm import Factor, FactorGraph, brute_force, load_model
from explorer.pgm.junction import _run, calibrate, clique_tree, exact_inference
from explorer.trace import Trace, validate_trace


# ---------------------------------------------------------------------- the oracle
def enumerate_model(fg, evidence=None):
    """Every assignment's log weight by direct indexing (no elimination, no scaling)."""
    idx = np.indices(fg.cards).reshape(fg.n_vars, -1)
    logw = np.zeros(idx.shape[1])
    with np.errstate(divide="ignore"):
        for f in fg.factors:
            logw += np.log(f.table[tuple(idx[i] for i in f.scope)])
    for i, s in (evidence or {}).items():
        logw[idx[i] != s] = -np.inf
    log_z = logsumexp(logw)
    if log_z == -np.inf:
        return {"log_z": log_z}
    p = np.exp(logw - log_z)
    marg = {fg.names[i]: np.bincount(idx[i], weights=p, minlength=fg.cards[i])
            for i in range(fg.n_vars) if i not in (evidence or {})}
    maxm = {}
    for i in range(fg.n_vars):
        if i not in (evidence or {}):
            m = np.array([logw[idx[i] == s].max() for s in range(fg.cards[i])])
            e = np.exp(m - m.max())
            maxm[fg.names[i]] = e / e.sum()
    return {"log_z": log_z, "marginals": marg, "log_max": logw.max(), "idx": idx, "logw": logw,
            "max_marginals": maxm}


def log_weight(fg, assignment):
    with np.errstate(divide="ignore"):
        return sum(float(np.log(f.table[tuple(assignment[i] for i in f.scope)])) for f in fg.factors)


def random_model(seed, n=12, zeros=False, card_one=True, spread=1.0):
    """Random scopes in random (unsorted) order, cards in {1, 2, 3} (or {2, 3}), tables
    ``exp(spread * N(0, 1))``, optionally 15% zeros; one variable is in no factor."""
    rng = np.random.default_rng(seed)
    cards = [int(c) for c in rng.integers(1 if card_one else 2, 4, n)]
    factors = [Factor((i,), np.exp(spread * rng.normal(size=cards[i]))) for i in range(n - 1)]
    for _ in range(n + 2):
        scope = tuple(int(v) for v in rng.choice(n - 1, size=int(rng.integers(2, 4)), replace=False))
        t = np.exp(spread * rng.normal(size=[cards[v] for v in scope]))
        if zeros:
            t[rng.random(t.shape) < 0.15] = 0.0
        factors.append(Factor(scope, t))
    return FactorGraph(names=tuple(f"V{i}" for i in range(n)), cards=tuple(cards),
                       states=tuple(tuple(f"s{k}" for k in range(c)) for c in cards),
                       factors=tuple(factors), name=f"random{seed}")


def check_against_enumeration(fg, evidence, *, rel=1e-9):
    ref = enumerate_model(fg, evidence)
    if ref["log_z"] == -np.inf:
        with pytest.raises(EvidenceError if evidence else ModelError, match="probability 0"):
            exact_inference(fg, evidence=evidence)
        return None
    out = exact_inference(fg, evidence=evidence)
    assert abs(out["log_z"] - ref["log_z"]) <= rel * max(1.0, abs(ref["log_z"]))
    assert abs(out["log_max"] - ref["log_max"]) <= rel * max(1.0, abs(ref["log_max"]))
    assert set(out["marginals"]) == set(ref["marginals"])
    for v, p in ref["marginals"].items():
        got = np.array(list(out["marginals"][v].values()))
        assert np.all(np.isfinite(got)) and np.allclose(got, p, atol=1e-9, rtol=0)
        assert np.allclose(list(out["max_marginals"][v].values()), ref["max_marginals"][v], atol=1e-9)
    assign = [0] * fg.n_vars
    for i, s in evidence.items():
        assign[i] = s
    for v, s in out["map"].items():
        i = fg.index(v)
        assign[i] = fg.states[i].index(s)
    # the decoded MAP is a maximiser (ties or not), and the brute-force one when it is unique
    assert abs(log_weight(fg, assign) - ref["log_max"]) <= rel * max(1.0, abs(ref["log_max"]))
    top = np.sort(ref["logw"])[-2:]
    if top[0] < top[1] - 1e-6:
        assert list(ref["idx"][:, int(np.argmax(ref["logw"]))]) == assign
    return out


# ---------------------------------------------------------------------- against enumeration
@pytest.mark.parametrize("seed", range(12))
def test_random_models_with_zeros_evidence_and_card_one(seed):
    fg = random_model(seed, n=12 if seed < 8 else 14, zeros=seed % 2 == 1)
    rng = np.random.default_rng(seed)
    evidence = {}
    for v in rng.choice(fg.n_vars, size=seed % 3, replace=False):
        evidence[int(v)] = int(rng.integers(0, fg.cards[v]))
    check_against_enumeration(fg, evidence)


def test_sixteen_binary_variables_and_brute_force_agree():
    fg = random_model(99, n=16, card_one=False)
    fg = FactorGraph(names=fg.names, cards=(2,) * 16, states=(("a", "b"),) * 16,
                     factors=tuple(Factor(f.scope, np.resize(f.table, (2,) * f.arity) + 0.01)
                                   for f in fg.factors))
    out = check_against_enumeration(fg, {3: 1})
    bf = brute_force(fg, evidence={3: 1})
    assert out["map"] == bf["map"] and abs(out["log_z"] - bf["log_z"]) < 1e-10


@pytest.mark.parametrize("seed", range(4))
def test_extreme_potentials_log_z_beyond_700(seed):
    fg = random_model(40 + seed, n=11, card_one=False, spread=100.0, zeros=seed == 3)
    out = check_against_enumeration(fg, {})
    assert abs(out["log_z"]) > 700


@pytest.mark.parametrize("n, log_c", [(300, 500.0), (300, -500.0), (40, 700.0)])
def test_chain_log_z_in_closed_form(n, log_c):
    # f(x, y) = c * [[a, b], [b, a]] on every link: Z = 2 (c (a + b))^(n - 1), marginals uniform
    a, b = 3.0, 0.5
    t = np.exp(log_c) * np.array([[a, b], [b, a]])
    fg = FactorGraph(names=tuple(f"X{i}" for i in range(n)), cards=(2,) * n, states=(("0", "1"),) * n,
                     factors=tuple(Factor((i + 1, i) if i % 2 else (i, i + 1), t) for i in range(n - 1)))
    out = exact_inference(fg)
    want = np.log(2.0) + (n - 1) * (log_c + np.log(a + b))
    assert abs(out["log_z"] - want) <= 1e-9 * abs(want) and abs(want) > 1e4 or n == 40
    assert all(np.allclose(list(m.values()), [0.5, 0.5], atol=1e-12) for m in out["marginals"].values())
    assert out["map_ties"] == list(fg.names)       # both all-0 and all-1 are MAPs
    assert abs(log_weight(fg, [fg.states[0].index(out["map"][v]) for v in fg.names])
               - (n - 1) * (log_c + np.log(a))) < 1e-9 * n * abs(log_c)


def test_disagreeing_factors_switch_to_log_tables():
    # x's unary factors say [1, 1e-304] and [1e-304, 1] from two cliques: linear products
    # underflow, log tables do not; the truth is 1/2 each (and 3 for the third state)
    f = np.array([1.0, 1e-304, 1.0])
    g = np.array([1e-304, 1.0, 1e-300])
    fg = FactorGraph(names=("x", "y", "z"), cards=(3, 2, 2), states=(("a", "b", "c"), ("0", "1"), ("0", "1")),
                     factors=(Factor((0, 1), np.outer(f, [1.0, 1.0])), Factor((2, 0), np.outer([1.0, 1.0], g))))
    t = calibrate(fg)
    assert t.result["domain"] == "log"
    ref = enumerate_model(fg)
    assert np.allclose(list(t.result["marginals"]["x"].values()), ref["marginals"]["x"], atol=1e-12)
    assert abs(t.result["log_z"] - ref["log_z"]) < 1e-9 * abs(ref["log_z"])
    assert calibrate(load_model("asia")).result["domain"] == "linear"


def test_zero_probability_evidence_and_models_are_refused():
    fg = load_model("asia")
    with pytest.raises(EvidenceError, match="has probability 0"):
        exact_inference(fg, evidence={fg.index("either"): 1, fg.index("lung"): 0})
    dead = FactorGraph(names=("A", "B"), cards=(2, 1), states=(("0", "1"), ("only",)),
                       factors=(Factor((1, 0), [[0.0, 0.0]]),))
    with pytest.raises(ModelError, match="probability 0"):
        exact_inference(dead)


def test_every_variable_observed_or_fixed():
    fg = FactorGraph(names=("A", "B"), cards=(1, 2), states=(("only",), ("0", "1")),
                     factors=(Factor((1, 0), [[2.0], [6.0]]),))
    out = exact_inference(fg, evidence={1: 1})
    assert out["marginals"] == {"A": {"only": 1.0}} and out["map"] == {"A": "only"}
    assert np.isclose(out["log_z"], np.log(6.0))


# ---------------------------------------------------------------------- the tree itself
@pytest.mark.parametrize("seed", range(6))
def test_running_intersection_cover_and_maximal_cliques(seed):
    fg = random_model(seed, n=14, card_one=seed % 2 == 0)
    tree = clique_tree(fg)
    cliques = [set(c) for c in tree.cliques]
    adj = {c: set() for c in range(len(cliques))}
    for c, p in tree.edges:
        adj[c].add(p), adj[p].add(c)
    assert len(tree.edges) == len(cliques) - 1
    for v in range(fg.n_vars):
        holders = {c for c, s in enumerate(cliques) if v in s}
        if v in tree.fixed:
            assert not holders
            continue
        start = next(iter(holders))              # the holders are connected in the tree
        seen, todo = {start}, [start]
        while todo:
            for k in adj[todo.pop()] & holders - seen:
                seen.add(k), todo.append(k)
        assert seen == holders
    for f in fg.factors:
        free = set(f.scope) - set(tree.fixed)
        assert any(free <= s for s in cliques)
    assert not any(a < b for a in cliques for b in cliques)
    for (c, p), sep in zip(tree.edges, tree.separators):
        assert set(sep) == cliques[c] & cliques[p]


@pytest.mark.parametrize("mode", ["sum", "max"])
def test_calibrated_beliefs_agree_on_every_separator(mode):
    fg = random_model(5, n=12, zeros=True, card_one=False)
    tree = clique_tree(fg, evidence={2: 0})
    cal = _run(fg, tree, mode, False, {2: 0})
    for (c, p), sep in zip(tree.edges, tree.separators):
        a = cal._marg(cal.beliefs[c], cal._axes(c, sep))
        b = cal._marg(cal.beliefs[p], cal._axes(p, sep))
        pa, pb = (np.exp(a - a.max()), np.exp(b - b.max())) if mode == "max" else (a, b)
        assert np.allclose(pa / pa.sum(), pb / pb.sum(), atol=1e-12)


def test_protocol_two_passes_and_separator_marginals():
    fg = random_model(7, n=12, card_one=False)
    ev = {4: 1}
    trace = validate_trace(calibrate(fg, evidence=ev, record=True))
    tree = clique_tree(fg, evidence=ev)
    n_cliques = len(tree.cliques)
    assert trace.graph.n_nodes == n_cliques and len(trace.steps) == 2 * (n_cliques - 1)
    assert trace.result["n_messages"] == len(trace.steps)
    heard = {c: set() for c in range(n_cliques)}
    g = trace.graph
    neighbours = {c: set(g.receivers[g.senders == c].tolist()) for c in range(n_cliques)}
    for k, step in enumerate(trace.steps):
        s, r = int(g.senders[step.edges[0]]), int(g.receivers[step.edges[0]])
        assert step.extras["pass"] == ("collect" if k < n_cliques - 1 else "distribute")
        assert neighbours[s] - {r} <= heard[s]          # it has heard from all its other neighbours
        heard[r].add(s)
    assert all(heard[c] == neighbours[c] for c in heard)  # and everyone heard everyone
    # after the distribute pass a separator's potential is the joint marginal of its variables
    ref = enumerate_model(fg, ev)
    p = np.exp(ref["logw"] - ref["log_z"])
    for step in trace.steps[n_cliques - 1:]:
        sep = [fg.index(v) for v in step.extras["separator"]]
        flat = np.ravel_multi_index(tuple(ref["idx"][i] for i in sep), [fg.cards[i] for i in sep]) \
            if sep else np.zeros(p.size, dtype=int)
        assert np.allclose(step.messages[0], np.bincount(flat, weights=p), atol=1e-12)
    back = Trace.from_json(trace.to_json())
    assert back.kind == "clique-tree" and back.graph.labels == trace.graph.labels


def test_too_large_is_refused_before_building_with_treewidth_and_bp():
    n = 26
    t = np.array([[1.0, 0.5], [0.5, 1.0]])
    dense = FactorGraph(names=tuple(f"X{i}" for i in range(n)), cards=(2,) * n, states=(("0", "1"),) * n,
                        factors=tuple(Factor((i, j), t) for i in range(n) for j in range(i + 1, n)))
    with pytest.raises(TooLargeError, match=r"clique table of 6\.71e\+07 entries \(26 variables: "
                                            r"treewidth at least 25.*limit is 16,777,216.*belief propagation"):
        exact_inference(dense)
    from explorer.pgm import ising_grid
    big, _ = ising_grid(30, 30)
    for heuristic in ("min-fill", "min-weight"):
        with pytest.raises(TooLargeError, match=r"entries in all \(treewidth at least \d+\); the limit is 67,108,864 entries\. "
                                                r"Use belief propagation"):
            clique_tree(big, heuristic=heuristic)


def test_ties_are_reported_and_decoded_consistently():
    fg = load_model("four_cycle")
    out = exact_inference(fg)
    bf = brute_force(fg)
    assert out["map_ties"]
    assign = [fg.states[fg.index(v)].index(s) for v, s in ((v, out["map"][v]) for v in fg.names)]
    assert abs(log_weight(fg, assign) - bf["log_max"]) < 1e-12


# ---------------------------------------------------------------------- a second library
def test_pgmpy_agrees_on_a_shipped_network():
    pytest.importorskip("pgmpy")
    from pgmpy.factors.discrete import TabularCPD
    from pgmpy.inference import VariableElimination
    from pgmpy.models import DiscreteBayesianNetwork

    fg = load_model("sachs")                       # the shipped file, handed to pgmpy CPD by CPD
    net = DiscreteBayesianNetwork([(fg.names[p], fg.names[c]) for c in range(fg.n_vars)
                                   for p in fg.parents[c]])
    for f in fg.factors:
        child, parents = f.scope[-1], f.scope[:-1]
        net.add_cpds(TabularCPD(fg.names[child], fg.cards[child],
                                f.table.reshape(-1, fg.cards[child]).T,
                                evidence=[fg.names[p] for p in parents] or None,
                                evidence_card=[fg.cards[p] for p in parents] or None,
                                state_names={fg.names[i]: list(fg.states[i]) for i in f.scope}))
    theirs = VariableElimination(net)
    evidence = {"Erk": "HIGH", "PKA": "LOW"}
    out = exact_inference(fg, evidence={fg.index(v): fg.states[fg.index(v)].index(s)
                                        for v, s in evidence.items()})
    for v in out["marginals"]:
        q = theirs.query([v], evidence=evidence, show_progress=False)
        want = [q.values[q.state_names[v].index(s)] for s in fg.states[fg.index(v)]]
        assert np.allclose(list(out["marginals"][v].values()), want, atol=1e-9)
    assert theirs.map_query(list(out["map"]), evidence=evidence, show_progress=False) == out["map"]


def test_agrum_agrees_with_marginals_and_evidence_probability():
    gum = pytest.importorskip("pyagrum")
    fg = load_model("asia")
    bn = gum.BayesNet()
    for n, st in zip(fg.names, fg.states):
        bn.add(gum.LabelizedVariable(n, n, list(st)))
    for c in range(fg.n_vars):
        for p in fg.parents[c]:
            bn.addArc(fg.names[p], fg.names[c])
    for f in fg.factors:
        pot = bn.cpt(fg.names[f.scope[-1]])
        axes = [f.scope.index(fg.index(n)) for n in reversed(pot.names)]   # aGrUM's array order
        pot.fillWith(np.transpose(f.table, axes).reshape(-1).tolist())
    ie = gum.LazyPropagation(bn)
    ie.setEvidence({"xray": "yes", "smoke": "no"})
    ie.makeInference()
    out = exact_inference(fg, evidence={fg.index("xray"): 0, fg.index("smoke"): 1})
    for v in out["marginals"]:
        assert np.allclose(list(out["marginals"][v].values()), ie.posterior(v).toarray(), atol=1e-12)
    assert np.isclose(out["log_z"], np.log(ie.evidenceProbability()), rtol=1e-12)
