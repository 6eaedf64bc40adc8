"""Depth sweeps, remedies and devices: the classic over-smoothing behaviour and PyG parity.

Fixture graph: a connected 4-regular random graph on 40 nodes (an expander, so plain GCN's
decay is fast and clean; regular, so the survey energy's null space is the constant vector).
"""

import json

import networkx as nx
import numpy as np
import pytest
import torch

from explorer.errors import DeviceError, ModelError
from explorer.graph import Graph
from explorer.trace import Trace, validate_trace
from explorer.diagnostics import all_metrics, csbm, random_graph, resolve_device
from explorer.diagnostics.metrics import METRIC_KEYS
from explorer.diagnostics.remedies import GCN2Conv, PairNorm, drop_edge, gcn_propagate
from explorer.diagnostics.stack import DeepStack
from explorer.diagnostics.sweep import depth_sweep
from explorer.diagnostics.trace import pca2, sweep_to_trace

HAS_CUDA = torch.cuda.is_available()


pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture(scope="module")
def regular():
    g = Graph.from_networkx(nx.random_regular_graph(4, 40, seed=1))
    return g.with_features(np.random.default_rng(0).standard_normal((40, 8)))


def ratios(result):
    return np.array([d["dirichlet_energy"] / d["feature_norm"] ** 2 for d in result.layers])


# ---------------------------------------------------------------- the classic behaviour
def test_gcn_energy_decays_exponentially_remedies_stay_bounded(regular):
    plain = ratios(depth_sweep(regular, depth=32, hidden=16, device="cpu"))
    k = np.arange(4, 33)
    slope, icpt = np.polyfit(k, np.log(plain[4:]), 1)
    fit = np.corrcoef(k, np.log(plain[4:]))[0, 1] ** 2
    assert slope < -0.2 and fit > 0.9                     # roughly exponential decay
    assert plain[32] < 1e-5 * plain[0]
    for remedy in ("pairnorm", "gcnii"):
        r = ratios(depth_sweep(regular, depth=32, hidden=16, remedy=remedy, device="cpu"))
        assert r[1:].min() > 1e-3, remedy                   # bounded away from zero
        assert r[32] > 100 * plain[32], remedy


