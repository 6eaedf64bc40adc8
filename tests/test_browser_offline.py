"""The app needs nothing from the internet: a classroom without a connection gets every icon,
font and script from the app server (Streamlit's bundle, plotly.min.js from the plotly package,
the favicon from explorer/ui/assets). A request to any other host is a failure here, named."""

from urllib.parse import urlparse

import pytest

from explorer.ui.testing import chromium

pytestmark = pytest.mark.browser

if chromium() is None:
    pytest.skip("no Chromium found at /usr/bin/chromium (install Debian's `chromium` package, "
                "e.g. `make browser`, or set $CHROMIUM)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


def test_pages_request_nothing_outside_the_app(browser, app_url):
    here = urlparse(app_url).hostname
    outside: list[str] = []
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        page = ctx.new_page()
        page.on("request", lambda r: outside.append(r.url) if urlparse(r.url).hostname not in (here, None)
                and urlparse(r.url).scheme in ("http", "https", "ws", "wss") else None)
        for path in ("", "/neural?sample=karate", "/graphs?sample=karate"):
            page.goto(app_url + path)
            # the player or a Plotly chart has drawn, and the page has stopped loading
            page.wait_for_selector(".mpe[data-ready], .js-plotly-plot .main-svg", timeout=90_000)
            page.wait_for_load_state("networkidle")
        favicon = page.evaluate("() => document.querySelector('link[rel~=icon]')?.href || null")
    finally:
        ctx.close()
    assert outside == [], f"requests left the app server (fails offline): {outside}"
    assert favicon is not None and urlparse(favicon).hostname == here, favicon
