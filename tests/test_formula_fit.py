"""Formulas that fit the player's narrow panel and print the trace's own numbers.

Unit tests: every line of every formula kind (GCN, SAGE, GAT, GIN, MPNN on karate; BP sum and max
on asia and the chain, variable and factor nodes; variable elimination; the clique tree; WL) is
within the width budget by the estimate of :mod:`explorer.viz.mathfit`, the block is one
``aligned`` environment (no bare ``\\\\`` in display mode), and every number printed is the
recorded value rounded as shown — read back from the LaTeX by tests/latex_numbers.py and
compared with the Trace's arrays directly. The estimate itself is checked against Chromium in
the browser test at the end (real panel, three screen set-ups).
"""

import re
from pathlib import Path

import numpy as np
import pytest

from explorer.viz import node_update_latex
from explorer.viz.mathfit import LECTURE, WIDTH_EM, lines_of, width_em
from latex_numbers import close, shows, vectors

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@pytest.fixture(scope="module")
def karate_runs(torch_one_thread):
    from explorer.io import load_graph
    from explorer.nn.run import run_stack

    g = load_graph("karate")
    return {layer: run_stack(g, layer=layer, layers=2, hidden=4, heads=2, seed=0)
            for layer in ("gcn", "sage", "gat", "gin", "mpnn")}


@pytest.fixture(scope="module")
def bp_runs():
    from explorer.pgm import load_model, run_bp

    return {(name, mode): run_bp(load_model(name), mode=mode, max_iter=3)
            for name in ("asia", "chain_bn", "sachs") for mode in ("sum", "max")}


def _fits(tex: str, width: float = WIDTH_EM) -> None:
    assert tex.startswith((r"\footnotesize\begin{aligned}&", r"\small\begin{aligned}&")) and tex.endswith(r"\end{aligned}\kern0.2em")
    assert tex.count(r"\begin{aligned}") == 1, "one environment: every \\\\ is inside it"
    for line in lines_of(tex):
        assert width_em(line) <= width, (round(width_em(line), 1), line)


def _latest(trace, k, i):
    """Per edge into ``i``, the last message sent on it at or before step ``k`` (first-seen order)."""
    g, out = trace.graph, {}
    for kk in range(k + 1):
        st = trace.steps[kk]
        for j, e in enumerate(st.edges):
            if g.receivers[e] == i:
                out[int(e)] = np.asarray(st.messages[j], dtype=float).reshape(-1)
    return out


@pytest.mark.parametrize("layer", ["gcn", "sage", "gat", "gin", "mpnn"])
def test_neural_formulas_fit_and_print_the_recorded_vectors(karate_runs, layer):
    t = karate_runs[layer]
    g = t.graph
    deg = np.bincount(g.receivers, minlength=g.n_nodes)
    for node in (0, 33, int(np.argmin(deg))):  # two hubs and a leaf
        st = t.steps[1]                           # layer 2: dense messages (layer 1's are one-hot)
        tex = node_update_latex(t, 1, node)
        _fits(tex)
        _fits(node_update_latex(t, 1, node, lecture=True), LECTURE[0])
        vecs = vectors(tex)
        inc = [j for j, e in enumerate(st.edges) if g.receivers[e] == node]
        expect = []
        if layer == "gat":
            att = np.asarray(st.extras["attention"], dtype=float).reshape(len(st.edges), -1)
            expect += [np.asarray(st.extras["self_loop_attention"])[node]] + [att[j] for j in inc]
            expect = expect[:5]
        msgs = ([np.asarray(st.extras["self_loop_messages"])[node]] if "self_loop_messages" in st.extras else [])
        msgs += [np.asarray(st.messages[j]) for j in inc]
        expect += msgs[:5] + [st.aggregates[node], st.states[node]]
        assert len(vecs) == len(expect), (len(vecs), len(expect), tex)
        for shown, want in zip(vecs, expect):
            assert shows(shown, want), (shown, want)
        if layer == "gcn":  # the coefficients c_ji before each Θ x_j
            coef = [float(c) for c in re.findall(r"([-\d.]+)\\,\\Theta x", tex)]
            want = [np.asarray(st.extras["self_loop_weight"]).reshape(-1)[node]]
            want += [np.asarray(st.extras["coefficients"]).reshape(-1)[j] for j in inc]
            assert len(coef) == min(len(want), 5)
            assert all(close(repr(c), w) or close(f"{c:g}", w) for c, w in zip(coef, want))


def test_first_layer_one_hot_messages_say_where_their_one_is(karate_runs):
    t = karate_runs["gin"]
    g, st = t.graph, t.steps[0]
    tex = node_update_latex(t, 0, 0)
    _fits(tex)
    inc = [j for j, e in enumerate(st.edges) if g.receivers[e] == 0]
    shown = re.findall(r"\\mathbf\{0\}_\{(\d+)\}\\text\{ except \}\[(\d+)\]\{=\}1", tex)
    assert len(shown) == 5
    for (n, where), j in zip(shown, inc):
        m = np.asarray(st.messages[j])
        assert int(n) == m.size and np.flatnonzero(m).tolist() == [int(where)] and m[int(where)] == 1


@pytest.mark.parametrize("model,mode", [("asia", "sum"), ("asia", "max"), ("chain_bn", "sum"), ("chain_bn", "max"),
                                        ("sachs", "sum")])
