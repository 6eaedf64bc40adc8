"""One test per field of :class:`explorer.io.Limits`: just under passes, just over is refused
with the message naming the limit, and a declared size far over it is refused without
allocating it (tracemalloc peak a tiny fraction of what the file declares)."""

import json
import tracemalloc

import pytest

from explorer.errors import InputFormatError
from explorer.io import Limits, read_graph_bytes
from explorer.io.limits import DEFAULT_LIMITS, check_size, count_text
from explorer.pgm.evidence import read_evidence_file
from explorer.pgm.models import read_model_bytes


def _refused(field: str, fn, *args, **kw) -> str:
    with pytest.raises(InputFormatError, match=rf"\(Limits\.{field}\)") as info:
        fn(*args, **kw)
    msg = str(info.value)
    assert "\n" not in msg and "expected at most" in msg
    assert f"Limits({field}=" in msg or "Python's JSON reader" in msg
    return msg


def _peak(fn) -> int:
    """Peak bytes traced while ``fn()`` runs (it must raise InputFormatError)."""
    tracemalloc.start()
    try:
        with pytest.raises(InputFormatError):
            fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _uai(cards, scopes, tables=None) -> bytes:
    lines = ["MARKOV", str(len(cards)), " ".join(map(str, cards)), str(len(scopes))]
    lines += [" ".join(map(str, [len(s), *s])) for s in scopes]
    for k, s in enumerate(scopes):
        n = 1
        for i in s:
            n *= cards[i]
        lines.append(f"{n}\n" + " ".join(["1"] * n) if tables is None else tables[k])
    return ("\n".join(lines) + "\n").encode()


def _bif(cards: list[int], cpd_of_last: str | None = None) -> bytes:
    out = ["network n {\n}"]
    for i, c in enumerate(cards):
        out.append(f"variable V{i} {{ type discrete [ {c} ] {{ "
                   + ", ".join(f"s{k}" for k in range(c)) + " }; }")
    for i, c in enumerate(cards):
        if i == len(cards) - 1 and cpd_of_last is not None:
            out.append(cpd_of_last)
        else:
            out.append(f"probability ( V{i} ) {{ table " + ", ".join([repr(1 / c)] * c) + "; }")
    return "\n".join(out).encode()


def _xmlbif(n_vars: int, n_out: int = 2) -> bytes:
    v = "".join(f"<VARIABLE><NAME>V{i}</NAME>" + "".join(f"<OUTCOME>o{k}</OUTCOME>"
                                                           for k in range(n_out)) + "</VARIABLE>"
                for i in range(n_vars))
    d = "".join(f"<DEFINITION><FOR>V{i}</FOR><TABLE>" + " ".join([repr(1 / n_out)] * n_out)
                + "</TABLE></DEFINITION>" for i in range(n_vars))
    return f"<BIF><NETWORK><NAME>n</NAME>{v}{d}</NETWORK></BIF>".encode()


def test_defaults_are_the_documented_ones():
    assert DEFAULT_LIMITS == Limits(50_000, 500_000, 20_000_000, max_depth=64, max_id_length=256,
                                    max_feature_values=5_000_000, max_variables=100_000,
                                    max_factors=500_000, max_cardinality=10_000, max_scope=32,
                                    max_table_entries=10_000_000, max_total_entries=20_000_000)
    check_size("max_nodes", DEFAULT_LIMITS.max_nodes, DEFAULT_LIMITS, None)      # equal: passes
    assert count_text(10 ** 40) == "about 1.0e+40"


# ---------------------------------------------------------------------------------- graphs
def test_max_bytes_graph_and_model():
    data = b"a b\n" * 5
    assert read_graph_bytes(data, "g.txt", limits=Limits(max_bytes=len(data))).n_nodes == 2
    _refused("max_bytes", read_graph_bytes, data, "g.txt", limits=Limits(max_bytes=len(data) - 1))
    uai = _uai([2], [[0]])
    assert read_model_bytes(uai, "m.uai", limits=Limits(max_bytes=len(uai))).n_vars == 1
    msg = _refused("max_bytes", read_model_bytes, uai, "m.uai", limits=Limits(max_bytes=len(uai) - 1))
    assert "read_model(" in msg


