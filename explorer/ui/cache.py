"""Every Streamlit cache of the app, in one module (so a caching API change touches one file).

Rules:
- ``st.cache_data`` on thin wrappers whose arguments are hashable settings plus a short content
  key (``"sample:karate"``, ``"upload:<sha1>"``); the objects themselves are passed with an
  underscore prefix so Streamlit does not hash them.
- ``st.cache_resource`` only where a copy would be wrong or wasteful: torch modules, and the
  large Plotly figures, which are never mutated after they are built.
- Engines are looked up through their modules at call time (``nn.run_stack``), so a test can
  count the calls; a rerun that changes only the step or the selected node calls no engine.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from explorer.graph import Graph

__all__ = ["samples", "sample_graph", "upload_graph", "sample_model", "upload_model", "layout",
           "graph_figure", "clear"]

_DATA = dict(show_spinner=False, max_entries=64)


def clear() -> None:
    """Forget every cached value (tests; the app never needs it)."""
    st.cache_data.clear()
    st.cache_resource.clear()


# ---------------------------------------------------------------------- inputs
@st.cache_data(**_DATA)
def samples(kind: str | None = None) -> list:
    """The sample index entries of ``kind`` (see :func:`explorer.io.list_samples`)."""
    from explorer import io

    return io.list_samples(kind)


@st.cache_data(**_DATA)
def sample_graph(name: str) -> Graph:
    """A sample graph by name."""
    from explorer import io

    return io.load_graph(name)


@st.cache_data(show_spinner=False, max_entries=8)
def upload_graph(data: bytes, filename: str) -> Graph:
    """An uploaded graph file (format from the file name's extension)."""
    from explorer import io

    return io.read_graph_bytes(data, filename)


@st.cache_data(**_DATA)
def sample_model(name: str) -> Any:
    """A sample graphical model by name (a factor graph)."""
    from explorer import pgm

    return pgm.load_model(name)


@st.cache_data(**_DATA)
def builtin_model(name: str) -> Any:
    """The built-in model used when the sample index has none (``"ising4"``)."""
    from explorer import pgm

    return pgm.ising_grid(4, 4, coupling=0.8, field=1.0, noise=0.2, seed=0)[0]


@st.cache_data(show_spinner=False, max_entries=8)
def upload_model(data: bytes, filename: str) -> Any:
    """An uploaded graphical model (UAI, BIF, XMLBIF)."""
    from explorer import pgm

    return pgm.read_model_bytes(data, filename)


# ---------------------------------------------------------------------- layouts and figures
@st.cache_data(**_DATA)
def layout(_graph: Graph, key: str, method: str = "auto", seed: int = 0) -> np.ndarray:
    """Node positions ``[N, 2]`` for the graph named by ``key``; computed once per graph."""
    from explorer.viz import layout as viz_layout

    return viz_layout.compute_layout(_graph, method=method, seed=seed)


def layout_names() -> list[str]:
    """The layout methods the app offers ("auto" first)."""
    from explorer.viz.layout import LAYOUTS

    return list(LAYOUTS)


@st.cache_resource(show_spinner=False, max_entries=32)
def graph_figure(_graph: Graph, key: str, _pos: np.ndarray, pos_key: str,
                 selected: int | None = None, by_label: bool = True) -> Any:
    """The plain drawing of a graph (no run yet), coloured by the class ``y`` when it has one
    and ``by_label``. Read-only: shared between sessions."""
    from explorer.viz import graph_figure as build

    color = _graph.y if by_label and _graph.y is not None else None
    return build(_graph, _pos, selected=selected, color=color,
                 color_title="class y" if color is not None else None)


@st.cache_resource(show_spinner=False, max_entries=48)
def trace_figure(_trace: Any, tkey: str, _pos: np.ndarray, pkey: str, color_by: str,
                 selected: int | None, step: int, frame_ms: int = 700) -> Any:
    """The animated view of a run (one frame per step). Read-only: shared between sessions."""
    from explorer import viz

    return viz.trace_figure(_trace, _pos, color_by=color_by, selected=selected, step=step,
                            frame_ms=frame_ms)


def key(*parts: Any) -> str:
    """A cache key for a run: the source key and every parameter, joined."""
    return "|".join(str(p) for p in parts)


# ---------------------------------------------------------------------- engines
@st.cache_data(**_DATA)
def bp_trace(_fg: Any, source: str, mode: str, updates: str, damping: float, tol: float,
             max_iter: int, seed: int, evidence: tuple[tuple[int, int], ...]) -> Any:
    """A recorded belief-propagation run (see :func:`explorer.pgm.run_bp`)."""
    from explorer import pgm

    return pgm.run_bp(_fg, mode=mode, updates=updates, damping=damping, tol=tol,
                      max_iter=max_iter, seed=seed, evidence=dict(evidence))


@st.cache_data(**_DATA)
def exact(_fg: Any, source: str, evidence: tuple[tuple[int, int], ...]) -> dict:
    """Exact marginals, MAP and log Z by variable elimination."""
    from explorer import pgm

    return pgm.exact_inference(_fg, evidence=dict(evidence))


@st.cache_data(**_DATA)
def ve_trace(_fg: Any, source: str, evidence: tuple[tuple[int, int], ...], mode: str,
             query: str | None) -> Any:
    """A recorded variable-elimination run (one step per eliminated variable)."""
    from explorer import pgm

    return pgm.variable_elimination(_fg, evidence=dict(evidence), mode=mode, query=query)


@st.cache_data(**_DATA)
def gnn_trace(_graph: Graph, source: str, layer: str, layers: int, hidden: int, heads: int,
              seed: int, features: str, weights_key: str | None = None, _weights: Any = None,
              readout: str | None = None) -> Any:
    """A recorded neural message-passing stack (see :func:`explorer.nn.run_stack`)."""
    from explorer import nn

    return nn.run_stack(_graph, layer=layer, layers=layers, hidden=hidden, heads=heads, seed=seed,
                        features=features, weights=_weights, readout=readout)


@st.cache_data(**_DATA)
def wl_trace(_graph: Graph, source: str) -> Any:
    """1-WL colour refinement of one graph, recorded."""
    from explorer.nn import wl

    return wl.wl_refine(_graph)


@st.cache_data(**_DATA)
def wl_pair(_a: Graph, _b: Graph, source: str) -> tuple[list, bool]:
    """Joint 1-WL colours of two graphs per round, and whether 1-WL tells them apart."""
    from explorer.nn import wl

    return wl.wl_colors([_a, _b]), not wl.wl_equivalent(_a, _b)


@st.cache_data(show_spinner=False, max_entries=16)
def sweep(_graph: Graph, source: str, layer: str, depth: int, hidden: int, remedy: str,
          device: str, seed: int, _progress: Any = None) -> Any:
    """An over-smoothing depth sweep with the features of every layer kept."""
    from explorer import diagnostics

    return diagnostics.depth_sweep(_graph, layer=layer, depth=depth, hidden=hidden, remedy=remedy,
                                   device=device, seed=seed, progress=_progress,
                                   keep_features=True)


@st.cache_resource(show_spinner=False, max_entries=8)
def train(_graph: Graph, source: str, layer: str, layers: int, hidden: int, epochs: int,
          lr: float, seed: int, _progress: Any = None) -> Any:
    """A node classifier trained on the graph's labels ``y`` (holds a torch module: a resource)."""
    from explorer.nn import train as nn_train

    return nn_train.train_node_classifier(_graph, layer=layer, layers=layers, hidden=hidden,
                                          epochs=epochs, lr=lr, seed=seed, progress=_progress)


@st.cache_resource(show_spinner=False, max_entries=8)
def pyg_weights(data: bytes, filename: str) -> dict:
    """A PyG state dict read from an uploaded ``.pt`` file (torch tensors: a resource)."""
    from explorer import nn

    # bounded before torch reads it (size, zip directory), every tensor checked after
    return nn.load_pyg_state_dict(data, filename=filename)


@st.cache_data(**_DATA)
def chain_demo(n: int, k: int) -> dict:
    """The essay's chain with both costs counted (see :func:`explorer.pgm.chain_demo`)."""
    from explorer import pgm

    return pgm.chain_demo(n, k)


@st.cache_data(**_DATA)
def gcn_matrices(_graph: Graph, source: str, hidden: int, seed: int, features: str) -> dict:
    """R, X, Θ, b and X' of one GCN layer (see :mod:`explorer.ui.matrix_form`)."""
    from explorer.ui.matrix_form import gcn_matrices as compute

    return compute(_graph, hidden=hidden, seed=seed, features=features)


@st.cache_data(**_DATA)
def multiset_demo() -> list:
    """Neighbourhood multisets that sum separates and mean or max do not."""
    from explorer.nn import wl

    return wl.multiset_demo()


@st.cache_data(**_DATA)
def sweep_trace(_sweep: Any, key: str, _graph: Graph) -> Any:
    """A depth sweep as a Trace with one step per layer (see ``sweep_to_trace``)."""
    from explorer import diagnostics

    return diagnostics.sweep_to_trace(_sweep, _graph)


# ---------------------------------------------------------------------- features branch wrappers
@st.cache_data(**_DATA)
def operator_layer(_graph: Graph, source: str, kind: str, hidden: int, seed: int,
                   features: str) -> dict:
    """X' = R X Θ for one reference operator, matrix and message form
    (see :func:`explorer.nn.operators.operator_layer`)."""
    from explorer.nn import operators

    return operators.operator_layer(_graph, kind, hidden=hidden, seed=seed, features=features)


@st.cache_data(**_DATA)
def operator_patterns(_graph: Graph, source: str) -> list:
    """The sparsity check of every reference operator on one graph, one dict per operator."""
    from explorer.nn import operators

    return [{"kind": k, **operators.sparsity_check(_graph, operators.reference_operator(_graph, k))}
            for k in operators.OPERATORS]


@st.cache_data(show_spinner=False, max_entries=4)
def graph_dataset(name: str, seed: int = 0) -> tuple:
    """A graph-classification set, ``(graphs, labels)`` (see :func:`explorer.nn.readout.load_dataset`)."""
    from explorer.nn import readout

    return readout.load_dataset(name, seed)


@st.cache_data(**_DATA)
def relabel_demo(_graph: Graph, source: str, perm: tuple[int, ...], readout: str, layer: str,
                 layers: int, hidden: int, seed: int, features: str) -> dict:
    """A readout and a concatenation before and after relabelling the nodes."""
    import numpy as _np

    from explorer.nn import readout as nn_readout

    return nn_readout.relabel_demo(_graph, _np.array(perm, dtype=_np.int64), readout=readout, layer=layer,
                                   layers=layers, hidden=hidden, seed=seed, features=features)


@st.cache_data(**_DATA)
def receptive_info(_graph: Graph, key: str, node: int, k: int, draw_limit: int) -> dict:
    """Hop distances (within k), field sizes and tree level sizes per round, and the computation
    tree of depth k when it has at most ``draw_limit`` nodes (else None)."""
    from explorer.nn import receptive

    dist = receptive.hop_distances(_graph, node, k)
    sizes = [int(s) for s in receptive.tree_level_sizes(_graph, node, k)]
    fields = [int(((dist >= 0) & (dist <= d)).sum()) for d in range(k + 1)]
    tree = receptive.computation_tree(_graph, node, k) if sum(sizes) <= draw_limit else None
    return {"dist": dist, "sizes": sizes, "fields": fields, "field": fields[-1], "tree": tree}


@st.cache_data(**_DATA)
def pair_embeddings(_a: Graph, _b: Graph, key: str, features: str, seed: int) -> list:
    """GIN / mean / max GNN graph embeddings of two graphs (see
    :func:`explorer.nn.readout.pair_embeddings`)."""
    from explorer.nn import readout

    return readout.pair_embeddings(_a, _b, features=features, seed=seed)


# ---------------------------------------------------------------------- clique tree, MAP, chain
# (pgmviews: the Clique tree page, the MAP panel and the VE page's panels)
@st.cache_data(show_spinner=False, max_entries=16)
def clique_tree_run(_fg: Any, source: str, evidence: tuple[tuple[int, int], ...],
                    mode: str) -> dict:
    """The clique tree of a model (``tree``, a :class:`~explorer.pgm.cliques.CliqueTree`) and its
    recorded calibration (``trace``; see :func:`explorer.pgm.calibrate`)."""
    from explorer import pgm

    tree = pgm.clique_tree(_fg, evidence=dict(evidence))
    trace = pgm.calibrate(_fg, evidence=dict(evidence), mode=mode, record=True, tree=tree)
    return {"tree": tree, "trace": trace}


@st.cache_data(show_spinner=False, max_entries=16)
def ve_queries(_fg: Any, source: str, evidence: tuple[tuple[int, int], ...], mode: str,
               names: tuple[str, ...]) -> dict:
    """``{VAR: [p per state]}`` by one variable elimination per named variable (the cross-check
    of the clique tree), scaled to sum 1 (max-marginals too, in max mode)."""
    from explorer import pgm

    out = {}
    for name in names:
        t = pgm.variable_elimination(_fg, evidence=dict(evidence), mode=mode, query=name)
        table = np.asarray(t.result["query"]["table"], dtype=float)
        out[name] = (table / table.sum()).tolist()
    return out


@st.cache_data(show_spinner=False, max_entries=16)
def chain_costs(k: int, n_max: int) -> dict:
    """``k^n`` against ``n·k^2`` for n = 2..n_max, counted analytically (see
    :func:`explorer.pgm.chain.cost_series`)."""
    from explorer.pgm import chain

    return chain.cost_series(k, n_max)


@st.cache_data(show_spinner=False, max_entries=16)
def chain_two_pass(n: int, k: int, observe: int | None) -> dict:
    """The chain demo whose trace's backward pass observes ``Xn = observe`` (see
    :func:`explorer.pgm.chain_demo`)."""
    from explorer import pgm

    return pgm.chain_demo(n, k, observe=observe)


@st.cache_data(show_spinner=False, max_entries=8)
def tree_two_pass(evidence: tuple[tuple[int, int], ...]) -> dict:
    """The small tree-shaped Bayesian network (``model``) and its recorded clique-tree
    calibration (``trace``; see :func:`explorer.pgm.chain.tree_model`)."""
    from explorer import pgm
    from explorer.pgm import chain

    fg = chain.tree_model()
    return {"model": fg, "trace": pgm.calibrate(fg, evidence=dict(evidence), record=True)}


# ---------------------------------------------------------------------- graph-network block, aggregators
@st.cache_data(show_spinner=False, max_entries=16)
def gn_layers(_graph: Graph, source: str, layers: int, hidden: int, seed: int, features: str,
              aggr: str) -> dict:
    """The six sub-steps of every GN block (see :func:`explorer.nn.gn_steps.gn_layers`)."""
    from explorer.nn import gn_steps

    return gn_steps.gn_layers(_graph, layers=layers, hidden=hidden, seed=seed, features=features, aggr=aggr)


@st.cache_data(show_spinner=False, max_entries=32)
def mpnn_detail(_graph: Graph, source: str, node: int, step: int, steps: int, hidden: int, seed: int,
                features: str) -> dict:
    """One MPNN step at one node: A(e_ij), messages, GRU gates (see
    :func:`explorer.nn.gn_steps.mpnn_node_detail`)."""
    from explorer.nn import gn_steps

    return gn_steps.mpnn_node_detail(_graph, node, step=step, steps=steps, hidden=hidden, seed=seed,
                                     features=features)


@st.cache_data(show_spinner=False, max_entries=32)
def shuffle_check(_graph: Graph, source: str, node: int, layer: str, aggr: str, hidden: int, seed: int,
                  features: str, shuffle_seed: int) -> dict:
    """A node's aggregate before and after shuffling its neighbours (see
    :func:`explorer.nn.aggregation.shuffle_check`)."""
    from explorer.nn import aggregation

    return aggregation.shuffle_check(_graph, node, layer=layer, aggr=aggr, hidden=hidden, seed=seed,
                                     features=features, shuffle_seed=shuffle_seed)


@st.cache_data(show_spinner=False, max_entries=16)
def sampled_layers(_graph: Graph, source: str, fanout: int, seed: int, layers: int, hidden: int,
                   features: str) -> dict:
    """The edges each sampling GraphSAGE layer read (see :func:`explorer.nn.aggregation.sampled_layers`)."""
    from explorer.nn import aggregation

    return aggregation.sampled_layers(_graph, fanout=fanout, seed=seed, layers=layers, hidden=hidden,
                                      features=features)


@st.cache_data(show_spinner=False, max_entries=16)
def renumber_check(_graph: Graph, source: str, layer: str, aggr: str, hidden: int, seed: int,
                   features: str) -> dict:
    """One layer on the graph and on a renumbered copy (see :func:`explorer.nn.permutation_check`)."""
    from explorer import nn

    opts = {"aggr": aggr} if layer == "sage" else {}
    return nn.permutation_check(_graph, layer=layer, seed=seed, features=features, readout="sum",
                                layers=1, hidden=hidden, **opts)
