"""PyG state dicts: a GAT without bias loads as PyG's GAT computes it, and every hostile or broken
``.pt`` is refused with the project's error before anything is built from it."""

import json
import os
import pickle
import zipfile

import numpy as np
import pytest
import torch

from explorer.cli import main
from explorer.errors import InputFormatError, ModelError
from explorer.graph import Graph
from explorer.io.limits import Limits
from explorer.nn import load_pyg_state_dict, run_stack
from explorer.nn.state_dict import read_state_dict

pyg = pytest.importorskip("torch_geometric.nn.models")
pytestmark = pytest.mark.usefixtures("torch_one_thread")


def graph() -> Graph:
    rng = np.random.default_rng(0)
    s, r = rng.integers(0, 12, 40), rng.integers(0, 12, 40)
    return Graph(12, s, r, directed=True, x=rng.standard_normal((12, 5)))


def pyg_out(model, g: Graph) -> np.ndarray:
    model.eval()
    with torch.no_grad():
        return model(torch.tensor(g.x, dtype=torch.float32), torch.as_tensor(g.edge_index)).numpy()


def saved(obj, tmp_path, name="w.pt"):
    p = tmp_path / name
    torch.save(obj, p)
    return p


@pytest.mark.parametrize("heads,layers", [(3, 2), (2, 3)])
def test_gat_without_bias_averages_last_heads_as_pyg(heads, layers, tmp_path):
    torch.manual_seed(0)
    model = pyg.GAT(5, 4 * heads, num_layers=layers, out_channels=3, heads=heads, bias=False)
    g = graph()
    path = saved(model.state_dict(), tmp_path)
    spec = load_pyg_state_dict(path)
    assert spec["out_channels"] == 3 and [s["concat"] for s in spec["specs"]] == [True] * (layers - 1) + [False]
    assert len(spec["notes"]) == 1 and "averaged" in spec["notes"][0] and "--gat-last concat" in spec["notes"][0]
    out = run_stack(g, weights=path, features="x").result["output"]
    np.testing.assert_allclose(out, pyg_out(model, g), atol=1e-5)


def test_gat_without_out_channels_needs_concat_override(tmp_path, capsys):
    torch.manual_seed(1)
    model = pyg.GAT(5, 6, num_layers=2, heads=2, bias=False)   # last layer concatenates
    g = graph()
    path = saved(model.state_dict(), tmp_path)
    assert run_stack(g, weights=path, features="x").result["output"].shape == (12, 3)  # mean: 3 wide
    out = run_stack(g, weights=path, features="x", gat_last="concat").result["output"]
    np.testing.assert_allclose(out, pyg_out(model, g), atol=1e-5)
    gfile = tmp_path / "g.json"
    gfile.write_text(json.dumps({"directed": True, "nodes": [{"id": i, "x": g.x[i].tolist()} for i in range(12)],
                                 "links": [{"source": int(a), "target": int(b)} for a, b in zip(g.senders, g.receivers)]}))
    rc = main(["gnn", str(gfile), "--weights", str(path), "--gat-last", "concat", "--json", "-"])
    cap = capsys.readouterr()
    assert rc == 0, cap.err
    from explorer.io.samples import load_graph
    read = load_graph(str(gfile))                 # as the reader built it (duplicate edges merged)
    np.testing.assert_allclose(np.array(json.loads(cap.out)["output"]), pyg_out(model, read), atol=1e-5)
    assert "concatenated (chosen)" in cap.err
    assert main(["gnn", str(gfile), "--gat-last", "mean"]) == 2
    assert "--gat-last applies to GAT weights" in capsys.readouterr().err


def test_override_that_contradicts_the_bias_is_refused(tmp_path):
    torch.manual_seed(2)
    model = pyg.GAT(5, 6, num_layers=2, out_channels=3, heads=2)       # bias [3]: mean
    spec = load_pyg_state_dict(model.state_dict())
    assert spec["notes"] == [] and spec["specs"][-1]["concat"] is False
    with pytest.raises(ModelError, match=r"gat_last='concat' was asked for, but convs.1.bias has 3 entries"):
        load_pyg_state_dict(model.state_dict(), gat_last="concat")
    with pytest.raises(ModelError, match="expected gat_last in"):
        load_pyg_state_dict(model.state_dict(), gat_last="sum")


# ---------------------------------------------------------------- refusals, one class each
def gcn_sd() -> dict:
    torch.manual_seed(0)
    return {k: v.clone() for k, v in pyg.GCN(5, 4, num_layers=2, out_channels=2).state_dict().items()}


def sd_with(key, value) -> dict:
    sd = gcn_sd()
    sd[key] = value
    return sd


@pytest.mark.parametrize("value,message", [
    (torch.eye(4, 5).to_sparse(), r"convs.0.lin.weight: expected a dense.*found a sparse_coo tensor"),
    (torch.empty(4, 5, device="meta"), r"found a tensor on the meta device"),
    (torch.ones(1, 1).expand(4, 5), r"found a zero-stride \(expanded\) tensor of shape \(4, 5\)"),
    (torch.full((4, 5), float("nan")), r"found 20 NaN or infinite values"),
    (torch.ones(4, 5, dtype=torch.int64), r"found dtype torch.int64"),
])
def test_bad_tensors_refused_through_a_file(value, message, tmp_path):
    path = saved(sd_with("convs.0.lin.weight", value), tmp_path)
    with pytest.raises(InputFormatError, match=message):
        load_pyg_state_dict(path)
    with pytest.raises(InputFormatError, match=message):          # the upload path: bytes
        load_pyg_state_dict(path.read_bytes(), filename="up.pt")


