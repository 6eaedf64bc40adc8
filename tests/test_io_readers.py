"""Every reader on good and bad files (fixtures in tests/data/io/), with messages asserted.

Fixture corner cases: isolated node, self-loop, parallel edges (merged), directed and
undirected files, weights, text labels, feature strings in three spellings, tuple ids,
headers, DTD/entity refusal, and each bad-content error the readers promise.
"""

import codecs
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from explorer.errors import InputFormatError
from explorer.io import GRAPH_EXTENSIONS, Limits, load_graph, read_graph, read_graph_bytes

DATA = Path(__file__).parent / "data" / "io"
ROOT = Path(__file__).resolve().parents[1]


def edge_set(g):
    """Edges as a set of (id, id) pairs (sorted for undirected graphs)."""
    ids = g.ids
    out = {(ids[s], ids[r]) for s, r in zip(g.senders, g.receivers)}
    if not g.directed:
        out = {tuple(sorted(p, key=str)) for p in out}
    return out


def test_extensions_cover_every_format():
    assert set(GRAPH_EXTENSIONS) == {".graphml", ".gml", ".json", ".edgelist", ".edges", ".txt",
                                     ".csv"}


def test_graphml_features_labels_positions_and_weights():
    g = read_graph(DATA / "features.graphml")
    assert g.node_ids == ("a", "b", "c") and not g.directed
    np.testing.assert_array_equal(g.x, [[1, 0], [0, 1], [0.5, 0.5]])   # "[1, 0]", "0 1", "0.5,0.5"
    np.testing.assert_array_equal(g.y, [0, 1, -1])
    np.testing.assert_array_equal(g.pos, [[0, 0], [1, 0], [1, 1]])
    assert g.labels == ("Alice", "Bob", "Carol")
    assert edge_set(g) == {("a", "b"), ("b", "c")}
    # both directions carry the pair's attributes
    for s, r, a, w in zip(g.senders, g.receivers, g.edge_attr, g.edge_weight):
        pair = {g.ids[s], g.ids[r]}
        assert (a.tolist(), w) == (([1, 0, 0], 2.0) if pair == {"a", "b"} else ([0, 1, 0], 0.5))
    assert g.meta["source"] == "features.graphml" and g.meta["format"] == "GraphML"
    assert any("Ignored node attributes ['color']" in w for w in g.meta["warnings"])


def test_graphml_directed_merges_parallel_edges_and_keeps_self_loop():
    g = read_graph(DATA / "directed.graphml")
    assert g.directed and edge_set(g) == {("n0", "n1"), ("n1", "n2"), ("n2", "n2")}
    warn = " ".join(g.meta["warnings"])
    assert "1 parallel edge(s) were merged" in warn and "1 self-loop(s)" in warn


def test_gml_repeated_keys_and_strings_become_vectors():
    g = read_graph(DATA / "lists.gml")
    assert g.directed and g.node_ids == (10, 20, 30) and g.name == "lists"
    np.testing.assert_array_equal(g.x, [[1, 2], [3, 4], [5, 6]])
    np.testing.assert_array_equal(g.pos, [[0, 1], [1, 0], [2, 2]])
    assert g.labels == ("ten", "twenty", "thirty") and g.y.tolist() == [1, 0, 1]
    assert edge_set(g) == {(10, 20), (20, 30)} and g.edge_attr[:, 0].tolist() == [1.0, 2.0]


def test_node_link_with_links_and_text_labels():
    g = read_graph(DATA / "links.json")
    assert g.name == "links demo" and g.x.shape == (3, 3)
    assert g.y.tolist() == [0, 1, 0] and g.meta["classes"] == ["cat", "dog"]
    assert sorted(g.edge_attr[:, 0].tolist()) == [0.5, 0.5, 1.5, 1.5]
    assert any("'cat' -> 0" in w for w in g.meta["warnings"])


def test_node_link_with_edges_key_list_ids_and_multigraph():
    g = read_graph(DATA / "edges_multi.json")
    assert g.directed and g.node_ids == ((0, 0), (0, 1), (1, 0))
    assert edge_set(g) == {((0, 0), (0, 1)), ((0, 1), (1, 0))}
    warn = " ".join(g.meta["warnings"])
    assert "1 parallel edge(s) were merged" in warn and "Ignored edge attributes ['kind']" in warn


def test_node_link_without_directed_key_warns():
    g = read_graph_bytes(b'{"nodes": [{"id": 1}, {"id": 2}], "links": [{"source": 1, "target": 2}]}',
                         "g.json")
    assert not g.directed and any('"directed"' in w for w in g.meta["warnings"])


def test_edge_list_whitespace_weights_isolated_node_duplicates():
    g = read_graph(DATA / "mixed.edgelist")
    assert g.node_ids == ("a", "b", "c", "d") and not g.directed
    assert edge_set(g) == {("a", "b"), ("b", "c"), ("a", "c"), ("c", "c")}
    weight = {frozenset((g.ids[s], g.ids[r])): w for s, r, w in zip(g.senders, g.receivers, g.edge_weight)}
    assert weight[frozenset("ab")] == 2.5 and weight[frozenset("bc")] == 1.0  # first edge kept
    assert weight[frozenset("ac")] == 0.5 and g.in_degree()[3] == 0
    warn = " ".join(g.meta["warnings"])
    assert "'# directed'" in warn and "self-loop" in warn


