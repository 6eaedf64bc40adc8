"""Expressiveness: 1-WL colour refinement on a pair of graphs, the graph embeddings of GIN and of
mean/max GNNs beside it; sum against mean and max."""

import streamlit as st

from explorer.ui import cache, pairs, player, shell, sources, tables
from explorer.ui.guard import attempt
from explorer.ui.state import View

INTRO = """
How much of a graph's structure can message passing see? The **Weisfeiler–Leman test** (1-WL)
is message passing with colours: every node starts with the same colour, then repeatedly sends
its colour to its neighbours and takes a new colour for the pair (own colour, multiset of colours
received). When the colours stop splitting, compare the two graphs' colour counts. If they
differ, the graphs are certainly different; if they match, 1-WL — and every GNN whose
aggregation is no sharper than it, GIN being as sharp as it gets — cannot tell them apart.
Two triangles and one hexagon are the classic pair: every node has two neighbours in both.
"""

names = sources.sample_names("graph")
view = View("wl", {"a": "two_triangles", "b": "hexagon", "emb_features": "constant", "emb_seed": 0,
                   **player.DEFAULTS},
            choices={"a": names, "b": names, "emb_features": ["constant", "degree"]})
controls = shell.frame(view, "Expressiveness", INTRO, chart_first=True)
titles = {s.name: s.title for s in cache.samples("graph")}


@controls.later  # on the page's first run in a session, after the chart (shell.Controls)
def _settings() -> None:
    st.selectbox("Graph A", names, key=view.key("a"), format_func=titles.get)
    st.selectbox("Graph B", names, key=view.key("b"), format_func=titles.get,
                 help="Try decalin against bicyclopentyl: two molecules 1-WL confuses.")
    st.selectbox("GNN input features", ["constant", "degree"], key=view.key("emb_features"),
                 help="constant: every node starts equal, as in 1-WL; degree: one-hot degree.")
    st.number_input("Seed (GNN weights)", 0, 10_000, key=view.key("emb_seed"))
a = attempt("load graph A", cache.sample_graph, view["a"])
b = attempt("load graph B", cache.sample_graph, view["b"])
union = pairs.disjoint_union(a, b)
ukey = cache.key(view["a"], view["b"])
trace = attempt("refine the colours", cache.wl_trace, union, ukey)
_, tells_apart = attempt("compare the graphs", cache.wl_pair, a, b, ukey)

if tells_apart:
    st.success(f"1-WL **tells them apart**: after {len(trace.steps)} rounds the colour counts "
               "of A and B differ.", icon=":material/call_split:")
else:
    st.warning("1-WL **cannot tell them apart**: every round gives A and B the same colour "
               "counts, although the graphs are different. No sum/mean/max message-passing GNN "
               "can separate them either.", icon=":material/join:")

pos_a = attempt("lay out graph A", cache.layout, a, view["a"], "auto", 0)
pos_b = attempt("lay out graph B", cache.layout, b, view["b"], "auto", 0)
pos = pairs.side_by_side(pos_a, pos_b)


def colour_counts(step: int, node: int) -> None:
    st.markdown(f"**Colour counts after {trace.steps[step].label}** (A: left, B: right)")
    tables.table(pairs.histograms(trace.steps[step].states, a.n_nodes), noun="colours")


player.play(view, trace, cache.key("wl", ukey), pos, ukey, controls, name=f"wl-{ukey}",
            extra=colour_counts)

st.subheader("What GNNs see: graph embeddings of the same pair")
st.markdown("Three untrained GNNs (3 layers, width 8, the same weights for A and B) turn each "
            "graph into one vector: GIN sums its neighbours and sums the nodes; GraphSAGE-mean "
            "and GraphSAGE-max average or take the maximum at both stages. Where 1-WL cannot "
            "separate the pair, no embedding can; where it can, the sum usually does, while mean "
            "and max miss what can only be *counted* (with identical inputs they see nothing).")
embs = attempt("run the GNNs", cache.pair_embeddings, a, b, ukey, view["emb_features"],
               int(view["emb_seed"]))
tables.table([{"model": e["model"], "verdict": "different" if e["distinct"] else "same",
               "largest difference": f"{e['difference']:.3g}",
               "embedding of A": player.fmt_vec(e["a"], max_len=4),
               "embedding of B": player.fmt_vec(e["b"], max_len=4)} for e in embs],
             noun="models")
if not tells_apart and any(e["distinct"] for e in embs):
    st.error("A GNN separated a pair 1-WL cannot: please report this pair.", icon=":material/error:")

st.subheader("Why GIN sums")
st.markdown("A node's neighbours form a *multiset*. Below, a and b are one-hot colours and each "
            "row holds two neighbourhoods; the table says whether each aggregation gives them "
            "different results. Only the sum separates them all.")
demo = attempt("run the multiset demo", cache.multiset_demo)
tables.table([{"neighbourhood 1": "{" + ", ".join(c["left"]) + "}",
               "neighbourhood 2": "{" + ", ".join(c["right"]) + "}",
               **{agg: "different" if c[agg]["distinguishes"] else "same"
                  for agg in ("sum", "mean", "max")}} for c in demo], noun="pairs")
view.sync()
