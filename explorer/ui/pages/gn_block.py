"""Graph-network block: Battaglia's six sub-steps of every block, each a step of the standard
player with its numbers; the edge features and the global node drawn; Gilmer's MPNN (the edge
network A(e_ij) and the GRU update) at one node."""

import streamlit as st

from explorer.nn.gn_trace import trace_from_layers
from explorer.ui import cache, player, shell, sources
from explorer.ui.guard import attempt
from explorer.ui.state import View
from explorer.viz.gn_formulas import mpnn_latex
from explorer.viz.gn_view import fmt_row, gn_figure

INTRO = """
A **graph-network block** (Battaglia et al., 2018) is message passing with three kinds of
objects: edges with attributes **e**, nodes with attributes **v**, and one **global** attribute
**u** for the whole graph. A block runs six sub-steps. Three are *updates* φ, small neural
networks that compute new attributes; three are *aggregations* ρ, fixed order-free reductions
(sum, mean or max) that turn a set into one vector. Step through them with the player: each
sub-step is one step, the edges carry their new attributes as markers (hover for the vectors),
the node colours follow the node states, and the formula beside the graph is filled in with the
numbers this very block computes (click a node to see its own).
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
SMALL = 40  # nodes: the drawing labels every node and edge feature

names = [n for n in sources.sample_names("graph") if cache.sample_graph(n).n_nodes <= SMALL]
view = View("gn", {"sample": "caffeine" if "caffeine" in names else names[0], "layers": 2, "hidden": 4,
                   "aggr": "sum", "seed": 0, "edge": 0, "mpnn_step": 1, **player.DEFAULTS},
            choices={"sample": names, "aggr": ("sum", "mean", "max"), "layers": lambda k: 1 <= k <= 3,
                     "hidden": lambda h: 2 <= h <= 8, "edge": lambda e: e >= 0,
                     "mpnn_step": lambda t: t >= 1})
controls = shell.frame(view, "Graph-network block", INTRO, chart_first=True)
titles = {s.name: s.title for s in cache.samples("graph")}


@controls.later  # on the page's first run in a session, after the chart (shell.Controls)
def _settings() -> None:
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
trace = trace_from_layers(graph, data, {"layer": "gn", "layers": nl, "hidden": hidden, "seed": seed,
                                        "features": "auto", "aggr": aggr, "layer_opts": {"aggr": aggr}})
pos = attempt("lay out the graph", cache.layout, graph, gkey, "auto", 0)


def _notices() -> None:
    """What the run assumed, above the chart (after it on the page's first run)."""
    if data["features_notice"]:
        st.caption(data["features_notice"])
    if data["edge_source"] == "constant":
        st.info("This graph has no edge features, so every edge starts with the single feature 1. "
                "Choose *Caffeine* to see bond types as edge features.", icon=":material/info:")


controls.later(_notices, where=st.container())
labels = list(graph.display_labels)


def substep_panel(step: int, node: int) -> None:
    """Below the formula in the player's panel: what the sub-step does and the global vector."""
    ex = trace.steps[step].extras
    st.markdown(EXPLAIN[ex["gn"]])
    rows = [("u (read by this block)", ex["u"]), ("ē′ = ρᵉ→ᵘ(E′)", ex.get("ebar_u")),
            ("v̄′ = ρᵛ→ᵘ(V′)", ex.get("vbar_u")), ("u′ = φᵘ(ē′, v̄′, u)", ex.get("u_new"))]
    st.markdown("**The global vector**  \n" + "  \n".join(  # lines that wrap in a narrow panel
        f"{name}: `{fmt_row(v[0], 8)}`" for name, v in rows if v is not None))


player.play(view, trace, cache.key(gkey, "gn-block", nl, hidden, seed, aggr), pos, gkey, controls,
            name=f"{view['sample']}-gn", extra=substep_panel)

st.subheader("The block's objects: edge features and the global node")
left, right = st.columns([3, 2])
left.plotly_chart(gn_figure(graph, pos, None, node=int(view["node"]), edge=None, edge_attr=data["edge_attr"],
                            node_in=data["x"], u=data["u0"][0], title="What block 1 reads"), key="gn.graph")
with right:
    st.markdown("Each diamond is an edge's feature vector **e** (colour = its value; hover for the "
                "numbers, both directions). The hexagon **u** is the global attribute of the whole "
                "graph, linked to every node: it starts as the zero vector of width 1 and each "
                "block's φᵘ replaces it.")
    note = next((s.note for s in cache.samples("graph") if s.name == view["sample"]), "")
    if note:
        with st.expander("About this graph and its features"):
            st.markdown(note)

st.subheader("Gilmer's MPNN: an edge network and a GRU")
st.markdown("The message-passing neural network of Gilmer et al. (2017) lets each edge decide "
            "*how* a neighbour's state is passed on: a small network turns the edge's features "
            "**e_ij** into a square matrix **A(e_ij)**, and the message is that matrix times the "
            "neighbour's state **h_j**. The messages are summed, and a gated recurrent unit (GRU) "
            "decides, entry by entry, how much of the old state to keep (gate **z**) and how much "
            "to replace by a candidate **n** built from the messages. Same graph, same node, same "
            "width; the MPNN has its own weights (seed above).")
node = min(int(view["node"]), graph.n_nodes - 1)
into = [int(k) for k in (graph.receivers == node).nonzero()[0]]
if into and int(view["edge"]) not in into:
    view.set("edge", into[0])
if int(view["mpnn_step"]) > nl:
    view.set("mpnn_step", 1)
if nl > 1:
    st.select_slider("MPNN step", list(range(1, nl + 1)), key=view.key("mpnn_step"),
                     help="The MPNN runs as many steps as there are blocks; the GRU and A(e) are shared by all.")
if into:
    st.selectbox("Edge into the node", into, key=view.key("edge"),
                 format_func=lambda k: f"{labels[graph.senders[k]]} → {labels[node]}",
                 help="The edge whose matrix A(e_ij) is written out (the node is the player's).")
edge = int(view["edge"]) if into else None
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
