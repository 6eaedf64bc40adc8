"""Matrix view: one GCN layer as X' = R X Θ + b, and the same numbers as messages."""

import numpy as np
import streamlit as st

from explorer import viz
from explorer.nn.operators import operator_formula
from explorer.ui import cache, shell, sources
from explorer.ui.guard import attempt
from explorer.ui.player import fmt_vec
from explorer.ui.state import View

INTRO = """
A message-passing layer can also be written as matrix products. Stack the node feature vectors
as the rows of **X**; put in **R** (the *reference operator*) the weight each node gives each
neighbour — for GCN, 1/√(dᵢ dⱼ) over the graph with a self-loop added to every node; let **Θ**
be the learned weights. Then X′ = R X Θ (+ a bias) gives every node's new vector at once. Row i
of R is exactly the list of messages node i adds up, so the two views are the same computation:
the check below compares them number by number.
"""

view = View("matrix", {"sample": "grid3x3", "hidden": 3, "seed": 0, "node": 0},
            choices={"sample": sources.sample_choice("graph"), "hidden": lambda h: 1 <= h <= 8})
controls = shell.frame(view, "Matrix view", INTRO)
src = sources.pick(view, controls, kind="graph")
graph = src.obj
if graph.n_nodes > 60:
    st.info(f"This graph has {graph.n_nodes} nodes; the heatmaps are easiest to read below about "
            "60. Try grid3x3, karate or caffeine.", icon=":material/zoom_in:")
with controls:
    st.slider("Output width H (columns of Θ)", 1, 8, key=view.key("hidden"))
    st.number_input("Seed (weights)", 0, 10_000, key=view.key("seed"))
    view.set("node", min(max(int(view["node"]), 0), graph.n_nodes - 1))
    st.selectbox("Node", range(graph.n_nodes), key=view.key("node"),
                 format_func=lambda i: graph.display_labels[i])
view.sync()

hidden, seed, node = int(view["hidden"]), int(view["seed"]), int(view["node"])
m = attempt("build the matrices", cache.gcn_matrices, graph, src.key, hidden, seed, "auto")
labels = list(graph.display_labels)
fig = attempt("draw the heatmaps", viz.heatmaps_figure, m["R"], m["X"], m["Theta"], m["Xp"],
              node_labels=labels, selected=node)
st.plotly_chart(fig, key="matrix.heatmaps")
if m["notice"]:
    st.caption(m["notice"])

trace = attempt("run the GCN layer as messages", cache.gnn_trace, graph, src.key, "gcn", 1, hidden,
                1, seed, "auto", None)
message_form = np.asarray(trace.steps[0].states, dtype=float)
diff = float(np.abs(message_form - m["Xp"]).max())
st.subheader(f"Node {labels[node]}: matrix row against messages")
st.markdown("Row of R (the weights of the messages this node adds up):")
st.code(operator_formula(m["R"], node, labels), language=None)
left, right = st.columns(2)
left.markdown(f"**Matrix form** (R X Θ + b)[{labels[node]}]  \n`{fmt_vec(m['Xp'][node])}`")
right.markdown(f"**Message form** (recorded run)  \n`{fmt_vec(message_form[node])}`")
if diff < 1e-5:
    st.success(f"The two agree for every node: largest difference {diff:.1e} (float32 "
               "rounding).", icon=":material/check_circle:")
else:
    st.error(f"The two differ by up to {diff:.3g}; please report this graph.",
             icon=":material/error:")
