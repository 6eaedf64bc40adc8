"""``python -m explorer bench ui``: how fast the app answers and how much it sends.

Figures (never pass/fail):
  1. server time of a rerun that changes only the step, on a 1,000-node graph (AppTest; the
     engine, layout and figure are cached, so this is Streamlit plus serialising the chart);
     aim <= 100 ms;
  2. the size of the figure JSON for a 20-step animation of a 1,000-node graph; aim <= 2 MB;
  3. the time from opening a page to its first chart in Chromium (Playwright); aim <= 3 s.
``--quick`` uses a 300-node graph and skips the browser.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

__all__ = ["run"]


def _graph_file(n: int, folder: Path) -> Path:
    """A random graph with about 3 edges per node, as an edge list (seeded)."""
    import numpy as np

    rng = np.random.default_rng(0)
    m = 3 * n
    pairs = {tuple(sorted(map(int, rng.choice(n, 2, replace=False)))) for _ in range(m)}
    path = folder / f"random{n}.edgelist"
    path.write_text("".join(f"{u} {v}\n" for u, v in sorted(pairs)))
    return path


def _rerun_ms(path: Path, layers: int) -> tuple[float, float, float, int]:
    """On the neural page with an uploaded graph: (first run ms, median ms of a step change to
    a step not shown before, median ms of a step change back to one already shown, frames)."""
    from explorer.ui.testing import app_test, charts

    at = app_test("neural", query={"layers": str(layers), "hidden": "8"})
    at.file_uploader(key="nn.sample.file").upload(path.name, path.read_bytes())
    t0 = time.perf_counter()
    at.run()
    first = (time.perf_counter() - t0) * 1000
    if at.exception or at.error:
        raise RuntimeError(f"the page failed: {[e.value for e in at.error] or at.exception}")
    frames = len(charts(at)["nn.chart"].get("frames", []))

    def timed(key: str) -> float:
        at.button(key=key).click()
        t = time.perf_counter()
        at.run()
        return (time.perf_counter() - t) * 1000

    new = [timed("nn.next") for _ in range(frames - 1)]
    old = [timed("nn.back") for _ in range(frames - 1)]
    return first, statistics.median(new), statistics.median(old), frames


def _figure_bytes(n: int, steps: int) -> tuple[int, float]:
    """Bytes of the figure JSON Streamlit sends for a ``steps``-layer run on ``n`` nodes."""
    import plotly.io as pio

    from explorer import nn, viz
    from explorer.diagnostics import random_graph
    from explorer.viz.layout import compute_layout

    g = random_graph(n, 3 * n, seed=0)
    trace = nn.run_stack(g, layer="gcn", layers=steps, hidden=8, seed=0)
    pos = compute_layout(g, "auto", 0)
    t0 = time.perf_counter()
    fig = viz.trace_figure(trace, pos, selected=0)
    build = (time.perf_counter() - t0) * 1000
    return len(pio.to_json(fig, validate=False).encode()), build


def _first_chart_s(repeats: int = 3) -> float | None:
    """Median seconds from ``goto`` to a drawn chart on the Graphs page, or None without Chromium."""
    from explorer.ui.testing import chromium, serve

    exe = chromium()
    if exe is None:
        return None
    from playwright.sync_api import sync_playwright

    times = []
    with serve() as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, headless=True)
        try:
            for _ in range(repeats + 1):  # the first visit warms the server's caches
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                t0 = time.perf_counter()
                page.goto(url + "/neural?sample=karate")
                page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot .main-svg").first \
                    .wait_for(state="visible", timeout=60_000)
                times.append(time.perf_counter() - t0)
                page.close()
        finally:
            browser.close()
    return statistics.median(times[1:])


def run(quick: bool = False) -> int:
    """Print the UI figures; returns 0."""
    n = 300 if quick else 1000
    with tempfile.TemporaryDirectory() as d:
        path = _graph_file(n, Path(d))
        first, new_ms, old_ms, frames = _rerun_ms(path, layers=4 if quick else 20)
    print(f"step-only rerun, neural page, {n}-node upload, {frames} frames (aim <= 100 ms): "
          f"median {new_ms:.0f} ms to a step not shown yet, "
          f"{old_ms:.0f} ms back to a shown one; first run {first:.0f} ms; no engine reruns")
    size, build = _figure_bytes(n, 20)
    print(f"figure JSON, 20-step animation of {n} nodes: {size / 1e6:.2f} MB "
          f"(built in {build:.0f} ms; aim <= 2 MB)")
    if quick:
        print("time to first chart in the browser: skipped (--quick)")
        return 0
    s = _first_chart_s()
    if s is None:
        print("time to first chart in the browser: skipped (no Chromium found)")
    else:
        print(f"time to first chart in Chromium (warm server, karate): median {s:.2f} s "
              "(aim <= 3 s)")
    return 0
