"""Random and hand-made models shared by the VE and BP tests (seeded, small).

Corner cases covered: mixed cardinalities (2 and 3), unary, pairwise and triple factors, zero
table entries, isolated variables, trees, polytrees and loopy graphs.
"""

import numpy as np

from explorer.pgm import Factor, FactorGraph


def random_model(seed: int, n_vars: int = 6, n_factors: int = 7, zeros: bool = False,
                 max_arity: int = 3) -> FactorGraph:
    """Random structure and tables; every variable is in some factor."""
    rng = np.random.default_rng(seed)
    cards = tuple(int(c) for c in rng.integers(2, 4, n_vars))
    factors = []
    for i in range(n_vars):                    # a unary factor on each variable keeps all covered
        factors.append(Factor((i,), rng.uniform(0.2, 2.0, cards[i])))
    for _ in range(n_factors):
        a = int(rng.integers(2, max_arity + 1))
        scope = tuple(int(v) for v in rng.choice(n_vars, size=a, replace=False))
        t = rng.uniform(0.1, 3.0, [cards[v] for v in scope])
        if zeros:
            t[rng.random(t.shape) < 0.2] = 0.0
        factors.append(Factor(scope, t))
    return FactorGraph(names=tuple(f"V{i}" for i in range(n_vars)), cards=cards,
                       states=tuple(tuple(f"s{k}" for k in range(c)) for c in cards),
                       factors=tuple(factors), name=f"random{seed}")


def random_tree(seed: int, n_vars: int = 8) -> FactorGraph:
    """A random tree of pairwise factors plus unary factors (mixed cardinalities)."""
    rng = np.random.default_rng(seed)
    cards = tuple(int(c) for c in rng.integers(2, 4, n_vars))
    factors = [Factor((i,), rng.uniform(0.2, 2.0, cards[i])) for i in range(n_vars)]
    for i in range(1, n_vars):
        p = int(rng.integers(0, i))
        factors.append(Factor((p, i), rng.uniform(0.1, 3.0, (cards[p], cards[i]))))
    return FactorGraph(names=tuple(f"T{i}" for i in range(n_vars)), cards=cards,
                       states=tuple(tuple(str(k) for k in range(c)) for c in cards),
                       factors=tuple(factors), name=f"tree{seed}")


def test_fixtures_have_the_promised_shape():
    assert all(random_tree(s).is_forest() for s in range(5))
    fg = random_model(1, zeros=True)
    assert not fg.is_forest() and set(fg.cards) <= {2, 3}
    assert any((f.table == 0).any() for f in fg.factors)


# ----------------------------------------------------------------------------------------------
# BIF `table` order (issue 9): child-major, C order over (CHILD, PARENT1, ..., PARENTn).
import itertools  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from explorer.errors import InputFormatError  # noqa: E402
from explorer.pgm.bif import parse_bif  # noqa: E402
from explorer.pgm.elimination import exact_inference  # noqa: E402
from explorer.pgm.models import read_model  # noqa: E402

DATA = Path(__file__).parent / "data" / "pgm"
ROOT = Path(__file__).resolve().parents[1]
SHIPPED_BIF = sorted((ROOT / "sample_graphs" / "models").glob("*.bif")) + sorted(
    Path("/work/shared/data/bif").glob("*.bif"))


def _bif(cards: dict[str, int], child: str, parents: list[str], body: str) -> str:
    out = [f"network n {{\n}}"]
    for v, c in cards.items():
        out.append(f"variable {v} {{\n  type discrete [ {c} ] {{ "
                   + ", ".join(f"{v.lower()}{k}" for k in range(c)) + " };\n}")
    for v in cards:
        if v != child:
            out.append(f"probability ( {v} ) {{\n  table "
                       + ", ".join([f"{1 / cards[v]:.17g}"] * cards[v]) + ";\n}")
    head = child + (" | " + ", ".join(parents) if parents else "")
    out.append(f"probability ( {head} ) {{\n{body}}}")
    return "\n".join(out) + "\n"


def test_docstring_example_table_equals_rows():
    cards = {"A": 2, "B": 3}
    table = _bif(cards, "B", ["A"], "  table 0.1, 0.2, 0.3, 0.4, 0.6, 0.4;\n")
    rows = _bif(cards, "B", ["A"], "  (a0) 0.1, 0.3, 0.6;\n  (a1) 0.2, 0.4, 0.4;\n")
    ft, fr = parse_bif(table).factors[1], parse_bif(rows).factors[1]
    assert ft.scope == fr.scope == (0, 1)
    assert ft.table.tolist() == fr.table.tolist() == [[0.1, 0.3, 0.6], [0.2, 0.4, 0.4]]


