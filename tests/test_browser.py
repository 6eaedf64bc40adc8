"""The app in a real browser: Playwright driving Debian's Chromium (see BROWSER.md).

One server for the whole test session (``app_url`` in conftest.py: a free port, health-checked,
always stopped). Tests save
screenshots under tests/artifacts/ — look at them: a test that passes on a blank page is a bug.
Skipped, with the reason, when no Chromium is installed (``make browser`` / ``.ci/run`` install
Debian's package).

The player (explorer/ui/components/player.js) marks its state in the DOM: ``.mpe`` carries
``data-step`` (the step the chart shows) and ``data-ready`` (the figure id once drawn); the
panel's "Step k of N" line is the step Python explained. The tests compare the two.
"""

from pathlib import Path

import numpy as np
import pytest

from explorer.io.samples import load_graph
from explorer.ui.testing import chromium

pytestmark = pytest.mark.browser

CHROMIUM = chromium()
if CHROMIUM is None:
    pytest.skip("no Chromium found at /usr/bin/chromium (install Debian's `chromium` package, "
                "e.g. `make browser`, or set $CHROMIUM)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
#: a drawn Plotly chart: Streamlit's own (st.plotly_chart) or the figure component's
#: (one match per chart: Plotly draws two .main-svg layers, so ``.main-svg`` alone would let
#: ``nth(1)`` find the first chart's hover layer before the second chart exists)
CHART = ("[data-testid='stPlotlyChart'] .js-plotly-plot .svg-container > svg.main-svg:first-of-type, "
         ".mpe-figure .js-plotly-plot .svg-container > svg.main-svg:first-of-type")
#: the pages whose charts are all drawn by the figure component: Streamlit's Plotly chunk (and
#: its stPlotlyChart element) must never appear there (it ran before the player could paint)
NO_STREAMLIT_PLOTLY = {"graphs", "variable_elimination", "belief_propagation", "matrix", "oversmoothing",
                       "readout", "aggregators"}
PLAYER = ".mpe[data-ready]"
SIZES = {"720p": (1280, 720), "1080p": (1920, 1080)}
#: panel step: the number in "Step k of N" (1-based) of the detail panel
PANEL_STEP = """() => { const p = [...document.querySelectorAll("[data-testid='stMarkdownContainer'] p")]
                        .find(p => /^Step \\d+ of \\d+/.test(p.innerText));
                        return p ? Number(p.innerText.match(/^Step (\\d+)/)[1]) : null; }"""
CHART_STEP = "() => { const m = document.querySelector('.mpe'); return m ? Number(m.dataset.step) : null; }"


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    p = ctx.new_page()
    try:
        yield p
    finally:
        ctx.close()


def _open(page, url):
    page.goto(url)
    expect(page.locator(CHART).first).to_be_visible(timeout=60_000)
    page.wait_for_load_state("networkidle")


def _open_player(page, url):
    page.goto(url)
    expect(page.locator(PLAYER).first).to_be_attached(timeout=90_000)
    _settled(page)


def _settled(page, timeout=30_000):
    """Wait until the panel explains the step the chart shows."""
    page.wait_for_function(f"() => {{ const a = ({PANEL_STEP})(), b = ({CHART_STEP})(); "
                           "return a !== null && b !== null && a === b + 1; }", timeout=timeout)


def _wait_nodes(page, n, timeout=30_000):
    """Wait until the first chart draws ``n`` nodes (the chart element is replaced on reruns,
    so look it up afresh on every poll)."""
    page.wait_for_function(
        """n => { const gd = document.querySelector(".js-plotly-plot");
                  const t = gd && gd._fullData && gd._fullData.find(t => t.name === 'nodes');
                  return t && t._length === n; }""", arg=n, timeout=timeout)


def _no_exception(page):
    assert page.locator("[data-testid='stException']").count() == 0


def test_graphs_page_draws_the_sample(page, app_url):
    _open(page, f"{app_url}/graphs?sample=karate")
    expect(page.get_by_text("Thirty-four members").first).to_be_visible()
    chart = page.locator(".mpe-figure").first  # the page's graph, drawn by the figure component
    n = chart.locator(".js-plotly-plot").evaluate(
        "gd => gd._fullData.find(t => t.name === 'nodes')._length")
    assert n == 34
    assert chart.locator("g.trace.scatter path.point").count() >= 34
    _no_exception(page)
    page.screenshot(path=ARTIFACTS / "graphs_karate.png", full_page=True)


def test_upload_good_then_bad(page, app_url, tmp_path):
    _open(page, f"{app_url}/graphs")
    good = tmp_path / "square.edgelist"
    good.write_text("a b\nb c\nc d\nd a\n")
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(good))
    _wait_nodes(page, 4)
    page.screenshot(path=ARTIFACTS / "upload_good.png", full_page=True)
    bad = tmp_path / "notes.docx"
    bad.write_bytes(b"PK\x03\x04 not a graph")
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(bad))
    alert = page.locator("[data-testid='stAlertContentError']")
    expect(alert.first).to_contain_text("expected a file ending in one of", timeout=20_000)
    _no_exception(page)
    page.screenshot(path=ARTIFACTS / "upload_bad.png", full_page=True)


