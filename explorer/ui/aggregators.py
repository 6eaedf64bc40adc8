"""The two sections of the "Aggregators & sampling" page: the neighbour-shuffle check of an
aggregation at one node, and GraphSAGE's seeded neighbour sampling per layer.

Each section draws its own widgets (bound to the page's :class:`~explorer.ui.state.View` by key),
calls the cached engines in :mod:`explorer.ui.cache` and shows their numbers unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from explorer.graph import Graph
from explorer.nn.aggregation import AGGREGATORS
from explorer.ui import cache, components, shell, tables
from explorer.ui.guard import attempt
from explorer.ui.state import View
from explorer.viz.gn_view import fmt_row, sampling_figure

__all__ = ["DEFAULTS", "CHOICES", "shuffle_section", "sampling_section"]

#: the settings both sections read (merged into the page's View)
DEFAULTS: dict[str, Any] = {"layer": "sage", "aggr": "mean", "features": "random", "node": 0, "shuffle": 1, "fanout": 3,
                            "sample_seed": 0, "sample_layer": 1}
FEATURES = ("random", "degree", "auto")
CHOICES: dict[str, Any] = {"layer": tuple(AGGREGATORS), "aggr": ("mean", "max", "sum"), "features": FEATURES,
                           "node": lambda i: i >= 0, "shuffle": lambda s: s >= 1,
                           "fanout": lambda f: 1 <= f <= 10, "sample_seed": lambda s: s >= 0,
                           "sample_layer": (1, 2)}
HIDDEN = 4


def _bump(view: View, name: str) -> None:
    view.set(name, int(view[name]) + 1)


def shuffle_section(view: View, graph: Graph, gkey: str, controls: Any) -> dict:
    """Aggregation choice and the shuffle check at the selected node; returns the check's dict."""
    labels = list(graph.display_labels)
    shell.draw_in(controls, lambda: st.selectbox("Layer", tuple(AGGREGATORS), key=view.key("layer"),
                                                 format_func={"sage": "GraphSAGE", "gin": "GIN"}.get))
    allowed = AGGREGATORS[view["layer"]]
    if view["aggr"] not in allowed:
        view.set("aggr", allowed[0])
    if int(view["node"]) >= graph.n_nodes:
        view.set("node", 0)

    def settings() -> None:
        st.selectbox("Aggregation", allowed, key=view.key("aggr"),
                     help="GraphSAGE offers mean, max and sum; GIN always sums (the injective choice).")
        st.selectbox("Node", range(graph.n_nodes), key=view.key("node"), format_func=lambda i: labels[i])
        st.selectbox("Node features", FEATURES, key=view.key("features"),
                     format_func={"random": "random (seeded, 16 numbers)", "degree": "one-hot degree",
                                  "auto": "the graph's own (else one-hot degree)"}.get)

    shell.draw_in(controls, settings)
    node, layer, aggr, feats = int(view["node"]), view["layer"], view["aggr"], view["features"]
    st.button("Shuffle the neighbours", key="aggr.shuffle_btn", icon=":material/shuffle:",
              on_click=_bump, args=(view, "shuffle"),
              help="List the edges into this node in a new random order and run the same layer again.")
    res = attempt("run the layer twice", cache.shuffle_check, graph, gkey, node, layer, aggr, HIDDEN,
                  0, feats, int(view["shuffle"]))
    before, after = res["before"], res["after"]
    k = len(before["senders"])
    st.markdown(f"Node **{labels[node]}** receives {k} message{'s' if k != 1 else ''}. Each message is "
                f"the neighbour's feature vector; the layer's **{aggr}** reduces them to one vector.")
    rows = [{"position": p + 1, "neighbour (as listed)": labels[before["senders"][p]],
             "message": fmt_row(before["messages"][p], 4),
             "neighbour (shuffled)": labels[after["senders"][p]],
             "message (shuffled)": fmt_row(after["messages"][p], 4)} for p in range(k)]
    tables.table(rows, noun="messages")  # plain HTML tables: painted at once
    tables.table([
        {"quantity": f"{aggr} of the messages", "largest change": f"{res['aggregate_error']:.1e}",
         "as listed": fmt_row(before["aggregate"], 4), "shuffled": fmt_row(after["aggregate"], 4)},
        {"quantity": f"new state of node {labels[node]}", "largest change": f"{res['state_error']:.1e}",
         "as listed": fmt_row(before["state"], 4), "shuffled": fmt_row(after["state"], 4)},
        {"quantity": "messages laid end to end (order-dependent)", "largest change": f"{res['concat_error']:.3g}",
         "as listed": fmt_row(before["messages"].reshape(-1), 4),
         "shuffled": fmt_row(after["messages"].reshape(-1), 4)},
    ], noun="quantities")
    st.caption("A change below about 1e-5 is float32 rounding (the additions ran in another order), "
               "not a different answer.")
    whole = attempt("renumber the whole graph", cache.renumber_check, graph, gkey, layer, aggr, HIDDEN, 0, feats)
    st.markdown(f"**The whole graph renumbered** (a random permutation of all {graph.n_nodes} nodes, "
                f"same weights): every node's new state moves with its node (largest difference "
                f"{whole['node_max_error']:.1e}), and the graph's sum readout changes by "
                f"{whole['readout_max_error']:.1e}.")
    if k < 2:
        st.info("With fewer than two neighbours there is nothing to shuffle: pick a node with more.",
                icon=":material/info:")
    elif res["concat_error"] == 0:
        st.info("All neighbours of this node carry the same features, so even the order-dependent "
                "concatenation looks unchanged; pick another node.", icon=":material/info:")
    return res


