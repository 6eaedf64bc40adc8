"""Observe a variable by clicking it (issue 12 item 10): the panel's "Observe VAR = state" buttons.

AppTest plays the click as the chart reports it (the page's ``node`` set in session state) and
then presses the panel's state button. Oracles: brute-force enumeration of the joint
(``pgm.brute_force``) and the clique-tree exact inference (``pgm.exact_inference``), both called
here with the evidence as indices; the sample defaults and ``pgm.run_bp`` for the damping demo.
"""


import numpy as np
import pytest

pytest.importorskip("streamlit")

from explorer import pgm  # noqa: E402
from explorer.ui import clamp  # noqa: E402
from explorer.ui.testing import app_test, array, charts, player_data as player  # noqa: E402


def trace_of(at, name):
    return next(t for t in player(at)["figure"]["data"] if t.get("name") == name)


def last_beliefs(at):
    """Every variable's first-state belief as the last frame of the BP chart colours it."""
    nodes = player(at)["figure"]["frames"][-1]["data"][1]
    return np.array(array(nodes["marker"]["color"]), dtype=float)


def problems(at):
    return [e.value for e in at.error] + [str(e.value) for e in at.exception]


def click_and_observe(at, page, node, state):
    """A click on ``node`` in the chart (what the player reports), then the state's button."""
    at.session_state[f"{page}.node"] = node
    at.run()
    at.button(key=f"{page}.observe.{node}.{state}").click().run()
    return at


def evidence_param(at):
    value = at.query_params.get("evidence")
    return value[0] if isinstance(value, list) else value


def test_observing_a_clicked_variable_gives_the_exact_posterior_on_a_tree():
    fg = pgm.load_model("chain_bn")  # a tree: BP's beliefs are the exact marginals
    x3 = fg.index("X3")
    at = click_and_observe(app_test("belief_propagation", query={"sample": "chain_bn"}),
                           "bp", x3, 1)
    assert not problems(at)
    state = fg.states[x3][1]
    assert at.session_state["bp.evidence"] == [f"X3={state}"]
    assert at.multiselect(key="bp.evidence").value == [f"X3={state}"]  # the sidebar agrees
    assert evidence_param(at) == f"X3={state}"  # the link carries it
    want = pgm.brute_force(fg, evidence={x3: 1})["beliefs"]
    np.testing.assert_allclose(last_beliefs(at), [b[0] for b in want], atol=1e-6)
    prior = pgm.brute_force(fg)["beliefs"]
    assert max(abs(b[0] - p[0]) for b, p in zip(want, prior)) > 0.01  # the evidence matters
    # the observed button is the highlighted one, and the graph labels the state
    assert at.button(key=f"bp.observe.{x3}.1").proto.type == "primary"
    assert f"X3 = {state}" in trace_of(at, "labels")["text"]
    ring = trace_of(at, "observed (evidence)")  # the dark ring: around X3 only
    nodes = trace_of(at, "nodes")
    k = list(nodes["text"]).index("X3")
    assert array(ring["x"]) == [array(nodes["x"])[k]] and array(ring["y"]) == [array(nodes["y"])[k]]


def test_observe_on_a_loopy_model_shows_the_exact_posterior_beside_bp():
    fg = pgm.load_model("asia")
    either, dysp = fg.index("either"), fg.index("dysp")
    at = click_and_observe(app_test("belief_propagation", query={"sample": "asia"}),
                           "bp", either, 0)
    assert not problems(at)
    at.session_state["bp.node"] = dysp  # look at another variable's bars
    at.run()
    bars = {t["name"]: np.array(array(t["y"]), dtype=float)
            for t in charts(at)["player.beliefs"]["data"]}
    exact = pgm.exact_inference(fg, evidence={either: 0})["marginals"]["dysp"]
    brute = pgm.brute_force(fg, evidence={either: 0})["marginals"]["dysp"]
    np.testing.assert_allclose(bars["exact"], list(exact.values()), atol=1e-6)
    np.testing.assert_allclose(bars["exact"], list(brute.values()), atol=1e-9)
    assert abs(bars["exact"][0] - pgm.brute_force(fg)["marginals"]["dysp"]["yes"]) > 0.05


def test_clear_restores_the_prior_and_keeps_other_evidence():
    fg = pgm.load_model("chain_bn")
    x1, x5 = fg.index("X1"), fg.index("X5")
    s1 = fg.states[x1][0]
    at = app_test("belief_propagation", query={"sample": "chain_bn", "evidence": f"X1={s1}"})
    at = click_and_observe(at, "bp", x5, 1)
    assert sorted(at.session_state["bp.evidence"]) == sorted([f"X1={s1}", f"X5={fg.states[x5][1]}"])
    np.testing.assert_allclose(last_beliefs(at),
                               [b[0] for b in pgm.brute_force(fg, evidence={x1: 0, x5: 1})["beliefs"]],
                               atol=1e-6)
    at.button(key=f"bp.observe.{x5}.clear").click().run()
    assert not problems(at)
    assert at.session_state["bp.evidence"] == [f"X1={s1}"]  # only the cleared one went
    at.session_state["bp.node"] = x1
    at.run()
    at.button(key=f"bp.observe.{x1}.clear").click().run()
    assert at.session_state["bp.evidence"] == [] and evidence_param(at) is None
    np.testing.assert_allclose(last_beliefs(at), [b[0] for b in pgm.brute_force(fg)["beliefs"]],
                               atol=1e-6)
    assert at.button(key=f"bp.observe.{x1}.clear").disabled  # nothing left to clear


