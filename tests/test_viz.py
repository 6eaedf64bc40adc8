"""The graph and trace views, built from hand-made Traces (see test_viz_traces.py).

Figures are read back from their JSON (as the browser and Streamlit receive them) through
``decode_array``; every drawn number is compared with the number recorded in the Trace.
"""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from explorer.errors import TraceError
from explorer.graph import Graph
from explorer.viz import (ANIMATED_TRACES, TRACE_NAMES, color_modes, decode_array, graph_figure,
                          message_rows, messages_csv, node_update_latex, trace_figure)
from explorer.viz.messages import MESSAGE_AT
from explorer.viz.trace_view import DENSE_MARKERS
from test_viz_traces import bp_chain_trace, brute_marginals, gcn_trace, random_graph, wl_trace

NODES, MSGS, SEL = (TRACE_NAMES.index(n) for n in ("nodes", "messages", "selected_messages"))
BP_POS = np.array([[0, 0], [2, 0], [4, 0], [-1, 1], [1, 1], [3, 1.0]])



def f32(values):
    """What a frame's colours hold: the recorded values rounded to float32, exactly (the player
    sends colours as 4-byte typed arrays, explorer/viz/trace_view.py)."""
    return np.asarray(values, dtype=float).astype(np.float32)

def fig_json(fig) -> dict:
    return json.loads(fig.to_json())


def frame_trace(d: dict, k: int, index: int) -> dict:
    fr = d["frames"][k]
    return fr["data"][fr["traces"].index(index)]


def colors(tr: dict) -> np.ndarray:
    return decode_array(tr["marker"]["color"]).astype(float)


@pytest.fixture(scope="module")
def bp():
    return bp_chain_trace(iters=5)


@pytest.fixture(scope="module")
def gcn():
    g = random_graph(40, 70, seed=2)
    return gcn_trace(g, layers=3, hidden=4, seed=1), np.random.default_rng(0).uniform(size=(40, 2))


# --------------------------------------------------------------------------- frames and counts
def test_one_frame_per_step_with_play_pause_and_slider(bp):
    d = fig_json(trace_figure(bp, BP_POS))
    assert [f["name"] for f in d["frames"]] == [str(k) for k in range(len(bp.steps))]
    # BP draws no edge widths: the (empty) bands stay out of the frames
    assert all(f["traces"] == list(ANIMATED_TRACES[:-1]) for f in d["frames"])
    labels = [b["label"] for b in d["layout"]["updatemenus"][0]["buttons"]]
    assert labels[:2] == ["Play", "Pause"]
    slider = d["layout"]["sliders"][0]["steps"]
    assert [s["label"] for s in slider] == [s.label for s in bp.steps]
    assert [s["args"][0] for s in slider] == [[str(k)] for k in range(len(bp.steps))]


def test_static_figure_has_no_frames(bp):
    fig = trace_figure(bp, BP_POS, animate=False, step=2)
    assert len(fig.frames) == 0 and not fig.layout.sliders


def test_node_and_marker_counts_per_frame(gcn):
    t, pos = gcn
    d = fig_json(trace_figure(t, pos, selected=3))
    for k, st in enumerate(t.steps):
        assert colors(frame_trace(d, k, NODES)).size == t.graph.n_nodes
        assert decode_array(frame_trace(d, 0, MSGS)["x"]).size == st.n_sent
        assert colors(frame_trace(d, k, MSGS)).size == st.n_sent
        into = int(np.sum(t.graph.receivers[st.edges] == 3))
        assert colors(frame_trace(d, k, SEL)).size == into


def test_marker_cap_keeps_the_largest_messages(gcn):
    t, pos = gcn
    d = fig_json(trace_figure(t, pos, max_message_markers=10))
    mean = np.mean([np.linalg.norm(s.messages, axis=1) for s in t.steps], axis=0)
    top = np.sort(np.argsort(-mean)[:10])
    for k, st in enumerate(t.steps):
        drawn = colors(frame_trace(d, k, MSGS))
        np.testing.assert_array_equal(drawn, f32(np.linalg.norm(st.messages, axis=1)[top]))


def test_factor_nodes_are_squares_and_not_coloured(bp):
    d = fig_json(trace_figure(bp, BP_POS))
    fac = d["data"][TRACE_NAMES.index("factors")]
    assert fac["marker"]["symbol"] == "square"
    assert fac["text"] == ["fA", "fAB", "fBC"]
    assert colors(d["data"][NODES]).size == 3


