"""Variable elimination, complete: analytic costs, the backward pass, the tree, and the page.

Oracles: the enumeration that counts the naive sum's operations one by one (``_naive``), the
operations variable elimination counts while it runs, the full joint table enumerated here
(conditional probabilities P(Xn = s | Xt) and marginals), hand-computed backward messages of the
essay's chain, and brute force on the tree-shaped network.
"""


import numpy as np
import pytest

from explorer import pgm
from explorer.errors import ModelError, TooLargeError
from explorer.pgm import brute_force, chain_demo, chain_model
from explorer.pgm.chain import _naive, cost_series, elimination_cost, naive_cost, tree_model
from explorer.trace import Trace, validate_trace


def _joint(fg):
    joint = np.ones(fg.cards)
    for f in fg.factors:
        shape = [fg.cards[v] if v in f.scope else 1 for v in range(fg.n_vars)]
        joint = joint * np.transpose(f.table, np.argsort(f.scope)).reshape(shape)
    return joint


@pytest.mark.parametrize("n,k", [(n, k) for n in range(2, 8) for k in (2, 3, 4) if k ** n <= 5000])
def test_analytic_naive_count_equals_the_enumerations(n, k):
    fg = chain_model(n, k)
    counted = _naive(fg, n - 1)
    assert naive_cost(n, k) == {key: counted[key] for key in ("terms", "multiplications", "additions")}
    ve = pgm.variable_elimination(fg, order=list(range(n - 1)), query=n - 1)
    want = elimination_cost(n, k)
    assert (want["multiplications"], want["additions"]) == (ve.result["ops"]["multiplications"],
                                                            ve.result["ops"]["additions"])
    assert want["messages"] == len(ve.steps) and want["n_k2"] == n * k * k


def test_the_largest_slider_setting_is_counted_without_enumerating():
    d = chain_demo(12, 4)
    assert d["naive"] == {"terms": 4 ** 12, "multiplications": 11 * 4 ** 12, "additions": 4 ** 12 - 4}
    assert not d["naive_checked"] and d["naive_p_last"] is None
    assert d["elimination"]["multiplications"] + d["elimination"]["additions"] == 11 * (2 * 16 - 4)
    assert chain_demo(4, 3)["naive_checked"]
    assert naive_cost(40, 10)["terms"] == 10 ** 40                  # exact integers, no overflow
    with pytest.raises(TooLargeError, match=r"n <= 40 .* \(got n=41, k=2\)"):
        chain_demo(41, 2)


def test_cost_series_is_k_to_the_n_against_n_k_squared():
    s = cost_series(3, 12)
    assert s["n"] == list(range(2, 13))
    assert s["naive_terms"] == [3 ** n for n in s["n"]]
    for n, naive, elim, nk2 in zip(s["n"], s["naive_ops"], s["elimination_ops"], s["n_k2"]):
        assert naive == (n - 1) * 3 ** n + 3 ** n - 3 and elim == (n - 1) * 15 and nk2 == 9 * n
    with pytest.raises(ModelError, match="k >= 2"):
        cost_series(1, 5)
    from explorer.viz.ve_charts import NAMES, cost_series_figure

    fig = cost_series_figure(s, current=7)
    assert fig.layout.yaxis.type == "log"
    for d in fig.data:
        assert list(d.y) == [float(v) for v in s[NAMES[d.name]]]


