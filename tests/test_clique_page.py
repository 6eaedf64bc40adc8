"""AppTest of the Clique tree page: the numbers shown are the engine's, and the engine's are
brute force's.

Oracles: the full joint table enumerated here with numpy (marginals, max-marginals, the MAP),
the clique tree's structure recomputed from the model (clique table sizes as products of the
cardinalities), and the engine's own refusal message for a model too large.
"""

import numpy as np
import pytest

pytest.importorskip("streamlit")

from explorer import pgm  # noqa: E402
from explorer.errors import TooLargeError  # noqa: E402
from explorer.pgm import Factor, FactorGraph, write_model  # noqa: E402
from explorer.ui.testing import app_test  # noqa: E402


def _ok(at):
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def _joint(fg, evidence=None):
    """The normalised joint ``[cards...]`` with the evidence clamped, by brute force."""
    joint = np.ones(fg.cards)
    for f in fg.factors:
        shape = [fg.cards[v] if v in f.scope else 1 for v in range(fg.n_vars)]
        joint = joint * np.transpose(f.table, np.argsort(f.scope)).reshape(shape)
    for v, s in (evidence or {}).items():
        mask = np.zeros(fg.cards[v])
        mask[s] = 1
        shape = [1] * fg.n_vars
        shape[v] = fg.cards[v]
        joint = joint * mask.reshape(shape)
    return joint / joint.sum()