PAGES = {  # url path -> (query, plotly charts at least, has a player)
    "": ("", 0, True),
    "graphs": ("?sample=karate", 1, False),
    "variable_elimination": ("", 1, True),
    "belief_propagation": ("?sample=asia", 1, True),
    "clique_tree": ("?sample=asia", 0, True),
    "neural": ("?layer=gat", 0, True),
    "gn_block": ("", 1, True),
    "aggregators": ("", 1, False),
    "matrix": ("", 1, False),
    "readout": ("", 2, False),
    "expressiveness": ("", 0, True),
    "oversmoothing": ("?depth=6", 1, True),
    "upload": ("", 0, False),
}


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_renders_without_an_exception_box(page, app_url, path, size):
    query, n_charts, has_player = PAGES[path]
    page.set_viewport_size(dict(zip(("width", "height"), SIZES[size])))
    page.goto(f"{app_url}/{path}{query}")
    expect(page.locator("h1").first).to_be_visible(timeout=60_000)
    if n_charts:
        expect(page.locator(CHART).nth(n_charts - 1)).to_be_visible(timeout=90_000)
    if has_player:
        expect(page.locator(PLAYER).first).to_be_attached(timeout=90_000)
    page.wait_for_load_state("networkidle")
    charts = page.locator("[data-testid='stPlotlyChart'], .mpe-figure .js-plotly-plot")
    assert charts.count() >= n_charts
    if path in NO_STREAMLIT_PLOTLY:
        assert page.locator("[data-testid='stPlotlyChart']").count() == 0
    _no_exception(page)
    assert page.locator("[data-testid='stAlertContentError']").count() == 0
    page.wait_for_timeout(500)
    page.screenshot(path=ARTIFACTS / f"page_{path or 'home'}_{size}.png")


def test_play_ends_with_the_panel_on_the_charts_step(page, app_url):
    _open_player(page, f"{app_url}/neural?sample=karate&layers=4&speed=fast")
    assert page.evaluate(CHART_STEP) == 0 and page.evaluate(PANEL_STEP) == 1
    page.locator(".mpe-play").click()
    # the player stops by itself on the last frame (4 layers: step index 3)
    page.wait_for_function("() => { const m = document.querySelector('.mpe');"
                           " return m && m.dataset.step === '3' && "
                           "!document.querySelector('.mpe-play').innerText.includes('Pause'); }",
                           timeout=30_000)
    _settled(page)
    assert page.evaluate(PANEL_STEP) == 4
    gd_step = page.locator(".mpe-plot").evaluate("gd => gd._transitionData._frames.length")
    assert gd_step == 4
    page.wait_for_url("**step=3**", timeout=20_000)
    page.screenshot(path=ARTIFACTS / "play_last_frame.png")


