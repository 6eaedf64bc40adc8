"""Helpers shared by the app's tests and ``python -m explorer bench ui``.

    app_test(page)        an AppTest of app.py opened on one page
    figure_json(element)  the Plotly figure JSON Streamlit sent for a chart element
    charts(at)            every chart of a run, as figure JSON
    serve()               a real ``streamlit run app.py`` on a free port (context manager)
    chromium()            the path of a usable Chromium, or None
    held_plotly(browser)  a page whose plotly.min.js waits until released (to see a preview)
    preview_js(root), plotly_nodes_js(plot), preview_in_data(pre), css_rgb(text)
                          read a static preview's node circles, Plotly's drawn nodes, and colours
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator

__all__ = ["ROOT", "APP", "app_test", "figure_json", "charts", "player_data", "array", "trace_named", "serve", "ServerURL", "chromium", "free_port",
           "held_plotly", "HeldPage", "preview_js", "plotly_nodes_js", "preview_in_data", "css_rgb"]

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"
PAGES = "explorer/ui/pages"


def app_test(page: str | None = None, *, query: dict[str, str] | None = None,
             timeout: float = 60) -> Any:
    """An AppTest of ``app.py``, run once, then switched to ``page`` (e.g. ``"graphs"``) and run.

    Args:
        page: the page file's stem in explorer/ui/pages/ (None: the home page).
        query: query parameters to open the page with (a shared link).
    """
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=timeout)
    at.query_params.update(query or {})  # a link opened fresh: global settings apply at once
    if page is None:
        return at.run()
    at.run()
    at.switch_page(f"{PAGES}/{page}.py")
    at.query_params.clear()
    at.query_params.update(query or {})
    return at.run()


def figure_json(element: Any) -> dict[str, Any]:
    """The figure (data, layout, frames) of a ``plotly_chart`` element of an AppTest run.

    Streamlit keeps it in an internal protobuf field; this is the one place that reads it.
    """
    return json.loads(element.proto.spec)


def charts(at: Any) -> dict[str, dict[str, Any]]:
    """Every Plotly chart of the last run as ``{key or index: figure JSON}``: the
    ``st.plotly_chart`` elements and the ``figure`` components (explorer/ui/components), whose
    figure JSON carries the Streamlit theme merged into its template (as the browser draws it)."""
    out = {}
    for i, el in enumerate(at.get("plotly_chart")):
        key = getattr(el.proto, "id", "") or str(i)
        out[_chart_key(key) or str(i)] = figure_json(el)
    for i, el in enumerate(at.get("bidi_component")):
        if el.proto.component_name != "mpe_figure":
            continue
        key = _chart_key(getattr(el.proto, "id", "") or "") or f"figure{i}"
        out[key] = json.loads(json.loads(el.proto.json)["fig"])
    return out


def player_data(at: Any) -> dict[str, Any]:
    """What an AppTest page handed the player's chart component: its data, with the figure JSON
    parsed (``["figure"]``). The player is a custom component, not a plotly_chart; its data
    travels as JSON in the element's proto. Exactly one player must be on the page."""
    import json

    els = [e for e in at.get("bidi_component") if e.proto.component_name == "mpe_player"]
    assert len(els) == 1, f"expected one player, found {len(els)}"
    data = json.loads(els[0].proto.json)
    data["figure"] = json.loads(data.pop("fig"))
    return data


def array(obj: Any) -> list:
    """A figure JSON array as a list: plain lists pass through; Plotly's typed arrays
    (``{"dtype": "f8", "bdata": <base64>, "shape": "2, 3"}``) are decoded."""
    if isinstance(obj, dict) and "bdata" in obj:
        import base64

        import numpy as np

        a = np.frombuffer(base64.b64decode(obj["bdata"]), dtype=np.dtype(obj["dtype"]))
        if obj.get("shape"):
            a = a.reshape([int(v) for v in str(obj["shape"]).split(",")])
        return a.tolist()
    return list(obj) if obj is not None else []


def trace_named(fig: dict[str, Any], name: str) -> dict[str, Any]:
    """The first trace of ``fig`` called ``name`` (KeyError listing the names when absent)."""
    for d in fig["data"]:
        if d.get("name") == name:
            return d
    raise KeyError(f"no trace named {name!r}; found {[d.get('name') for d in fig['data']]}")


def _chart_key(element_id: str) -> str:
    # Streamlit ids embed the user key as "...-<key>" after "$$ID-<hash>-"
    return element_id.split("-", 2)[-1] if element_id.startswith("$$ID") else element_id


def chromium() -> str | None:
    """A Chromium binary to drive with Playwright (``$CHROMIUM`` wins), or None.

    ``CHROMIUM=none`` behaves as a machine without one (the browser tests skip with the reason;
    ``tests/test_setup.py`` uses it to check that they do)."""
    if os.environ.get("CHROMIUM", "").strip().lower() == "none":
        return None
    for cand in (os.environ.get("CHROMIUM"), "/usr/lib/chromium/chromium", "/usr/bin/chromium",
                 shutil.which("chromium")):
        if cand and Path(cand).is_file() and os.access(cand, os.X_OK):
            return cand
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerURL(str):
    """The base URL of a server started by :func:`serve`; ``.pid`` is its process id."""

    pid: int


