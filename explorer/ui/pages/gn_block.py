"""Graph-network block: Battaglia's six sub-steps of a block with their numbers, and Gilmer's
MPNN (the edge network A(e_ij) and the GRU update) at one node."""

import streamlit as st

from explorer.nn.gn_steps import SUBSTEPS
from explorer.ui import cache, shell, sources
from explorer.ui.guard import attempt
from explorer.ui.state import View
from explorer.viz.gn_formulas import mpnn_latex, substep_latex
from explorer.viz.gn_view import fmt_row, gn_figure

INTRO = """
A **graph-network block** (Battaglia et al., 2018) is message passing with three kinds of
objects: edges with attributes **e**, nodes with attributes **v**, and one **global** attribute
**u** for the whole graph. A block runs six sub-steps. Three are *updates* φ, small neural
networks that compute new attributes; three are *aggregations* ρ, fixed order-free reductions
(sum, mean or max) that turn a set into one vector. Step through them below: the highlighted
objects are the ones the sub-step touches, and the formula on the right is filled in with the
numbers this very block computes.
"""
EXPLAIN = {
    "phi_e": "Every edge gets a new attribute from its old one, the states of the node it leaves "
             "and the node it enters, and the global state. One network φᵉ, shared by all edges.",
    "rho_ev": "Each node collects the new attributes of the edges arriving at it and reduces them "
              "to a single vector. The order of the edges cannot matter: this is the *aggregate*.",
    "phi_v": "Each node combines what it collected with its own state and the global state "
             "through the network φᵛ: its new state.",
    "rho_eu": "All updated edges of the graph are reduced to one vector, a summary of the edges "
              "for the global update.",
    "rho_vu": "All updated node states are reduced to one vector, a summary of the nodes.",
    "phi_u": "The global state is updated from the two summaries and its old value: one vector "
             "that describes the whole graph.",
}
SHORT = {"phi_e": "φᵉ edge update", "rho_ev": "ρᵉ→ᵛ edges → node", "phi_v": "φᵛ node update",
         "rho_eu": "ρᵉ→ᵘ edges → u", "rho_vu": "ρᵛ→ᵘ nodes → u", "phi_u": "φᵘ global update"}
SMALL = 40  # nodes: the drawing labels every node and edge feature

names = [n for n in sources.sample_names("graph") if cache.sample_graph(n).n_nodes <= SMALL]
view = View("gn", {"sample": "caffeine" if "caffeine" in names else names[0], "layers": 2, "hidden": 4,
                   "aggr": "sum", "seed": 0, "sub": "1:phi_e", "node": 0, "edge": 0, "mpnn_step": 1},
            choices={"sample": names, "aggr": ("sum", "mean", "max"), "layers": lambda k: 1 <= k <= 3,
                     "hidden": lambda h: 2 <= h <= 8, "node": lambda i: i >= 0, "edge": lambda e: e >= 0,
                     "mpnn_step": lambda t: t >= 1})
controls = shell.frame(view, "Graph-network block", INTRO)
titles = {s.name: s.title for s in cache.samples("graph")}
with controls:
    st.selectbox("Graph", names, key=view.key("sample"), format_func=lambda n: titles.get(n, n),
                 help=f"Samples with at most {SMALL} nodes. Caffeine has bond types as edge features.")
    st.slider("Blocks (MPNN: steps)", 1, 3, key=view.key("layers"))
    st.slider("Width of every attribute", 2, 8, key=view.key("hidden"))
    st.selectbox("Aggregation ρ", ("sum", "mean", "max"), key=view.key("aggr"))
    st.number_input("Seed (weights)", 0, 10_000, key=view.key("seed"))
graph = attempt("load the graph", cache.sample_graph, view["sample"])
gkey = f"sample:{view['sample']}"
nl, hidden, seed, aggr = int(view["layers"]), int(view["hidden"]), int(view["seed"]), view["aggr"]
data = attempt("run the graph-network blocks", cache.gn_layers, graph, gkey, nl, hidden, seed, "auto", aggr)
pos = attempt("lay out the graph", cache.layout, graph, gkey, "auto", 0)
if data["features_notice"]:
    st.caption(data["features_notice"])
if data["edge_source"] == "constant":
    st.info("This graph has no edge features, so every edge starts with the single feature 1. "
            "Choose *Caffeine* to see bond types as edge features.", icon=":material/info:")

options = [f"{k + 1}:{key}" for k in range(nl) for key, *_ in SUBSTEPS]
if view["sub"] not in options:
    view.set("sub", options[0])
labels = list(graph.display_labels)
if int(view["node"]) >= graph.n_nodes:
    view.set("node", 0)
with controls:
    st.selectbox("Node", range(graph.n_nodes), key=view.key("node"), format_func=lambda i: labels[i])
node = int(view["node"])
into = [int(k) for k in (graph.receivers == node).nonzero()[0]]
if into and int(view["edge"]) not in into:
    view.set("edge", into[0])
