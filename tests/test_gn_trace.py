"""The graph-network block recorded as a Trace (kind "gn-block"), one step per named sub-step.

Oracles: every sub-step recomputed here in plain numpy (float64) from the block's own weights —
phi as the two-layer MLP written out, rho as a loop over the edges or nodes; the unrecorded
engine ``run_stack(layer="gn")`` (same numbers, one code path); the JSON round trip; the formula
and the player's figure holding those numbers.
"""

import re

import numpy as np
import pytest
import torch

from explorer.graph import Graph
from explorer.io import load_graph
from explorer.nn import run_stack
from explorer.nn.gn_trace import GN_KIND, gn_block_trace
from explorer.nn.run import build_model
from explorer.trace import Trace, validate_trace

KEYS = ["phi_e", "rho_ev", "phi_v", "rho_eu", "rho_vu", "phi_u"]


def _mlp(lins):
    """The two-layer MLP of explorer.nn.layers.MLP, in numpy from its weights."""
    (w1, b1), (w2, b2) = [(lin.weight.detach().double().numpy(), lin.bias.detach().double().numpy())
                          for lin in lins]
    return lambda z: np.maximum(z @ w1.T + b1, 0) @ w2.T + b2


def _reduce(rows, groups, n, aggr):
    """rho by a loop: the rows of each group reduced; an empty group gives 0."""
    out = np.zeros((n, rows.shape[1]))
    for i in range(n):
        mine = rows[groups == i]
        if len(mine):
            out[i] = {"sum": mine.sum(0), "mean": mine.mean(0), "max": mine.max(0)}[aggr]
    return out


def _dense(graph, layers, hidden, seed, aggr):
    """Every sub-step of every block, from the same weights (the same seed and build order as
    run_stack), computed in numpy: a list of {key: output} per block."""
    from explorer.nn.features import default_features
    from explorer.nn.gn_steps import edge_features

    x, _ = default_features(graph, "auto", seed)
    e, _ = edge_features(graph)
    torch.manual_seed(seed)
    model = build_model("gn", x.shape[1], layers=layers, hidden=hidden, edge_dim=e.shape[1], aggr=aggr)
    v, u = np.asarray(x, float), np.zeros((1, 1))
    s, r = graph.senders, graph.receivers
    out = []
    for blk in model.blocks:
        phi_e, phi_v, phi_u = _mlp(blk.phi_e.lins), _mlp(blk.phi_v.lins), _mlp(blk.phi_u.lins)
        e1 = phi_e(np.hstack([e, v[s], v[r], np.repeat(u, len(s), 0)]))
        agg = _reduce(e1, r, graph.n_nodes, aggr)
        v1 = phi_v(np.hstack([agg, v, np.repeat(u, graph.n_nodes, 0)]))
        eu = _reduce(e1, np.zeros(len(s), int), 1, aggr)
        vu = _reduce(v1, np.zeros(graph.n_nodes, int), 1, aggr)
        u1 = phi_u(np.hstack([eu, vu, u]))
        out.append({"phi_e": e1, "rho_ev": agg, "phi_v": v1, "rho_eu": eu, "rho_vu": vu, "phi_u": u1,
                    "v_in": v, "e_in": e, "u_in": u})
        v, e, u = v1, e1, u1
    return out


def _lonely():
    """Four nodes: node 3 receives nothing (its rho_e->v is the empty set), node 2 has a self-loop,
    edge features of width 2 that differ per edge."""
    return Graph(n_nodes=4, senders=np.array([0, 1, 2, 1, 2]), receivers=np.array([1, 0, 1, 2, 2]),
                 edge_attr=np.array([[1.0, 0], [0, 1], [0.5, 0.5], [2, -1], [-1, 3]]), name="lonely")


