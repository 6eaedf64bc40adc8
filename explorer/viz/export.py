"""Exports: a standalone offline HTML animation and a PNG of a figure.

HTML embeds plotly.js in the file (``include_plotlyjs=True``), so it opens with no network and
its frames play. PNG goes through kaleido, which drives a Chromium it finds on the machine; we
point it at Debian's ``/usr/bin/chromium`` (or ``$BROWSER_PATH``) and never download one.
"""

from __future__ import annotations

import os
import shutil
import threading
import warnings
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

from explorer.errors import ExplorerError

__all__ = ["export_html", "export_png", "find_browser", "figure_html"]

_CANDIDATES = ("/usr/bin/chromium", "/usr/lib/chromium/chromium", "/usr/bin/chromium-browser",
               "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable")
_server_lock = threading.Lock()
_server_started = False


def find_browser() -> str | None:
    """Path of a Chromium/Chrome kaleido can drive: ``$BROWSER_PATH``, then the usual places."""
    env = os.environ.get("BROWSER_PATH")
    if env and Path(env).is_file() and os.access(env, os.X_OK):
        return env
    for c in _CANDIDATES:
        if Path(c).is_file() and os.access(c, os.X_OK):
            return c
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def figure_html(fig: go.Figure, *, title: str | None = None, autoplay: bool = False) -> str:
    """The figure as one standalone HTML document with plotly.js inlined (works offline)."""
    html = pio.to_html(fig, include_plotlyjs=True, full_html=True, auto_play=autoplay,
                       config={"displaylogo": False, "responsive": True})
    if title:
        safe = title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        html = html.replace("<head>", f"<head><title>{safe}</title>", 1)
    return html


def export_html(fig: go.Figure, path: str | Path, *, title: str | None = None) -> Path:
    """Write ``fig`` as a standalone offline HTML file (plotly.js embedded, animation working).

    Args:
        fig: any Plotly figure (frames, buttons and sliders are kept).
        path: the output file.
        title: the page title shown in the browser tab.

    Returns:
        The path written.

    Raises:
        OSError: when the file cannot be written (the CLI reports it).
    """
    p = Path(path)
    p.write_text(figure_html(fig, title=title), encoding="utf-8")
    return p


def _ensure_server(browser: str) -> None:
    global _server_started
    import kaleido

    with _server_lock:
        if _server_started:
            return
        os.environ["BROWSER_PATH"] = browser
        try:
            kaleido.start_sync_server(silence_warnings=True)
        except TypeError:  # older signature without the keyword
            kaleido.start_sync_server()
        _server_started = True


def export_png(fig: go.Figure, path: str | Path, *, width: int | None = None, height: int | None = None,
               scale: float = 1.0) -> Path:
    """Write ``fig`` (the frame currently shown) as PNG through kaleido and a local Chromium.

    Args:
        fig: the figure.
        path: the output ``.png`` file.
        width, height: pixels (default: the figure's layout, else 900 x its height).
        scale: resolution multiplier.

    Returns:
        The path written.

    Raises:
        ExplorerError: when kaleido is not installed or no Chromium/Chrome is found; the message
            says how to install one (``apt-get install chromium``) or set ``BROWSER_PATH``.
    """
    browser = find_browser()
    if browser is None:
        raise ExplorerError("PNG export needs a Chromium or Chrome browser, and none was found "
                            "(looked at $BROWSER_PATH and /usr/bin/chromium); install one with "
                            "`apt-get install chromium` or set BROWSER_PATH to its path, or export HTML instead")
    try:
        import kaleido  # noqa: F401
    except ImportError as e:
        raise ExplorerError("PNG export needs the 'kaleido' package, which is not installed; "
                            "install it with `pip install kaleido` or export HTML instead") from e
    _ensure_server(browser)
    p = Path(path)
    w = width or fig.layout.width or 900
    h = height or fig.layout.height or 600
    try:
        with warnings.catch_warnings():  # plotly warns that kaleido's per-call options are unused
            warnings.filterwarnings("ignore", message="The kopts argument is ignored")
            fig.write_image(str(p), format="png", width=w, height=h, scale=scale)
    except Exception as e:  # kaleido/choreographer raise their own types
        if isinstance(e, ExplorerError):
            raise
        raise ExplorerError(f"PNG export failed in kaleido with the browser at {browser}: {e}; "
                            "check that this browser starts headless, or export HTML instead") from e
    return p


def _png_bytes(fig: Any, **kw: Any) -> bytes:  # pragma: no cover - convenience for the UI
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        out = export_png(fig, Path(d) / "view.png", **kw)
        return out.read_bytes()