with controls:
    if into:
        st.selectbox("Edge into the node", into, key=view.key("edge"),
                     format_func=lambda k: f"{labels[graph.senders[k]]} → {labels[node]}")
edge = int(view["edge"]) if into else None



def _move(by: int) -> None:
    """Step the one sub-step setting (the slider shows the same value)."""
    view.set("sub", options[min(max(options.index(view["sub"]) + by, 0), len(options) - 1)])


prev_col, slider_col, next_col = st.columns([1, 8, 1], vertical_alignment="bottom")
prev_col.button("", key="gn.prev", icon=":material/chevron_left:", on_click=_move, args=(-1,),
                help="Previous sub-step", disabled=view["sub"] == options[0])
next_col.button("", key="gn.next", icon=":material/chevron_right:", on_click=_move, args=(1,),
                help="Next sub-step", disabled=view["sub"] == options[-1])
slider_col.select_slider("Sub-step", options, key=view.key("sub"),
                         format_func=lambda o: f"block {o.split(':')[0]} · {SHORT[o.split(':')[1]]}")
layer, key = int(view["sub"].split(":")[0]) - 1, view["sub"].split(":")[1]
steps = data["layers"][layer]
sub = next(s for s in steps if s["key"] == key)
node_in = data["x"] if layer == 0 else next(s for s in data["layers"][layer - 1] if s["key"] == "phi_v")["output"]
edge_in = data["edge_attr"] if layer == 0 else next(s for s in data["layers"][layer - 1] if s["key"] == "phi_e")["output"]
left, right = st.columns([1, 1])
fig = gn_figure(graph, pos, sub, node=node, edge=edge, edge_attr=edge_in, node_in=node_in,
                title=f"Block {layer + 1}, {SHORT[key]}")
left.plotly_chart(fig, key="gn.graph")
left.caption("Diamonds on the edges carry the edge attributes (hover for the numbers, both "
             "directions); the hexagon **u** is the global attribute, linked to every node.")
with right:
    n_idx = [k for k, *_ in SUBSTEPS].index(key)
    st.markdown(f"**Sub-step {n_idx + 1} of 6: {sub['name']}** (${sub['symbol']}$)")
    st.markdown(EXPLAIN[key])
    if key.startswith("phi"):
        st.caption("Each φ here is a two-layer MLP applied to its inputs laid end to end (‖).")
    for line in substep_latex(sub, graph, node=node, edge=edge):
        st.latex(line)
note = next((s.note for s in cache.samples("graph") if s.name == view["sample"]), "")
if note:
    with st.expander("About this graph and its features"):
        st.markdown(note)
with st.expander("Every value of this sub-step"):
    out = sub["output"]
    if sub["acts_on"] == "edges":
        rows = [{"edge": f"{labels[graph.senders[k]]} → {labels[graph.receivers[k]]}",
                 "e'": fmt_row(out[k], 8)} for k in range(graph.n_edges)]
    elif sub["acts_on"] == "nodes":
        rows = [{"node": labels[i], "value": fmt_row(out[i], 8)} for i in range(graph.n_nodes)]
    else:
        rows = [{"graph": graph.name or "graph", "value": fmt_row(out[0], 8)}]
    st.dataframe(rows, hide_index=True, key="gn.values")

st.subheader("Gilmer's MPNN: an edge network and a GRU")
st.markdown("The message-passing neural network of Gilmer et al. (2017) lets each edge decide "
            "*how* a neighbour's state is passed on: a small network turns the edge's features "
            "**e_ij** into a square matrix **A(e_ij)**, and the message is that matrix times the "
            "neighbour's state **h_j**. The messages are summed, and a gated recurrent unit (GRU) "
            "decides, entry by entry, how much of the old state to keep (gate **z**) and how much "
            "to replace by a candidate **n** built from the messages. Same graph, same node, same "
            "width; the MPNN has its own weights (seed above).")
if int(view["mpnn_step"]) > nl:
    view.set("mpnn_step", 1)
if nl > 1:
    st.select_slider("MPNN step", list(range(1, nl + 1)), key=view.key("mpnn_step"),
                     help="The MPNN runs as many steps as there are blocks; the GRU and A(e) are shared by all.")
t = int(view["mpnn_step"]) - 1
detail = attempt("run the MPNN", cache.mpnn_detail, graph, gkey, node, t, nl, hidden, seed, "auto")
a, b = st.columns([3, 2])
with a:
    for line in mpnn_latex(detail, graph, into.index(edge) if edge is not None else 0):
        st.latex(line)
with b:
    st.markdown(f"**Messages into {labels[node]}** (step {t + 1})")
    st.dataframe([{"from": labels[e["sender"]], "e_ij": fmt_row(e["edge_attr"]),
                   "A(e_ij) h_j": fmt_row(e["message"])} for e in detail["incoming"]],
                 hide_index=True, key="gn.mpnn_messages")
view.sync()
