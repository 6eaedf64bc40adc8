"""The views on real engine Traces: the numbers drawn are the numbers the engines recorded."""

from __future__ import annotations

import json

import numpy as np
import pytest

from explorer.viz import (TRACE_NAMES, attention_figure, belief_bars, convergence_figure, decode_array,
                          elimination_cost_figure, message_rows, metrics_figure, node_update_latex,
                          trace_figure)
from explorer.viz.colors import is_factor

NODES, MSGS, SEL = (TRACE_NAMES.index(n) for n in ("nodes", "messages", "selected_messages"))
BIF = "/work/shared/data/bif/asia.bif"



def f32(values):
    """What a frame's colours hold: the recorded values rounded to float32, exactly (the player
    sends colours as 4-byte typed arrays, explorer/viz/trace_view.py)."""
    return np.asarray(values, dtype=float).astype(np.float32)

def frame(d: dict, k: int, index: int) -> dict:
    fr = d["frames"][k]
    return fr["data"][fr["traces"].index(index)]


def colors(tr: dict) -> np.ndarray:
    return decode_array(tr["marker"]["color"]).astype(float)


def pos_for(g) -> np.ndarray:
    from explorer.viz.layout import compute_layout

    return compute_layout(g, seed=0)


@pytest.fixture(scope="module")
def karate():
    from explorer.io import load_graph

    return load_graph("karate")


def test_gcn_stack_frames_colours_and_formula(karate):
    from explorer.nn.run import run_stack

    t = run_stack(karate, layer="gcn", layers=3, hidden=4, seed=0, readout="mean")
    d = json.loads(trace_figure(t, pos_for(karate), color_by="feature", feature=1, selected=0).to_json())
    assert len(d["frames"]) == len(t.steps) == 4
    for k in range(3):
        np.testing.assert_array_equal(colors(frame(d, k, NODES)), t.steps[k].states[:, 1])
        np.testing.assert_array_equal(colors(frame(d, k, MSGS)), f32(np.linalg.norm(t.steps[k].messages.astype(float), axis=1)))
    # the readout step records no node states: the last layer's stay on screen
    np.testing.assert_array_equal(colors(frame(d, 3, NODES)), t.steps[2].states[:, 1])
    assert colors(frame(d, 3, MSGS)).size == 0
    st = t.steps[0]
    tex = node_update_latex(t, 0, 0)
    into = np.flatnonzero(karate.receivers[st.edges] == 0)
    for c in st.extras["coefficients"][into][:4]:  # the self term comes first, then 4 of 16
        assert f"{c:.3g}" in tex
    assert f"{st.extras['self_loop_weight'][0]:.3g}" in tex
    rows = message_rows(t, 0, node=0)
    assert len(rows) == into.size and rows[0]["values"] == list(st.messages[into[0]])


def test_gat_attention_figure_uses_recorded_attention(karate):
    from explorer.nn.run import run_stack

    t = run_stack(karate, layer="gat", layers=2, hidden=4, heads=2, seed=1)
    st = t.steps[0]
    d = json.loads(attention_figure(t, 0, 5).to_json())["data"]
    into = np.flatnonzero(karate.receivers[st.edges] == 5)
    for h in range(2):
        want = list(st.extras["attention"][into, h]) + [st.extras["self_loop_attention"][5, h]]
        got = decode_array(d[h]["y"]).astype(float)
        np.testing.assert_array_equal(got, want)
        assert abs(got.sum() - 1) < 1e-5  # softmax over the incoming edges and the self-loop


