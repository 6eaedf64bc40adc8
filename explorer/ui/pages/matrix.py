"""Matrix view: X' = R X Θ for every reference operator R, and the same numbers as messages."""

import numpy as np
import streamlit as st

from explorer.nn.operators import OPERATOR_LATEX, OPERATOR_NAMES, OPERATORS, operator_formula
from explorer.ui import cache, components, shell, sources, tables
from explorer.ui.guard import attempt
from explorer.ui.player import fmt_vec
from explorer.ui.state import View
from explorer.viz.notes import code_span
from explorer.viz.panels import picked_row

INTRO = """
A message-passing layer can also be written as matrix products. Stack the node feature vectors
as the rows of **X**; put in **R** (the *reference operator*) the weight each node gives each
node it hears from; let **Θ** be the learned weights. Then X′ = R X Θ gives every node's new
vector at once. R may be the plain adjacency A, A with self-loops, a degree-normalised version
(GCN's, or the random-walk average) or a Laplacian: what makes it a *reference operator* is
that it is zero wherever the graph has no edge (the diagonal aside). So row i of R is exactly
the list of messages node i adds up, and the two views are the same computation: the checks
below compare them number by number.
"""
PATTERN_LIMIT = 300  #: the table of every operator's pattern is built up to this many nodes

view = View("matrix", {"sample": "grid3x3", "operator": "sym_norm", "hidden": 3, "seed": 0,
                       "node": 0},
            choices={"sample": sources.sample_choice("graph"), "operator": OPERATORS,
                     "hidden": lambda h: 1 <= h <= 8})
controls = shell.frame(view, "Matrix view", INTRO, chart_first=True)
src = sources.pick(view, controls, kind="graph")
graph = src.obj
if graph.n_nodes > 60:
    st.info(f"This graph has {graph.n_nodes} nodes; the heatmaps are easiest to read below about "
            "60. Try grid3x3, karate or caffeine.", icon=":material/zoom_in:")
view.set("node", min(max(int(view["node"]), 0), graph.n_nodes - 1))


@controls.later  # on the page's first run in a session, after the chart (shell.Controls)
def _settings() -> None:
    st.selectbox("Reference operator R", OPERATORS, key=view.key("operator"),
                 format_func=OPERATOR_NAMES.get)
    st.slider("Output width H (columns of Θ)", 1, 8, key=view.key("hidden"))
    st.number_input("Seed (weights)", 0, 10_000, key=view.key("seed"))
    st.selectbox("Node", range(graph.n_nodes), key=view.key("node"),
                 format_func=lambda i: graph.display_labels[i])
view.sync()

kind, hidden, seed, node = view["operator"], int(view["hidden"]), int(view["seed"]), int(view["node"])
m = attempt("build the matrices", cache.operator_layer, graph, src.key, kind, hidden, seed, "auto")
labels = list(graph.display_labels)
st.latex(OPERATOR_LATEX[kind] + r",\qquad X' = R\,X\,\Theta")
fig = attempt("draw the heatmaps", cache.heatmaps_figure, m,
              cache.key(src.key, kind, hidden, seed, "auto"), labels, node)


def _pick_row() -> None:
    """A click on a row of R selects that node (the graph and the message form follow)."""
    row = picked_row(st.session_state.get("matrix.heatmaps"))
    if row is not None and 0 <= row < graph.n_nodes:
        view.set("node", row)


# the page's first chart: a static preview of the heatmaps paints before plotly.js is ready
components.figure(fig, key="matrix.heatmaps", on_select=_pick_row, preview=True)
controls.chart_out()  # the controls, when they waited for the chart
st.caption("Click a row of R to pick its node: the graph below rings it and highlights the edges "
           "of that row's non-zeros (the messages the node adds up).")
if m["notice"]:
    st.caption(m["notice"])

msg = m["messages"]
diff = float(np.abs(msg["aggregates"] - m["Xp"]).max()) if m["Xp"].size else 0.0
st.subheader(f"Node {labels[node]}: matrix row against messages")
pic, form = st.columns([1, 1], gap="medium")
with pic:  # row i of R is non-zero exactly on i's incoming edges (and the diagonal)
    pos = attempt("compute the layout", cache.layout, graph, src.key, "auto", 0)
    gfig = attempt("draw the graph", cache.graph_figure, graph, src.key, pos, "auto/0", node, False)
    components.figure(gfig, key="matrix.graph", preview=True)
with form:
    st.markdown("Row of R (the weight of each message this node adds up):")
    # inline code, not st.code: its syntax highlighter is a 1.5 MB chunk that loaded and
    # compiled while the heatmaps above waited to mount
    st.markdown(code_span(operator_formula(m["R"], node, labels)))
    st.markdown(f"**Matrix form** (R X Θ)[{labels[node]}]  \n`{fmt_vec(m['Xp'][node])}`")
    st.markdown(f"**Message form** (sum of the messages below)  \n"
                f"`{fmt_vec(msg['aggregates'][node])}`")
if diff < 1e-9:
    st.success(f"The two agree for every node: largest difference {diff:.1e} (float64 "
               "rounding).", icon=":material/check_circle:")
else:
    st.error(f"The two differ by up to {diff:.3g}; please report this graph.",
             icon=":material/error:")
into = np.flatnonzero(graph.receivers == node)
HX = m["X"] @ m["Theta"]
rows = [{"from": labels[node] + " (itself)", "weight r": round(float(msg["self_coef"][node]), 4),
         "message r·Θᵀx": fmt_vec(msg["self_coef"][node] * HX[node])}
        for _ in range(int(msg["self_coef"][node] != 0))]
rows += [{"from": labels[graph.senders[e]], "weight r": round(float(msg["coef"][e]), 4),
          "message r·Θᵀx": fmt_vec(msg["messages"][e])} for e in into]
tables.table(rows, noun="messages")
st.caption("Each edge j → i carries r·(Θᵀx_j) with the weight r counted from the edge list and "
           "the degrees, never read from R; the self term is the diagonal of R.")

if kind == "sym_norm":
    trace = attempt("run the GCN layer as messages", cache.gnn_trace, graph, src.key, "gcn", 1,
                    hidden, 1, seed, "auto", None)
    gcn = np.asarray(trace.steps[0].states, dtype=float)
    gdiff = float(np.abs(gcn - (m["Xp"] + m["bias"])).max()) if gcn.size else 0.0
    text = (f"With GCN's operator, R X Θ + b is PyG's GCNConv layer: the recorded GCN run "
            f"differs from it by at most {gdiff:.1e} (float32).")
    if gdiff < 1e-5:
        st.success(text, icon=":material/check_circle:")
    else:
        st.error(text, icon=":material/error:")

st.subheader("Every operator has the graph's sparsity pattern")
if graph.n_nodes <= PATTERN_LIMIT:
    pats = attempt("check the patterns", cache.operator_patterns, graph, src.key)
    tables.table([{"operator": OPERATOR_NAMES[p["kind"]],
                   "edge cells non-zero": f"{p['edges'] - p['missing']} of {p['edges']}",
                   "non-zero outside A": p["outside"], "non-zero diagonal": p["diagonal"],
                   "pattern": ("A + diagonal" if p["diagonal"] else "A") if p["ok"] else "other"}
                  for p in pats], noun="operators")
    st.caption("An edge cell can be zero only when a weight vanishes, e.g. the normalised "
               "Laplacian of a directed graph for a sender nobody points at (degree 0).")
else:
    st.caption(f"The table of every operator is shown up to {PATTERN_LIMIT} nodes.")
