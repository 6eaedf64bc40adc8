"""The figure component (explorer/ui/components figure.js) in a real browser.

It draws the charts st.plotly_chart drew on Graphs, Matrix, VE, BP and Over-smoothing, with the
player's plotly.js, so Streamlit's own Plotly chunk never loads there. Checked here: with
plotly.min.js held back (Playwright's ``page.route``) the page's first chart is a static SVG
preview that puts every node where the figure says (Graphs: circle centres mapped back to data
coordinates) and every heatmap cell in the figure's colour scale (Matrix: computed here with
plotly's own Python colour helper); Plotly then draws in the preview's place; a click on a row
of R selects that node as st.plotly_chart's selection did; the Streamlit theme the component
merges in is what Streamlit's own chart applies (read from a st.plotly_chart on another page).
"""

import numpy as np
import pytest

from explorer.ui.testing import (app_test, array, charts, chromium, css_rgb, held_plotly, plotly_nodes_js,
                                 preview_in_data, preview_js)

pytestmark = pytest.mark.browser

if chromium() is None:
    pytest.skip("no Chromium found at /usr/bin/chromium (install Debian's `chromium` package, "
                "e.g. `make browser`, or set $CHROMIUM)", allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

#: the first figure component's preview, and where Plotly then drew its nodes
GRAPH_PREVIEW = preview_js(".mpe-figure")
PLOTLY_NODES = plotly_nodes_js(".mpe-figure .js-plotly-plot")


def test_graphs_preview_before_plotly_puts_the_nodes_where_the_figure_does(browser, app_url):
    at = app_test("graphs", query={"sample": "karate"})
    assert not at.exception
    fig = charts(at)["graphs.chart"]
    nodes = next(t for t in fig["data"] if t.get("name") == "nodes")
    x, y = np.array(array(nodes["x"])), np.array(array(nodes["y"]))

    with held_plotly(browser) as held:
        page = held.page
        page.goto(app_url + "/graphs?sample=karate")
        page.locator(".mpe-figure .mpe-preview svg").first.wait_for(state="visible", timeout=90_000)
        assert page.locator(".js-plotly-plot").count() == 0  # the picture came first
        assert page.evaluate("() => !window.Plotly")
        pre = page.evaluate(GRAPH_PREVIEW)
        cx, cy = np.array(pre["cx"]), np.array(pre["cy"])
        assert len(cx) == len(x) == 34
        back_x, back_y, tol = preview_in_data(pre)
        np.testing.assert_allclose(back_x, x, atol=tol)
        np.testing.assert_allclose(back_y, y, atol=tol)

        held.release()
        page.locator(".mpe-figure .js-plotly-plot .main-svg").first.wait_for(timeout=90_000)
        page.wait_for_function("() => document.querySelector('.mpe-figure-plot').dataset.ready")
        assert page.locator(".mpe-figure .mpe-preview").count() == 0  # removed once Plotly drew
        # Plotly drew each node near its preview circle: the colour bar's width is estimated (8 px
        # too wide here: the equal-unit graph sits 4 px off centre), the rest is exact
        drawn = page.evaluate(PLOTLY_NODES)
        assert np.abs(np.array(drawn["px"]) - cx).max() < 6
        assert np.abs(np.array(drawn["py"]) - cy).max() < 3
        page.wait_for_load_state("networkidle")
        assert page.locator("[data-testid='stPlotlyChart']").count() == 0  # no Streamlit Plotly
        # the server's caches hit now: a reload, and a second session, still draw the figure
        for p in (page, browser.new_context(viewport={"width": 1280, "height": 720}).new_page()):
            if p is page:
                p.reload()
            else:
                p.goto(app_url + "/graphs?sample=karate")
            p.wait_for_function("""() => { const gd = document.querySelector('.mpe-figure-plot[data-ready]');
                const t = gd && gd._fullData && gd._fullData.find(t => t.name === 'nodes');
                return t && t._length === 34; }""", timeout=90_000)
            if p is not page:
                p.context.close()
        assert not held.errors, held.errors


def test_matrix_heatmap_preview_colours_and_a_row_click(browser, app_url):
    at = app_test("matrix")
    assert not at.exception
    fig = charts(at)["matrix.heatmaps"]
    heat = fig["data"][0]
    assert heat["type"] == "heatmap"
    z = np.array(array(heat["z"]), dtype=float)
    labels = [str(v) for v in heat["y"]]

    with held_plotly(browser) as held:
        page = held.page
        page.goto(app_url + "/matrix")
        page.locator(".mpe-figure .mpe-preview svg").first.wait_for(state="visible", timeout=90_000)
        assert page.locator(".js-plotly-plot").count() == 0
        cells = page.evaluate("""() => [...document.querySelectorAll(
            '.mpe-figure .mpe-preview g[data-index="0"] rect')].map(r => [+r.dataset.i, +r.dataset.j,
            r.getAttribute('fill'), +r.getAttribute('x'), +r.getAttribute('y')])""")
        assert len(cells) == z.size
        from plotly.colors import sample_colorscale

        lo, hi = float(heat["zmin"]), float(heat["zmax"])
        want = sample_colorscale(heat["colorscale"], [float(np.clip((z[i, j] - lo) / (hi - lo), 0, 1))
                                                      for i, j, *_ in cells])
        got = np.array([css_rgb(c[2]) for c in cells])
        np.testing.assert_allclose(got, np.array([css_rgb(c) for c in want]), atol=1.01)
        assert len({tuple(g) for g in got}) > 2
        # rows run down (the axis is reversed), columns across
        at_ = {(i, j): (x, y) for i, j, _, x, y in cells}
        assert at_[(1, 0)][1] > at_[(0, 0)][1] and at_[(0, 1)][0] > at_[(0, 0)][0]

        held.release()
        page.wait_for_function("() => [...document.querySelectorAll('.mpe-figure-plot')].every(p => p.dataset.ready)",
                               timeout=90_000)
        assert page.locator(".mpe-figure .mpe-preview").count() == 0
        assert page.locator("[data-testid='stPlotlyChart']").count() == 0

        # a click on row 5 of R selects node 5: the same as choosing it in the Node box
        row = 5
        xy = page.evaluate("""(lab) => { const gd = document.querySelector('.mpe-figure .js-plotly-plot');
            const F = gd._fullLayout, r = gd.getBoundingClientRect();
            return [r.left + F._size.l + F.xaxis.d2p('0'), r.top + F._size.t + F.yaxis.d2p(lab)]; }""", labels[row])
        page.mouse.click(xy[0], xy[1])
        heading = page.get_by_text(f"Node {labels[row]}: matrix row against messages")
        heading.first.wait_for(timeout=60_000)
        at.selectbox(key="matrix.node").set_value(row).run()  # the reference: the Node box
        assert not at.exception
        want_head = [h.value for h in at.subheader if h.value.startswith("Node ")]
        assert want_head == [f"Node {labels[row]}: matrix row against messages"]
        code = page.locator("[data-testid='stMarkdownContainer'] code", has_text="x'_").first.inner_text()
        assert f"`{code.strip()}`" == next(md.value for md in at.markdown if md.value.startswith("`x'_"))
        assert not held.errors, held.errors


def _leaves(d, prefix=()):
    for k, v in d.items():
        if isinstance(v, dict):
            yield from _leaves(v, prefix + (k,))
        else:
            yield prefix + (k,), v


def test_the_merged_theme_is_streamlits(browser, app_url):
    """Every value the component merges into a figure's template (STREAMLIT_TEMPLATE) is the
    value Streamlit's own chart has there (a st.plotly_chart of the GN block page), and the
    figure component's chart ends with the same template values and a bold title."""
    from explorer.ui.components import STREAMLIT_TEMPLATE

    leaves = list(_leaves(STREAMLIT_TEMPLATE))
    assert len(leaves) > 40
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    page = ctx.new_page()
    read = """(sel) => { const gd = document.querySelector(sel);
        return {tl: gd.layout.template.layout, title: gd.layout.title}; }"""
    try:
        page.goto(app_url + "/gn_block")
        page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot .main-svg").first.wait_for(timeout=90_000)
        theirs = page.evaluate(read, "[data-testid='stPlotlyChart'] .js-plotly-plot")
        page.goto(app_url + "/variable_elimination")
        page.wait_for_function("() => document.querySelector('.mpe-figure-plot[data-ready]')", timeout=90_000)
        ours = page.evaluate(read, ".mpe-figure-plot[data-ready]")
    finally:
        ctx.close()

    def get(d, path):
        for k in path:
            d = d[k]
        return d

    for path, value in leaves:
        assert get(theirs["tl"], path) == value, path
        assert get(ours["tl"], path) == value, path
    assert theirs["title"]["text"].startswith("<b>")
    assert ours["title"]["text"].startswith("<b>") and ours["title"]["text"].endswith("</b>")