def _table(at, column):
    """The first table shown with ``column`` (non-interactive tables carry no key)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def test_default_page_numbers_are_the_engines_and_brute_force():
    at = app_test("clique_tree")
    _ok(at)
    fg = pgm.load_model("asia")
    tree = pgm.clique_tree(fg)
    assert int(_metric(at, "Cliques")) == len(tree.cliques)
    assert int(_metric(at, "Treewidth")) == max(len(c) for c in tree.cliques) - 1
    assert int(_metric(at, "Messages for every marginal")) == 2 * (len(tree.cliques) - 1)
    assert float(_metric(at, "log Z")) == pytest.approx(0.0, abs=1e-4)   # a Bayesian network
    cliques = _table(at, "table size")
    for _, row in cliques.iterrows():
        names = row["variables"].split(", ")
        assert row["table size"] == np.prod([fg.cards[fg.index(n)] for n in names])
    # running intersection on what is shown: the separator is in both cliques
    assert len(cliques) == len(tree.cliques)
    joint = _joint(fg)
    marg = _table(at, "clique tree")
    assert len(marg) == sum(fg.cards)
    for _, row in marg.iterrows():
        i = fg.index(row["variable"])
        p = joint.sum(axis=tuple(a for a in range(fg.n_vars) if a != i))[fg.states[i].index(row["state"])]
        assert row["clique tree"] == pytest.approx(p, abs=1e-6)
        if not np.isnan(row.get("variable elimination", np.nan)):
            assert row["variable elimination"] == pytest.approx(p, abs=1e-6)
    assert marg["variable elimination"].notna().sum() > 0


def test_max_mode_with_evidence_shows_the_brute_force_map_and_max_marginals():
    at = app_test("clique_tree", query={"sample": "student", "mode": "max"})
    _ok(at)
    fg = pgm.load_model("student")
    name = fg.names[-1]
    at.multiselect(key="ct.evidence").set_value([f"{name}={fg.states[-1][0]}"]).run()
    _ok(at)
    ev = {fg.n_vars - 1: 0}
    joint = _joint(fg, ev)
    arg = np.unravel_index(int(np.argmax(joint)), joint.shape)
    text = next(m.value for m in at.markdown if m.value.startswith("**MAP assignment:**"))
    for i, s in enumerate(arg):
        if i not in ev:
            assert f"{fg.names[i]}={fg.states[i][s]}" in text
    assert float(_metric(at, "log max")) == pytest.approx(
        np.log(joint.max()) + pgm.calibrate(fg, evidence=ev).result["log_z"], abs=1e-4)
    for _, row in _table(at, "clique tree").iterrows():
        i = fg.index(row["variable"])
        mm = joint.max(axis=tuple(a for a in range(fg.n_vars) if a != i))
        assert row["clique tree"] == pytest.approx(mm[fg.states[i].index(row["state"])] / mm.sum(), abs=1e-6)


def test_step_message_table_is_the_recorded_separator_potential():
    at = app_test("clique_tree", query={"sample": "chain_bn"})
    _ok(at)
    fg = pgm.load_model("chain_bn")
    trace = pgm.calibrate(fg, record=True)
    at.session_state["ct.step"] = 10_000  # the chart reports its last step (clamped)
    at.run()
    _ok(at)
    last = trace.steps[-1]
    shown = _table(at, "potential")
    np.testing.assert_allclose(shown["potential"], np.round(last.extras["table"].reshape(-1), 6))
    # the distribute pass ends with marginals: the last separator table is P(separator)
    (sep,) = last.extras["separator"]
    i = fg.index(sep)
    joint = _joint(fg)
    np.testing.assert_allclose(last.extras["table"],
                               joint.sum(axis=tuple(a for a in range(fg.n_vars) if a != i)), atol=1e-12)


def test_a_model_too_large_shows_the_engines_refusal(tmp_path):
    n = 26
    t = np.array([[1.0, 0.5], [0.5, 1.0]])
    dense = FactorGraph(names=tuple(f"X{i}" for i in range(n)), cards=(2,) * n,
                        states=(("0", "1"),) * n,
                        factors=tuple(Factor((i, j), t) for i in range(n) for j in range(i + 1, n)))
    path = tmp_path / "dense.uai"
    write_model(dense, path)
    with pytest.raises(TooLargeError) as refused:
        pgm.calibrate(pgm.read_model(path))
    at = app_test("clique_tree")
    at.file_uploader(key="ct.sample.file").upload("dense.uai", path.read_bytes()).run()
    assert not at.exception, at.exception
    (err,) = at.error
    assert str(refused.value) in err.value and "treewidth" in err.value
    assert not at.get("plotly_chart")


def test_grid_model_shows_the_exact_map_as_a_lattice_and_decodes_ties():
    from explorer.ui.testing import array, charts

    at = app_test("clique_tree", query={"sample": "ising10", "mode": "max"})
    _ok(at)
    fg = pgm.load_model("ising10")
    res = pgm.calibrate(fg, mode="max").result
    z = {d["name"]: np.array(array(d["z"])) for d in charts(at)["ct.lattice"]["data"]}
    want = np.array([fg.states[i].index(res["map"][n]) for i, n in enumerate(fg.names)])
    np.testing.assert_array_equal(z["exact MAP"], want.reshape(10, 10))
    mm = np.array([res["marginals"][n]["1"] for n in fg.names]).reshape(10, 10)
    np.testing.assert_allclose(z["exact max-marginal of state index 1"], mm)
    caption = " ".join(c.value for c in at.caption)
    assert res["map_ties"]                                      # ising10 has two
    for v in res["map_ties"]:                                   # every tie names its states
        m = res["marginals"][v]
        tied = [s for s, p in m.items() if p >= max(m.values()) * (1 - 1e-9)]
        assert len(tied) > 1 and f"{v} (states {', '.join(tied)})" in caption


def test_evidence_that_leaves_one_clique_needs_no_message():
    at = app_test("clique_tree", query={"sample": "chain_bn"})
    fg = pgm.load_model("chain_bn")
    at.multiselect(key="ct.evidence").set_value([f"X{i}={fg.states[i - 1][0]}" for i in range(1, 5)]).run()
    _ok(at)
    assert (_metric(at, "Cliques"), _metric(at, "Messages for every marginal")) == ("1", "0")
    assert "no message is needed" in at.info[0].value
    joint = _joint(fg, {i: 0 for i in range(4)})
    want = joint.sum(axis=(0, 1, 2, 3))
    shown = _table(at, "clique tree")
    assert list(shown["variable"]) == ["X5", "X5"]
    np.testing.assert_allclose(shown["clique tree"], want, atol=1e-6)