@pytest.mark.parametrize("aggr", ["sum", "mean", "max"])
@pytest.mark.parametrize("which", ["caffeine", "lonely"])
def test_every_substep_equals_the_numpy_formula(aggr, which):
    g = load_graph("caffeine") if which == "caffeine" else _lonely()
    t = gn_block_trace(g, layers=2, hidden=5, seed=3, aggr=aggr)
    validate_trace(t)
    assert t.kind == GN_KIND and len(t.steps) == 12
    ref = _dense(g, 2, 5, 3, aggr)
    for b in range(2):
        st = {s.extras["gn"]: s for s in t.steps[6 * b: 6 * b + 6]}
        assert list(st) == KEYS and all(s.extras["block"] == b + 1 for s in st.values())
        d = ref[b]
        close = dict(atol=2e-5, rtol=1e-5)
        np.testing.assert_allclose(st["phi_e"].messages, d["phi_e"], **close)
        np.testing.assert_allclose(st["phi_e"].extras["edge_in"], d["e_in"], **close)
        np.testing.assert_allclose(st["phi_e"].states, d["v_in"], **close)        # nodes not yet updated
        np.testing.assert_allclose(st["rho_ev"].aggregates, d["rho_ev"], **close)
        np.testing.assert_allclose(st["phi_v"].states, d["phi_v"], **close)
        np.testing.assert_allclose(st["rho_eu"].extras["ebar_u"], d["rho_eu"], **close)
        np.testing.assert_allclose(st["rho_vu"].extras["vbar_u"], d["rho_vu"], **close)
        np.testing.assert_allclose(st["phi_u"].extras["u_new"], d["phi_u"], **close)
        for s in st.values():
            np.testing.assert_allclose(s.extras["u"], d["u_in"], **close)
        # the messages travel on every edge in phi_e and rho_e->v, on none afterwards
        assert st["phi_e"].edges.tolist() == list(range(g.n_edges)) == st["rho_ev"].edges.tolist()
        assert all(st[k].n_sent == 0 and st[k].messages is None for k in KEYS[2:])
    if which == "lonely":
        assert np.array_equal(t.steps[1].aggregates[3], np.zeros(5))  # nothing arrives at node 3


def test_the_trace_is_the_engines_run():
    """One code path: the recorded sub-steps are the numbers run_stack(layer="gn") computes."""
    g = load_graph("caffeine")
    t = gn_block_trace(g, layers=3, hidden=4, seed=1, aggr="mean")
    run = run_stack(g, layer="gn", layers=3, hidden=4, seed=1, aggr="mean")
    for b in range(3):
        assert np.array_equal(t.steps[6 * b].messages, run.steps[b].messages)
        assert np.array_equal(t.steps[6 * b + 1].aggregates, run.steps[b].aggregates)
        assert np.array_equal(t.steps[6 * b + 2].states, run.steps[b].states)
        assert np.array_equal(t.steps[6 * b + 5].extras["u_new"], run.steps[b].extras["globals"])
    assert np.array_equal(t.result["output"], run.result["output"])
    assert np.array_equal(t.result["global"][0], run.result["readout"])
    assert np.array_equal(t.graph.x, run.graph.x)


def test_json_round_trip_keeps_every_number_and_formula():
    from explorer.viz import node_update_latex

    g = load_graph("caffeine")
    t = gn_block_trace(g, layers=2, hidden=3, seed=0)
    back = Trace.from_json(t.to_json())
    validate_trace(back)
    assert back.kind == GN_KIND and [s.label for s in back.steps] == [s.label for s in t.steps]
    for a, b in zip(t.steps, back.steps):
        for name in ("messages", "aggregates", "states"):
            x, y = getattr(a, name), getattr(b, name)
            assert (x is None) == (y is None) and (x is None or np.array_equal(x, y))
        assert a.extras.keys() == b.extras.keys()
        for k, v in a.extras.items():
            assert np.array_equal(np.asarray(v), np.asarray(b.extras[k])), k
    for k in range(len(t.steps)):
        assert node_update_latex(back, k, 4) == node_update_latex(t, k, 4)


