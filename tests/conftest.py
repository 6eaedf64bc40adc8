"""Shared test fixtures.

``torch_one_thread``: the diagnostics tests run deep stacks of small matrix products; on a
2-core machine torch's default thread pool makes them 10-20x slower, so those modules pin torch
to one thread for their duration and restore it afterwards.

``browser``: one headless Chromium per module (skipped, with the reason, where Chromium or
Playwright is missing).

``app_url``: one real ``streamlit run app.py`` on a free port for the browser tests of the whole
session (health-checked, always stopped; its log goes to tests/artifacts/server.log). A module
may define its own fixture of the same name; this one is used otherwise.

``no_first_gap`` (autouse): in-process AppTest runs have no browser to mount a chart, so the
pause a chart-first page takes on its first run before its controls
(``explorer.ui.shell.FIRST_GAP_S``, 0.6 s) only costs wall time there: every new AppTest is a
first run. It is set to 0 for the tests; the order in which the page draws is unchanged
(tests/test_ui_chart_first.py checks it). The app server of the browser tests keeps the pause.
"""

from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@pytest.fixture(autouse=True)
def no_first_gap(monkeypatch):
    from explorer.ui import shell

    monkeypatch.setattr(shell, "FIRST_GAP_S", 0.0)


@pytest.fixture(scope="module")
def torch_one_thread():
    torch = pytest.importorskip("torch")
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module (Playwright), or a skip that says what is missing."""
    from explorer.ui.testing import chromium

    path = chromium()
    if path is None:
        pytest.skip("no Chromium found at /usr/bin/chromium (install Debian's `chromium` package, "
                    "e.g. `make browser`, or set $CHROMIUM)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=path, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session")
def app_url():
    from explorer.ui.testing import serve

    ARTIFACTS.mkdir(exist_ok=True)
    with serve(ARTIFACTS / "server.log") as url:
        yield url
