"""The graph-network block's six sub-steps and the MPNN's node detail, against the modules'
own forward passes, sums written out by hand, and torch.nn.GRUCell; the page against both."""

import numpy as np
import pytest
import torch

from explorer.errors import ModelError
from explorer.graph import Graph
from explorer.io import load_graph
from explorer.nn import run_stack
from explorer.nn.blocks import GraphNetworkBlock
from explorer.nn.gn_steps import SUBSTEPS, gn_layers, gn_substeps, mpnn_node_detail
from explorer.nn.run import build_model


def _random_case(aggr, seed=0):
    g = torch.Generator().manual_seed(seed)
    ei = torch.tensor([[0, 1, 2, 3, 3, 1, 4], [2, 2, 0, 2, 1, 3, 4]])  # node 4: a self-loop only
    x = torch.randn(5, 3, generator=g, dtype=torch.float64)
    ea = torch.randn(7, 2, generator=g, dtype=torch.float64)
    u = torch.randn(1, 2, generator=g, dtype=torch.float64)
    torch.manual_seed(seed)
    blk = GraphNetworkBlock(3, 2, 2, 4, aggr=aggr).double()
    return blk, x, ei, ea, u


@pytest.mark.parametrize("aggr", ["sum", "mean", "max"])
def test_substeps_are_exactly_the_forward(aggr):
    blk, x, ei, ea, u = _random_case(aggr)
    steps = gn_substeps(blk, x, ei, ea, u)
    assert [s["key"] for s in steps] == [k for k, *_ in SUBSTEPS]
    by = {s["key"]: s["output"] for s in steps}
    v_new, e_new, u_new = blk(x, ei, ea, u, torch.zeros(5, dtype=torch.long))
    assert np.array_equal(by["phi_e"], e_new.detach().numpy())
    assert np.array_equal(by["phi_v"], v_new.detach().numpy())
    assert np.array_equal(by["phi_u"], u_new.detach().numpy())


def test_aggregations_by_hand_on_a_tiny_graph():
    blk, x, ei, ea, u = _random_case("sum", seed=3)
    steps = {s["key"]: s for s in gn_substeps(blk, x, ei, ea, u)}
    e1 = steps["phi_e"]["output"]
    # phi_e reads (e_k, v_s, v_r, u) row by row
    assert np.array_equal(steps["phi_e"]["inputs"]["v_s"][4], x[3].numpy())
    assert np.array_equal(steps["phi_e"]["inputs"]["v_r"][4], x[1].numpy())
    one = blk.phi_e(torch.cat([ea[5], x[1], x[3], u[0]])).detach().numpy()
    np.testing.assert_allclose(e1[5], one, atol=1e-12)
    # rho_e->v: edges 0, 1, 3 arrive at node 2; edge 2 at node 0; edge 4 at node 1; 5 at 3; 6 at 4
    agg = steps["rho_ev"]["output"]
    np.testing.assert_allclose(agg[2], e1[0] + e1[1] + e1[3], atol=1e-12)
    np.testing.assert_allclose(agg[0], e1[2], atol=1e-12)
    np.testing.assert_allclose(agg[4], e1[6], atol=1e-12)
    # rho_e->u and rho_v->u: the sums over every edge and every updated node
    np.testing.assert_allclose(steps["rho_eu"]["output"][0], e1[0] + e1[1] + e1[2] + e1[3] + e1[4] + e1[5] + e1[6],
                               atol=1e-12)
    v1 = steps["phi_v"]["output"]
    np.testing.assert_allclose(steps["rho_vu"]["output"][0], v1[0] + v1[1] + v1[2] + v1[3] + v1[4], atol=1e-12)
    u_ref = blk.phi_u(torch.tensor(np.r_[steps["rho_eu"]["output"][0], steps["rho_vu"]["output"][0],
                                         u[0].numpy()])).detach().numpy()
    np.testing.assert_allclose(steps["phi_u"]["output"][0], u_ref, atol=1e-12)


def test_mean_and_max_aggregations_by_hand():
    for aggr, red in (("mean", lambda a: a.mean(0)), ("max", lambda a: a.max(0))):
        blk, x, ei, ea, u = _random_case(aggr, seed=5)
        steps = {s["key"]: s["output"] for s in gn_substeps(blk, x, ei, ea, u)}
        e1 = steps["phi_e"]
        np.testing.assert_allclose(steps["rho_ev"][2], red(e1[[0, 1, 3]]), atol=1e-12)
        np.testing.assert_allclose(steps["rho_eu"][0], red(e1), atol=1e-12)


def test_gn_layers_equal_the_recorded_run():
    g = load_graph("caffeine")
    d = gn_layers(g, layers=2, hidden=4, seed=2)
    t = run_stack(g, layer="gn", layers=2, hidden=4, seed=2)
    for k in range(2):
        by = {s["key"]: s["output"] for s in d["layers"][k]}
        assert np.array_equal(by["phi_e"], t.steps[k].messages)
        assert np.array_equal(by["rho_ev"], t.steps[k].aggregates)
        assert np.array_equal(by["phi_v"], t.steps[k].states)
        assert np.array_equal(by["phi_u"], t.steps[k].extras["globals"])
    assert d["edge_source"] == "edge_attr" and np.array_equal(d["edge_attr"], g.edge_attr)


