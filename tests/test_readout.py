"""Graph readout by hand, permutation invariance (and concatenation's lack of it), the shipped
molecules against their known formulas, and the Graph readout page against the library.

Oracles: pooled vectors written out by hand; numpy sum/mean/max/softmax over the model's own
node outputs; molecular formulas and bond counts from chemistry (benzene C6H6 has six aromatic
bonds, aspirin C9H8O4 has 13 bonds: 6 aromatic, 2 double, 5 single, ...); aromaticity read off
the SMILES text (lower-case atoms) rather than from the parsed graph.
"""

import re

import numpy as np
import pytest
import torch

from explorer.errors import InputFormatError, ModelError
from explorer.graph import Graph
from explorer.nn import run_stack
from explorer.nn.readout import (BOND_TYPES, ELEMENTS, MOLECULES_FILE, bond_types, concat_readout,
                                 load_dataset, load_molecules, molecule_graph, relabel_demo)
from explorer.nn.stack import Readout

pytestmark = pytest.mark.usefixtures("torch_one_thread")


def test_readouts_by_hand():
    h = torch.tensor([[1.0, 2.0], [3.0, -1.0], [0.0, 5.0]])
    assert Readout("sum", 2)(h)[0].tolist() == [[4.0, 6.0]]
    np.testing.assert_allclose(Readout("mean", 2)(h)[0].numpy(), [[4 / 3, 2.0]], rtol=1e-6)
    assert Readout("max", 2)(h)[0].tolist() == [[3.0, 5.0]]
    att = Readout("attention", 2)
    with torch.no_grad():  # gate score = first coordinate: 1, 3, 0
        att.gate.weight.copy_(torch.tensor([[1.0, 0.0]]))
        att.gate.bias.zero_()
    pooled, w = att(h)
    e = np.exp([1.0, 3.0, 0.0])
    w_hand = e / e.sum()
    np.testing.assert_allclose(w.detach().numpy(), w_hand, rtol=1e-6)
    np.testing.assert_allclose(pooled.detach().numpy()[0], w_hand @ h.numpy(), rtol=1e-6)
    assert concat_readout(h.numpy()).tolist() == [1, 2, 3, -1, 0, 5]


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_model_readout_is_the_pooling_of_its_node_outputs(mode):
    g = Graph.from_edges(5, [(0, 1), (1, 2), (2, 3), (3, 4), (1, 3)])
    t = run_stack(g, layer="gin", layers=2, hidden=4, seed=1, features="degree", readout=mode)
    out = t.result["output"]
    hand = {"sum": out.sum(0), "mean": out.mean(0), "max": out.max(0)}[mode]
    np.testing.assert_allclose(t.result["readout"], hand, atol=1e-5)


@pytest.mark.parametrize("mode", ["sum", "mean", "max", "attention"])
def test_relabelling_keeps_the_readout_and_moves_the_concatenation(mode):
    graphs, _ = load_molecules()
    g = next(m for m in graphs if m.name == "aspirin")
    perm = np.random.default_rng(4).permutation(g.n_nodes)
    d = relabel_demo(g, perm, readout=mode, layer="gin", layers=2, hidden=6, seed=2, features="x")
    assert d["invariant"] and d["readout_error"] < 1e-5
    # the concatenation is the old one with its blocks reordered: it changes ...
    assert d["concat_error"] > 1e-3
    # ... exactly as the permutation says
    np.testing.assert_allclose(d["concat_permuted"], d["states"][perm].reshape(-1), atol=1e-5)
    with pytest.raises(ModelError, match="expected readout in"):
        relabel_demo(g, perm, readout="concat")


# ---------------------------------------------------------------------- molecules
KNOWN = {  # name: (heavy atoms, bonds, hydrogens, {bond type: count})
    "benzene": (6, 6, 6, {"aromatic": 6}),
    "toluene": (7, 7, 8, {"aromatic": 6, "single": 1}),
    "naphthalene": (10, 11, 8, {"aromatic": 11}),
    "aspirin": (13, 13, 8, {"aromatic": 6, "double": 2, "single": 5}),
    "biphenyl": (12, 13, 10, {"aromatic": 12, "single": 1}),
    "cyclohexane": (6, 6, 12, {"single": 6}),
    "1,3,5-hexatriene": (6, 5, 8, {"double": 3, "single": 2}),
    "acetic acid": (4, 3, 4, {"double": 1, "single": 2}),
    "glycerol": (6, 5, 8, {"single": 5}),
    "acetonitrile": (3, 2, 3, {"triple": 1, "single": 1}),
}


