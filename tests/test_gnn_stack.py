"""The stack runner: one Trace per run, recording that observes only, receptive fields,
readouts, and PyG model import (state dicts of GCN, GraphSAGE, GAT, GIN) agreeing with PyG."""

import networkx as nx
import numpy as np
import pytest
import torch

from explorer.errors import InputFormatError, ModelError
from explorer.graph import Graph
from explorer.nn import load_pyg_state_dict, receptive_field, run_stack
from explorer.trace import Trace, validate_trace


def karate() -> Graph:
    g = Graph.from_networkx(nx.karate_club_graph())
    y = np.array([0 if nx.karate_club_graph().nodes[v]["club"] == "Mr. Hi" else 1 for v in range(34)])
    return Graph(g.n_nodes, g.senders, g.receivers, y=y, name="karate")


def small_graph() -> Graph:
    """Directed edges, a self-loop on node 1, a duplicate edge, an isolated node 5."""
    return Graph.from_edges(6, [(0, 1), (1, 2), (2, 0), (1, 1), (3, 2), (3, 2), (4, 3)], directed=True,
                            x=np.arange(12, dtype=float).reshape(6, 2) / 7)


@pytest.mark.parametrize("layer", ["gcn", "sage", "gat", "gin", "mpnn", "gn"])
def test_recorded_equals_unrecorded_and_messages_add_up(layer):
    g = small_graph()
    t = run_stack(g, layer=layer, layers=3, hidden=4, heads=2, seed=3)
    u = run_stack(g, layer=layer, layers=3, hidden=4, heads=2, seed=3, record=False)
    assert np.array_equal(t.result["output"], u.result["output"])
    validate_trace(t)
    for k, step in enumerate(t.steps[:3]):
        assert np.array_equal(step.states, u.steps[k].states)
        agg = np.zeros_like(step.aggregates)
        np.add.at(agg, g.receivers[step.edges], step.messages)
        if "self_loop_messages" in step.extras:
            agg += step.extras["self_loop_messages"]
            assert 1 not in step.edges[g.senders[step.edges] == g.receivers[step.edges]]
        if layer == "sage":  # mean aggregation
            agg /= np.maximum(np.bincount(g.receivers[step.edges], minlength=6), 1).reshape(-1, 1)
        np.testing.assert_allclose(agg, step.aggregates, atol=1e-6)
    np.testing.assert_array_equal(t.result["output"], t.result["layers"][-1])
    assert Trace.from_json(t.to_json()).steps[1].extras.keys() == t.steps[1].extras.keys()


def test_stack_is_relu_between_layers_and_none_after():
    g = small_graph()
    t = run_stack(g, layer="gin", layers=2, hidden=3, seed=0)
    s1, s2 = t.result["layers"]
    assert (s1 < 0).any() and (t.result["output"] < 0).any()  # last layer not activated
    # layer 2's messages are ReLU(layer 1 states) of the senders
    np.testing.assert_allclose(t.steps[1].messages, np.maximum(s1, 0)[g.senders[t.steps[1].edges]], atol=1e-7)


def test_receptive_field_on_a_directed_chain():
    g = Graph.from_edges(5, [(0, 1), (1, 2), (2, 3), (3, 4)], directed=True)
    assert "receptive_field" not in run_stack(g, layer="gcn", layers=3).steps[0].extras  # on demand
    assert [f.tolist() for f in receptive_field(g, 4, 3)] == [[3, 4], [2, 3, 4], [1, 2, 3, 4]]
    t = run_stack(g, layer="gcn", layers=3, features="constant", record_fields=True)
    assert t.steps[0].extras["receptive_field"].tolist() == [1, 2, 2, 2, 2]
    assert t.steps[2].extras["receptive_field"].tolist() == [1, 2, 3, 4, 4]
    assert t.steps[2].extras["receptive_field_sets"][4].tolist() == [1, 2, 3, 4]


