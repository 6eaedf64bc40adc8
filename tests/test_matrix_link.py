"""Matrix view: a row of R is a node. A click on a row of the R heatmap selects that node; the
graph beside the message form rings it and highlights its incoming edges, which are exactly the
off-diagonal non-zeros of that row (checked against the edge list, not against R's code).
"""

from pathlib import Path

import numpy as np
import pytest

from explorer.ui.testing import app_test, array, charts, trace_named
from explorer.viz import heatmaps_figure
from explorer.viz.panels import picked_row

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def _karate_operator():
    from explorer.io import load_graph
    from explorer.nn.operators import reference_operator

    g = load_graph("karate")
    return g, reference_operator(g, "sym_norm")


def test_every_cell_of_r_is_a_click_target_that_names_its_row():
    g, R = _karate_operator()
    n = g.n_nodes
    X = np.eye(n)[:, :3]
    fig = heatmaps_figure(R, X, np.ones((3, 2)), R @ X @ np.ones((3, 2)), node_labels=list(g.display_labels))
    pick = fig.data[1]
    assert pick.name == "rows of R" and len(pick.x) == n * n
    for k in (0, 5 * n + 7, n * n - 1):                 # the cell (k // n, k % n)
        i, j = divmod(k, n)
        assert pick.y[k] == g.display_labels[i] and pick.x[k] == str(j)
        assert pick.customdata[k][1] == R[i, j]
        # the selection Streamlit reports for a click on that cell
        state = {"selection": {"points": [{"curve_number": 1, "point_index": k,
                                           "customdata": list(pick.customdata[k])}]}}
        assert picked_row(state) == i
        as_sent = {"selection": {"points": [{"curve_number": 1, "point_index": k,  # what the browser sends
                                             "customdata": {"0": int(i), "1": float(R[i, j])}}]}}
        assert picked_row(as_sent) == i
    assert picked_row({"selection": {"points": []}}) is None
    assert picked_row({"selection": {"points": [{"curve_number": 3, "customdata": [2, 0.1]}]}}) is None
    big = heatmaps_figure(np.eye(200), np.ones((200, 1)), np.ones((1, 1)), np.ones((200, 1)))
    assert all(tr.name != "rows of R" for tr in big.data)  # 40,000 targets: the selectbox only


def test_the_graph_rings_the_node_and_highlights_its_rows_non_zeros():
    g, R = _karate_operator()
    at = app_test("matrix", query={"sample": "karate", "node": "5"})
    assert not at.exception
    fig = charts(at)["matrix.graph"]
    ring = trace_named(fig, "selected")
    nodes = trace_named(fig, "nodes")
    idx = list(array(nodes["customdata"]))
    x, y = array(nodes["x"]), array(nodes["y"])
    assert (array(ring["x"])[0], array(ring["y"])[0]) == (x[idx.index(5)], y[idx.index(5)])
    # highlighted segments (end, end, None): each touches node 5; their other ends are the row's
    # non-zeros, which are the node's in-neighbours in the edge list
    hx, hy = array(trace_named(fig, "incoming edges")["x"]), array(trace_named(fig, "incoming edges")["y"])
    pos = {(round(a, 4), round(b, 4)): i for i, a, b in zip(idx, x, y)}
    ends = [{pos[(round(hx[t + d], 4), round(hy[t + d], 4))] for d in (0, 1)} for t in range(0, len(hx), 3)]
    assert ends and all(5 in e and len(e) == 2 for e in ends)
    in_nbrs = {int(s) for s, r in zip(g.senders, g.receivers) if r == 5}
    assert set().union(*ends) - {5} == in_nbrs == set(np.flatnonzero(R[5]).tolist()) - {5}
    # the heatmaps outline the same row
    heat = charts(at)["matrix.heatmaps"]
    rect = [s for s in heat["layout"].get("shapes", []) if s.get("type") == "rect"]
    assert rect and all(s["y0"] == 4.5 and s["y1"] == 5.5 for s in rect)


@pytest.mark.browser
def test_a_click_on_a_row_of_r_selects_its_node(browser, app_url):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        page = context.new_page()
        page.goto(f"{app_url}/matrix?sample=karate&node=0")
        page.wait_for_selector("[class*='st-key-matrix-heatmaps'] .js-plotly-plot .nsewdrag", timeout=90_000)
        page.wait_for_timeout(500)
        heat = page.locator("[class*='st-key-matrix-heatmaps'] .js-plotly-plot").first
        heat.evaluate("gd => gd.scrollIntoView({block: 'center'})")
        x, y = heat.evaluate("""gd => { const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
            const r = gd.querySelector('.nsewdrag').getBoundingClientRect();
            const row = gd._fullData[1].y[5 * 34];                  // the label of row 5
            return [r.left + xa.d2p('7'), r.top + ya.d2p(row)]; }""")
        page.mouse.move(x, y)
        page.mouse.click(x, y)
        page.wait_for_url("**node=5**", timeout=30_000)
        page.wait_for_function("""() => { const g = document.querySelector("[class*='st-key-matrix-graph'] .js-plotly-plot");
            const t = g && g._fullData.find(t => t.name === 'selected');
            const n = g && g._fullData.find(t => t.name === 'nodes');
            if (!t || !n) return false; const k = [...n.customdata].indexOf(5);
            return t.x[0] === n.x[k] && t.y[0] === n.y[k]; }""", timeout=30_000)
        page.screenshot(path=ARTIFACTS / "matrix_row_clicked.png")
        assert page.locator("[data-testid='stException']").count() == 0
    finally:
        context.close()
