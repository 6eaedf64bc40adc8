"""Charts: every plotted value against the recorded number or a hand-computed one."""

from __future__ import annotations

import json

import numpy as np
import pytest

from explorer.errors import TraceError
from explorer.graph import Graph
from explorer.viz import (attention_figure, belief_bars, convergence_figure, decode_array,
                          elimination_cost_figure, heatmaps_figure, loss_figure, metrics_figure,
                          wl_histogram_figure)
from test_viz_traces import bp_chain_trace, brute_marginals, wl_trace


def data(fig) -> list[dict]:
    return json.loads(fig.to_json())["data"]


def y(tr: dict) -> np.ndarray:
    return decode_array(tr["y"]).astype(float)


def test_convergence_residual_error_and_bethe():
    t = bp_chain_trace(iters=5)
    exact = brute_marginals()
    d = data(convergence_figure(t, exact=exact))
    names = [tr["name"] for tr in d]
    assert names == ["largest belief change", "max |BP − exact|", "Bethe log Z (= −F)"]
    np.testing.assert_array_equal(y(d[0]), [s.extras["residual"] for s in t.steps])
    want = [max(np.abs(s.states[i] - exact[v]).max() for i, v in enumerate("ABC")) for s in t.steps]
    got = y(d[1])
    np.testing.assert_allclose(np.nan_to_num(got), np.where(np.array(want) > 0, want, 0), atol=1e-15)
    np.testing.assert_array_equal(y(d[2]), [s.extras["bethe_log_z"] for s in t.steps])
    layout = json.loads(convergence_figure(t).to_json())["layout"]
    assert layout["yaxis"]["type"] == "log"


def test_oscillation_steps_are_marked():
    t = bp_chain_trace(iters=4)
    for k in (1, 3):
        t.steps[k].extras["oscillating"] = True
    d = data(convergence_figure(t))
    osc = [tr for tr in d if tr["name"] == "oscillating"][0]
    np.testing.assert_array_equal(decode_array(osc["x"]), [2, 4])


def test_belief_bars_against_exact():
    t = bp_chain_trace(iters=5)
    exact = brute_marginals()
    d = data(belief_bars(t, 4, 1, exact=exact, state_names=["lo", "mid", "hi"]))
    np.testing.assert_array_equal(y(d[0]), t.steps[4].states[1])
    np.testing.assert_array_equal(y(d[1]), exact["B"])
    assert d[0]["x"] == ["lo", "mid", "hi"]


def test_attention_bars_per_head():
    g = Graph.from_edges(3, [(0, 2), (1, 2)])
    from explorer.trace import Step, Trace

    att = np.array([[0.1, 0.5], [0.3, 0.2], [0.5, 0.5], [0.2, 0.1]])  # one row per edge, 2 heads
    st = Step(edges=np.arange(4), messages=np.zeros((4, 2, 1)), aggregates=None, states=np.zeros((3, 2)),
              extras={"attention": att, "self_loop_attention": np.array([[1, 1], [1, 1], [0.4, 0.4]])})
    t = Trace("gat", g, {"seed": 0}, [st])
    d = data(attention_figure(t, 0, 2))
    assert len(d) == 2 and d[0]["x"] == ["0", "1", "2 (self)"]
    into = np.flatnonzero(g.receivers == 2)
    np.testing.assert_array_equal(y(d[0]), list(att[into, 0]) + [0.4])
    np.testing.assert_array_equal(y(d[1]), list(att[into, 1]) + [0.4])
    with pytest.raises(TraceError, match="records no attention"):
        attention_figure(bp_chain_trace(2), 0, 0)


def test_metrics_one_line_per_run_and_log_axes():
    a = [{"layer": k, "dirichlet_energy": 2.0 ** -k, "feature_norm": 1.0, "mad": 0.5, "mad_gap": -0.1}
         for k in range(4)]
    b = [{"layer": k, "dirichlet_energy": 1.0, "feature_norm": 2.0, "mad": None, "mad_gap": 0.2} for k in range(4)]
    fig = metrics_figure({"gcn": a, "pairnorm": b}, metrics=("dirichlet_energy", "feature_norm", "mad", "mad_gap"))
    d = data(fig)
    assert len(d) == 8
    np.testing.assert_array_equal(y(d[0]), [1, 0.5, 0.25, 0.125])
    assert np.isnan(y(d[6])).all()  # an overflowed (None) metric leaves a gap
    lay = json.loads(fig.to_json())["layout"]
    assert lay["yaxis"]["type"] == "log" and lay["yaxis4"]["type"] == "linear"
    with pytest.raises(TraceError, match="at least one sweep"):
        metrics_figure({})


