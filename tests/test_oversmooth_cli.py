"""``python -m explorer oversmooth``: the JSON contract, the table, --save-features and errors."""

import json
import math

import numpy as np
import pytest
import torch

from explorer.cli import main
from explorer.diagnostics import commands
from explorer.diagnostics.metrics import METRIC_KEYS


pytestmark = pytest.mark.usefixtures("torch_one_thread")


def test_json_contract_and_hand_computed_input_layer(tmp_path, capsys):
    out = tmp_path / "o.json"
    rc = main(["oversmooth", "cycle", "--depth", "3", "--hidden", "8", "--device", "cpu",
               "--json", str(out)])
    assert rc == 0
    doc = json.loads(out.read_text())
    assert list(doc) == ["device", "layers"] and doc["device"] == "cpu"
    assert [d["layer"] for d in doc["layers"]] == [0, 1, 2, 3]
    assert all(list(d) == ["layer", *METRIC_KEYS] for d in doc["layers"])
    # the 6-cycle has no features: every node gets the same one-hot degree row [0, 0, 1]
    l0 = doc["layers"][0]
    assert l0["dirichlet_energy"] == 0.0 and l0["dirichlet_energy_normalized"] == 0.0
    assert l0["mad"] == 0.0 and l0["mean_cosine_similarity"] == pytest.approx(1.0)
    assert l0["effective_rank"] == pytest.approx(1.0) and l0["numerical_rank"] == pytest.approx(1.0)
    assert l0["feature_norm"] == pytest.approx(math.sqrt(6))
    assert l0["mad_gap"] is None                      # a 6-cycle has no pair 8 hops apart
    assert "one-hot" in capsys.readouterr().err       # the made-up features are announced


def test_table_and_save_features(tmp_path, capsys):
    npz = tmp_path / "f.npz"
    rc = main(["oversmooth", "karate", "--depth", "2", "--hidden", "5", "--remedy", "pairnorm",
               "--device", "cpu", "--features", "random", "--save-features", str(npz)])
    assert rc == 0
    text = capsys.readouterr().out
    assert "MAD" in text and "remedy pairnorm" in text and len(text.strip().splitlines()) == 2 + 3
    with np.load(npz) as f:
        assert sorted(f.files) == ["layer_0", "layer_1", "layer_2"]
        assert f["layer_0"].shape == (34, 16) and f["layer_2"].shape == (34, 5)
        # PairNorm (scale 1) then ReLU: the centred pre-activation had mean squared row norm 1
        assert np.isfinite(f["layer_2"]).all()


def test_save_features_refused_above_limit(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(commands, "SAVE_LIMIT", 100)
    rc = main(["oversmooth", "karate", "--depth", "2", "--save-features", str(tmp_path / "f.npz")])
    assert rc == 2
    assert "above the limit 100" in capsys.readouterr().err
    assert not (tmp_path / "f.npz").exists()


def test_errors_exit_2_with_a_message(capsys):
    assert main(["oversmooth", "karate", "--depth", "129"]) == 2
    assert "between 1 and 128" in capsys.readouterr().err
    assert main(["oversmooth", "no_such_graph_file.graphml"]) == 2
    assert capsys.readouterr().err.startswith("error:")
    with pytest.raises(SystemExit):
        main(["oversmooth", "karate", "--remedy", "magic"])


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_gpu(capsys):
    assert main(["oversmooth", "cycle", "--device", "cuda", "--depth", "1"]) == 2
    assert "no CUDA GPU" in capsys.readouterr().err


BAD_OVERSMOOTH = [("--depth", "0"), ("--depth", "-4"), ("--hidden", "0"), ("--hidden", "513"),
                  ("--seed", "-1"), ("--dropedge-p", "1"), ("--dropedge-p", "-0.1"),
                  ("--dropedge-p", "nan"), ("--pairnorm-scale", "0"), ("--pairnorm-scale", "inf"),
                  ("--alpha", "1.5"), ("--alpha", "nan"), ("--lam", "-1"), ("--lam", "inf")]


@pytest.mark.parametrize("flag,value", BAD_OVERSMOOTH)
def test_numeric_options_out_of_range_give_one_error_line(flag, value, capsys):
    rc = main(["oversmooth", "karate", "--device", "cpu", flag, value])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and err[0].startswith("error: ")
    assert (flag in err[0] or "depth must be between 1 and 128" in err[0]) and value in err[0]
    assert "Traceback" not in err[0]
