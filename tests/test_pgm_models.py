"""Factor graphs, builders, the UAI/BIF/XMLBIF readers (good and bad files), evidence, samples."""

from pathlib import Path

import numpy as np
import pytest

from explorer.errors import EvidenceError, InputFormatError, ModelError
from explorer.pgm import (Factor, FactorGraph, from_bayesian_network, ising_grid, load_model,
                          pairwise_mrf, parse_evidence, read_evidence_file, read_model,
                          read_model_bytes, write_model)
from explorer.pgm.samples import generated_models

DATA = Path(__file__).parent / "data" / "pgm"
MODELS = Path(__file__).resolve().parents[1] / "sample_graphs" / "models"


def _tables_equal(a: FactorGraph, b: FactorGraph, tol: float = 1e-9) -> bool:
    return all(fa.scope == fb.scope and np.allclose(fa.table, fb.table, atol=tol, rtol=tol)
               for fa, fb in zip(a.factors, b.factors)) and len(a.factors) == len(b.factors)


# ---------------------------------------------------------------------------- the data types
def test_factor_graph_bipartite_graph_layout():
    fg = from_bayesian_network({"A": ["y", "n"], "B": ["y", "n"], "C": ["0", "1", "2"]},
                               {"A": ([], [0.6, 0.4]), "B": (["A"], [[0.7, 0.3], [0.2, 0.8]]),
                                "C": (["A", "B"], np.full((2, 2, 3), 1 / 3))})
    g = fg.to_graph()
    assert g.n_nodes == 3 + 3 and g.roles == ("variable",) * 3 + ("factor",) * 3
    assert g.labels[3:] == ("P(A)", "P(B|A)", "P(C|A,B)")
    var, fac, pos = fg.edge_pairs()
    assert var.tolist() == [0, 0, 1, 0, 1, 2] and fac.tolist() == [0, 1, 1, 2, 2, 2]
    # edge 2p: variable -> factor, 2p+1: factor -> variable
    assert g.senders[0::2].tolist() == var.tolist() and g.receivers[0::2].tolist() == (fac + 3).tolist()
    assert g.senders[1::2].tolist() == (fac + 3).tolist()
    vg = fg.variable_graph()
    assert sorted(map(tuple, vg.undirected_pairs().tolist())) == [(0, 1), (0, 2), (1, 2)]
    assert not fg.is_forest() and fg.kind == "bayes" and fg.parents == ((), (0,), (0, 1))


def test_factor_graph_rejects_bad_tables():
    with pytest.raises(ModelError, match=r"shape \(2,\); expected \(2, 2\)"):
        FactorGraph(names=("A", "B"), cards=(2, 2), states=(("0", "1"),) * 2,
                    factors=(Factor((0, 1), np.ones(2)),))
    with pytest.raises(ModelError, match="negative"):
        FactorGraph(names=("A",), cards=(2,), states=(("0", "1"),), factors=(Factor((0,), [1, -1]),))
    with pytest.raises(ModelError, match="duplicates"):
        FactorGraph(names=("A", "A"), cards=(2, 2), states=(("0", "1"),) * 2, factors=())


def test_bayesian_network_builder_errors():
    st = {"A": ["0", "1"], "B": ["0", "1"]}
    with pytest.raises(ModelError, match=r"row \(1,\) sums to 0\.9; each row must sum to 1 within"):
        from_bayesian_network(st, {"A": ([], [0.5, 0.5]), "B": (["A"], [[0.5, 0.5], [0.5, 0.4]])})
    with pytest.raises(ModelError, match="cycle A -> B -> A|cycle B -> A -> B"):
        from_bayesian_network(st, {"A": (["B"], [[0.5, 0.5]] * 2), "B": (["A"], [[0.5, 0.5]] * 2)})
    with pytest.raises(ModelError, match="'B' has no CPD"):
        from_bayesian_network(st, {"A": ([], [0.5, 0.5])})


