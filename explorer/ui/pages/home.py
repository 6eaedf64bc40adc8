"""Home: message passing in one animated picture, a card for every page, and a lecture path."""

from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from explorer.ui import components, shell, theme
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
PAGES = "explorer/ui/pages"
THUMBS = Path(__file__).resolve().parents[1] / "assets" / "thumbs"
#: (page file, title, icon, what it shows); the thumbnail is THUMBS/<stem>.png
CARDS = [
    ("graphs.py", "Graphs", ":material/hub:", "Load a sample or your file; see what was read."),
    ("variable_elimination.py", "Variable elimination", ":material/linear_scale:",
     "A chain, summed out one variable at a time: each sum is a message."),
    ("belief_propagation.py", "Belief propagation", ":material/bubble_chart:",
     "Messages on a factor graph: exact on trees, approximate on loops."),
    ("clique_tree.py", "Clique tree", ":material/account_tree:",
     "Group the variables into cliques: two passes give every exact marginal."),
    ("neural.py", "Neural message passing", ":material/neurology:",
     "GCN, GraphSAGE, GAT, GIN, MPNN: one layer per step, with the numbers."),
    ("gn_block.py", "Graph-network block", ":material/account_tree:",
     "Edges, nodes and a global vector, updated in six sub-steps."),
    ("aggregators.py", "Aggregators & sampling", ":material/filter_alt:",
     "Sum, mean, max ignore the neighbours' order; GraphSAGE reads only a few."),
    ("matrix.py", "Matrix view", ":material/grid_on:",
     "One layer as X' = R X Θ, and the same numbers as messages."),
    ("readout.py", "Graph readout", ":material/join_inner:",
     "Pool the node states into one vector to classify whole molecules."),
    ("expressiveness.py", "Expressiveness", ":material/compare:",
     "1-WL colour refinement: what message passing cannot tell apart."),
    ("oversmoothing.py", "Over-smoothing", ":material/blur_on:",
     "Stack many layers and the node vectors fall together."),
    ("upload.py", "Your graph or model", ":material/upload_file:",
     "Bring a graph, a graphical model or trained PyG weights."),
]
#: the source essay's order: (page, query, label, what to say)
PATH = [
    ("variable_elimination.py", {}, "1 · The chain and variable elimination",
     "P(X5) by pushing sums inward: kⁿ terms become n·k² operations."),
    ("variable_elimination.py", {"n": "8"}, "2 · Messages and reuse",
     "Keep the messages, send a second wave back: every marginal from 2(n−1) messages."),
    ("belief_propagation.py", {"sample": "chain_bn"}, "3 · Belief propagation on a tree",
     "The same messages on a factor graph; exact after one sweep each way."),
    ("belief_propagation.py", {"sample": "four_cycle", "max_iter": "400"},
     "4 · … and on a loop", "Messages go round and round: oscillation, damping, approximation."),
    ("clique_tree.py", {"sample": "four_cycle"}, "5 · Exact on any graph: the clique tree",
     "The same loop, its variables grouped into cliques: two passes, exact marginals."),
    ("neural.py", {}, "6 · Neural message passing",
     "Learned messages and updates: GCN on the karate club, layer by layer."),
    ("gn_block.py", {}, "7 · The graph-network block",
     "Edge, node and global updates: the general block the GNN layers are cases of."),
    ("matrix.py", {}, "8 · X′ = R X Θ", "The whole layer as one matrix product."),
    ("readout.py", {}, "9 · Readout: one vector per graph",
     "Pool the node states, in any order, to classify a whole molecule."),
    ("oversmoothing.py", {}, "10 · Over-smoothing", "Too many rounds and every node looks alike."),
]


