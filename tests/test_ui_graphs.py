"""AppTest of the routing, the Home page and the Graphs page (no browser).

Oracles: node and edge counts come from networkx reading the same sample files (not from the
explorer's own readers), and hand-written uploads whose size is known by construction.
"""

import networkx as nx
import pytest

pytest.importorskip("streamlit")

from explorer.io import list_samples, sample_path  # noqa: E402
from explorer.ui.testing import app_test, array, charts, trace_named  # noqa: E402

GRAPH_SAMPLES = [s.name for s in list_samples("graph")]


def _nx_read(path):
    """An independent count of nodes and undirected edges, by networkx's own readers."""
    ext = path.suffix
    if ext == ".graphml":
        return nx.read_graphml(path)
    if ext == ".gml":
        return nx.read_gml(path, label="id")
    return None


def _metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def _node_count(fig):
    return len(array(trace_named(fig, "nodes")["x"])) + len(array(trace_named(fig, "factor")["x"]))


def test_home_routes_and_links_every_page():
    at = app_test()
    assert not at.exception
    assert at.title[0].value == "Message Passing Explorer"
    text = " ".join(m.value for m in at.markdown)
    assert "message" in text and "aggregate" in text and "update" in text


@pytest.mark.parametrize("name", GRAPH_SAMPLES)
def test_every_sample_draws_all_its_nodes(name):
    at = app_test("graphs", query={"sample": name})
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    fig = charts(at)["graphs.chart"]
    G = _nx_read(sample_path(name))
    n = int(_metric(at, "Nodes").replace(",", ""))
    assert _node_count(fig) == n
    if G is not None:
        assert n == G.number_of_nodes()
        assert int(_metric(at, "Edges").replace(",", "")) == G.number_of_edges()


def test_good_upload_is_drawn_with_its_warning():
    at = app_test("graphs")
    text = b"a b\nb c\nc a\nc c\n"  # a triangle plus a self-loop at c
    at.file_uploader(key="graphs.sample.file").upload("tri.edgelist", text, "text/plain").run()
    assert not at.exception and not at.error
    assert at.selectbox(key="graphs.sample").value == "upload"
    assert _metric(at, "Nodes") == "3" and _metric(at, "Edges") == "4"
    assert any("self-loop" in w.value for w in at.warning)
    assert _node_count(charts(at)["graphs.chart"]) == 3
    assert "sample" not in at.query_params  # an upload never goes into a shared link


@pytest.mark.parametrize("filename, data, message", [
    ("graph.xyz", b"a b\n", "expected a file ending in one of"),
    ("broken.graphml", b"<graphml><graph><node id='a'></graph>", "broken.graphml"),
    ("empty.edgelist", b"", "empty"),
])
def test_bad_upload_shows_a_message_not_a_traceback(filename, data, message):
    at = app_test("graphs")
    at.file_uploader(key="graphs.sample.file").upload(filename, data).run()
    assert not at.exception
    assert len(at.error) == 1 and message in at.error[0].value
    assert "Traceback" not in at.error[0].value
    # the user can carry on: another sample still works in the same session
    at.selectbox(key="graphs.sample").set_value("star").run()
    assert not at.exception and not at.error
    assert _metric(at, "Nodes") == "7"


def test_highlighted_node_rings_it_and_its_incoming_edges():
    # star.csv: node 0 is joined to the six others, so six messages arrive at it
    at = app_test("graphs", query={"sample": "star"})
    at.selectbox(key="graphs.node").set_value(0).run()
    assert not at.exception
    fig = charts(at)["graphs.chart"]
    assert len(array(trace_named(fig, "selected")["x"])) == 1
    xs = array(trace_named(fig, "incoming edges")["x"])  # segments separated by None
    assert xs.count(None) == 6


def test_url_state_round_trips():
    at = app_test("graphs")
    at.selectbox(key="graphs.sample").set_value("caffeine").run()
    at.number_input(key="graphs.seed").set_value(7).run()
    at.selectbox(key="graphs.node").set_value(3).run()
    assert not at.exception
    link = dict(at.query_params)
    assert link == {"sample": "caffeine", "seed": "7", "node": "3"}
    again = app_test("graphs", query=link)
    assert not again.exception
    assert again.selectbox(key="graphs.sample").value == "caffeine"
    assert again.number_input(key="graphs.seed").value == 7
    assert again.selectbox(key="graphs.node").value == 3
    assert charts(again)["graphs.chart"] == charts(at)["graphs.chart"]


def test_unknown_url_values_fall_back_with_a_warning():
    at = app_test("graphs", query={"sample": "no-such-graph", "seed": "seven"})
    assert not at.exception
    assert at.selectbox(key="graphs.sample").value == "karate"
    assert any("not understood" in w.value and "no-such-graph" in w.value for w in at.warning)


def test_reset_restores_defaults_and_clears_the_link():
    at = app_test("graphs", query={"sample": "cycle", "seed": "3"})
    at.button(key="graphs.reset").click().run()
    assert not at.exception
    assert at.selectbox(key="graphs.sample").value == "karate"
    assert dict(at.query_params) == {}


def test_a_graph_above_the_drawing_budget_draws_a_labelled_sample():
    # 20,000 nodes with ids that are not 0..N-1, so a label shows whether the mapping is right
    G = nx.barabasi_albert_graph(20_000, 2, seed=3)
    data = "".join(f"n{u * 3} n{v * 3}\n" for u, v in G.edges()).encode()
    at = app_test("graphs", timeout=300)
    at.file_uploader(key="graphs.sample.file").upload("big.edgelist", data, "text/plain").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert _metric(at, "Nodes") == "20,000"  # sizes are of the whole graph
    note = next(i.value for i in at.info if i.value.startswith("Drawing "))
    assert note.startswith("Drawing 2,000 of 20,000 nodes")
    fig = charts(at)["graphs.chart"]
    drawn = array(trace_named(fig, "nodes")["text"])
    assert len(drawn) == 2000
    # the drawn nodes are a BFS ball around the node of highest degree, by networkx
    hub = max(G.nodes, key=G.degree)
    assert f"node n{hub * 3}," in note
    dist = nx.single_source_shortest_path_length(G, hub)
    ours = {int(label[1:]) // 3 for label in drawn}
    radius = max(dist[v] for v in ours)
    assert {v for v, d in dist.items() if d < radius} <= ours
    assert nx.is_connected(G.subgraph(ours))
    # highlighting a node draws its neighbourhood instead, with it ringed
    node = next(i for i, label in enumerate(at.selectbox(key="graphs.node").options)
                if label == "n300")  # options: "none", then each node's label
    at.selectbox(key="graphs.node").set_value(node - 1).run()
    assert not at.exception and not at.error
    note = next(i.value for i in at.info if i.value.startswith("Drawing "))
    assert "the neighbourhood of node n300 up to" in note
    fig = charts(at)["graphs.chart"]
    nodes = trace_named(fig, "nodes")
    labels = array(nodes["text"])
    ours = {int(label[1:]) // 3 for label in labels}
    dist = nx.single_source_shortest_path_length(G, 100)
    radius = max(dist[v] for v in ours)
    assert len(ours) == 2000 and {v for v, d in dist.items() if d < radius} <= ours
    ring, at_n300 = trace_named(fig, "selected"), labels.index("n300")
    assert array(ring["x"]) == [array(nodes["x"])[at_n300]]
    assert array(ring["y"]) == [array(nodes["y"])[at_n300]]