# --------------------------------------------------------------------------- the numbers drawn
def test_bp_belief_colours_equal_the_recorded_beliefs(bp):
    for state in (0, 1):
        d = fig_json(trace_figure(bp, BP_POS, color_by="belief", state=state))
        for k, st in enumerate(bp.steps):
            np.testing.assert_array_equal(colors(frame_trace(d, k, NODES)), f32([st.states[i][state] for i in range(3)]))
    # state 2 exists only for B (3 states): the others get no colour (NaN -> drawn grey)
    d = fig_json(trace_figure(bp, BP_POS, color_by="belief", state=2))
    c = colors(frame_trace(d, 4, NODES))
    assert np.isnan(c[0]) and c[1] == f32(bp.steps[4].states[1][2]) and np.isnan(c[2])


def test_bp_entropy_and_map_against_hand_formula(bp):
    exact = brute_marginals()
    d = fig_json(trace_figure(bp, BP_POS, color_by="entropy"))
    ent = [-(p * np.log(p)).sum() for p in (exact["A"], exact["B"], exact["C"])]
    np.testing.assert_allclose(colors(frame_trace(d, 4, NODES)), ent, atol=1e-12)
    d = fig_json(trace_figure(bp, BP_POS, color_by="map"))
    np.testing.assert_array_equal(colors(frame_trace(d, 4, NODES)), [np.argmax(exact[v]) for v in "ABC"])


def test_bp_message_markers_show_the_recorded_values_at_60_percent(bp):
    g = bp.graph
    d = fig_json(trace_figure(bp, BP_POS, state=1))
    for k, st in enumerate(bp.steps):
        tr = frame_trace(d, k, MSGS)
        np.testing.assert_array_equal(colors(tr), f32([m[1] for m in st.messages]))
    tr0 = frame_trace(d, 0, MSGS)
    want = BP_POS[g.senders] + MESSAGE_AT * (BP_POS[g.receivers] - BP_POS[g.senders])
    np.testing.assert_allclose(decode_array(tr0["x"]), want[:, 0], atol=1e-6)
    np.testing.assert_allclose(decode_array(tr0["y"]), want[:, 1], atol=1e-6)
    assert "m = [" in tr0["hovertext"][0]


def test_neural_colour_modes_equal_the_recorded_states(gcn):
    t, pos = gcn
    assert color_modes(t) == ["norm", "feature", "pca", "class"]
    for mode, f in (("feature", lambda s: s[:, 2]), ("norm", lambda s: np.linalg.norm(s, axis=1)),
                    ("class", lambda s: np.argmax(s, axis=1))):
        d = fig_json(trace_figure(t, pos, color_by=mode, feature=2))
        for k, st in enumerate(t.steps):
            np.testing.assert_array_equal(colors(frame_trace(d, k, NODES)), f32(f(st.states)))


def test_pca_colour_is_the_first_principal_component(gcn):
    t, pos = gcn
    d = fig_json(trace_figure(t, pos, color_by="pca"))
    x = t.steps[1].states - t.steps[1].states.mean(0)
    w, v = np.linalg.eigh(x.T @ x)  # independent route: eigenvector of the covariance
    proj = x @ v[:, -1]
    drawn = colors(frame_trace(d, 1, NODES))
    assert abs(abs(np.corrcoef(drawn, proj)[0, 1]) - 1) < 1e-9
    np.testing.assert_allclose(np.abs(drawn), np.abs(proj), atol=1e-9)


def test_colour_range_is_fixed_across_frames(gcn):
    t, pos = gcn
    d = fig_json(trace_figure(t, pos, color_by="feature", feature=0))
    m = d["data"][NODES]["marker"]
    everything = np.concatenate([s.states[:, 0] for s in t.steps])
    assert m["cmin"] == everything.min() and m["cmax"] == everything.max()
    assert all("cmin" not in frame_trace(d, k, NODES)["marker"] for k in range(len(t.steps)))


def test_wl_colours_are_the_recorded_classes():
    g = random_graph(15, 20, seed=4)
    t = wl_trace(g)
    d = fig_json(trace_figure(t, np.random.default_rng(1).uniform(size=(15, 2))))
    for k, st in enumerate(t.steps):
        np.testing.assert_array_equal(colors(frame_trace(d, k, NODES)), st.extras["colors"])