def _demo_figure() -> go.Figure:
    """A six-node graph doing three rounds of mean message passing, in frames.

    Each round is three frames: the messages leave their senders (coloured by the sender's
    state), they reach the receivers which aggregate them (mean of self and neighbours), and
    the nodes update (new colours). The numbers are computed here, frame by frame.
    """
    pos = np.array([[0, 0], [1, 0.6], [1, -0.6], [2, 0], [3, 0.6], [3, -0.6]], dtype=float)
    edges = [(0, 1), (0, 2), (1, 2), (1, 3), (2, 3), (3, 4), (3, 5), (4, 5)]
    n = len(pos)
    s = np.array([u for u, v in edges] + [v for u, v in edges])
    r = np.array([v for u, v in edges] + [u for u, v in edges])
    x = np.array([1.0, 0.0, 0.0, 0.0, 0.0, 0.0])  # one node knows something
    ex, ey = [], []
    for u, v in edges:
        ex += [pos[u, 0], pos[v, 0], None]
        ey += [pos[u, 1], pos[v, 1], None]
    scale = dict(colorscale="Viridis", cmin=0.0, cmax=1.0)
    base = [go.Scatter(x=ex, y=ey, mode="lines", line=dict(color="#bbb", width=2), hoverinfo="skip")]

    def frame(state, at, msg, ring, caption):
        mxy = pos[s] + at * (pos[r] - pos[s])
        return [go.Scatter(x=mxy[:, 0], y=mxy[:, 1], mode="markers", hoverinfo="skip",
                           marker=dict(size=11 if msg is not None else 0, symbol="diamond",
                                       color=msg if msg is not None else "#fff", **scale,
                                       line=dict(width=1, color="#444"))),
                go.Scatter(x=pos[:, 0], y=pos[:, 1], mode="markers+text", hoverinfo="skip",
                           text=[f"{v:.2f}" for v in state], textposition="bottom center",
                           textfont=dict(size=13),
                           marker=dict(size=34, color=state, **scale,
                                       line=dict(width=[4 if q else 1 for q in ring],
                                                 color="#ff4b4b"))),
                go.Scatter(x=[1.5], y=[1.05], mode="text", text=[caption], hoverinfo="skip",
                           textfont=dict(size=17, color="#31333f"))]

    frames, deg = [], np.bincount(r, minlength=n) + 1.0
    none = [False] * n
    frames.append(frame(x, 0.0, None, none, "round 0 · every node holds a state"))
    for rnd in range(1, 4):
        frames.append(frame(x, 0.3, x[s], none, f"round {rnd} · message: each node sends its state"))
        frames.append(frame(x, 0.75, x[s], [True] * n, f"round {rnd} · aggregate: mean of what arrives"))
        new = (np.bincount(r, weights=x[s], minlength=n) + x) / deg
        frames.append(frame(new, 0.0, None, none, f"round {rnd} · update: the node takes the mean"))
        x = new
    fig = go.Figure(base + frames[0])
    fig.frames = [go.Frame(name=str(k), data=f, traces=[1, 2, 3]) for k, f in enumerate(frames)]
    fig.update_layout(showlegend=False, height=300, margin=dict(l=10, r=10, t=10, b=10),
                      xaxis=dict(visible=False, range=[-0.4, 3.4]),
                      yaxis=dict(visible=False, range=[-1.0, 1.25]),
                      plot_bgcolor="rgba(0,0,0,0)", paper_bgcolor="rgba(0,0,0,0)")
    return fig


@st.cache_resource(show_spinner=False, max_entries=1)
def _demo_json() -> tuple[str, str]:
    import hashlib

    import plotly.io as pio

    text = pio.to_json(_demo_figure(), validate=False)
    return text, hashlib.sha1(text.encode()).hexdigest()[:16]


view = View("home", {})
controls = shell.frame(view, "Message Passing Explorer", INTRO, chart_first=True)
theme.apply()
view.sync()

left, right = st.columns([0.55, 0.45], gap="large")
with left:
    text, fig_id = _demo_json()
    components.chart("home.demo", {"id": "home", "fig": text, "fig_id": fig_id, "step": 0,
                                   "labels": [], "controls": False, "keys": False,
                                   "autoplay": True, "loop": True, "speed": "normal",
                                   "height": 300})
    controls.chart_out()  # first run: the demo mounts before the cards arrive (shell.Controls)
    st.caption("Message, aggregate, update — three rounds of mean message passing on six nodes: "
               "the knowledge of the node on the left spreads one hop per round.")
with right:
    st.subheader("A lecture path")
    for page, query, label, what in PATH:
        st.page_link(f"{PAGES}/{page}", label=label, query_params=query or None,
                     icon=":material/arrow_forward:", help=what)
    st.caption("Press **→** to step, **space** to play, **N / P** for the next or previous "
               "node; turn on *Lecture mode* for a projector.")

st.subheader("Every page")
for row in range(0, len(CARDS), 4):
    cols = st.columns(4, gap="medium")
    for col, (page, title, icon, what) in zip(cols, CARDS[row:row + 4]):
        with col.container(border=True):
            thumb = THUMBS / f"{Path(page).stem}.png"
            if thumb.is_file():
                st.image(str(thumb), width="stretch")
            st.page_link(f"{PAGES}/{page}", label=f"**{title}**", icon=icon)
            st.caption(what)