def test_bp_trace_view_convergence_and_bars():
    from explorer.pgm import chain_model, exact_inference, run_bp

    fg = chain_model(5, 3)  # a tree: BP is exact once converged
    t = run_bp(fg, max_iter=30)
    ex = exact_inference(fg)
    g = t.graph
    d = json.loads(trace_figure(t, pos_for(g), color_by="belief", state=0, selected=0).to_json())
    var = np.flatnonzero(~is_factor(g))
    assert var.size == fg.n_vars and len(d["frames"]) == len(t.steps)
    for k, st in enumerate(t.steps):
        np.testing.assert_array_equal(colors(frame(d, k, NODES)), f32([st.states[i][0] for i in var]))
    fac = d["data"][TRACE_NAMES.index("factors")]
    assert fac["marker"]["symbol"] == "square" and len(fac["text"]) == g.n_nodes - fg.n_vars
    conv = json.loads(convergence_figure(t, exact=ex["marginals"]).to_json())["data"]
    np.testing.assert_array_equal(decode_array(conv[0]["y"]).astype(float),
                                  [s.extras["residual"] if s.extras["residual"] > 0 else np.nan for s in t.steps])
    err = decode_array(conv[1]["y"]).astype(float)
    assert np.nan_to_num(err[-1]) < 1e-6  # asia is a polytree: BP is exact at convergence
    bars = json.loads(belief_bars(t, -1, 0, exact=ex["marginals"]).to_json())["data"]
    np.testing.assert_allclose(decode_array(bars[0]["y"]).astype(float),
                               decode_array(bars[1]["y"]).astype(float), atol=1e-9)
    tex = node_update_latex(t, len(t.steps) - 1, 0)
    assert f"{t.steps[-1].states[0][0]:.3g}" in tex


def test_variable_elimination_and_chain_cost():
    from explorer.pgm import chain_demo, load_model, variable_elimination

    t = variable_elimination(load_model(BIF))
    d = json.loads(trace_figure(t, pos_for(t.graph)).to_json())
    names = list(t.graph.display_labels)
    for k, st in enumerate(t.steps):
        gone = {s.extras["variable"] for s in t.steps[: k + 1]}
        np.testing.assert_array_equal(colors(frame(d, k, NODES)), [1.0 if n in gone else 0.0 for n in names])
    tex = node_update_latex(t, 0, 0)
    table = t.steps[0].extras["new_factor"]["table"]
    assert all(f"{v:.3g}" in tex for v in np.ravel(table))
    demo = chain_demo()
    bars = json.loads(elimination_cost_figure(demo).to_json())["data"]
    assert [b["name"] for b in bars] == ["naive", "elimination"]
    np.testing.assert_array_equal(decode_array(bars[0]["y"]).astype(float),
                                  [demo["naive"]["multiplications"], demo["naive"]["additions"]])


def test_wl_refine_colours(karate):
    from explorer.nn.wl import wl_refine

    t = wl_refine(karate)
    d = json.loads(trace_figure(t, pos_for(karate)).to_json())
    for k, st in enumerate(t.steps):
        np.testing.assert_array_equal(colors(frame(d, k, NODES)), st.extras["colors"])
    assert "HASH" in node_update_latex(t, 0, 0)


def test_metrics_from_a_depth_sweep(karate):
    from explorer.diagnostics.sweep import depth_sweep

    sw = {r: depth_sweep(karate, layer="gcn", depth=4, hidden=8, remedy=r, device="cpu") for r in ("none", "pairnorm")}
    d = json.loads(metrics_figure(sw).to_json())["data"]
    assert len(d) == 2 * 4
    want = [row["dirichlet_energy"] for row in sw["none"].layers]
    np.testing.assert_array_equal(decode_array(d[0]["y"]).astype(float), want)


def test_controls_on_their_own_rows_and_titles_without_notes(karate):
    """Buttons and slider never share a row; the title carries the label, not the long note."""
    from explorer.nn import run_stack
    from explorer.pgm import ising_grid, load_model, run_bp

    asia = run_bp(load_model(BIF))
    for t in (asia, run_stack(karate, layer="gcn"), run_bp(ising_grid(3, 3)[0], max_iter=20, tol=0.0)):
        fig = trace_figure(t, pos_for(t.graph))
        lay = fig.layout
        menu, slider = lay.updatemenus[0], lay.sliders[0]
        # both hang below the plot (paper y = 0, anchored at their top); buttons are about
        # 30 px tall and the slider's current value sits at its top, so 30 px + gap separate them
        assert menu.y == slider.y == 0 and menu.yanchor == slider.yanchor == "top"
        assert slider.pad.t - menu.pad.t >= 36
        assert slider.x == 0 and slider.len == 1
        assert lay.margin.b >= slider.pad.t + 80
        titles = [lay.title.text] + [f.layout.title.text for f in fig.frames]
        for k, st in enumerate(t.steps):
            for text in ([titles[0]] if k == 0 else []) + [titles[k + 1]]:
                assert text.endswith(f"<br><sup>{st.label} ({k + 1}/{len(t.steps)})</sup>")
                assert st.note not in text
        # tick labels: 5 or 2 short ones fit under a 450 px chart (as the PNGs show); 20 do not,
        # so they are hidden (transparent) while the current step's label stays visible
        assert (slider.font.color is None) == (len(t.steps) <= 5)
        assert slider.currentvalue.font.color not in (None, slider.font.color)
    assert max(len(s.note) for s in asia.steps) > 100  # the case the short title is for
    assert asia.steps[0].note  # the page shows it (explorer/ui/player.py)