def test_edge_list_comma_header_and_directed_marker():
    g = read_graph(DATA / "header.edges")
    assert g.node_ids == (1, 2, 3) and sorted(g.edge_weight.tolist()) == [0.5, 0.5, 1.5, 1.5]
    assert "looks like a header" in g.meta["warnings"][0]
    d = read_graph(DATA / "directed.txt")
    assert d.directed and edge_set(d) == {(1, 2), (2, 1), (2, 3)} and d.meta["warnings"] == []


def test_adjacency_csv_variants_against_networkx():
    g = read_graph(DATA / "header.csv")
    assert g.node_ids == ("a", "b", "c") and edge_set(g) == {("a", "b"), ("b", "c")}
    assert g.edge_weight is None and not g.directed
    w = read_graph(DATA / "weighted_noheader.csv")
    A = np.array([[0, 2, 0], [2, 0, 1], [0, 1, 1]], dtype=float)
    ref = nx.from_numpy_array(A)
    assert edge_set(w) == {tuple(sorted(e)) for e in ref.edges}
    dense = np.zeros((3, 3))
    dense[w.senders, w.receivers] = w.edge_weight
    np.testing.assert_array_equal(dense, A)
    d = read_graph(DATA / "row_labels_asym.csv")
    assert d.directed and edge_set(d) == {("x", "y")} and "not symmetric" in d.meta["warnings"][0]
    h = read_graph(DATA / "numeric_header.csv")
    assert h.node_ids == (0, 1, 2) and edge_set(h) == {(0, 1), (1, 2)}


BAD = [
    ("graph.xyz", r"expected a file ending in one of \.graphml.*found '\.xyz'; rename", None),
    ("doctype.graphml", r"without a DTD, found 'DOCTYPE'.*refused.*delete the <!DOCTYPE", 2),
    ("external_entity.graphml", r"found 'DOCTYPE' declaration", 2),
    ("truncated.graphml", r"expected well-formed GraphML XML, found a syntax error", 6),
    ("dup_ids.graphml", r"expected unique node ids, found id .a. twice", 3),
    ("nonnumeric_x.graphml", r"'x' of node 'b' to be a list of numbers, found '1 zero'", None),
    ("syntax.gml", r"expected valid GML, found: .*check the GML syntax", 5),
    ("dup_ids.gml", r"node id 1 is duplicated; give every node a distinct id", None),
    ("ragged_x.gml", r"every 'x' to have 2 values \(as node 0 does\), found 1 at node 1", None),
    ("syntax.json", r"expected JSON, found a syntax error \(Expecting ',' delimiter", 3),
    ("dup_ids.json", r"expected unique node ids, found id 1 twice", None),
    ("ragged_x.json", r"found 3 at node 'b'; give all nodes the same number", None),
    ("nan_x.json", r"finite numbers in 'x' of node 'b', found \[nan, 2\] \(NaN or inf\)", None),
    ("inf_edge_attr.json", r"finite numbers in 'edge_attr' of edge \('a', 'b'\)", None),
    ("missing_x.json", r"every node to have 'x' once any does, found node 'b' without it", None),
    ("empty.json", r"expected at least one node, found an empty node-link JSON graph", None),
    ("both_keys.json", r'found both "links" and "edges"; keep one', None),
    ("dangling.json", r'links\[0\]\.target to name a node in "nodes", found 7', None),
    ("bad_y.json", r"'y' of node 2 to be an integer class \(-1 for unlabelled\), found 0\.5", None),
    ("bad_pos.json", r"'pos' to hold 2 numbers \(x, y\), found 3", None),
    ("not_node_link.json", r"expected node-link JSON.*found list", None),
    ("empty.edgelist", r"expected at least one node, found an empty edge list", None),
    ("too_many_fields.edgelist", r"expected 'u v' or 'u v weight'.*found 4 fields", 2),
    ("bad_weight.edgelist", r"finite number as the weight in column 3, found 'heavy'", 2),
    ("binary.edgelist", r"expected UTF-8 text, found byte 0x89.*save the (graph|file) as UTF-8", 1),
    ("ragged.csv", r"expected 3 values per row.*found 2.*save an edge list as \.edgelist", 2),
    ("nonnumeric.csv", r"expected numbers, found 'yes'", 2),
    ("nan.csv", r"expected finite numbers, found NaN or inf", 2),
    ("not_square.csv", r"expected a square matrix, found 1 rows of 2 values", None),
    ("dup_header.csv", r"unique node names in the header row, found \['a'\]", 1),
]


@pytest.mark.parametrize("name,pattern,line", BAD, ids=[b[0] for b in BAD])
def test_bad_files_raise_clear_errors(name, pattern, line):
    with pytest.raises(InputFormatError, match=pattern) as info:
        read_graph(DATA / name)
    assert info.value.path == name and info.value.line == line
    assert str(info.value).startswith(name)


