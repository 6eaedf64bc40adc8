"""The app in a real browser: Playwright driving Debian's Chromium (see BROWSER.md).

One server for the whole module (a free port, health-checked, always stopped). Every test saves
a screenshot under tests/artifacts/ — look at them: a test that passes on a blank page is a bug.
Skipped, with the reason, when no Chromium is installed (``make browser`` / ``.ci/run`` install
Debian's package).
"""

from pathlib import Path

import pytest

from explorer.ui.testing import chromium, serve

pytestmark = pytest.mark.browser

CHROMIUM = chromium()
if CHROMIUM is None:
    pytest.skip("no Chromium found at /usr/bin/chromium (install Debian's `chromium` package, "
                "e.g. `make browser`, or set $CHROMIUM)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHART = "[data-testid='stPlotlyChart'] .js-plotly-plot .main-svg"


@pytest.fixture(scope="module")
def app_url():
    ARTIFACTS.mkdir(exist_ok=True)
    with serve(ARTIFACTS / "server.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    p = ctx.new_page()
    try:
        yield p
    finally:
        ctx.close()


def _open(page, url):
    page.goto(url)
    expect(page.locator(CHART).first).to_be_visible(timeout=30_000)
    page.wait_for_load_state("networkidle")


def _wait_nodes(page, n, timeout=20_000):
    """Wait until the first chart draws ``n`` nodes (the chart element is replaced on reruns,
    so look it up afresh on every poll)."""
    page.wait_for_function(
        """n => { const gd = document.querySelector("[data-testid='stPlotlyChart'] .js-plotly-plot");
                  const t = gd && gd._fullData && gd._fullData.find(t => t.name === 'nodes');
                  return t && t._length === n; }""", arg=n, timeout=timeout)


def _no_exception(page):
    assert page.locator("[data-testid='stException']").count() == 0


def test_graphs_page_draws_the_sample(page, app_url):
    _open(page, f"{app_url}/graphs?sample=karate")
    expect(page.get_by_text("Thirty-four members").first).to_be_visible()
    chart = page.locator("[data-testid='stPlotlyChart']").first
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


PAGES = {  # url path -> (query, how many charts at least)
    "": ("", 0),
    "variable_elimination": ("", 2),
    "belief_propagation": ("?sample=asia", 3),
    "neural": ("?layer=gat", 2),
    "matrix": ("", 1),
    "expressiveness": ("", 1),
    "oversmoothing": ("?depth=6", 2),
    "upload": ("", 0),
}


@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_renders_without_an_exception_box(page, app_url, path):
    query, n_charts = PAGES[path]
    page.set_viewport_size({"width": 1400, "height": 2000})  # Streamlit scrolls inside the page
    page.goto(f"{app_url}/{path}{query}")
    expect(page.locator("h1").first).to_be_visible(timeout=30_000)
    if n_charts:
        expect(page.locator(CHART).nth(n_charts - 1)).to_be_visible(timeout=60_000)
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid='stPlotlyChart']").count() >= n_charts
    _no_exception(page)
    assert page.locator("[data-testid='stAlertContentError']").count() == 0
    page.screenshot(path=ARTIFACTS / f"page_{path or 'home'}.png", full_page=True)


def _chart(page, index=0):
    return page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot").nth(index)


def test_play_advances_the_animation_to_the_last_frame(page, app_url):
    page.goto(f"{app_url}/neural?sample=karate&layers=3&speed=fast")
    expect(page.locator(CHART).first).to_be_visible(timeout=30_000)
    gd = _chart(page)
    n_frames = gd.evaluate("gd => gd._transitionData._frames.length")
    assert n_frames == 3
    gd.locator(".updatemenu-button", has_text="Play").first.click()
    page.wait_for_function(
        "gd => gd.layout.sliders[0].active === gd._transitionData._frames.length - 1",
        arg=gd.element_handle(), timeout=30_000)
    page.screenshot(path=ARTIFACTS / "play_last_frame.png", full_page=True)


def test_clicking_a_node_updates_the_formula_panel(page, app_url):
    page.goto(f"{app_url}/neural?sample=star&layers=2")
    expect(page.locator(CHART).first).to_be_visible(timeout=30_000)
    page.wait_for_load_state("networkidle")
    before = page.locator("[data-testid='stMarkdownContainer'] .katex").first.inner_text()
    # star.csv: node 3 is a leaf; click its marker (SVG groups exist for visible traces only)
    gd = _chart(page)
    index = gd.evaluate("gd => gd._fullData.filter(t => t.visible === true)"
                        ".findIndex(t => t.name === 'nodes')")
    gd.locator("g.trace.scatter").nth(index).locator("path.point").nth(3).click(force=True)
    page.wait_for_function("b => { const k = document.querySelector(\"[data-testid='stMarkdownContainer'] .katex\");"
                           " return k && k.innerText !== b; }", arg=before, timeout=20_000)
    page.wait_for_url("**node=3**", timeout=20_000)
    page.screenshot(path=ARTIFACTS / "node_clicked.png", full_page=True)


def test_shared_url_reproduces_the_view(page, app_url):
    page.goto(f"{app_url}/belief_propagation?sample=chain_bn&mode=max&node=2")
    expect(page.locator(CHART).first).to_be_visible(timeout=30_000)
    page.locator("[data-testid='stBaseButton-primary']", has_text="Next").click()
    page.wait_for_url("**step=1**", timeout=20_000)
    link = page.url
    latex = page.locator(".katex").first.inner_text()
    other = page.context.new_page()
    other.goto(link)
    expect(other.locator(CHART).first).to_be_visible(timeout=30_000)
    other.wait_for_load_state("networkidle")
    assert other.locator(".katex").first.inner_text() == latex
    assert "step=1" in other.url and "mode=max" in other.url
    other.screenshot(path=ARTIFACTS / "shared_url.png", full_page=True)
