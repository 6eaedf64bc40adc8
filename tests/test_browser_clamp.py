"""Observe a variable by clicking it on the BP graph, in a real browser (issue 12 item 10).

Uses the session's one app server (``app_url`` in conftest.py). Saves
tests/artifacts/bp_observed.png (1280x720): look at it.
"""

import re
from pathlib import Path

import pytest


pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
PLAYER = ".mpe[data-ready]"
#: the labels the chart draws now (the figure is replaced on a page rerun: look it up afresh)
LABELS = """() => { const gd = document.querySelector('.mpe-plot');
                    const t = gd && gd._fullData && gd._fullData.find(t => t.name === 'labels');
                    return t ? Array.from(t.text) : []; }"""


def test_click_a_variable_observe_it_and_see_it_on_the_graph(browser, app_url):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        page = context.new_page()
        page.goto(f"{app_url}/belief_propagation?sample=asia")
        expect(page.locator(PLAYER).first).to_be_attached(timeout=90_000)
        gd = page.locator(".mpe-plot")
        gd.evaluate("gd => gd.scrollIntoView({block: 'center'})")
        # asia's variables come first: xray is node 6; click where its marker is drawn
        x, y = gd.evaluate("""gd => { const t = gd._fullData.find(t => t.name === 'nodes');
            const i = Array.from(t.text).indexOf('xray');
            const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
            const r = gd.querySelector('.nsewdrag').getBoundingClientRect();
            return [r.left + xa.l2p(t.x[i]), r.top + ya.l2p(t.y[i])]; }""")
        assert 0 <= x <= 1280 and 0 <= y <= 720, (x, y)
        page.mouse.move(x, y)
        page.mouse.click(x, y)
        expect(page.get_by_text("Observe xray", exact=True)).to_be_visible(timeout=30_000)
        assert "xray = yes" not in page.evaluate(LABELS)
        page.get_by_role("button", name="yes", exact=True).click()
        page.wait_for_url("**evidence=xray%3Dyes**", timeout=60_000)
        page.wait_for_function(f"() => ({LABELS})().includes('xray = yes')", timeout=60_000)
        expect(page.get_by_text("(observed: yes)")).to_be_visible(timeout=30_000)
        assert page.locator("[data-testid='stException']").count() == 0
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / "bp_observed.png")
        page.get_by_role("button", name=re.compile(r"Clear$")).click()
        page.wait_for_url(lambda u: "evidence" not in u, timeout=60_000)
        # the plain label again (a positive check: an empty chart mid-rerun has no labels)
        page.wait_for_function(f"() => ({LABELS})().includes('xray')", timeout=60_000)
        assert "xray = yes" not in page.evaluate(LABELS)
    finally:
        context.close()