def test_entity_is_refused_even_without_doctype_and_never_expanded():
    text = b'<graphml><!ENTITY x "y"><graph><node id="a"/></graph></graphml>'
    with pytest.raises(InputFormatError, match="found 'ENTITY' declaration"):
        read_graph_bytes(text, "e.graphml")


def test_missing_file_names_the_path_and_samples():
    with pytest.raises(InputFormatError, match=r"no_such\.gml: expected a graph file or a sample "
                                               r"name, found no such file.*explorer samples"):
        read_graph("no_such.gml")


def test_limits_name_the_limit_and_how_to_raise_it():
    with pytest.raises(InputFormatError, match=r"at most 10 nodes \(Limits\.max_nodes\), found 34\b"
                                               r".*limits=Limits\(max_nodes=34\)"):
        load_graph("karate", limits=Limits(max_nodes=10))
    with pytest.raises(InputFormatError, match=r"at most 50 edges \(Limits\.max_edges\), found 78"):
        load_graph("karate", limits=Limits(max_edges=50))
    data = (DATA / "mixed.edgelist").read_bytes()
    with pytest.raises(InputFormatError, match=r"at most 10 bytes \(Limits\.max_bytes\)"):
        read_graph_bytes(data, "mixed.edgelist", limits=Limits(max_bytes=10))
    with pytest.raises(InputFormatError, match=r"Limits\.max_bytes"):
        read_graph(DATA / "mixed.edgelist", limits=Limits(max_bytes=10))
    assert Limits() == Limits(50_000, 500_000, 20_000_000)


def test_bytes_and_path_readers_agree():
    for name in ("features.graphml", "lists.gml", "links.json", "mixed.edgelist", "header.csv"):
        a = read_graph(DATA / name)
        b = read_graph_bytes((DATA / name).read_bytes(), name)
        assert a.content_hash() == b.content_hash() and a.meta == b.meta


def test_utf16_graphml_with_bom_reads():
    text = (DATA / "directed.graphml").read_text().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    g = read_graph_bytes(text.encode("utf-16"), "u16.graphml")
    assert g.n_nodes == 3


def test_round_trip_through_networkx_writers(tmp_path):
    G = nx.les_miserables_graph() if hasattr(nx, "les_miserables_graph") else nx.florentine_families_graph()
    for ext, write in ((".graphml", nx.write_graphml), (".gml", nx.write_gml)):
        H = nx.Graph(G.edges())
        write(H, tmp_path / f"g{ext}")
        g = read_graph(tmp_path / f"g{ext}")
        assert g.n_nodes == H.number_of_nodes()
        assert g.summary()["edges"] == H.number_of_edges()
    nx.write_edgelist(nx.Graph(G.edges()), tmp_path / "g.edgelist", data=False)
    g = read_graph(tmp_path / "g.edgelist")
    assert edge_set(g) == {tuple(sorted(e, key=str)) for e in G.edges()}


# ---------------------------------------------------------------------------------- encodings
@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-be", "utf-32"])
def test_byte_order_marked_files_read_as_utf8_does(encoding):
    text = "# directed\nä b 2.5\nb c\n"
    want = read_graph_bytes(text.encode("utf-8"), "g.edgelist")
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data
    got = read_graph_bytes(data, "g.edgelist")
    assert got.node_ids == want.node_ids == ("ä", "b", "c") and got.directed
    assert got.senders.tolist() == want.senders.tolist()
    assert got.edge_weight.tolist() == want.edge_weight.tolist()


def test_utf16_model_files_read_as_utf8_does():
    from explorer.pgm.models import read_model_bytes
    text = (ROOT / "sample_graphs" / "models" / "asia.bif").read_text()
    a = read_model_bytes(text.encode("utf-8"), "asia.bif")
    b = read_model_bytes(text.encode("utf-16"), "asia.bif")
    assert a.names == b.names and all(np.array_equal(x.table, y.table)
                                      for x, y in zip(a.factors, b.factors))
    with pytest.raises(InputFormatError, match="NUL character .*UTF-16 file without a byte-order"):
        read_model_bytes(text.encode("utf-16-le"), "asia.bif")


def test_a_long_csv_header_is_read_in_linear_time():
    """40,000 names and one row: refused as not square, after one pass (the old duplicate check
    was quadratic, 1.6e9 comparisons)."""
    data = (",".join(f"n{i}" for i in range(40_000)) + "\n" + ",".join(["0"] * 40_000)).encode()
    with pytest.raises(InputFormatError, match="expected a square matrix, found 1 rows of 40000"):
        read_graph_bytes(data, "g.csv")


def test_directed_must_be_a_json_boolean():
    body = ', "nodes": [{"id": 1}, {"id": 2}], "links": [{"source": 1, "target": 2}]}'
    assert read_graph_bytes(('{"directed": false' + body).encode(), "g.json").directed is False
    assert read_graph_bytes(('{"directed": true' + body).encode(), "g.json").directed is True
    for bad in ('"false"', '"true"', "0", "null"):
        with pytest.raises(InputFormatError, match='expected "directed" to be true or false'):
            read_graph_bytes(('{"directed": ' + bad + body).encode(), "g.json")
