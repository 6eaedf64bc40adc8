"""``python -m explorer bench ui``: how fast the app answers in a real browser, and what it sends.

Figures (never pass/fail), all from one app server and one Chromium (Playwright), in one run:
  0. baseline: an empty rerun — "Reset to defaults" on the Upload page (a page with no chart),
     from the click until the app is idle again;
  1. Next -> chart updated and Next -> panel updated (ms) on karate and on a 1,000-node graph
     (the player's Next button; the chart animates in the browser, the panel's fragment reruns);
     aims <= 150 ms (karate) and <= 300 ms (1,000 nodes); then node click -> chart (the ring and
     the node's incoming edges and messages, drawn in the browser) and click -> panel (the
     fragment explains the new node), through the chart's click handler (``P.select``);
  2. first chart of every page, the 10x10 Ising model included, at 1280x720, two figures each,
     in seconds from the navigation on the page's own clock: until the first picture of a graph
     (the frame that paints a static preview, the player's or the figure component's, drawn
     from the figure JSON before plotly.js is ready, or a Plotly chart, whichever comes first)
     and until the first interactive chart (a Plotly chart, the player's, a figure component's
     or a ``st.plotly_chart``, has drawn); aims <= 5 s cold, <= 2 s warm, read against the
     first picture (what a student sees; the interactive figure is printed beside it). The page's clock, not Playwright's wait: a
     preview is seen while plotly.js then holds the main thread, where Playwright's check cannot
     run, and it is gone when that ends. Three columns: "cold" (a first visit right after the
     server started: its caches are empty), "first visit" (a new browser context, so no HTTP
     cache: a student opening the page for the first time, the server's caches warm) and
     "returning" (a second visit in that same context, with the browser's cache: a student
     reopening the page). Above them, the floor: Streamlit alone (:mod:`explorer.ui.bench_floor`
     on its own server with the app's settings, the same browser and clock; medians of three),
     a page of one line of text and a page of one ``st.plotly_chart``; each page's row ends with
     its picture over the one-line floor (first visit/return): the part its own script and
     elements cost, which a slower or busier machine inflates less than the raw seconds.
     Then the phases of the warm first visit, in ms from ``goto``, read
     inside the page: the HTML in, the websocket open (Streamlit's JS loaded and running), the
     page script's run (start and end), the first chart element mounted, the first chart drawn;
     then the player's own marks (player.js): its element mounted, its preview painted, Plotly
     ready to it (its plotly.min.js loaded and run, or Streamlit's copy, which a st.plotly_chart
     on the page has put on ``window``), its figure drawn, and the player ready (frames added,
     the step shown);
  3. the size of the figure JSON of a 20-step animation of a 1,000-node graph, and of what the
     browser needs to select nodes itself (both sent once per page run, never per step);
     aim <= 2 MB together.
Times are measured inside the page (performance.now) and printed with their ratio to the
baseline, so a busy machine shows as a slow baseline rather than as a slow player. Every wait
has a timeout: a figure that did not come prints "timeout" (or why), never a hang.
``--quick`` skips the cold pass (so its "first visit" row is the server's first, with cold caches)
and the 1,000-node graph.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

__all__ = ["run", "PAGES"]

#: (label, url path) of every page's first chart, the Ising grid included
PAGES = [("home", "/"), ("graphs", "/graphs?sample=karate"), ("variable elimination",
         "/variable_elimination"), ("belief propagation (asia)", "/belief_propagation"),
         ("belief propagation (10x10 Ising)", "/belief_propagation?sample=ising10"),
         ("neural (karate, GCN)", "/neural"), ("matrix", "/matrix"),
         ("expressiveness", "/expressiveness"), ("over-smoothing", "/oversmoothing?depth=8"),
         ("clique tree", "/clique_tree"), ("graph-network block", "/gn_block"),
         ("readout", "/readout"), ("aggregators", "/aggregators")]
#: a chart is drawn: a Plotly chart or the player's figure
DRAWN = ".js-plotly-plot .main-svg"
#: the player's static preview (player.js ``drawPreview``), drawn before plotly.js is ready
PREVIEW = ".mpe-preview svg"
FAILED = "[data-testid='stException'], [data-testid='stAlertContentError']"
#: the floor's page (see :func:`floor`) and its line of text
FLOOR_APP = Path(__file__).resolve().parents[1] / "ui" / "bench_floor.py"
FLOOR_TEXT = "[data-testid='stMarkdownContainer']"
IDLE = """() => { const a = document.querySelector("[data-testid='stApp']");
                  return a && a.dataset.testScriptState === 'notRunning'; }"""
PANEL_STEP = """() => { const p = [...document.querySelectorAll("[data-testid='stMarkdownContainer'] p")]
                        .find(p => /^Step \\d+ of \\d+/.test(p.innerText));
                        return p ? Number(p.innerText.match(/^Step (\\d+)/)[1]) : null; }"""
#: the panel's formula (in the column of the "Step k of N" line)
PANEL_FORMULA = """() => { const p = [...document.querySelectorAll("[data-testid='stMarkdownContainer'] p")]
                           .find(p => /^Step \\d+ of \\d+/.test(p.innerText));
                           const col = p && p.closest("[data-testid='stColumn']");
                           const k = col && col.querySelector('.katex');
                           return k ? k.innerText : null; }"""
#: click Next in the page; resolve [chart ms, step line ms, panel ms] (chart: Plotly's animated
#: event; step line: the panel's "Step k of N" shows the new step; panel: that line and the
#: node's formula both show the new step — the formula is redrawn after the line, as a later
#: element; where a step leaves the formula's text unchanged, the step line's time after 1 s)
NEXT = """async () => {
  const box = document.querySelector('.mpe'), gd = box.querySelector('.mpe-plot');
  const want = Number(box.dataset.step) + 2;   // the panel counts from 1
  const panelStep = %s;
  const formula = %s;
  const f0 = formula();
  const t0 = performance.now();
  const late = new Promise(res => setTimeout(() => res(null), 15000));  // a figure, never a hang
  const chart = new Promise(res => gd.once('plotly_animated', () => res(performance.now() - t0)));
  box.querySelector('.mpe-next').click();
  let line = null;
  const panel = new Promise(res => { const poll = () => {
      const now = performance.now() - t0;
      if (line === null && panelStep() === want) line = now;
      if (line !== null && (f0 === null || formula() !== f0)) return res([line, now]);
      if (line !== null && now - line > 1000) return res([line, line]);
      requestAnimationFrame(poll); }; poll(); });
  const p = await Promise.race([panel, late]);
  return [await Promise.race([chart, late]), p && p[0], p && p[1]];
}""" % (PANEL_STEP, PANEL_FORMULA)

#: select the next node as a click on it does (the chart's click handler calls P.select);
#: resolve [chart ms, panel ms] (chart: Plotly's animated event; panel: its formula changed)
NODE = """async () => {
  const P = Object.values(window.__mpe.players).find(p => p.ui.box.isConnected && p.S);
  const formula = %s;
  const before = formula();
  const t0 = performance.now();
  const late = new Promise(res => setTimeout(() => res(null), 15000));  // a figure, never a hang
  const chart = new Promise(res => P.gd.once('plotly_animated', () => res(performance.now() - t0)));
  P.select(P.sel + 1);
  const panel = new Promise(res => { const poll = () => formula() !== before ?
      res(performance.now() - t0) : requestAnimationFrame(poll); poll(); });
  return [await Promise.race([chart, late]), await Promise.race([panel, late])];
}""" % PANEL_FORMULA
#: counts the script runs the page saw end (the app's script state leaving "running", read from
#: each attribute change's old value, so a run that starts and ends between two observer
#: callbacks is still counted)
RUNS = r"""
(() => {
  window.__mpeRuns = 0;
  const hook = () => {
    const app = document.querySelector("[data-testid='stApp']");
    if (!app) return false;
    new MutationObserver((records) => {
      for (const r of records) if (r.oldValue === 'running') window.__mpeRuns++;
    }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state'], attributeOldValue: true});
    return true;
  };
  const wait = new MutationObserver(() => { if (hook()) wait.disconnect(); });
  document.addEventListener('DOMContentLoaded', () => { if (!hook()) wait.observe(document.body, {childList: true, subtree: true}); });
})();
"""
#: click Reset on a page without a chart; resolve ms until a run started (the state was seen
#: "running", or the run counter moved) and the app is idle again; null after 15 s (a timeout)
EMPTY = """async () => {
  const app = document.querySelector("[data-testid='stApp']");
  const btn = [...document.querySelectorAll('button')].find(b => b.innerText.includes('Reset to defaults'));
  if (!app || !btn) return null;
  const runs0 = window.__mpeRuns || 0;
  const t0 = performance.now();
  return await new Promise(res => {
    let ran = false, obs = null, timer = null;
    const done = (v) => { if (obs) obs.disconnect(); clearTimeout(timer); res(v); };
    const look = (records) => {
      for (const r of records || []) if (r.oldValue === 'running') ran = true;
      const s = app.dataset.testScriptState;
      if (s === 'running' || (window.__mpeRuns || 0) > runs0) ran = true;
      if (ran && s === 'notRunning') done(performance.now() - t0);
    };
    obs = new MutationObserver(look);
    obs.observe(app, {attributes: true, attributeFilter: ['data-test-script-state'], attributeOldValue: true});
    timer = setTimeout(() => { look([]); done(null); }, 15000);
    btn.click();
  });
}"""


def _graph_file(n: int, folder: Path) -> Path:
    """A random connected-ish graph with about 3 edges per node, as an edge list (seeded)."""
    import numpy as np

    rng = np.random.default_rng(0)
    pairs = {tuple(sorted(map(int, rng.choice(n, 2, replace=False)))) for _ in range(3 * n)}
    pairs |= {(i, i + 1) for i in range(n - 1)}
    path = folder / f"random{n}.edgelist"
    path.write_text("".join(f"{u} {v}\n" for u, v in sorted(pairs)))
    return path


def _figure_bytes(n: int, steps: int) -> tuple[int, int, float]:
    """Bytes of the player's figure JSON and of its selection payload for a ``steps``-layer
    run on ``n`` nodes, and the ms to build and encode them."""
    from explorer import nn, viz
    from explorer.diagnostics import random_graph
    from explorer.viz.layout import compute_layout

    g = random_graph(n, 3 * n, seed=0)
    trace = nn.run_stack(g, layer="gcn", layers=steps, hidden=8, seed=0)
    pos = compute_layout(g, "auto", 0)
    t0 = time.perf_counter()
    fig = viz.trace_figure(trace, pos, selectable=True)
    from explorer.ui.player import figure_json, select_json

    text, select = figure_json(fig)[0], select_json(fig)
    return len(text.encode()), len(select.encode()), (time.perf_counter() - t0) * 1000


#: in-page marks (performance.now(), ms from the navigation) of a first chart's phases
MARKS = r"""
(() => {
  const T = window.__mpeBench = {};
  const mark = (k) => { if (!(k in T)) T[k] = performance.now(); };
  let text = false;
  const WS = window.WebSocket;
  window.WebSocket = class extends WS { constructor(...a) { super(...a);
    this.addEventListener('open', () => mark('ws_open')); } };
  const look = () => {
    const app = document.querySelector("[data-testid='stApp']");
    const state = app && app.dataset.testScriptState;
    if (state === 'running') mark('run_start');
    if (state === 'notRunning' && T.run_start !== undefined) mark('run_end');
    if (document.querySelector(".mpe, .mpe-figure, [data-testid='stPlotlyChart']")) mark('chart_el');
    if (document.querySelector('.js-plotly-plot .main-svg')) mark('drawn');
    if (document.querySelector('.mpe[data-ready]')) mark('player');
    if (!text && document.querySelector("[data-testid='stMarkdownContainer']")) {
      text = true; requestAnimationFrame(() => mark('text')); }  // the frame that paints it
  };
  new MutationObserver(look).observe(document, {subtree: true, childList: true, attributes: true});
})();
"""
#: (key, column title) of the phases printed for the warm first visit
PHASES = [("html", "html"), ("ws_open", "ws open"), ("run_start", "run"), ("run_end", "run end"),
          ("chart_el", "chart el"), ("drawn", "drawn"), ("mpe:mount", "player el"),
          ("mpe:painted", "preview"), ("mpe:plotly", "Plotly"),
          ("mpe:drawn", "pl drawn"), ("player", "pl ready")]


def _visit(context, url: str, path: str) -> tuple[tuple[float | str, float | str], dict[str, float]]:
    """Seconds from ``goto`` to the first picture (the player's preview or a drawn chart) and
    to the first drawn Plotly chart in a new page of ``context`` (or why there was none), and
    the page's phase marks (ms from the navigation)."""
    page = context.new_page()
    try:
        t0 = time.perf_counter()
        page.goto(url + path)
        page.locator(f"{PREVIEW}, {DRAWN}, {FAILED}").first.wait_for(state="visible",
                                                                     timeout=120_000)
        picture = time.perf_counter() - t0
        if page.locator(FAILED).count():
            return ("page error", "page error"), {}
        try:
            page.locator(f"{DRAWN}, {FAILED}").first.wait_for(state="visible", timeout=120_000)
        except Exception as e:  # noqa: BLE001 - a picture but no chart: say so
            return (picture, f"no chart ({type(e).__name__})"), {}
        took = time.perf_counter() - t0
        if page.locator(FAILED).count():
            return (picture, "page error"), {}
        try:  # the player, where the page has one, may draw after a st.plotly_chart
            page.locator(".mpe[data-ready]").first.wait_for(state="attached", timeout=5_000)
        except Exception:  # noqa: BLE001 - a page without a player
            pass
        marks = page.evaluate("""() => { const at = (n) => { const e = performance.getEntriesByName(n);
            return e.length ? {[n]: e[0].startTime} : {}; };
            return Object.assign({html: performance.getEntriesByType('navigation')[0].responseEnd},
                                 window.__mpeBench || {}, at('mpe:mount'), at('mpe:preview'),
                                 at('mpe:painted'), at('mpe:plotly'), at('mpe:drawn')); }""")
        # the page's own clock (ms from the navigation): the picture is the frame that painted
        # the preview, or the first Plotly chart; Playwright's own wait cannot see a preview
        # while plotly.js holds the main thread, and it is gone by then
        first = [marks[k] for k in ("mpe:painted", "drawn") if k in marks]
        if first and "drawn" in marks:
            return (min(first) / 1000, marks["drawn"] / 1000), marks
        return (picture, took), marks
    except Exception as e:  # noqa: BLE001 - a figure, not a test: report and go on
        return (f"no chart ({type(e).__name__})",) * 2, {}
    finally:
        page.close()


def _context(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    ctx.add_init_script(MARKS)
    return ctx


def _floor_visit(context, url: str, selector: str, key: str) -> float:
    """Seconds from the navigation (the page's clock) to mark ``key`` in a new page of
    ``context`` (nan when it did not come within a minute)."""
    page = context.new_page()
    try:
        page.goto(url)
        page.locator(selector).first.wait_for(state="visible", timeout=60_000)
        page.wait_for_function(f"() => window.__mpeBench && '{key}' in window.__mpeBench",
                               timeout=60_000)
        return page.evaluate(f"() => window.__mpeBench['{key}']") / 1000
    except Exception:  # noqa: BLE001 - a figure, not a test
        return float("nan")
    finally:
        page.close()


def floor(browser, folder: Path, visits: int = 3) -> dict[str, tuple[float, float]]:
    """The smallest Streamlit pages (:mod:`explorer.ui.bench_floor`) on their own server with
    the app's settings, the same browser and the same clock: seconds to the painted line of text
    and to the drawn ``st.plotly_chart``, first visit and return, medians of ``visits`` each (after
    one visit that warms the server)."""
    from explorer.ui.testing import serve

    out = {}
    with serve(folder / "floor.log", app=FLOOR_APP) as url:
        ctx = _context(browser)
        _floor_visit(ctx, url + "/?show=text", FLOOR_TEXT, "text")
        ctx.close()
        for show, selector, key in (("text", FLOOR_TEXT, "text"), ("chart", DRAWN, "drawn")):
            first, again = [], []
            for _ in range(visits):
                ctx = _context(browser)
                first.append(_floor_visit(ctx, f"{url}/?show={show}", selector, key))
                again.append(_floor_visit(ctx, f"{url}/?show={show}", selector, key))
                ctx.close()
            out[show] = (statistics.median(first), statistics.median(again))
    return out


def first_charts(browser, url: str, cold: bool = True,
                 base: dict[str, tuple[float, float]] | None = None) -> None:
    """Print the first chart of every page: cold, first visit and returning visitor (seconds to
    the first picture / to the first interactive chart), then the phases of the first visit
    (ms from ``goto``). ``base``: the :func:`floor` figures, printed first, with each page's
    picture over the one-line floor."""
    rows: dict[str, list] = {label: [] for label, _ in PAGES}
    phases = {}
    if cold:
        for label, path in PAGES:
            ctx = _context(browser)
            rows[label].append(_visit(ctx, url, path)[0])
            ctx.close()
    for label, path in PAGES:
        ctx = _context(browser)  # a new context: no HTTP cache, a first-time visitor
        took, phases[label] = _visit(ctx, url, path)
        again, _ = _visit(ctx, url, path)  # the same context: the browser's cache, a return
        rows[label] += [took, again]
        ctx.close()
    print("first chart per page (s from the navigation, the page's clock): picture (the frame "
          "that painted the player's preview, or a Plotly chart, whichever first) / interactive "
          "(a Plotly chart drawn)")
    print("  aims <= 5 s cold, <= 2 s warm (first visit, return), read against the picture")
    print(f"  {'':<32} {'cold':>13} {'first visit':>13} {'return':>13} {'over floor':>13}")
    text = (base or {}).get("text")
    if base:
        print(f"  {'floor: one line of text':<32} {'-':>13} {_pair((text[0], text[0]))} "
              f"{_pair((text[1], text[1]))}   (Streamlit alone, medians; picture = text)")
        chart = base["chart"]
        print(f"  {'floor: one st.plotly_chart':<32} {'-':>13} {_pair((chart[0], chart[0]))} "
              f"{_pair((chart[1], chart[1]))}   (Streamlit alone, medians)")
    for label, _ in PAGES:
        vals = ([None] if not cold else []) + rows[label]
        over = ""
        first, again = rows[label][-2][0], rows[label][-1][0]
        if text and not isinstance(first, str) and not isinstance(again, str):
            over = f"{first - text[0]:+6.2f}/{again - text[1]:<+6.2f}"
        print(f"  {label:<32} {' '.join(_pair(v) for v in vals)} {over:>13}", flush=True)
    print("phases of the first visit (ms from goto): " + ", ".join(t for _, t in PHASES))
    print(f"  {'':<32} " + " ".join(f"{t:>9}" for _, t in PHASES))
    for label, _ in PAGES:
        m = phases[label]
        print(f"  {label:<32} " + " ".join(f"{m[k]:9.0f}" if k in m else f"{'-':>9}"
                                           for k, _ in PHASES), flush=True)


def _pair(v: tuple | None) -> str:
    """``picture/interactive`` seconds of one visit, 13 characters wide."""
    if v is None:
        return f"{'-':>13}"
    a, b = v
    if isinstance(a, str):
        return f"{a[:13]:>13}"
    return f"{a:6.2f}/{b:<6.2f}" if not isinstance(b, str) else f"{a:6.2f}/{b[:6]:<6}"


def _nodes(page, repeats: int) -> tuple[list[float], list[float]]:
    """Node click -> chart and -> panel (ms); a side that did not answer in 15 s is left out
    and reported."""
    chart, panel, lost = [], [], 0
    for _ in range(repeats):
        c, p = page.evaluate(NODE)
        lost += (c is None) + (p is None)
        chart += [c] if c is not None else []
        panel += [p] if p is not None else []
        page.wait_for_function(IDLE, timeout=60_000)
    if lost:
        print(f"  ({lost} node-click measurements did not answer within 15 s)")
    return chart or [float("nan")], panel or [float("nan")]


def _steps(page, repeats: int) -> tuple[list[float], list[float], list[float]]:
    page.locator(".mpe[data-ready]").first.wait_for(state="attached", timeout=180_000)
    page.wait_for_function(IDLE, timeout=60_000)
    page.wait_for_function(f"() => ({PANEL_STEP})() === 1", timeout=60_000)
    chart, line, panel, lost = [], [], [], 0
    for _ in range(repeats):
        c, k, p = page.evaluate(NEXT)
        lost += (c is None) + (p is None)
        chart += [c] if c is not None else []
        line += [k] if k is not None else []
        panel += [p] if p is not None else []
        page.wait_for_function(IDLE, timeout=60_000)
    if lost:
        print(f"  ({lost} Next measurements did not answer within 15 s: timeout)")
    return chart or [float("nan")], line or [float("nan")], panel or [float("nan")]


def _browser_figures(quick: bool, folder: Path) -> list[str]:
    from explorer.ui.testing import chromium, serve

    exe = chromium()
    if exe is None:
        return ["browser figures: skipped (no Chromium found; install Debian's chromium)"]
    from playwright.sync_api import sync_playwright

    lines = []
    repeats = 3 if quick else 5
    with serve(folder / "server.log") as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, headless=True)
        try:
            floors = floor(browser, folder)
            first_charts(browser, url, cold=not quick, base=floors)
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.add_init_script(RUNS)
            page.goto(url + "/upload")
            page.get_by_text("Reset to defaults").first.wait_for(timeout=60_000)
            page.wait_for_function(IDLE, timeout=60_000)
            empties = []
            for _ in range(repeats):
                empties.append(page.evaluate(EMPTY))
                page.wait_for_function(IDLE, timeout=60_000)
            done = [v for v in empties if v is not None]
            base = statistics.median(done) if done else float("nan")
            lost = len(empties) - len(done)
            print(f"baseline: empty rerun (Reset on the Upload page) "
                  + (f"{base:.0f} ms" if done else "timeout")
                  + (f" ({lost} of {len(empties)}: timeout after 15 s)" if lost else ""), flush=True)
            page.goto(url + "/neural?sample=karate&layers=8")
            c, k, p = _steps(page, repeats)
            print(_step_line("karate (34 nodes), 8 layers", c, p, base, 150, line=k), flush=True)
            c, p = _nodes(page, repeats)
            print(_step_line("karate (34 nodes), 8 layers", c, p, base, None, "Node click"),
                  flush=True)
            if not quick:
                page.goto(url + "/neural?layers=8")
                page.locator(".mpe[data-ready]").first.wait_for(state="attached", timeout=180_000)
                f = _graph_file(1000, folder)
                page.locator("[data-testid='stFileUploaderDropzoneInput']").first.set_input_files(str(f))
                page.wait_for_function("""() => { const gd = document.querySelector('.mpe-plot');
                    const t = gd && gd._fullData && gd._fullData.find(t => t.name === 'nodes');
                    return t && t._length === 1000 && document.querySelector('.mpe[data-ready]'); }""",
                                       timeout=300_000)
                c, k, p = _steps(page, repeats)
                print(_step_line("1,000 nodes, 8 layers", c, p, base, 300, line=k), flush=True)
                c, p = _nodes(page, repeats)
                print(_step_line("1,000 nodes, 8 layers", c, p, base, None, "Node click"),
                      flush=True)
            page.close()
        finally:
            browser.close()
    return lines


def _step_line(what: str, chart: list[float], panel: list[float], base: float, aim: int | None,
               action: str = "Next", line: list[float] | None = None) -> str:
    c, p = statistics.median(chart), statistics.median(panel)
    goal = f"aim <= {aim} ms; " if aim else ""
    first = f" (its step line {statistics.median(line):.0f} ms)" if line else ""
    return (f"{action} on {what}: chart {c:.0f} ms, panel {p:.0f} ms{first} (median of {len(chart)}; "
            f"{goal}" + (f"{p / base:.1f}x the empty rerun)" if base > 0 else "no baseline)"))


def run(quick: bool = False) -> int:
    """Print the UI figures; returns 0."""
    n = 300 if quick else 1000
    size, select, build = _figure_bytes(n, 20)
    print(f"figure JSON, 20-step animation of {n} nodes: {size / 1e6:.2f} MB + {select / 1e6:.2f} MB "
          f"to select nodes in the browser, sent once per page run, never per step (built and "
          f"encoded in {build:.0f} ms; aim <= 2 MB)")
    with tempfile.TemporaryDirectory() as d:
        for line in _browser_figures(quick, Path(d)):
            print(line)
    return 0
