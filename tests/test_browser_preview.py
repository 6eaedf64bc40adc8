"""The player's static preview (player.js ``drawPreview``) in a real browser.

Until plotly.js is ready the player draws an SVG picture of the current step from the figure
JSON. Here plotly.min.js is held back (Playwright's ``page.route``) so the preview can be seen:
it must come before Plotly's chart, put every node where the figure says (its circle centres
mapped back to data coordinates equal the figure's x/y, its colours are the figure's colour
scale at the step's values, computed here with plotly's own Python colour helpers), keep the
controls disabled, land where Plotly then draws the nodes, and be gone once Plotly has drawn
(whose labels, as the preview's, stay over the nodes).
One page (neural, karate: no ``st.plotly_chart`` there, so nothing else brings Plotly).
"""

import numpy as np
import pytest

from explorer.ui.testing import (app_test, array, chromium, css_rgb, held_plotly, player_data, plotly_nodes_js,
                                 preview_in_data, preview_js)

pytestmark = pytest.mark.browser

if chromium() is None:
    pytest.skip("no Chromium found at /usr/bin/chromium (install Debian's `chromium` package, "
                "e.g. `make browser`, or set $CHROMIUM)", allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

#: where Plotly drew the player's nodes, in the preview's pixels
PLOTLY_NODES = plotly_nodes_js(".mpe-plot")


def test_preview_before_plotly_matches_the_figure(browser, app_url):
    at = app_test("neural")
    assert not at.exception
    fig = player_data(at)["figure"]
    names = [t.get("name") for t in fig["data"]]
    i = names.index("nodes")
    nodes = fig["data"][i]
    x, y = np.array(array(nodes["x"])), np.array(array(nodes["y"]))
    frame = fig["frames"][0]  # the page opens on step 0: the step's colours come from its frame
    marker = {**nodes["marker"], **frame["data"][frame["traces"].index(i)]["marker"]}
    values = np.array(array(marker["color"]), dtype=float)

    with held_plotly(browser) as held:
        page = held.page
        page.goto(app_url + "/neural")
        page.locator(".mpe-preview svg").wait_for(state="visible", timeout=90_000)
        assert page.locator(".js-plotly-plot").count() == 0  # the picture came first
        assert page.evaluate("() => !window.Plotly")
        assert page.locator(".mpe-next").is_disabled() and page.locator(".mpe-play").is_disabled()
        pre = page.evaluate(preview_js())

        # every node where the figure puts it: circle centres back in data coordinates
        cx, cy = np.array(pre["cx"]), np.array(pre["cy"])
        assert len(cx) == len(x) == 34
        back_x, back_y, tol = preview_in_data(pre)
        np.testing.assert_allclose(back_x, x, atol=tol)
        np.testing.assert_allclose(back_y, y, atol=tol)
        # the figure's ranges (equal units: the preview may widen one, never narrow it)
        (fx0, fx1), (fy0, fy1) = fig["layout"]["xaxis"]["range"], fig["layout"]["yaxis"]["range"]
        (x0, x1), (y0, y1) = pre["xr"], pre["yr"]
        assert x0 <= fx0 + 1e-9 and x1 >= fx1 - 1e-9 and y0 <= fy0 + 1e-9 and y1 >= fy1 - 1e-9
        # ... in the step's colours: plotly's colour scale at the step's values
        from plotly.colors import sample_colorscale

        cmin, cmax = float(marker["cmin"]), float(marker["cmax"])
        want = sample_colorscale(marker["colorscale"], list(np.clip((values - cmin) / (cmax - cmin), 0, 1)))
        got = np.array([css_rgb(c) for c in pre["fill"]])
        np.testing.assert_allclose(got, np.array([css_rgb(c) for c in want]), atol=1.01)
        assert len({tuple(g) for g in got}) > 3  # not one colour for all
        # the labels and edges are there too
        assert page.locator(".mpe-preview g[data-trace='labels-text'] text").count() >= 10
        assert page.locator(".mpe-preview path").count() > 0

        held.release()  # let plotly.js through now
        page.locator(".mpe[data-ready]").wait_for(state="attached", timeout=90_000)
        assert page.locator(".mpe-preview").count() == 0  # removed once Plotly drew
        assert not page.locator(".mpe-next").is_disabled()
        marks = page.evaluate("""() => Object.fromEntries(['mpe:preview', 'mpe:drawn'].map(
            n => [n, (performance.getEntriesByName(n)[0] || {}).startTime]))""")
        assert marks["mpe:preview"] < marks["mpe:drawn"]
        # nothing jumps: Plotly drew each node within a few pixels of its preview circle
        drawn = page.evaluate(PLOTLY_NODES)
        assert np.abs(np.array(drawn["px"]) - cx).max() < 3
        assert np.abs(np.array(drawn["py"]) - cy).max() < 3
        # ... and, as in the preview, the labels drawn inside the nodes are on top of them (the
        # scatter groups in the figure's trace order, after Plotly.animate too)
        page.locator(".mpe-next").click()
        page.wait_for_function("() => document.querySelector('.mpe').dataset.step === '1'")
        order = page.evaluate("""() => [...document.querySelectorAll('.mpe-plot .scatterlayer > .trace')]
            .map(g => g.__data__[0].trace.name)""")
        assert order.index("labels") > order.index("nodes"), order
        assert not held.errors, held.errors
