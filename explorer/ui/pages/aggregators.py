"""Aggregators and sampling: sum, mean or max and the neighbour-shuffle check at one node;
GraphSAGE's seeded neighbour sampling with a fan-out, layer by layer."""

import streamlit as st

from explorer.ui import aggregators, cache, shell, sources
from explorer.ui.guard import attempt
from explorer.ui.state import View

INTRO = """
A node's neighbours form a **set**: there is no first or last neighbour. So the step that
combines their messages must give the same answer in every order. Sum, mean and element-wise
max all do; laying the messages end to end does not. Below, the edges into a node are listed
in a new random order and the same layer runs again: compare the numbers.

On a large graph a node may have thousands of neighbours. **GraphSAGE** reads only a random
few: at most a *fan-out* of incoming edges per node in each layer, drawn anew for every layer
from a seed (same seed, same sample).
"""
SMALL = 60  # nodes: drawn with labels and arrows

names = [n for n in sources.sample_names("graph") if cache.sample_graph(n).n_nodes <= SMALL]
view = View("aggr", {"sample": "karate" if "karate" in names else names[0], **aggregators.DEFAULTS},
            choices={"sample": names, **aggregators.CHOICES})
controls = shell.frame(view, "Aggregators & sampling", INTRO, chart_first=True)
titles = {s.name: s.title for s in cache.samples("graph")}
controls.later(lambda: st.selectbox("Graph", names, key=view.key("sample"),
                                    format_func=lambda n: titles.get(n, n)))  # after the chart
graph = attempt("load the graph", cache.sample_graph, view["sample"])
gkey = f"sample:{view['sample']}"

st.subheader("Sum, mean or max: the order of the neighbours does not matter")
# the shuffle check (two layer runs, two tables) stands above the sampling chart; on a page's
# first run it is drawn after that chart, its settings still in their place in the sidebar
controls.later(lambda: aggregators.shuffle_section(view, graph, gkey, controls),
               where=st.container())

st.subheader("GraphSAGE neighbour sampling")
pos = attempt("lay out the graph", cache.layout, graph, gkey, "auto", 0)
aggregators.sampling_section(view, graph, gkey, pos, controls)
view.sync()