@pytest.mark.parametrize("fmt", ["txt", "json", "gml", "graphml", "csv"])
def test_max_nodes_every_graph_format(fmt):
    def make(n):
        if fmt == "txt":
            return "\n".join(f"n{i}" for i in range(n))
        if fmt == "json":
            return json.dumps({"directed": False, "nodes": [{"id": i} for i in range(n)], "links": []})
        if fmt == "gml":
            return "graph [\n" + "".join(f"node [ id {i} ]\n" for i in range(n)) + "]"
        if fmt == "graphml":
            return ('<graphml xmlns="http://graphml.graphdrawing.org/xmlns"><graph edgedefault='
                    '"undirected">' + "".join(f'<node id="n{i}"/>' for i in range(n))
                    + "</graph></graphml>")
        return "\n".join(",".join("0" for _ in range(n)) for _ in range(n))
    lim = Limits(max_nodes=12)
    assert read_graph_bytes(make(12).encode(), f"g.{fmt}", limits=lim).n_nodes == 12
    msg = _refused("max_nodes", read_graph_bytes, make(13).encode(), f"g.{fmt}", limits=lim)
    assert "found 13" in msg


def test_a_million_isolated_nodes_are_refused_at_the_first_one_over():
    data = "\n".join(str(i) for i in range(1_000_000)).encode()
    msg = _refused("max_nodes", read_graph_bytes, data, "g.txt", limits=Limits(max_nodes=100))
    assert "line 101:" in msg and "at least (reading stopped there)" in msg


@pytest.mark.parametrize("fmt", ["txt", "json", "gml", "graphml"])
def test_max_edges(fmt):
    def make(m):
        pairs = [(i, i + 1) for i in range(m)]
        if fmt == "txt":
            return "\n".join(f"{u} {v}" for u, v in pairs)
        if fmt == "json":
            return json.dumps({"directed": False, "nodes": [{"id": i} for i in range(m + 1)],
                               "links": [{"source": u, "target": v} for u, v in pairs]})
        if fmt == "gml":
            return ("graph [\n" + "".join(f"node [ id {i} ]\n" for i in range(m + 1))
                    + "".join(f"edge [ source {u} target {v} ]\n" for u, v in pairs) + "]")
        return ('<graphml xmlns="http://graphml.graphdrawing.org/xmlns"><graph edgedefault='
                '"undirected">' + "".join(f'<node id="{i}"/>' for i in range(m + 1))
                + "".join(f'<edge source="{u}" target="{v}"/>' for u, v in pairs)
                + "</graph></graphml>")
    lim = Limits(max_edges=9)
    assert read_graph_bytes(make(9).encode(), f"g.{fmt}", limits=lim).n_edges == 18
    _refused("max_edges", read_graph_bytes, make(10).encode(), f"g.{fmt}", limits=lim)