def test_pairwise_mrf_and_ising_grid():
    fg = pairwise_mrf({"A": ["0", "1"], "B": ["0", "1", "2"]}, {"A": [1, 2]}, [("A", "B", np.ones((2, 3)))])
    assert [f.scope for f in fg.factors] == [(0,), (0, 1)] and fg.is_forest()
    g, truth = ising_grid(4, 5, coupling=0.5, field=1.0, noise=0.2, seed=3)
    assert truth.shape == (4, 5) and g.n_vars == 20 and g.n_factors == 20 + 4 * 4 + 3 * 5
    noisy = g.meta["noisy"]
    assert noisy.shape == (4, 5) and set(np.unique(noisy)) <= {0, 1}
    # unary potential favours the noisy pixel by exp(2 * field)
    f0 = g.factors[0].table
    assert np.isclose(f0[noisy[0, 0]] / f0[1 - noisy[0, 0]], np.exp(2.0))
    assert np.allclose(g.factors[20].table, np.exp([[0.5, -0.5], [-0.5, 0.5]]))
    g2, _ = ising_grid(4, 5, coupling=0.5, field=1.0, noise=0.2, seed=3)
    assert np.array_equal(g2.meta["noisy"], noisy)            # same seed, same picture
    assert g.to_graph().pos.shape == (20 + 51, 2)
    with pytest.raises(ModelError, match="noise"):
        ising_grid(3, 3, noise=1.5)


# ---------------------------------------------------------------------------- good files
@pytest.mark.parametrize("name", ["asia", "cancer", "earthquake", "sachs", "survey"])
def test_standard_bif_networks_load_and_roundtrip(name, tmp_path):
    fg = read_model(MODELS / f"{name}.bif")
    assert fg.kind == "bayes" and fg.name == name
    for f in fg.factors:
        assert np.allclose(f.table.sum(-1), 1.0, atol=1e-3)
    for ext in (".bif", ".xmlbif", ".uai"):
        back = read_model(write_model(fg, tmp_path / f"m{ext}"))
        assert _tables_equal(fg, back)
        if ext != ".uai":
            assert back.names == fg.names and back.states == fg.states


def test_asia_values_as_in_the_file():
    fg = read_model(MODELS / "asia.bif")
    either = fg.factors[fg.index("either")]
    assert [fg.names[i] for i in either.scope] == ["lung", "tub", "either"]
    # (no, yes) -> 1.0, 0.0 : lung=no, tub=yes
    assert either.table[1, 0].tolist() == [1.0, 0.0] and either.table[1, 1].tolist() == [0.0, 1.0]


def test_generated_samples_match_their_builders():
    for file, fg in generated_models().items():
        assert _tables_equal(read_model(MODELS / file), fg, tol=1e-9), file


def test_uai_reader_and_evidence_files():
    fg = read_model(DATA / "chain_bayes.uai")
    assert fg.kind == "bayes" and fg.names == ("0", "1", "2") and fg.states[0] == ("0", "1")
    assert fg.parents == ((), (0,), (1,))
    assert read_evidence_file(DATA / "chain_bayes.uai.evid") == {2: 1}
    assert read_evidence_file(DATA / "chain_bayes_2008.evid") == {2: 1}
    same = read_model_bytes((DATA / "chain_bayes.uai").read_bytes(), "upload.uai")
    assert same.name == "upload" and _tables_equal(fg, same)


def test_load_model_by_sample_name_and_errors():
    fg = load_model("student")
    assert fg.name == "student" and fg.meta["sample"] == "student"
    assert fg.states[fg.index("Grade")] == ("A", "B", "C")
    with pytest.raises(ModelError, match="neither a model file nor a model sample; samples: .*asia"):
        load_model("no_such_model")
    with pytest.raises(InputFormatError, match=r"expected a model file ending in \.uai"):
        read_model_bytes(b"x", "model.txt")


