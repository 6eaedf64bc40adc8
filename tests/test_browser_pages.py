"""The Readout, Graph-network block and Aggregators pages in a real browser (Playwright + Chromium).

Each test reads the numbers the page shows (markdown text, the data grid's accessible table,
the TeX source of the formulas) and compares them with the library's, recomputed here by hand
where that is possible: the readout summed over the node states, the relabelled concatenation
from the node states permuted (GIN is permutation-equivariant), a neighbour mean from the
features, the GN sub-steps from ``gn_layers``. Screenshots at 1280x720 and 1920x1080 go to
tests/artifacts/. The server is the session's one (``app_url`` in conftest.py).
"""

import re
from pathlib import Path

import numpy as np
import pytest


pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
#: one match per drawn chart (Plotly draws two .main-svg layers per chart): a st.plotly_chart or
#: the figure component (explorer/ui/components)
CHART = ("[data-testid='stPlotlyChart'] .js-plotly-plot .svg-container > svg.main-svg:first-of-type, "
         ".mpe-figure .js-plotly-plot .svg-container > svg.main-svg:first-of-type")
PANEL_STEP = """() => { const p = [...document.querySelectorAll("[data-testid='stMarkdownContainer'] p")]
                        .find(p => /^Step \\d+ of \\d+/.test(p.innerText));
                        return p ? Number(p.innerText.match(/^Step (\\d+)/)[1]) : null; }"""
CHART_STEP = "() => { const m = document.querySelector('.mpe'); return m ? Number(m.dataset.step) : null; }"
NUMBER = r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?"


