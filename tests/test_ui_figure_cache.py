"""Figures that do not depend on the step are built once and shared (explorer/ui/cache.py): the
BP convergence chart and the receptive-field panel's graph. A warm page run, in this session or
another, shows the same numbers as a fresh build from the engines.

Oracles: the BP convergence chart built directly by the library from an independent BP run and
exact inference; the hop colours of the receptive-field graph against networkx's BFS.
"""

import networkx as nx
import numpy as np

from explorer import io, pgm
from explorer.ui import cache
from explorer.ui.testing import app_test, array, charts, trace_named
from explorer.viz import charts as viz_charts


def test_bp_convergence_chart_is_cached_and_equals_a_fresh_build():
    query = {"sample": "asia", "updates": "seqfix", "seed": "7"}
    first = app_test("belief_propagation", query=query)
    assert not first.exception
    hits = cache.STORES["figures"].hits
    second = app_test("belief_propagation", query=query)  # a second session, warm
    assert not second.exception
    assert cache.STORES["figures"].hits > hits
    got = charts(second)["bp.convergence"]
    assert got == charts(first)["bp.convergence"]
    fg = pgm.load_model("asia")
    trace = pgm.run_bp(fg, updates="seqfix", seed=7)
    exact = pgm.exact_inference(fg)["marginals"]
    want = viz_charts.convergence_figure(trace, exact).to_plotly_json()
    for name in ("largest belief change", "max |BP − exact|"):
        assert np.allclose(array(trace_named(got, name)["y"]), array(trace_named(want, name)["y"]),
                           equal_nan=True, atol=1e-12), name


def test_receptive_field_graph_colours_are_bfs_hops():
    graph = io.load_graph("karate")
    at = app_test("neural", query={"sample": "karate", "layers": "2", "node": "5"})
    assert not at.exception
    again = app_test("neural", query={"sample": "karate", "layers": "2", "node": "5"})
    for t in (at, again):  # the expander is lazy: opening it draws the panel
        t.session_state["nn.rf_open"] = True
        t.run()
        assert not t.exception
    fig = charts(again)["nn.rf_graph"]
    assert fig == charts(at)["nn.rf_graph"]
    colours = array(trace_named(fig, "nodes")["marker"]["color"])
    G = nx.Graph(list(zip(graph.senders.tolist(), graph.receivers.tolist())))
    dist = nx.single_source_shortest_path_length(G, 5, cutoff=2)
    want = [float(dist[v]) if v in dist else None for v in range(graph.n_nodes)]
    got = [None if c is None or (isinstance(c, float) and np.isnan(c)) else float(c) for c in colours]
    assert got == want