# ---------------------------------------------------------------------------- bad files
UAI_BAD = [
    ("MARKOV\n2\n2 2\n1\n2 0 1\n\n3\n1 2 3\n", r"line 7: factor 0 over variables \[0, 1\] needs a table of 4 entries"),
    ("MARKOV\n2\n2 2\n1\n2 0 5\n4\n1 1 1 1\n", r"line 5: expected a variable index of factor 0 in \[0, 1\], found 5"),
    ("MARKOV\n1\n2\n1\n1 0\n2\n0.5 -1\n", r"line 6: factor 0's table has entry 1 = -1.0; entries must be finite and >= 0"),
    ("BAYES\n1\n2\n1\n1 0\n2\n0.5 0.6\n", r"line 6: factor 0 \(CPD of variable 0\): row 0 sums to 1\.1; each row must sum to 1 within 0\.001"),
    ("BAYES\n2\n2 2\n2\n2 1 0\n2 0 1\n4\n.5 .5 .5 .5\n4\n.5 .5 .5 .5\n", r"line \d: a BAYES network must be acyclic; found the cycle"),
    ("FOO\n1\n2\n", r"line 1: expected the header MARKOV or BAYES, found 'FOO'"),
    ("MARKOV\n2\ntwo 2\n", r"line 3: expected the cardinality of variable 0 \(an integer\), found 'two'"),
    ("MARKOV\n1\n2\n1\n1 0\n2\n1\n", r"line 7: expected entry 1 of factor 0's table, found the end of the file"),
]


@pytest.mark.parametrize("text,match", UAI_BAD)
def test_uai_reader_errors(text, match):
    with pytest.raises(InputFormatError, match=match):
        read_model_bytes(text.encode(), "bad.uai")


BIF_HEAD = "network n {\n}\nvariable A {\n  type discrete [ 2 ] { yes, no };\n}\n" \
           "variable B {\n  type discrete [ 2 ] { yes, no };\n}\n"
BIF_BAD = [
    (BIF_HEAD + "variable A {\n  type discrete [ 2 ] { y, n };\n}\n", r"line 9: variable 'A' is declared twice \(first on line 3\)"),
    (BIF_HEAD + "probability ( A ) {\n  table 0.5, 0.5;\n}\nprobability ( B | C ) {\n}\n",
     r"line 12: probability names unknown variable 'C'; declared: \['A', 'B'\]"),
    (BIF_HEAD + "probability ( A ) {\n  table 0.5, 0.5;\n}\nprobability ( B | A ) {\n  (maybe) 0.5, 0.5;\n}\n",
     r"line 13: P\(B \| A\): 'A' has no state 'maybe'; states: \['yes', 'no'\]"),
    (BIF_HEAD + "probability ( A ) {\n  table 0.5, 0.5, 0.1;\n}\n", r"line 10: P\(A\): 'table' has 3 values, expected 2"),
    (BIF_HEAD + "probability ( A ) {\n  table 0.5, 0.6;\n}\n", r"line 10: P\(A\): a row of the table sums to 1\.1"),
    (BIF_HEAD + "probability ( A ) {\n  table 0.5, 0.5;\n}\nprobability ( B | A ) {\n  (yes) 0.5, 0.5;\n}\n",
     r"line 12: P\(B \| A\): no row for the parent states \(no\) and no 'default'"),
    (BIF_HEAD + "probability ( A | B ) {\n  table 0.5, 0.5, 0.5, 0.5;\n}\n"
                "probability ( B | A ) {\n  table 0.5, 0.5, 0.5, 0.5;\n}\n",
     r"line (9|12): a Bayesian network must be acyclic; found the cycle (A -> B -> A|B -> A -> B)"),
    (BIF_HEAD + "probability ( A ) {\n  table 0.5, 0.5;\n}\n", r"line 6: variable 'B' has no 'probability \( B \.\.\. \)' block"),
    (BIF_HEAD + "probability ( A ) {\n  table 0.5, -0.5;\n}\n", r"line 10: P\(A\) has the entry -0\.5; probabilities must be finite and >= 0"),
    ("network n {\n}\nvariable A {\n  type discrete [ 3 ] { yes, no };\n}\n", r"line 4: variable 'A' declares \[3\] states but lists 2"),
    ("netwrk n {\n}\n", r"line 1: expected 'network', 'variable' or 'probability', found 'netwrk'"),
]