def test_keys_step_and_the_panel_follows(page, app_url):
    _open_player(page, f"{app_url}/belief_propagation?sample=chain_bn")
    page.locator("h1").first.click()  # focus the page, not a widget
    page.keyboard.press("ArrowRight")
    _settled(page)
    assert page.evaluate(CHART_STEP) == 1
    page.keyboard.press("End")
    _settled(page)
    last = page.locator(".mpe-plot").evaluate("gd => gd._transitionData._frames.length") - 1
    assert page.evaluate(CHART_STEP) == last
    page.keyboard.press("Home")
    _settled(page)
    assert page.evaluate(CHART_STEP) == 0
    page.keyboard.press("n")  # next node: selected in the browser, the panel reruns
    page.wait_for_url("**node=1**", timeout=30_000)
    assert page.locator(".mpe").get_attribute("data-node") == "1"
    page.keyboard.press("p")
    page.wait_for_function("() => document.querySelector('.mpe').dataset.node === '0'")
    _no_exception(page)


def _random_edgelist(path, n=1000, seed=0):
    rng = np.random.default_rng(seed)
    pairs = {tuple(sorted(map(int, rng.choice(n, 2, replace=False)))) for _ in range(3 * n)}
    pairs |= {(i, i + 1) for i in range(n - 1)}  # every node present
    path.write_text("".join(f"{u} {v}\n" for u, v in sorted(pairs)))
    return path


def test_next_moves_the_chart_on_a_1000_node_graph(page, app_url, tmp_path):
    _open_player(page, f"{app_url}/neural?layers=3")
    f = _random_edgelist(tmp_path / "random1000.edgelist")
    page.locator("[data-testid='stFileUploaderDropzoneInput']").first.set_input_files(str(f))
    page.wait_for_function("""() => { const gd = document.querySelector('.mpe-plot');
        const t = gd && gd._fullData && gd._fullData.find(t => t.name === 'nodes');
        return t && t._length === 1000 && document.querySelector('.mpe').dataset.step === '0'; }""",
                           timeout=90_000)
    _settled(page, timeout=60_000)
    colors = """() => { const gd = document.querySelector('.mpe-plot');
        const t = gd._fullData.find(t => t.name === 'nodes'); return Array.from(t.marker.color); }"""
    before = page.evaluate(colors)
    page.locator(".mpe-next").click()
    page.wait_for_function("() => document.querySelector('.mpe').dataset.step === '1'")
    page.wait_for_function(f"b => JSON.stringify(({colors})()) !== JSON.stringify(b)", arg=before,
                           timeout=10_000)
    after = page.evaluate(colors)
    assert len(after) == 1000 and after != before
    _settled(page, timeout=60_000)
    assert page.evaluate(PANEL_STEP) == 2
    page.screenshot(path=ARTIFACTS / "next_1000_nodes.png")


@pytest.mark.parametrize("path", ["belief_propagation?sample=asia", "neural?sample=karate"])
def test_the_graph_takes_most_of_the_width(page, app_url, path):
    _open_player(page, f"{app_url}/{path}")
    main = page.locator("[data-testid='stMainBlockContainer']").evaluate(
        """m => { const r = m.getBoundingClientRect(), cs = getComputedStyle(m);
                  const l = parseFloat(cs.paddingLeft), rr = parseFloat(cs.paddingRight);
                  return {x: r.left + l, width: r.width - l - rr}; }""")  # the column's content
    plot = page.locator(".mpe-plot").bounding_box()
    inner = page.locator(".mpe-plot .nsewdrag").first.bounding_box()  # the plot area itself
    assert plot["width"] >= 0.6 * main["width"], (plot, main)
    assert inner["width"] >= 0.5 * main["width"], (inner, main)
    assert plot["x"] + plot["width"] <= main["x"] + main["width"] + 1


