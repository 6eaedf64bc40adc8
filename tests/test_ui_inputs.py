"""Inputs the library takes and the app now offers too (issue 12 part 10).

Oracles: brute-force enumeration (``pgm.brute_force``), ``pgm.run_bp`` called directly, the
UAI ``.evid`` reader and the SBM generator called directly with the same parameters.
"""

import json

import numpy as np
import pytest

pytest.importorskip("streamlit")

from explorer import pgm  # noqa: E402
from explorer.ui.testing import app_test, array  # noqa: E402


def player(at):
    els = [e for e in at.get("bidi_component") if e.proto.component_name == "mpe_player"]
    assert len(els) == 1, f"expected one player, found {len(els)}"
    data = json.loads(els[0].proto.json)
    data["figure"] = json.loads(data.pop("fig"))
    return data


def last_beliefs(at):
    """The first-state belief of every variable, as the last frame of the BP chart colours it."""
    nodes = player(at)["figure"]["frames"][-1]["data"][1]
    return np.array(array(nodes["marker"]["color"]), dtype=float)


def errors(at):
    return [e.value for e in at.error] + [str(e.value) for e in at.exception]


# ----------------------------------------------------------------- 1. log domain
def test_log_domain_shows_the_same_beliefs():
    off = app_test("belief_propagation", query={"sample": "asia"})
    on = app_test("belief_propagation", query={"sample": "asia", "logdomain": "1"})
    assert not errors(off) and not errors(on)
    assert on.checkbox(key="bp.logdomain").value is True
    assert off.checkbox(key="bp.logdomain").value is False
    np.testing.assert_allclose(last_beliefs(on), last_beliefs(off), atol=1e-9)
    assert on.query_params.get("logdomain") in ("1", ["1"])  # kept in the shared link


def test_log_domain_matches_brute_force_on_a_tree():
    # chain_bn is a tree, so BP (in either domain) is exact
    at = app_test("belief_propagation", query={"sample": "chain_bn", "logdomain": "1"})
    want = pgm.brute_force(pgm.load_model("chain_bn"))["beliefs"]
    np.testing.assert_allclose(last_beliefs(at), [b[0] for b in want], atol=1e-6)


def test_log_domain_bad_link_value_falls_back():
    at = app_test("belief_propagation", query={"sample": "asia", "logdomain": "maybe"})
    assert not errors(at)
    assert at.checkbox(key="bp.logdomain").value is False
    assert any("logdomain" in w.value for w in at.warning)


# ----------------------------------------------------------------- 2. sample defaults
def test_four_cycle_damped_converges_at_the_page_defaults():
    fg = pgm.load_model("four_cycle")
    at = app_test("belief_propagation", query={"sample": "four_cycle", "damping": "0.5"})
    assert not errors(at)
    max_iter = int(at.number_input(key="bp.max_iter").value)
    oracle = pgm.run_bp(fg, damping=0.5, tol=1e-9, max_iter=max_iter, record=False).result
    assert oracle["converged"]
    iterations = int(next(m.value for m in at.metric if m.label == "Iterations"))
    assert next(m.value for m in at.metric if m.label == "Converged") == "yes"
    assert iterations == oracle["iterations"]
    assert any(f"after {iterations} of" in c.value for c in at.caption)
    # the page's own default (100) is too few for it: the sample's metadata raised it
    assert not pgm.run_bp(fg, damping=0.5, tol=1e-9, max_iter=100, record=False).result["converged"]


def test_sample_defaults_follow_the_sample_but_a_link_wins():
    at = app_test("belief_propagation", query={"sample": "four_cycle", "max_iter": "50"})
    assert int(at.number_input(key="bp.max_iter").value) == 50
    at = app_test("belief_propagation", query={"sample": "asia"})
    assert int(at.number_input(key="bp.max_iter").value) == 100
    at.selectbox(key="bp.sample").set_value("four_cycle").run()
    assert int(at.number_input(key="bp.max_iter").value) == 400
    at.selectbox(key="bp.sample").set_value("asia").run()
    assert int(at.number_input(key="bp.max_iter").value) == 100