# --------------------------------------------------------------------------- readable messages
TEXT, EARLY, EVID, LABELS = (TRACE_NAMES.index(n) for n in ("message_text", "earlier_messages", "evidence",
                                                            "labels"))


def test_arrows_point_from_sender_to_receiver():
    from explorer.pgm import load_model, run_bp

    t = run_bp(load_model("earthquake"), max_iter=3)
    pos = pos_for(t.graph)
    d = json.loads(trace_figure(t, pos, step=1).to_json())
    m = d["data"][MSGS]
    assert m["marker"]["symbol"] == "triangle-up"
    ang = np.radians(decode_array(m["marker"]["angle"]).astype(float))
    head = np.stack([np.sin(ang), np.cos(ang)], 1)          # "up" turned clockwise by the angle
    e = t.steps[1].edges
    d_sr = pos[t.graph.receivers[e]] - pos[t.graph.senders[e]]
    cos = (head * d_sr).sum(1) / np.linalg.norm(d_sr, axis=1)
    np.testing.assert_allclose(cos, 1.0, atol=1e-4)          # same direction, not the opposite


def test_bp_message_text_is_the_recorded_vector_with_state_names():
    from explorer.pgm import load_model, run_bp
    from explorer.viz.glyphs import message_text, state_names

    fg = load_model("asia")
    t = run_bp(fg, max_iter=4, evidence={0: 0})
    names = state_names(t)
    assert names[0] == ["yes", "no"] and names[5] == list(fg.states[5])
    st = t.steps[2]
    for j, e in enumerate(st.edges[:12]):
        text = message_text(t, 2, j, names)
        var = t.graph.senders[e] if t.graph.senders[e] < fg.n_vars else t.graph.receivers[e]
        parts = [p.split(" ") for p in text.split("<br>")]
        assert [p[0] for p in parts] == list(fg.states[var])
        np.testing.assert_allclose([float(p[1]) for p in parts], st.messages[j], atol=0.0051)


def test_evidence_is_ringed_and_labelled_with_its_state():
    from explorer.pgm import load_model, run_bp

    t = run_bp(load_model("asia"), max_iter=3, evidence={0: 0})
    pos = pos_for(t.graph)
    d = json.loads(trace_figure(t, pos).to_json())
    ev = d["data"][EVID]
    np.testing.assert_allclose(np.c_[decode_array(ev["x"]), decode_array(ev["y"])], pos[[0]])
    assert "asia = yes" in d["data"][LABELS]["text"]


def test_variable_elimination_edge_shows_the_vector_and_keeps_earlier_messages():
    from explorer.pgm import load_model, variable_elimination

    t = variable_elimination(load_model("chain_bn"))
    pos = pos_for(t.graph)
    d = json.loads(trace_figure(t, pos).to_json())
    assert frame(d, 0, TEXT)["text"] == ["[0.5, 0.5]"]      # tau_X1(X2) = [0.5, 0.5], not its norm
    from explorer.viz.glyphs import TEXT_EARLIER, TEXT_NOW

    m = t.steps[1].messages[0]
    tx = frame(d, 1, TEXT)
    assert tx["text"] == ["[" + ", ".join(f"{v:.2g}" for v in m) + "]", "[0.5, 0.5]"]   # this step's, then step 0's
    assert tx["textfont"]["color"] == [TEXT_NOW, TEXT_EARLIER]
    early = frame(d, 3, EARLY)                               # steps 0..2 stay on the graph, faded
    xy = np.c_[decode_array(early["x"]), decode_array(early["y"])]
    e = np.concatenate([t.steps[s].edges for s in range(3)])
    want = pos[t.graph.senders[e]] + 0.6 * (pos[t.graph.receivers[e]] - pos[t.graph.senders[e]])
    np.testing.assert_allclose(xy, want, atol=1e-4)
    np.testing.assert_allclose(decode_array(early["marker"]["color"]).astype(float),
                               [np.linalg.norm(t.steps[s].messages[0]) for s in range(3)])  # colour: norm