@pytest.mark.parametrize("mode", ["sum", "mean", "max", "attention"])
def test_readout_step(mode):
    g = karate()
    t = run_stack(g, layer="gcn", layers=2, readout=mode, seed=1)
    out, last = t.result["output"], t.steps[-1]
    assert last.label == "readout" and last.messages is None
    if mode == "attention":
        w = last.extras["weights"]
        assert w.sum() == pytest.approx(1.0, abs=1e-6) and (w > 0).all()
        expect = (w[:, None] * out).sum(0)
    else:
        expect = {"sum": out.sum(0), "mean": out.mean(0), "max": out.max(0)}[mode]
    np.testing.assert_allclose(t.result["readout"], expect, rtol=1e-5, atol=1e-5)


def test_gat_self_loop_attention_sums_to_one_with_incoming():
    g = small_graph()
    t = run_stack(g, layer="gat", layers=1, hidden=4, heads=2)
    st = t.steps[0]
    tot = st.extras["self_loop_attention"].copy()
    np.add.at(tot, g.receivers[st.edges], st.extras["attention"])
    np.testing.assert_allclose(tot, 1.0, atol=1e-6)


def test_bad_features_are_refused_by_node():
    x = np.ones((6, 2))
    x[4, 1] = np.nan
    g = Graph.from_edges(6, [(0, 1)], x=x, labels=list("abcdef"))
    with pytest.raises(ModelError, match=r"node 'e' \(index 4\) has a non-finite feature"):
        run_stack(g)
    with pytest.raises(ModelError, match="expected a layer in"):
        run_stack(small_graph(), layer="cheb")


# ---------------------------------------------------------------- PyG models
def _pyg_model(kind, **kw):
    from torch_geometric.nn import models

    cls = {"gcn": models.GCN, "sage": models.GraphSAGE, "gat": models.GAT, "gin": models.GIN}[kind]
    return cls(**kw).eval()


@pytest.mark.parametrize("kind,kw", [
    ("gcn", dict(num_layers=3, out_channels=2)), ("gcn", dict(num_layers=1)),
    ("sage", dict(num_layers=2)), ("sage", dict(num_layers=3, out_channels=3)),
    ("gat", dict(num_layers=2, heads=2)), ("gat", dict(num_layers=3, heads=4, out_channels=3)),
    ("gin", dict(num_layers=2, out_channels=2)), ("gin", dict(num_layers=3)),
])
def test_imported_pyg_models_agree(kind, kw, tmp_path):
    pytest.importorskip("torch_geometric")
    torch.manual_seed(0)
    g = karate()
    x = np.random.default_rng(0).standard_normal((34, 5))
    g = g.with_features(x)
    model = _pyg_model(kind, in_channels=5, hidden_channels=8, **kw)
    for name, p in model.named_parameters():  # non-zero biases, so that they are checked
        if name.endswith("bias"):
            torch.nn.init.normal_(p)
    path = tmp_path / "m.pt"
    torch.save(model.state_dict(), path)
    spec = load_pyg_state_dict(path)
    assert spec["kind"] == kind and spec["layers"] == kw["num_layers"]
    assert spec["out_channels"] == kw.get("out_channels", 8)
    t = run_stack(g, weights=str(path))
    with torch.no_grad():
        want = model(torch.tensor(x, dtype=torch.float32), torch.as_tensor(g.edge_index)).numpy()
    np.testing.assert_allclose(t.result["output"], want, rtol=0, atol=1e-5)
    assert t.params["layer"] == kind


def test_import_errors_name_sizes_and_keys(tmp_path):
    pytest.importorskip("torch_geometric")
    model = _pyg_model("gcn", in_channels=5, hidden_channels=8, num_layers=2)
    with pytest.raises(ModelError, match="expect 5 input features per node, but the features used have 3"):
        run_stack(small_graph().with_features(np.ones((6, 3))), weights=model.state_dict())
    jk = _pyg_model("gcn", in_channels=5, hidden_channels=8, num_layers=2, jk="cat")
    with pytest.raises(ModelError, match=r"Expected keys per layer: gcn: convs.<k>.lin.weight.*Found: .*lin.weight"):
        load_pyg_state_dict(jk.state_dict())
    with pytest.raises(ModelError, match="Found: conv1.weight"):
        load_pyg_state_dict({"conv1.weight": torch.ones(2, 2)})
    bad = tmp_path / "bad.pt"
    bad.write_text("not a torch file")
    with pytest.raises(InputFormatError, match="expected a PyTorch state dict saved with torch.save"):
        load_pyg_state_dict(bad)
