"""Shared test fixtures.

``torch_one_thread``: the diagnostics tests run deep stacks of small matrix products; on a
2-core machine torch's default thread pool makes them 10-20x slower, so those modules pin torch
to one thread for their duration and restore it afterwards.

``app_url``: one real ``streamlit run app.py`` on a free port for the browser tests of the whole
session (health-checked, always stopped; its log goes to tests/artifacts/server.log). A module
may define its own fixture of the same name; this one is used otherwise.
"""

from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@pytest.fixture(scope="module")
def torch_one_thread():
    torch = pytest.importorskip("torch")
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture(scope="session")
def app_url():
    from explorer.ui.testing import serve

    ARTIFACTS.mkdir(exist_ok=True)
    with serve(ARTIFACTS / "server.log") as url:
        yield url
