"""A self-contained panel for any page that runs a GNN: the selected node's k-hop receptive field
on the graph and its computation tree beside it.

    receptive_panel(view, graph, node, layers)

draws one expander; its only widget (the number of hops, 0..layers) is keyed under the page's
prefix, so it never collides with the page's own settings. The numbers come from
:mod:`explorer.nn.receptive` through cached wrappers.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from explorer.graph import Graph
from explorer.nn.receptive import MAX_DEPTH
from explorer.ui import cache
from explorer.ui.guard import attempt

__all__ = ["receptive_panel", "is_open", "DRAW_LIMIT"]

DRAW_LIMIT = 400  #: trees with more nodes are summarised, not drawn


def _open_key(view: Any) -> str:
    return f"{view.page}.rf_open"


def is_open(view: Any) -> bool:
    """Whether the page's receptive-field expander is open (its content follows the node, so
    a page with it open reruns whole when the node changes; closed, only the player's panel)."""
    return bool(st.session_state.get(_open_key(view), False))


def receptive_panel(view: Any, graph: Graph, node: int, layers: int) -> None:
    """An expander with the receptive field of ``node`` after k <= ``layers`` rounds and its
    computation tree of depth k. Lazy: its content is computed and sent only while it is open
    (opening or closing it reruns the page); closed, a page run and a node change skip it."""
    with st.expander("Receptive field and computation tree", expanded=False, icon=":material/account_tree:",
                     key=_open_key(view), on_change="rerun") as box:
        if not box.open:
            return
        st.markdown("After k rounds a node can only know about nodes at most k edges away. Unroll the "
                    "rounds and you get its **computation tree**: the node on top, below it every "
                    "neighbour it reads, below each of those *their* neighbours, and so on. A node "
                    "shows up again whenever a walk returns to it, so the tree counts walks, not "
                    "nodes. Two nodes with the same tree get the same output from any GNN whose "
                    "aggregation is a sum, mean or max.")
        hops_max = min(max(int(layers), 1), MAX_DEPTH)
        key = f"{view.page}.rf_hops"
        if key not in st.session_state or int(st.session_state[key]) > hops_max:
            st.session_state[key] = hops_max
        k = int(st.slider("Rounds k", 0, hops_max, key=key))
        gkey = graph.content_hash()
        info = attempt("compute the receptive field", cache.receptive_info, graph, gkey, int(node), k,
                       DRAW_LIMIT)
        label = graph.display_labels[node]
        dist = info["dist"]
        left, right = st.columns(2)
        pos = attempt("compute the layout", cache.layout, graph, gkey, "auto", 0)
        left.plotly_chart(cache.field_figure(graph, gkey, pos, "auto/0", int(node), k, dist,
                                             f"{label} after {k} rounds: {info['field']} nodes"),
                          key=f"{view.page}.rf_graph")
        sizes = info["sizes"]
        with right:
            if info["tree"] is None:
                st.info(f"The tree has {sum(sizes)} nodes, too many to draw (limit {DRAW_LIMIT}); "
                        "choose fewer rounds.", icon=":material/account_tree:")
            else:
                st.plotly_chart(cache.tree_figure(info["tree"], gkey, int(node), k,
                                                  graph.display_labels, dist), key=f"{view.page}.rf_tree")
        st.dataframe([{"rounds k": d, "receptive field (nodes)": int(info["fields"][d]),
                       "tree level size (walks of length k)": int(sizes[d]),
                       "tree size up to k": int(sum(sizes[:d + 1]))} for d in range(k + 1)],
                     hide_index=True, key=f"{view.page}.rf_table")