def test_bp_formulas_fit_and_print_messages_product_and_belief(bp_runs, model, mode):
    t = bp_runs[(model, mode)]
    g = t.graph
    for k in range(len(t.steps)):
        for i in range(g.n_nodes):
            tex = node_update_latex(t, k, i)
            _fits(tex)
            _fits(node_update_latex(t, k, i, lecture=True), LECTURE[0])
            vecs = vectors(tex)
            latest = _latest(t, k, i)
            if g.roles[i] == "factor":
                st = t.steps[k]
                sent = [np.asarray(st.messages[j]) for j, e in enumerate(st.edges) if g.senders[e] == i]
                expect = list(latest.values()) + sent[:5]
            else:
                states = next(s.states for s in t.steps[k::-1] if s.states is not None)
                ms = list(latest.values())
                expect = ms[:5] + [np.prod(ms, axis=0), states[i]]
            assert len(vecs) == len(expect), tex
            for shown, want in zip(vecs, expect):
                assert shows(shown, want), (k, i, shown, want)


def test_ve_clique_and_wl_formulas_fit_and_print_the_tables():
    from explorer.nn.wl import wl_refine
    from explorer.pgm import load_model, variable_elimination
    from explorer.pgm import calibrate

    for name in ("asia", "chain_bn"):
        t = variable_elimination(load_model(name))
        for k, st in enumerate(t.steps):
            tex = node_update_latex(t, k, 0)
            _fits(tex)
            assert r"\text{tau" not in tex and not re.search(r"(?<!\\)tau_", tex)  # τ as math
            table = st.extras["new_factor"]["table"]
            assert shows(vectors(tex)[-1], table), tex
    t = calibrate(load_model("asia"), record=True)
    for k, st in enumerate(t.steps):
        e = int(st.edges[0])
        tex = node_update_latex(t, k, int(t.graph.receivers[e]))
        _fits(tex)
        assert any(shows(v, np.asarray(st.extras["table"]).reshape(-1)) for v in vectors(tex))
    from explorer.io import load_graph

    w = wl_refine(load_graph("karate"))
    tex = node_update_latex(w, 0, 33)                         # 17 neighbours: the multiset is cut
    _fits(tex)
    assert r"\dots" in tex and "HASH" in tex


# --------------------------------------------------------------------------- in the browser
#: pages whose formulas are the widest of their kind (hubs, the longest factor names, max mode;
#: SAGE and MPNN write the same lines as GIN and GCN, and every kind is checked by estimate above)
PAGES = ["neural?sample=karate&layer=gcn&node=33", "belief_propagation?sample=sachs&mode=max&node=14&step=1",
         "neural?sample=karate&layer=gat&heads=2&node=0", "belief_propagation?sample=asia&node=13&step=2",
         "neural?sample=karate&layer=gin&node=0", "variable_elimination?n=8&k=3&step=3"]
#: (viewport, lecture mode, pages): every page at the projector's size, a few at the others
SETUPS = {"720p": ((1280, 720), False, PAGES), "1080p": ((1920, 1080), False, PAGES[:2]),
          "lecture_720p": ((1280, 720), True, PAGES[:3])}
MEASURE = """() => [...document.querySelectorAll("[data-testid='stColumn'] .katex-display")].map(e => {
    const panel = e.closest("[data-testid='stColumn']") || e.parentElement;
    return {sw: e.scrollWidth, cw: e.clientWidth, right: e.getBoundingClientRect().right,
            edge: panel.getBoundingClientRect().right, text: e.innerText.slice(0, 40)}; })"""


@pytest.mark.browser
@pytest.mark.parametrize("setup", list(SETUPS))
def test_no_formula_line_is_wider_than_the_panel(browser, app_url, setup):
    (w, h), lecture, pages = SETUPS[setup]
    ctx = browser.new_context(viewport={"width": w, "height": h})
    page = ctx.new_page()
    warnings = []
    page.on("console", lambda m: warnings.append(m.text) if "KaTeX" in m.text or "newLine" in m.text else None)
    try:
        for path in pages:
            page.goto(f"{app_url}/{path}" + ("&lecture=1" if lecture else ""))
            page.wait_for_selector(".mpe[data-ready]", state="attached", timeout=90_000)
            page.wait_for_selector("[data-testid='stColumn'] .katex-display", timeout=60_000)
            page.wait_for_timeout(300)
            shown = page.evaluate(MEASURE)
            assert shown, f"no formula on {path}"
            for f in shown:  # the formula neither scrolls nor runs past its column
                assert f["sw"] <= f["cw"] and f["right"] <= f["edge"] + 1, (setup, path, f)
        page.screenshot(path=ARTIFACTS / f"formula_{setup}.png")
    finally:
        ctx.close()
    assert not warnings, warnings


@pytest.mark.parametrize("n", range(2, 21))
def test_the_chain_sum_above_the_elimination_page_wraps_and_keeps_every_term(n):
    """The naive sum P(X_n) = Σ…Σ P(X_1) Π P(X_t+1 | X_t): every line within the page's width
    (it scrolled at n = 8 before), and, read back, exactly the sums X_{n-1}..X_1 in that order
    and the factors P(X_1), P(X_2|X_1), …, P(X_n|X_{n-1})."""
    import re

    from explorer.viz.mathfit import PAGE_WIDTH_EM, chain_sum_latex, lines_of, width_em

    tex = chain_sum_latex(n)
    assert all(width_em(line) <= PAGE_WIDTH_EM for line in lines_of(tex))
    sums = [int(t) for t in re.findall(r"\\sum_\{X_\{(\d+)\}\}", tex)]
    assert sums == list(range(n - 1, 0, -1))
    pairs = [(int(a), int(b)) for a, b in re.findall(r"P\(X_\{(\d+)\}\\mid X_\{(\d+)\}\)", tex)]
    assert pairs == [(t + 1, t) for t in range(1, n)]
    assert tex.count("P(X_1)") == 1 and f"P(X_{{{n}}}) =" in tex