def test_bad_colour_mode_step_node_and_positions(bp, gcn):
    with pytest.raises(TraceError, match="does not apply.*choose one of"):
        trace_figure(bp, BP_POS, color_by="pca")
    with pytest.raises(TraceError, match=r"step 9 is outside the valid range \[0, 4\]"):
        trace_figure(bp, BP_POS, step=9)
    with pytest.raises(TraceError, match=r"node 6 is outside the valid range \[0, 5\]"):
        trace_figure(bp, BP_POS, selected=6)
    with pytest.raises(TraceError, match=r"expected positions of shape \[6, 2\]"):
        trace_figure(bp, BP_POS[:4])


# --------------------------------------------------------------------------- selection, WebGL, size
def test_selected_node_is_ringed_and_its_incoming_messages_highlighted(bp):
    d = fig_json(trace_figure(bp, BP_POS, selected=1))
    ring = d["data"][TRACE_NAMES.index("ring")]
    assert (decode_array(ring["x"])[0], decode_array(ring["y"])[0]) == (2.0, 0.0)
    hl = d["data"][TRACE_NAMES.index("highlight")]
    assert sum(v is None for v in hl["x"]) == 2  # two lines: fAB - B and fBC - B
    g = bp.graph
    for k, st in enumerate(bp.steps):
        tr = frame_trace(d, k, SEL)
        into = [m for e, m in zip(st.edges, st.messages) if g.receivers[e] == 1]
        np.testing.assert_array_equal(colors(tr), f32([m[0] for m in into]))
        assert all("→ B" in h for h in tr["hovertext"])


def test_webgl_thresholds_static_and_animated():
    """Still graphs: SVG up to WEBGL_THRESHOLD nodes, WebGL above (labels always SVG). Trace
    views: the static edges/arrows follow the same threshold, the traces frames change (and the
    selection's) stay SVG up to SVG_ANIMATED nodes, so a step needs no WebGL redraw."""
    from explorer.viz._common import SVG_ANIMATED, WEBGL_THRESHOLD

    static = {"edges", "direction"}
    for n, still, anim in ((WEBGL_THRESHOLD, "scatter", "scatter"),
                           (WEBGL_THRESHOLD + 1, "scattergl", "scatter"),
                           (SVG_ANIMATED + 1, "scattergl", "scattergl")):
        g = random_graph(n, n, seed=0)
        pos = np.random.default_rng(0).uniform(size=(n, 2))
        if n <= WEBGL_THRESHOLD + 1:
            d = fig_json(graph_figure(g, pos))
            assert {tr["type"] for tr in d["data"] if tr.get("name") != "labels"} == {still}
            assert [tr["type"] for tr in d["data"] if tr.get("name") == "labels"] == ["scatter"]
        t = gcn_trace(g, layers=1)
        d = fig_json(trace_figure(t, pos, selected=0))
        types = {TRACE_NAMES[i]: tr["type"] for i, tr in enumerate(d["data"])}
        assert types["labels"] == "scatter"  # SVG text
        assert {types[k] for k in ("edges", "arrows")} == {still}
        assert {types[TRACE_NAMES[i]] for i in ANIMATED_TRACES} == {anim}
        assert {types[k] for k in ("highlight", "ring", "factors", "evidence")} == {anim}


def test_animation_of_1000_nodes_20_steps_stays_under_2_mb():
    g = random_graph(1000, 2500, seed=0)
    t = gcn_trace(g, layers=20, hidden=8)
    pos = np.random.default_rng(0).uniform(size=(1000, 2))
    fig = trace_figure(t, pos, selected=5, selectable=True)
    text = fig.to_json()
    select = json.dumps(fig._mpe_select)  # the player sends both once per page run
    print(f"\n1,000 nodes, 5,000 messages per step, 20 frames: {len(text) / 1e6:.2f} MB of figure "
          f"JSON + {len(select) / 1e6:.2f} MB to select nodes in the browser")
    d = json.loads(text)
    assert len(d["frames"]) == 20
    assert colors(frame_trace(d, 19, MSGS)).size == DENSE_MARKERS  # the largest, on a dense graph
    assert len(text) + len(select) <= 2_000_000