@pytest.mark.parametrize("seed", range(4))
def test_same_cpd_written_as_rows_and_as_table_gives_identical_factors(seed):
    rng = np.random.default_rng(seed)
    cards = {"P": 2, "Q": 4, "C": 3}
    cpd = rng.dirichlet(np.ones(3), size=(2, 4))          # [P, Q, C], rows sum to 1
    rows = "".join(f"  (p{i}, q{j}) " + ", ".join(f"{x:.17g}" for x in cpd[i, j]) + ";\n"
                   for i in range(2) for j in range(4))
    # child-major: the child's state slowest, then P, then Q (the last parent fastest)
    flat = [cpd[i, j, s] for s in range(3) for i in range(2) for j in range(4)]
    table = "  table " + ", ".join(f"{x:.17g}" for x in flat) + ";\n"
    fr = parse_bif(_bif(cards, "C", ["P", "Q"], rows)).factors[2]
    ft = parse_bif(_bif(cards, "C", ["P", "Q"], table)).factors[2]
    assert fr.scope == ft.scope == (0, 1, 2)
    assert np.array_equal(fr.table, ft.table)
    assert np.array_equal(ft.table, cpd)


def test_parent_major_table_is_refused_when_it_does_not_sum_to_one():
    # Read parent-major (the old, wrong order), this valid table had rows summing to 0.3 and 1.7.
    cards = {"A": 2, "B": 2}
    ok = parse_bif(_bif(cards, "B", ["A"], "  table 0.1, 0.2, 0.9, 0.8;\n"))
    assert ok.factors[1].table.tolist() == [[0.1, 0.9], [0.2, 0.8]]
    with pytest.raises(InputFormatError, match=r"line 13: P\(B \| A\): a row of the table sums "
                                               r"to 0\.8 \(the values for B given A=a1\).*child-major"):
        parse_bif(_bif(cards, "B", ["A"], "  table 0.1, 0.4, 0.9, 0.4;\n"))


# The dog problem's numbers, typed from the textbook (Charniak 1991), independent of any reader.
P_FO, P_BP = 0.15, 0.01
P_LO = {True: 0.6, False: 0.05}                                  # P(light-on | family-out)
P_DO = {(True, True): 0.99, (True, False): 0.97,                # P(dog-out | bowel, family)
        (False, True): 0.9, (False, False): 0.3}
P_HB = {True: 0.7, False: 0.01}                                  # P(hear-bark | dog-out)


def _joint(fo, bp, lo, do, hb) -> float:
    b = lambda p, x: p if x else 1 - p  # noqa: E731
    return (b(P_FO, fo) * b(P_BP, bp) * b(P_LO[fo], lo) * b(P_DO[(bp, fo)], do)
            * b(P_HB[do], hb))


def test_dog_problem_reads_the_textbook_numbers():
    fg = read_model(DATA / "dog_problem.bif")
    assert fg.name == "Dog-Problem"
    ix = {n: i for i, n in enumerate(fg.names)}
    assert all(st == ("true", "false") for st in fg.states)
    for f in fg.factors:
        child = fg.names[f.scope[-1]]
        parents = [fg.names[q] for q in f.scope[:-1]]
        for conf in itertools.product([True, False], repeat=f.arity):
            idx = tuple(0 if x else 1 for x in conf)
            val = {n: x for n, x in zip(parents + [child], conf)}
            p = {"family-out": lambda: P_FO, "bowel-problem": lambda: P_BP,
                 "light-on": lambda: P_LO[val.get("family-out")],
                 "dog-out": lambda: P_DO[(val.get("bowel-problem"), val.get("family-out"))],
                 "hear-bark": lambda: P_HB[val.get("dog-out")]}[child]()
            assert f.table[idx] == pytest.approx(p if conf[-1] else 1 - p, abs=1e-12), (child, conf)
    assert fg.parents[ix["dog-out"]] == (ix["bowel-problem"], ix["family-out"])


@pytest.mark.parametrize("evidence", [{}, {"light-on": "true", "hear-bark": "false"},
                                      {"dog-out": "true"}])
def test_dog_problem_marginals_match_brute_force(evidence):
    fg = read_model(DATA / "dog_problem.bif")
    ev = {fg.names.index(k): fg.states[fg.names.index(k)].index(v) for k, v in evidence.items()}
    got = exact_inference(fg, evidence=ev)["marginals"]
    order = ["family-out", "bowel-problem", "light-on", "dog-out", "hear-bark"]
    worlds = [dict(zip(order, w)) for w in itertools.product([True, False], repeat=5)]
    worlds = [w for w in worlds if all(w[k] == (v == "true") for k, v in evidence.items())]
    z = sum(_joint(*(w[k] for k in order)) for w in worlds)
    for var in order:
        if var in evidence:
            continue
        p_true = sum(_joint(*(w[k] for k in order)) for w in worlds if w[var]) / z
        assert got[var]["true"] == pytest.approx(p_true, abs=1e-12), var


