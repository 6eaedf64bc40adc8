"""Graphs: pick a sample or upload a file; see it drawn, its size, degrees and warnings.

Above the drawing budget (:mod:`explorer.viz.sample_view`) the page draws a connected sample —
the highlighted node's neighbourhood, or that of the nodes of highest degree — and says so;
the sizes, degrees and node table are always of the whole graph.
"""

import streamlit as st

from explorer.ui import cache, components, graph_info, shell, sources, tables, theme
from explorer.ui.guard import attempt
from explorer.ui.state import View
from explorer.viz.sample_view import draw_sample

INTRO = """
Every algorithm in this explorer runs on a **graph**: nodes that hold a state, joined by edges
that carry messages. Pick one of the samples or upload your own file, and check what the
explorer read from it before you run anything on it: how many nodes and edges, whether the
edges have a direction, which nodes have many neighbours, and which features came along.
Hover a node to see its id, label and features.
"""

view = View("graphs", {"sample": "karate", "layout": "auto", "seed": 0, "node": -1},
            choices={"sample": sources.sample_choice("graph"), "layout": cache.layout_names()})
controls = shell.frame(view, "Graphs", INTRO, chart_first=True)
theme.apply()
src = sources.pick(view, controls, kind="graph",
                   extensions="GraphML, GML, node-link JSON, edge list (.edgelist/.edges/.txt), "
                              "adjacency matrix CSV")
graph = src.obj
if view["node"] >= graph.n_nodes:
    view.set("node", -1)


@controls.later  # on the page's first run in a session, after the chart (shell.Controls)
def _settings() -> None:
    st.selectbox("Layout", cache.layout_names(), key=view.key("layout"),
                 help="'auto' uses the file's positions when it has them, else the sample's "
                      "suggestion, else a spring layout.")
    st.number_input("Layout seed", 0, 10_000, key=view.key("seed"), step=1)
    st.selectbox("Highlight node", [-1, *range(graph.n_nodes)], key=view.key("node"),
                 format_func=lambda i: "none" if i < 0 else graph.display_labels[i],
                 help="Ring a node and highlight the edges whose messages arrive at it.")
view.sync()


def _summary() -> None:
    if src.note:
        st.info(src.note, icon=":material/school:")
    graph_info.summary_panel(graph)


# the sample's note and the size metrics stand above the chart; on a page's first run they are
# drawn after it (five metrics in columns rendered ahead of the chart's element)
controls.later(_summary, where=st.container())

method = view["layout"]
if method == "auto" and not src.is_upload and graph.pos is None:
    method = next((s.layout for s in cache.samples("graph") if s.name == src.name), None) or "auto"
selected = view["node"] if view["node"] >= 0 else None
drawn = attempt("pick what to draw", draw_sample, graph, selected, seed=int(view["seed"]))
dkey = src.key if not drawn.sampled else cache.key(src.key, "sample", selected, view["seed"])
if drawn.sampled:
    st.info(drawn.note, icon=":material/filter_center_focus:")
pos = attempt("compute the layout", cache.layout, drawn.graph, dkey, method, view["seed"])
fig = attempt("draw the graph", cache.graph_figure, drawn.graph, dkey, pos,
              f"{method}/{view['seed']}", drawn.local(selected))
# the page's first chart: a static preview paints before plotly.js is ready (no Streamlit Plotly)
components.figure(fig, key="graphs.chart", config={"displaylogo": False}, preview=True)
controls.chart_out()  # the controls, when they waited for the chart

left, right = st.columns([1, 2])
with left:
    components.figure(cache.degree_figure(graph, src.key), key="graphs.degrees")
with right:
    # a plain HTML table: a data grid here loaded ~1.2 MB of chunks and held back the chart above
    st.markdown("**Nodes**" + (f" (the first {tables.CAP:,} of {graph.n_nodes:,})"
                               if graph.n_nodes > tables.CAP else ""))
    tables.table(graph_info.node_rows(graph, limit=tables.CAP), noun="nodes", height=260)
