"""How the browser gets plotly.js for the player (explorer/ui/components).

The file is the one shipped with the installed plotly package, copied into the app's static/
folder and served by Streamlit's static route with an ETag and Last-Modified, so the browser
keeps it and a returning visitor does not download its 4.8 MB again; the pages whose first chart is the player
and that draw no st.plotly_chart start loading it with their first elements (shell.EARLY_PLOTLY).
No timings here: ``python -m explorer bench ui`` measures them.
"""

import json
import urllib.request
from pathlib import Path

import plotly
import pytest

from explorer.ui import shell
from explorer.ui.testing import app_test, chromium

PACKAGE_JS = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
#: View.page -> page file stem (None: the home page)
PAGE_FILES = {"home": None, "wl": "expressiveness", "graphs": "graphs", "matrix": "matrix",
              "ve": "variable_elimination", "bp": "belief_propagation", "smooth": "oversmoothing",
              "readout": "readout", "aggr": "aggregators"}


@pytest.mark.parametrize("page", sorted(shell.EARLY_PLOTLY))
def test_early_plotly_pages_draw_no_streamlit_plotly_chart(page):
    at = app_test(PAGE_FILES[page])
    assert not at.exception
    # a st.plotly_chart would bring Streamlit's own Plotly: the early copy would be a second one
    assert list(at.get("plotly_chart")) == []
    charts = [e for e in at.get("bidi_component") if e.proto.component_name in ("mpe_player", "mpe_figure")]
    assert charts  # the player or the figure component: they load the preloaded file
    data = json.loads(charts[0].proto.json)
    # AppTest runs without the app's server config: the component route (a real server: the
    # static copy, checked below)
    assert data["plotly_url"] in (f"app/static/plotly-{plotly.__version__}.min.js",
                                  "component/explorer.ui.components.plotlyjs/plotly.min.js")
    early = [h for h in at.get("html") if "data-mpe-plotly" in h.proto.body]
    assert len(early) == 1 and data["plotly_url"] in early[0].proto.body


def test_other_pages_do_not_load_plotly_early():
    at = app_test("gn_block")  # draws st.plotly_chart (Streamlit's own Plotly)
    assert not at.exception
    assert not [h for h in at.get("html") if "data-mpe-plotly" in h.proto.body]


def _get(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()


@pytest.mark.browser
def test_plotly_js_is_the_packaged_file_served_with_validators_and_not_downloaded_again(
        browser, app_url):
    if chromium() is None:
        pytest.skip("no Chromium")
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        sizes = []
        for _ in range(2):  # a first visit, then the same student reopening the page
            page = ctx.new_page()
            page.goto(app_url + "/")
            page.locator(".mpe[data-ready]").first.wait_for(state="attached", timeout=90_000)
            sizes.append(page.evaluate("""() => performance.getEntriesByType('resource')
                .filter(e => e.name.includes('/app/static/plotly-'))
                .map(e => [e.name, e.transferSize, e.decodedBodySize])"""))
            page.close()
    finally:
        ctx.close()
    (name, first, size), = sizes[0]
    assert size == PACKAGE_JS.stat().st_size and first > 0
    (_, again, _), = sizes[1]
    assert again < 10_000, "the returning visit downloaded plotly.js again"  # cache or a 304

    status, headers, body = _get(name)
    assert status == 200 and body == PACKAGE_JS.read_bytes()
    assert headers.get("etag")
    # the copy keeps the installed file's time: the browser's heuristic freshness counts from it
    from email.utils import parsedate_to_datetime

    modified = parsedate_to_datetime(headers["last-modified"]).timestamp()
    assert abs(modified - PACKAGE_JS.stat().st_mtime) < 1


@pytest.mark.parametrize("show", ["text", "chart"])
def test_bench_floor_page_is_one_element(show):
    """``bench ui`` prints every page's first picture over the floor of Streamlit alone
    (explorer/ui/bench_floor.py): that page must hold exactly the one element it names, or the
    floor would carry work of its own."""
    from streamlit.testing.v1 import AppTest

    from explorer.bench import ui

    at = AppTest.from_file(str(ui.FLOOR_APP), default_timeout=60)
    at.query_params["show"] = show
    at.run()
    assert not at.exception
    kinds = [e.type for e in at.main.children.values()]
    if show == "text":
        assert kinds == ["markdown"] and at.markdown[0].value == "A page with one line of text."
    else:
        assert kinds == ["plotly_chart"]
        fig = json.loads(at.main.children[0].proto.spec)
        assert fig["data"][0]["x"] == [1, 2, 3] and fig["data"][0]["y"] == [1, 3, 2]
