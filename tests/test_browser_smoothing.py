"""In a real browser: a click on a layer of the over-smoothing charts moves the graph and the panel.

Reuses the one app server of the session (``app_url``) and the browser fixtures of
tests/test_browser.py. The chart's step is ``data-step`` on the player's ``.mpe`` box; the
panel's is its "Step k of N" line and the heading "cursor at layer L" above the charts.
"""

import pytest

from tests.test_browser import (ARTIFACTS, CHART_STEP, PANEL_STEP, _no_exception,  # noqa: F401
                                _open_player, page)

pytestmark = pytest.mark.browser


def _click_layer(page, key, layer):
    """Hover, then click the marker of ``layer`` on the first panel of the ``key`` chart."""
    point = page.locator(f".st-key-{key} g.trace.scatter").first.locator("path.point").nth(layer)
    point.scroll_into_view_if_needed()
    box = point.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(300)      # plotly picks the hovered point on mouse move
    page.mouse.down()
    page.mouse.up()


@pytest.mark.parametrize("path, key, layer, step", [
    ("neural?sample=karate&layers=6&panel=smoothing", "nn-metrics", 3, 2),   # step k: layer k + 1
    ("oversmoothing?sample=karate&depth=8&archs=gcn&remedies=none", "smooth-metrics", 5, 5)])
def test_clicking_a_layer_moves_the_graph_and_the_panel(page, app_url, path, key, layer, step):
    _open_player(page, f"{app_url}/{path}")
    assert page.evaluate(CHART_STEP) == 0
    _click_layer(page, key, layer)
    page.wait_for_function(f"() => ({CHART_STEP})() === {step} && ({PANEL_STEP})() === {step + 1}",
                           timeout=30_000)
    cursor = page.get_by_text(f"cursor at layer {layer}")
    cursor.first.wait_for(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / f"smoothing-click-{key}.png"))
    _no_exception(page)


#: the boxes a class must see together: the graph's plot area, the PCA scatter's and the first
#: metric chart's (plotly's drag layer is the plot area of a subplot)
BOXES = """key => { const box = e => { if (!e) return null; const r = e.getBoundingClientRect();
                                     return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; };
  return {graph: box(document.querySelector('.mpe-plot .nsewdrag')),
          pca: box(document.querySelector(`.st-key-${key}-pca .nsewdrag`)),
          metric: box(document.querySelector(`.st-key-${key}-metrics .nsewdrag`)),
          w: window.innerWidth, h: window.innerHeight}; }"""


#: the bottom of Streamlit's fixed header (what lies above it is hidden)
HEADER = """() => { const h = document.querySelector("[data-testid='stHeader']");
                    return h ? h.getBoundingClientRect().bottom : 0; }"""
#: scroll the player's top (its control row) to just under the header, as a teacher would
TO_TOP = """e => { e.scrollIntoView({block: 'start'});
  let p = e.parentElement;
  while (p && !(p.scrollHeight > p.clientHeight && /auto|scroll/.test(getComputedStyle(p).overflowY)))
    p = p.parentElement;
  const h = document.querySelector("[data-testid='stHeader']");
  (p || document.scrollingElement).scrollTop -= (h ? h.getBoundingClientRect().bottom : 0) + 4; }"""


@pytest.mark.parametrize("lecture", [False, True], ids=["sidebar", "lecture"])
@pytest.mark.parametrize("size", ["720p", "1080p"])
@pytest.mark.parametrize("path, key", [
    ("oversmoothing?sample=karate&depth=8&archs=gcn&remedies=none,pairnorm", "smooth"),
    ("neural?sample=karate&layers=6&panel=smoothing", "nn")])