def _pgmpy_tables(path):
    pgmpy_bif = pytest.importorskip("pgmpy.readwrite")
    model = pgmpy_bif.BIFReader(str(path)).get_model()
    out = {}
    for cpd in model.get_cpds():
        names = cpd.variables                           # (child, parent1, ..., parentn)
        states = [cpd.state_names[v] for v in names]
        out[cpd.variable] = (names[1:], states, np.moveaxis(cpd.values, 0, -1))
    return out


def _check_against(fg, ref, tol):
    """``ref``: {child: (parents, states (child first), values [child, parents...])}."""
    assert set(ref) == set(fg.names)
    for f in fg.factors:
        child = fg.names[f.scope[-1]]
        parents, states, values = ref[child]
        ours_parents = [fg.names[q] for q in f.scope[:-1]]
        # the reference may order the parents differently: permute its axes to our scope order
        perm = [1 + list(parents).index(q) for q in ours_parents] + [0]
        assert [list(fg.states[q]) for q in f.scope] == [list(states[i]) for i in perm], child
        np.testing.assert_allclose(f.table, np.transpose(values, perm), rtol=0, atol=tol,
                                   err_msg=child)


def test_dog_problem_reads_as_pgmpy_reads_it():
    """pgmpy's BIFReader as the oracle on the JavaBayes-style file (pgmpy takes seconds a file,
    so the shipped samples are checked against aGrUM below)."""
    readwrite = pytest.importorskip("pgmpy.readwrite")
    path = DATA / "dog_problem.bif"
    model = readwrite.BIFReader(str(path)).get_model()
    ref = {c.variable: (c.variables[1:], [c.state_names[v] for v in c.variables], c.values)
           for c in model.get_cpds()}
    _check_against(read_model(path), ref, 1e-12)


@pytest.mark.parametrize("path", [DATA / "dog_problem_plain.bif"] + SHIPPED_BIF,
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_bif_files_read_as_agrum_reads_them(path):
    """Every shipped BIF sample, the shared networks and the plain dog problem: aGrUM as the
    oracle (it reads CPTs in single precision, hence the tolerance)."""
    gum = pytest.importorskip("pyagrum")
    bn = gum.loadBN(str(path))
    ref = {}
    for name in bn.names():
        cpt = bn.cpt(name)
        order = [cpt.variable(i).name() for i in range(cpt.nbrDim())]      # child first
        states = [list(cpt.variable(i).labels()) for i in range(cpt.nbrDim())]
        values = np.zeros([len(s) for s in states])
        for idx in np.ndindex(*values.shape):
            values[idx] = cpt[{v: states[k][i] for k, (v, i) in enumerate(zip(order, idx))}]
        ref[name] = (order[1:], states, values)
    _check_against(read_model(path), ref, 1e-6)


def test_the_two_dog_problem_files_are_the_same_model():
    a, b = read_model(DATA / "dog_problem.bif"), read_model(DATA / "dog_problem_plain.bif")
    assert a.names == b.names and a.states == b.states and a.parents == b.parents
    assert all(np.array_equal(fa.table, fb.table) for fa, fb in zip(a.factors, b.factors))


def test_a_table_valid_in_both_orders_gives_the_child_major_marginal():
    """A doubly stochastic, non-symmetric CPD reads as valid either way; only the child-major
    reading gives P(B) = sum_a P(a) P(B | a) for the CPD the file means."""
    cpd = np.array([[0.1, 0.9, 0.0], [0.0, 0.1, 0.9], [0.9, 0.0, 0.1]])   # [A, B]
    prior = np.array([0.8, 0.1, 0.1])
    flat = [float(cpd[a, b]) for b in range(3) for a in range(3)]         # child-major
    text = ("network n {\n}\nvariable A { type discrete [ 3 ] { a0, a1, a2 }; }\n"
            "variable B { type discrete [ 3 ] { b0, b1, b2 }; }\n"
            "probability ( A ) { table 0.8, 0.1, 0.1; }\n"
            "probability ( B | A ) { table " + ", ".join(map(repr, flat)) + "; }\n")
    fg = parse_bif(text)
    got = exact_inference(fg)["marginals"]["B"]
    want = prior @ cpd                                                    # [0.17, 0.73, 0.1]
    np.testing.assert_allclose([got[s] for s in ("b0", "b1", "b2")], want, atol=1e-12)
    wrong = prior @ cpd.T                                                 # the old reading
    assert np.abs(want - wrong).max() > 0.5