def sampling_section(view: View, graph: Graph, gkey: str, pos: np.ndarray, controls: Any) -> dict:
    """GraphSAGE neighbour sampling: fan-out, seed, per-layer drawing; returns the sample's dict."""
    def settings() -> None:
        st.slider("Fan-out (edges read per node and layer)", 1, 10, key=view.key("fanout"))
        st.number_input("Sampling seed", 0, 1_000_000, key=view.key("sample_seed"))

    shell.draw_in(controls, settings)
    fanout, seed = int(view["fanout"]), int(view["sample_seed"])

    def choices() -> None:
        st.button("Re-sample", key="aggr.resample", icon=":material/casino:", on_click=_bump,
                  args=(view, "sample_seed"), help="Draw a new sample (the seed goes up by one).")
        st.radio("Layer", (1, 2), key=view.key("sample_layer"), horizontal=True,
                 format_func=lambda k: f"layer {k} (seed {seed + k - 1})")

    # above the chart; on a page's first run drawn after it (their values live in the View)
    shell.draw_in(controls, choices, where=st.container())
    res = attempt("sample the neighbourhoods", cache.sampled_layers, graph, gkey, fanout, seed, 2, HIDDEN,
                  view["features"])
    k = int(view["sample_layer"]) - 1
    kept = res["kept"][k]
    node = int(view["node"]) if int(view["node"]) < graph.n_nodes else 0
    labels = list(graph.display_labels)
    indeg = res["in_degree"]
    reads = np.bincount(graph.receivers[kept], minlength=graph.n_nodes)
    left, right = st.columns([3, 1])
    with left:  # the figure component (a preview first, the app's plotly.js), not st.plotly_chart
        components.figure(sampling_figure(graph, pos, kept, node=node,
                                          title=f"Layer {k + 1}: {kept.size} of {graph.n_edges} directed edges read"),
                          key="aggr.sampling", preview=True)
    shell.chart_out(controls)  # the page's controls, when they waited for the chart
    right.metric("Edges read", f"{kept.size} / {graph.n_edges}")
    right.metric("Largest in-degree", int(indeg.max()) if indeg.size else 0)
    right.metric(f"{labels[node]} reads", f"{int(reads[node])} of {int(indeg[node])}")
    right.caption(f"Every node reads at most {fanout} incoming edges in each layer; a node with "
                  f"{fanout} or fewer reads them all. Each layer draws its own sample, so the "
                  "layers read different edges.")
    return res