@pytest.mark.parametrize("text,match", BIF_BAD)
def test_bif_reader_errors(text, match):
    with pytest.raises(InputFormatError, match=match):
        read_model_bytes(text.encode(), "bad.bif")


def test_bif_default_rows_comments_and_quotes():
    text = ('// a comment\nnetwork "quoted" {\n}\nvariable A {\n  type discrete [ 2 ] { a, b };\n}\n'
            'variable B {\n  type discrete [ 2 ] { a, b }; /* block\ncomment */\n}\n'
            'probability ( A ) {\n  table 0.25, 0.75;\n}\n'
            'probability ( B | A ) {\n  (a) 0.1, 0.9;\n  default 0.5, 0.5;\n}\n')
    fg = read_model_bytes(text.encode(), "ok.bif")
    assert fg.name == "quoted"
    assert fg.factors[1].table.tolist() == [[0.1, 0.9], [0.5, 0.5]]


XML_HEAD = ('<?xml version="1.0"?>\n<BIF VERSION="0.3">\n<NETWORK>\n<NAME>n</NAME>\n'
            '<VARIABLE TYPE="nature"><NAME>A</NAME><OUTCOME>y</OUTCOME><OUTCOME>n</OUTCOME></VARIABLE>\n'
            '<VARIABLE TYPE="nature"><NAME>B</NAME><OUTCOME>y</OUTCOME><OUTCOME>n</OUTCOME></VARIABLE>\n')
XML_OK_A = "<DEFINITION><FOR>A</FOR><TABLE>0.5 0.5</TABLE></DEFINITION>\n"
XML_BAD = [
    (XML_HEAD + XML_OK_A + "<DEFINITION><FOR>B</FOR><GIVEN>A</GIVEN><TABLE>0.5 0.5</TABLE></DEFINITION>\n</NETWORK></BIF>",
     r"line 8: P\(B \| A\): TABLE has 2 values, expected 4"),
    (XML_HEAD + XML_OK_A + "<DEFINITION><FOR>B</FOR><GIVEN>Z</GIVEN><TABLE>0.5 0.5</TABLE></DEFINITION>\n</NETWORK></BIF>",
     r"line 8: DEFINITION names unknown variable 'Z'"),
    (XML_HEAD + XML_OK_A + "<DEFINITION><FOR>B</FOR><GIVEN>A</GIVEN>\n<TABLE>0.5 0.5 0.3 0.3</TABLE></DEFINITION>\n</NETWORK></BIF>",
     r"line 9: P\(B \| A\): row 1 of the TABLE sums to 0\.6"),
    (XML_HEAD + XML_OK_A + "<DEFINITION><FOR>B</FOR>\n<TABLE>0.5 0.5</TABLE>\n</NETWORK></BIF>",
     r"line 10: not well-formed XML: mismatched tag"),
    (XML_HEAD + XML_OK_A + "</NETWORK></BIF>", r"line 6: variable 'B' has no DEFINITION"),
]


@pytest.mark.parametrize("text,match", XML_BAD)
def test_xmlbif_reader_errors(text, match):
    with pytest.raises(InputFormatError, match=match):
        read_model_bytes(text.encode(), "bad.xmlbif")


# ---------------------------------------------------------------------------- evidence
def test_parse_evidence():
    fg = load_model("asia")
    assert parse_evidence(fg, ["xray=yes", "smoke=no"]) == {fg.index("xray"): 0, fg.index("smoke"): 1}
    assert parse_evidence(fg, {"xray": "no"}) == {fg.index("xray"): 1}
    with pytest.raises(EvidenceError, match="unknown variable 'xr'; valid variables: asia, tub, smoke"):
        parse_evidence(fg, ["xr=yes"])
    with pytest.raises(EvidenceError, match="variable 'xray' has no state 'maybe'; valid states: yes, no"):
        parse_evidence(fg, ["xray=maybe"])
    with pytest.raises(EvidenceError, match="expected evidence as VAR=STATE, found 'xray'"):
        parse_evidence(fg, ["xray"])
    with pytest.raises(EvidenceError, match="given two states"):
        parse_evidence(fg, ["xray=yes", "xray=no"])