def test_message_rows_carry_state_names_and_short_text():
    from explorer.pgm import load_model, run_bp

    fg = load_model("sachs")
    t = run_bp(fg, max_iter=2)
    for row in message_rows(t, 1)[:10]:
        var = next(fg.names.index(x) for x in (row["sender"], row["receiver"]) if x in fg.names)
        assert row["states"] == list(fg.states[var])
        parts = [p.split(" ") for p in row["text"].split(", ")]
        assert [p[0] for p in parts] == list(fg.states[var])
        np.testing.assert_allclose([float(p[1]) for p in parts], row["values"], atol=0.0051)


def test_gcn_edge_width_follows_c_ji(karate):
    from explorer.nn.run import run_stack
    from explorer.viz.glyphs import WEIGHT_PX, weight_polygons
    from explorer.viz.labels import Frame

    t = run_stack(karate, layer="gcn", layers=1, hidden=4, seed=0)
    pos = pos_for(karate)
    frame = Frame((-1.2, 1.2), (-1.2, 1.2), 1000.0, 600.0)
    deg = np.bincount(karate.receivers, minlength=karate.n_nodes) + 1.0      # with the self-loop
    e = t.steps[0].edges
    c = 1.0 / np.sqrt(deg[karate.senders[e]] * deg[karate.receivers[e]])    # GCN's c_ji, by hand
    poly = weight_polygons(t, pos, 0, frame=frame, size=20.0, wmax=float(c.max()))
    xy = np.c_[np.array(poly["x"], dtype=float), np.array(poly["y"], dtype=float)].reshape(-1, 6, 2)
    width_px = np.linalg.norm(xy[:, 0] - xy[:, 3], axis=1) * frame.scale
    np.testing.assert_allclose(width_px, WEIGHT_PX[0] + (WEIGHT_PX[1] - WEIGHT_PX[0]) * c / c.max(), rtol=1e-3)
    d = json.loads(trace_figure(t, pos).to_json())
    assert d["data"][TRACE_NAMES.index("weights")]["name"].startswith("edge width: c_ji")



def test_edge_widths_enter_frames_only_when_they_change(karate):
    """GCN's c_ji is the same in every layer: the bands are drawn once, not resent per frame
    (each frame of a 300-node run repeated ~0.2 MB of them); GAT's attention changes per layer,
    so each frame carries that layer's bands. Either way the band of each message, at every
    step, is as wide as that step's weight says (widths in data units over the formula of
    WEIGHT_PX: one constant, the figure's pixels per data unit, for all edges and steps)."""
    from explorer.nn.run import run_stack
    from explorer.viz.glyphs import WEIGHT_PX, edge_weights

    pos = pos_for(karate)
    w = TRACE_NAMES.index("weights")

    def widths(band):
        xy = np.c_[np.array(band["x"], dtype=float), np.array(band["y"], dtype=float)].reshape(-1, 6, 2)
        return np.linalg.norm(xy[:, 0] - xy[:, 3], axis=1)

    def expected(t, k, wmax):
        c = edge_weights(t, k)[0]
        c = c[karate.senders[t.steps[k].edges] != karate.receivers[t.steps[k].edges]]
        return WEIGHT_PX[0] + (WEIGHT_PX[1] - WEIGHT_PX[0]) * np.clip(c / wmax, 0, 1)

    gcn = run_stack(karate, layer="gcn", layers=3, hidden=4, seed=0)
    d = json.loads(trace_figure(gcn, pos).to_json())
    assert all(w not in f["traces"] for f in d["frames"])
    cmax = max(edge_weights(gcn, k)[0].max() for k in range(len(gcn.steps)))
    for k in range(len(gcn.steps)):    # the one band drawn is right for every step
        r = widths(d["data"][w]) / expected(gcn, k, cmax)
        np.testing.assert_allclose(r, r[0], rtol=4e-3)  # coordinates have 5 decimals
    gat = run_stack(karate, layer="gat", layers=3, hidden=4, seed=0)
    d = json.loads(trace_figure(gat, pos).to_json())
    amax = max(edge_weights(gat, k)[0].max() for k in range(len(gat.steps)))
    ratios, bands = [], []
    for k, f in enumerate(d["frames"]):
        assert f["traces"][-1] == w
        ratios.append(widths(f["data"][-1]) / expected(gat, k, amax))
        bands.append(tuple(f["data"][-1]["x"]))
    np.testing.assert_allclose(np.concatenate(ratios), ratios[0][0], rtol=4e-3)
    assert len(set(bands)) > 1                              # attention differs between layers