def test_max_edges_csv_counted_while_reading():
    n = 40
    dense = "\n".join(",".join("1" if i != j else "0" for j in range(n)) for i in range(n))
    lim = Limits(max_edges=n * (n - 1) // 2)
    assert read_graph_bytes(dense.encode(), "g.csv", limits=lim).n_edges == n * (n - 1)
    _refused("max_edges", read_graph_bytes, dense.encode(), "g.csv",
             limits=Limits(max_edges=n * (n - 1) // 2 - 1))


@pytest.mark.parametrize("fmt", ["json", "gml", "graphml"])
def test_max_depth(fmt):
    def make(depth):  # the whole file nested exactly `depth` levels deep
        if fmt == "json":
            inner = "[" * (depth - 3) + "1" + "]" * (depth - 3)
            return '{"directed": false, "nodes": [{"id": 1, "extra": ' + inner + "}]}"
        if fmt == "gml":
            return ("graph [ node [ id 1 extra " + "[ a " * (depth - 2) + "1 " + "] " * (depth - 2)
                    + "] ]")
        return ('<graphml xmlns="http://graphml.graphdrawing.org/xmlns"><graph edgedefault='
                '"undirected"><node id="a">' + "<desc>" * (depth - 3) + "</desc>" * (depth - 3)
                + "</node></graph></graphml>")
    lim = Limits(max_depth=20)
    assert read_graph_bytes(make(20).encode(), f"g.{fmt}", limits=lim).n_nodes == 1
    _refused("max_depth", read_graph_bytes, make(21).encode(), f"g.{fmt}", limits=lim)


@pytest.mark.parametrize("fmt", ["json", "gml"])
def test_deep_nesting_far_past_python_recursion_is_refused(fmt):
    if fmt == "json":
        data = '{"nodes": [{"id": 1, "x": ' + "[" * 200_000 + "]" * 200_000 + "}]}"
    else:
        data = "graph [ " * 200_000 + "] " * 200_000
    _refused("max_depth", read_graph_bytes, data.encode(), f"g.{fmt}")


def test_max_depth_xmlbif():
    lim = Limits(max_depth=6)
    body = _xmlbif(1).decode()
    ok = body.replace("<NAME>n</NAME>", "<NAME>n</NAME><X><Y><Z><W/></Z></Y></X>")  # depth 6
    assert read_model_bytes(ok.encode(), "m.xmlbif", limits=lim).n_vars == 1
    bad = body.replace("<NAME>n</NAME>", "<NAME>n</NAME><X><Y><Z><W><V/></W></Z></Y></X>")  # 7
    _refused("max_depth", read_model_bytes, bad.encode(), "m.xmlbif", limits=lim)


@pytest.mark.parametrize("fmt", ["txt", "json", "csv", "graphml"])
def test_max_id_length(fmt):
    def make(k):
        name = "a" * k
        if fmt == "txt":
            return f"{name} b\n"
        if fmt == "json":
            return json.dumps({"directed": False, "nodes": [{"id": name}, {"id": "b"}], "links": []})
        if fmt == "csv":
            return f"{name},b\n0,1\n1,0\n"
        return ('<graphml xmlns="http://graphml.graphdrawing.org/xmlns"><graph edgedefault='
                f'"undirected"><node id="{name}"/><node id="b"/></graph></graphml>')
    lim = Limits(max_id_length=30)
    assert read_graph_bytes(make(30).encode(), f"g.{fmt}", limits=lim).n_nodes == 2
    _refused("max_id_length", read_graph_bytes, make(31).encode(), f"g.{fmt}", limits=lim)


def test_integer_ids_count_their_digits():
    lim = Limits(max_id_length=300)
    ok = json.dumps({"directed": False, "nodes": [{"id": 10 ** 299}], "links": []})
    assert read_graph_bytes(ok.encode(), "g.json", limits=lim).node_ids == (10 ** 299,)
    bad = json.dumps({"directed": False, "nodes": [{"id": 10 ** 3000}], "links": []})
    _refused("max_id_length", read_graph_bytes, bad.encode(), "g.json", limits=lim)
    gml = "graph [ node [ id " + "9" * 4991 + " ] ]"
    _refused("max_id_length", read_graph_bytes, gml.encode(), "g.gml")


def test_max_feature_values_checked_from_the_first_row():
    def make(n, f):
        return json.dumps({"directed": False, "links": [],
                           "nodes": [{"id": i, "x": [0.5] * f} for i in range(n)]})
    lim = Limits(max_feature_values=60)
    assert read_graph_bytes(make(10, 6).encode(), "g.json", limits=lim).x.shape == (10, 6)
    msg = _refused("max_feature_values", read_graph_bytes, make(10, 7).encode(), "g.json", limits=lim)
    assert "found 70" in msg


# ---------------------------------------------------------------------------------- models
@pytest.mark.parametrize("fmt", ["uai", "bif", "xmlbif"])
def test_max_variables(fmt):
    make = {"uai": lambda n: _uai([2] * n, [[i] for i in range(n)]),
            "bif": lambda n: _bif([2] * n), "xmlbif": _xmlbif}[fmt]
    lim = Limits(max_variables=7)
    assert read_model_bytes(make(7), f"m.{fmt}", limits=lim).n_vars == 7
    _refused("max_variables", read_model_bytes, make(8), f"m.{fmt}", limits=lim)


def test_max_variables_declared_in_uai_is_refused_before_reading_more():
    data = b"MARKOV\n1000000000000\n"
    assert _peak(lambda: read_model_bytes(data, "m.uai")) < 1_000_000


def test_max_factors():
    lim = Limits(max_factors=3)
    assert read_model_bytes(_uai([2], [[0]] * 3), "m.uai", limits=lim).n_factors == 3
    _refused("max_factors", read_model_bytes, _uai([2], [[0]] * 4), "m.uai", limits=lim)


@pytest.mark.parametrize("fmt", ["uai", "bif", "xmlbif"])
def test_max_cardinality(fmt):
    make = {"uai": lambda c: _uai([c], [[0]]), "bif": lambda c: _bif([c]),
            "xmlbif": lambda c: _xmlbif(1, c)}[fmt]
    lim = Limits(max_cardinality=9)
    assert read_model_bytes(make(9), f"m.{fmt}", limits=lim).cards == (9,)
    _refused("max_cardinality", read_model_bytes, make(10), f"m.{fmt}", limits=lim)


def test_a_declared_cardinality_is_refused_before_the_states_are_read():
    data = b"network n {}\nvariable A { type discrete [ 10000000000 ] { a, b }; }\n"
    msg = _refused("max_cardinality", read_model_bytes, data, "m.bif")
    assert "line 2:" in msg and "10,000,000,000 declared for 'A'" in msg


@pytest.mark.parametrize("fmt", ["uai", "bif", "xmlbif"])
def test_max_scope(fmt):
    def make(a):
        if fmt == "uai":
            return _uai([1] * a, [list(range(a))])
        if fmt == "bif":
            return _bif([1] * a, "probability ( V%d | %s ) { table 1; }"
                        % (a - 1, ", ".join(f"V{i}" for i in range(a - 1))))
        given = "".join(f"<GIVEN>V{i}</GIVEN>" for i in range(a - 1))
        return _xmlbif(a, 1).replace(f"<FOR>V{a - 1}</FOR>".encode(),
                                     f"<FOR>V{a - 1}</FOR>{given}".encode())
    lim = Limits(max_scope=5)
    assert read_model_bytes(make(5), f"m.{fmt}", limits=lim).n_vars == 5
    _refused("max_scope", read_model_bytes, make(6), f"m.{fmt}", limits=lim)


def test_numpy_dimension_limit_is_never_reached():
    """70 variables of cardinality 1 in one factor: 1 entry, but 70 axes (numpy allows 64)."""
    data = _uai([1] * 70, [list(range(70))])
    msg = _refused("max_scope", read_model_bytes, data, "m.uai")
    assert "found 70" in msg


@pytest.mark.parametrize("fmt", ["uai", "bif", "xmlbif"])
def test_max_table_entries(fmt):
    def make(c):  # P(V1 | V0) with V0 of c states and V1 of 2: 2c entries
        if fmt == "uai":
            return _uai([c, 2], [[0, 1]])
        if fmt == "bif":
            return _bif([c, 2], "probability ( V1 | V0 ) { default 0.5, 0.5; }")
        given = _xmlbif(2, 2).decode().replace("<FOR>V1</FOR>", "<FOR>V1</FOR><GIVEN>V0</GIVEN>")
        given = given.replace("<OUTCOME>o0</OUTCOME><OUTCOME>o1</OUTCOME></VARIABLE><VARIABLE>"
                              "<NAME>V1", "".join(f"<OUTCOME>o{k}</OUTCOME>" for k in range(c))
                              + "</VARIABLE><VARIABLE><NAME>V1", 1)
        given = given.replace("<TABLE>0.5 0.5</TABLE>", "<TABLE>" + " ".join(["0.5"] * 2 * c)
                              + "</TABLE>").replace(
            "<DEFINITION><FOR>V0</FOR><TABLE>" + " ".join(["0.5"] * 2 * c),
            "<DEFINITION><FOR>V0</FOR><TABLE>" + " ".join([repr(1 / c)] * c), 1)
        return given.encode()
    lim = Limits(max_table_entries=20)
    assert read_model_bytes(make(10), f"m.{fmt}", limits=lim).cards[0] == 10
    _refused("max_table_entries", read_model_bytes, make(11), f"m.{fmt}", limits=lim)


def test_declared_tables_of_billions_of_entries_cost_nothing():
    """A BIF CPD over 9 parents of 10 states with only a `default` row declares 2e9 entries;
    a UAI factor over four 10,000-state variables declares 1e16 (more than int32, and its
    product is computed exactly): both are refused without allocating."""
    parents = "\n".join(f"variable P{i} {{ type discrete [ 10 ] {{ "
                        + ", ".join(f"s{k}" for k in range(10)) + " }; }" for i in range(9))
    bif = ("network n {}\n" + parents + "\nvariable C { type discrete [ 2 ] { a, b }; }\n"
           "probability ( C | " + ", ".join(f"P{i}" for i in range(9)) + " ) { default 0.5, 0.5; }"
           ).encode()
    assert _peak(lambda: read_model_bytes(bif, "m.bif")) < 2_000_000
    assert "found 2,000,000,000" in _refused("max_table_entries", read_model_bytes, bif, "m.bif")
    uai = b"MARKOV\n4\n10000 10000 10000 10000\n1\n4 0 1 2 3\n"
    assert _peak(lambda: read_model_bytes(uai, "m.uai")) < 2_000_000
    assert "found about 1.0e+16" in _refused("max_table_entries", read_model_bytes, uai, "m.uai")
    huge = b"MARKOV\n8\n" + b"10000 " * 8 + b"\n1\n8 0 1 2 3 4 5 6 7\n"   # 1e32 > int64
    assert "about 1.0e+32" in _refused("max_table_entries", read_model_bytes, huge, "m.uai")


def test_max_total_entries():
    lim = Limits(max_total_entries=12)
    assert read_model_bytes(_uai([2, 2], [[0, 1]] * 3), "m.uai", limits=lim).n_factors == 3
    _refused("max_total_entries", read_model_bytes, _uai([2, 2], [[0, 1]] * 4), "m.uai", limits=lim)
    two = _bif([3, 2], "probability ( V1 | V0 ) { default 0.5, 0.5; }")         # 3 + 6 entries
    assert read_model_bytes(two, "m.bif", limits=Limits(max_total_entries=9)).n_vars == 2
    _refused("max_total_entries", read_model_bytes, two, "m.bif", limits=Limits(max_total_entries=8))


def test_evidence_file_count_is_checked_against_max_variables(tmp_path):
    p = tmp_path / "e.evid"
    p.write_text("3 0 1 1 0 2 1\n")
    assert read_evidence_file(p, limits=Limits(max_variables=3)) == {0: 1, 1: 0, 2: 1}
    _refused("max_variables", read_evidence_file, p, limits=Limits(max_variables=2))
    p.write_text("1000000000000 0 1\n")
    with pytest.raises(InputFormatError, match="do not fit"):
        read_evidence_file(p)


def test_limits_themselves_are_validated():
    from explorer.errors import ModelError
    with pytest.raises(ModelError, match="at most 64 .numpy's limit"):
        Limits(max_scope=65)
    assert Limits(max_scope=64).max_scope == 64
    with pytest.raises(ModelError, match=r"Limits\.max_nodes must be a number >= 0, got -1"):
        Limits(max_nodes=-1)
    with pytest.raises(ModelError, match=r"Limits\.max_depth must be a number >= 0, got '64'"):
        Limits(max_depth="64")
    with pytest.raises(ModelError, match=r"Limits\.max_bytes must be a number >= 0, got nan"):
        Limits(max_bytes=float("nan"))
