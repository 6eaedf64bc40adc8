"""Inputs the library takes and the app now offers too (issue 12 part 10).

Oracles: brute-force enumeration (``pgm.brute_force``), ``pgm.run_bp`` called directly, the
UAI ``.evid`` reader called directly. The SBM generator's page tests are in tests/test_ui_sbm.py.
"""


import numpy as np
import pytest

pytest.importorskip("streamlit")

from explorer import pgm  # noqa: E402
from explorer.ui.testing import app_test, array, player_data as player  # noqa: E402


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


# ----------------------------------------------------------------- 3. .evid uploads
def _upload_model_and_evidence(evid_name, evid_data):
    from explorer.io.samples import sample_path

    at = app_test("upload")
    at.file_uploader(key="upload.file").upload("tree_mrf.uai",
                                               sample_path("tree_mrf").read_bytes()).run()
    return at.file_uploader(key="upload.evid").upload(evid_name, evid_data).run()


def test_uploaded_evidence_opens_with_the_model_in_bp():
    at = _upload_model_and_evidence("obs.evid", b"2\n 1 0 5 1\n")  # UAI 2008: x1=0, x5=1
    assert not errors(at)
    fg = pgm.load_model("tree_mrf")
    want = pgm.brute_force(fg, evidence={1: 0, 5: 1})
    at.switch_page("explorer/ui/pages/belief_propagation.py").run()
    assert not errors(at)
    assert at.selectbox(key="bp.sample").value == "upload"
    names = {f"{fg.names[1]}={fg.states[1][0]}", f"{fg.names[5]}={fg.states[5][1]}"}
    assert set(at.multiselect(key="bp.evidence").value) == names
    # tree_mrf is a tree: BP with the evidence is exact, so it equals brute force
    np.testing.assert_allclose(last_beliefs(at), [b[0] for b in want["beliefs"]], atol=1e-6)
    free = [i for i in range(fg.n_vars) if i not in (1, 5)]
    assert not np.allclose(want["beliefs"][free[0]],
                           pgm.brute_force(fg)["beliefs"][free[0]])  # the evidence matters


@pytest.mark.parametrize("data, message", [
    (b"2 0 1 3", "do not fit"),          # the counts do not match the entries
    (b"1 0 x", "expected an integer"),
    (b"1 99 0", "outside"),              # a variable the model does not have
])
def test_bad_evidence_file_gives_the_readers_message(data, message):
    at = _upload_model_and_evidence("bad.evid", data)
    assert not list(at.exception)
    shown = " ".join(e.value for e in at.error)
    assert message in shown and "bad.evid" in shown
    assert "/tmp" not in shown  # the uploaded file is named, not the reader's temporary copy
    assert any("variables" in s.value for s in at.success)  # the model itself stays uploaded
