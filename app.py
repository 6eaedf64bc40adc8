"""Message Passing Explorer: the entry point only routes (`streamlit run app.py`).

Each page is one file in explorer/ui/pages/ with the same shape; see explorer/ui/__init__.py.
"""

from pathlib import Path

import streamlit as st

from explorer.ui import collector, shell
from explorer.ui.turns import page_turn

# full garbage collections between runs, not in the middle of a student's step:
# explorer/ui/collector.py
collector.install()

# Plotly imports pandas lazily on first use and then looks it up in sys.modules without the import
# lock: two sessions drawing their first chart at once could see a half-initialised pandas
# ("partially initialized module 'pandas' has no attribute 'Series'"). An import statement waits
# for a concurrent import to finish, so importing it here, before any chart, closes that race.
try:
    import pandas  # noqa: F401
except ImportError:  # pandas is optional: Plotly works without it
    pass

PAGES = Path(__file__).resolve().parent / "explorer" / "ui" / "pages"

# a local icon: a material-symbol page icon makes the browser fetch the favicon from
# fonts.gstatic.com, which fails in a classroom without internet (an error in the console)
st.set_page_config(page_title="Message Passing Explorer",
                   page_icon=str(PAGES.parent / "assets" / "favicon.png"), layout="wide")
pages = st.navigation({
    "Explorer": [
        st.Page(PAGES / "home.py", title="Home", icon=":material/home:", default=True),
        st.Page(PAGES / "graphs.py", title="Graphs", icon=":material/hub:"),
    ],
    "Graphical models": [
        st.Page(PAGES / "variable_elimination.py", title="Variable elimination",
                icon=":material/linear_scale:"),
        st.Page(PAGES / "belief_propagation.py", title="Belief propagation",
                icon=":material/bubble_chart:"),
        st.Page(PAGES / "clique_tree.py", title="Clique tree", icon=":material/account_tree:"),
    ],
    "Graph neural networks": [
        st.Page(PAGES / "neural.py", title="Neural message passing", icon=":material/neurology:"),
        st.Page(PAGES / "gn_block.py", title="Graph-network block", icon=":material/account_tree:"),
        st.Page(PAGES / "aggregators.py", title="Aggregators & sampling", icon=":material/filter_alt:"),
        st.Page(PAGES / "matrix.py", title="Matrix view", icon=":material/grid_on:"),
        st.Page(PAGES / "readout.py", title="Graph readout", icon=":material/join_inner:"),
        st.Page(PAGES / "expressiveness.py", title="Expressiveness", icon=":material/compare:"),
        st.Page(PAGES / "oversmoothing.py", title="Over-smoothing", icon=":material/blur_on:"),
    ],
    "Your data": [
        st.Page(PAGES / "upload.py", title="Your graph or model", icon=":material/upload_file:"),
    ],
})
# whole page runs take turns (a few at a time); a step's panel (a fragment rerun, which does not
# pass through here) never waits for them, and a rerun of the page a session already shows (a
# setting changed) goes before the page opens in line: explorer/ui/turns.py
again = st.session_state.get("_mpe_shown") == pages.url_path
st.session_state["_mpe_shown"] = pages.url_path
with page_turn(urgent=again):
    try:
        pages.run()
    finally:  # controls a chart-first page held back for its chart (explorer/ui/shell.py)
        shell.flush_controls()