@pytest.mark.parametrize("n,k,observe", [(5, 2, 1), (4, 3, 0), (6, 2, None), (3, 4, 3)])
def test_backward_messages_and_marginals_equal_brute_force(n, k, observe):
    d = chain_demo(n, k, observe=observe)
    trace = validate_trace(d["trace"])
    fg = d["model"]
    joint = _joint(fg)
    assert len(trace.steps) == 2 * (n - 1)
    back = trace.steps[n - 1:]
    for step, t in zip(back, range(n - 2, -1, -1)):                 # X_{t+2} -> X_{t+1}
        g = trace.graph
        e = int(step.edges[0])
        assert (int(g.senders[e]), int(g.receivers[e])) == (t + 1, t)
        # beta into X_t is P(evidence downstream | X_t): sum over the rest with X_t fixed
        keep = tuple(a for a in range(n) if a != t)
        p_t = joint.sum(axis=keep)
        sel = joint if observe is None else np.take(joint, [observe], axis=n - 1)
        want = sel.sum(axis=keep) / p_t
        np.testing.assert_allclose(step.messages[0], want, atol=1e-12)
        bf = brute_force(fg, evidence={n - 1: observe} if observe is not None else None)
        np.testing.assert_allclose(list(step.extras["marginal"].values()),
                                   list(bf["marginals"][fg.names[t]].values()), atol=1e-12)
    back_json = Trace.from_json(trace.to_json())
    assert [s.label for s in back_json.steps] == [s.label for s in trace.steps]


def test_hand_computed_backward_messages_of_the_essays_chain():
    trace = chain_demo(5, 2, observe=1)["trace"]
    betas = [list(np.round(s.messages[0], 12)) for s in trace.steps[4:]]
    # beta_X5(X4) = P(X5=1 | X4) = (0.3, 0.8); beta_X4(X3) = (0.7*0.3 + 0.3*0.8, 0.2*0.3 + 0.8*0.8)
    assert betas[:2] == [[0.3, 0.8], [0.45, 0.7]]
    assert trace.steps[4].extras["factors_combined"] == ["P(X5|X4)", "[X5=1]"]
    assert trace.params["observed"] == {"X5": "1"}


def test_tree_network_two_passes_give_every_marginal():
    fg = tree_model()
    bf = brute_force(fg)
    assert [round(bf["marginals"][v]["0"], 10) for v in ("X2", "X4")] == [0.5, 0.45]   # by hand
    for ev in ({}, {4: 1}, {3: 0}):
        t = pgm.calibrate(fg, evidence=ev, record=True)
        n_cliques = t.graph.n_nodes
        assert len(t.steps) == 2 * (n_cliques - 1)
        want = brute_force(fg, evidence=ev)["marginals"]
        for v, m in t.result["marginals"].items():
            np.testing.assert_allclose(list(m.values()), list(want[v].values()), atol=1e-12)


def test_ve_page_offers_only_settings_the_engine_accepts_and_shows_its_numbers():
    pytest.importorskip("streamlit")
    from explorer.ui.testing import app_test, array, charts
    from explorer.ui.ve_panels import message_rows

    at = app_test("variable_elimination", query={"n": "12", "k": "4"})
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.slider(key="ve.n").max >= 12 and at.slider(key="ve.k").max >= 4
    metric = {m.label: m.value for m in at.metric}
    assert metric["Naive terms kⁿ"] == f"{4 ** 12:,}"
    fig = charts(at)["ve.cost_series"]
    naive = next(d for d in fig["data"] if d["name"].startswith("naive"))
    assert array(naive["y"])[-1] == float(naive_cost(12, 4)["multiplications"] + naive_cost(12, 4)["additions"])
    at.selectbox(key="ve.observe").set_value(2).run()
    assert not at.exception
    shown = next(d.value for d in at.table if "marginal completed" in d.value.columns)
    d = chain_demo(12, 4, observe=2)
    want = message_rows(d["trace"], d["model"])
    assert len(shown) == 22 and list(shown["message"]) == [r["message"] for r in want]
    np.testing.assert_allclose(shown["= 0"], [r["= 0"] for r in want])
    # the marginal of X1 after the last backward message is the brute-force conditional one
    bf = brute_force(chain_model(4, 2), evidence={3: 1})        # a size brute force can take
    d4 = chain_demo(4, 2, observe=1)
    assert d4["trace"].steps[-1].extras["marginal"] == pytest.approx(bf["marginals"]["X1"])