#: every element a class reads; none may leave the viewport or be cut by its own box
CLIP_CHECK = """() => {
  const W = window.innerWidth, bad = [];
  const sel = "h1, [data-testid='stMetricValue'], [data-testid='stMetricLabel'], " +
              "[data-testid='stMain'] [data-testid='stMarkdownContainer'] p, .mpe-btn, .mpe-label, " +
              ".mpe-plot, [data-testid='stTable'] td, [data-testid='stTable'] th, .katex-display";
  for (const e of document.querySelectorAll(sel)) {
    const r = e.getBoundingClientRect();
    if (!r.width || !r.height) continue;
    const name = e.tagName + '.' + (e.className || '') + ' ' + (e.innerText || '').slice(0, 40);
    if (r.left < -1 || r.right > W + 1) bad.push('outside the window: ' + name);
    const cs = getComputedStyle(e);
    const scrolls = /auto|scroll/.test(cs.overflowX);
    if (!scrolls && e.scrollWidth > e.clientWidth + 2 && cs.overflowX !== 'visible')
      bad.push('cut off: ' + name + ' ' + e.scrollWidth + '>' + e.clientWidth);
    for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
      const ps = getComputedStyle(p);
      if (ps.overflowX === 'hidden' || ps.overflowX === 'clip') {
        const pr = p.getBoundingClientRect();
        if (r.right > pr.right + 2 || r.left < pr.left - 2) bad.push('clipped by its container: ' + name);
        break;
      }
    }
  }
  return bad;
}"""


@pytest.mark.parametrize("path", ["belief_propagation?sample=asia", "neural?sample=karate&layer=gcn",
                                  "variable_elimination"])
def test_lecture_mode_projects_without_clipping(page, app_url, path):
    _open_player(page, f"{app_url}/{path}&lecture=1" if "?" in path else
                 f"{app_url}/{path}?lecture=1")
    page.wait_for_timeout(800)
    name = path.split("?")[0]
    page.screenshot(path=ARTIFACTS / f"lecture_{name}_720p.png")
    sidebar = page.evaluate("""() => { const s = document.querySelector("[data-testid='stSidebar']");
        if (!s) return 0; const r = s.getBoundingClientRect(); return Math.max(0, r.right); }""")
    assert sidebar <= 1, f"the sidebar is open ({sidebar} px) in lecture mode"
    assert page.locator(".mpe.mpe-lecture").count() == 1
    bad = page.evaluate(CLIP_CHECK)
    assert not bad, bad
    # enlarged together: the metric values are larger than their labels, type is large
    sizes = page.evaluate("""() => { const inner = e => { while (e.firstElementChild) e = e.firstElementChild;
                                                        return parseFloat(getComputedStyle(e).fontSize); };
        return [...document.querySelectorAll("[data-testid='stMetric']")].map(m => [
          inner(m.querySelector("[data-testid='stMetricValue']")),
          inner(m.querySelector("[data-testid='stMetricLabel']"))]); }""")
    assert all(v >= 1.5 * lab for v, lab in sizes), sizes
    font = page.locator(".mpe-plot").evaluate("gd => gd._fullLayout.font.size")
    assert font >= 18


