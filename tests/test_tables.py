"""The light tables (explorer/ui/tables.py): plain HTML st.table, never a data grid, on the pages
whose first chart they used to hold back; long ones capped with a note, values unchanged."""

import networkx as nx
import numpy as np
import pytest

pytest.importorskip("streamlit")


@pytest.mark.parametrize("n,arrow", [(5, False), (250, False), (250, True)])
def test_table_shows_the_rows_as_given_and_says_when_it_caps(n, arrow):
    from streamlit.testing.v1 import AppTest

    from explorer.ui import tables

    def page(N, ARROW):
        import pyarrow as pa

        from explorer.ui import tables

        rows = [{"i": i, "square": i * i} for i in range(N)]
        if ARROW:
            rows = pa.table({"i": [r["i"] for r in rows], "square": [r["square"] for r in rows]})
        tables.table(rows, noun="things")

    at = AppTest.from_function(page, kwargs={"N": n, "ARROW": arrow}).run()
    assert not at.exception
    assert len(at.dataframe) == 0  # no data grid
    (shown,) = at.table
    want = min(n, tables.CAP)
    assert shown.value["i"].tolist() == list(range(want))
    assert shown.value["square"].tolist() == [i * i for i in range(want)]
    notes = [c.value for c in at.caption]
    assert notes == ([f"The first {tables.CAP} of {n} things."] if n > tables.CAP else [])


def test_graphs_node_table_is_an_html_table_with_networkx_degrees():
    from explorer.io import load_graph
    from explorer.ui.testing import app_test

    at = app_test("graphs", query={"sample": "karate"})
    assert not at.exception
    assert len(at.dataframe) == 0
    table = next(t.value for t in at.table if "degree" in t.value.columns)
    G = nx.karate_club_graph()
    g = load_graph("karate")
    assert len(table) == G.number_of_nodes() == g.n_nodes
    assert table["degree"].tolist() == [G.degree(v) for v in G.nodes]
    assert table["label"].tolist() == list(g.display_labels)


@pytest.mark.parametrize("page,query", [("variable_elimination", {}), ("matrix", {}),
                                         ("expressiveness", {})])
def test_pages_with_a_chart_first_draw_no_data_grid(page, query):
    from explorer.ui.testing import app_test

    at = app_test(page, query=query)
    assert not at.exception
    assert len(at.dataframe) == 0, page
    assert len(at.table) > 0, page


def test_a_hub_lists_its_messages_in_a_capped_html_table():
    """Above TABLE_ROWS incoming messages the panel still draws an HTML table, never a grid:
    the first CAP messages in the engine's order (checked against the Trace), then a note with
    the full count."""
    from streamlit.testing.v1 import AppTest

    def panel(LEAVES):
        from explorer import nn
        from explorer.graph import Graph
        from explorer.ui import player

        g = Graph.from_edges(LEAVES + 1, [(0, i) for i in range(1, LEAVES + 1)], name="star")
        trace = nn.run_stack(g, layer="gcn", layers=1, hidden=2, seed=0, features="degree")
        player.detail_panel(trace, 0, 0)

    from explorer import nn
    from explorer.graph import Graph
    from explorer.ui import player, tables

    leaves = 230
    at = AppTest.from_function(panel, kwargs={"LEAVES": leaves}).run()
    assert not at.exception, at.exception
    assert len(at.dataframe) == 0
    (shown,) = at.table
    g = Graph.from_edges(leaves + 1, [(0, i) for i in range(1, leaves + 1)], name="star")
    trace = nn.run_stack(g, layer="gcn", layers=1, hidden=2, seed=0, features="degree")
    s = trace.steps[0]
    into = [j for j, e in enumerate(np.asarray(s.edges)) if g.receivers[e] == 0]
    assert len(into) > tables.CAP > player.TABLE_ROWS  # a hub the cap applies to
    assert len(shown.value) == tables.CAP
    labels = list(g.display_labels)
    assert shown.value["from"].tolist() == [labels[g.senders[s.edges[j]]] for j in into[:tables.CAP]]
    assert shown.value["message"].tolist() == [player.fmt_vec(s.messages[j]) for j in into[:tables.CAP]]
    assert f"The first {tables.CAP} of {len(into)} messages into {labels[0]}." in [c.value for c in at.caption]