@contextlib.contextmanager
def serve(log_path: Path | None = None, ready_s: float = 60,
          extra: list[str] | None = None, app: Path | None = None) -> Iterator[ServerURL]:
    """Run the app with ``streamlit run`` on a free port; yield its base URL (a ``str`` with
    the server's ``pid``); always stop it. ``extra``: more ``streamlit run`` options; ``app``:
    another script than app.py (a test's one-page app).

    Raises:
        RuntimeError: the server exited or did not answer its health check in ``ready_s``
            seconds (the message includes the end of its log).
    """
    port = free_port()
    log_path = log_path or Path(os.environ.get("TMPDIR", "/tmp")) / f"explorer-app-{port}.log"
    cmd = [sys.executable, "-m", "streamlit", "run", str(app or APP), "--server.headless", "true",
           "--server.address", "127.0.0.1", "--server.port", str(port),
           "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false",
           *(extra or [])]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            url = ServerURL(f"http://127.0.0.1:{port}")
            url.pid = proc.pid
            deadline = time.monotonic() + ready_s
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"the app server exited ({proc.returncode}):\n"
                                       + log_path.read_text(errors="replace")[-2000:])
                try:
                    with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("the app server did not become healthy:\n"
                                       + log_path.read_text(errors="replace")[-2000:])
                time.sleep(0.2)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


# ---------------------------------------------------------------------- protocol client
def _small(text: str) -> dict:
    """A component's JSON data without its long strings (a figure's JSON text)."""
    import json

    try:
        data = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if not (isinstance(v, str) and len(v) > 200)}


class Session:
    """One browser session spoken over Streamlit's websocket protocol, without a browser
    (``python -m explorer bench serve``): it opens a page with a query string, presses buttons,
    sets number inputs and sends a custom component's trigger (what the player's components
    send when the browser steps: :meth:`trigger`) by key, and after every action knows the
    session's URL query and whether the run showed an error. Async (``websockets``); one per
    simulated visitor.

    Like the browser, it sends the current query string and the changed widget with each rerun;
    unlike it, it keeps no widget values of its own, so what the server holds is what it reports.
    """

    def __init__(self, base_url: str) -> None:
        self.ws_url = base_url.replace("http://", "ws://") + "/_stcore/stream"
        self.ws: Any = None
        self.page = ""
        self.query = ""
        self.widgets: dict[str, str] = {}  # user key -> widget id
        self.disabled: set[str] = set()  # user keys of widgets drawn disabled in the last run
        self.fragments: dict[str, str] = {}  # user key -> id of the fragment drawing it
        self.data: dict[str, dict] = {}  # user key -> a custom component's data (small values)
        self.errors: list[str] = []
        self.tracebacks: list[str] = []  # the stack traces of exception boxes, in order

    async def __aenter__(self) -> "Session":
        import websockets

        self.ws = await websockets.connect(self.ws_url, subprotocols=["streamlit"],
                                           max_size=None, open_timeout=120)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.ws.close()

    async def _rerun(self, widget: Any = None, timeout: float = 300, fragment: str = "") -> float:
        """Send a rerun (with one changed widget state; of one fragment only when ``fragment``
        is a fragment id, as the browser does for a widget inside ``st.fragment``) and wait for
        the run to finish; return its wall time in seconds."""
        import asyncio

        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = BackMsg()
        msg.rerun_script.query_string = self.query
        msg.rerun_script.page_name = self.page
        msg.rerun_script.fragment_id = fragment
        if widget is not None:
            msg.rerun_script.widget_states.widgets.append(widget)
        start = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        while True:
            raw = await asyncio.wait_for(self.ws.recv(), timeout)
            fm = ForwardMsg()
            fm.ParseFromString(raw)
            kind = fm.WhichOneof("type")
            if kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                self._element(fm.delta.new_element, fm.delta.fragment_id)
            elif kind == "page_info_changed":
                self.query = fm.page_info_changed.query_string
            elif kind == "script_finished":
                if fm.script_finished in (ForwardMsg.FINISHED_SUCCESSFULLY,
                                          ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
                                          ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY):
                    return time.perf_counter() - start

    def _element(self, el: Any, fragment: str = "") -> None:
        kind = el.WhichOneof("type")
        if kind == "exception":
            self.errors.append(f"exception {el.exception.type}: {el.exception.message[:200]}")
            self.tracebacks.append("\n".join(el.exception.stack_trace))
        elif kind == "alert" and el.alert.format == 1:  # ERROR
            self.errors.append(f"error: {el.alert.body[:200]}")
        elif kind is not None:
            proto = getattr(el, kind)
            wid = getattr(proto, "id", "")
            if isinstance(wid, str) and wid.startswith("$$ID-"):
                key = wid.split("-", 2)[-1]
                self.widgets[key] = wid
                self.fragments[key] = fragment
                if kind == "bidi_component" and proto.json:
                    self.data[key] = _small(proto.json)
                if getattr(proto, "disabled", False):
                    self.disabled.add(key)
                else:
                    self.disabled.discard(key)

    async def open(self, page: str, query: str = "") -> float:
        """Open ``page`` (a page file's stem, "" for home) with ``query``; seconds taken."""
        self.page, self.query, self.errors = page, query, []
        return await self._rerun()

    async def click(self, key: str) -> float:
        """Press the button with user key ``key``; seconds until its run finished."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        self.errors = []
        return await self._rerun(WidgetState(id=self.widgets[key], trigger_value=True))

    async def set_int(self, key: str, value: int) -> float:
        """Set the number input with user key ``key``; seconds until its run finished."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        self.errors = []
        return await self._rerun(WidgetState(id=self.widgets[key], int_value=int(value)))

    async def trigger(self, key: str, event: str, value: Any) -> float:
        """Send what a custom component (v2) with user key ``key`` sends when its JavaScript
        calls ``setTriggerValue(event, value)``: the component's trigger state, rerunning only
        its fragment when it lives in one. Seconds until that run finished."""
        import json

        from streamlit.components.v2.bidi_component.main import _make_trigger_id
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        self.errors = []
        state = WidgetState(id=_make_trigger_id(self.widgets[key], "events"),
                            json_trigger_value=json.dumps([{"event": event, "value": value}]))
        return await self._rerun(state, fragment=self.fragments.get(key, ""))

    def params(self) -> dict[str, str]:
        """The session's URL query as a dict."""
        from urllib.parse import parse_qsl

        return dict(parse_qsl(self.query, keep_blank_values=True))