def test_clicking_a_node_updates_the_formula_panel(page, app_url):
    _open_player(page, f"{app_url}/neural?sample=star&layers=2")
    before = page.locator("[data-testid='stMarkdownContainer'] .katex").first.inner_text()
    # star.csv: node 3 is a leaf; click where its marker is drawn (a real mouse click: Plotly
    # picks the point under the pointer, whatever SVG or WebGL layer draws it)
    gd = page.locator(".mpe-plot")
    where = """gd => { const t = gd._fullData.find(t => t.name === 'nodes');
        const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
        const r = gd.querySelector('.nsewdrag').getBoundingClientRect();
        return [r.left + xa.l2p(t.x[3]), r.top + ya.l2p(t.y[3])]; }"""
    gd.evaluate("gd => gd.scrollIntoView({block: 'center'})")  # the whole plot on screen
    x, y = gd.evaluate(where)
    assert 0 <= x <= 1280 and 0 <= y <= 720, (x, y)
    ready = page.locator(".mpe").get_attribute("data-ready")
    page.locator(".mpe").evaluate("m => { m.__kept = 1; }")
    page.mouse.move(x, y)
    page.mouse.click(x, y)
    page.wait_for_url("**node=3**", timeout=30_000)
    page.wait_for_function("b => { const k = document.querySelector(\"[data-testid='stMarkdownContainer'] .katex\");"
                           " return k && k.innerText !== b; }", arg=before, timeout=30_000)
    _settled(page)
    # selected in the browser: the same figure and DOM (no page rerun, no new figure)
    assert page.locator(".mpe").get_attribute("data-ready") == ready
    assert page.locator(".mpe").evaluate("m => m.__kept") == 1
    assert page.locator(".mpe").get_attribute("data-node") == "3"
    drawn = gd.evaluate("""gd => { const by = n => gd._fullData.find(t => t.name === n);
        const nodes = by('nodes'), i = Array.from(nodes.customdata).indexOf(3);
        const hl = by('incoming edges'), sm = by('messages into selected'), ring = by('selected');
        return {node: [nodes.x[i], nodes.y[i]], ring: [ring.x[0], ring.y[0]],
                segments: Array.from(hl.x).filter(v => v === null).length,
                ends: Array.from(hl.x).filter(v => v !== null).map((x, j) => x),
                messages: sm.x.length}; }""")
    g = load_graph("star")
    senders = {int(s) for s, r in zip(g.senders, g.receivers) if r == 3 and s != 3}
    assert drawn["ring"] == pytest.approx(drawn["node"], abs=1e-4)
    assert drawn["segments"] == len(senders)
    # the browser's messages into node 3 are the panel's rows (the server's message_rows)
    rows = page.locator("[data-testid='stTable'] tbody tr").count()
    assert drawn["messages"] == rows > 0
    page.screenshot(path=ARTIFACTS / "node_clicked.png")


def test_shared_url_reproduces_the_view(page, app_url):
    _open_player(page, f"{app_url}/belief_propagation?sample=chain_bn&mode=max&node=2")
    page.locator(".mpe-next").click()
    page.wait_for_url("**step=1**", timeout=30_000)
    _settled(page)
    link = page.url
    latex = page.locator(".katex").first.inner_text()
    other = page.context.new_page()
    _open_player(other, link)
    assert other.evaluate(CHART_STEP) == 1  # the chart opens on the shared step
    assert other.locator(".katex").first.inner_text() == latex
    assert "step=1" in other.url and "mode=max" in other.url
    other.screenshot(path=ARTIFACTS / "shared_url.png")


@pytest.fixture(scope="module")
def seek_url():
    """A second, small server for the one-page seek app (tests/apps/seek_app.py): the server's
    seek has no button on the real pages that a test could press without another helper's page."""
    from explorer.ui.testing import serve

    ARTIFACTS.mkdir(exist_ok=True)
    with serve(ARTIFACTS / "server_seek.log", app=Path(__file__).resolve().parent / "apps"
               / "seek_app.py") as url:
        yield url


def test_server_seek_moves_the_chart_without_a_page_rerun(page, seek_url):
    _open_player(page, seek_url)
    assert page.evaluate(CHART_STEP) == 0
    # mark the chart's DOM: a whole-page rerun with a new figure would redraw it (new figure id)
    ready = page.locator(".mpe").get_attribute("data-ready")
    page.locator(".mpe").evaluate("m => { m.__kept = 1; }")
    page.get_by_role("button", name="Seek to the last step").click()
    page.wait_for_function(f"() => ({CHART_STEP})() === 7", timeout=20_000)
    _settled(page)
    assert page.evaluate(PANEL_STEP) == 8
    page.wait_for_url("**step=7**", timeout=20_000)
    assert page.locator(".mpe").evaluate("m => m.__kept") == 1
    assert page.locator(".mpe").get_attribute("data-ready") == ready
    assert page.locator(".mpe-plot").evaluate("gd => gd.dataset.step") == "7"
    page.get_by_role("button", name="Seek to step 2 (in the body)").click()
    page.wait_for_function(f"() => ({CHART_STEP})() === 1", timeout=20_000)
    _settled(page)
    page.wait_for_url("**step=1**", timeout=20_000)
    page.locator(".mpe-next").click()  # the chart still owns the step afterwards
    page.wait_for_url("**step=2**", timeout=20_000)
    _settled(page)
    _no_exception(page)