def _shows(latex, ref):
    """Some ``\\left( ... \\right)`` vector printed in ``latex`` (a row, plain or smallmatrix) equals ``ref`` to the 3
    significant digits the formula prints (so float32 vs float64 rounding cannot flip it)."""
    ref = np.asarray(ref, float).reshape(-1)
    for body in re.findall(r"\\left\((.*?)\\right\)", latex):
        got = np.array([float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", body)])
        if got.shape == ref.shape and np.all(np.abs(got - ref) <= 0.006 * np.abs(ref) + 1e-9):
            return True
    return False


def test_the_formula_names_phi_and_rho_with_the_numbers():
    from explorer.viz import node_update_latex

    g = load_graph("caffeine")
    t = gn_block_trace(g, layers=2, hidden=4, seed=2)
    d = _dense(g, 2, 4, 2, "sum")
    node = 4
    edge = int(np.flatnonzero(g.receivers == node)[0])
    symbols = [r"\phi^{e}", r"\rho^{e\rightarrow v}", r"\phi^{v}", r"\rho^{e\rightarrow u}",
               r"\rho^{v\rightarrow u}", r"\phi^{u}"]
    for b in range(2):
        latex = [node_update_latex(t, 6 * b + j, node) for j in range(6)]
        for j, sym in enumerate(symbols):
            assert sym in latex[j] and f"block {b + 1}" in latex[j]
        # the numbers are the dense formula's (as printed), not only the trace's own
        assert _shows(latex[0], d[b]["phi_e"][edge]) and _shows(latex[0], d[b]["e_in"][edge])
        for k in np.flatnonzero(g.receivers == node):
            assert _shows(latex[1], d[b]["phi_e"][k])
        assert _shows(latex[1], d[b]["rho_ev"][node]) and _shows(latex[2], d[b]["rho_ev"][node])
        assert _shows(latex[2], d[b]["phi_v"][node]) and _shows(latex[2], d[b]["v_in"][node])
        assert _shows(latex[3], d[b]["rho_eu"][0]) and _shows(latex[4], d[b]["rho_vu"][0])
        assert _shows(latex[5], d[b]["phi_u"][0]) and _shows(latex[5], d[b]["u_in"][0])


def test_the_players_figure_puts_the_edge_vectors_on_the_edges():
    """The standard trace figure: the phi_e frame's markers sit on every edge and their hover
    holds the edge's new vector; node colours follow the recorded node states."""
    from explorer.viz import trace_figure
    from explorer.viz._common import fmt_vec
    from explorer.viz.layout import compute_layout

    g = load_graph("caffeine")
    t = gn_block_trace(g, layers=1, hidden=4, seed=0)
    fig = trace_figure(t, compute_layout(g, "auto", 0), color_by="norm")
    assert len(fig.frames) == 6
    msgs = fig.frames[0].data[0]
    assert len(msgs.x) == g.n_edges
    for k in (0, 7, g.n_edges - 1):
        assert fmt_vec(t.steps[0].messages[k], max_len=8) in msgs.hovertext[k]
    norms = np.linalg.norm(_dense(g, 1, 4, 0, "sum")[0]["phi_v"], axis=1)
    np.testing.assert_allclose(np.asarray(fig.frames[2].data[1].marker.color, float), norms, atol=1e-5)
    assert len(fig.frames[3].data[0].x) == 0  # rho_e->u sends nothing along the edges


def test_a_step_without_a_substep_is_refused():
    from explorer.errors import TraceError
    from explorer.viz.gn_formulas import substep_of

    t = gn_block_trace(_lonely(), layers=1)
    bad = Trace(kind=GN_KIND, graph=t.graph, params=t.params,
                steps=(t.steps[0].__class__(edges=[], messages=None, aggregates=None, states=None),))
    with pytest.raises(TraceError, match=r"expected extras\['gn'\]"):
        substep_of(bad, 0)
