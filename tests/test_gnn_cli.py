"""``python -m explorer gnn``: the JSON contract, the trace file, weights and errors."""

import json

import numpy as np
import pytest
import torch

from explorer.cli import main
from explorer.graph import Graph
from explorer.nn import run_stack
from explorer.trace import Trace, validate_trace


@pytest.fixture
def graph_file(tmp_path):
    p = tmp_path / "g.edgelist"
    p.write_text("a b\nb c\nc a\nc d\n")
    return p


def test_json_and_trace(graph_file, tmp_path, capsys):
    out, tr = tmp_path / "o.json", tmp_path / "t.json"
    rc = main(["gnn", str(graph_file), "--layer", "gin", "--layers", "3", "--hidden", "5", "--seed", "2",
               "--features", "constant", "--json", str(out), "--trace", str(tr)])
    assert rc == 0
    data = json.loads(out.read_text())
    assert list(data) == ["layers", "output"] and len(data["layers"]) == 3
    assert np.array(data["output"]).shape == (4, 5)
    t = validate_trace(Trace.from_json(tr))
    assert t.graph.ids == ("a", "b", "c", "d")  # file order
    np.testing.assert_allclose(np.array(data["output"]), t.result["output"])
    np.testing.assert_allclose(np.array(data["layers"][1]["output"]), t.steps[1].states)
    from explorer.io.samples import load_graph
    ref = run_stack(load_graph(str(graph_file)), layer="gin", layers=3, hidden=5, seed=2, features="constant")
    np.testing.assert_allclose(np.array(data["output"]), ref.result["output"])
    assert "gin: 3 layers, widths 1 -> 5 -> 5 -> 5" in capsys.readouterr().out


def test_trace_keeps_receptive_fields_only_when_asked(graph_file, tmp_path, capsys):
    tr = tmp_path / "t.json"
    assert main(["gnn", str(graph_file), "--layers", "2", "--trace", str(tr)]) == 0
    assert "receptive_field" not in Trace.from_json(tr).steps[0].extras
    assert main(["gnn", str(graph_file), "--layers", "2", "--trace", str(tr), "--fields"]) == 0
    steps = Trace.from_json(tr).steps
    # the triangle a b c and the edge c d (undirected): after one round d has heard from c
    # only and c from everyone; after two rounds every node has heard from all four
    assert steps[0].extras["receptive_field"].tolist() == [3, 3, 4, 2]
    assert [f.tolist() for f in steps[1].extras["receptive_field_sets"]] == [[0, 1, 2, 3]] * 4
    assert main(["gnn", str(graph_file), "--fields"]) == 2
    assert "add --trace OUT or drop --fields" in capsys.readouterr().err


def test_default_features_notice_and_errors(graph_file, capsys):
    assert main(["gnn", str(graph_file)]) == 0
    assert "note: This graph has no node features x" in capsys.readouterr().out
    assert main(["gnn", str(graph_file), "--features", "x"]) == 2
    assert "has none; choose constant" in capsys.readouterr().err
    assert main(["gnn", str(graph_file), "--layer", "gat", "--heads", "3", "--hidden", "8"]) == 2
    assert "divisible by heads=3" in capsys.readouterr().err


def test_weights_from_pyg(graph_file, tmp_path, capsys):
    pytest.importorskip("torch_geometric")
    from torch_geometric.nn.models import GraphSAGE

    model = GraphSAGE(1, 6, num_layers=2, out_channels=3).eval()
    path = tmp_path / "sage.pt"
    torch.save(model.state_dict(), path)
    out = tmp_path / "o.json"
    assert main(["gnn", str(graph_file), "--weights", str(path), "--features", "constant", "--json", str(out)]) == 0
    from explorer.io.samples import load_graph
    g = load_graph(str(graph_file))
    with torch.no_grad():
        want = model(torch.ones(4, 1), torch.as_tensor(g.edge_index)).numpy()
    np.testing.assert_allclose(np.array(json.loads(out.read_text())["output"]), want, atol=1e-5)
    assert main(["gnn", str(graph_file), "--weights", str(path), "--layer", "gcn"]) == 2
    assert "the weights are a PyG sage model" in capsys.readouterr().err
    assert main(["gnn", str(graph_file), "--weights", str(path), "--features", "degree"]) == 2
    assert "expect 1 input features per node, but the features used have 4 (features='degree')" in capsys.readouterr().err


BAD_GNN = [("--layers", "0"), ("--layers", "-1"), ("--layers", "65"), ("--hidden", "0"),
           ("--hidden", "1025"), ("--heads", "0"), ("--heads", "-1"), ("--heads", "65"),
           ("--out-channels", "0"), ("--out-channels", "-3"), ("--seed", "-5"), ("--seed", str(2**32))]


@pytest.mark.parametrize("flag,value", BAD_GNN)
def test_numeric_options_out_of_range_give_one_error_line(flag, value, capsys):
    rc = main(["gnn", "karate", "--layer", "gat", flag, value])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1
    assert err[0].startswith(f"error: {flag}: expected an integer in [") and f"found {int(value)};" in err[0]


def test_numeric_option_ranges_are_the_documented_ones(capsys):
    from explorer.nn.options import GNN_RANGES
    assert main(["gnn", "karate", "--heads", "0"]) == 2
    assert capsys.readouterr().err.strip() == ("error: --heads: expected an integer in [1, 64], found 0; "
                                               "pass a value in that range")
    for dest, rng in GNN_RANGES.items():   # the edges of every range are accepted
        assert rng.holds(rng.lo) and rng.holds(rng.hi) and not rng.holds(rng.hi + 1)


def test_non_numbers_are_argparse_errors(capsys):
    with pytest.raises(SystemExit) as e:
        main(["gnn", "karate", "--heads", "two"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "error: argument --heads: invalid int value: 'two'" in err and "Traceback" not in err
