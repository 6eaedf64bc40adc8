"""AppTest of ``player.seek``: the server moves the chart (tests/apps/seek_app.py).

The reference is the step each button asks for (the last step of the 5-variable chain's 8
eliminations, and step index 1): after the press the URL, the panel's "Step k of N" line, the
chart's opening step and the sync component's seek request must all name that step, and the
request must be sent once (a later run does not replay it).
"""

import json
import re
from pathlib import Path

import pytest

pytest.importorskip("streamlit")

APP = Path(__file__).resolve().parent / "apps" / "seek_app.py"


def _run():
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(str(APP), default_timeout=60).run()


def _component(at, name):
    els = [e for e in at.get("bidi_component") if e.proto.component_name == name]
    assert len(els) == 1, f"expected one {name}, found {len(els)}"
    return json.loads(els[0].proto.json)


def _panel_step(at):
    text = next(m.value for m in at.markdown if m.value.startswith("**Step "))
    k, n = re.match(r"\*\*Step (\d+) of (\d+)\*\*", text).groups()
    return int(k), int(n)


def _ok(at):
    assert not at.exception, at.exception


def test_seek_from_a_callback_sets_the_url_step_and_moves_the_chart():
    at = _run()
    _ok(at)
    k, n = _panel_step(at)
    assert (k, n) == (1, 8)  # a chain of 5: 4 forward and 4 backward eliminations
    assert "seek" not in _component(at, "mpe_sync") and "step" not in at.query_params
    at.button(key="seek.cb").click().run()
    _ok(at)
    assert at.query_params["step"] == "7"
    assert _panel_step(at) == (8, 8)
    sync = _component(at, "mpe_sync")
    assert sync["step"] == 7 and sync["seek"]["step"] == 7
    assert _component(at, "mpe_player")["step"] == 7
    first_nonce = sync["seek"]["nonce"]
    at.run()  # any later run: the request is not sent again, the step stays
    _ok(at)
    assert "seek" not in _component(at, "mpe_sync")
    assert at.query_params["step"] == "7" and _panel_step(at) == (8, 8)
    at.button(key="seek.body").click().run()  # from the panel's body: the panel follows too
    _ok(at)
    assert at.query_params["step"] == "1" and _panel_step(at) == (2, 8)
    sync = _component(at, "mpe_sync")
    assert sync["seek"]["step"] == 1 and sync["seek"]["nonce"] > first_nonce


def test_seek_refuses_a_negative_step():
    from explorer.ui import player

    with pytest.raises(ValueError, match="index from 0"):
        player.seek(None, -1)


def test_component_json_is_plotly_s_own_without_its_html_escapes():
    # the reference is plotly.io's encoder: the same values (typed arrays, NaN as null), parsed,
    # while the text keeps "<b>" and "/" as written and has no spaces
    import numpy as np
    import plotly.graph_objects as go
    import plotly.io as pio

    from explorer.ui import components

    fig = go.Figure(go.Scatter(x=np.arange(4.0), y=np.array([1.0, np.nan, 2.0, 3.0], np.float32),
                               hovertext=["<b>a</b> → b/c"] * 4, marker=dict(color=[0.5, 1, 2, 3])))
    text = components.plotly_json(fig.to_plotly_json())
    assert json.loads(text) == json.loads(pio.to_json(fig, validate=False))
    assert "<b>a</b>" in text and "b/c" in text and "\\u003c" not in text and ", " not in text
    assert components.figure_text(fig)[0] == text
