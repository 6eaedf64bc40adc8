"""``explorer.viz._common.styled``: the cheap way of setting the base layout gives the same figure.

The reference is Plotly's own validated path, ``fig.update_layout(**layout)`` with the template
named; the figure JSON must be identical, under any default template (Streamlit sets its own
when it is imported), and no two figures may share a template object (a change to one must not
reach the other or the registered template).
"""

import plotly.graph_objects as go
import plotly.io as pio
import pytest

from explorer.viz._common import BASE_LAYOUT, styled


def _traces():
    return [go.Scatter(x=[0, 1, 2], y=[2.0, 0.5, 1.0], mode="lines+markers", name="a"),
            go.Bar(x=["s0", "s1"], y=[0.3, 0.7], name="b")]


@pytest.mark.parametrize("default", [None, "plotly", "ggplot2"])
def test_styled_equals_plotlys_validated_update(default):
    old = pio.templates.default
    pio.templates.default = default
    try:
        layout = dict(BASE_LAYOUT, title=dict(text="t", x=0.02), height=321,
                      margin=dict(l=60, r=20, t=60, b=50), yaxis=dict(type="log"))
        want = go.Figure(_traces()).update_layout(**layout).to_plotly_json()
        got = styled(go.Figure(_traces()), **layout).to_plotly_json()
    finally:
        pio.templates.default = old
    assert BASE_LAYOUT["template"] == "plotly_white"
    assert got == want
    assert got["layout"]["template"] == pio.templates["plotly_white"].to_plotly_json()


def test_styled_figures_do_not_share_their_template():
    a = styled(go.Figure(_traces()), **BASE_LAYOUT)
    b = styled(go.Figure(_traces()), **BASE_LAYOUT)
    a.layout.template.layout.font.size = 99
    assert b.layout.template.layout.font.size != 99
    assert pio.templates["plotly_white"].layout.font.size != 99


def test_styled_without_template_is_update_layout():
    layout = dict(height=200, title=dict(text="x"))
    assert (styled(go.Figure(_traces()), **layout).to_plotly_json()
            == go.Figure(_traces()).update_layout(**layout).to_plotly_json())


def test_a_chart_of_the_app_carries_the_white_template():
    from explorer import pgm
    from explorer.viz import charts

    fg = pgm.load_model("asia")
    trace = pgm.run_bp(fg, max_iter=5)
    fig = charts.convergence_figure(trace)
    assert fig.to_plotly_json()["layout"]["template"] == pio.templates["plotly_white"].to_plotly_json()


def test_the_depth_cursor_is_what_add_vline_draws():
    from explorer.viz import charts

    runs = {n: [{"layer": k, **{m: 0.5 + k * (j + 1) for m in charts.CURSOR_METRICS}}
                for k in range(7)] for j, n in enumerate(("plain", "pairnorm"))}
    for cols in (1, 2):
        fig = charts.depth_cursor_figure(runs, 3, cols=cols)
        got = fig.to_plotly_json()
        ref = go.Figure(fig)
        ref.layout.shapes = ()
        n = len(charts.CURSOR_METRICS)
        for p in range(n):  # the reference: Plotly's own vertical line in each panel
            ref.add_vline(x=3, line=dict(color="#e4007c", width=2, dash="dash"),
                          row=p // cols + 1, col=p % cols + 1)
        assert len(got["layout"]["shapes"]) == n
        assert got == ref.to_plotly_json()
