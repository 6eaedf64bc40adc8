"""Expressiveness: 1-WL colour refinement on a pair of graphs; sum against mean and max."""

import streamlit as st

from explorer.ui import cache, pairs, player, shell, sources
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
view = View("wl", {"a": "two_triangles", "b": "hexagon", **player.DEFAULTS},
            choices={"a": names, "b": names})
controls = shell.frame(view, "Expressiveness", INTRO)
titles = {s.name: s.title for s in cache.samples("graph")}
with controls:
    st.selectbox("Graph A", names, key=view.key("a"), format_func=titles.get)
    st.selectbox("Graph B", names, key=view.key("b"), format_func=titles.get,
                 help="Try decalin against bicyclopentyl: two molecules 1-WL confuses.")
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
    st.dataframe(pairs.histograms(trace.steps[step].states, a.n_nodes), hide_index=True)


player.play(view, trace, cache.key("wl", ukey), pos, ukey, controls, name=f"wl-{ukey}",
            extra=colour_counts)

st.subheader("Why GIN sums")
st.markdown("A node's neighbours form a *multiset*. Below, a and b are one-hot colours and each "
            "row holds two neighbourhoods; the table says whether each aggregation gives them "
            "different results. Only the sum separates them all.")
demo = attempt("run the multiset demo", cache.multiset_demo)
st.dataframe([{"neighbourhood 1": "{" + ", ".join(c["left"]) + "}",
               "neighbourhood 2": "{" + ", ".join(c["right"]) + "}",
               **{agg: "different" if c[agg]["distinguishes"] else "same"
                  for agg in ("sum", "mean", "max")}} for c in demo], hide_index=True)
view.sync()
