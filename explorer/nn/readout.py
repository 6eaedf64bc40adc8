"""Graph-level readout: molecules read from SMILES, pooling demos and the order test.

A graph-level prediction pools the node states into one vector. Sum, mean, max and attention
pooling treat the nodes as a set, so renumbering the nodes cannot change the result;
concatenating the states in node order (:func:`concat_readout`) is the counter-example whose
value moves with every relabelling. :func:`relabel_demo` shows both with the real model.

Molecules come from ``sample_graphs/molecules.csv`` (``name,smiles,aromatic``), read with
pysmiles (SMILES -> networkx with elements and bond orders; nothing is downloaded). Atoms are
nodes (hydrogens implicit), bonds are edges:

    x          [N, 8]  one-hot element (C, N, O, S, F, Cl), attached hydrogens, formal charge
    edge_attr  [E, 4]  one-hot bond type (single, double, triple, aromatic)
    roles      [N]     element symbols (drawn on the atoms)

The label is 1 when the molecule has an aromatic ring. Atom features do not say which atoms
are aromatic, so the classifier must read the ring around an atom: message passing's job.
"""

from __future__ import annotations

import csv
import dataclasses
import logging
from pathlib import Path
from typing import Any

import numpy as np

from explorer.errors import InputFormatError, ModelError
from explorer.graph import Graph

__all__ = ["ELEMENTS", "BOND_TYPES", "MOLECULES_FILE", "DATASETS", "molecule_graph",
           "load_molecules", "load_dataset", "concat_readout", "relabel_demo", "bond_types",
           "pair_embeddings", "PAIR_MODELS"]

ELEMENTS = ("C", "N", "O", "S", "F", "Cl")
BOND_TYPES = ("single", "double", "triple", "aromatic")
_ORDERS = {1: 0, 2: 1, 3: 2, 1.5: 3}
MOLECULES_FILE = Path(__file__).resolve().parents[2] / "sample_graphs" / "molecules.csv"
DATASETS = ("molecules", "cycles_vs_paths")
MAX_SMILES = 400  #: longer SMILES strings are refused (the set holds small molecules)


def molecule_graph(smiles: str, name: str = "") -> Graph:
    """One molecule as a :class:`Graph` (heavy atoms only; see the module docstring).

    Raises:
        InputFormatError: a SMILES pysmiles cannot read, too long, or with an element or bond
            outside :data:`ELEMENTS` / :data:`BOND_TYPES`.

    Example:
        >>> g = molecule_graph("CC(=O)O", "acetic acid")
        >>> g.roles, g.n_edges
        (('C', 'C', 'O', 'O'), 6)
    """
    import pysmiles

    if not isinstance(smiles, str) or not smiles.strip() or len(smiles) > MAX_SMILES:
        raise InputFormatError(f"expected a SMILES string of 1 to {MAX_SMILES} characters, found "
                               f"{smiles!r:.60}; check the molecules file")
    logging.getLogger("pysmiles").setLevel(logging.ERROR)  # stereo-chemistry notes, not errors
    try:
        G = pysmiles.read_smiles(smiles.strip())
    except Exception as e:  # noqa: BLE001 - pysmiles raises several types for bad strings
        raise InputFormatError(f"expected a valid SMILES string, found {smiles!r} ({e}); fix the "
                               "molecules file") from e
    nodes = list(G.nodes)
    idx = {v: i for i, v in enumerate(nodes)}
    x = np.zeros((len(nodes), len(ELEMENTS) + 2))
    for i, v in enumerate(nodes):
        d = G.nodes[v]
        if d["element"] not in ELEMENTS:
            raise InputFormatError(f"{name or smiles}: expected elements in {ELEMENTS}, found "
                                   f"{d['element']!r}; extend ELEMENTS or drop the molecule")
        x[i, ELEMENTS.index(d["element"])] = 1.0
        x[i, -2], x[i, -1] = d.get("hcount", 0), d.get("charge", 0)
    pairs, attr = [], []
    for u, v, d in G.edges(data=True):
        if d.get("order") not in _ORDERS:
            raise InputFormatError(f"{name or smiles}: expected bond orders 1, 2, 3 or aromatic, "
                                   f"found {d.get('order')!r}")
        pairs.append((idx[u], idx[v]))
        attr.append(np.eye(len(BOND_TYPES))[_ORDERS[d["order"]]])
    roles = tuple(G.nodes[v]["element"] for v in nodes)
    return Graph.from_edges(len(nodes), pairs, x=x, roles=roles, name=name or smiles,
                            labels=tuple(f"{el}{i}" for i, el in enumerate(roles)),
                            edge_attr=np.array(attr).reshape(-1, len(BOND_TYPES)),
                            meta={"smiles": smiles})


def bond_types(graph: Graph) -> list[str]:
    """``[E]`` the bond type name of each edge of a molecule graph (``"bond"`` without edge_attr)."""
    if graph.edge_attr is None or graph.edge_attr.shape[1] != len(BOND_TYPES):
        return ["bond"] * graph.n_edges
    return [BOND_TYPES[int(k)] for k in graph.edge_attr.argmax(1)]


