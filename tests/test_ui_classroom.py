"""AppTest of uploads of every kind, the lecture mode, exports and caching.

Oracles: a dense GCN formula (R X W^T + b) for uploaded weights, file contents written here,
and call counts of the engines (a rerun that changes only the step must call none of them).
"""

from collections import Counter

import numpy as np
import pytest

pytest.importorskip("streamlit")

from explorer.ui import cache  # noqa: E402
from explorer.ui.testing import app_test, array, charts  # noqa: E402

TINY_UAI = b"""MARKOV
2
2 2
2
1 0
2 0 1

2
0.4 0.6

4
1.0 0.5 0.5 1.0
"""


def _ok(at):
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


# ---------------------------------------------------------------------- uploads
def test_upload_page_graph_opens_on_the_graph_pages():
    at = app_test("upload")
    _ok(at)
    at.file_uploader(key="upload.file").upload("square.csv", b"0,1,0,1\n1,0,1,0\n0,1,0,1\n1,0,1,0\n").run()
    _ok(at)
    assert "read as a graph" in at.success[0].value
    assert next(m.value for m in at.metric if m.label == "Edges") == "4"
    at.switch_page("explorer/ui/pages/graphs.py").run()
    _ok(at)
    assert at.selectbox(key="graphs.sample").value == "upload"
    assert next(m.value for m in at.metric if m.label == "Nodes") == "4"


def test_upload_page_model_opens_in_belief_propagation():
    at = app_test("upload")
    at.file_uploader(key="upload.file").upload("pair.uai", TINY_UAI).run()
    _ok(at)
    assert "2 variables, 2 factors, a tree" in at.success[0].value
    at.switch_page("explorer/ui/pages/belief_propagation.py").run()
    _ok(at)
    assert at.selectbox(key="bp.sample").value == "upload"
    # exact P(X0): sum_x1 0.4/0.6 * [[1, .5], [.5, 1]] -> [0.4*1.5, 0.6*1.5] normalised
    at.session_state["bp.step"] = 10_000  # the chart's End key: clamped to the last step
    at.run()
    bars = charts(at)["player.beliefs"]["data"]
    np.testing.assert_allclose(array(bars[0]["y"]), [0.4, 0.6], atol=1e-9)  # BP
    np.testing.assert_allclose(array(bars[1]["y"]), [0.4, 0.6], atol=1e-12)  # exact


@pytest.mark.parametrize("filename, data, message", [
    ("notes.pdf", b"%PDF-1.4", "expected a graph"),
    ("broken.uai", b"MARKOV\n2\n2\n", "broken.uai"),
    ("weights.pt", b"not a pickle", "expected a PyTorch state dict"),
])
def test_upload_page_bad_files_show_messages(filename, data, message):
    at = app_test("upload")
    at.file_uploader(key="upload.file").upload(filename, data).run()
    assert not at.exception
    assert len(at.error) == 1 and message in at.error[0].value


def test_uploaded_pyg_weights_run_with_the_dense_formula(tmp_path):
    torch = pytest.importorskip("torch")
    from explorer import nn
    from explorer.io import load_graph
    from explorer.nn.operators import reference_operator

    g = load_graph("karate")
    x, _ = nn.default_features(g, "auto", 0)
    gen = torch.Generator().manual_seed(1)
    W = torch.randn(3, x.shape[1], generator=gen)
    b = torch.randn(3, generator=gen)
    path = tmp_path / "gcn.pt"
    torch.save({"convs.0.lin.weight": W, "convs.0.bias": b}, path)
    at = app_test("upload")
    at.file_uploader(key="upload.file").upload("gcn.pt", path.read_bytes()).run()
    _ok(at)
    assert "GCN with 1 layers" in at.success[0].value
    at.switch_page("explorer/ui/pages/neural.py").run()
    _ok(at)
    assert any("Running the trained GCN" in i.value for i in at.info)
    want = reference_operator(g, "sym_norm") @ x @ W.double().numpy().T + b.double().numpy()
    node = 0
    shown = next(m.value for m in at.markdown if m.value.startswith("**New state:**"))
    got = [float(v) for v in shown.split("`[")[1].split("]")[0].split(", ")]
    np.testing.assert_allclose(got, want[node], rtol=1e-3, atol=1e-4)


# ---------------------------------------------------------------------- lecture mode, exports
def test_lecture_mode_folds_controls_and_is_in_the_link():
    at = app_test("belief_propagation")
    assert at.sidebar.selectbox  # controls in the sidebar
    at.toggle(key="lecture").set_value(True).run()
    _ok(at)
    assert at.query_params["lecture"] == "1"
    assert not at.sidebar.selectbox
    assert "Controls" in [e.label for e in at.expander]
    assert any("font-size" in h.proto.body for h in at.get("html"))
    again = app_test("belief_propagation", query={"lecture": "1"})
    _ok(again)
    assert again.toggle(key="lecture").value is True


def test_exports_are_offered_for_every_run():
    at = app_test("neural", query={"sample": "star"})
    _ok(at)
    keys = {b.proto.id.split("-", 2)[-1] for b in at.get("download_button")}
    assert {"nn.dl_json", "nn.dl_csv", "nn.dl_html"} <= keys


# ---------------------------------------------------------------------- caching
@pytest.fixture
def counted(monkeypatch):
    """Wrap the engines the pages call and count their calls."""
    from explorer import nn, pgm
    from explorer.viz import layout

    calls = Counter()
    for mod, name in ((pgm, "run_bp"), (pgm, "exact_inference"), (nn, "run_stack"),
                      (layout, "compute_layout")):
        real = getattr(mod, name)

        def wrapper(*a, _real=real, _name=name, **k):
            calls[_name] += 1
            return _real(*a, **k)

        monkeypatch.setattr(mod, name, wrapper)
    cache.clear()
    yield calls
    cache.clear()


def test_changing_only_the_step_or_node_recomputes_nothing(counted):
    at = app_test("belief_propagation", query={"sample": "asia"})
    _ok(at)
    before = dict(counted)
    assert before == {"run_bp": 1, "exact_inference": 1, "compute_layout": 1}
    for step in (1, 4):  # what the chart component reports when the browser steps
        at.session_state["bp.step"] = step
        at.run()
    at.selectbox(key="bp.node").set_value(3).run()
    at.session_state["bp.speed"] = "fast"
    at.run()
    _ok(at)
    assert dict(counted) == before
    at.slider(key="bp.damping").set_value(0.2).run()  # a real change recomputes, once
    assert counted["run_bp"] == 2 and counted["compute_layout"] == 1


def test_neural_stepping_calls_the_stack_once(counted):
    at = app_test("neural", query={"sample": "karate", "layers": "3"})
    for step in (1, 2):  # what the chart component reports when the browser steps
        at.session_state["nn.step"] = step
        at.run()
    _ok(at)
    assert counted["run_stack"] == 1