def test_graph_and_smoothing_charts_fit_on_one_screen(page, app_url, path, key, size, lecture):
    """With the player scrolled to the top of the window, the graph's plot area, the PCA
    scatter and the first metric chart are all inside the viewport: no scrolling between them
    (the sidebar open at 1280 x 720, or lecture mode; and at 1920 x 1080)."""
    from tests.test_browser import SIZES

    w, h = SIZES[size]
    page.set_viewport_size({"width": w, "height": h})
    _open_player(page, f"{app_url}/{path}" + ("&lecture=1" if lecture else ""))
    page.locator(f".st-key-{key}-metrics .nsewdrag").first.wait_for(timeout=30_000)
    page.locator(".mpe").first.evaluate(TO_TOP)
    page.wait_for_timeout(500)
    b = page.evaluate(BOXES, key)
    top = page.evaluate(HEADER)
    assert page.locator(".mpe-next").bounding_box()["y"] >= top - 1      # the controls show too
    name = f"smoothing-side-by-side-{key}-{size}{'-lecture' if lecture else ''}.png"
    page.screenshot(path=str(ARTIFACTS / name))
    for part in ("graph", "pca", "metric"):
        r = b[part]
        assert r is not None, part
        assert r["top"] >= top - 1 and r["bottom"] <= b["h"] + 1, (part, r, b["h"])
        assert r["left"] >= 0 and r["right"] <= b["w"] + 1, (part, r, b["w"])
    assert b["pca"]["left"] >= b["graph"]["right"] and b["metric"]["left"] >= b["graph"]["right"]
    # the charts follow the step: Next moves the cursor with the graph
    page.locator(".mpe-next").click()
    page.wait_for_function(f"() => ({CHART_STEP})() === 1 && ({PANEL_STEP})() === 2", timeout=30_000)
    layer = 1 if key == "smooth" else 2
    page.get_by_text(f"cursor at layer {layer}").first.wait_for(timeout=30_000)
    _no_exception(page)


def test_clicking_layer_0_on_the_neural_page_shows_the_input_features(page, app_url):
    """No step of a neural run shows layer 0 (the input features): a click on it holds the
    scatter and the cursor at layer 0, takes the graph to its first step and says so."""
    _open_player(page, f"{app_url}/neural?sample=karate&layers=6&panel=smoothing&step=2")
    assert page.evaluate(CHART_STEP) == 2
    page.get_by_text("cursor at layer 3").first.wait_for(timeout=30_000)
    _click_layer(page, "nn-metrics", 0)
    page.wait_for_function(f"() => ({CHART_STEP})() === 0 && ({PANEL_STEP})() === 1", timeout=30_000)
    page.get_by_text("cursor at layer 0").first.wait_for(timeout=30_000)
    note = page.get_by_text("Layer 0 is the input features: no step of the graph shows them")
    note.first.wait_for(timeout=30_000)
    title = page.locator(".st-key-nn-pca .gtitle").first.text_content()
    assert title.startswith("layer 0:")
    page.screenshot(path=str(ARTIFACTS / "smoothing-click-layer0.png"))
    _no_exception(page)


@pytest.mark.parametrize("size", ["720p", "1080p"])
def test_lecture_colour_bars_do_not_take_the_graphs_height(page, app_url, size):
    """Lecture mode plans karate's figure for the ~860 px column the collapsed sidebar leaves: its
    colour bars stand beside the graph (spare width) instead of in a row under it, which took
    ~45 px (~10 %) of the plot area's height."""
    from tests.test_browser import SIZES

    w, h = SIZES[size]
    page.set_viewport_size({"width": w, "height": h})
    _open_player(page, f"{app_url}/neural?sample=karate&lecture=1")
    got = page.locator(".mpe-plot").evaluate("""gd => { const L = gd._fullLayout;
        return {H: L.height, t: L._size.t, b: L._size.b, mb: L.margin.b, plotH: L._size.h,
                bars: gd._fullData.filter(t => t.marker && t.marker.showscale)
                                  .map(t => t.marker.colorbar.orientation)}; }""")
    assert got["bars"] and set(got["bars"]) == {"v"}, got
    assert got["b"] <= got["mb"] + 1, got                      # no row pushed under the plot
    assert got["plotH"] >= got["H"] - got["t"] - got["mb"] - 1, got
    _no_exception(page)
