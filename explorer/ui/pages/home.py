"""Home: what message passing is, a one-minute tour, and a way into every page."""

import streamlit as st

from explorer.ui import shell
from explorer.ui.state import View

INTRO = """
**Message passing** is one idea behind many algorithms on graphs. In every round, each edge
carries a **message** computed from the node it leaves; each node **aggregates** the messages
that reach it; then each node **updates** its own state from that aggregate. Repeat.

Exact inference in a chain of random variables, belief propagation on a factor graph, and the
layers of a graph neural network (GCN, GraphSAGE, GAT, GIN) are all this loop with different
choices of message, aggregate and update. Here you can watch each of them run, one round at a
time, with the actual numbers.
"""

TOUR = [
    ("graphs.py", ":material/hub:", "Graphs",
     "Load a sample or your own file and see what the explorer reads from it."),
]

view = View("home", {})
shell.frame(view, "Message Passing Explorer", INTRO)
view.sync()

st.subheader("A one-minute tour")
st.markdown(
    "1. Open **Graphs** and pick *Zachary's karate club*: 34 people, 78 friendships.\n"
    "2. Press **Play** on any animated page to watch messages travel one hop per round.\n"
    "3. Click **Next** and choose a node: the panel shows its update as a formula with the "
    "real numbers, the table of messages it received, and its new state.\n"
    "4. Copy the address bar: the link reproduces exactly what you see.")
st.subheader("Pages")
for path, icon, title, what in TOUR:
    st.page_link(f"explorer/ui/pages/{path}", label=f"**{title}** — {what}", icon=icon)