def test_a_link_with_evidence_opens_with_it_observed():
    fg = pgm.load_model("asia")
    xray = fg.index("xray")
    at = app_test("belief_propagation", query={"sample": "asia", "evidence": "xray=yes",
                                               "node": str(xray)})
    assert not problems(at)
    assert at.button(key=f"bp.observe.{xray}.0").proto.type == "primary"
    assert at.button(key=f"bp.observe.{xray}.1").proto.type == "secondary"
    assert any("Observe xray" in m.value and "yes" in m.value for m in at.markdown)


def test_a_factor_offers_no_observation():
    fg = pgm.load_model("asia")
    at = app_test("belief_propagation", query={"sample": "asia"})
    at.session_state["bp.node"] = fg.n_vars  # the first factor node follows the variables
    at.run()
    assert not problems(at)
    assert not [b for b in at.button if ".observe." in (b.key or "")]
    assert any("Click a variable" in c.value for c in at.caption)


def test_impossible_evidence_keeps_the_message_and_everything_entered():
    # either = tub OR lung in asia, so tub=yes with either=no has probability 0
    fg = pgm.load_model("asia")
    tub, either = fg.index("tub"), fg.index("either")
    at = app_test("belief_propagation", query={"sample": "asia", "evidence": "tub=yes",
                                               "damping": "0.3"})
    at = click_and_observe(at, "bp", either, 1)
    assert not list(at.exception)
    assert any("probability 0" in e.value for e in at.error)
    assert sorted(at.session_state["bp.evidence"]) == ["either=no", "tub=yes"]
    assert at.slider(key="bp.damping").value == 0.3  # the other settings stay too
    # the same buttons are offered under the message: clear one and the page runs again
    at.button(key=f"bp.observe.{tub}.clear").click().run()
    assert not problems(at)
    assert at.session_state["bp.evidence"] == ["either=no"]
    at.session_state["bp.node"] = fg.index("dysp")
    at.run()
    exact = next(t for t in charts(at)["player.beliefs"]["data"] if t["name"] == "exact")
    want = pgm.brute_force(fg, evidence={either: 1})["marginals"]["dysp"]
    np.testing.assert_allclose(array(exact["y"]), list(want.values()), atol=1e-6)


def test_clique_tree_page_observes_a_variable_of_the_clicked_clique():
    fg = pgm.load_model("asia")
    at = app_test("clique_tree", query={"sample": "asia"})
    at.session_state["ct.node"] = 1
    at.run()
    offered = sorted({int(b.key.split(".")[2]) for b in at.button if ".observe." in (b.key or "")})
    assert offered  # the clicked clique's variables
    var = offered[0]
    at.button(key=f"ct.observe.{var}.0").click().run()
    assert not problems(at)
    name, state = fg.names[var], fg.states[var][0]
    assert at.session_state["ct.evidence"] == [f"{name}={state}"]
    assert evidence_param(at) == f"{name}={state}"
    want = pgm.brute_force(fg, evidence={var: 0})["marginals"]
    rows = next(d.value for d in at.dataframe if "clique tree" in d.value.columns)
    got = {(r["variable"], r["state"]): r["clique tree"] for _, r in rows.iterrows()}
    assert name not in {v for v, _ in got}  # observed: no longer a marginal to read
    for v, dist in want.items():
        for s, p in dist.items():
            assert abs(got[(v, s)] - p) < 1e-6, (v, s)
    # the observed variable stays offered (to clear), though it left every clique
    at.session_state["ct.node"] = 0
    at.run()
    at.button(key=f"ct.observe.{var}.clear").click().run()
    assert at.session_state["ct.evidence"] == []


def test_evidence_options_keep_a_clamp_past_the_cap():
    fg = pgm.load_model("asia")
    opts = clamp.evidence_options(fg, ["dysp=no", "nope=yes", "asia=maybe"], cap=4)
    assert opts == ["asia=yes", "asia=no", "tub=yes", "tub=no", "dysp=no"]
    assert clamp.variables_of(["P(asia)", "xray", "asia"], fg) == [fg.index("xray"), 0]


# ----------------------------------------------------------------- model-appropriate defaults
def _home_path():
    """The Home page's lecture path, read from its source (importing a page would run it)."""
    import ast
    from pathlib import Path

    tree = ast.parse(Path(pgm.__file__).parents[1].joinpath("ui/pages/home.py").read_text())
    node = next(n for n in tree.body if isinstance(n, ast.Assign)
                and any(getattr(t, "id", "") == "PATH" for t in n.targets))
    return ast.literal_eval(node.value)


def test_damping_demo_converges_at_its_defaults_and_the_lecture_link_keeps_them():
    need = pgm.run_bp(pgm.load_model("four_cycle"), damping=0.5, max_iter=10_000,
                      record=False).result
    assert need["converged"]
    links = [q for page, q, *_ in _home_path() if page == "belief_propagation.py"
             and q.get("sample") == "four_cycle"]
    assert links
    for q in links:
        at = app_test("belief_propagation", query={**q, "damping": "0.5"})
        assert not problems(at)
        assert at.number_input(key="bp.max_iter").value >= need["iterations"]
        assert {m.label: m.value for m in at.metric}["Converged"] == "yes"
        assert {m.label: m.value for m in at.metric}["Iterations"] == str(need["iterations"])