# ---------------------------------------------------------------- clique tree (junction.py)
def _joint(fg, evidence):
    """The brute-force joint of a small model, sliced at the evidence (an independent reference)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    terms = [(f.table, "".join(letters[v] for v in f.scope)) for f in fg.factors]
    out = letters[:fg.n_vars]
    joint = np.einsum(",".join(t for _, t in terms) + "->" + out, *[a for a, _ in terms])
    for v, s in evidence.items():
        keep = np.zeros(fg.cards[v])
        keep[s] = 1.0
        joint = joint * keep.reshape([-1 if i == v else 1 for i in range(fg.n_vars)])
    return joint


def _separator_marginal(fg, joint, names):
    idx = sorted(fg.index(n) for n in names)
    assert [fg.names[i] for i in idx] == list(names)  # recorded in variable-index order
    p = joint.sum(axis=tuple(i for i in range(fg.n_vars) if i not in idx)).reshape(-1)
    return p / p.sum()


@pytest.fixture(scope="module", params=[{}, {"dysp": "yes", "xray": "no"}], ids=["prior", "evidence"])
def asia_calibrated(request):
    from explorer import pgm

    fg = pgm.load_model("asia")
    ev = pgm.parse_evidence(fg, request.param)
    return fg, ev, pgm.calibrate(fg, evidence=ev, record=True)


def test_clique_messages_times_the_way_back_are_the_brute_force_separator_marginal(asia_calibrated):
    from explorer.viz.formulas import clique_message

    fg, ev, t = asia_calibrated
    joint = _joint(fg, ev)
    g = t.graph
    msgs = {}
    for k, st in enumerate(t.steps):
        e = int(st.edges[0])
        msgs[(int(g.senders[e]), int(g.receivers[e]))] = (k, clique_message(t, k))
    assert len(msgs) == 2 * (g.n_nodes - 1)
    for (i, j), (k, m) in msgs.items():
        ref = _separator_marginal(fg, joint, t.steps[k].extras["separator"])
        prod = m * msgs[(j, i)][1]
        np.testing.assert_allclose(prod / prod.sum(), ref, atol=1e-9)
        if t.steps[k].extras["pass"] == "distribute":  # Hugin's recorded table is that marginal
            np.testing.assert_allclose(np.asarray(t.steps[k].extras["table"]).reshape(-1), ref, atol=1e-9)


def test_clique_formula_prints_the_recorded_numbers(asia_calibrated):
    from explorer.viz.formulas import clique_back_message, clique_message
    from latex_numbers import shows, vectors

    fg, ev, t = asia_calibrated
    g = t.graph
    for k, st in enumerate(t.steps):
        e = int(st.edges[0])
        i, j = int(g.senders[e]), int(g.receivers[e])
        tex = node_update_latex(t, k, j)
        vecs = vectors(tex)  # every vector printed, entries as strings
        table = np.asarray(st.extras["table"]).reshape(-1)
        assert any(shows(v, table) for v in vecs)
        assert rf"C_{{{i + 1}}}" in tex and rf"C_{{{j + 1}}}" in tex
        if st.extras["pass"] == "collect":  # the inputs: every earlier message into i but j's
            for kk in range(k):
                ee = int(t.steps[kk].edges[0])
                if int(g.receivers[ee]) == i and int(g.senders[ee]) != j:
                    assert any(shows(v, t.steps[kk].messages[0]) for v in vecs)
            np.testing.assert_array_equal(clique_message(t, k), table)
        else:
            back = clique_back_message(t, k)
            assert any(shows(v, back) for v in vecs)
            assert any(shows(v, clique_message(t, k)) for v in vecs)
        other = next(c for c in range(g.n_nodes) if c not in (i, j)) if g.n_nodes > 2 else None
        if other is not None:
            assert "not in this step" in node_update_latex(t, k, other)


def test_clique_rows_name_separator_states_and_list_what_a_clique_received(asia_calibrated):
    fg, ev, t = asia_calibrated
    g = t.graph
    last = len(t.steps) - 1
    for c in range(g.n_nodes):
        rows = message_rows(t, last, c)
        # after both passes a clique has heard once from every neighbour
        assert sorted(r["sender"] for r in rows) == sorted(g.display_labels[s] for s in g.neighbors(c))
        for r in rows:
            st = t.steps[r["step"]]
            assert r["receiver"] == st.extras["receiver"] == g.display_labels[c]
            assert r["values"] == [float(v) for v in np.asarray(st.extras["table"]).reshape(-1)]
            sep = st.extras["separator"]
            states = [fg.states[fg.index(v)] for v in sep]
            want = [", ".join(f"{v}={s}" for v, s in zip(sep, combo))
                    for combo in __import__("itertools").product(*states)]
            assert r["states"] == want
    assert message_rows(t, 0, int(g.senders[t.steps[0].edges[0]])) == []  # the first sender heard nothing


def test_clique_colours_follow_the_schedule(asia_calibrated):
    from explorer.viz.colors import CLIQUE_STATUS, color_spec, node_values

    fg, ev, t = asia_calibrated
    g = t.graph
    lab = list(g.display_labels)
    deg = [len(set(g.neighbors(c))) for c in range(g.n_nodes)]
    sent, heard = [0] * g.n_nodes, [set() for _ in range(g.n_nodes)]
    for k, st in enumerate(t.steps):  # replayed from the recorded sender/receiver names
        s, r = lab.index(st.extras["sender"]), lab.index(st.extras["receiver"])
        sent[s] += 1
        heard[r].add(s)
        want = [2 if len(heard[c]) == deg[c] else 1 if sent[c] else 0 for c in range(g.n_nodes)]
        np.testing.assert_array_equal(node_values(t, k, "status"), want)
        np.testing.assert_array_equal(node_values(t, k, "received"), [len(h) for h in heard])
    assert set(node_values(t, len(t.steps) - 1, "status")) == {2}  # every clique calibrated
    spec = color_spec(t)
    assert spec.mode == "status" and spec.ticktext == list(CLIQUE_STATUS)
    d = trace_figure(t, pos_for(g), step=0).to_plotly_json()
    np.testing.assert_array_equal(colors(frame(d, 0, NODES)), spec.values[0])
    last = len(t.steps) - 1
    d = trace_figure(t, pos_for(g), step=last, color_by="received").to_plotly_json()
    np.testing.assert_array_equal(colors(frame(d, last, NODES)), deg)  # heard from every neighbour


def test_a_still_figure_of_a_late_step_fades_the_earlier_messages():
    """``animate=False`` draws one step; the messages sent before it still appear, faded, each
    coloured by its recorded value (the variable-elimination chain: step k sends one message)."""
    from explorer import pgm
    from explorer.viz import trace_figure
    from explorer.viz.layout import compute_layout
    from explorer.viz.messages import message_values

    trace = pgm.chain_demo(5, 2)["trace"]
    pos = compute_layout(trace.graph, "auto", 0)
    fig = trace_figure(trace, pos, step=4, animate=False)
    early = next(t for t in fig.data if t.name == "earlier messages")
    want = [float(message_values(trace, s)[0]) for s in range(4)]
    assert sorted(map(float, early.marker.color)) == sorted(want)
