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
    ("neural?sample=karate&layers=6", "nn-metrics", 3, 2),          # step k shows layer k + 1
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