# --------------------------------------------------------------------------- static graph view
def test_graph_figure_edges_arrows_colour_bar():
    g = Graph.from_edges(4, [(0, 1), (1, 2), (2, 0), (2, 3)], directed=True, x=[[1.0], [2.0], [3.0], [4.5]])
    pos = np.array([[0, 0], [1, 0], [0.5, 1], [2, 1.0]])
    d = fig_json(graph_figure(g, pos, color=[0.1, 0.2, 0.3, 0.4], color_title="score", selected=2))
    edges = d["data"][0]
    assert edges["mode"] == "lines" and len(edges["x"]) == 3 * 4 and sum(v is None for v in edges["x"]) == 4
    arrows = d["data"][1]
    assert arrows["marker"]["symbol"] == "arrow" and decode_array(arrows["x"]).size == 4
    # arrow 0 -> 1 points right (90 degrees clockwise from up)
    assert decode_array(arrows["marker"]["angle"])[0] == 90.0
    nodes = d["data"][3]
    np.testing.assert_array_equal(colors(nodes), [0.1, 0.2, 0.3, 0.4])
    assert nodes["marker"]["colorbar"]["title"]["text"] == "score"
    assert "x = [4.5]" in nodes["hovertext"][3] and nodes["text"] == ["0", "1", "2", "3"]
    with pytest.raises(TraceError, match="one colour value per node"):
        graph_figure(g, pos, color=[1, 2])


# --------------------------------------------------------------------------- tables and formulas
def test_message_rows_and_csv_round_trip(bp):
    rows = message_rows(bp, 2, node=1)
    assert [(r["sender"], r["receiver"]) for r in rows] == [("fAB", "B"), ("fBC", "B")]
    st = bp.steps[2]
    k = list(st.edges).index(rows[0]["edge"])
    assert rows[0]["values"] == list(st.messages[k])
    parsed = list(csv.DictReader(io.StringIO(messages_csv(bp))))
    assert len(parsed) == sum(s.n_sent for s in bp.steps)
    for row in parsed:
        s = bp.steps[int(row["step"])]
        m = s.messages[list(s.edges).index(int(row["edge"]))]
        vals = [float(row[f"v{i}"]) for i in range(3) if row[f"v{i}"] != ""]
        assert vals == list(m)


def test_bp_formula_shows_the_messages_and_the_recorded_belief(bp):
    tex = node_update_latex(bp, 3, 1)
    st = bp.steps[3]
    for v in list(st.states[1]) + [m for e, m in zip(st.edges, st.messages) if bp.graph.receivers[e] == 1][0].tolist():
        assert f"{v:.3g}" in tex
    assert r"\propto" in tex and r"\odot" in tex and r"\text{fAB}" in tex


def test_gcn_formula_has_the_real_coefficients():
    g = random_graph(8, 10, seed=5)
    t = gcn_trace(g, layers=1)
    st = t.steps[0]
    node = int(g.receivers[0])
    tex = node_update_latex(t, 0, node)
    assert r"\Theta x" in tex
    for v in st.states[node]:
        assert f"{v:.3g}" in tex


def test_long_vectors_are_truncated():
    from explorer.viz.formulas import latex_vector

    assert latex_vector([1, 2, 3]) == r"\left[1,\ 2,\ 3\right]"
    assert latex_vector(np.arange(10.0)) == r"\left[0,\ 1,\ 2,\ \dots,\ 9\right]"


def test_sparse_long_vectors_name_their_non_zeros():
    from explorer.viz.formulas import latex_vector

    e = np.zeros(34)
    e[7] = 1.0
    assert latex_vector(e) == r"\mathbf{0}_{34}\text{ except }[7]{=}1"


