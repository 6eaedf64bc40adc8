"""The ``exact`` and ``bp`` commands: JSON shape and values, tables, traces, errors."""

import json

import numpy as np

from explorer.cli import main
from explorer.pgm import brute_force, load_model
from explorer.trace import Trace, validate_trace

KEYS = {"marginals", "map", "log_z", "iterations", "converged"}


def test_exact_json_matches_brute_force(tmp_path):
    out = tmp_path / "exact.json"
    assert main(["exact", "asia", "--evidence", "xray=yes", "--evidence", "smoke=no",
                 "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert set(data) == KEYS and data["iterations"] is None and data["converged"] is None
    fg = load_model("asia")
    bf = brute_force(fg, evidence={fg.index("xray"): 0, fg.index("smoke"): 1})
    assert set(data["marginals"]) == set(fg.names) - {"xray", "smoke"}
    for v, dist in bf["marginals"].items():
        assert np.allclose([data["marginals"][v][s] for s in dist], list(dist.values()), atol=1e-12)
    assert data["map"] == bf["map"] and np.isclose(data["log_z"], bf["log_z"])


def test_bp_json_and_trace(tmp_path):
    out, tr = tmp_path / "bp.json", tmp_path / "trace.json"
    assert main(["bp", "cancer", "--updates", "seqfix", "--evidence", "Xray=positive", "Smoker=True",
                 "--json", str(out), "--trace", str(tr)]) == 0
    data = json.loads(out.read_text())
    assert set(data) == KEYS and data["map"] is None and data["converged"] is True
    assert isinstance(data["iterations"], int) and isinstance(data["log_z"], float)
    assert "Xray" not in data["marginals"] and "Smoker" not in data["marginals"]
    fg = load_model("cancer")
    bf = brute_force(fg, evidence={fg.index("Xray"): 0, fg.index("Smoker"): 0})
    assert abs(data["marginals"]["Cancer"]["True"] - bf["marginals"]["Cancer"]["True"]) < 1e-9
    trace = validate_trace(Trace.from_json(tr))
    assert trace.kind == "sum-product" and trace.params["updates"] == "seqfix"
    assert len(trace.steps) == data["iterations"]


def test_bp_max_mode_gives_a_map(tmp_path, capsys):
    assert main(["bp", "student", "--mode", "max", "--updates", "tree", "--json", "-"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["map"] == brute_force(load_model("student"))["map"] and data["log_z"] is None


def test_readable_tables(capsys):
    assert main(["exact", "chain_bn"]) == 0
    text = capsys.readouterr().out
    assert "X5" in text and "0=0.4125" in text and "log Z = " in text
    assert main(["bp", "four_cycle", "--max-iter", "20"]) == 0
    cap = capsys.readouterr()
    assert "converged = false" in cap.out and "did not converge" in cap.err and "--damping" in cap.err


def test_uai_file_with_evid_file(capsys):
    from pathlib import Path
    data = Path(__file__).parent / "data" / "pgm"
    assert main(["exact", str(data / "chain_bayes.uai"), "--evidence",
                 str(data / "chain_bayes.uai.evid"), "--json", "-"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["marginals"]) == {"0", "1"}


def test_errors_exit_2_with_a_message(capsys):
    assert main(["exact", "asia", "--evidence", "xray=maybe"]) == 2
    assert "variable 'xray' has no state 'maybe'; valid states: yes, no" in capsys.readouterr().err
    assert main(["bp", "asia", "--evidence", "either=no", "lung=yes"]) == 2
    assert "probability 0" in capsys.readouterr().err
    assert main(["bp", "asia", "--updates", "tree"]) == 2
    assert "tree schedule needs a tree-shaped factor graph" in capsys.readouterr().err
    assert main(["exact", "nothing_here"]) == 2
    assert "neither a model file nor a model sample" in capsys.readouterr().err


def test_exact_trace_is_the_clique_tree_calibration(tmp_path, capsys):
    tr = tmp_path / "jt.json"
    assert main(["exact", "asia", "--evidence", "dysp=yes", "--trace", str(tr), "--json", "-"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == KEYS
    trace = validate_trace(Trace.from_json(tr))
    assert trace.kind == "clique-tree" and trace.graph.roles == ("clique",) * trace.graph.n_nodes
    assert len(trace.steps) == 2 * (trace.graph.n_nodes - 1)
    fg = load_model("asia")
    bf = brute_force(fg, evidence={fg.index("dysp"): 0})
    assert np.isclose(trace.result["log_z"], bf["log_z"]) and np.isclose(data["log_z"], bf["log_z"])
    # a distribute message over one variable is that variable's marginal
    single = [st for st in trace.steps if st.extras["pass"] == "distribute" and len(st.extras["separator"]) == 1]
    assert single
    for st in single:
        v = st.extras["separator"][0]
        assert np.allclose(st.messages[0], [bf["marginals"][v][s] for s in fg.states[fg.index(v)]], atol=1e-12)
    assert "clique tree, treewidth 2" in (main(["exact", "asia"]) == 0 and capsys.readouterr().out)