def test_layers_json_shape_and_recording_is_observation(regular):
    res = depth_sweep(regular, depth=3, hidden=8, device="cpu", keep_features=True)
    doc = res.to_json_dict()
    assert list(doc) == ["device", "layers"] and doc["device"] == "cpu"
    assert [d["layer"] for d in doc["layers"]] == [0, 1, 2, 3]
    assert all(list(d) == ["layer", *METRIC_KEYS] for d in doc["layers"])
    json.dumps(doc, allow_nan=False)
    np.testing.assert_allclose(res.features[0], regular.x.astype(np.float32))
    for d, f in zip(res.layers, res.features):         # metrics are of the kept features
        assert d["mad"] == pytest.approx(all_metrics(f, regular)["mad"], rel=1e-12)
    # the stack is make_layer's GCN: replay it by hand with the same seeded modules
    torch.manual_seed(0)
    model = DeepStack("gcn", 8, 8, 3)
    h = torch.tensor(regular.x, dtype=torch.float32)
    ei = torch.from_numpy(regular.edge_index)
    for conv, f in zip(model.convs, res.features[1:]):
        h = torch.relu(conv(h, ei))
        np.testing.assert_allclose(f, h.detach().numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("layer", ["sage", "gat", "gin"])
def test_other_layers_run_and_are_seeded(layer):
    g = csbm(n=60, p_in=0.2, p_out=0.02, feature_dim=4, seed=1)
    a = depth_sweep(g, layer=layer, depth=4, hidden=8, device="cpu", seed=3)
    b = depth_sweep(g, layer=layer, depth=4, hidden=8, device="cpu", seed=3)
    assert a.to_json_dict() == b.to_json_dict()
    assert all(not d["overflow"] for d in a.layers)


def test_residual_and_dropedge_formulas(regular):
    res = depth_sweep(regular, depth=2, hidden=8, remedy="residual", device="cpu", keep_features=True)
    torch.manual_seed(0)
    model = DeepStack("gcn", 8, 8, 2, "residual")
    x = torch.tensor(regular.x, dtype=torch.float32)
    ei = torch.from_numpy(regular.edge_index)
    h1 = torch.relu(model.convs[0](x, ei)) + x             # widths match: skip added
    h2 = h1 + torch.relu(model.convs[1](h1, ei))
    np.testing.assert_allclose(res.features[2], h2.detach().numpy(), rtol=1e-5, atol=1e-6)
    a = depth_sweep(regular, depth=3, hidden=8, remedy="dropedge", device="cpu", seed=5)
    b = depth_sweep(regular, depth=3, hidden=8, remedy="dropedge", device="cpu", seed=5)
    c = depth_sweep(regular, depth=3, hidden=8, remedy="dropedge", device="cpu", seed=6)
    assert a.to_json_dict() == b.to_json_dict() != c.to_json_dict()


# ---------------------------------------------------------------- remedies against PyG
def test_pairnorm_and_gcn2conv_match_pyg():
    pyg = pytest.importorskip("torch_geometric.nn")
    x = torch.randn(30, 6)
    for si in (False, True):
        np.testing.assert_allclose(PairNorm(2.0, si)(x).numpy(),
                                   pyg.PairNorm(2.0, si)(x).numpy(), rtol=1e-5, atol=1e-6)
    g = csbm(n=30, p_in=0.3, p_out=0.05, feature_dim=6, seed=2)
    ei = torch.from_numpy(g.edge_index)
    w = torch.rand(ei.shape[1])
    ours = GCN2Conv(6, alpha=0.1, theta=0.5, layer=3)
    theirs = pyg.GCN2Conv(6, alpha=0.1, theta=0.5, layer=3)
    theirs.weight1.data.copy_(ours.weight1.data)
    x0 = torch.randn(30, 6)
    for weight in (None, w):
        np.testing.assert_allclose(ours(x, x0, ei, weight).detach().numpy(),
                                   theirs(x, x0, ei, weight).detach().numpy(), rtol=1e-5, atol=1e-6)
    assert ours.beta == pytest.approx(np.log(0.5 / 3 + 1))


def test_gcn_propagate_dense_formula_and_dropedge_semantics():
    g = csbm(n=25, p_in=0.3, p_out=0.05, feature_dim=3, seed=4)
    a = np.zeros((25, 25))
    a[g.receivers, g.senders] = 1
    at = a + np.eye(25)
    dis = 1 / np.sqrt(at.sum(1))
    x = np.random.default_rng(0).standard_normal((25, 3))
    got = gcn_propagate(torch.tensor(x), torch.from_numpy(g.edge_index)).numpy()
    np.testing.assert_allclose(got, (dis[:, None] * at * dis[None, :]) @ x, rtol=1e-10)
    ei = torch.from_numpy(g.edge_index)
    kept, _ = drop_edge(ei, 0.3, torch.Generator().manual_seed(7))
    torch.manual_seed(7)
    mask = torch.rand(ei.shape[1]) >= 0.3                   # PyG's dropout_edge rule
    assert torch.equal(kept, ei[:, mask])
    with pytest.raises(ModelError, match="0 <= p < 1"):
        drop_edge(ei, 1.0, torch.Generator())


# ---------------------------------------------------------------- bad input
def test_depth_limit_and_bad_options(regular):
    with pytest.raises(ModelError, match="128"):
        depth_sweep(regular, depth=129)
    with pytest.raises(ModelError, match="between 1 and 128"):
        depth_sweep(regular, depth=0)
    with pytest.raises(ModelError, match="gcnii.*GCN only"):
        depth_sweep(regular, layer="sage", remedy="gcnii", depth=2)
    with pytest.raises(ModelError, match="remedy"):
        depth_sweep(regular, remedy="magic", depth=2)
    with pytest.raises(ModelError, match="weights do not fit"):
        depth_sweep(regular, depth=2, hidden=8, weights={"nope": torch.zeros(1)})


def test_overflow_flagged_per_layer_never_nan():
    g = Graph.from_networkx(nx.complete_graph(12))
    x = np.random.default_rng(0).standard_normal((12, 4)) * 1e37   # near float32's limit
    res = depth_sweep(g, layer="gin", depth=24, hidden=16, device="cpu", x=x)
    flags = [d["overflow"] for d in res.layers]
    first = flags.index(True)
    assert first > 0 and all(flags[first:]) and not any(flags[:first])
    doc = json.loads(json.dumps(res.to_json_dict(), allow_nan=False))
    assert all(doc["layers"][-1][k] is None for k in METRIC_KEYS)


def test_trained_weights_and_progress(regular):
    torch.manual_seed(0)
    model = DeepStack("gcn", 8, 8, 3)
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(0.5)
    calls = []
    res = depth_sweep(regular, depth=3, hidden=8, device="cpu", seed=0, weights=model.state_dict(),
                      progress=lambda done, total: calls.append((done, total)), keep_features=True)
    assert calls == [(1, 3), (2, 3), (3, 3)] and res.params["weights"] == "given"
    h = model(torch.tensor(regular.x, dtype=torch.float32), torch.from_numpy(regular.edge_index))
    np.testing.assert_allclose(res.features[-1], h.detach().numpy(), rtol=1e-6, atol=1e-7)


# ---------------------------------------------------------------- trace
def test_sweep_to_trace_validates_and_round_trips(regular):
    res = depth_sweep(regular, depth=2, hidden=8, device="cpu", keep_features=True)
    tr = validate_trace(sweep_to_trace(res, regular))
    assert tr.kind == "oversmooth" and len(tr) == 3 and tr.params["seed"] == 0
    np.testing.assert_allclose(tr.steps[1].states, res.features[1])
    assert tr.steps[2].extras["mad"] == res.layers[2]["mad"]
    back = Trace.from_json(tr.to_json())
    assert back.steps[2].extras["feature_norm"] == pytest.approx(res.layers[2]["feature_norm"])
    with pytest.raises(ModelError, match="keep_features=True"):
        sweep_to_trace(depth_sweep(regular, depth=1, hidden=4, device="cpu"), regular)
    x = np.random.default_rng(0).standard_normal((50, 4)) * [5, 2, 1, 0.1]
    p = pca2(x)
    xc = x - x.mean(0)
    np.testing.assert_allclose(np.abs(p), np.abs(xc @ np.linalg.svd(xc)[2][:2].T), rtol=1e-8)


# ---------------------------------------------------------------- devices
def test_cpu_forced_and_auto():
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type == ("cuda" if HAS_CUDA else "cpu")
    g = random_graph(30, 60, seed=1, feature_dim=3)
    assert depth_sweep(g, depth=1, hidden=4, device="cpu").device == "cpu"
    with pytest.raises(DeviceError, match="expected a device"):
        resolve_device("tpu")


@pytest.mark.skipif(HAS_CUDA, reason="this machine has a GPU")
def test_cuda_without_gpu_is_a_clear_error():
    with pytest.raises(DeviceError, match="sees no CUDA GPU.*--device cpu"):
        resolve_device("cuda")
    with pytest.raises(DeviceError, match="no CUDA GPU"):
        depth_sweep(random_graph(10, 12, feature_dim=2), depth=1, device="cuda")


@pytest.mark.skipif(not HAS_CUDA, reason="needs a CUDA GPU")
def test_cuda_matches_cpu():
    g = csbm(n=300, p_in=0.05, p_out=0.01, feature_dim=8, seed=0)
    for remedy in ("none", "pairnorm", "gcnii"):
        a = depth_sweep(g, depth=8, hidden=16, remedy=remedy, device="cpu")
        b = depth_sweep(g, depth=8, hidden=16, remedy=remedy, device="cuda")
        assert b.device.startswith("cuda")
        for da, db in zip(a.layers, b.layers):
            for k in METRIC_KEYS:
                if da[k] is not None:
                    assert db[k] == pytest.approx(da[k], rel=1e-3, abs=1e-6), (remedy, k)
    x = torch.randn(3000, 16, device="cuda")
    big = random_graph(3000, 9000, seed=0)
    ca, cb = all_metrics(x, big), all_metrics(x.cpu(), big)
    for k in METRIC_KEYS:
        if ca[k] is not None:
            assert ca[k] == pytest.approx(cb[k], rel=1e-9, abs=1e-12), k