# --------------------------------------------------------------------------- labels that fit
def _label_boxes(d: dict, width: int, bars: float) -> tuple[np.ndarray, tuple[float, float]]:
    """Every drawn label's box in px, recomputed from the figure JSON alone (ranges, margins, text)."""
    from explorer.viz.labels import Frame, text_size

    lay = d["layout"]
    m = lay["margin"]
    area = (width - m["l"] - m["r"] - bars, lay["height"] - m["t"] - m["b"])
    fr = Frame(tuple(lay["xaxis"]["range"]), tuple(lay["yaxis"]["range"]), *area)
    boxes = []
    for tr in d["data"]:
        if tr.get("mode") != "text":
            continue
        xy = fr.to_px(np.c_[decode_array(tr["x"]).astype(float), decode_array(tr["y"]).astype(float)])
        for (cx, cy), text in zip(xy, tr["text"]):
            w, h = text_size(text, tr["textfont"]["size"])
            boxes.append([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
    return np.array(boxes).reshape(-1, 4), area


@pytest.mark.parametrize("name", ["asia", "sachs", "earthquake", "ising10"])
def test_labels_never_collide_or_leave_the_plot(name):
    from explorer.pgm import load_model, run_bp
    from explorer.viz.layout import compute_layout

    fg = load_model(name)
    t = run_bp(fg, max_iter=2)
    pos = compute_layout(t.graph)
    for fig, still in ((graph_figure(t.graph, pos, width=1280, height=720), True),
                       (trace_figure(t, pos, width=1280, height=720, animate=False), False)):
        d = fig_json(fig)  # colour bars lie flat under the plot, or stand beside it taking width
        flat = any((tr.get("marker") or {}).get("colorbar", {}).get("orientation") == "h" for tr in d["data"])
        boxes, (W, H) = _label_boxes(d, 1280, 0 if flat or still else 110)
        n_var = fg.n_vars
        # every variable named; the Ising grid's interior is full of arrows in a trace view, so
        # there only its border (row and column numbers) is, and no label hides under an arrow
        assert len(boxes) >= (n_var if name != "ising10" else 50 if still else 19)
        assert (boxes[:, :2] >= 0).all() and (boxes[:, 2] <= W).all() and (boxes[:, 3] <= H).all()
        over = ((boxes[:, None, 0] < boxes[None, :, 2]) & (boxes[None, :, 0] < boxes[:, None, 2])
                & (boxes[:, None, 1] < boxes[None, :, 3]) & (boxes[None, :, 1] < boxes[:, None, 3]))
        np.fill_diagonal(over, False)
        assert not over.any(), f"{int(over.sum()) // 2} overlapping label pairs"


def test_formulas_write_variables_as_math():
    from explorer.pgm import load_model, variable_elimination
    from explorer.viz.formulas import math_name
    from explorer.viz.mathfit import lines_of

    assert math_name("tau_X1(X2)") == r"\tau_{X_{1}}(X_{2})"
    assert math_name("X12") == "X_{12}" and math_name("smoke") == r"\text{smoke}"
    tex = node_update_latex(variable_elimination(load_model("chain_bn")), 0, 0)
    flat = " ".join(line.removeprefix(r"\quad ") for line in lines_of(tex))  # the wrapping undone
    assert flat.startswith(r"\tau_{X_{1}}(X_{2}) = \sum_{X_{1}} P(X_{1}) \,P(X_{2} \mid X_{1}) = \left[0.5,\ 0.5\right]")
    assert "tau_X1" not in tex          # (wrapping to the panel's width: tests/test_formula_fit.py)


def test_short_numbers_and_neural_message_text():
    from explorer.viz.glyphs import message_text, short

    assert [short(v) for v in (0.7234, -0.3, 0.0, 1.0, 12.54, 0.004, 4.2e-5, 250.0, -1234.0)] == \
        [".72", "-.3", "0", "1", "12.5", ".004", "4e-5", "250", "-1.2e3"]
    t = gcn_trace(random_graph(8, 10, seed=4), layers=1, hidden=3)
    for j in range(4):
        text = message_text(t, 0, j)
        np.testing.assert_allclose([float(v) for v in text.strip("[]").split(", ")], t.steps[0].messages[j],
                                   atol=0.0051, rtol=0.01)
    wide = gcn_trace(random_graph(8, 10, seed=4), layers=1, hidden=5)
    assert message_text(wide, 0, 0) is None                       # 5 numbers: colour and hover only


def test_heatmap_numbers_only_where_cells_hold_them():
    from explorer.viz import heatmaps_figure

    rng = np.random.default_rng(0)
    small = heatmaps_figure(*(lambda X, T: (np.eye(4), X, T, X @ T))(rng.normal(size=(4, 3)), rng.normal(size=(3, 2))))
    assert all(tr.text is not None for tr in small.data if tr.type == "heatmap")  # 4 x 3: room for every number
    n = 30
    R = rng.random((n, n))
    big = heatmaps_figure(R, np.ones((n, 2)), np.ones((2, 2)), R @ np.ones((n, 2)) @ np.ones((2, 2)))
    assert big.data[0].text is None                               # 30 columns in a quarter of 1280 px


def _rendered_chars(line: str) -> int:
    """Rough width of a LaTeX line in characters as KaTeX draws it (commands count one, layout
    commands and braces none)."""
    import re

    t = re.sub(r"\\(left|right|text|mathrm|mathbf|Big|big|quad|qquad|,|!|\ )", "", line)
    t = re.sub(r"\\[a-zA-Z]+", "x", t)
    return len(re.sub(r"[{}_^ ]", "", t))


def test_formulas_fit_a_1280_px_page():
    from explorer.io import load_graph
    from explorer.nn.run import run_stack
    from explorer.pgm import load_model, run_bp

    asia = run_bp(load_model("asia"), max_iter=3)
    cases = [(asia, 2, n) for n in range(asia.graph.n_nodes)]
    for layer in ("gcn", "gat"):
        t = run_stack(load_graph("karate"), layer=layer, layers=1, hidden=4, heads=2, seed=0)
        cases += [(t, 0, 0), (t, 0, 33)]
    for t, k, n in cases:
        for line in node_update_latex(t, k, n).split(r" \\ "):
            assert _rendered_chars(line) <= 80, line       # about 800 px at KaTeX's 1.21em of 16 px


def test_selected_messages_are_labelled_once_with_state_names(bp):
    """A step whose messages are written on the graph (small vectors, not a crowd) labels the
    selected node's incoming messages with their state names and adds no second, shorter number
    at their arrowheads; a step of wide vectors (no labels) keeps the number, a 3-digit L2 norm."""
    from explorer.viz.glyphs import labelled_step, message_labels

    fig = trace_figure(bp, BP_POS, selected=None, selectable=True)
    node = 1  # B: hears fAB and fBC
    for k, item in enumerate(fig._mpe_select["steps"]):
        assert labelled_step(bp, k) and "text" not in item
        texts = fig._mpe_texts(node)[k]
        inc = [j for j, e in enumerate(bp.steps[k].edges) if bp.graph.receivers[e] == node]
        _, _, placed = message_labels(bp, bp.graph, BP_POS, k, first=[node])
        assert set(texts["text"]) == set(placed)
        read = [[(a.split(" ")[0], float(a.split(" ")[1])) for a in t.split("<br>")] for t in placed]
        found = 0
        for j in inc:  # a label reads back as the recorded message: state names, values (2 digits)
            m = np.asarray(bp.steps[k].messages[j], float)
            found += any([n for n, _ in r] == [str(i) for i in range(m.size)]
                         and np.allclose([v for _, v in r], m, atol=0.006) for r in read)
        assert found >= min(len(inc), 1)
    wide = gcn_trace(random_graph(12, 20, seed=3), layers=1, hidden=8, seed=0)  # 8 > SMALL: no labels
    pos = np.random.default_rng(1).uniform(size=(12, 2))
    fig = trace_figure(wide, pos, selected=None, selectable=True)
    item = fig._mpe_select["steps"][0]
    assert not labelled_step(wide, 0)
    norms = [np.linalg.norm(m) for m in wide.steps[0].messages]
    assert item["text"] == [f"{x:.3g}" for x in norms]


def test_a_selected_message_whose_named_label_does_not_fit_gets_its_numbers(monkeypatch):
    """BP on asia planned for the lecture-mode graph (840 px wide): some messages into the
    selected node find no room for their named label ("yes .01<br>no .99") near the arrowhead,
    which left no number there at all. They now get the numbers alone on one line, in the
    order of the states, where that fits. Oracle: the recorded messages (read back to 2
    digits), and the same figure built with the fallback switched off: nothing it placed is
    lost, and some selected messages gain their numbers."""
    from explorer.pgm import load_model, run_bp
    from explorer.viz import glyphs
    from explorer.viz.layout import compute_layout

    trace = run_bp(load_model("asia"))
    g = trace.graph
    pos = compute_layout(g, "auto", 0)

    def texts(fallback: bool) -> dict:
        if not fallback:
            monkeypatch.setattr(glyphs, "numbers_text", lambda *a: None)
        fig = trace_figure(trace, pos, width=840, height=560, selectable=True)
        out = {node: [list(t["text"]) for t in fig._mpe_texts(node)] for node in range(g.n_nodes)}
        monkeypatch.undo()
        return out

    old, new = texts(False), texts(True)
    gained = 0
    for node in range(g.n_nodes):
        for k, st in enumerate(trace.steps):
            assert set(old[node][k]) <= set(new[node][k]), (node, k)
            want = [np.asarray(st.messages[j], float) for j, e in enumerate(st.edges)
                    if g.receivers[e] == node]
            for t in set(new[node][k]) - set(old[node][k]):
                vals = [float(v) for v in t.split("/")]
                assert any(len(vals) == m.size and np.allclose(vals, m, atol=0.006) for m in want), t
                gained += 1
    assert gained > 0