def test_mpnn_detail_against_gru_cell_and_the_module():
    g = load_graph("caffeine")
    node, hidden, seed = 4, 4, 1
    for step in (0, 1):
        d = mpnn_node_detail(g, node, step=step, steps=2, hidden=hidden, seed=seed)
        torch.manual_seed(seed)
        model = build_model("mpnn", g.x.shape[1], layers=2, hidden=hidden, edge_dim=g.edge_attr.shape[1])
        cell = torch.nn.GRUCell(hidden, hidden)
        cell.load_state_dict({k.replace("_l0", ""): v for k, v in model.gru.state_dict().items()})
        with torch.no_grad():
            ref = cell(torch.tensor(d["m"], dtype=torch.float32)[None], torch.tensor(d["h"], dtype=torch.float32)[None])
        np.testing.assert_allclose(d["h_new"], ref[0].numpy(), atol=1e-6)
        np.testing.assert_allclose(d["h_new_module"], ref[0].numpy(), atol=1e-6)
        t = run_stack(g, layer="mpnn", layers=2, hidden=hidden, seed=seed)
        assert np.array_equal(d["h_new_module"], t.steps[step].states[node])
        # each message is A(e) h_j; the sum is theirs; m = ReLU(sum + root)
        assert [e["sender"] for e in d["incoming"]] == g.senders[g.receivers == node].tolist()
        for e in d["incoming"]:
            np.testing.assert_allclose(e["A"] @ e["h_j"], e["message"], atol=1e-6)
        np.testing.assert_allclose(sum(e["message"] for e in d["incoming"]), d["sum"], atol=1e-6)
        np.testing.assert_allclose(np.maximum(d["sum"] + d["root"], 0), d["m"], atol=1e-6)
        # bonds of the same type share one matrix, different types do not
        by_type = {}
        for e in d["incoming"]:
            by_type.setdefault(tuple(e["edge_attr"]), []).append(e["A"])
        for mats in by_type.values():
            assert all(np.array_equal(mats[0], m) for m in mats)


def test_bad_node_and_step_are_refused():
    g = Graph.from_edges(3, [(0, 1), (1, 2)])
    with pytest.raises(ModelError, match="expected a node in"):
        mpnn_node_detail(g, 7)
    with pytest.raises(ModelError, match="expected a step in"):
        mpnn_node_detail(g, 0, step=2, steps=2)
    with pytest.raises(ModelError, match="layers >= 1"):
        gn_layers(g, layers=0)


# ---------------------------------------------------------------------- the page
def _ok(at):
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def test_page_shows_the_library_numbers():
    """The page plays the "gn-block" trace with the standard player: the panel's formula holds
    the library's sub-step numbers, the figure the edge features and the global node."""
    pytest.importorskip("streamlit")
    import json

    from explorer.ui.testing import app_test, array, charts, trace_named
    from explorer.viz.gn_formulas import vec_tex
    from explorer.viz.gn_view import fmt_row

    at = app_test("gn_block")
    _ok(at)
    g = load_graph("caffeine")
    d = gn_layers(g, layers=2, hidden=4, seed=0)
    latex = [el.value for el in at.get("latex")]
    edge = int(np.flatnonzero(g.receivers == 0)[0])  # the default: node 0, its first incoming edge
    phi_e = d["layers"][0][0]
    assert any(vec_tex(phi_e["output"][edge], compact=True) in s for s in latex)
    assert any(vec_tex(g.edge_attr[edge], compact=True) in s for s in latex)
    player = [e for e in at.get("bidi_component") if e.proto.component_name == "mpe_player"]
    assert len(player) == 1
    data = json.loads(player[0].proto.json)
    assert len(data["labels"]) == 12 and data["labels"][0].startswith("1·φ")
    fig = charts(at)["gn.graph"]
    assert array(trace_named(fig, "global u")["x"])  # the global node is drawn
    assert any(t.get("name") == "e = (0, 0, 1)" for t in fig["data"])  # bond features on the edges
    # MPNN: the new state shown is the module's
    det = mpnn_node_detail(g, 0, step=0, steps=2, hidden=4, seed=0)
    assert any(vec_tex(det["h_new_module"]) in s for s in latex)
    # the chart reaches rho_e->v of block 2: its aggregate at node 0 is in the panel
    at.session_state["gn.step"] = 7
    at.run()
    _ok(at)
    agg = d["layers"][1][1]["output"][0]
    assert any(vec_tex(agg, compact=True) in s for s in (el.value for el in at.get("latex")))
    v2 = d["layers"][1][2]["output"][0]
    at.session_state["gn.step"] = 8
    at.run()
    assert any(vec_tex(v2, compact=True) in s for s in (el.value for el in at.get("latex")))
    # the global update of block 1: u' in the formula and in the global table
    at.session_state["gn.step"] = 5
    at.run()
    _ok(at)
    u1 = d["layers"][0][5]["output"][0]
    assert any(vec_tex(u1, compact=True) in s for s in (el.value for el in at.get("latex")))
    glob = next(m.value for m in at.markdown if m.value.startswith("**The global vector**"))
    assert len(glob.splitlines()) == 5 and glob.splitlines()[-1].startswith("u′")
    assert fmt_row(u1, 8) in glob.splitlines()[-1]