@pytest.fixture(scope="module")
def page(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        yield ctx.new_page()
    finally:
        ctx.close()


def _open(page, url, n_charts=1):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(url)
    expect(page.locator(CHART).nth(n_charts - 1)).to_be_visible(timeout=90_000)
    page.wait_for_load_state("networkidle")


def _shots(page, name):
    """Full-page screenshots at 1280x720 and 1920x1080; no exception or error box at either."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.mouse.move(1, 1)  # no button tooltip over the page
    for w, h in ((1280, 720), (1920, 1080)):
        page.set_viewport_size({"width": w, "height": h})
        page.wait_for_timeout(700)  # Plotly and the grids re-lay themselves out
        assert page.locator("[data-testid='stException']").count() == 0
        assert page.locator("[data-testid='stAlertContentError']").count() == 0
        page.screenshot(path=ARTIFACTS / f"browser_{name}_{h}p.png", full_page=True)


def _vec(text):
    """The numbers of a vector written as ``[a, b, …]`` or ``(a, b, …)`` (… dropped)."""
    return np.array([float(v) for v in re.findall(NUMBER, text.replace("−", "-"))])


def _close(shown, ref, digits=3):
    """``shown`` is ``ref`` written with ``digits`` significant digits (entry by entry)."""
    ref = np.asarray(ref, float).reshape(-1)[: len(shown)]
    return len(shown) == len(ref) and bool(np.all(np.abs(shown - ref) <= 0.6 * 10.0 ** (1 - digits) * np.abs(ref) + 1e-9))


def _grid(page, nth, n_rows, changed_from=None, timeout_s=30.0, testid="stDataFrame"):
    """The first ``n_rows`` rows of the nth data grid on the page (``testid="stTable"``: of the
    nth plain HTML table), read from its accessible table, once it has drawn them (and, with
    ``changed_from``, once they differ from those rows): the grid redraws a moment after the
    rest of the rerun, so this polls."""
    import time

    table = page.locator(f"[data-testid='{testid}']").nth(nth).locator("table")
    end = time.monotonic() + timeout_s
    while True:
        rows = [r.locator("td").all_inner_texts() for r in table.locator("tbody tr").all()][:n_rows]
        full = len(rows) == n_rows and all(rows)
        if (full and (changed_from is None or rows != changed_from)) or time.monotonic() > end:
            return rows
        page.wait_for_timeout(200)


def test_readout_page_numbers_and_relabelling(page, app_url):
    from explorer.nn import run_stack
    from explorer.nn.readout import load_dataset

    _open(page, f"{app_url}/readout", n_charts=2)
    graphs, _ = load_dataset("molecules", 0)
    g = next(g for g in graphs if g.name == "aspirin")  # the page's first molecule
    states = run_stack(g, layer="gin", layers=2, hidden=8, seed=0, features="x").result["output"]
    shown = page.locator("[data-testid='stMarkdownContainer'] p", has_text="sum readout").first.inner_text()
    assert f"of {g.n_nodes} node states" in shown
    assert _close(_vec(shown.split(":", 1)[1]), states.sum(0), digits=4), (shown, states.sum(0))
    before = _grid(page, 0, 2)
    page.get_by_role("button", name="Relabel nodes").click()
    page.wait_for_url("**relabel=1**", timeout=30_000)
    page.get_by_text("perm = ").first.wait_for(timeout=30_000)
    page.wait_for_function("() => !document.body.innerText.includes('(the identity: press the button)')",
                           timeout=30_000)
    perm = np.random.default_rng(1).permutation(g.n_nodes)
    caption = page.get_by_text("perm = ").first.inner_text()
    assert _vec(caption.split("perm =", 1)[1])[:16].astype(int).tolist() == perm[:16].tolist()
    rows = {r[0]: r for r in _grid(page, 0, 2, changed_from=before)}
    pooled, concat = rows["sum readout"], rows["concatenation (node order)"]
    assert float(pooled[1]) < 1e-5 and pooled[2] == pooled[3]          # unchanged by relabelling
    # the relabelled run's node k is node perm[k]: its concatenation is the states permuted
    change = np.abs(states[perm].reshape(-1) - states.reshape(-1)).max()
    assert _close(np.array([float(concat[1])]), [change]), (concat[1], change)
    assert change > 1e-3 and float(concat[1]) > 1e-3                 # ...and order-dependent
    _shots(page, "readout")


def _tex(page, symbol):
    """The TeX source of the player panel's formula (KaTeX keeps it in an annotation), once it
    names ``symbol`` (the panel's elements are replaced a moment after its step line)."""
    js = "s => { const a = document.querySelector('.katex-mathml annotation');" \
         " return a && a.textContent.includes(s); }"
    page.wait_for_function(js, arg=symbol, timeout=30_000)
    return page.locator(".katex-mathml annotation").first.text_content()


def _settled(page):
    page.wait_for_function(f"() => {{ const a = ({PANEL_STEP})(), b = ({CHART_STEP})(); "
                           "return a !== null && b !== null && a === b + 1; }", timeout=30_000)


def _in_tex(tex, ref):
    return any(_close(_vec(b), ref) for b in re.findall(r"\\left\((.*?)\\right\)", tex))


def test_gn_block_page_steps_through_the_substeps(page, app_url):
    from explorer.io import load_graph
    from explorer.nn.gn_steps import gn_layers

    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{app_url}/gn_block")
    expect(page.locator(".mpe[data-ready]").first).to_be_attached(timeout=90_000)
    _settled(page)
    g = load_graph("caffeine")
    d = gn_layers(g, layers=2, hidden=4, seed=0)
    out = [{s["key"]: s["output"] for s in blk} for blk in d["layers"]]
    edge = int(np.flatnonzero(g.receivers == 0)[0])
    tex = _tex(page, r"\phi^{e}")
    assert _in_tex(tex, out[0]["phi_e"][edge]) and _in_tex(tex, g.edge_attr[edge])
    n_edges = page.locator(".mpe-plot").evaluate(
        "gd => gd._fullData.find(t => t.name === 'messages')._length")
    assert n_edges == g.n_edges  # every edge carries its new vector
    page.locator(".mpe-next").click()
    _settled(page)
    tex = _tex(page, r"\rho^{e\rightarrow v}")
    assert _in_tex(tex, out[0]["rho_ev"][0])
    page.locator(".mpe-plot").click()  # focus the chart, then End: the last sub-step
    page.keyboard.press("End")
    page.wait_for_function(f"() => ({CHART_STEP})() === 11")
    _settled(page)
    tex = _tex(page, r"\phi^{u}")
    assert _in_tex(tex, out[1]["phi_u"][0]) and _in_tex(tex, out[1]["rho_vu"][0])
    glob = page.locator("[data-testid='stMarkdownContainer'] p", has_text="The global vector").first
    u_row = glob.inner_text().splitlines()[-1]   # "u′ = φᵘ(ē′, v̄′, u): (…)"
    assert u_row.startswith("u′")
    u_row = u_row.split(":", 1)[1]
    assert _close(_vec(u_row), out[1]["phi_u"][0])
    _shots(page, "gn_block")


def test_aggregators_page_shuffle_leaves_the_mean(page, app_url):
    from explorer.io import load_graph
    from explorer.nn.features import default_features

    _open(page, f"{app_url}/aggregators")
    g = load_graph("karate")
    x, _ = default_features(g, "random", 0)
    into = g.senders[g.receivers == 0]
    first = _grid(page, 0, 8, testid="stTable")
    listed = [r[1] for r in first]
    # the first rows of the table: node 0's neighbours, each once
    nbrs = sorted(g.display_labels[s] for s in into)
    told = page.locator("[data-testid='stMarkdownContainer'] p", has_text="receives").first.inner_text()
    assert f"receives {len(into)} messages" in told
    assert len(set(listed)) == len(listed) >= min(8, len(into)) and set(listed) <= set(nbrs)
    page.get_by_role("button", name="Shuffle the neighbours").click()
    page.wait_for_url("**shuffle=2**", timeout=30_000)
    page.wait_for_function("() => document.querySelectorAll(\"[data-testid='stTable'] table\").length >= 2")
    shuffled = [r[3] for r in _grid(page, 0, 8, changed_from=first, testid="stTable")]
    assert len(set(shuffled)) == len(shuffled) and set(shuffled) <= set(nbrs)  # same set, new order
    rows = {r[0]: r for r in _grid(page, 1, 3, testid="stTable")}
    mean = rows["mean of the messages"]
    assert float(mean[1]) < 1e-5 and mean[2] == mean[3]
    assert _close(_vec(mean[2]), x[into].mean(0)), (mean[2], x[into].mean(0)[:4])
    concat = rows["messages laid end to end (order-dependent)"]
    if shuffled != listed:
        assert float(concat[1]) > 1e-3 and concat[2] != concat[3]
    _shots(page, "aggregators")