def test_inf_bias_and_wrong_shapes_are_refused_by_key():
    with pytest.raises(InputFormatError, match=r"convs.1.bias: .* found 1 NaN or infinite value;"):
        load_pyg_state_dict(sd_with("convs.1.bias", torch.tensor([0.0, float("inf")])))
    with pytest.raises(ModelError, match=r"convs.0.lin.weight: expected a 2-D weight matrix of shape "
                                         r"\[out, in\], found shape \(20,\)"):
        load_pyg_state_dict(sd_with("convs.0.lin.weight", torch.ones(20)))       # 1-D weight
    with pytest.raises(ModelError, match=r"convs.0.bias: expected a 1-D vector of shape \[4\], found shape \(5,\)"):
        load_pyg_state_dict(sd_with("convs.0.bias", torch.ones(5)))
    with pytest.raises(ModelError, match=r"convs.1 expects 3 inputs but convs.0 outputs 4"):
        load_pyg_state_dict(sd_with("convs.1.lin.weight", torch.ones(2, 3)))
    torch.manual_seed(0)
    gat = pyg.GAT(5, 4, num_layers=2, out_channels=2, heads=2).state_dict()
    gat["convs.0.att_dst"] = torch.ones(1, 2, 3)
    with pytest.raises(ModelError, match=r"convs.0.att_dst: expected shape \(1, 2, 2\) like att_src, found \(1, 2, 3\)"):
        load_pyg_state_dict(gat)


def test_size_limits_and_inflating_archive(tmp_path):
    path = saved(gcn_sd(), tmp_path)
    with pytest.raises(InputFormatError, match=r"expected a state dict file of at most 0.0 MB"):
        load_pyg_state_dict(path, limits=Limits(max_bytes=100))
    # a 25 MB member deflated to a few kB: refused from the zip directory, never inflated
    bomb = tmp_path / "bomb.pt"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        with dst.open("archive/data/big", "w") as f:
            for _ in range(25):
                f.write(bytes(1 << 20))
    assert bomb.stat().st_size < 200_000
    with pytest.raises(InputFormatError, match=r"members declare 26.2 MB once inflated.*refused before loading"):
        load_pyg_state_dict(bomb)
    with pytest.raises(InputFormatError, match=r"at most 0.0 MB of tensors.*convs.0.lin.weight"):
        read_state_dict(gcn_sd(), limits=Limits(max_bytes=40))
    (tmp_path / "legacy.pt").write_bytes(pickle.dumps({"convs.0.lin.weight": [1.0]}))
    with pytest.raises(InputFormatError, match="not a zip archive"):
        load_pyg_state_dict(tmp_path / "legacy.pt")


class RunsCode:
    """Unpickling this calls ``os.system`` (what a malicious ``.pt`` would do)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_pickle_that_would_run_code_is_refused_and_runs_nothing(tmp_path, capsys):
    marker = tmp_path / "marker"
    good = saved(gcn_sd(), tmp_path)
    evil = tmp_path / "evil.pt"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(evil, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("data.pkl"):
                data = pickle.dumps({"convs.0.lin.weight": RunsCode(marker)}, protocol=2)
            dst.writestr(info, data)
    with pytest.raises(InputFormatError, match=r"torch refused to load it without running code"):
        load_pyg_state_dict(evil)
    with pytest.raises(InputFormatError, match=r"torch refused to load it without running code"):
        load_pyg_state_dict(evil.read_bytes(), filename="evil.pt")
    assert main(["gnn", "karate", "--weights", str(evil)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "evil.pt" in err[0]
    assert not marker.exists()
    # the same pickle, loaded without weights_only, would have run it: the test can fail
    pickle.loads(pickle.dumps(RunsCode(marker)))
    assert marker.exists()


def test_upload_page_offers_the_gat_choice_and_the_neural_page_uses_it(tmp_path):
    pytest.importorskip("streamlit")
    from explorer.io import load_graph
    from explorer.nn import default_features
    from explorer.ui.testing import app_test

    g = load_graph("karate")
    x, _ = default_features(g, "auto", 0)
    torch.manual_seed(3)
    model = pyg.GAT(x.shape[1], 4, num_layers=1, heads=2, bias=False)    # one layer, heads concatenated
    with torch.no_grad():
        want = model(torch.tensor(x, dtype=torch.float32), torch.as_tensor(g.edge_index)).numpy()
    at = app_test("upload")
    at.file_uploader(key="upload.file").upload("gat.pt", saved(model.state_dict(), tmp_path).read_bytes()).run()
    assert not at.exception and not at.error
    assert at.radio(key="upload.gat_last").value == "mean"
    assert any("they are averaged (chosen)" in c.value for c in at.caption)
    at.radio(key="upload.gat_last").set_value("concat").run()
    assert any("concatenated (chosen)" in c.value for c in at.caption)
    at.switch_page("explorer/ui/pages/neural.py").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    shown = next(m.value for m in at.markdown if m.value.startswith("**New state:**"))
    got = [float(v) for v in shown.split("`[")[1].split("]")[0].split(", ")]
    np.testing.assert_allclose(got, want[0], rtol=1e-3, atol=1e-4)      # 4 numbers: concatenated