# ------------------------------------------------------------------ static previews (browser)
PLOTLY_ROUTE = "**/plotly*.min.js"


class HeldPage:
    """A Playwright page whose plotly.min.js requests wait until :meth:`release`, so the static
    preview (components/preview.js) can be looked at; ``errors`` collects page errors."""

    def __init__(self, page: Any):
        self.page, self.errors, self._held = page, [], []
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.route(PLOTLY_ROUTE, lambda route: self._held.append(route))

    def release(self) -> None:
        for route in self._held:
            route.continue_()
        self.page.unroute(PLOTLY_ROUTE)


@contextlib.contextmanager
def held_plotly(browser: Any, width: int = 1280, height: int = 720) -> Iterator[HeldPage]:
    """A new context's page with plotly.js held (see :class:`HeldPage`); closed afterwards."""
    ctx = browser.new_context(viewport={"width": width, "height": height})
    try:
        yield HeldPage(ctx.new_page())
    finally:
        ctx.close()


def preview_js(root: str = "") -> str:
    """JS that reads the first static preview under ``root`` (a CSS selector; "" for the page):
    its plot box (``x0, y0, w, h`` px), axis ranges ``xr, yr`` and its node circles' centres
    and fills (``cx, cy, fill``)."""
    sel = json.dumps(f"{root} .mpe-preview svg".strip())
    return f"""() => {{ const s = document.querySelector({sel});
  const c = [...s.querySelectorAll('g[data-trace="nodes"] circle')];
  const d = s.dataset;
  return {{x0: +d.x0, y0: +d.y0, w: +d.w, h: +d.h, xr: d.xr.split(',').map(Number),
          yr: d.yr.split(',').map(Number), cx: c.map(e => +e.getAttribute('cx')),
          cy: c.map(e => +e.getAttribute('cy')), fill: c.map(e => e.getAttribute('fill'))}}; }}"""


def plotly_nodes_js(plot: str) -> str:
    """JS that gives where Plotly drew the ``nodes`` trace of the plot element ``plot`` (a CSS
    selector), in that element's pixels (``px, py``: comparable with :func:`preview_js`)."""
    return f"""() => {{ const gd = document.querySelector({json.dumps(plot)}), F = gd._fullLayout;
  const t = gd._fullData.find(t => t.name === 'nodes');
  return {{px: Array.from(t.x, v => F.xaxis.l2p(v) + F._size.l),
          py: Array.from(t.y, v => F.yaxis.l2p(v) + F._size.t)}}; }}"""


def preview_in_data(pre: dict[str, Any]) -> tuple[Any, Any, float]:
    """The preview's circle centres (from :func:`preview_js`) mapped back to data coordinates,
    and the tolerance that the SVG's tenth-of-a-pixel rounding allows (0.2 % of the span)."""
    import numpy as np

    cx, cy = np.array(pre["cx"]), np.array(pre["cy"])
    (x0, x1), (y0, y1) = pre["xr"], pre["yr"]
    back_x = x0 + (cx - pre["x0"]) / pre["w"] * (x1 - x0)
    back_y = y0 + (pre["y0"] + pre["h"] - cy) / pre["h"] * (y1 - y0)
    return back_x, back_y, 0.002 * max(x1 - x0, y1 - y0)


def css_rgb(text: str) -> Any:
    """``"rgb(r, g, b)"`` / ``"rgba(...)"`` as a float array ``[r, g, b]``."""
    import numpy as np

    return np.array([float(v) for v in text[text.index("(") + 1:text.index(")")].split(",")[:3]])