def test_heatmaps_show_the_matrices_and_check_shapes():
    rng = np.random.default_rng(0)
    r, x, th = rng.random((5, 5)), rng.normal(size=(5, 3)), rng.normal(size=(3, 2))
    every = data(heatmaps_figure(r, x, th, r @ x @ th))
    d = [tr for tr in every if tr["type"] == "heatmap"]  # the rest: R's see-through click targets
    assert len(d) == 4
    assert all(tr["type"] == "scatter" for tr in every if tr["type"] != "heatmap")
    np.testing.assert_array_equal(np.array(decode_array(d[0]["z"]), dtype=float).reshape(5, 5), r)
    np.testing.assert_array_equal(np.array(decode_array(d[3]["z"]), dtype=float).reshape(5, 2), r @ x @ th)
    with pytest.raises(TraceError, match="chain"):
        heatmaps_figure(r, x, th, np.zeros((4, 2)))


def test_loss_figure_from_history_rows_and_columns():
    rows = [{"epoch": e + 1, "loss": 1.0 / (e + 1), "train_acc": 0.5 + 0.1 * e} for e in range(4)]
    for hist in (rows, {"loss": [r["loss"] for r in rows], "train_acc": [r["train_acc"] for r in rows]}):
        d = data(loss_figure(hist))
        np.testing.assert_allclose(y(d[0]), [1, 0.5, 1 / 3, 0.25])
        np.testing.assert_allclose(y(d[1]), [0.5, 0.6, 0.7, 0.8])
        assert d[1]["yaxis"] == "y2"


def test_wl_histograms():
    tri = Graph.from_edges(6, [(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3)])
    hexa = Graph.from_edges(6, [(i, (i + 1) % 6) for i in range(6)])
    star = Graph.from_edges(6, [(0, i) for i in range(1, 6)])
    fig = wl_histogram_figure(wl_trace(tri), wl_trace(hexa))
    assert "same colour-class sizes" in fig.layout.title.text
    assert "cannot tell" in wl_histogram_figure(wl_trace(tri), wl_trace(hexa), equivalent=True).layout.title.text
    d = data(wl_histogram_figure(wl_trace(star), wl_trace(hexa)))
    assert "sizes differ" in wl_histogram_figure(wl_trace(star), wl_trace(hexa)).layout.title.text
    assert sum(y(d[0])) == 6 and sum(y(d[1])) == 6


def test_elimination_cost_bars_and_lines():
    d = data(elimination_cost_figure({"naive": 160, "elimination": 32}))
    np.testing.assert_array_equal(y(d[0]), [160, 32])
    d = data(elimination_cost_figure([{"n": n, "naive": 2 ** n, "elimination": 4 * n} for n in (3, 5, 7)]))
    assert [tr["name"] for tr in d] == ["naive", "elimination"]
    np.testing.assert_array_equal(y(d[0]), [8, 32, 128])


def test_belief_bars_name_states_from_the_model():
    """Without state_names the bars take the model's own names (asia's BIF: yes/no), read here
    from the file itself, not from the trace."""
    import re
    from pathlib import Path

    from explorer import pgm
    from explorer.ui import cache

    text = (Path(__file__).resolve().parents[1] / "sample_graphs" / "models" / "asia.bif").read_text()
    declared = re.search(r"variable\s+xray\s*\{[^}]*\{\s*([^}]*)\}", text).group(1)
    states = [s.strip() for s in declared.split(",")]
    t = pgm.run_bp(cache.sample_model("asia"))
    i = t.graph.display_labels.index("xray")
    d = data(belief_bars(t, len(t.steps) - 1, i))
    assert d[0]["x"] == states
