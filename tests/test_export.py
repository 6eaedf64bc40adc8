"""Exports: offline HTML with plotly.js and frames, PNG through kaleido + Chromium, the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from explorer.cli import main
from explorer.errors import ExplorerError
from explorer.viz import export_html, export_png, find_browser, trace_figure
from test_viz_traces import bp_chain_trace, gcn_trace, random_graph

ART = Path(__file__).parent / "artifacts"
BP_POS = np.array([[0, 0], [2, 0], [4, 0], [-1, 1], [1, 1], [3, 1.0]])


def _frames_in_html(text: str) -> list:
    # plotly's to_html passes the frames as the 4th argument of Plotly.newPlot / addFrames
    m = re.search(r"Plotly\.addFrames\([^,]+,\s*(\[.*?\])\);", text, flags=re.S)
    return json.loads(m.group(1)) if m else []


def test_html_is_standalone_with_plotly_js_and_frames(tmp_path):
    t = bp_chain_trace(iters=4)
    out = export_html(trace_figure(t, BP_POS, selected=1), tmp_path / "bp.html", title="BP <chain>")
    text = out.read_text(encoding="utf-8")
    assert out.stat().st_size > 3_000_000          # plotly.js itself is inlined
    assert "plotly.js v" in text or "Plotly" in text[:200_000]
    assert '<script src="https://cdn' not in text   # nothing fetched from the network
    assert "<title>BP &lt;chain&gt;</title>" in text
    frames = _frames_in_html(text)
    assert [f["name"] for f in frames] == ["0", "1", "2", "3"]


def test_png_export_missing_browser_is_a_clear_error(tmp_path, monkeypatch):
    import explorer.viz.export as ex

    monkeypatch.setattr(ex, "find_browser", lambda: None)
    with pytest.raises(ExplorerError, match="needs a Chromium or Chrome browser.*apt-get install chromium"):
        ex.export_png(trace_figure(bp_chain_trace(2), BP_POS), tmp_path / "x.png")


@pytest.mark.skipif(find_browser() is None, reason="no Chromium/Chrome found for kaleido (apt-get install chromium)")
def test_png_export_renders_figures(tmp_path):
    pytest.importorskip("kaleido")
    ART.mkdir(exist_ok=True)
    g = random_graph(1000, 2500, seed=0)
    t = gcn_trace(g, layers=3, hidden=8)
    from explorer.viz.layout import compute_layout

    for name, fig in (("bp_chain", trace_figure(bp_chain_trace(5), BP_POS, selected=1, step=2)),
                      ("gcn_1000", trace_figure(t, compute_layout(g), selected=5, step=1))):
        out = export_png(fig, ART / f"{name}.png")
        data = out.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000  # a drawn picture, not a blank


def test_cli_export_gnn_and_wl(tmp_path, capsys):
    out = tmp_path / "gcn.html"
    assert main(["export", "karate", "--algo", "gcn", "--layers", "3", "--html", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    frames = _frames_in_html(out.read_text(encoding="utf-8"))
    assert len(frames) == 3
    out = tmp_path / "wl.html"
    assert main(["export", "two_triangles", "--algo", "wl", "--html", str(out)]) == 0
    assert len(_frames_in_html(out.read_text(encoding="utf-8"))) >= 1


def test_cli_export_bad_source_is_a_clear_error(tmp_path, capsys):
    assert main(["export", "no_such_graph", "--algo", "gcn", "--html", str(tmp_path / "x.html")]) == 2
    assert "error:" in capsys.readouterr().err
    assert main(["export", "karate", "--algo", "gcn", "--layers", "0", "--html", str(tmp_path / "x.html")]) == 2
    assert "--layers must be at least 1" in capsys.readouterr().err


@pytest.mark.browser
@pytest.mark.skipif(find_browser() is None, reason="no Chromium/Chrome found (apt-get install chromium)")
def test_exported_html_plays_to_the_last_frame_offline(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    out = export_html(trace_figure(bp_chain_trace(4), BP_POS, selected=1, frame_ms=60), tmp_path / "a.html")
    exe = "/usr/lib/chromium/chromium" if Path("/usr/lib/chromium/chromium").exists() else find_browser()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 750})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.route("**/*", lambda r: r.abort() if not r.request.url.startswith("file:") else r.continue_())
            page.goto(out.as_uri())
            page.wait_for_selector(".js-plotly-plot .main-svg")
            gd = page.locator(".js-plotly-plot").element_handle()
            assert page.evaluate("gd => gd._transitionData._frames.length", gd) == 4
            page.locator(".updatemenu-button", has_text="Play").first.click()
            page.wait_for_function("gd => gd.layout.sliders[0].active === 3", arg=gd, timeout=15_000)
            assert "iteration 4" in page.evaluate("gd => gd.layout.title.text", gd)
            ART.mkdir(exist_ok=True)
            page.screenshot(path=str(ART / "export_played.png"))
            assert errors == []
        finally:
            browser.close()