def test_molecules_match_their_formulas():
    graphs, labels = load_molecules()
    assert 20 <= len(graphs) <= 40 and set(labels.tolist()) == {0, 1}
    by_name = {g.name: g for g in graphs}
    for name, (atoms, bonds, hydrogens, kinds) in KNOWN.items():
        g = by_name[name]
        assert g.n_nodes == atoms, name
        assert len(g.undirected_pairs()) == bonds and g.n_edges == 2 * bonds, name
        assert g.x[:, len(ELEMENTS)].sum() == hydrogens, name
        counted = {k: bond_types(g).count(k) // 2 for k in BOND_TYPES if k in bond_types(g)}
        assert counted == kinds, name
    aspirin = by_name["aspirin"]
    assert aspirin.roles.count("C") == 9 and aspirin.roles.count("O") == 4
    nitro = by_name["nitrobenzene"]
    assert sorted(nitro.x[:, -1].tolist()) == [-1.0] + [0.0] * (nitro.n_nodes - 2) + [1.0]  # O-, N+


def test_labels_agree_with_the_smiles_text():
    import csv

    rows = list(csv.DictReader(MOLECULES_FILE.read_text().splitlines()))
    _, labels = load_molecules()
    for row, y in zip(rows, labels):
        aromatic_text = re.search(r"[cnos]", row["smiles"].replace("Cl", "")) is not None
        assert int(aromatic_text) == y, row["name"]


def test_bad_molecules_get_one_line_errors(tmp_path):
    with pytest.raises(InputFormatError, match="expected a valid SMILES string"):
        molecule_graph("C1CC(", "broken")
    with pytest.raises(InputFormatError, match=r"expected elements in"):
        molecule_graph("[Na+].[Cl-]", "salt")
    with pytest.raises(InputFormatError, match="expected a SMILES string of 1 to"):
        molecule_graph("", "empty")
    bad = tmp_path / "m.csv"
    bad.write_text("name,smiles,aromatic\nx,CC,yes\n")
    with pytest.raises(InputFormatError, match="line 2: expected columns name,smiles,aromatic"):
        load_molecules(bad)
    with pytest.raises(ModelError, match="expected a data set in"):
        load_dataset("qm9")


def test_cycles_vs_paths_set():
    graphs, labels = load_dataset("cycles_vs_paths")
    for g, y in zip(graphs, labels):
        n = g.n_nodes
        assert len(g.undirected_pairs()) == (n if y else n - 1)


# ---------------------------------------------------------------------- the page
def test_readout_page_numbers_and_training():
    pytest.importorskip("streamlit")
    from explorer.nn.train import train_graph_classifier
    from explorer.ui.testing import app_test, array, charts

    at = app_test("readout", query={"graph": "10", "readout": "mean", "epochs": "20"})
    assert not at.exception, at.exception
    graphs, labels = load_molecules()
    g = graphs[10]
    assert g.name == "aspirin"
    figs = charts(at)
    # every atom drawn, bond types in the legend
    legend = {d["name"] for d in figs["readout.molecule"]["data"] if d.get("showlegend") is not False}
    assert legend == {"single bond", "double bond", "aromatic bond"}
    atoms = next(d for d in figs["readout.molecule"]["data"] if d["name"] == "atoms")
    assert list(atoms["text"]) == list(g.roles)
    # the pooled row equals the mean of the node rows, and both equal the library's run
    t = run_stack(g, layer="gin", layers=2, hidden=8, seed=0, features="x", readout="mean")
    heat = figs["readout.pooling"]["data"]
    states, pooled = (np.array(array(h["z"]), dtype=float) for h in heat)
    np.testing.assert_allclose(states, t.result["output"], atol=1e-6)
    np.testing.assert_allclose(pooled[0], states.mean(0), atol=1e-6)
    # relabel: the readout does not move, the concatenation does
    at.button(key="readout.relabel_btn").click().run()
    table = at.dataframe[0].value
    assert float(table["largest change"][0]) < 1e-5 and float(table["largest change"][1]) > 1e-3
    # train: the curve and the numbers are the library's for the same settings
    at.button(key="readout.train").click().run()
    assert not at.exception, at.exception
    ref = train_graph_classifier(graphs, labels, layer="gin", hidden=8, layers=2, epochs=20, seed=0,
                                 readout="mean", features="x")
    loss = next(d for d in charts(at)["readout.loss"]["data"] if d["name"] == "loss")
    np.testing.assert_allclose(array(loss["y"]), ref.losses, rtol=1e-5)
    shown = {m.label: m.value for m in at.metric}
    assert shown["Train accuracy"] == f"{ref.train_accuracy[-1]:.0%}"
    assert shown["Test accuracy"] == f"{ref.test_accuracy[-1]:.0%}"