def load_molecules(path: str | Path | None = None) -> tuple[list[Graph], np.ndarray]:
    """The shipped molecule set: graphs and labels ``[M]`` (1 = has an aromatic ring).

    Raises:
        InputFormatError: a missing column, a label other than 0/1, or an unreadable SMILES.
    """
    path = Path(path) if path is not None else MOLECULES_FILE
    try:
        rows = list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))
    except OSError as e:
        raise InputFormatError(f"expected a readable CSV file ({e.strerror})", path=str(path)) from e
    graphs, labels = [], []
    for line, row in enumerate(rows, start=2):
        if not {"name", "smiles", "aromatic"} <= set(row) or row["aromatic"] not in ("0", "1"):
            raise InputFormatError("expected columns name,smiles,aromatic with aromatic 0 or 1, "
                                   f"found {row}", path=str(path), line=line)
        graphs.append(molecule_graph(row["smiles"], row["name"]))
        labels.append(int(row["aromatic"]))
    return graphs, np.array(labels, dtype=np.int64)


def load_dataset(name: str, seed: int = 0) -> tuple[list[Graph], np.ndarray]:
    """A graph-classification set by name: ``"molecules"`` or ``"cycles_vs_paths"`` (40 graphs).

    Raises:
        ModelError: an unknown name.
    """
    if name == "molecules":
        return load_molecules()
    if name == "cycles_vs_paths":
        from explorer.nn.train import cycles_vs_paths

        graphs, labels = cycles_vs_paths(40, seed=seed)
        return [dataclasses.replace(g, roles=None) for g in graphs], labels
    raise ModelError(f"expected a data set in {DATASETS}, found {name!r}")


def concat_readout(states: np.ndarray) -> np.ndarray:
    """The order-dependent "readout": node states laid end to end in node order, ``[N * d]``.

    >>> concat_readout(np.array([[1., 2.], [3., 4.]])).tolist()
    [1.0, 2.0, 3.0, 4.0]
    """
    return np.asarray(states, dtype=np.float64).reshape(-1)


def relabel_demo(graph: Graph, perm: np.ndarray, *, readout: str = "sum", layer: str = "gin",
                 layers: int = 2, hidden: int = 8, seed: int = 0, features: str = "auto",
                 tol: float = 1e-5) -> dict[str, Any]:
    """Run the same model on ``graph`` and on its relabelled copy; compare readouts.

    Node k of the copy is node ``perm[k]`` of ``graph`` (see :func:`explorer.nn.permute_graph`).

    Returns:
        ``{"perm", "readout", "readout_permuted", "readout_error", "concat", "concat_permuted",
        "concat_error", "invariant", "states", "states_permuted"}``; ``concat_error`` is the
        largest entry change of the concatenation (usually far above ``tol``).
    """
    from explorer.nn.analysis import permutation_check

    if readout not in ("sum", "mean", "max", "attention"):
        raise ModelError(f"expected readout in ('sum', 'mean', 'max', 'attention'), found {readout!r}")
    res = permutation_check(graph, perm, layer=layer, seed=seed, features=features, readout=readout,
                            tol=tol, layers=layers, hidden=hidden)
    c0, c1 = concat_readout(res["output"]), concat_readout(res["output_permuted"])
    return {"perm": res["perm"], "readout": res["readout"], "readout_permuted": res["readout_permuted"],
            "readout_error": res["readout_max_error"], "invariant": res["invariant"],
            "concat": c0, "concat_permuted": c1,
            "concat_error": float(np.abs(c1 - c0).max()) if c0.size else 0.0,
            "states": res["output"], "states_permuted": res["output_permuted"]}


#: the GNNs compared on a pair of graphs: name -> (layer, readout, layer options)
PAIR_MODELS = {"GIN (sum)": ("gin", "sum", {}), "GraphSAGE-mean": ("sage", "mean", {"aggr": "mean"}),
               "GraphSAGE-max": ("sage", "max", {"aggr": "max"})}


def pair_embeddings(a: Graph, b: Graph, *, features: str = "constant", layers: int = 3, hidden: int = 8,
                    seed: int = 0, tol: float = 1e-5) -> list[dict[str, Any]]:
    """Graph embeddings of ``a`` and ``b`` from each model of :data:`PAIR_MODELS`, same weights.

    Both graphs get features of one width (one-hot degrees are padded to the wider of the two),
    so one seed gives one set of weights for both. Aggregation and readout match: sum/sum for
    GIN, mean/mean and max/max for GraphSAGE.

    Returns:
        ``[{"model", "layer", "readout", "a" [d], "b" [d], "difference", "distinct"}, ...]``
        where ``difference`` is the largest entry difference and ``distinct`` = difference > tol.
    """
    from explorer.nn.features import default_features
    from explorer.nn.run import run_stack

    xa, xb = default_features(a, features, seed)[0], default_features(b, features, seed)[0]
    w = max(xa.shape[1], xb.shape[1])
    ga = dataclasses.replace(a, x=np.pad(xa, ((0, 0), (0, w - xa.shape[1]))))
    gb = dataclasses.replace(b, x=np.pad(xb, ((0, 0), (0, w - xb.shape[1]))))
    out = []
    for name, (layer, ro, opts) in PAIR_MODELS.items():
        ea, eb = (run_stack(g, layer=layer, layers=layers, hidden=hidden, seed=seed, features="x",
                            readout=ro, record=False, **opts).result["readout"] for g in (ga, gb))
        diff = float(np.abs(ea - eb).max())
        out.append({"model": name, "layer": layer, "readout": ro, "a": ea, "b": eb, "difference": diff,
                    "distinct": diff > tol})
    return out
